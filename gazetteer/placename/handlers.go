package placename

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/gazetteer"
	"fangyuan/geo"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

// Routes are the place-name endpoints.
func (s *Store) Routes() []api.Route {
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/placenames", Tag: "placenames", Summary: "Place names (地名) as a GeoJSON FeatureCollection",
			Params: []api.Param{
				{Name: "within", In: "query", Type: "string", Description: "division code (2–12 digits): place names of that unit and below", Example: "339901"},
				{Name: "category", In: "query", Type: "string", Description: "GB/T 18521 category code; its subclasses match too", Example: "27"},
				{Name: "q", In: "query", Type: "string", Description: "text in the name, pinyin or an alias"},
				{Name: "bbox", In: "query", Type: "string", Description: "minLon,minLat,maxLon,maxLat", Example: "119.6,28.0,120.2,28.5"},
				{Name: "status", In: "query", Type: "string", Enum: []string{"current", "all", "standard", "draft", "retired"}, Description: "default current (not retired)"},
				{Name: "limit", In: "query", Type: "integer", Description: "1–10000, default 1000"},
				{Name: "offset", In: "query", Type: "integer"},
			}, Produces: []string{"application/geo+json"}, Handler: s.handleList},
		{Method: http.MethodGet, Path: "/api/placenames/check", Tag: "placenames",
			Summary:     "Name check (地名审核): duplicates, homophones and near-duplicates in the county, and disallowed words",
			Description: "Each finding names the existing record (id, name, admin_code, category) and its kind: duplicate, homophone (same toneless pinyin), near_duplicate (one character apart), disallowed_word.",
			Params: []api.Param{
				{Name: "name", In: "query", Type: "string", Required: true, Example: "青石古镇"},
				{Name: "category", In: "query", Type: "string", Description: "compare with this category only (default: every category)"},
				{Name: "within", In: "query", Type: "string", Description: "any division code: compared within its county"},
			}, Handler: s.handleCheck},
		{Method: http.MethodGet, Path: "/api/placename-categories", Tag: "placenames", Summary: "The GB/T 18521 category codes (地名类别代码) known here", Handler: s.handleCategories},
		{Method: http.MethodGet, Path: "/api/placenames/{id}", Tag: "placenames", Summary: "One place name as a GeoJSON Feature, with its naming acts and former names",
			Params: []api.Param{id}, Produces: []string{"application/geo+json"}, Handler: s.handleGet},
		{Method: http.MethodPost, Path: "/api/placenames", Tag: "placenames", Role: string(auth.NamesEditor), Summary: "Add a place name (命名)",
			Body:    `{"name": "青石古镇", "pinyin": "Qingshi Guzhen", "category": "271", "admin_code": "339901101", "lon": 119.82, "lat": 28.38, "origin": "...", "heritage_level": "provincial", "heritage_list": "千年古镇", "approval_no": "方民地〔2020〕3号", "approved_on": "2020-05-01"}`,
			Handler: s.handleCreate},
		{Method: http.MethodPut, Path: "/api/placenames/{id}", Tag: "placenames", Role: string(auth.NamesEditor), Summary: "Replace a place name's fields except its name (optimistic locking by version)",
			Params: []api.Param{id}, Body: `{"version": 1, "name": "(unchanged)", "category": "271", "admin_code": "339901101", "geometry": {"type": "Point", "coordinates": [119.82, 28.38]}, "history": "..."}`,
			Handler: s.handleUpdate},
		{Method: http.MethodPost, Path: "/api/placenames/{id}/rename", Tag: "placenames", Role: string(auth.NamesEditor), Summary: "Rename by an approved act (更名); the old name goes to the history",
			Params: []api.Param{id}, Body: `{"version": 1, "new_name": "...", "new_pinyin": "...", "approval_no": "...", "approved_on": "2024-01-01"}`, Handler: s.handleRename},
		{Method: http.MethodPost, Path: "/api/placenames/{id}/retire", Tag: "placenames", Role: string(auth.NamesEditor), Summary: "Retire by an approved act (销名)",
			Params: []api.Param{id}, Body: `{"version": 2, "approval_no": "...", "date": "2024-06-30"}`, Handler: s.handleRetire},
	}
}

