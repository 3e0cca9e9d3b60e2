package scenario

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"fangyuan/coverage/runs"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the scenario endpoints.
func (s *Service) Routes() []api.Route {
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	eid := api.Param{Name: "eid", In: "path", Type: "integer"}
	return []api.Route{
		{Method: http.MethodPost, Path: "/api/scenarios", Tag: "coverage", Role: string(auth.Planner),
			Summary:     "Create a what-if scenario (规划情景) of a facility kind",
			Description: "base_run, when given, supplies the grid, layer, radius, date and reach (straight line or travel time over the stored roads); else the kind's defaults. The stored facilities are never changed.",
			Body:        `{"name": "新增两处养老服务中心", "kind": "eldercare_center", "base_run": 1}`,
			Handler:     s.handleCreate},
		{Method: http.MethodGet, Path: "/api/scenarios", Tag: "coverage", Summary: "Scenarios, newest first",
			Params:  []api.Param{{Name: "kind", In: "query", Type: "string"}, {Name: "limit", In: "query", Type: "integer", Description: "1–500, default 50"}},
			Handler: s.handleList},
		{Method: http.MethodGet, Path: "/api/scenarios/{id:[0-9]+}", Tag: "coverage",
			Summary: "A scenario computed: township results and gaps with its edits applied, and the difference against the base",
			Params:  []api.Param{id}, Handler: s.handleGet},
		{Method: http.MethodPost, Path: "/api/scenarios/{id:[0-9]+}/edits", Tag: "coverage", Role: string(auth.Planner),
			Summary:     "Add an edit: add a planned facility, move, close, change beds (201 with the edit and the scenario computed)",
			Description: "op add needs lon, lat (name, beds optional); move needs lon, lat; beds needs beds; move, close and beds name facility (a stored facility's id) or edit (the add edit of a planned facility).",
			Body:        `{"op": "add", "lon": 119.5, "lat": 28.2, "name": "规划养老服务中心", "beds": 40}`,
			Params:      []api.Param{id}, Handler: s.handleAddEdit},
		{Method: http.MethodDelete, Path: "/api/scenarios/{id:[0-9]+}/edits/{eid:[0-9]+}", Tag: "coverage", Role: string(auth.Planner),
			Summary: "Undo an edit (and the edits on the facility it added); answers the scenario computed",
			Params:  []api.Param{id, eid}, Handler: s.handleDeleteEdit},
	}
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(api.PathParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.BadRequest(name, "must be a positive integer")
	}
	return id, nil
}

// httpError turns validation errors into 400s naming the field.
func httpError(err error) error {
	for _, prefix := range []error{ErrBad, runs.ErrBadParams} {
		if !errors.Is(err, prefix) {
			continue
		}
		msg := strings.TrimPrefix(err.Error(), prefix.Error()+": ")
		if field, rest, ok := strings.Cut(msg, ": "); ok && !strings.Contains(field, " ") {
			return api.BadRequest(field, "%s", rest)
		}
		return api.BadRequest("body", "%s", msg)
	}
	return err
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		BaseRun *int64 `json:"base_run"`
	}
	if err := api.DecodeJSON(r, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Name) == "" {
		return api.BadRequest("name", "required")
	}
	for _, f := range [][2]string{{"name", body.Name}, {"kind", body.Kind}} {
		if err := api.CheckText(f[0], f[1], limits.Name); err != nil {
			return err
		}
	}
	if body.BaseRun != nil && *body.BaseRun <= 0 {
		return api.BadRequest("base_run", "must be a positive integer")
	}
	sc, err := s.Create(r.Context(), strings.TrimSpace(body.Name), body.Kind, body.BaseRun)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/scenarios/%d", sc.ID))
	return api.WriteJSON(w, http.StatusCreated, sc)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	limit, err := api.QueryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" {
		if _, err := s.runs.Standards().Kind(kind); err != nil {
			return api.BadRequest("kind", "%v", err)
		}
	}
	list, err := s.List(r.Context(), kind, limit)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"scenarios": list})
}

func (s *Service) compute(w http.ResponseWriter, r *http.Request, id int64, status int, extra map[string]any) error {
	v, err := s.Compute(r.Context(), id)
	if err != nil {
		return httpError(api.NotFoundIf(err, "no scenario %d", id))
	}
	if extra == nil {
		return api.WriteJSON(w, status, v)
	}
	extra["scenario"] = v
	return api.WriteJSON(w, status, extra)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.compute(w, r, id, http.StatusOK, nil)
}

func (s *Service) handleAddEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var e Edit
	var body struct {
		Op       string   `json:"op"`
		Facility *int64   `json:"facility"`
		Edit     *int64   `json:"edit"`
		Name     string   `json:"name"`
		Lon      *float64 `json:"lon"`
		Lat      *float64 `json:"lat"`
		Beds     *int     `json:"beds"`
	}
	if err := api.DecodeJSON(r, &body); err != nil {
		return err
	}
	if err := api.CheckText("name", body.Name, limits.Name); err != nil {
		return err
	}
	e = Edit{Op: body.Op, Facility: body.Facility, Target: body.Edit, Name: strings.TrimSpace(body.Name), Lon: body.Lon, Lat: body.Lat, Beds: body.Beds}
	saved, err := s.AddEdit(r.Context(), id, e)
	if errors.Is(err, pgx.ErrNoRows) {
		return api.NotFound("no scenario %d", id)
	}
	if err != nil {
		return httpError(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/scenarios/%d/edits/%d", id, saved.ID))
	return s.compute(w, r, id, http.StatusCreated, map[string]any{"edit": saved})
}

func (s *Service) handleDeleteEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	eid, err := pathID(r, "eid")
	if err != nil {
		return err
	}
	if err := s.DeleteEdit(r.Context(), id, eid); err != nil {
		return api.NotFoundIf(err, "scenario %d has no edit %d", id, eid)
	}
	return s.compute(w, r, id, http.StatusOK, nil)
}
