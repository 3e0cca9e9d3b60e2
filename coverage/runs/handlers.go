package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"fangyuan/coverage/report"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the coverage run endpoints.
func (s *Service) Routes() []api.Route {
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	return append([]api.Route{
		{Method: http.MethodGet, Path: "/api/coverage/standards", Tag: "coverage", Summary: "The service standards (服务标准) runs use", Handler: s.handleStandards},
		{Method: http.MethodPost, Path: "/api/coverage/runs", Tag: "coverage", Role: string(auth.Planner),
			Summary:     "Start a coverage run (202; poll GET /api/coverage/runs/{id} for progress)",
			Description: "kind is required; radius_m, grid_id, layer and as_of default to the kind's standard, the newest grid, the kind's layer and today.",
			Body:        `{"kind": "eldercare_center", "radius_m": 2000, "grid_id": 1, "layer": "age60plus", "as_of": "2023-06-30"}`,
			Handler:     s.handleStart},
		{Method: http.MethodGet, Path: "/api/coverage/runs", Tag: "coverage", Summary: "Coverage runs, newest first",
			Params: []api.Param{{Name: "kind", In: "query", Type: "string"}, {Name: "status", In: "query", Type: "string", Enum: []string{"queued", "running", "done", "failed"}},
				{Name: "limit", In: "query", Type: "integer", Description: "1–500, default 50"}},
			Handler: s.handleList},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}", Tag: "coverage", Summary: "A run: parameters, status and progress, summary",
			Params: []api.Param{id}, Handler: s.handleGet},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/townships", Tag: "coverage", Summary: "Per-township results (table)",
			Params: []api.Param{id}, Handler: s.units(4, false)},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/villages", Tag: "coverage", Summary: "Per-village results (table)",
			Params: []api.Param{id}, Handler: s.units(5, false)},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/counties", Tag: "coverage", Summary: "Per-county results (table)",
			Params: []api.Param{id}, Handler: s.units(3, false)},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/prefectures", Tag: "coverage", Summary: "Per-prefecture (地级市) results (table; kinds with a prefecture presence rule only)",
			Params: []api.Param{id}, Handler: s.units(2, false)},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/gaps", Tag: "coverage", Summary: "Flagged townships, ranked by uncovered population",
			Params: []api.Param{id}, Handler: s.handleGaps},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/townships.geojson", Tag: "coverage", Summary: "Per-township results with polygons",
			Params: []api.Param{id}, Produces: []string{"application/geo+json"}, Handler: s.handleGeoJSON},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/minutes.tif", Tag: "coverage", Summary: "Per-cell travel time of a travel-time run (GeoTIFF, float32 minutes, -1 where not reached)",
			Params: []api.Param{id}, Produces: []string{"image/tiff"}, Handler: s.handleMinutesTIFF},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/minutes.png", Tag: "coverage", Summary: "Per-cell travel time as a coloured PNG over the grid (the map's high-zoom layer; extent in X-Fangyuan-Bounds)",
			Params: []api.Param{id}, Produces: []string{"image/png"}, Handler: s.handleMinutesPNG},
		{Method: http.MethodGet, Path: "/api/facilities/{id}/isochrone", Tag: "coverage", Summary: "A facility's isochrone (等时圈): what it reaches over the road network in minutes, as a GeoJSON polygon",
			Description: IsochroneMethod + ". minutes defaults to the kind's travel minutes.",
			Params:      []api.Param{{Name: "id", In: "path", Type: "integer"}, {Name: "minutes", In: "query", Type: "number", Description: "(0, 240]; default the kind's travel minutes", Example: "15"}},
			Produces:    []string{"application/geo+json"}, Handler: s.handleIsochrone},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}.csv", Tag: "coverage", Summary: "Township table as CSV (UTF-8 with BOM, opens in Excel)",
			Params: []api.Param{id}, Produces: []string{"text/csv"}, Handler: s.download("csv", "text/csv; charset=utf-8")},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}.xlsx", Tag: "coverage", Summary: "Report as XLSX (townships, ranked gaps, facilities)",
			Params: []api.Param{id}, Produces: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
			Handler: s.download("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
	}, s.reportRoutes()...)
}

func (s *Service) handleStandards(w http.ResponseWriter, r *http.Request) error {
	return api.WriteJSON(w, http.StatusOK, s.standards)
}

func (s *Service) handleStart(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Kind    string  `json:"kind"`
		RadiusM float64 `json:"radius_m"`
		GridID  int64   `json:"grid_id"`
		Layer   string  `json:"layer"`
		AsOf    string  `json:"as_of"`
		Reach   string  `json:"reach"` // straight (default) | travel
	}
	if err := api.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Kind == "" {
		return api.BadRequest("kind", "required (GET /api/coverage/standards lists the kinds)")
	}
	for _, f := range [][2]string{{"kind", body.Kind}, {"layer", body.Layer}, {"as_of", body.AsOf}, {"reach", body.Reach}} {
		if err := api.CheckText(f[0], f[1], limits.Name); err != nil {
			return err
		}
	}
	p := Params{Kind: body.Kind, RadiusM: body.RadiusM, GridID: body.GridID, Layer: body.Layer, Reach: body.Reach}
	if body.AsOf != "" {
		t, err := time.Parse(time.DateOnly, body.AsOf)
		if err != nil {
			return api.BadRequest("as_of", "must be a date YYYY-MM-DD, not %q", body.AsOf)
		}
		p.AsOf = t
	}
	run, err := s.Start(r.Context(), p)
	if errors.Is(err, ErrBadParams) {
		return paramError(err)
	}
	if errors.Is(err, ErrQueueFull) {
		return &api.Error{Status: http.StatusTooManyRequests, Code: "queue_full", Message: err.Error(), RetryAfter: 30}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/coverage/runs/%d", run.ID))
	return api.WriteJSON(w, http.StatusAccepted, run)
}

