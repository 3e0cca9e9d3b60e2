package parse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/geo"
	"fangyuan/internal/limits"
)

// HouseNumberOptions control ReadHouseNumbers.
type HouseNumberOptions struct {
	// Encoding overrides detection: utf-8, gbk or gb18030.
	Encoding string
}

// HouseNumberRow is one house number (门牌) as read.
type HouseNumberRow struct {
	Line      int // CSV line, or the feature's line (GeoJSON) / record number (Shapefile)
	Road      string
	AdminCode string // the township the road is in, as written (may be empty)
	Number    int
	Suffix    string
	Building  string
	Unit      string
	Room      string
	Status    string // active | planned
	ValidFrom string // YYYY-MM-DD the number is in force from (编制日期), or "" for the day of the import
	Lon, Lat  float64
	Raw       []string // the original values, for a reject found later (road matching)
}

// HouseNumberResult holds the house numbers read from one file.
type HouseNumberResult struct {
	Source
	Rows    []HouseNumberRow
	Rejects []Reject
}

// House-number columns and the names accepted for them.
var houseNumberColumns = []column{
	{"road", []string{"road", "road_name", "道路", "路名", "街路巷名"}},
	{"admin_code", []string{"admin_code", "township", "行政区划代码", "乡镇代码"}},
	{"number", []string{"number", "门牌号", "号"}},
	{"suffix", []string{"suffix", "后缀", "附号"}},
	{"building", []string{"building", "幢", "栋", "楼栋"}},
	{"unit", []string{"unit", "单元"}},
	{"room", []string{"room", "室", "户室"}},
	{"status", []string{"status", "状态"}},
	{"valid_from", []string{"valid_from", "编制日期", "启用日期"}},
	{"lon", []string{"lon", "lng", "longitude", "x", "经度"}},
	{"lat", []string{"lat", "latitude", "y", "纬度"}},
}

// HouseNumberSuffixes are the suffixes the schema accepts.
var HouseNumberSuffixes = map[string]bool{"": true, "甲": true, "乙": true, "丙": true, "丁": true, "之一": true, "之二": true, "之三": true, "附": true}

var houseStatusWords = map[string]string{"": "active", "active": "active", "在用": "active", "现行": "active",
	"planned": "planned", "规划": "planned", "拟编": "planned"}

// ReadHouseNumbers reads house numbers from CSV (columns road, admin_code, number, suffix,
// building, unit, room, status, valid_from, lon, lat; Chinese headers accepted) or from GeoJSON or a
// Shapefile of points with those properties. number may be written with 号 ("12号"). A row
// with no road name is kept: the importer matches it to the nearest road.
func ReadHouseNumbers(fsys fs.FS, path string, opts HouseNumberOptions) (HouseNumberResult, error) {
	format, err := formatOf(path, FormatCSV, FormatGeoJSON, FormatShapefile)
	if err != nil {
		return HouseNumberResult{}, err
	}
	if format == FormatCSV {
		return readHouseNumberCSV(fsys, path, opts)
	}
	return readHouseNumberFeatures(fsys, path, opts)
}

