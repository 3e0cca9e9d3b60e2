package format_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/geo/format"
	"fangyuan/internal/testenv"
)

func layers() []*format.Layer {
	d := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	lines := &format.Layer{Name: "lines", Title: "界线", GeometryType: "MULTILINESTRING", NameField: "name",
		Fields: []format.Field{{Name: "id", Type: format.String}, {Name: "name", Type: format.String}, {Name: "length_m", Type: format.Real}, {Name: "level", Type: format.Integer}},
		Styles: []format.Style{{ID: "line", Color: "ff0000ff", Width: 3}},
		Features: []format.Feature{
			{Geometry: orb.MultiLineString{{{120, 30}, {120.01, 30.01}}}, Values: []any{"L1", "甲—乙线", 1500.5, 4}},
			{Geometry: orb.MultiLineString{{{120, 30}, {120, 30.01}}, {{120.02, 30}, {120.03, 30}}}, Values: []any{"L2", "乙—丙线 & <x>", 2000.0, 4}},
		}}
	markers := &format.Layer{Name: "markers", GeometryType: "POINT", NameField: "number",
		Fields: []format.Field{{Name: "number", Type: format.String}, {Name: "condition", Type: format.String}, {Name: "date", Type: format.Date}, {Name: "version", Type: format.Integer}},
		Styles: []format.Style{{ID: "intact", Color: "ff00ff00", IconScale: 1}, {ID: "missing", Color: "ff0000ff", IconScale: 1.2}},
		Features: []format.Feature{
			{Geometry: orb.Point{120.005, 30.005}, Values: []any{"莲青01", "intact", d, 1}, Style: "intact"},
			{Geometry: orb.Point{120.006, 30.006}, Values: []any{"莲青02", "missing", nil, 3}, Style: "missing"},
			{Geometry: orb.Point{120.007, 30.007}, Values: []any{"莲青03", "intact", nil, 1}},
		}}
	// A clockwise exterior ring and a counter-clockwise hole: the writer must flip both.
	areas := &format.Layer{Name: "areas", GeometryType: "POLYGON", Fields: []format.Field{{Name: "kind", Type: format.String}},
		Features: []format.Feature{{Geometry: orb.Polygon{
			{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}},
			{{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}},
		}, Values: []any{"gap"}}}}
	return []*format.Layer{lines, markers, areas}
}

