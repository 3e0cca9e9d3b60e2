package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

// boundarySource is a small county layer: a Polygon, a MultiPolygon with a
// hole and a second part, numbers, a null and Chinese text.
const boundarySource = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"331102","name":"莲都区","pop":12.5,"rank":3,"note":"丽水市"},
 "geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"330902","name":"定海区","pop":null,"rank":4,"note":"舟山市·群岛"},
 "geometry":{"type":"MultiPolygon","coordinates":[
  [[[122.0,30.0],[122.2,30.0],[122.2,30.2],[122.0,30.2],[122.0,30.0]],[[122.05,30.05],[122.05,30.15],[122.15,30.15],[122.15,30.05],[122.05,30.05]]],
  [[[122.3,30.0],[122.4,30.0],[122.35,30.1],[122.3,30.0]]]]}},
{"type":"Feature","properties":{"code":"331181","name":"龙泉市","pop":-0.25,"rank":10,"note":""},
 "geometry":{"type":"Polygon","coordinates":[[[118.9,27.9],[119.2,27.9],[119.2,28.2],[118.9,27.9]]]}}
]}
`

func TestReadBoundariesGeoJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "counties.geojson", boundarySource)
	res, err := ReadBoundaries(os.DirFS(dir), "counties.geojson", BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejects) != 0 {
		t.Fatalf("rejects: %v", rejectTexts(res.Rejects))
	}
	want := []BoundaryFeature{
		{Index: 1, Code: "331102", Name: "莲都区",
			Props:    map[string]string{"code": "331102", "name": "莲都区", "pop": "12.5", "rank": "3", "note": "丽水市"},
			Geometry: orb.MultiPolygon{{{{119.8, 28.3}, {120.1, 28.3}, {120.1, 28.6}, {119.8, 28.6}, {119.8, 28.3}}}}},
		{Index: 2, Code: "330902", Name: "定海区",
			Props: map[string]string{"code": "330902", "name": "定海区", "pop": "", "rank": "4", "note": "舟山市·群岛"},
			Geometry: orb.MultiPolygon{
				{{{122.0, 30.0}, {122.2, 30.0}, {122.2, 30.2}, {122.0, 30.2}, {122.0, 30.0}}, {{122.05, 30.05}, {122.05, 30.15}, {122.15, 30.15}, {122.15, 30.05}, {122.05, 30.05}}},
				{{{122.3, 30.0}, {122.4, 30.0}, {122.35, 30.1}, {122.3, 30.0}}},
			}},
		{Index: 3, Code: "331181", Name: "龙泉市",
			Props:    map[string]string{"code": "331181", "name": "龙泉市", "pop": "-0.25", "rank": "10", "note": ""},
			Geometry: orb.MultiPolygon{{{{118.9, 27.9}, {119.2, 27.9}, {119.2, 28.2}, {118.9, 27.9}}}}},
	}
	if d := cmp.Diff(want, res.Features); d != "" {
		t.Errorf("features (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"code", "name", "pop", "rank", "note"}, res.Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	if res.Format != FormatGeoJSON || res.Encoding != EncodingUTF8 || res.EncodingFrom != "detected" {
		t.Errorf("source = %+v", res.Source)
	}

	// A GBK copy made by iconv reads the same.
	iconvFile(t, "UTF-8", "GBK", filepath.Join(dir, "counties.geojson"), filepath.Join(dir, "gbk.geojson"))
	gbk, err := ReadBoundaries(os.DirFS(dir), "gbk.geojson", BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res.Features, gbk.Features); d != "" || gbk.Encoding != EncodingGBK {
		t.Errorf("GBK copy read as %s, differently (-want +got):\n%s", gbk.Encoding, d)
	}

	// A clockwise outer ring (against RFC 7946) reads the same.
	cw := strings.Replace(boundarySource,
		"[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.6],[119.8,28.3]]]",
		"[[[119.8,28.3],[119.8,28.6],[120.1,28.6],[120.1,28.3],[119.8,28.3]]]", 1)
	writeFile(t, dir, "cw.geojson", cw)
	res2, err := ReadBoundaries(os.DirFS(dir), "cw.geojson", BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res.Features, res2.Features); d != "" {
		t.Errorf("clockwise ring read differently (-want +got):\n%s", d)
	}
}

// TestReadBoundariesShapefile writes the GeoJSON source as Shapefiles with
// GDAL in several encodings and checks each reads back equal to it.
func TestReadBoundariesShapefile(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "counties.geojson", boundarySource)
	want, err := ReadBoundaries(os.DirFS(dir), "counties.geojson", BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lco      string // ogr2ogr layer creation option ENCODING=
		dropCPG  bool
		opt      string
		srs      string // -t_srs
		wantCRS  string // default EPSG:4326
		wantEnc  string
		wantFrom string
	}{
		{name: "gbk", lco: "GBK", wantEnc: EncodingGBK, wantFrom: ".cpg"},
		{name: "cp936", lco: "CP936", wantEnc: EncodingGBK, wantFrom: ".cpg"},
		{name: "utf8", lco: "UTF-8", wantEnc: EncodingUTF8, wantFrom: ".cpg"},
		{name: "ldid", lco: "LDID/77", wantEnc: EncodingGBK, wantFrom: "dbf language driver"},
		{name: "gbk-no-cpg", lco: "GBK", dropCPG: true, wantEnc: EncodingGBK, wantFrom: "detected"},
		{name: "utf8-no-cpg", lco: "UTF-8", dropCPG: true, wantEnc: EncodingUTF8, wantFrom: "detected"},
		{name: "gb18030-option", lco: "GBK", opt: "gb18030", wantEnc: EncodingGB18030, wantFrom: "option"},
		{name: "cgcs2000", lco: "UTF-8", srs: "EPSG:4490", wantCRS: "EPSG:4490", wantEnc: EncodingUTF8, wantFrom: ".cpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shp := filepath.Join(dir, tt.name+".shp")
			args := []string{"-f", "ESRI Shapefile", "-lco", "ENCODING=" + tt.lco}
			if tt.srs != "" {
				args = append(args, "-t_srs", tt.srs)
			}
			ogr2ogr(t, append(args, shp, src)...)
			if tt.dropCPG {
				if err := os.Remove(filepath.Join(dir, tt.name+".cpg")); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadBoundaries(os.DirFS(dir), tt.name+".shp", BoundaryOptions{Encoding: tt.opt})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rejects) != 0 {
				t.Fatalf("rejects: %v", rejectTexts(got.Rejects))
			}
			if d := cmp.Diff(want.Features, got.Features); d != "" {
				t.Errorf("features differ from the GeoJSON source (-want +got):\n%s", d)
			}
			if tt.wantCRS == "" {
				tt.wantCRS = "EPSG:4326"
			}
			if got.Encoding != tt.wantEnc || got.EncodingFrom != tt.wantFrom || got.CRS != tt.wantCRS || got.Format != FormatShapefile {
				t.Errorf("source = %+v", got.Source)
			}
		})
	}
}

func TestReadBoundariesBadInput(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "counties.geojson", boundarySource)

	// Shapefiles made by GDAL for the fatal cases.
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:4549", filepath.Join(dir, "gk.shp"), src)
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:4549", filepath.Join(dir, "gknoprj.shp"), src)
	must(t, os.Remove(filepath.Join(dir, "gknoprj.prj")))
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-t_srs", "EPSG:4214", filepath.Join(dir, "beijing54.shp"), src)
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "noshx.shp"), src)
	must(t, os.Remove(filepath.Join(dir, "noshx.shx")))
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "nodbf.shp"), src)
	must(t, os.Remove(filepath.Join(dir, "nodbf.dbf")))
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", filepath.Join(dir, "badcpg.shp"), src)
	writeFile(t, dir, "badcpg.cpg", "ISO-8859-8")
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", filepath.Join(dir, "wrongcpg.shp"), src)
	writeFile(t, dir, "wrongcpg.cpg", "UTF-8")
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", filepath.Join(dir, "gbkutf8opt.shp"), src)
	points := writeFile(t, dir, "points.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"331102","name":"莲都区"},"geometry":{"type":"Point","coordinates":[119.9,28.4]}}]}`)
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "points.shp"), points)
	emptyCode := writeFile(t, dir, "emptycode.geojson", strings.Replace(boundarySource, `"code":"330902"`, `"code":""`, 1))
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "emptycode.shp"), emptyCode)

	writeFile(t, dir, "mixed.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"331102","name":"莲都区"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"","name":"空"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"name":"无代码"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"331121","name":"线"},"geometry":{"type":"LineString","coordinates":[[119.8,28.3],[120.1,28.3]]}},
{"type":"Feature","properties":{"code":"331122","name":"空几何"},"geometry":null},
{"type":"Feature","properties":{"code":"331102","name":"重复"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"331123","name":"未闭合"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.4]]]}},
{"type":"Feature","properties":{"code":"331124","name":"三点"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"331125","name":"越界"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[200.1,28.3],[120.1,28.6],[119.8,28.3]]]}},
{"type":"Feature","properties":{"code":"331126","name":"集合"},"geometry":{"type":"GeometryCollection","geometries":[]}},
{"type":"Feature","properties":{"code":"331127","name":"零面积"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.4,28.3],[119.8,28.3]]]}}
]}`)
	writeFile(t, dir, "mercator.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}`)
	writeFile(t, dir, "cgcs2000.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[
{"type":"Feature","properties":{"code":"331102"},"geometry":{"type":"Polygon","coordinates":[[[119.8,28.3],[120.1,28.3],[120.1,28.6],[119.8,28.3]]]}}]}`)
	writeFile(t, dir, "metres.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"331102"},"geometry":{"type":"Polygon","coordinates":[[[40480000,3130000],[40510000,3130000],[40510000,3160000],[40480000,3130000]]]}}]}`)
	writeFile(t, dir, "swapped.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"331102"},"geometry":{"type":"Polygon","coordinates":[[[28.3,119.8],[28.3,120.1],[28.6,120.1],[28.3,119.8]]]}}]}`)
	writeFile(t, dir, "broken.geojson", "{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":\"Feature\",}]}")
	writeFile(t, dir, "feature.geojson", `{"type":"Feature","properties":{},"geometry":null}`)
	writeFile(t, dir, "counties.kml", "<kml/>")

	tests := []struct {
		name    string
		path    string
		opts    BoundaryOptions
		wantErr string
		rejects []string
		n       int // features read
	}{
		// feature 11 has a zero-area ring: valid structure, left to PostGIS to repair or reject
		{name: "rejects with lines", path: "mixed.geojson", n: 2, rejects: []string{
			"mixed.geojson:3: code: empty (feature 2)",
			"mixed.geojson:4: code: empty (feature 3)",
			"mixed.geojson:5: geometry: LineString, want Polygon or MultiPolygon (feature 4)",
			"mixed.geojson:6: geometry: empty (null geometry) (feature 5)",
			"mixed.geojson:7: code: duplicate code 331102 (first at feature 1); merge the parts into one MultiPolygon (feature 6)",
			"mixed.geojson:8: geometry: ring 1 is not closed (first point [119.8 28.3], last [119.8 28.4]) (feature 7)",
			"mixed.geojson:9: geometry: ring 1 has 3 points, a ring needs at least 4 (feature 8)",
			"mixed.geojson:10: geometry: longitude 200.1 out of range [-180, 180] (feature 9)",
			"mixed.geojson:11: geometry: GeometryCollection is not supported (feature 10)",
		}},
		{name: "shapefile empty code", path: "emptycode.shp", n: 2, rejects: []string{"emptycode.shp:feature 2: code: empty"}},
		{name: "shapefile of points", path: "points.shp", rejects: []string{"points.shp:feature 1: geometry: Point, want Polygon or MultiPolygon"}},
		{name: "geojson crs", path: "cgcs2000.geojson", n: 1},
		{name: "unknown code field", path: "counties.geojson", opts: BoundaryOptions{CodeField: "adcode"},
			wantErr: "counties.geojson: adcode: no such field (have: code, name, pop, rank, note); set the code field to one of these"},
		{name: "unknown code field shapefile", path: "emptycode.shp", opts: BoundaryOptions{CodeField: "GB"},
			wantErr: "emptycode.shp: GB: no such field (have: code, name, pop, rank, note); set the code field to one of these"},
		{name: "no default code field", path: "feature.geojson", wantErr: `feature.geojson:1: type: "Feature": want a FeatureCollection`},
		{name: "unknown name field", path: "counties.geojson", opts: BoundaryOptions{NameField: "名称"},
			wantErr: "counties.geojson: 名称: no such field (have: code, name, pop, rank, note); set the name field to one of these"},
		{name: "projected prj", path: "gk.shp",
			wantErr: `gk.prj: projected coordinate system "CGCS2000_3_Degree_GK_CM_120E" (metres); want geographic WGS84 or CGCS2000 longitude/latitude; reproject it first: ogr2ogr -t_srs EPSG:4326 out.shp gk.shp`},
		{name: "projected without prj", path: "gknoprj.shp",
			wantErr: "gknoprj.shp: geometry: coordinates are not WGS84 longitude/latitude degrees (feature 1 has "},
		{name: "projected without prj fix", path: "gknoprj.shp",
			wantErr: "reproject it first: ogr2ogr -t_srs EPSG:4326 out.shp gknoprj.shp (the file has no .prj, so also give its system with -s_srs"},
		{name: "beijing 1954", path: "beijing54.shp",
			wantErr: `beijing54.prj: geographic coordinate system "GCS_Beijing_1954" is neither WGS84 nor CGCS2000 (Beijing 1954 or Xian 1980 need a datum shift); reproject it first: ogr2ogr -t_srs EPSG:4326 out.shp beijing54.shp`},
		{name: "geojson mercator", path: "mercator.geojson",
			wantErr: "mercator.geojson:1: crs: urn:ogc:def:crs:EPSG::3857 is not WGS84/CGCS2000 longitude/latitude; reproject it first: ogr2ogr -t_srs EPSG:4326 out.geojson mercator.geojson"},
		{name: "geojson metres", path: "metres.geojson",
			wantErr: "metres.geojson: geometry: coordinates are not WGS84 longitude/latitude degrees (feature 1 has 4.048e+07, 3.13e+06: latitude 3.13e+06 out of range [-90, 90]): projected data? reproject it first: ogr2ogr -t_srs EPSG:4326 out.geojson metres.geojson"},
		{name: "geojson swapped", path: "swapped.geojson",
			wantErr: "swapped.geojson: geometry: coordinates are latitude first (feature 1 has 28.3, 119.8: latitude 119.8 out of range [-90, 90] (lat/lon swapped?)); write them longitude first"},
		{name: "missing shx", path: "noshx.shp", wantErr: "noshx.shp: missing .shx beside it (a Shapefile needs .shp, .shx and .dbf)"},
		{name: "missing dbf", path: "nodbf.shp", wantErr: "nodbf.shp: missing .dbf beside it"},
		{name: "missing shp", path: "nothere.shp", wantErr: "nothere.shp: file does not exist"},
		{name: "missing geojson", path: "nothere.geojson", wantErr: "nothere.geojson: open nothere.geojson: no such file or directory"},
		{name: "unknown cpg", path: "badcpg.shp",
			wantErr: `badcpg.cpg: unsupported encoding "ISO-8859-8" (supported: UTF-8, GBK/CP936/936, GB18030); set the encoding option, or convert: ogr2ogr -lco ENCODING=UTF-8 out.shp in.shp`},
		{name: "wrong cpg", path: "wrongcpg.shp",
			wantErr: `wrongcpg.dbf:feature 1: name: not valid UTF-8 text (declared by wrongcpg.cpg: "UTF-8"); fix the .cpg, or set the encoding option`},
		{name: "wrong cpg overridden", path: "wrongcpg.shp", opts: BoundaryOptions{Encoding: "gbk"}, n: 3},
		{name: "wrong option", path: "gbkutf8opt.shp", opts: BoundaryOptions{Encoding: "utf-8"},
			wantErr: `gbkutf8opt.dbf:feature 1: name: not valid UTF-8 text (encoding option "utf-8")`},
		{name: "invalid json", path: "broken.geojson", wantErr: "broken.geojson:3: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{name: "unsupported format", path: "counties.kml", wantErr: `counties.kml: unsupported format ".kml" (want .geojson, .json, .shp)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ReadBoundaries(os.DirFS(dir), tt.path, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v\nwant      %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.rejects, rejectTexts(res.Rejects)); d != "" {
				t.Errorf("rejects (-want +got):\n%s", d)
			}
			if len(res.Features) != tt.n {
				t.Errorf("%d features, want %d", len(res.Features), tt.n)
			}
			for _, r := range res.Rejects {
				if len(r.Raw) == 0 || len(r.Raw) > len(res.Fields) {
					t.Errorf("reject %s: raw %q for fields %q", r.Err.Error(), r.Raw, res.Fields)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
