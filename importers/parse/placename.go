package parse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// PlaceNameOptions control ReadPlaceNames.
type PlaceNameOptions struct {
	// Encoding overrides detection (and a Shapefile's .cpg): utf-8, gbk or gb18030.
	Encoding string
}

// PlaceNameRow is one place name (地名) as a census export writes it. Values are trimmed
// strings; the importer validates their meaning (category, code, dates, lengths).
type PlaceNameRow struct {
	Line  int // CSV: the record's line; GeoJSON: the line the feature starts on; 0 for Shapefiles
	Index int // GeoJSON/Shapefile: 1-based feature index; 0 for CSV
	// Fields by name: name, pinyin, category, admin_code, origin, meaning, history,
	// heritage_level, heritage_list, approval_no, approved_on, aliases.
	Values   map[string]string
	Geometry orb.Geometry // nil when the row has none
	Raw      []string     // the record (CSV) or properties in Fields order, for the reject file
}

// PlaceNameResult holds the place names read from one file.
type PlaceNameResult struct {
	Source
	Rows    []PlaceNameRow
	Rejects []Reject
}

// placeNameColumns maps each field to the column (property) names accepted for it,
// case-insensitively, in order of preference: the census export's Chinese headers first,
// then English aliases. Shapefile .dbf names hold 10 bytes, so the truncated GBK forms of
// the longer Chinese headers are accepted too (罗马字母拼写 → 罗马字母拼).
var placeNameColumns = []column{
	{"name", []string{"标准名称", "name", "地名", "名称"}},
	{"pinyin", []string{"罗马字母拼写", "罗马字母拼", "pinyin", "汉语拼音", "拼音"}},
	{"category", []string{"类别代码", "category", "地名类别代码", "地名类别代", "类别"}},
	{"admin_code", []string{"行政区划代码", "行政区划代", "admin_code", "所在政区代码", "区划代码"}},
	{"origin", []string{"地名来历", "origin", "来历"}},
	{"meaning", []string{"地名含义", "meaning", "含义"}},
	{"history", []string{"历史沿革", "history", "沿革"}},
	{"heritage_level", []string{"遗产级别", "heritage_level", "地名文化遗产级别"}},
	{"heritage_list", []string{"地名文化遗产", "heritage", "heritage_list", "遗产名录"}},
	{"approval_no", []string{"批准文号", "approval_no", "命名文号"}},
	{"approved_on", []string{"批准时间", "approved_on", "批准日期", "命名时间"}},
	{"aliases", []string{"别名", "aliases", "简称"}},
	{"lon", []string{"经度", "lon", "lng", "longitude", "x"}},
	{"lat", []string{"纬度", "lat", "latitude", "y"}},
}

// ReadPlaceNames reads place names from a CSV file with a header row (points from
// lon/lat or 经度/纬度 columns, optional), a GeoJSON FeatureCollection or an ESRI
// Shapefile (any geometry, or none).
//
// Columns are matched by name (see placeNameColumns): 标准名称|name (required),
// 罗马字母拼写|pinyin, 类别代码|category (required), 行政区划代码|admin_code,
// 地名来历|origin, 地名含义|meaning, 历史沿革|history, 遗产级别|heritage_level,
// 地名文化遗产|heritage, 批准文号|approval_no, 批准时间|approved_on, 别名|aliases.
// A missing required column is fatal. A row with an empty name or category, a NUL in any
// value, only one of lon/lat, coordinates that are not numbers in range, or a geometry
// that cannot be read is rejected.
func ReadPlaceNames(fsys fs.FS, path string, opts PlaceNameOptions) (PlaceNameResult, error) {
	format, err := formatOf(path, FormatCSV, FormatGeoJSON, FormatShapefile)
	if err != nil {
		return PlaceNameResult{}, err
	}
	if format == FormatCSV {
		return readPlaceNameCSV(fsys, path, opts)
	}
	return readPlaceNameFeatures(fsys, path, opts)
}

