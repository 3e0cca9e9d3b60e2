package facility

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the facility endpoints. divisionCode turns a 2–12 digit division code into
// the significant prefix used to select facilities within it.
func (s *Store) Routes(divisionPrefix func(string) (string, error)) []api.Route {
	h := handlers{s, divisionPrefix}
	id := api.Param{Name: "id", In: "path", Type: "integer"}
	kindIDs := s.standards.IDs()
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/facility-kinds", Tag: "facilities", Summary: "The facility kinds (设施类型)", Handler: h.kinds},
		{Method: http.MethodGet, Path: "/api/facilities", Tag: "facilities", Summary: "Facilities as a GeoJSON FeatureCollection",
			Params: []api.Param{
				{Name: "kind", In: "query", Type: "string", Enum: kindIDs},
				{Name: "status", In: "query", Type: "string", Enum: Statuses},
				{Name: "within", In: "query", Type: "string", Description: "division code (2–12 digits): facilities in that unit", Example: "339901"},
				{Name: "bbox", In: "query", Type: "string", Description: "minLon,minLat,maxLon,maxLat", Example: "119.6,28.0,120.2,28.5"},
				{Name: "limit", In: "query", Type: "integer", Description: "1–10000, default 1000"},
				{Name: "offset", In: "query", Type: "integer"},
			}, Produces: []string{"application/geo+json"}, Handler: h.list},
		{Method: http.MethodGet, Path: "/api/facilities/{id}", Tag: "facilities", Summary: "One facility as a GeoJSON Feature",
			Params: []api.Param{id}, Produces: []string{"application/geo+json"}, Handler: h.get},
		{Method: http.MethodPost, Path: "/api/facilities", Tag: "facilities", Role: string(auth.Planner), Summary: "Add a facility",
			Body:    `{"kind": "eldercare_center", "ext_id": "EC-99", "name": "某街道居家养老服务中心", "lon": 119.9, "lat": 28.2, "status": "planned"}`,
			Handler: h.create},
		{Method: http.MethodPut, Path: "/api/facilities/{id}", Tag: "facilities", Role: string(auth.Planner), Summary: "Replace a facility's fields (optimistic locking by version)",
			Params: []api.Param{id}, Body: `{"version": 1, "name": "...", "lon": 119.9, "lat": 28.2, "status": "operating", "beds": 120}`, Handler: h.update},
		{Method: http.MethodDelete, Path: "/api/facilities/{id}", Tag: "facilities", Role: string(auth.Planner), Summary: "Delete a facility",
			Params: []api.Param{id, {Name: "version", In: "query", Type: "integer", Required: true}}, Handler: h.delete},
	}
}

type handlers struct {
	s              *Store
	divisionPrefix func(string) (string, error)
}

func (h handlers) kinds(w http.ResponseWriter, r *http.Request) error {
	return api.WriteJSON(w, http.StatusOK, map[string]any{"kinds": h.s.Kinds()})
}

// feature renders a facility as a GeoJSON Feature; kind_name comes from the
// standards in force (the id when they no longer define the kind).
func (s *Store) feature(f Facility) map[string]any {
	kindName := f.Kind
	if k, err := s.Kind(f.Kind); err == nil {
		kindName = k.Name
	}
	return map[string]any{
		"type": "Feature", "id": f.ID,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{f.Lon, f.Lat}},
		"properties": map[string]any{
			"kind": f.Kind, "kind_name": kindName, "ext_id": f.ExtID, "name": f.Name, "status": f.Status,
			"beds": f.Beds, "nursing_beds": f.NursingBeds, "dementia_beds": f.DementiaBeds,
			"address": f.Address, "admin_code": f.AdminCode, "source": f.Source, "version": f.Version, "updated_at": f.UpdatedAt,
		},
	}
}

