package ogcapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fangyuan/internal/api"
)

// Part 4: create, replace, update and delete. Writes need the planner role (the route
// table says so; the guard checks it), an If-Match with the feature's ETag for every
// change of an existing feature (a stale one is a 412; none is a 428), and go through the
// domain package's store, which audits them.

func (s *Server) editor(r *http.Request) (Collection, Editor, error) {
	c, err := s.find(r)
	if err != nil {
		return nil, nil, err
	}
	e, ok := c.(Editor)
	if !ok {
		return nil, nil, &api.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "collection " + c.Meta().ID + " is read-only"}
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
	return s.change(w, r, func(e Editor, fid string, v int, _ InputFeature) error { return e.Delete(r.Context(), fid, v) }, false)
}
