package housenumber

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the house-number endpoints. divisionPrefix turns a division code into the
// significant prefix roads are selected by.
func (s *Store) Routes(divisionPrefix func(string) (string, error)) []api.Route {
	h := handlers{s, divisionPrefix}
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	ed := string(auth.NamesEditor)
	check := []api.Param{{Name: "within", In: "query", Type: "string", Required: true, Description: "division code (township, county …)", Example: "339901001"},
		{Name: "format", In: "query", Type: "string", Enum: []string{"json", "geojson", "xlsx"}}}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/numbering-presets", Tag: "house numbers", Summary: "Numbering presets (门牌编号规则)", Handler: h.presets},
		{Method: http.MethodGet, Path: "/api/roads/townships", Tag: "house numbers", Summary: "Townships holding roads, with their road and house-number counts",
			Params: []api.Param{{Name: "within", In: "query", Type: "string", Description: "division code (county …); all when omitted", Example: "339901"}}, Handler: h.townships},
		{Method: http.MethodGet, Path: "/api/roads/{id}/numbers", Tag: "house numbers", Summary: "A road's rule and house numbers along it",
			Params: []api.Param{id, {Name: "all", In: "query", Type: "boolean", Description: "include retired numbers"}}, Handler: h.numbers},
		{Method: http.MethodGet, Path: "/api/roads/{id}/suggest", Tag: "house numbers", Summary: "Suggest the house number of a new building at a point",
			Params: []api.Param{id, {Name: "lon", In: "query", Type: "number", Required: true}, {Name: "lat", In: "query", Type: "number", Required: true}}, Handler: h.suggest},
		{Method: http.MethodPut, Path: "/api/roads/{id}/rule", Tag: "house numbers", Role: ed, Summary: "Set a road's numbering rule (override or preset)",
			Params: []api.Param{id}, Body: `{"version": 1, "origin": "start", "odd_side": "left", "one_sided": false, "metric": false, "step_m": 1} or {"version": 1, "preset": "beijing"}`, Handler: h.setRule},
		{Method: http.MethodPost, Path: "/api/housenumbers", Tag: "house numbers", Role: ed, Summary: "Assign a house number (number omitted: the suggestion)",
			Body: `{"road_id": 1, "number": 12, "suffix": "", "building": "3", "lon": 120.0, "lat": 28.25, "status": "active", "approval_no": "澄地名〔2026〕12号"}`, Handler: h.assign},
		{Method: http.MethodGet, Path: "/api/housenumbers/check", Tag: "house numbers", Summary: "Validation report of the house numbers within a division", Params: check,
			Produces: []string{"application/json", "application/geo+json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Handler: h.check("")},
		{Method: http.MethodGet, Path: "/api/housenumbers/check.geojson", Tag: "house numbers", Summary: "Validation report: the offenders as GeoJSON", Params: check[:1],
			Produces: []string{"application/geo+json"}, Handler: h.check("geojson")},
		{Method: http.MethodGet, Path: "/api/housenumbers/check.xlsx", Tag: "house numbers", Summary: "Validation report as a workbook", Params: check[:1],
			Produces: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Handler: h.check("xlsx")},
		{Method: http.MethodGet, Path: "/api/housenumbers/{id}", Tag: "house numbers", Summary: "A house number with its lineage", Params: []api.Param{id}, Handler: h.get},
		{Method: http.MethodPost, Path: "/api/housenumbers/{id}/retire", Tag: "house numbers", Role: ed, Summary: "Retire a house number",
			Params: []api.Param{id}, Body: `{"version": 1, "approval_no": "...", "note": "..."}`, Handler: h.retire},
		{Method: http.MethodPost, Path: "/api/housenumbers/{id}/activate", Tag: "house numbers", Role: ed, Summary: "Make a planned house number active",
			Params: []api.Param{id}, Body: `{"version": 1, "approval_no": "..."}`, Handler: h.activate},
		{Method: http.MethodPost, Path: "/api/housenumbers/{id}/renumber", Tag: "house numbers", Role: ed, Summary: "Renumber or move a house number (the successor links back)",
			Params: []api.Param{id}, Body: `{"version": 1, "number": 14, "lon": 120.0, "lat": 28.25, "approval_no": "..."}`, Handler: h.renumber},
	}
}

type handlers struct {
	s              *Store
	divisionPrefix func(string) (string, error)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.BadRequest("id", "must be a positive integer")
	}
	return id, nil
}