// checkValues rejects NUL characters and empty required fields.
func checkPlaceValues(v map[string]string) (field, reason string) {
	for _, c := range placeNameColumns {
		if strings.ContainsRune(v[c.field], 0) {
			return c.field, "contains a NUL character"
		}
	}
	switch {
	case v["name"] == "":
		return "name", "empty"
	case v["category"] == "":
		return "category", "empty"
	}
	return "", ""
}

func readPlaceNameCSV(fsys fs.FS, name string, opts PlaceNameOptions) (PlaceNameResult, error) {
	var res PlaceNameResult
	f, err := openCSV(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	defer f.Close()
	res.Source = Source{Path: name, Format: FormatCSV, Encoding: f.encoding, EncodingFrom: encodingFrom(opts.Encoding), Fields: f.header}
	cols, err := f.columns(placeNameColumns, func(field string) bool { return field == "name" || field == "category" })
	if err != nil {
		return res, err
	}
	_, hasLon := cols["lon"]
	_, hasLat := cols["lat"]
	if hasLon != hasLat {
		if hasLon {
			return res, f.missing("lat")
		}
		return res, f.missing("lon")
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
		reject := func(field, reason string) {
			res.Rejects = append(res.Rejects, Reject{Err: Error{File: name, Line: line, Field: field, Reason: reason}, Raw: clone(rec)})
		}
		v := make(map[string]string, len(cols))
		for field, i := range cols {
			v[field] = strings.TrimSpace(rec[i])
		}
		if field, reason := checkPlaceValues(v); reason != "" {
			reject(field, reason)
			continue
		}
		row := PlaceNameRow{Line: line, Values: v, Raw: clone(rec)}
		if v["lon"] != "" || v["lat"] != "" {
			lon, field, reason := parseCoord("lon", v["lon"])
			if reason == "" {
				var lat float64
				lat, field, reason = parseCoord("lat", v["lat"])
				if reason == "" {
					field, reason = pointProblem(lon, lat)
				}
				row.Geometry = orb.Point{lon, lat}
			}
			if reason != "" {
				reject(field, reason)
				continue
			}
		}
		delete(v, "lon")
		delete(v, "lat")
		res.Rows = append(res.Rows, row)
	}
}

// pointProblem checks a lon/lat pair.
func pointProblem(lon, lat float64) (string, string) {
	if geo.LikelySwapped(lon, lat) {
		return "lon/lat", fmt.Sprintf("lat/lon swapped? (lon %v, lat %v)", lon, lat)
	}
	if err := geo.CheckLonLat(lon, lat); err != nil {
		var ce *geo.CoordError
		if errors.As(err, &ce) && ce.Axis == "latitude" {
			return "lat", err.Error()
		}
		return "lon", err.Error()
	}
	return "", ""
}

func readPlaceNameFeatures(fsys fs.FS, name string, opts PlaceNameOptions) (PlaceNameResult, error) {
	var res PlaceNameResult
	s, err := readFeatures(fsys, name, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	keys := map[string]string{}
	for _, c := range placeNameColumns {
		if c.field == "lon" || c.field == "lat" {
			continue
		}
		if k := s.findField(c.aliases...); k != "" {
			keys[c.field] = k
		} else if c.field == "name" || c.field == "category" {
			return res, s.missingField(c.field, "")
		}
	}
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	for i := range s.features {
		f := &s.features[i]
		v := make(map[string]string, len(keys))
		for field, k := range keys {
			v[field] = strings.TrimSpace(f.get(k))
		}
		if field, reason := checkPlaceValues(v); reason != "" {
			res.Rejects = append(res.Rejects, s.reject(i, field, "%s", reason))
			continue
		}
		if f.geomErr != "" {
			res.Rejects = append(res.Rejects, s.reject(i, "geometry", "%s", f.geomErr))
			continue
		}
		if e := bad[i]; e != nil {
			res.Rejects = append(res.Rejects, s.reject(i, "geometry", "%v", e))
			continue
		}
		res.Rows = append(res.Rows, PlaceNameRow{Line: f.line, Index: f.index, Values: v, Geometry: f.geom, Raw: s.raw(i)})
	}
	return res, nil
}
