package parse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/geo"
	"fangyuan/internal/limits"
)

// FacilityOptions control ReadFacilities.
type FacilityOptions struct {
	// CRS is the coordinate system of the file; coordinates are converted
	// to WGS84. The zero value is geo.WGS84.
	CRS geo.CRS
	// Encoding overrides detection: utf-8, gbk or gb18030.
	Encoding string
}

// FacilityRow is one facility (养老/儿童/殡葬设施).
type FacilityRow struct {
	Line      int // CSV: the record's line; GeoJSON: the line the feature starts on
	ID        string
	Name      string
	Address   string
	Status    string // operating, planned or closed
	AdminCode string
	Lon, Lat  float64 // WGS84, after conversion from FacilityOptions.CRS
	// SrcLon, SrcLat are the coordinates as in the file.
	SrcLon, SrcLat                  float64
	Beds, NursingBeds, DementiaBeds *int // nil when not given
	// Extra holds the columns (or properties) not mapped to a field above.
	Extra map[string]string
}

// FacilityResult holds the facilities read from one file.
type FacilityResult struct {
	Source
	Rows    []FacilityRow
	Rejects []Reject
}

// Facility statuses.
const (
	StatusOperating = "operating"
	StatusPlanned   = "planned"
	StatusClosed    = "closed"
)

// facilityColumns maps each field to the column names accepted for it
// (case-insensitive), in order of preference.
var facilityColumns = []column{
	{"id", []string{"id", "编号", "code"}},
	{"name", []string{"name", "名称"}},
	{"lon", []string{"lon", "lng", "longitude", "x", "经度"}},
	{"lat", []string{"lat", "latitude", "y", "纬度"}},
	{"address", []string{"address", "地址"}},
	{"beds", []string{"beds", "床位", "床位数"}},
	{"nursing_beds", []string{"nursing_beds", "护理型床位"}},
	{"dementia_beds", []string{"dementia_beds", "认知症床位", "失智床位"}},
	{"status", []string{"status", "状态"}},
	{"admin_code", []string{"admin_code", "行政区划代码"}},
}

var statusWords = map[string]string{
	"":          StatusOperating,
	"operating": StatusOperating, "运营": StatusOperating,
	"planned": StatusPlanned, "在建": StatusPlanned, "规划": StatusPlanned,
	"closed": StatusClosed, "停用": StatusClosed, "关闭": StatusClosed,
}

// ReadFacilities reads facilities from a CSV file with a header row (lon/lat
// columns) or a GeoJSON FeatureCollection of Points.
//
// Columns (properties) are matched by name, case-insensitively:
// id|编号|code, name|名称, lon|lng|longitude|x|经度, lat|latitude|y|纬度,
// address|地址, beds|床位|床位数, nursing_beds|护理型床位,
// dementia_beds|认知症床位|失智床位, status|状态, admin_code|行政区划代码.
// id and name (and for CSV lon and lat) are required: a missing column is
// a fatal error. Rows with an empty id or name, a coordinate that is not a
// finite number in range or looks like lat/lon swapped, a repeated id,
// negative bed counts or counts beyond 2147483647, nursing or dementia beds
// above beds, an unknown status, or text over its limit (package limits: id
// and name 200 characters, address 500) or holding a NUL are rejected. Coordinates are converted from opts.CRS to WGS84
// after validation.
func ReadFacilities(fsys fs.FS, path string, opts FacilityOptions) (FacilityResult, error) {
	var res FacilityResult
	if opts.CRS < geo.WGS84 || opts.CRS > geo.BD09 {
		return res, fileError(path, "", fmt.Sprintf("unknown coordinate system %v", opts.CRS))
	}
	format, err := formatOf(path, FormatCSV, FormatGeoJSON)
	if err != nil {
		return res, err
	}
	if format == FormatCSV {
		return readFacilityCSV(fsys, path, opts)
	}
	return readFacilityGeoJSON(fsys, path, opts)
}

