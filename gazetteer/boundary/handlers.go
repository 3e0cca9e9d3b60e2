package boundary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/geojson"

	"fangyuan/geo"
	"fangyuan/geo/topology"
	"fangyuan/importers/parse"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

// MaxFindingsBytes bounds an uploaded findings file.
const MaxFindingsBytes = 32 << 20

// Routes are the boundary inspection endpoints (界线联检). Reads are open or token-only as
// the deployment decides; writes (and package exports, which record marker versions) need
// the boundary-editor role and are audited.
func (s *Store) Routes() []api.Route {
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	round := api.Param{Name: "id", In: "path", Type: "string", Description: "round id or name (第五轮)"}
	team := api.Param{Name: "team", In: "path", Type: "string", Description: "team id or name"}
	editor := string(auth.BoundaryEditor)
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/boundary/lines", Tag: "boundary", Summary: "Boundary lines (界线) as GeoJSON, with the last inspection date",
			Params: []api.Param{{Name: "level", In: "query", Type: "string", Enum: []string{"province", "prefecture", "county", "township", "village"}},
				{Name: "within", In: "query", Type: "string", Description: "division code: lines with a side in that unit", Example: "339901"},
				{Name: "round", In: "query", Type: "string"}, {Name: "team", In: "query", Type: "string"}},
			Produces: []string{"application/geo+json"}, Handler: s.handleLines},
		{Method: http.MethodPost, Path: "/api/boundary/lines/derive", Tag: "boundary", Role: editor,
			Summary:     "Derive the lines of a level within a unit from the unit polygons in PostGIS with geo/topology (stored with origin derived)",
			Description: "The lines of `fangyuan boundaries derive` (snapping tolerance in metres, default 30): id from the level and the two codes (stable when re-derived), name 左—右线. The gaps, overlaps and slivers left over are returned as findings.",
			Body:        `{"level": "township", "within": "339901", "tolerance": 30}`, Handler: s.handleDerive},
		{Method: http.MethodGet, Path: "/api/boundary/topology", Tag: "boundary",
			Summary: "Topology findings (gaps, overlaps, slivers, outside_parent, uncovered) of the units of a level within a unit, against their parents",
			Params: []api.Param{{Name: "level", In: "query", Type: "string", Enum: []string{"province", "prefecture", "county", "township", "village"}},
				{Name: "within", In: "query", Type: "string", Description: "division code", Example: "339901"},
				{Name: "tolerance", In: "query", Type: "number", Description: "metres (default 30)"}},
			Produces: []string{"application/geo+json"}, Handler: s.handleTopology},
		{Method: http.MethodPost, Path: "/api/boundary/topology/check", Tag: "boundary",
			Summary:     "Topology findings of uploaded unit polygons (the GeoJSON as the body); with within, also against the parents in the database",
			Description: "Features need a code (code_field names the property) and may have parent_code; nothing is stored.",
			Params: []api.Param{{Name: "level", In: "query", Type: "string", Enum: []string{"province", "prefecture", "county", "township", "village"}},
				{Name: "within", In: "query", Type: "string", Description: "division code: check against the parents (level above) within it"},
				{Name: "tolerance", In: "query", Type: "number"}, {Name: "code_field", In: "query", Type: "string"}, {Name: "name", In: "query", Type: "string", Description: "file name for messages"}},
			Produces: []string{"application/geo+json"}, Handler: s.handleTopologyCheck},
		{Method: http.MethodGet, Path: "/api/boundary/markers", Tag: "boundary", Summary: "Boundary markers (界桩) as GeoJSON",
			Params: []api.Param{{Name: "line", In: "query", Type: "integer"}, {Name: "condition", In: "query", Type: "string", Enum: parse.MarkerConditions},
				{Name: "round", In: "query", Type: "string"}, {Name: "team", In: "query", Type: "string"}},
			Produces: []string{"application/geo+json"}, Handler: s.handleMarkers},
		{Method: http.MethodGet, Path: "/api/boundary/markers/check", Tag: "boundary",
			Summary: "Check the markers: three-way markers not where three units meet, markers far from their line",
			Params: []api.Param{{Name: "tolerance", In: "query", Type: "number", Description: "metres to a junction (default 30)"},
				{Name: "max_offset", In: "query", Type: "number", Description: "metres from the line (default 50)"}},
			Handler: s.handleCheck},
		{Method: http.MethodPut, Path: "/api/boundary/markers/{id}", Tag: "boundary", Role: editor,
			Summary: "Replace a marker's fields (optimistic locking by version)", Params: []api.Param{id},
			Body:    `{"version": 1, "kind": "single", "condition": "damaged", "lon": 120.01, "lat": 30.003, "photos": ["a.jpg"], "installed_on": "2016-05-01", "notes": "..."}`,
			Handler: s.handleUpdateMarker},
		{Method: http.MethodGet, Path: "/api/boundary/rounds", Tag: "boundary", Summary: "Inspection rounds (联检轮次)", Handler: s.handleRounds},
		{Method: http.MethodPost, Path: "/api/boundary/rounds", Tag: "boundary", Role: editor, Summary: "Create a round over lines or every line of a unit",
			Body: `{"name": "第五轮", "year": 2026, "unit": "339901"}`, Handler: s.handleCreateRound},
		{Method: http.MethodGet, Path: "/api/boundary/rounds/{id}", Tag: "boundary", Summary: "A round with each team's progress",
			Params: []api.Param{round}, Handler: s.handleRound},
		{Method: http.MethodPost, Path: "/api/boundary/rounds/{id}/teams", Tag: "boundary", Role: editor, Summary: "Add a team and assign it lines of the round",
			Params: []api.Param{round}, Body: `{"name": "第一组", "leader": "李明", "lines": ["L-AB", "L-AC"]}`, Handler: s.handleCreateTeam},
		{Method: http.MethodGet, Path: "/api/boundary/rounds/{id}/teams/{team}/package.zip", Tag: "boundary", Role: editor,
			Summary:  "Export a team's field package (GeoJSON, KML, KMZ, GeoPackage, manifest) as a zip; records the marker versions",
			Params:   []api.Param{round, team, {Name: "crs", In: "query", Type: "string", Enum: []string{"wgs84", "gcj02"}}},
			Produces: []string{"application/zip"}, Handler: s.handlePackage},
		{Method: http.MethodPost, Path: "/api/boundary/rounds/{id}/findings", Tag: "boundary", Role: editor,
			Summary:     "Import findings (the file as the body: GeoJSON or CSV)",
			Description: "Validated with file:line:field errors (400 with the list) and applied in one transaction; markers changed since the package are conflicts.",
			Params: []api.Param{round, {Name: "format", In: "query", Type: "string", Enum: []string{"geojson", "csv"}},
				{Name: "crs", In: "query", Type: "string", Enum: []string{"wgs84", "gcj02"}}, {Name: "team", In: "query", Type: "string"},
				{Name: "name", In: "query", Type: "string", Description: "file name for messages"},
				{Name: "skip_invalid", In: "query", Type: "boolean"}},
			Handler: s.handleFindings},
		{Method: http.MethodGet, Path: "/api/boundary/rounds/{id}/summary.xlsx", Tag: "boundary", Summary: "The round's summary per team and its findings as XLSX",
			Params: []api.Param{round}, Produces: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Handler: s.handleSummary},
	}
}

