package ogcapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

// Part 4: create, replace, update and delete. Writes need a token of one of the editing
// roles (the route table says so; the guard checks it) and then the collection's own
// EditRole (checked here: planner for facilities, names-editor for place names and house
// numbers, boundary-editor for markers), an If-Match with the feature's ETag for every
// change of an existing feature (a stale one is a 412; none is a 428), and go through the
// domain package's store, which audits them.

// EditRoles are the roles the write routes let through to the per-collection check.
var EditRoles = []auth.Role{auth.Planner, auth.NamesEditor, auth.BoundaryEditor}

func editRole(m Meta) auth.Role {
	if m.EditRole == "" {
		return auth.Planner
	}
	return auth.Role(m.EditRole)
}

func (s *Server) editor(r *http.Request) (Collection, Editor, error) {
	c, err := s.find(r)
	if err != nil {
		return nil, nil, err
	}
	e, ok := c.(Editor)
	if !ok {
		return nil, nil, &api.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "collection " + c.Meta().ID + " is read-only"}
	}
	need := editRole(c.Meta())
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return nil, nil, api.Unauthorized("editing collection %s needs an API token of role %s", c.Meta().ID, need)
	}
	if !auth.Allows(p.Role, need) {
		return nil, nil, api.Forbidden("role %s may not edit collection %s; it needs role %s", p.Role, c.Meta().ID, need)
	}
	return c, e, nil
}

// readFeature decodes a GeoJSON Feature body.
func readFeature(r *http.Request) (InputFeature, error) {
	var in InputFeature
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, geoJSONType) && !strings.HasPrefix(ct, jsonType) && !strings.HasPrefix(ct, "application/merge-patch+json") {
		return in, &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send application/geo+json, not " + ct}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, api.MaxBodyBytes+1))
	if err != nil {
		return in, err
	}
	if len(b) > api.MaxBodyBytes {
		return in, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the body exceeds 8 MiB"}
	}
	var raw struct {
		Type       string                     `json:"type"`
		ID         json.RawMessage            `json:"id"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
		Links      json.RawMessage            `json:"links"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return in, api.BadRequest("body", "not a GeoJSON Feature: %v", err)
	}
	if raw.Type != "Feature" {
		return in, api.BadRequest("type", `must be "Feature", not %q`, raw.Type)
	}
	in.Geometry, in.Properties = raw.Geometry, raw.Properties
	if string(in.Geometry) == "null" {
		in.Geometry = nil
	}
	return in, nil
}

// ifMatch returns the version named by If-Match ("v<version>", the ETag of the item).
func ifMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, &api.Error{Status: http.StatusPreconditionRequired, Code: "precondition_required", Message: "send If-Match with the feature's ETag (GET it first)"}
	}
	t := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	if i := strings.IndexByte(t, '-'); i >= 0 {
		t = t[:i]
	}
	v, err := strconv.Atoi(strings.TrimPrefix(t, "v"))
	if !strings.HasPrefix(t, "v") || err != nil || v <= 0 {
		return 0, &api.Error{Status: http.StatusPreconditionFailed, Code: "precondition_failed", Message: "If-Match " + h + " is not an ETag of this feature"}
	}
	return v, nil
}

func editError(err error) error {
	switch {
	case errors.Is(err, ErrVersion):
		return &api.Error{Status: http.StatusPreconditionFailed, Code: "precondition_failed", Message: err.Error()}
	case errors.Is(err, ErrNotFound):
		return api.NotFound("%v", err)
	}
	return err
}