func writeGeoJSON(w http.ResponseWriter, status int, v any) error {
	return api.WriteGeoJSON(w, status, v)
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := Filter{Kind: q.Get("kind"), Status: q.Get("status")}
	if f.Kind != "" {
		if _, err := h.s.Kind(f.Kind); err != nil {
			return api.BadRequest("kind", "%v", err)
		}
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return api.BadRequest("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	if v := q.Get("within"); v != "" {
		p, err := h.divisionPrefix(v)
		if err != nil {
			return api.BadRequest("within", "%v", err)
		}
		f.AdminPrefix = p
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
	facs, total, err := h.s.List(r.Context(), f)
	if err != nil {
		return err
	}
	feats := make([]any, len(facs))
	for i, fac := range facs {
		feats[i] = h.s.feature(fac)
	}
	return writeGeoJSON(w, http.StatusOK, map[string]any{"type": "FeatureCollection", "features": feats, "total": total})
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.BadRequest("id", "must be a positive integer")
	}
	return id, nil
}

func (h handlers) get(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := h.s.Get(r.Context(), id)
	if err != nil {
		return api.NotFoundIf(err, "no facility %d", id)
	}
	return writeGeoJSON(w, http.StatusOK, h.s.feature(f))
}

// body is the JSON a client sends to create or replace a facility.
type body struct {
	Kind         string   `json:"kind"`
	ExtID        string   `json:"ext_id"`
	Version      int      `json:"version"`
	Name         string   `json:"name"`
	Lon          *float64 `json:"lon"`
	Lat          *float64 `json:"lat"`
	Beds         *int     `json:"beds"`
	NursingBeds  *int     `json:"nursing_beds"`
	DementiaBeds *int     `json:"dementia_beds"`
	Status       string   `json:"status"`
	Address      string   `json:"address"`
	AdminCode    string   `json:"admin_code"`
}

// input validates b, naming the first bad field.
func (b body) input() (Input, error) {
	in := Input{ExtID: strings.TrimSpace(b.ExtID), Name: strings.TrimSpace(b.Name), Beds: b.Beds, NursingBeds: b.NursingBeds,
		DementiaBeds: b.DementiaBeds, Status: b.Status, Address: strings.TrimSpace(b.Address), AdminCode: b.AdminCode}
	for _, c := range []struct {
		field, v string
		max      int
	}{{"ext_id", in.ExtID, limits.Name}, {"name", in.Name, limits.Name}, {"address", in.Address, limits.Address}} {
		if err := api.CheckText(c.field, c.v, c.max); err != nil {
			return in, err
		}
	}
	switch {
	case in.Name == "":
		return in, api.BadRequest("name", "required")
	case b.Lon == nil || math.IsNaN(*b.Lon) || *b.Lon < -180 || *b.Lon > 180:
		return in, api.BadRequest("lon", "required, a longitude in [-180, 180] (WGS84)")
	case b.Lat == nil || math.IsNaN(*b.Lat) || *b.Lat < -90 || *b.Lat > 90:
		return in, api.BadRequest("lat", "required, a latitude in [-90, 90] (WGS84)")
	}
	in.Lon, in.Lat = *b.Lon, *b.Lat
	if in.Status == "" {
		in.Status = "operating"
	}
	if !slices.Contains(Statuses, in.Status) {
		return in, api.BadRequest("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"beds", in.Beds}, {"nursing_beds", in.NursingBeds}, {"dementia_beds", in.DementiaBeds}} {
		if c.v != nil && *c.v < 0 {
			return in, api.BadRequest(c.name, "must not be negative")
		}
		if c.v != nil && *c.v > limits.MaxInt32 {
			return in, api.BadRequest(c.name, "%d is more than the maximum of %d", *c.v, limits.MaxInt32)
		}
		if c.v != nil && in.Beds != nil && *c.v > *in.Beds {
			return in, api.BadRequest(c.name, "must not exceed beds (%d)", *in.Beds)
		}
	}
	if in.AdminCode != "" && (len(in.AdminCode) != 12 || strings.Trim(in.AdminCode, "0123456789") != "") {
		return in, api.BadRequest("admin_code", "must be a 12-digit division code")
	}
	return in, nil
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	var b body
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Kind == "" {
		return api.BadRequest("kind", "required: one of %s", strings.Join(h.s.standards.IDs(), ", "))
	}
	if _, err := h.s.Kind(b.Kind); err != nil {
		return api.BadRequest("kind", "%v", err)
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	if in.ExtID == "" {
		return api.BadRequest("ext_id", "required: your identifier for the facility (unique per kind)")
	}
	f, err := h.s.Create(r.Context(), b.Kind, in)
	if err != nil {
		return unknownAdminCode(err)
	}
	w.Header().Set("Location", "/api/facilities/"+strconv.FormatInt(f.ID, 10))
	return writeGeoJSON(w, http.StatusCreated, h.s.feature(f))
}

func (h handlers) update(w http.ResponseWriter, r *http.Request) error {
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
	if err := api.CheckInt("version", int64(b.Version), 1, limits.MaxInt32); err != nil {
		return err
	}
	if b.Kind != "" || b.ExtID != "" {
		return api.BadRequest("kind", "kind and ext_id cannot be changed; delete and create instead")
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	f, err := h.s.Update(r.Context(), id, b.Version, in)
	if errors.Is(err, ErrVersionConflict) {
		return api.Conflict("%v", err)
	}
	if err != nil {
		return api.NotFoundIf(unknownAdminCode(err), "no facility %d", id)
	}
	return writeGeoJSON(w, http.StatusOK, h.s.feature(f))
}

// unknownAdminCode turns *UnknownAdminCodeError into a 400 naming admin_code.
func unknownAdminCode(err error) error {
	var u *UnknownAdminCodeError
	if errors.As(err, &u) {
		return api.BadRequest("admin_code", "%s names no current division; leave it empty to assign it from the boundaries", u.Code)
	}
	return err
}

func (h handlers) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := api.QueryInt(r, "version", 0, 1, math.MaxInt32)
	if err != nil {
		return err
	}
	if version == 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	err = h.s.Delete(r.Context(), id, version)
	if errors.Is(err, ErrVersionConflict) {
		return api.Conflict("%v", err)
	}
	if err != nil {
		return api.NotFoundIf(err, "no facility %d", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