// apiError maps the store's errors to HTTP errors.
func apiError(err error) error {
	var ie *InputError
	var ce *ConflictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return api.BadRequest(ie.Field, "%s", ie.Reason)
	case errors.As(err, &ce):
		return api.Conflict("%s", ce.Reason)
	case errors.Is(err, ErrVersionConflict):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrNotFound), errors.Is(err, pgx.ErrNoRows):
		return api.NotFound("%v", err)
	}
	return err
}

var levelByName = map[string]int{"province": 1, "prefecture": 2, "county": 3, "township": 4, "village": 5}

// roundTeam resolves the round and team query parameters into the filter.
func (s *Store) roundTeam(ctx context.Context, roundRef, teamRef string, f *Filter) error {
	if roundRef == "" {
		if teamRef != "" {
			return api.BadRequest("team", "needs round")
		}
		return nil
	}
	r, err := s.Round(ctx, roundRef)
	if err != nil {
		return apiError(err)
	}
	f.RoundID = r.ID
	if teamRef != "" {
		if f.TeamID, err = s.TeamID(ctx, r.ID, teamRef); err != nil {
			return apiError(err)
		}
	}
	return nil
}

func writeGeoJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/geo+json")
	return api.WriteJSON(w, http.StatusOK, v)
}

func (s *Store) handleLines(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f Filter
	if v := q.Get("level"); v != "" {
		lv, ok := levelByName[v]
		if !ok {
			return api.BadRequest("level", "must be province, prefecture, county, township or village")
		}
		f.Level = lv
	}
	if v := q.Get("within"); v != "" {
		_, prefix, err := UnitCode(v)
		if err != nil {
			return api.BadRequest("within", "%v", err)
		}
		f.UnitPrefix = prefix
	}
	if err := s.roundTeam(r.Context(), q.Get("round"), q.Get("team"), &f); err != nil {
		return err
	}
	lines, total, err := s.Lines(r.Context(), f)
	if err != nil {
		return err
	}
	feats := make([]any, len(lines))
	for i, l := range lines {
		coords := make([][][2]float64, len(l.Geometry))
		for j, part := range l.Geometry {
			for _, p := range part {
				coords[j] = append(coords[j], [2]float64{p[0], p[1]})
			}
		}
		var last any
		if l.LastInspected != nil {
			last = l.LastInspected.Format(time.DateOnly)
		}
		feats[i] = map[string]any{"type": "Feature", "id": l.ID,
			"geometry": map[string]any{"type": "MultiLineString", "coordinates": coords},
			"properties": map[string]any{"id": l.ExtID, "name": l.Name, "level": l.Level, "left_code": l.LeftCode, "right_code": l.RightCode,
				"origin": l.Origin, "length_m": math.Round(l.LengthM*100) / 100, "last_inspected": last, "version": l.Version}}
	}
	return writeGeoJSON(w, map[string]any{"type": "FeatureCollection", "features": feats, "total": total})
}

func dateOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}

func markerFeature(m Marker) map[string]any {
	return map[string]any{"type": "Feature", "id": m.ID,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{m.Lon, m.Lat}},
		"properties": map[string]any{"number": m.Number, "line": m.LineExtID, "line_name": m.LineName, "line_id": m.LineID,
			"kind": m.Kind, "condition": m.Condition, "photos": m.Photos, "installed_on": dateOrNil(m.InstalledOn),
			"last_inspected": dateOrNil(m.LastInspected), "notes": m.Notes, "version": m.Version, "updated_at": m.UpdatedAt}}
}

func (s *Store) handleMarkers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f Filter
	if v := q.Get("line"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return api.BadRequest("line", "must be a line id")
		}
		f.LineID = n
	}
	if v := q.Get("condition"); v != "" {
		if !slices.Contains(parse.MarkerConditions, v) {
			return api.BadRequest("condition", "must be one of %s", strings.Join(parse.MarkerConditions, ", "))
		}
		f.Condition = v
	}
	if err := s.roundTeam(r.Context(), q.Get("round"), q.Get("team"), &f); err != nil {
		return err
	}
	ms, total, err := s.Markers(r.Context(), f)
	if err != nil {
		return err
	}
	feats := make([]any, len(ms))
	for i, m := range ms {
		feats[i] = markerFeature(m)
	}
	return writeGeoJSON(w, map[string]any{"type": "FeatureCollection", "features": feats, "total": total})
}

func queryFloat(r *http.Request, name string) (float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 10000 || math.IsNaN(f) {
		return 0, api.BadRequest(name, "must be a number of metres in (0, 10000], not %q", v)
	}
	return f, nil
}

