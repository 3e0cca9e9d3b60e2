package network

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/internal/testenv"
)

// demoAsRoadFile converts the demo's OpenStreetMap network into a bureau-style road file
// with GDAL (ogr2ogr's OSM driver, not our reader): one line per way, its class (the
// highway tag, "ferry" for route=ferry), speed (maxspeed), oneway and duration columns.
func demoAsRoadFile(t *testing.T, driver, name string) string {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Fatal("ogr2ogr not found: install the Debian package gdal-bin (make deps)")
	}
	out := filepath.Join(t.TempDir(), name)
	src := filepath.Join(testenv.RepoRoot(t), "data", "demo", "network.osm")
	sql := `SELECT CASE WHEN hstore_get_value(other_tags, 'route') = 'ferry' THEN 'ferry' ELSE highway END AS class,
		hstore_get_value(other_tags, 'maxspeed') AS speed, hstore_get_value(other_tags, 'oneway') AS oneway,
		hstore_get_value(other_tags, 'duration') AS duration, geometry
		FROM lines WHERE highway IS NOT NULL OR hstore_get_value(other_tags, 'route') = 'ferry'`
	cmd := exec.Command("ogr2ogr", "-f", driver, out, src, "-dialect", "SQLite", "-sql", sql)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	return out
}

// TestRoadFileEqualsOSM: the demo network read from a bureau-style road file (GeoJSON and
// Shapefile, made by GDAL from the OSM file) is the same graph as read from the OSM file:
// the same junctions, and from a dozen sources the same travel time to every node, by
// walking and by driving. The OSM reader knows the ways' shared nodes by id; the road file
// has only coordinates, so this checks the noding of lines at shared vertices.
func TestRoadFileEqualsOSM(t *testing.T) {
	ctx := context.Background()
	osmNW, err := ReadOSMFile(ctx, filepath.Join(testenv.RepoRoot(t), "data", "demo", "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stds := coverage.DefaultStandards()
	for _, f := range []struct{ driver, name string }{{"GeoJSON", "roads.geojson"}, {"ESRI Shapefile", "roads.shp"}} {
		path := demoAsRoadFile(t, f.driver, f.name)
		fileNW, err := ReadFile(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fileNW.Edges) != len(osmNW.Edges) {
			t.Errorf("%s: %d edges, the OSM file %d", f.name, len(fileNW.Edges), len(osmNW.Edges))
		}
		for _, mode := range []string{"walk", "drive"} {
			tp, err := stds.Profile(mode)
			if err != nil {
				t.Fatal(err)
			}
			p := ProfileFrom(mode, tp)
			p.IgnoreAccess = true // the road file carries no access tags
			go1, err := Build(osmNW, p)
			if err != nil {
				t.Fatal(err)
			}
			gf, err := Build(fileNW, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(gf.NodeID) != len(go1.NodeID) {
				t.Fatalf("%s %s: %d junctions, the OSM file %d", f.name, mode, len(gf.NodeID), len(go1.NodeID))
			}
			at := map[orb.Point]int{}
			for i, q := range gf.Pos {
				at[q] = i
			}
			compared := 0
			for k := range 12 {
				src := k * (len(go1.NodeID) - 1) / 11
				fsrc, ok := at[go1.Pos[src]]
				if !ok {
					t.Fatalf("%s: no junction at %v (OSM node %d)", f.name, go1.Pos[src], go1.NodeID[src])
				}
				a, b := go1.NodeCosts(src), gf.NodeCosts(fsrc)
				for u, ca := range a {
					v, ok := at[go1.Pos[u]]
					if !ok {
						t.Fatalf("%s: no junction at %v", f.name, go1.Pos[u])
					}
					cb := b[v]
					if math.IsInf(ca, 1) != math.IsInf(cb, 1) || (!math.IsInf(ca, 1) && math.Abs(ca-cb) > 1e-6) {
						t.Fatalf("%s %s: from %v to %v: %v s, from the OSM file %v s", f.name, mode, go1.Pos[src], go1.Pos[u], cb, ca)
					}
					if !math.IsInf(ca, 1) {
						compared++
					}
				}
			}
			t.Logf("%s %s: %d junctions, %d node-to-node times equal to the OSM file's", f.name, mode, len(gf.NodeID), compared)
		}
	}
}

// TestRoadFileColumns: Chinese classes map to OSM ones, lines meet where they share a
// vertex (also mid-line), oneway and speed columns apply, and bad values are refused with
// the file, feature, field and reason.
func TestRoadFileColumns(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A 县道 east–west through (120.00, 28) … (120.02, 28); a 村道 from its middle vertex
	// north; a one-way 支路 at 30 km/h from the east end north-east.
	good := write("good.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"道路等级":"县道","限速":"","单行":""},"geometry":{"type":"LineString","coordinates":[[120.00,28.0],[120.01,28.0],[120.02,28.0]]}},
{"type":"Feature","properties":{"道路等级":"村道","限速":"","单行":"否"},"geometry":{"type":"LineString","coordinates":[[120.01,28.0],[120.01,28.01]]}},
{"type":"Feature","properties":{"道路等级":"支路","限速":"30","单行":"是"},"geometry":{"type":"LineString","coordinates":[[120.02,28.0],[120.03,28.01]]}}]}`)
	nw, err := ReadFile(context.Background(), good, nil)
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]int{}
	for _, e := range nw.Edges {
		classes[e.Class]++
	}
	if len(nw.Edges) != 4 || classes["secondary"] != 2 || classes["unclassified"] != 1 || classes["residential"] != 1 {
		t.Fatalf("edges %d by class %v: want the 县道 split at the 村道's vertex (2 secondary), 1 unclassified, 1 residential", len(nw.Edges), classes)
	}
	for _, e := range nw.Edges {
		if e.Class == "residential" && (e.Oneway != 1 || e.MaxspeedFwd != 30) {
			t.Errorf("the 支路: oneway %d, speed %v; want 1, 30", e.Oneway, e.MaxspeedFwd)
		}
	}
	bad := write("bad.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"class":"高架桥","speed":""},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.01,28.0]]}},
{"type":"Feature","properties":{"class":"primary","speed":"fast"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.01,28.01]]}},
{"type":"Feature","properties":{"class":"primary","oneway":"sometimes"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.0,28.01]]}},
{"type":"Feature","properties":{"class":"primary","duration":"10"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[119.99,28.0]]}},
{"type":"Feature","properties":{"class":"primary"},"geometry":{"type":"Point","coordinates":[120.0,28.0]}}]}`)
	_, err = ReadFile(context.Background(), bad, nil)
	if err == nil {
		t.Fatal("a file of bad roads was read")
	}
	for _, want := range []string{"bad.geojson", "5 of its features", "class", "高架桥", "speed", `"fast"`, "oneway", "sometimes", "duration", "only ferries", "geometry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ReadFile(context.Background(), write("nocls.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.01,28.0]]}}]}`), nil); err == nil || !strings.Contains(err.Error(), "class") {
		t.Errorf("a file without class or speed: %v", err)
	}
}