// mapErr turns the store's sentinel errors into HTTP errors.
func mapErr(err error) error {
	switch {
	case errors.Is(err, ErrVersionConflict):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrState):
		return api.Conflict("%v", err)
	}
	return err
}

func (h handlers) presets(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.s.Presets(r.Context())
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"presets": ps})
}

func (h handlers) road(r *http.Request) (Road, error) {
	id, err := pathID(r)
	if err != nil {
		return Road{}, err
	}
	rd, err := h.s.Road(r.Context(), id)
	return rd, api.NotFoundIf(mapErr(err), "no road %d", id)
}

func (h handlers) numbers(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.road(r)
	if err != nil {
		return err
	}
	all, err := api.QueryBool(r, "all")
	if err != nil {
		return err
	}
	hs, err := h.s.Numbers(r.Context(), rd, all)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"road": rd, "numbers": hs})
}

func queryPoint(r *http.Request) (orb.Point, error) {
	var p orb.Point
	for i, c := range []struct {
		name string
		max  float64
	}{{"lon", 180}, {"lat", 90}} {
		v, err := strconv.ParseFloat(r.URL.Query().Get(c.name), 64)
		if err != nil || v != v || v < -c.max || v > c.max {
			return p, api.BadRequest(c.name, "required, a number in [-%g, %g] (WGS84)", c.max, c.max)
		}
		p[i] = v
	}
	return p, nil
}

func (h handlers) suggest(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.road(r)
	if err != nil {
		return err
	}
	pt, err := queryPoint(r)
	if err != nil {
		return err
	}
	sg, err := h.s.suggestOn(r.Context(), h.s.pool, rd, pt)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, sg)
}

func (h handlers) setRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in RuleInput
	if err := api.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Preset == "" && !in.FollowDefault {
		if in.Origin != "start" && in.Origin != "end" {
			return api.BadRequest("origin", "must be start or end (or give a preset)")
		}
		if in.OddSide != "left" && in.OddSide != "right" {
			return api.BadRequest("odd_side", "must be left or right")
		}
		if in.StepM == 0 {
			in.StepM = 1
		}
		if in.StepM < 0 || in.StepM > 1000 || in.StepM != in.StepM {
			return api.BadRequest("step_m", "must be in (0, 1000]")
		}
	}
	if err := api.CheckText("preset", in.Preset, limits.Name); err != nil {
		return err
	}
	rd, err := h.s.SetRule(r.Context(), id, in)
	if err != nil {
		if errors.Is(err, ErrState) {
			return api.BadRequest("preset", "%v", err)
		}
		return api.NotFoundIf(mapErr(err), "no road %d", id)
	}
	return api.WriteJSON(w, http.StatusOK, rd)
}

func checkCoord(lon, lat float64) error {
	if lon != lon || lon < -180 || lon > 180 || lon == 0 && lat == 0 {
		return api.BadRequest("lon", "required, a longitude in [-180, 180] (WGS84)")
	}
	if lat != lat || lat < -90 || lat > 90 {
		return api.BadRequest("lat", "required, a latitude in [-90, 90] (WGS84)")
	}
	return nil
}

func checkHouseText(number int, suffix, building, unit, room, approval, note string) error {
	if number < 0 || number > limits.MaxInt32 {
		return api.BadRequest("number", "must be a positive integer")
	}
	if !slices.Contains(Suffixes, suffix) {
		return api.BadRequest("suffix", "must be one of %s (or empty)", strings.Join(Suffixes[1:], ", "))
	}
	for _, c := range []struct {
		f, v string
		max  int
	}{{"building", building, limits.Name}, {"unit", unit, limits.Name}, {"room", room, limits.Name}, {"approval_no", approval, limits.Name}, {"note", note, limits.Note}} {
		if err := api.CheckText(c.f, c.v, c.max); err != nil {
			return err
		}
	}
	return nil
}