func (s *Store) handleCheck(w http.ResponseWriter, r *http.Request) error {
	tol, err := queryFloat(r, "tolerance")
	if err != nil {
		return err
	}
	off, err := queryFloat(r, "max_offset")
	if err != nil {
		return err
	}
	opts := CheckOptions{JunctionTolerance: tol, MaxOffset: off}.withDefaults()
	probs, err := s.CheckMarkers(r.Context(), opts)
	if err != nil {
		return err
	}
	if probs == nil {
		probs = []MarkerProblem{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"tolerance_m": opts.JunctionTolerance, "max_offset_m": opts.MaxOffset, "problems": probs})
}

type markerBody struct {
	Version       int      `json:"version"`
	Kind          string   `json:"kind"`
	Condition     string   `json:"condition"`
	Lon           *float64 `json:"lon"`
	Lat           *float64 `json:"lat"`
	Photos        []string `json:"photos"`
	InstalledOn   string   `json:"installed_on"`
	LastInspected string   `json:"last_inspected"`
	Notes         string   `json:"notes"`
}

func optDate(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, api.BadRequest(field, "must be a date YYYY-MM-DD, not %q", v)
	}
	return &t, nil
}

func (s *Store) handleUpdateMarker(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return api.BadRequest("id", "must be a positive integer")
	}
	var b markerBody
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	switch {
	case b.Version <= 0:
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	case !slices.Contains(parse.MarkerKinds, b.Kind):
		return api.BadRequest("kind", "must be one of %s", strings.Join(parse.MarkerKinds, ", "))
	case !slices.Contains(parse.MarkerConditions, b.Condition):
		return api.BadRequest("condition", "must be one of %s", strings.Join(parse.MarkerConditions, ", "))
	case b.Lon == nil || math.IsNaN(*b.Lon) || *b.Lon < -180 || *b.Lon > 180:
		return api.BadRequest("lon", "required, a longitude in [-180, 180] (WGS84)")
	case b.Lat == nil || math.IsNaN(*b.Lat) || *b.Lat < -90 || *b.Lat > 90:
		return api.BadRequest("lat", "required, a latitude in [-90, 90] (WGS84)")
	}
	e := MarkerEdit{Kind: b.Kind, Condition: b.Condition, Lon: *b.Lon, Lat: *b.Lat, Photos: b.Photos, Notes: strings.TrimSpace(b.Notes)}
	if e.InstalledOn, err = optDate("installed_on", b.InstalledOn); err != nil {
		return err
	}
	if e.LastInspected, err = optDate("last_inspected", b.LastInspected); err != nil {
		return err
	}
	m, err := s.UpdateMarker(r.Context(), id, b.Version, e)
	if errors.Is(err, pgx.ErrNoRows) {
		return api.NotFound("no marker %d", id)
	}
	if err != nil {
		return apiError(err)
	}
	return writeGeoJSON(w, markerFeature(m))
}

func (s *Store) handleRounds(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.Rounds(r.Context())
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []Round{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"rounds": rs})
}

func (s *Store) handleRound(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.Round(r.Context(), api.PathParam(r, "id"))
	if err != nil {
		return apiError(err)
	}
	if rd.Teams == nil {
		rd.Teams = []Team{}
	}
	return api.WriteJSON(w, http.StatusOK, rd)
}

// UnitCode turns a 2–12 digit division code into its 12-digit form and significant prefix
// (the digits of its level).
func UnitCode(v string) (code12, prefix string, err error) {
	if len(v) < 2 || len(v) > 12 || strings.Trim(v, "0123456789") != "" {
		return "", "", fmt.Errorf("%q is not a division code of 2–12 digits", v)
	}
	code12 = v + strings.Repeat("0", 12-len(v))
	prefix = strings.TrimRight(code12, "0")
	for _, n := range []int{2, 4, 6, 9, 12} {
		if len(prefix) <= n {
			prefix = code12[:n]
			break
		}
	}
	return code12, prefix, nil
}