// answerItem sets Location and ETag of the feature fid after a write.
func (s *Server) answerItem(w http.ResponseWriter, r *http.Request, c Collection, fid string, status int) error {
	loc := base(r) + "/collections/" + url.PathEscape(c.Meta().ID) + "/items/" + url.PathEscape(fid)
	w.Header().Set("Location", loc)
	if f, err := c.Item(r.Context(), fid); err == nil {
		w.Header().Set("ETag", itemETag(f, CRS84, false, nil))
	}
	w.WriteHeader(status)
	return nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) error {
	c, e, err := s.editor(r)
	if err != nil {
		return err
	}
	in, err := readFeature(r)
	if err != nil {
		return err
	}
	fid, err := e.Create(r.Context(), in)
	if err != nil {
		return editError(err)
	}
	return s.answerItem(w, r, c, fid, http.StatusCreated)
}

func (s *Server) change(w http.ResponseWriter, r *http.Request, op func(Editor, string, int, InputFeature) error, body bool) error {
	c, e, err := s.editor(r)
	if err != nil {
		return err
	}
	fid := api.PathParam(r, "featureId")
	var in InputFeature
	if body {
		if in, err = readFeature(r); err != nil {
			return err
		}
	}
	v, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := op(e, fid, v, in); err != nil {
		return editError(err)
	}
	if !body {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.answerItem(w, r, c, fid, http.StatusNoContent)
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request) error {
	return s.change(w, r, func(e Editor, fid string, v int, in InputFeature) error { return e.Replace(r.Context(), fid, v, in) }, true)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) error {
	return s.change(w, r, func(e Editor, fid string, v int, in InputFeature) error { return e.Update(r.Context(), fid, v, in) }, true)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) error {
	return s.change(w, r, func(e Editor, fid string, v int, _ InputFeature) error {
		m := e.(Collection).Meta()
		names := make([]string, len(m.DeleteParams))
		for i, p := range m.DeleteParams {
			names[i] = p.Name
		}
		if err := checkParams(r, names...); err != nil {
			return err
		}
		args := map[string]string{}
		for _, p := range m.DeleteParams {
			val := strings.TrimSpace(r.URL.Query().Get(p.Name))
			if val == "" {
				return api.BadRequest(p.Name, "required: %s", p.Title)
			}
			args[p.Name] = val
		}
		return e.Delete(r.Context(), fid, v, args)
	}, false)
}

// Props merges the properties of a client's feature over base (the current values as JSON,
// for a PATCH; nil for a create or replace) and decodes them into into, a struct with JSON
// tags. Properties in readOnly are ignored (a client sends back what it read); any other
// property outside editable is a 400 naming it, as is a value of the wrong type.
func Props(base map[string]json.RawMessage, f InputFeature, editable, readOnly []string, into any) error {
	m := map[string]json.RawMessage{}
	for k, v := range base {
		m[k] = v
	}
	names := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		names = append(names, k)
	}
	slices.Sort(names) // the first bad property named is always the same one
	for _, k := range names {
		switch {
		case slices.Contains(editable, k):
			m[k] = f.Properties[k]
		case slices.Contains(readOnly, k):
		default:
			return api.BadRequest(k, "unknown or read-only property (editable: %s)", strings.Join(editable, ", "))
		}
	}
	raw, _ := json.Marshal(m)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return api.BadRequest(typ.Field, "must be %s, not %s", typ.Type, typ.Value)
		}
		return api.BadRequest("properties", "%v", err)
	}
	return nil
}

// Point returns the longitude and latitude of a GeoJSON Point geometry in CRS84.
func Point(g json.RawMessage) (lon, lat float64, err error) {
	var p struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	}
	if err := json.Unmarshal(g, &p); err != nil || p.Type != "Point" || len(p.Coordinates) < 2 {
		return 0, 0, api.BadRequest("geometry", "must be a GeoJSON Point [lon, lat] in CRS84")
	}
	lon, lat = p.Coordinates[0], p.Coordinates[1]
	if lon != lon || lat != lat || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return 0, 0, api.BadRequest("geometry", "coordinates [%g, %g] are not a longitude and latitude in CRS84", lon, lat)
	}
	return lon, lat, nil
}

// JSONValues encodes each value of m as JSON (the base of Props).
func JSONValues(m map[string]any) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k], _ = json.Marshal(v)
	}
	return out
}
