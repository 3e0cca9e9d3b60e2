package gazetteer

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the gazetteer's HTTP endpoints.
func (s *Store) Routes() []api.Route {
	asOf := api.Param{Name: "asOf", In: "query", Type: "string", Description: "date YYYY-MM-DD; the units valid on that day (default today)", Example: "2023-06-30"}
	paging := []api.Param{
		{Name: "limit", In: "query", Type: "integer", Description: "1–5000, default 500"},
		{Name: "offset", In: "query", Type: "integer", Description: "default 0"},
	}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/divisions", Tag: "divisions", Summary: "List divisions (行政区划) by parent and level",
			Description: "Without parent or level, the provinces. parent takes a 2/4/6/9/12-digit code.",
			Params: append([]api.Param{
				{Name: "parent", In: "query", Type: "string", Example: "3311"},
				{Name: "level", In: "query", Type: "string", Enum: []string{"province", "prefecture", "county", "township", "village"}},
				asOf,
			}, paging...), Handler: s.handleListDivisions},
		{Method: http.MethodGet, Path: "/api/divisions/{code}", Tag: "divisions", Summary: "One division with its admin chain; geometry as GeoJSON on request",
			Params: []api.Param{{Name: "code", In: "path", Type: "string", Example: "331102"}, asOf,
				{Name: "geometry", In: "query", Type: "boolean", Description: "include the boundary as GeoJSON"}},
			Handler: s.handleGetDivision},
		{Method: http.MethodPatch, Path: "/api/divisions/{code}", Tag: "divisions", Role: string(auth.NamesEditor),
			Summary: "Set a division's official pinyin and aliases (optimistic locking by version)",
			Params:  []api.Param{{Name: "code", In: "path", Type: "string"}},
			Body:    `{"version": 1, "pinyin": "Lishui Shi", "aliases": ["处州"]}`, Handler: s.handlePatchDivision},
		{Method: http.MethodGet, Path: "/api/roads", Tag: "roads", Summary: "List roads with their numbering rule",
			Params: append([]api.Param{
				{Name: "within", In: "query", Type: "string", Description: "division code; roads of that unit and below"},
				{Name: "bbox", In: "query", Type: "string", Example: "119.6,28.0,120.2,28.5"},
			}, paging...), Handler: s.handleListRoads},
	}
}

// parseCodeParam turns a 2–12 digit code parameter into its 12-digit form.
func parseCodeParam(field, v string) (string, Level, error) {
	code, lvl, err := PadCode(v)
	if err != nil {
		return "", 0, api.BadRequest(field, "%v", err)
	}
	return code, lvl, nil
}

func (s *Store) handleListDivisions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f ListFilter
	var err error
	if v := q.Get("parent"); v != "" {
		if f.Parent, _, err = parseCodeParam("parent", v); err != nil {
			return err
		}
	}
	if v := q.Get("level"); v != "" {
		if f.Level, err = ParseLevel(v); err != nil {
			return api.BadRequest("level", "%v", err)
		}
	}
	if f.Parent == "" && f.Level == 0 {
		f.Level = Province
	}
	if f.AsOf, err = api.QueryDate(r, "asOf"); err != nil {
		return err
	}
	if f.Limit, err = api.QueryInt(r, "limit", 500, 1, 5000); err != nil {
		return err
	}
	if f.Offset, err = api.QueryInt(r, "offset", 0, 0, 1<<30); err != nil {
		return err
	}
	items, total, err := s.ListDivisions(r.Context(), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []Division{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": total, "limit": f.Limit, "offset": f.Offset})
}

func (s *Store) handleGetDivision(w http.ResponseWriter, r *http.Request) error {
	code, _, err := parseCodeParam("code", api.PathParam(r, "code"))
	if err != nil {
		return err
	}
	asOf, err := api.QueryDate(r, "asOf")
	if err != nil {
		return err
	}
	withGeom, err := api.QueryBool(r, "geometry")
	if err != nil {
		return err
	}
	d, err := s.GetDivision(r.Context(), code, asOf, withGeom)
	if err != nil {
		return api.NotFoundIf(err, "no division %s valid on that date", code)
	}
	return api.WriteJSON(w, http.StatusOK, d)
}

func (s *Store) handlePatchDivision(w http.ResponseWriter, r *http.Request) error {
	code, _, err := parseCodeParam("code", api.PathParam(r, "code"))
	if err != nil {
		return err
	}
	var p NamesPatch
	if err := api.DecodeJSON(r, &p); err != nil {
		return err
	}
	if p.Version <= 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	if err := api.CheckInt("version", int64(p.Version), 1, limits.MaxInt32); err != nil {
		return err
	}
	if p.Pinyin != nil {
		if err := api.CheckText("pinyin", *p.Pinyin, limits.Name); err != nil {
			return err
		}
	}
	if p.Aliases != nil {
		if n := len(*p.Aliases); n > limits.MaxAliases {
			return api.BadRequest("aliases", "%d aliases; at most %d are allowed", n, limits.MaxAliases)
		}
		for i, a := range *p.Aliases {
			if strings.TrimSpace(a) == "" {
				return api.BadRequest("aliases", "alias %d is empty", i+1)
			}
			if err := api.CheckText(fmt.Sprintf("aliases[%d]", i), a, limits.Name); err != nil {
				return err
			}
		}
	}
	d, err := s.UpdateDivisionNames(r.Context(), code, p)
	if errors.Is(err, ErrVersionConflict) {
		return api.Conflict("%v", err)
	}
	if err != nil {
		return api.NotFoundIf(err, "no current division %s", code)
	}
	return api.WriteJSON(w, http.StatusOK, d)
}

func (s *Store) handleListRoads(w http.ResponseWriter, r *http.Request) error {
	var f RoadFilter
	if v := r.URL.Query().Get("within"); v != "" {
		code, lvl, err := parseCodeParam("within", v)
		if err != nil {
			return err
		}
		f.AdminPrefix = ShortCode(code, lvl)
	}
	bbox, ok, err := api.QueryBBox(r, "bbox")
	if err != nil {
		return err
	}
	if ok {
		f.BBox = &bbox
	}
	if f.Limit, err = api.QueryInt(r, "limit", 500, 1, 5000); err != nil {
		return err
	}
	if f.Offset, err = api.QueryInt(r, "offset", 0, 0, 1<<30); err != nil {
		return err
	}
	roads, total, err := s.ListRoads(r.Context(), f)
	if err != nil {
		return err
	}
	if roads == nil {
		roads = []Road{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"items": roads, "total": total})
}