// signedArea is the shoelace sum (positive: counter-clockwise), computed here by hand.
func signedArea(ring [][2]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(ring); i++ {
		a += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	return a / 2
}

func TestGeoJSONRFC7946(t *testing.T) {
	var buf bytes.Buffer
	ls := layers()
	if err := format.WriteGeoJSON(&buf, ls[2]); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["crs"]; ok {
		t.Error("crs member present")
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string         `json:"type"`
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	rings := fc.Features[0].Geometry.Coordinates
	if a := signedArea(rings[0]); a != 100 {
		t.Errorf("exterior signed area %v, want +100 (counter-clockwise)", a)
	}
	if a := signedArea(rings[1]); a != -4 {
		t.Errorf("hole signed area %v, want -4 (clockwise)", a)
	}
	// The input was not modified.
	if ls[2].Features[0].Geometry.(orb.Polygon)[0][1] != (orb.Point{0, 10}) {
		t.Error("writer modified its input")
	}
	// Properties keep the field order and dates are YYYY-MM-DD.
	buf.Reset()
	if err := format.WriteGeoJSON(&buf, ls[1]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"properties":{"number":"莲青01","condition":"intact","date":"2026-10-01","version":1}`) {
		t.Errorf("properties: %s", buf.String())
	}
	// A value of the wrong type is an error.
	bad := &format.Layer{Name: "x", Fields: []format.Field{{Name: "n", Type: format.Integer}}, Features: []format.Feature{{Values: []any{"1"}}}}
	if err := format.WriteGeoJSON(io.Discard, bad); err == nil {
		t.Error("wrong type accepted")
	}
}

func ogrinfo(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.Tool(t, "ogrinfo", "gdal-bin")
	out, err := exec.Command(bin, append([]string{"-ro", "-al"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var featureCount = regexp.MustCompile(`(?m)^Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)`)

// counts parses "Layer name: X ... Feature Count: N" from ogrinfo -so output.
func counts(out string) map[string]string {
	m := map[string]string{}
	for _, g := range featureCount.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	return m
}

func TestGeoPackageOgrinfo(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.gpkg")
	if err := format.WriteGeoPackage(p, layers(), format.GeoPackageOptions{Modified: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// SQLite header: application_id at offset 68, user_version at 60 (big-endian).
	if string(b[68:72]) != "GPKG" {
		t.Errorf("application_id %q", b[68:72])
	}
	if uv := int(b[60])<<24 | int(b[61])<<16 | int(b[62])<<8 | int(b[63]); uv != 10300 {
		t.Errorf("user_version %d", uv)
	}
	summary := ogrinfo(t, "-so", p)
	c := counts(summary)
	if c["lines"] != "2" || c["markers"] != "3" || c["areas"] != "1" {
		t.Errorf("feature counts %v\n%s", c, summary)
	}
	for _, want := range []string{"Geometry: Multi Line String", "Geometry: Point", "Geometry: Polygon", "id: String", "length_m: Real",
		"level: Integer", "date: Date", "Extent: (120.000000, 30.000000) - (120.030000, 30.010000)", `ID["EPSG",4326]`} {
		if !strings.Contains(summary, want) {
			t.Errorf("ogrinfo lacks %q:\n%s", want, summary)
		}
	}
	full := ogrinfo(t, p, "markers")
	for _, want := range []string{"number (String) = 莲青02", "condition (String) = missing", "date (Date) = 2026/10/01", "POINT (120.006 30.006)"} {
		if !strings.Contains(full, want) {
			t.Errorf("ogrinfo lacks %q:\n%s", want, full)
		}
	}
	full = ogrinfo(t, p, "lines")
	// The two-part line: GDAL prints numbers with its own precision rules (120.0, 30.0),
	// so compare the parsed coordinates.
	m := regexp.MustCompile(`MULTILINESTRING \(\(([^)]*)\),\(([^)]*)\)\)`).FindStringSubmatch(full)
	if m == nil {
		t.Fatalf("no two-part MULTILINESTRING:\n%s", full)
	}
	norm := func(s string) string {
		var out []string
		for _, pt := range strings.Split(s, ",") {
			var x, y float64
			if _, err := fmt.Sscanf(pt, "%g %g", &x, &y); err != nil {
				t.Fatalf("point %q: %v", pt, err)
			}
			out = append(out, fmt.Sprintf("%g %g", x, y))
		}
		return strings.Join(out, ",")
	}
	if a, b := norm(m[1]), norm(m[2]); a != "120 30,120 30.01" || b != "120.02 30,120.03 30" {
		t.Errorf("lines geometry %q %q", a, b)
	}
	if !strings.Contains(full, "name (String) = 乙—丙线 & <x>") {
		t.Errorf("lines names:\n%s", full)
	}
}

func TestKMLAndKMZOgrinfo(t *testing.T) {
	dir := t.TempDir()
	ls := layers()[:2]
	kml := filepath.Join(dir, "t.kml")
	f, err := os.Create(kml)
	if err != nil {
		t.Fatal(err)
	}
	if err := format.WriteKML(f, "测试", ls); err != nil {
		t.Fatal(err)
	}
	f.Close()
	summary := ogrinfo(t, "-so", kml)
	c := counts(summary)
	if c["lines"] != "2" || c["markers"] != "3" {
		t.Errorf("feature counts %v\n%s", c, summary)
	}
	full := ogrinfo(t, kml, "markers")
	for _, want := range []string{"number (String) = 莲青01", "condition (String) = missing", "version (String) = 3", "POINT (120.006 30.006)"} {
		if !strings.Contains(full, want) {
			t.Errorf("KML lacks %q:\n%s", want, full)
		}
	}
	kmz := filepath.Join(dir, "t.kmz")
	f, err = os.Create(kmz)
	if err != nil {
		t.Fatal(err)
	}
	if err := format.WriteKMZ(f, "测试", ls, time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	zr, err := zip.OpenReader(kmz)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "doc.kml" {
		t.Errorf("kmz entries %v", zr.File)
	}
	zr.Close()
	c = counts(ogrinfo(t, "-so", kmz))
	if c["lines"] != "2" || c["markers"] != "3" {
		t.Errorf("kmz feature counts %v", c)
	}
}