// facilityBuilder validates the fields of one facility, whatever the
// source format.
type facilityBuilder struct {
	crs   geo.CRS
	first map[string]int // id → line (or feature) first seen
	where string         // "line" or "feature"
}

// build validates the values of one facility (keyed by field name; the
// coordinates come from coords) and returns the row, or the field and
// reason of the first problem. Checks run in a fixed order: id, name, text
// limits, duplicate id, coordinates, beds, status.
func (b *facilityBuilder) build(v map[string]string, coords func() (lon, lat float64, field, reason string), at int) (FacilityRow, string, string) {
	row := FacilityRow{Line: at}
	row.ID = strings.TrimSpace(v["id"])
	row.Name = strings.TrimSpace(v["name"])
	row.Address = strings.TrimSpace(v["address"])
	row.AdminCode = strings.TrimSpace(v["admin_code"])
	switch {
	case row.ID == "":
		return row, "id", "empty"
	case row.Name == "":
		return row, "name", "empty"
	}
	if field, reason := textProblem(textField{"id", row.ID, limits.Name}, textField{"name", row.Name, limits.Name},
		textField{"address", row.Address, limits.Address}, textField{"admin_code", row.AdminCode, limits.Name}); reason != "" {
		return row, field, reason
	}
	if first, dup := b.first[row.ID]; dup {
		return row, "id", fmt.Sprintf("duplicate id %s (first at %s %d)", row.ID, b.where, first)
	}
	b.first[row.ID] = at
	lon, lat, field, reason := coords()
	if reason != "" {
		return row, field, reason
	}
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0):
		return row, "lon", fmt.Sprintf("%v is not a finite number", lon)
	case math.IsNaN(lat) || math.IsInf(lat, 0):
		return row, "lat", fmt.Sprintf("%v is not a finite number", lat)
	case geo.LikelySwapped(lon, lat):
		return row, "lon/lat", fmt.Sprintf("lat/lon swapped? (lon %v, lat %v)", lon, lat)
	}
	if err := geo.CheckLonLat(lon, lat); err != nil {
		field := "lon"
		var ce *geo.CoordError
		if errors.As(err, &ce) && ce.Axis == "latitude" {
			field = "lat"
		}
		return row, field, err.Error()
	}
	for _, c := range []struct {
		field string
		dst   **int
	}{{"beds", &row.Beds}, {"nursing_beds", &row.NursingBeds}, {"dementia_beds", &row.DementiaBeds}} {
		s := strings.TrimSpace(v[c.field])
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
				return row, c.field, fmt.Sprintf("%q is not a whole number", s)
			}
			n = int(f)
		}
		if n < 0 {
			return row, c.field, fmt.Sprintf("%d is negative", n)
		}
		if n > limits.MaxInt32 {
			return row, c.field, fmt.Sprintf("%d is more than the maximum of %d", n, limits.MaxInt32)
		}
		*c.dst = &n
	}
	if row.Beds != nil {
		if row.NursingBeds != nil && *row.NursingBeds > *row.Beds {
			return row, "nursing_beds", fmt.Sprintf("%d is more than beds (%d)", *row.NursingBeds, *row.Beds)
		}
		if row.DementiaBeds != nil && *row.DementiaBeds > *row.Beds {
			return row, "dementia_beds", fmt.Sprintf("%d is more than beds (%d)", *row.DementiaBeds, *row.Beds)
		}
	}
	st := strings.TrimSpace(v["status"])
	status, ok := statusWords[strings.ToLower(st)]
	if !ok {
		return row, "status", fmt.Sprintf("%q is not one of operating, planned, closed (运营, 在建, 规划, 停用, 关闭)", st)
	}
	row.Status = status
	row.SrcLon, row.SrcLat = lon, lat
	p := b.crs.ToWGS84(orb.Point{lon, lat})
	row.Lon, row.Lat = p[0], p[1]
	return row, "", ""
}