// Feature renders a place name as a GeoJSON Feature.
func Feature(p PlaceName) map[string]any {
	props := map[string]any{
		"name": p.Name, "pinyin": p.Pinyin, "pinyin_draft": p.PinyinDraft, "category": p.Category, "category_name": p.CategoryName,
		"admin_code": p.AdminCode, "aliases": p.Aliases, "origin": p.Origin, "meaning": p.Meaning, "history": p.History,
		"heritage": p.Heritage, "heritage_level": p.HeritageLevel, "heritage_list": p.HeritageList, "status": p.Status,
		"approval_no": p.ApprovalNo, "approved_on": p.ApprovedOn, "retired_on": p.RetiredOn, "point": p.Point,
		"source": p.Source, "version": p.Version, "updated_at": p.UpdatedAt,
	}
	if p.Acts != nil {
		props["acts"], props["former"] = p.Acts, p.Former
	}
	return map[string]any{"type": "Feature", "id": p.ID, "geometry": p.Geometry, "properties": props}
}

func writeGeoJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func withinPrefix(v string) (string, error) {
	code, lvl, err := gazetteer.PadCode(v)
	if err != nil {
		return "", api.BadRequest("within", "%v", err)
	}
	return gazetteer.ShortCode(code, lvl), nil
}

func (s *Store) handleList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f Filter
	var err error
	if v := q.Get("within"); v != "" {
		if f.AdminPrefix, err = withinPrefix(v); err != nil {
			return err
		}
	}
	if v := q.Get("category"); v != "" {
		if f.Category, err = ParseCategory(v); err != nil {
			return api.BadRequest("category", "%v", err)
		}
	}
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		if e := CheckText("q", v, MaxNameRunes); e != nil {
			return api.BadRequest(e.Field, "%s", e.Reason)
		}
		f.Text = v
	}
	switch f.Status = q.Get("status"); f.Status {
	case "", "current", "all", "standard", "draft", "retired":
	default:
		return api.BadRequest("status", "must be one of current, all, standard, draft, retired")
	}
	bbox, ok, err := api.QueryBBox(r, "bbox")
	if err != nil {
		return err
	}
	if ok {
		f.BBox = &bbox
	}
	if f.Limit, err = api.QueryInt(r, "limit", 1000, 1, 10000); err != nil {
		return err
	}
	if f.Offset, err = api.QueryInt(r, "offset", 0, 0, 1<<30); err != nil {
		return err
	}
	ps, total, err := s.List(r.Context(), f)
	if err != nil {
		return err
	}
	feats := make([]any, len(ps))
	for i, p := range ps {
		feats[i] = Feature(p)
	}
	return writeGeoJSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": feats, "total": total})
}

func (s *Store) handleCategories(w http.ResponseWriter, r *http.Request) error {
	return api.WriteJSON(w, http.StatusOK, map[string]any{"categories": Categories,
		"source": "GB/T 18521-2001 地名分类与类别代码编制规则 (subset)"})
}

func (s *Store) handleCheck(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		return api.BadRequest("name", "required: the proposed name")
	}
	if e := CheckText("name", name, MaxNameRunes); e != nil {
		return api.BadRequest(e.Field, "%s", e.Reason)
	}
	cq := CheckQuery{Name: name}
	if v := q.Get("category"); v != "" {
		c, err := ParseCategory(v)
		if err != nil {
			return api.BadRequest("category", "%v", err)
		}
		cq.Category = c
	}
	if v := q.Get("within"); v != "" {
		if _, err := Scope(v); err != nil {
			return api.BadRequest("within", "%v", err)
		}
		cq.Within = v
	}
	res, err := s.Check(r.Context(), cq)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, res)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.BadRequest("id", "must be a positive integer")
	}
	return id, nil
}

func (s *Store) handleGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.Get(r.Context(), id)
	if err != nil {
		return api.NotFoundIf(err, "no place name %d", id)
	}
	return writeGeoJSON(w, http.StatusOK, Feature(p))
}

