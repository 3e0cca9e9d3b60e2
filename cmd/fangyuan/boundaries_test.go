package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/geo"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// plantedVillages writes the demo village layer with one vertex of the first
// village moved 300 m outward (an overlap with its neighbour, sticking out of
// its township) and returns the file and the moved village's code.
func plantedVillages(t *testing.T, dir string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(demoPath(t, "boundaries/villages.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	// a vertex shared by exactly two villages of different townships, not
	// at a junction
	parents := map[orb.Point][]string{}
	for _, f := range fc.Features {
		for _, p := range polygons(f.Geometry) {
			for _, q := range p[0][:len(p[0])-1] {
				parents[q] = append(parents[q], f.Properties.MustString("parent_code"))
			}
		}
	}
	across := func(q orb.Point) bool { return len(parents[q]) == 2 && parents[q][0] != parents[q][1] }
	var f *geojson.Feature
	var ring orb.Ring
	k := -1
	for _, c := range fc.Features {
		ring = polygons(c.Geometry)[0][0]
		for i := 1; i < len(ring)-2 && k < 0; i++ {
			if across(ring[i-1]) && across(ring[i]) && across(ring[i+1]) {
				k, f = i, c
			}
		}
		if k >= 0 {
			break
		}
	}
	if k < 0 {
		t.Fatal("no vertex to move")
	}
	prev, next := ring[k-1], ring[k+1]
	kx, ky := geo.MetresPerDegree(ring[k][1])
	dx, dy := (next[0]-prev[0])*kx, (next[1]-prev[1])*ky
	l := math.Hypot(dx, dy)
	sign := 1.0
	if ring.Orientation() == orb.CW {
		sign = -1
	}
	ring[k] = orb.Point{ring[k][0] + sign*300*dy/l/kx, ring[k][1] - sign*300*dx/l/ky}
	out, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "villages.geojson")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, f.Properties.MustString("code")
}

func polygons(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// ogrInfo returns ogrinfo's summary of a file's one layer.
func ogrInfo(t *testing.T, path string, args ...string) string {
	t.Helper()
	ogr := testenv.Tool(t, "ogrinfo", "gdal-bin")
	out, err := exec.Command(ogr, append(append([]string{"-ro", "-al", "-so"}, args...), path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
	}
	return string(out)
}

func featureCount(t *testing.T, info string) int {
	t.Helper()
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no feature count in\n%s", info)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkRFC7946 checks a GeoJSON file: no crs member, polygons with
// counter-clockwise outer rings and clockwise holes (shoelace, computed
// here), lon/lat coordinates.
func checkRFC7946(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if _, ok := doc["crs"]; ok {
		t.Errorf("%s has a crs member", path)
	}
	if doc["type"] != "FeatureCollection" {
		t.Errorf("%s: type %v", path, doc["type"])
	}
	shoelace := func(r []any) float64 {
		var s float64
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i].([]any), r[i+1].([]any)
			s += a[0].(float64)*b[1].(float64) - b[0].(float64)*a[1].(float64)
		}
		return s
	}
	for _, f := range doc["features"].([]any) {
		g := f.(map[string]any)["geometry"].(map[string]any)
		var polys [][]any
		switch g["type"] {
		case "Polygon":
			polys = [][]any{g["coordinates"].([]any)}
		case "MultiPolygon":
			for _, p := range g["coordinates"].([]any) {
				polys = append(polys, p.([]any))
			}
		}
		for _, p := range polys {
			for i, r := range p {
				if a := shoelace(r.([]any)); (i == 0) != (a > 0) {
					t.Errorf("%s: ring %d of a polygon winds the wrong way (signed area %g)", path, i, a)
				}
			}
		}
	}
	return doc
}

func TestBoundariesCommands(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	dir := t.TempDir()
	villages, moved := plantedVillages(t, dir)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}

	// PostGIS reference: the neighbouring pairs (shared edge longer than the
	// tolerance after snapping) and the overlap of the moved village.
	ogr2ogr := testenv.Tool(t, "ogr2ogr", "gdal-bin")
	if out, err := exec.Command(ogr2ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "villages.shp"), villages).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(villages)
	if _, err := pool.Exec(ctx, `CREATE TABLE v AS SELECT f->'properties'->>'code' AS code, ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326) AS geom
		FROM json_array_elements($1::json->'features') f`, string(b)); err != nil {
		t.Fatal(err)
	}
	var pairs int
	var overlap float64
	if err := pool.QueryRow(ctx, `WITH m AS (SELECT code, ST_Transform(geom, 4549) AS g FROM v)
		SELECT count(*) FILTER (WHERE ST_Length(ST_Transform(ST_Intersection(ST_Boundary(a.g), ST_Boundary(ST_Snap(b.g, a.g, 30))), 4326)::geography) > 30)
		FROM m a JOIN m b ON a.code < b.code AND ST_DWithin(a.g, b.g, 30)`).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)) FROM v a JOIN v b ON a.code = $1 AND b.code <> a.code AND a.geom && b.geom`, moved).Scan(&overlap); err != nil {
		t.Fatal(err)
	}

	for _, in := range []string{villages, filepath.Join(dir, "villages.shp")} {
		lines := filepath.Join(dir, filepath.Base(in)+".lines.geojson")
		out, err := cli("boundaries", "derive", "--level", "village", "--code-field", "code", in, "-o", lines)
		if err != nil || !strings.Contains(out, "152 units, "+strconv.Itoa(pairs)+" boundary lines") || !strings.Contains(out, "1 overlap") {
			t.Fatalf("derive %s: %q %v (PostGIS: %d pairs)", in, out, err, pairs)
		}
		info := ogrInfo(t, lines)
		if featureCount(t, info) != pairs || !strings.Contains(info, "Geometry: Multi Line String") {
			t.Errorf("ogrinfo %s:\n%s", lines, info)
		}
		for _, field := range []string{"id: String", "name: String", "left_code: String", "right_code: String", "level: String", "length_m: Real"} {
			if !strings.Contains(info, field) {
				t.Errorf("%s: no field %q", lines, field)
			}
		}
		doc := checkRFC7946(t, lines)
		p := doc["features"].([]any)[0].(map[string]any)["properties"].(map[string]any)
		if p["level"] != "village" || !strings.HasSuffix(p["name"].(string), "线") || p["left_code"].(string) >= p["right_code"].(string) {
			t.Errorf("first line: %v", p)
		}
	}

	problems := filepath.Join(dir, "problems.geojson")
	out, err := cli("boundaries", "check", "--level", "village", villages, "--parents", demoPath(t, "boundaries/townships.geojson"), "-o", problems)
	if err != nil || !strings.Contains(out, "1 overlap") || !strings.Contains(out, "outside_parent") {
		t.Fatalf("check: %q %v", out, err)
	}
	if n := featureCount(t, ogrInfo(t, problems, "-where", "kind = 'overlap'")); n != 1 {
		t.Errorf("%d overlaps", n)
	}
	doc := checkRFC7946(t, problems)
	found := false
	for _, f := range doc["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		if p["kind"] != "overlap" {
			continue
		}
		found = true
		codes := p["codes"].([]any)
		if len(codes) != 2 || codes[0] != moved && codes[1] != moved {
			t.Errorf("overlap codes %v, want %s and its neighbour", codes, moved)
		}
		if a := p["area_m2"].(float64); math.Abs(a-overlap) > 0.01*overlap {
			t.Errorf("overlap %.0f m², PostGIS %.0f m²", a, overlap)
		}
	}
	if !found {
		t.Error("no overlap feature")
	}
	// to standard output
	out, err = cli("boundaries", "check", "--level", "village", demoPath(t, "boundaries/villages.geojson"), "-o", "-")
	if err != nil || !strings.HasPrefix(out, `{"features":[],"type":"FeatureCollection"}`) && !strings.HasPrefix(out, `{"type":"FeatureCollection","features":[]}`) {
		t.Errorf("check of the clean layer to stdout: %q %v", out, err)
	}

	// bad input
	dup := filepath.Join(dir, "dup.geojson")
	os.WriteFile(dup, []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"1","name":"a"},"geometry":{"type":"Polygon","coordinates":[[[120,30],[120.1,30],[120.1,30.1],[120,30]]]}},
{"type":"Feature","properties":{"code":"1","name":"b"},"geometry":{"type":"Polygon","coordinates":[[[121,30],[121.1,30],[121.1,30.1],[121,30]]]}}
]}`), 0o644)
	if _, err := cli("boundaries", "derive", "--level", "county", dup, "-o", filepath.Join(dir, "x.geojson")); err == nil || !strings.Contains(err.Error(), dup+":3") || !strings.Contains(err.Error(), "duplicate code 1") {
		t.Errorf("duplicate code: %v", err)
	}
	if _, err := cli("boundaries", "derive", "--level", "county", "--code-field", "adcode", villages, "-o", filepath.Join(dir, "x.geojson")); err == nil || !strings.Contains(err.Error(), "adcode") {
		t.Errorf("unknown code field: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.geojson")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed run left output behind: %v", err)
	}
	for _, args := range [][]string{
		{"boundaries"},
		{"boundaries", "frobnicate"},
		{"boundaries", "derive", villages, "-o", "x.geojson"},
		{"boundaries", "derive", "--level", "planet", villages, "-o", "x.geojson"},
		{"boundaries", "derive", "--level", "county", villages},
		{"boundaries", "derive", "--level", "county", "--tolerance", "-5", villages, "-o", "x.geojson"},
		{"boundaries", "check", "--level", "county", villages, villages, "-o", "x.geojson"},
	} {
		if _, err := cli(args...); !errors.Is(err, errUsage) {
			t.Errorf("fangyuan %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}