func readFacilityCSV(fsys fs.FS, name string, opts FacilityOptions) (FacilityResult, error) {
	var res FacilityResult
	f, err := openCSV(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	defer f.Close()
	res.Source = Source{Path: name, Format: FormatCSV, Encoding: f.encoding, EncodingFrom: encodingFrom(opts.Encoding), Fields: f.header}
	cols, err := f.columns(facilityColumns, func(field string) bool {
		return field == "id" || field == "name" || field == "lon" || field == "lat"
	})
	if err != nil {
		return res, err
	}
	mapped := map[int]bool{}
	for _, i := range cols {
		mapped[i] = true
	}
	b := &facilityBuilder{crs: opts.CRS, first: map[string]int{}, where: "line"}
	v := map[string]string{}
	for {
		rec, line, rej, err := f.next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if rej != nil {
			res.Rejects = append(res.Rejects, *rej)
			continue
		}
		reject := func(field, reason string) {
			res.Rejects = append(res.Rejects, Reject{Err: Error{File: name, Line: line, Field: field, Reason: reason}, Raw: clone(rec)})
		}
		clear(v)
		for field, i := range cols {
			v[field] = rec[i]
		}
		row, field, reason := b.build(v, csvCoords(v), line)
		if reason != "" {
			reject(field, reason)
			continue
		}
		for i, h := range f.header {
			if !mapped[i] && h != "" {
				if row.Extra == nil {
					row.Extra = map[string]string{}
				}
				row.Extra[h] = rec[i]
			}
		}
		res.Rows = append(res.Rows, row)
	}
}

func csvCoords(v map[string]string) func() (float64, float64, string, string) {
	return func() (float64, float64, string, string) {
		lon, field, reason := parseCoord("lon", v["lon"])
		if reason != "" {
			return 0, 0, field, reason
		}
		lat, field, reason := parseCoord("lat", v["lat"])
		return lon, lat, field, reason
	}
}

// parseCoord parses one coordinate column.
func parseCoord(field, s string) (float64, string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, field, "empty"
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, field, fmt.Sprintf("%q is not a number", s)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, field, fmt.Sprintf("%q is not a finite number", s)
	}
	return x, "", ""
}

func readFacilityGeoJSON(fsys fs.FS, name string, opts FacilityOptions) (FacilityResult, error) {
	var res FacilityResult
	s, err := readGeoJSON(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	keys := map[string]string{} // field → property name
	mapped := map[string]bool{}
	for _, c := range facilityColumns {
		if c.field == "lon" || c.field == "lat" {
			continue
		}
		if k := s.findField(c.aliases...); k != "" {
			keys[c.field] = k
			mapped[k] = true
		} else if c.field == "id" || c.field == "name" {
			return res, s.missingField(c.field, "")
		}
	}
	b := &facilityBuilder{crs: opts.CRS, first: map[string]int{}, where: "feature"}
	v := map[string]string{}
	for i := range s.features {
		f := &s.features[i]
		clear(v)
		for field, k := range keys {
			v[field] = f.get(k)
		}
		coords := func() (float64, float64, string, string) {
			switch g := f.geom.(type) {
			case orb.Point:
				return g[0], g[1], "", ""
			case orb.MultiPoint:
				if len(g) == 1 {
					return g[0][0], g[0][1], "", ""
				}
				return 0, 0, "geometry", fmt.Sprintf("MultiPoint with %d points, want one Point", len(g))
			case nil:
				if f.geomErr != "" {
					return 0, 0, "geometry", f.geomErr
				}
				return 0, 0, "geometry", "empty (null geometry)"
			default:
				return 0, 0, "geometry", fmt.Sprintf("%s, want Point", g.GeoJSONType())
			}
		}
		row, field, reason := b.build(v, coords, f.index)
		if reason != "" {
			res.Rejects = append(res.Rejects, s.reject(i, field, "%s", reason))
			continue
		}
		row.Line = f.line
		for _, pr := range f.props {
			if !mapped[pr.key] {
				if row.Extra == nil {
					row.Extra = map[string]string{}
				}
				row.Extra[pr.key] = pr.val
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func encodingFrom(opt string) string {
	if strings.TrimSpace(opt) != "" {
		return "option"
	}
	return "detected"
}