func (s *Store) handleCreateRound(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name   string   `json:"name"`
		Year   int      `json:"year"`
		Unit   string   `json:"unit"`
		Lines  []string `json:"lines"`
		Status string   `json:"status"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	in := RoundInput{Name: b.Name, Year: b.Year, Lines: b.Lines, Status: b.Status}
	if in.Status != "" && !slices.Contains([]string{"planned", "open", "closed"}, in.Status) {
		return api.BadRequest("status", "must be planned, open or closed")
	}
	if b.Unit != "" {
		var err error
		if in.ScopeUnit, in.UnitPrefix, err = UnitCode(b.Unit); err != nil {
			return api.BadRequest("unit", "%v", err)
		}
	}
	rd, err := s.CreateRound(r.Context(), in)
	if err != nil {
		return apiError(err)
	}
	w.Header().Set("Location", "/api/boundary/rounds/"+strconv.FormatInt(rd.ID, 10))
	return api.WriteJSON(w, http.StatusCreated, rd)
}

func (s *Store) handleCreateTeam(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.Round(r.Context(), api.PathParam(r, "id"))
	if err != nil {
		return apiError(err)
	}
	var b struct {
		Name   string   `json:"name"`
		Leader string   `json:"leader"`
		Lines  []string `json:"lines"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	t, err := s.CreateTeam(r.Context(), rd.ID, TeamInput{Name: b.Name, Leader: strings.TrimSpace(b.Leader), Lines: b.Lines})
	if err != nil {
		return apiError(err)
	}
	return api.WriteJSON(w, http.StatusCreated, t)
}

func parseCRSParam(r *http.Request) (geo.CRS, error) {
	v := r.URL.Query().Get("crs")
	if v == "" {
		return geo.WGS84, nil
	}
	c, err := geo.ParseCRS(v)
	if err != nil || (c != geo.WGS84 && c != geo.GCJ02) {
		return 0, api.BadRequest("crs", "must be wgs84 or gcj02, not %q", v)
	}
	return c, nil
}

func (s *Store) handlePackage(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.Round(r.Context(), api.PathParam(r, "id"))
	if err != nil {
		return apiError(err)
	}
	teamID, err := s.TeamID(r.Context(), rd.ID, api.PathParam(r, "team"))
	if err != nil {
		return apiError(err)
	}
	crs, err := parseCRSParam(r)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "fangyuan-package-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	man, err := s.WritePackage(r.Context(), rd.ID, teamID, crs, dir)
	if err != nil {
		return apiError(err)
	}
	prefix := fmt.Sprintf("package-%d", man.PackageID)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.zip"`, prefix))
	w.Header().Set("X-Package-Id", strconv.FormatInt(man.PackageID, 10))
	return ZipDir(w, dir, prefix, man.ExportedAt)
}

// FindingsResponse is the answer to a findings upload.
type FindingsResponse struct {
	Source   string   `json:"source"`
	Read     int      `json:"read"`
	Skipped  int      `json:"skipped"`
	Rejected []string `json:"rejected"`
	FindingsResult
}

