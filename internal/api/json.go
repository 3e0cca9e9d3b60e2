package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Media types of JSON answers.
const (
	jsonType    = "application/json; charset=utf-8"
	GeoJSONType = "application/geo+json" // RFC 7946 §12: no charset parameter
)

// WriteJSON writes v with the given status as application/json, unless the handler set
// another Content-Type before (application/geo+json, say): that one is kept.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", jsonType)
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteGeoJSON writes a GeoJSON object (Feature, FeatureCollection) as application/geo+json.
func WriteGeoJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", GeoJSONType)
	return WriteJSON(w, status, v)
}

// MaxBodyBytes bounds request bodies read by DecodeJSON.
const MaxBodyBytes = 8 << 20

// DecodeJSON reads a JSON body into v, rejecting unknown fields and trailing data.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send application/json, not " + ct}
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return BadRequest("body", "empty body; send a JSON object")
		case errors.As(err, &syn):
			return BadRequest("body", "malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return BadRequest(typ.Field, "must be %s, not %s", typ.Type, typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return BadRequest(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		}
		return BadRequest("body", "%v", err)
	}
	if dec.More() {
		return BadRequest("body", "trailing data after the JSON object")
	}
	return nil
}

// Query helpers: each returns a *Error naming the parameter on bad input.

// QueryInt parses an optional integer parameter within [min, max].
func QueryInt(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, BadRequest(name, "must be an integer, not %q", s)
	}
	if n < min || n > max {
		return 0, BadRequest(name, "must be between %d and %d, not %d", min, max, n)
	}
	return n, nil
}

// QueryDate parses an optional YYYY-MM-DD parameter; zero time when absent.
func QueryDate(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, BadRequest(name, "must be a date YYYY-MM-DD, not %q", s)
	}
	return t, nil
}

// QueryBool parses an optional boolean parameter.
func QueryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, BadRequest(name, "must be true or false, not %q", s)
	}
	return b, nil
}

// QueryBBox parses an optional bbox=minLon,minLat,maxLon,maxLat in WGS84.
func QueryBBox(r *http.Request, name string) (b [4]float64, ok bool, err error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return b, false, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return b, false, BadRequest(name, "must be minLon,minLat,maxLon,maxLat, not %q", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v != v {
			return b, false, BadRequest(name, "value %d must be a number, not %q", i+1, p)
		}
		b[i] = v
	}
	switch {
	case b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90:
		return b, false, BadRequest(name, "must lie within -180,-90,180,90")
	case b[0] > b[2] || b[1] > b[3]:
		return b, false, BadRequest(name, "min must not exceed max (got %s)", s)
	}
	return b, true, nil
}