// body is the JSON a client sends to create or replace a place name.
type body struct {
	Version       int             `json:"version"`
	Name          string          `json:"name"`
	Pinyin        string          `json:"pinyin"`
	Category      string          `json:"category"`
	AdminCode     string          `json:"admin_code"`
	Aliases       []string        `json:"aliases"`
	Origin        string          `json:"origin"`
	Meaning       string          `json:"meaning"`
	History       string          `json:"history"`
	HeritageLevel string          `json:"heritage_level"`
	HeritageList  string          `json:"heritage_list"`
	Status        string          `json:"status"`
	ApprovalNo    string          `json:"approval_no"`
	ApprovedOn    string          `json:"approved_on"`
	Geometry      json.RawMessage `json:"geometry"`
	Lon           *float64        `json:"lon"`
	Lat           *float64        `json:"lat"`
}

// geometryOf returns the body's geometry as GeoJSON (nil for none), checked: a GeoJSON
// geometry of any type, or lon and lat for a point, in WGS84 degrees.
func (b body) geometryOf() ([]byte, error) {
	hasGeom := len(b.Geometry) > 0 && string(b.Geometry) != "null"
	switch {
	case hasGeom && (b.Lon != nil || b.Lat != nil):
		return nil, api.BadRequest("geometry", "give geometry or lon/lat, not both")
	case b.Lon != nil || b.Lat != nil:
		if b.Lon == nil || math.IsNaN(*b.Lon) || *b.Lon < -180 || *b.Lon > 180 {
			return nil, api.BadRequest("lon", "a longitude in [-180, 180] (WGS84)")
		}
		if b.Lat == nil || math.IsNaN(*b.Lat) || *b.Lat < -90 || *b.Lat > 90 {
			return nil, api.BadRequest("lat", "a latitude in [-90, 90] (WGS84)")
		}
		return geojson.NewGeometry(orb.Point{*b.Lon, *b.Lat}).MarshalJSON()
	case !hasGeom:
		return nil, nil
	}
	g, err := geojson.UnmarshalGeometry(b.Geometry)
	if err != nil {
		return nil, api.BadRequest("geometry", "not a GeoJSON geometry: %v", err)
	}
	if g.Coordinates == nil {
		return nil, api.BadRequest("geometry", "%s without coordinates", g.Type)
	}
	if e := checkCoords(g.Coordinates); e != nil {
		return nil, api.BadRequest("geometry", "%v", e)
	}
	return g.MarshalJSON()
}

func checkCoords(g orb.Geometry) error {
	var bad error
	each(g, func(p orb.Point) bool {
		if err := geo.CheckLonLat(p[0], p[1]); err != nil {
			bad = err
			return false
		}
		return true
	})
	return bad
}

func each(g orb.Geometry, fn func(orb.Point) bool) bool {
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			if !fn(p) {
				return false
			}
		}
	case orb.LineString:
		return each(orb.MultiPoint(g), fn)
	case orb.Ring:
		return each(orb.MultiPoint(g), fn)
	case orb.MultiLineString:
		for _, l := range g {
			if !each(orb.MultiPoint(l), fn) {
				return false
			}
		}
	case orb.Polygon:
		for _, l := range g {
			if !each(orb.MultiPoint(l), fn) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if !each(p, fn) {
				return false
			}
		}
	case orb.Collection:
		for _, x := range g {
			if !each(x, fn) {
				return false
			}
		}
	}
	return true
}

// input validates b into an Input, naming the first bad field; the admin code must name a
// current division, or is taken from the geometry.
func (s *Store) input(r *http.Request, b body) (Input, error) { return s.inputCtx(r.Context(), b) }

func (s *Store) inputCtx(ctx context.Context, b body) (Input, error) {
	in := Input{Name: b.Name, Pinyin: b.Pinyin, Category: b.Category, AdminCode: b.AdminCode, Aliases: b.Aliases,
		Origin: b.Origin, Meaning: b.Meaning, History: b.History, HeritageLevel: b.HeritageLevel, HeritageList: b.HeritageList,
		Status: b.Status, ApprovalNo: b.ApprovalNo, ApprovedOn: b.ApprovedOn}
	if e := in.Normalize(); e != nil {
		return in, api.BadRequest(e.Field, "%s", e.Reason)
	}
	g, err := b.geometryOf()
	if err != nil {
		return in, err
	}
	in.GeoJSON = g
	if in.AdminCode == "" {
		if g == nil {
			return in, api.BadRequest("admin_code", "required (or a geometry inside a division's boundary)")
		}
		if in.AdminCode, err = s.AdminCodeAt(ctx, g); err != nil {
			return in, err
		}
		if in.AdminCode == "" {
			return in, api.BadRequest("admin_code", "required: the geometry lies in no division's boundary")
		}
		return in, nil
	}
	ok, err := s.DivisionExists(ctx, in.AdminCode)
	if err != nil {
		return in, err
	}
	if !ok {
		return in, api.BadRequest("admin_code", "%s names no current division", in.AdminCode)
	}
	return in, nil
}