// buildHouseNumber validates the values v of one row.
func buildHouseNumber(v func(string) string, lon, lat float64) (HouseNumberRow, string, string) {
	row := HouseNumberRow{Road: strings.TrimSpace(v("road")), AdminCode: strings.TrimSpace(v("admin_code")),
		Suffix: strings.TrimSpace(v("suffix")), Building: strings.TrimSpace(v("building")), Unit: strings.TrimSpace(v("unit")),
		Room: strings.TrimSpace(v("room")), Lon: lon, Lat: lat}
	if field, reason := textProblem(textField{"road", row.Road, limits.Name}, textField{"admin_code", row.AdminCode, limits.Name},
		textField{"building", row.Building, limits.Name}, textField{"unit", row.Unit, limits.Name}, textField{"room", row.Room, limits.Name}); reason != "" {
		return row, field, reason
	}
	if row.AdminCode != "" && !isDigits(row.AdminCode) {
		return row, "admin_code", fmt.Sprintf("%q is not a division code", row.AdminCode)
	}
	num := strings.TrimSuffix(strings.TrimSpace(v("number")), "号")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > limits.MaxInt32 {
		return row, "number", fmt.Sprintf("%q is not a positive whole number", v("number"))
	}
	row.Number = n
	if !HouseNumberSuffixes[row.Suffix] {
		return row, "suffix", fmt.Sprintf("%q is not one of 甲 乙 丙 丁 之一 之二 之三 附", row.Suffix)
	}
	st := strings.TrimSpace(v("status"))
	if row.Status = houseStatusWords[strings.ToLower(st)]; row.Status == "" {
		return row, "status", fmt.Sprintf("%q is not active or planned (在用, 规划)", st)
	}
	if row.ValidFrom = strings.TrimSpace(v("valid_from")); row.ValidFrom != "" {
		if _, err := time.Parse(time.DateOnly, row.ValidFrom); err != nil {
			return row, "valid_from", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", row.ValidFrom)
		}
	}
	if geo.LikelySwapped(lon, lat) {
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
	return row, "", ""
}

func readHouseNumberCSV(fsys fs.FS, name string, opts HouseNumberOptions) (HouseNumberResult, error) {
	var res HouseNumberResult
	f, err := openCSV(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	defer f.Close()
	res.Source = Source{Path: name, Format: FormatCSV, Encoding: f.encoding, EncodingFrom: encodingFrom(opts.Encoding), Fields: f.header}
	cols, err := f.columns(houseNumberColumns, func(field string) bool { return field == "number" || field == "lon" || field == "lat" })
	if err != nil {
		return res, err
	}
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
		get := func(field string) string {
			if i, ok := cols[field]; ok {
				return rec[i]
			}
			return ""
		}
		reject := func(field, reason string) {
			res.Rejects = append(res.Rejects, Reject{Err: Error{File: name, Line: line, Field: field, Reason: reason}, Raw: clone(rec)})
		}
		lon, field, reason := parseCoord("lon", get("lon"))
		if reason != "" {
			reject(field, reason)
			continue
		}
		lat, field, reason := parseCoord("lat", get("lat"))
		if reason != "" {
			reject(field, reason)
			continue
		}
		row, field, reason := buildHouseNumber(get, lon, lat)
		if reason != "" {
			reject(field, reason)
			continue
		}
		row.Line, row.Raw = line, clone(rec)
		res.Rows = append(res.Rows, row)
	}
}

func readHouseNumberFeatures(fsys fs.FS, name string, opts HouseNumberOptions) (HouseNumberResult, error) {
	var res HouseNumberResult
	s, err := readFeatures(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	keys := map[string]string{}
	for _, c := range houseNumberColumns {
		if c.field == "lon" || c.field == "lat" {
			continue
		}
		keys[c.field] = s.findField(c.aliases...)
	}
	if keys["number"] == "" {
		return res, s.missingField("number", "")
	}
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	for i := range s.features {
		f := &s.features[i]
		if reason := geometryProblem(f, bad[i]); reason != "" {
			res.Rejects = append(res.Rejects, s.reject(i, "geometry", "%s", reason))
			continue
		}
		pt, ok := f.geom.(orb.Point)
		if !ok {
			res.Rejects = append(res.Rejects, s.reject(i, "geometry", "%s, want Point", f.geom.GeoJSONType()))
			continue
		}
		row, field, reason := buildHouseNumber(func(k string) string { return f.get(keys[k]) }, pt[0], pt[1])
		if reason != "" {
			res.Rejects = append(res.Rejects, s.reject(i, field, "%s", reason))
			continue
		}
		row.Line = f.line
		if row.Line == 0 {
			row.Line = f.index
		}
		row.Raw = s.raw(i)
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}
