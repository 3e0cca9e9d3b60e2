package parse

import (
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// MarkerOptions control ReadMarkers.
type MarkerOptions struct {
	// CRS of the coordinates; they are converted to WGS84. Zero value: WGS84.
	CRS geo.CRS
	// Encoding overrides detection: utf-8, gbk or gb18030.
	Encoding string
}

// MarkerRow is one boundary marker (界桩).
type MarkerRow struct {
	Line    int // CSV line, or the line a GeoJSON feature starts on
	Feature int // GeoJSON feature index (0 for CSV)
	Number  string
	// LineRef names the boundary line: its id (ext_id) or name; empty means the nearest.
	LineRef       string
	Kind          string // single, paired, triple
	Condition     string // intact, damaged, missing, moved
	Lon, Lat      float64
	Photos        []string
	InstalledOn   *time.Time
	LastInspected *time.Time
	Notes         string
}

// MarkerResult holds the markers read from one file.
type MarkerResult struct {
	Source
	Rows    []MarkerRow
	Rejects []Reject
}

var markerColumns = []column{
	{"number", []string{"number", "编号", "界桩编号", "marker", "桩号"}},
	{"line", []string{"line", "line_id", "界线", "界线编号", "所属界线"}},
	{"kind", []string{"kind", "type", "类型", "界桩类型"}},
	{"condition", []string{"condition", "状况", "完好情况", "状态"}},
	{"photos", []string{"photos", "照片"}},
	{"installed_on", []string{"installed_on", "install_date", "埋设日期"}},
	{"last_inspected", []string{"last_inspected", "检查日期", "最近检查"}},
	{"notes", []string{"notes", "备注"}},
}

// ReadMarkers reads markers from a CSV file with a header row (lon/lat columns) or a
// GeoJSON FeatureCollection of Points. Columns (case-insensitive): number|编号|界桩编号,
// line|界线|界线编号 (the line's id or name; empty: the nearest line), kind|类型
// (single|单立, paired|同号双立, triple|三面型; default single), condition|状况 (intact|完好,
// damaged|损坏, missing|丢失, moved|移位; default intact), photos|照片 (names separated by
// ; or ，), installed_on|埋设日期, last_inspected|检查日期, notes|备注. number (and for CSV
// lon and lat) are required columns. Rows with an empty or repeated number, missing or bad
// coordinates, an unknown kind or condition, or a bad date are rejected.
func ReadMarkers(fsys fs.FS, path string, opts MarkerOptions) (MarkerResult, error) {
	var res MarkerResult
	s, err := readRecords(fsys, path, opts.Encoding, markerColumns, []string{"number"}, true)
	if err != nil {
		return res, err
	}
	res.Source, res.Rejects = s.Source, s.rejects
	first := map[string]string{}
	for i := range s.records {
		r := &s.records[i]
		rej := func(field, format string, args ...any) {
			res.Rejects = append(res.Rejects, s.errAt(r, field, format, args...))
		}
		row := MarkerRow{Line: r.line, Feature: r.feature, Number: r.v["number"], LineRef: r.v["line"], Notes: r.v["notes"]}
		if row.Number == "" {
			rej("number", "empty")
			continue
		}
		if w, dup := first[row.Number]; dup {
			rej("number", "duplicate marker number %s (first at %s)", row.Number, w)
			continue
		}
		first[row.Number] = r.where()
		switch {
		case r.pointErr != "":
			rej(r.pointField, "%s", r.pointErr)
			continue
		case !r.hasPoint:
			f := "lon/lat"
			if r.feature > 0 {
				f = "geometry"
			}
			rej(f, "empty: a marker needs coordinates")
			continue
		}
		var ok bool
		if row.Kind, ok = markerKindWords[strings.ToLower(r.v["kind"])]; !ok {
			rej("kind", "%q is not one of single, paired, triple (单立, 同号双立, 三面型)", r.v["kind"])
			continue
		}
		if row.Condition, ok = ParseCondition(r.v["condition"]); !ok {
			if r.v["condition"] != "" {
				rej("condition", "%q is not one of intact, damaged, missing, moved (完好, 损坏, 丢失, 移位)", r.v["condition"])
				continue
			}
			row.Condition = "intact"
		}
		bad := false
		for _, d := range []struct {
			field string
			dst   **time.Time
		}{{"installed_on", &row.InstalledOn}, {"last_inspected", &row.LastInspected}} {
			if v := r.v[d.field]; v != "" {
				t, err := parseDate(v)
				if err != nil {
					rej(d.field, "%v", err)
					bad = true
					break
				}
				*d.dst = &t
			}
		}
		if bad {
			continue
		}
		row.Photos = splitList(r.v["photos"])
		p := opts.CRS.ToWGS84(orb.Point{r.point[0], r.point[1]})
		row.Lon, row.Lat = p[0], p[1]
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// FindingOptions control ReadFindings.
type FindingOptions struct {
	// CRS of the coordinates (the package's, e.g. GCJ-02); converted to WGS84.
	CRS      geo.CRS
	Encoding string
}

// FindingRow is what a team reports on one marker.
type FindingRow struct {
	Line, Feature int
	Number        string
	Condition     string
	// HasPoint: new coordinates were given (WGS84 after conversion).
	HasPoint    bool
	Lon, Lat    float64
	Notes       string
	Photos      []string
	Inspector   string
	InspectedOn time.Time
	// Version is the marker version the team carried (0: not given; the package's).
	Version int
	Team    string
}

// FindingResult holds the findings read from one file.
type FindingResult struct {
	Source
	Rows    []FindingRow
	Rejects []Reject
	// Skipped counts the records with neither date nor inspector: markers of the package
	// that nobody reported on.
	Skipped int
}

var findingColumns = []column{
	{"number", []string{"number", "marker", "编号", "界桩编号", "桩号"}},
	{"condition", []string{"condition", "状况", "完好情况"}},
	{"notes", []string{"notes", "备注", "finding_notes"}},
	{"photos", []string{"photos", "照片"}},
	{"inspector", []string{"inspector", "检查人", "检查员"}},
	{"date", []string{"date", "inspected_on", "检查日期"}},
	{"version", []string{"version", "marker_version", "版本"}},
	{"team", []string{"team", "联检组"}},
}

// ReadFindings reads field findings: CSV (number, condition, optional new lon/lat, notes,
// photos, inspector, date, version) or GeoJSON (the package's markers.geojson edited in the
// field: the geometry is the measured position). number, condition and date are required;
// a repeated marker number, an unknown condition, a bad date or bad coordinates are
// rejected with file:line (feature): field. A record with neither date nor inspector is
// a marker nobody visited and is skipped.
func ReadFindings(fsys fs.FS, path string, opts FindingOptions) (FindingResult, error) {
	var res FindingResult
	s, err := readRecords(fsys, path, opts.Encoding, findingColumns, []string{"number", "condition", "date"}, false)
	if err != nil {
		return res, err
	}
	res.Source, res.Rejects = s.Source, s.rejects
	first := map[string]string{}
	for i := range s.records {
		r := &s.records[i]
		rej := func(field, format string, args ...any) {
			res.Rejects = append(res.Rejects, s.errAt(r, field, format, args...))
		}
		row := FindingRow{Line: r.line, Feature: r.feature, Number: r.v["number"], Notes: r.v["notes"], Inspector: r.v["inspector"], Team: r.v["team"]}
		if row.Number == "" {
			rej("number", "empty")
			continue
		}
		if w, dup := first[row.Number]; dup {
			rej("number", "marker %s reported twice (first at %s); keep one finding per marker", row.Number, w)
			continue
		}
		if r.v["date"] == "" && r.v["inspector"] == "" {
			res.Skipped++ // not visited: a marker of the package nobody reported on
			continue
		}
		first[row.Number] = r.where()
		var ok bool
		if row.Condition, ok = ParseCondition(r.v["condition"]); !ok {
			if r.v["condition"] == "" {
				rej("condition", "empty")
			} else {
				rej("condition", "%q is not one of intact, damaged, missing, moved (完好, 损坏, 丢失, 移位)", r.v["condition"])
			}
			continue
		}
		if r.v["date"] == "" {
			rej("date", "empty")
			continue
		}
		t, err := parseDate(r.v["date"])
		if err != nil {
			rej("date", "%v", err)
			continue
		}
		row.InspectedOn = t
		if v := r.v["version"]; v != "" {
			n := 0
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != v {
				rej("version", "%q is not a positive whole number", v)
				continue
			}
			row.Version = n
		}
		if r.pointErr != "" {
			rej(r.pointField, "%s", r.pointErr)
			continue
		}
		if r.hasPoint {
			p := opts.CRS.ToWGS84(r.point)
			row.HasPoint, row.Lon, row.Lat = true, p[0], p[1]
		}
		row.Photos = splitList(r.v["photos"])
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}