// paramError turns "bad run parameters: field: reason" into a 400 naming the field.
func paramError(err error) error {
	msg := err.Error()
	prefix := ErrBadParams.Error() + ": "
	if len(msg) > len(prefix) {
		msg = msg[len(prefix):]
	}
	for _, f := range []string{"kind", "radius_m", "grid_id", "layer", "reach"} {
		if len(msg) > len(f)+2 && msg[:len(f)+2] == f+": " {
			return api.BadRequest(f, "%s", msg[len(f)+2:])
		}
	}
	return api.BadRequest("body", "%s", msg)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	limit, err := api.QueryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if k := q.Get("kind"); k != "" {
		if _, err := s.standards.Kind(k); err != nil {
			return api.BadRequest("kind", "%v", err)
		}
	}
	switch q.Get("status") {
	case "", "queued", "running", "done", "failed":
	default:
		return api.BadRequest("status", "must be queued, running, done or failed")
	}
	list, err := s.List(r.Context(), q.Get("kind"), q.Get("status"), limit)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"runs": list})
}

func runID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.BadRequest("id", "must be a positive integer")
	}
	return id, nil
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) error {
	id, err := runID(r)
	if err != nil {
		return err
	}
	run, err := s.Get(r.Context(), id)
	if err != nil {
		return api.NotFoundIf(err, "no coverage run %d", id)
	}
	return api.WriteJSON(w, http.StatusOK, run)
}

// finished returns run id if it is done, else a 404 or 409 saying why not.
func (s *Service) finished(r *http.Request) (Run, error) {
	id, err := runID(r)
	if err != nil {
		return Run{}, err
	}
	run, err := s.Get(r.Context(), id)
	if err != nil {
		return run, api.NotFoundIf(err, "no coverage run %d", id)
	}
	if run.Status != "done" {
		return run, api.Conflict("coverage run %d is %s (%s); results exist only for finished runs", id, run.Status, run.Progress.Stage)
	}
	return run, nil
}

func (s *Service) units(level int16, ranked bool) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// A national report takes longer to build and send than the server's write timeout.
		if err := api.ExtendDeadlines(w, downloadTimeout); err != nil {
			return err
		}
		run, err := s.finished(r)
		if err != nil {
			return err
		}
		items, err := s.Units(r.Context(), run.ID, level, ranked)
		if err != nil {
			return err
		}
		return api.WriteJSON(w, http.StatusOK, map[string]any{"run": run.ID, "kind": run.Kind, "layer": run.Layer, "items": items})
	}
}

func (s *Service) handleGaps(w http.ResponseWriter, r *http.Request) error {
	run, err := s.finished(r)
	if err != nil {
		return err
	}
	items, err := s.Units(r.Context(), run.ID, 4, true)
	if err != nil {
		return err
	}
	gaps := []UnitRow{}
	for _, u := range items {
		if u.Rank != nil {
			gaps = append(gaps, u)
		}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"run": run.ID, "kind": run.Kind, "layer": run.Layer, "items": gaps})
}

func (s *Service) handleGeoJSON(w http.ResponseWriter, r *http.Request) error {
	if err := api.ExtendDeadlines(w, downloadTimeout); err != nil {
		return err
	}
	run, err := s.finished(r)
	if err != nil {
		return err
	}
	rows, err := s.pool.Query(r.Context(), sqlRunUnitsGeoJSON, run.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	type feature struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	feats := []feature{}
	for rows.Next() {
		var (
			u                   UnitRow
			geom                []byte
			cmpCovered, cmpOnly *float64
		)
		if err := rows.Scan(&u.Code, &u.Name, &u.Population, &u.Covered, &u.Uncovered, &u.Share, &u.Facilities, &u.Flags, &u.Rank, &u.Detail,
			&cmpCovered, &cmpOnly, &geom); err != nil {
			return err
		}
		props := map[string]any{
			"code": u.Code, "name": u.Name, "population": u.Population, "covered": u.Covered, "uncovered": u.Uncovered,
			"share": u.Share, "facilities": u.Facilities, "flags": u.Flags, "rank": u.Rank, "detail": u.Detail,
			"kind": run.Kind, "layer": run.Layer, "run": run.ID, "reach": run.Reach,
		}
		// Travel-time runs: both measures side by side, flat (GIS tools read flat properties).
		if u.setMeasures(cmpCovered, cmpOnly); u.Measures != nil {
			m := u.Measures
			props["straight_covered"], props["straight_share"] = m.StraightCovered, m.StraightShare
			props["travel_covered"], props["travel_share"] = m.TravelCovered, m.TravelShare
			props["straight_only"] = m.StraightOnly
		}
		feats = append(feats, feature{Type: "Feature", Geometry: geom, Properties: props})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="coverage-%d-%s.geojson"`, run.ID, run.Kind))
	return api.WriteGeoJSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "run": run.ID, "kind": run.Kind, "features": feats})
}

// downloadTimeout is how long a report download may take to build and send.
const downloadTimeout = 10 * time.Minute

func (s *Service) download(format, contentType string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// A national report takes longer to build and send than the server's write timeout.
		if err := api.ExtendDeadlines(w, downloadTimeout); err != nil {
			return err
		}
		run, err := s.finished(r)
		if err != nil {
			return err
		}
		res, err := s.Result(r.Context(), run.ID)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="coverage-%d-%s.%s"`, run.ID, run.Kind, format))
		return report.Write(w, format, res)
	}
}
