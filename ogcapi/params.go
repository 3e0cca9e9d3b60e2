package ogcapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"fangyuan/internal/api"
)

// Limits of the items' limit parameter.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
	// CountCap bounds the work spent on numberMatched: a count stops after CountCap+1
	// rows, and numberMatched is left out when it got there.
	CountCap = 100000
)

// CRS is a coordinate reference system the service offers.
type CRS struct {
	URI string
	// LatFirst: the axis order of the CRS is latitude, longitude (EPSG:4326, EPSG:4490).
	LatFirst bool
}

// The CRSs: CRS84 (lon, lat) is the storage and default CRS; EPSG:4326 and EPSG:4490
// (CGCS2000, stored as WGS84: the two differ by centimetres) are latitude first.
var (
	CRS84    = CRS{URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
	EPSG4326 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", LatFirst: true}
	EPSG4490 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", LatFirst: true}
	CRSs     = []CRS{CRS84, EPSG4326, EPSG4490}
)

func crsURIs() []string {
	out := make([]string, len(CRSs))
	for i, c := range CRSs {
		out[i] = c.URI
	}
	return out
}

// parseCRS accepts a CRS URI, or the short forms EPSG:4326, [EPSG:4326], OGC:CRS84.
func parseCRS(field, s string) (CRS, error) {
	if s == "" {
		return CRS84, nil
	}
	t := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	switch strings.ToUpper(t) {
	case "OGC:CRS84", "CRS84":
		return CRS84, nil
	case "EPSG:4326":
		return EPSG4326, nil
	case "EPSG:4490":
		return EPSG4490, nil
	}
	for _, c := range CRSs {
		if t == c.URI {
			return c, nil
		}
	}
	return CRS{}, api.BadRequest(field, "unsupported CRS %q (want one of %s)", s, strings.Join(crsURIs(), ", "))
}

// checkParams rejects parameters outside allowed.
func checkParams(r *http.Request, allowed ...string) error {
	for name := range r.URL.Query() {
		if !slices.Contains(allowed, name) {
			return api.BadRequest(name, "unknown parameter (this endpoint takes %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

// parseBBox parses bbox (4 or 6 numbers) in crs and returns it in CRS84.
func parseBBox(s string, crs CRS) (*[4]float64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, api.BadRequest("bbox", "must be 4 or 6 comma-separated numbers, not %q", s)
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f {
			return nil, api.BadRequest("bbox", "value %d must be a number, not %q", i+1, p)
		}
		v[i] = f
	}
	if len(v) == 6 { // drop the heights
		v = []float64{v[0], v[1], v[3], v[4]}
	}
	if crs.LatFirst {
		v = []float64{v[1], v[0], v[3], v[2]}
	}
	b := [4]float64{v[0], v[1], v[2], v[3]}
	switch {
	case b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90:
		return nil, api.BadRequest("bbox", "must lie within longitudes -180…180 and latitudes -90…90")
	case b[0] > b[2] || b[1] > b[3]:
		return nil, api.BadRequest("bbox", "the lower corner must not exceed the upper one (got %s)", s)
	}
	return &b, nil
}

// parseDatetime parses an instant (a date or an RFC 3339 date-time) or a closed interval
// start/end whose open ends are ".." or empty (OGC API – Features Part 1, 7.15.4). For an
// interval, start and end are returned (zero for an open end).
func parseDatetime(s string) (instant time.Time, interval bool, start, end time.Time, err error) {
	if s == "" {
		return time.Time{}, false, time.Time{}, time.Time{}, nil
	}
	one := func(p string) (time.Time, error) {
		if t, err := time.Parse(time.DateOnly, p); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, p); err == nil {
			return t.UTC(), nil
		}
		return time.Time{}, api.BadRequest("datetime", "%q is not a date (YYYY-MM-DD) or an RFC 3339 date-time", p)
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		if strings.Contains(b, "/") {
			return time.Time{}, false, time.Time{}, time.Time{}, api.BadRequest("datetime", "an interval is start/end, not %q", s)
		}
		if a != "" && a != ".." {
			if start, err = one(a); err != nil {
				return time.Time{}, false, time.Time{}, time.Time{}, err
			}
		}
		if b != "" && b != ".." {
			if end, err = one(b); err != nil {
				return time.Time{}, false, time.Time{}, time.Time{}, err
			}
		}
		if (a == "" || a == "..") && (b == "" || b == "..") {
			return time.Time{}, false, time.Time{}, time.Time{}, api.BadRequest("datetime", "an interval needs at least one end")
		}
		if !start.IsZero() && !end.IsZero() && end.Before(start) {
			return time.Time{}, false, time.Time{}, time.Time{}, api.BadRequest("datetime", "the interval ends before it starts")
		}
		return time.Time{}, true, start, end, nil
	}
	t, err := one(s)
	return t, false, time.Time{}, time.Time{}, err
}

// flipAxes swaps the first two ordinates of every position of a GeoJSON geometry.
func flipAxes(g json.RawMessage) (json.RawMessage, error) {
	if g == nil || bytes.Equal(g, []byte("null")) {
		return g, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(g, &obj); err != nil {
		return nil, err
	}
	if gs, ok := obj["geometries"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(gs, &list); err != nil {
			return nil, err
		}
		for i := range list {
			f, err := flipAxes(list[i])
			if err != nil {
				return nil, err
			}
			list[i] = f
		}
		b, _ := json.Marshal(list)
		obj["geometries"] = b
	}
	if c, ok := obj["coordinates"]; ok {
		var v any
		if err := json.Unmarshal(c, &v); err != nil {
			return nil, err
		}
		swapPositions(v)
		b, _ := json.Marshal(v)
		obj["coordinates"] = b
	}
	// Keep "type" first for readers that sniff it.
	var buf bytes.Buffer
	buf.WriteString(`{"type":`)
	buf.Write(obj["type"])
	for _, k := range []string{"coordinates", "geometries"} {
		if v, ok := obj[k]; ok {
			buf.WriteString(`,"` + k + `":`)
			buf.Write(v)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func swapPositions(v any) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return
	}
	if _, isNum := arr[0].(float64); isNum {
		if len(arr) >= 2 {
			arr[0], arr[1] = arr[1], arr[0]
		}
		return
	}
	for _, e := range arr {
		swapPositions(e)
	}
}