func writeErr(err error, id int64) error {
	switch {
	case errors.Is(err, ErrVersionConflict), errors.Is(err, ErrRetired):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrNameChange), errors.Is(err, ErrSameName):
		return api.BadRequest("name", "%v", err)
	}
	return api.NotFoundIf(err, "no place name %d", id)
}

func (s *Store) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var b body
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Version != 0 {
		return api.BadRequest("version", "a new place name has no version")
	}
	in, err := s.input(r, b)
	if err != nil {
		return err
	}
	p, err := s.Create(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/placenames/"+key(p.ID))
	return writeGeoJSON(w, http.StatusCreated, Feature(p))
}

func (s *Store) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b body
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Version <= 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	in, err := s.input(r, b)
	if err != nil {
		return err
	}
	p, err := s.Update(r.Context(), id, b.Version, in)
	if err != nil {
		return writeErr(err, id)
	}
	return writeGeoJSON(w, http.StatusOK, Feature(p))
}

func (s *Store) handleRename(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b struct {
		Version    int    `json:"version"`
		NewName    string `json:"new_name"`
		NewPinyin  string `json:"new_pinyin"`
		ApprovalNo string `json:"approval_no"`
		ApprovedOn string `json:"approved_on"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	in := RenameInput{Version: b.Version, NewName: strings.TrimSpace(b.NewName), NewPinyin: strings.Join(strings.Fields(b.NewPinyin), " "),
		ApprovalNo: strings.TrimSpace(b.ApprovalNo)}
	if in.Version <= 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	if in.NewName == "" {
		return api.BadRequest("new_name", "required")
	}
	for _, c := range []struct{ field, v string }{{"new_name", in.NewName}, {"new_pinyin", in.NewPinyin}, {"approval_no", in.ApprovalNo}} {
		if e := CheckText(c.field, c.v, MaxNameRunes); e != nil {
			return api.BadRequest(e.Field, "%s", e.Reason)
		}
	}
	if strings.ContainsAny(in.NewName, "\t\n\r") {
		return api.BadRequest("new_name", "must be one line")
	}
	if in.ApprovalNo == "" {
		return api.BadRequest("approval_no", "required: the renaming act's approval number (批准文号)")
	}
	if in.ApprovedOn, err = ParseDate(b.ApprovedOn); err != nil || in.ApprovedOn == "" {
		return api.BadRequest("approved_on", "required: the date of the act, YYYY-MM-DD")
	}
	p, err := s.Rename(r.Context(), id, in)
	if err != nil {
		return writeErr(err, id)
	}
	return writeGeoJSON(w, http.StatusOK, Feature(p))
}

func (s *Store) handleRetire(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b struct {
		Version    int    `json:"version"`
		ApprovalNo string `json:"approval_no"`
		Date       string `json:"date"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Version <= 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	no := strings.TrimSpace(b.ApprovalNo)
	if no == "" {
		return api.BadRequest("approval_no", "required: the retiring act's approval number (批准文号)")
	}
	if e := CheckText("approval_no", no, MaxNameRunes); e != nil {
		return api.BadRequest(e.Field, "%s", e.Reason)
	}
	date, err := ParseDate(b.Date)
	if err != nil || date == "" {
		return api.BadRequest("date", "required: the date of the act, YYYY-MM-DD")
	}
	p, err := s.Retire(r.Context(), id, b.Version, no, date)
	if err != nil {
		return writeErr(err, id)
	}
	return writeGeoJSON(w, http.StatusOK, Feature(p))
}