func (s *Store) handleFindings(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.Round(r.Context(), api.PathParam(r, "id"))
	if err != nil {
		return apiError(err)
	}
	q := r.URL.Query()
	var teamID int64
	if v := q.Get("team"); v != "" {
		if teamID, err = s.TeamID(r.Context(), rd.ID, v); err != nil {
			return apiError(err)
		}
	}
	crs, err := parseCRSParam(r)
	if err != nil {
		return err
	}
	skip, err := api.QueryBool(r, "skip_invalid")
	if err != nil {
		return err
	}
	fm := q.Get("format")
	if fm == "" {
		if strings.Contains(r.Header.Get("Content-Type"), "csv") {
			fm = "csv"
		} else {
			fm = "geojson"
		}
	}
	if fm != "csv" && fm != "geojson" {
		return api.BadRequest("format", "must be geojson or csv")
	}
	name := path.Base(q.Get("name"))
	if q.Get("name") == "" {
		name = "findings." + fm
	}
	if path.Ext(name) != "."+fm {
		name += "." + fm
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFindingsBytes+1))
	if err != nil {
		return api.BadRequest("body", "%v", err)
	}
	if len(body) > MaxFindingsBytes {
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("a findings file may have at most %d bytes", MaxFindingsBytes)}
	}
	res, err := parse.ReadFindings(fstest.MapFS{name: {Data: body}}, name, parse.FindingOptions{CRS: crs})
	if err != nil {
		return api.BadRequest("body", "%v", err)
	}
	rows := make([]FindingInput, len(res.Rows))
	for i, f := range res.Rows {
		rows[i] = FindingInput{Line: f.Line, Feature: f.Feature, Number: f.Number, Condition: f.Condition, HasPoint: f.HasPoint,
			Lon: f.Lon, Lat: f.Lat, Notes: f.Notes, Photos: f.Photos, Inspector: f.Inspector, InspectedOn: f.InspectedOn, Version: f.Version}
	}
	out := FindingsResponse{Source: name, Read: len(res.Rows) + len(res.Rejects) + res.Skipped, Skipped: res.Skipped, Rejected: []string{}}
	for _, rj := range res.Rejects {
		out.Rejected = append(out.Rejected, rj.Err.Error())
	}
	err = pgx.BeginFunc(r.Context(), s.pool, func(tx pgx.Tx) error {
		fr, problems, err := s.ImportFindings(r.Context(), tx, rd.ID, teamID, rows, name)
		if err != nil {
			return err
		}
		out.FindingsResult = fr
		for _, p := range problems {
			e := parse.Error{File: name, Line: p.Line, Feature: p.Feature, Field: p.Field, Reason: p.Reason}
			out.Rejected = append(out.Rejected, e.Error())
		}
		if len(out.Rejected) > 0 && !skip {
			return &api.Error{Status: http.StatusBadRequest, Code: "invalid_rows",
				Message: fmt.Sprintf("%d invalid row(s); nothing was imported (skip_invalid=true imports the good ones)", len(out.Rejected)),
				Details: out.Rejected}
		}
		return auth.Record(r.Context(), tx, auth.Entry{Action: "import", Entity: "inspection_finding", Key: name,
			Detail: map[string]any{"round": rd.Name, "applied": fr.Applied, "unchanged": fr.Unchanged, "conflicts": len(fr.Conflicts), "rejected": len(out.Rejected)}})
	})
	if err != nil {
		return apiError(err)
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

func (s *Store) handleSummary(w http.ResponseWriter, r *http.Request) error {
	rd, err := s.Round(r.Context(), api.PathParam(r, "id"))
	if err != nil {
		return apiError(err)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="round-%d-summary.xlsx"`, rd.ID))
	return s.WriteSummaryXLSX(r.Context(), w, rd.ID)
}

func (s *Store) handleDerive(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Level     string  `json:"level"`
		Within    string  `json:"within"`
		Tolerance float64 `json:"tolerance"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	lv, ok := levelByName[b.Level]
	if !ok {
		return api.BadRequest("level", "must be province, prefecture, county, township or village")
	}
	_, prefix, err := UnitCode(b.Within)
	if err != nil {
		return api.BadRequest("within", "%v", err)
	}
	var out map[string]any
	err = pgx.BeginFunc(r.Context(), s.pool, func(tx pgx.Tx) error {
		res, err := s.DeriveLines(r.Context(), tx, DeriveOptions{Level: lv, UnitPrefix: prefix, ToleranceM: b.Tolerance}, "api:derive")
		if err != nil {
			return err
		}
		if len(res.Problems) > 0 {
			return &api.Error{Status: http.StatusUnprocessableEntity, Code: "derive_failed", Message: "some derived lines cannot be stored", Details: res.Problems}
		}
		found := make([]map[string]any, len(res.Findings))
		for i, f := range res.Findings {
			found[i] = findingProps(f, b.Level)
		}
		out = map[string]any{"level": b.Level, "within": prefix, "units": res.Units, "lines": res.Lines,
			"inserted": res.Changes.Inserted, "updated": res.Changes.Updated, "unchanged": res.Changes.Unchanged, "findings": found}
		return auth.Record(r.Context(), tx, auth.Entry{Action: "derive", Entity: "boundary_line", Key: b.Level + "/" + prefix,
			Detail: map[string]any{"lines": res.Lines, "inserted": res.Changes.Inserted, "updated": res.Changes.Updated, "unchanged": res.Changes.Unchanged, "findings": len(found)}})
	})
	if err != nil {
		return apiError(err)
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

// topologyQuery reads level, within (required when required) and tolerance.
func topologyQuery(r *http.Request, needWithin bool) (DeriveOptions, string, error) {
	q := r.URL.Query()
	var o DeriveOptions
	name := q.Get("level")
	lv, ok := levelByName[name]
	if !ok {
		return o, "", api.BadRequest("level", "must be province, prefecture, county, township or village")
	}
	o.Level = lv
	if v := q.Get("within"); v != "" || needWithin {
		_, prefix, err := UnitCode(v)
		if err != nil {
			return o, "", api.BadRequest("within", "%v", err)
		}
		o.UnitPrefix = prefix
	}
	if v := q.Get("tolerance"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || !(t > 0) || t > 10000 {
			return o, "", api.BadRequest("tolerance", "must be 0–10000 metres")
		}
		o.ToleranceM = t
	}
	return o, name, nil
}

// findingProps are the properties of a topology finding.
func findingProps(f topology.Finding, level string) map[string]any {
	p := map[string]any{"kind": f.Kind, "codes": f.Codes, "level": level,
		"area_m2": math.Round(f.AreaM2*10) / 10, "width_m": math.Round(f.WidthM*10) / 10}
	if f.Of != "" {
		p["of"] = f.Of
	}
	return p
}

func writeFindings(w http.ResponseWriter, findings []topology.Finding, level string) error {
	fc := geojson.NewFeatureCollection()
	for _, f := range findings {
		ft := geojson.NewFeature(f.Geom)
		ft.Properties = findingProps(f, level)
		fc.Append(ft)
	}
	data, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, err = w.Write(data)
	return err
}

func (s *Store) handleTopology(w http.ResponseWriter, r *http.Request) error {
	o, level, err := topologyQuery(r, true)
	if err != nil {
		return err
	}
	findings, _, err := s.CheckTopology(r.Context(), o)
	if err != nil {
		return apiError(err)
	}
	return writeFindings(w, findings, level)
}

// MaxTopologyBytes bounds an uploaded GeoJSON for the topology check.
const MaxTopologyBytes = 32 << 20

func (s *Store) handleTopologyCheck(w http.ResponseWriter, r *http.Request) error {
	o, level, err := topologyQuery(r, false)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxTopologyBytes+1))
	if err != nil {
		return err
	}
	if len(body) > MaxTopologyBytes {
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("a file may have at most %d bytes", MaxTopologyBytes)}
	}
	name := path.Base(r.URL.Query().Get("name"))
	if name == "." || name == "/" || name == "" {
		name = "upload.geojson"
	}
	if path.Ext(name) != ".geojson" && path.Ext(name) != ".json" {
		name += ".geojson"
	}
	res, err := parse.ReadBoundaries(fstest.MapFS{name: {Data: body}}, name, parse.BoundaryOptions{CodeField: r.URL.Query().Get("code_field")})
	if err != nil {
		return api.BadRequest("body", "%v", err)
	}
	if len(res.Rejects) > 0 {
		msgs := make([]string, 0, len(res.Rejects))
		for _, rj := range res.Rejects {
			msgs = append(msgs, rj.Err.Error())
		}
		return &api.Error{Status: http.StatusBadRequest, Code: "bad_features", Message: fmt.Sprintf("%d bad feature(s)", len(msgs)), Details: msgs}
	}
	if len(res.Features) == 0 {
		return api.BadRequest("body", "%s: no features", name)
	}
	units := make([]topology.Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = topology.Unit{Code: f.Code, Name: f.Name, Geom: f.Geometry, Parent: strings.TrimSpace(f.Props["parent_code"])}
	}
	findings, err := s.CheckUploaded(r.Context(), units, o, o.UnitPrefix != "")
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return apiError(err)
		}
		if errors.Is(err, context.Canceled) {
			return err
		}
		return api.BadRequest("body", "%s: %v", name, err)
	}
	return writeFindings(w, findings, level)
}