func (h handlers) assign(w http.ResponseWriter, r *http.Request) error {
	var in AssignInput
	if err := api.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.Source = ""
	if in.RoadID <= 0 {
		return api.BadRequest("road_id", "required")
	}
	if err := checkCoord(in.Lon, in.Lat); err != nil {
		return err
	}
	if in.Status != "" && in.Status != "planned" && in.Status != "active" {
		return api.BadRequest("status", "must be planned or active")
	}
	if err := checkHouseText(in.Number, in.Suffix, in.Building, in.Unit, in.Room, in.ApprovalNo, in.Note); err != nil {
		return err
	}
	if _, err := h.s.Road(r.Context(), in.RoadID); err != nil {
		return api.NotFoundIf(err, "no road %d", in.RoadID)
	}
	out, err := h.s.Assign(r.Context(), in)
	if err != nil {
		return mapErr(err)
	}
	return api.WriteJSON(w, http.StatusCreated, out)
}

func (h handlers) get(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	hn, err := h.s.Get(r.Context(), id)
	if err != nil {
		return api.NotFoundIf(err, "no house number %d", id)
	}
	pred, succ, err := h.s.Lineage(r.Context(), id)
	if err != nil {
		return err
	}
	if pred == nil {
		pred = []House{}
	}
	if succ == nil {
		succ = []House{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"house_number": hn, "predecessors": pred, "successors": succ})
}

func (h handlers) change(r *http.Request) (int64, ChangeInput, error) {
	var in ChangeInput
	id, err := pathID(r)
	if err != nil {
		return 0, in, err
	}
	if err := api.DecodeJSON(r, &in); err != nil {
		return 0, in, err
	}
	if in.Version <= 0 {
		return 0, in, api.BadRequest("version", "required: the version you read")
	}
	suffix := ""
	if in.Suffix != nil {
		suffix = *in.Suffix
	}
	if err := checkHouseText(in.Number, suffix, "", "", "", in.ApprovalNo, in.Note); err != nil {
		return 0, in, err
	}
	if (in.Lon == nil) != (in.Lat == nil) {
		return 0, in, api.BadRequest("lon", "give both lon and lat, or neither")
	}
	if in.Lon != nil {
		if err := checkCoord(*in.Lon, *in.Lat); err != nil {
			return 0, in, err
		}
	}
	return id, in, nil
}

func (h handlers) retire(w http.ResponseWriter, r *http.Request) error {
	id, in, err := h.change(r)
	if err != nil {
		return err
	}
	out, err := h.s.Retire(r.Context(), id, in)
	if err != nil {
		return api.NotFoundIf(mapErr(err), "no house number %d", id)
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

func (h handlers) activate(w http.ResponseWriter, r *http.Request) error {
	id, in, err := h.change(r)
	if err != nil {
		return err
	}
	out, err := h.s.Activate(r.Context(), id, in)
	if err != nil {
		return api.NotFoundIf(mapErr(err), "no house number %d", id)
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

func (h handlers) renumber(w http.ResponseWriter, r *http.Request) error {
	id, in, err := h.change(r)
	if err != nil {
		return err
	}
	old, succ, err := h.s.Renumber(r.Context(), id, in)
	if err != nil {
		return api.NotFoundIf(mapErr(err), "no house number %d", id)
	}
	return api.WriteJSON(w, http.StatusCreated, map[string]any{"predecessor": old, "house_number": succ})
}

func (h handlers) check(format string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		within := r.URL.Query().Get("within")
		if within == "" {
			return api.BadRequest("within", "required: a division code")
		}
		prefix, err := h.divisionPrefix(within)
		if err != nil {
			return api.BadRequest("within", "%v", err)
		}
		f := format
		if f == "" {
			f = r.URL.Query().Get("format")
		}
		if f != "" && f != "json" && f != "geojson" && f != "xlsx" {
			return api.BadRequest("format", "must be json, geojson or xlsx")
		}
		rep, err := h.s.Check(r.Context(), prefix)
		if err != nil {
			return err
		}
		rep.Within = within
		switch f {
		case "geojson":
			return api.WriteGeoJSON(w, http.StatusOK, rep.GeoJSON())
		case "xlsx":
			w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			w.Header().Set("Content-Disposition", `attachment; filename="housenumbers-`+within+`.xlsx"`)
			return WriteXLSX(w, rep)
		}
		return api.WriteJSON(w, http.StatusOK, rep)
	}
}
