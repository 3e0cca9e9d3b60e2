package parse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// column is a wanted field and the column (or property) names accepted for it.
type column struct {
	field   string
	aliases []string
}

// record is one CSV row or GeoJSON feature reduced to the wanted fields, for the readers
// that accept both (markers, findings).
type record struct {
	line    int // CSV line, or the line the GeoJSON feature starts on
	feature int // GeoJSON: 1-based feature index; 0 for CSV
	v       map[string]string
	// point is the location: the CSV lon/lat columns or the GeoJSON Point; hasPoint is
	// false when none was given (empty columns, null geometry).
	point    orb.Point
	hasPoint bool
	// pointErr says why the location is unusable ("" when it is fine or absent): field
	// and reason.
	pointField, pointErr string
	raw                  []string
}

// recordSet is what readRecords returns.
type recordSet struct {
	Source
	records []record
	rejects []Reject
}

// readRecords reads a CSV file (lon/lat columns) or a GeoJSON FeatureCollection of Points
// and maps the wanted columns. required names fields whose column must exist (a fatal
// error otherwise); csvCoords says whether the CSV must have lon and lat columns.
func readRecords(fsys fs.FS, name, enc string, cols []column, required []string, csvCoordsRequired bool) (*recordSet, error) {
	format, err := formatOf(name, FormatCSV, FormatGeoJSON)
	if err != nil {
		return nil, err
	}
	isRequired := func(f string) bool {
		for _, r := range required {
			if r == f {
				return true
			}
		}
		return false
	}
	out := &recordSet{}
	if format == FormatCSV {
		f, err := openCSV(fsys, name, enc)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		out.Source = Source{Path: name, Format: FormatCSV, Encoding: f.encoding, EncodingFrom: encodingFrom(enc), Fields: f.header}
		idx, err := f.columns(append(cols, column{"lon", []string{"lon", "lng", "longitude", "x", "经度", "new_lon"}},
			column{"lat", []string{"lat", "latitude", "y", "纬度", "new_lat"}}), func(field string) bool {
			return isRequired(field) || (csvCoordsRequired && (field == "lon" || field == "lat"))
		})
		if err != nil {
			return nil, err
		}
		for {
			rec, line, rej, err := f.next()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			if rej != nil {
				out.rejects = append(out.rejects, *rej)
				continue
			}
			r := record{line: line, v: map[string]string{}, raw: clone(rec)}
			for field, i := range idx {
				r.v[field] = strings.TrimSpace(rec[i])
			}
			lon, lat := r.v["lon"], r.v["lat"]
			delete(r.v, "lon")
			delete(r.v, "lat")
			switch {
			case lon == "" && lat == "":
			case lon == "" || lat == "":
				r.pointField, r.pointErr = "lon/lat", "give both coordinates or neither"
			default:
				x, field, reason := parseCoord("lon", lon)
				if reason == "" {
					var y float64
					y, field, reason = parseCoord("lat", lat)
					r.point = orb.Point{x, y}
				}
				if reason != "" {
					r.pointField, r.pointErr = field, reason
				} else {
					r.hasPoint = true
					r.pointField, r.pointErr = checkPoint(r.point)
				}
			}
			out.records = append(out.records, r)
		}
	}
	s, err := readGeoJSON(fsys, name, enc)
	if err != nil {
		return nil, err
	}
	out.Source = s.Source
	keys := map[string]string{}
	for _, c := range cols {
		if k := s.findField(c.aliases...); k != "" {
			keys[c.field] = k
		} else if isRequired(c.field) && len(s.features) > 0 {
			return nil, s.missingField(c.field, "")
		}
	}
	for i := range s.features {
		f := &s.features[i]
		r := record{line: f.line, feature: f.index, v: map[string]string{}, raw: s.raw(i)}
		for field, k := range keys {
			r.v[field] = strings.TrimSpace(f.get(k))
		}
		switch g := f.geom.(type) {
		case nil:
			if f.geomErr != "" {
				r.pointField, r.pointErr = "geometry", f.geomErr
			}
		case orb.Point:
			r.point, r.hasPoint = g, true
		case orb.MultiPoint:
			if len(g) == 1 {
				r.point, r.hasPoint = g[0], true
			} else {
				r.pointField, r.pointErr = "geometry", fmt.Sprintf("MultiPoint with %d points, want one Point", len(g))
			}
		default:
			r.pointField, r.pointErr = "geometry", fmt.Sprintf("%s, want Point", g.GeoJSONType())
		}
		if r.hasPoint && r.pointErr == "" {
			r.pointField, r.pointErr = checkPoint(r.point)
		}
		out.records = append(out.records, r)
	}
	return out, nil
}

// checkPoint validates lon/lat degrees; it returns the field and reason of a problem.
func checkPoint(p orb.Point) (string, string) {
	lon, lat := p[0], p[1]
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0):
		return "lon", fmt.Sprintf("%v is not a finite number", lon)
	case math.IsNaN(lat) || math.IsInf(lat, 0):
		return "lat", fmt.Sprintf("%v is not a finite number", lat)
	case geo.LikelySwapped(lon, lat):
		return "lon/lat", fmt.Sprintf("lat/lon swapped? (lon %v, lat %v)", lon, lat)
	}
	if err := geo.CheckLonLat(lon, lat); err != nil {
		field := "lon"
		var ce *geo.CoordError
		if errors.As(err, &ce) && ce.Axis == "latitude" {
			field = "lat"
		}
		return field, err.Error()
	}
	return "", ""
}

// errAt locates a problem of r.
func (s *recordSet) errAt(r *record, field, format string, args ...any) Reject {
	return Reject{Err: Error{File: s.Path, Line: r.line, Feature: r.feature, Field: field, Reason: fmt.Sprintf(format, args...)}, Raw: r.raw}
}

// where names r for duplicate messages.
func (r *record) where() string {
	if r.feature > 0 {
		return fmt.Sprintf("feature %d", r.feature)
	}
	return fmt.Sprintf("line %d", r.line)
}

// parseDate accepts YYYY-MM-DD, YYYY/M/D, YYYY.M.D and YYYYMMDD.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006/1/2", "2006.1.2", "20060102", "2006-1-2", "2006年1月2日"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
}

// splitList splits a list of names separated by ; ， , | or 、.
func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == '；' || r == ',' || r == '，' || r == '|' || r == '、'
	})
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Marker kinds and conditions.
var (
	MarkerKinds      = []string{"single", "paired", "triple"}
	MarkerConditions = []string{"intact", "damaged", "missing", "moved"}
)

var markerKindWords = map[string]string{
	"": "single", "single": "single", "单立": "single", "单立界桩": "single", "单": "single",
	"paired": "paired", "pair": "paired", "双立": "paired", "同号双立": "paired", "同号双立界桩": "paired", "双": "paired",
	"triple": "triple", "three-way": "triple", "junction": "triple", "三面": "triple", "三立": "triple",
	"三面型": "triple", "三面型界桩": "triple", "三交点": "triple", "三": "triple",
}

var conditionWords = map[string]string{
	"intact": "intact", "good": "intact", "完好": "intact", "正常": "intact",
	"damaged": "damaged", "损坏": "damaged", "破损": "damaged",
	"missing": "missing", "丢失": "missing", "缺失": "missing", "灭失": "missing",
	"moved": "moved", "移位": "moved", "位移": "moved",
}

// ParseCondition maps a condition word (English or 完好/损坏/丢失/移位) to its id.
func ParseCondition(s string) (string, bool) {
	c, ok := conditionWords[strings.ToLower(strings.TrimSpace(s))]
	return c, ok
}
