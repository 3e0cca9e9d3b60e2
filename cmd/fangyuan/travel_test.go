package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// demoRoadsPBF writes the demo county's roads (data/demo/roads.geojson) as an
// OSM extract: one node per distinct vertex (roads sharing a vertex join
// there), one way per road with its kind as the highway class; osmium turns
// the XML into PBF.
func demoRoadsPBF(t *testing.T) string {
	t.Helper()
	osmium := testenv.Tool(t, "osmium", "osmium-tool")
	b, err := os.ReadFile(demoPath(t, "roads.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct{ Kind string }
			Geometry   struct{ Coordinates [][2]float64 }
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	ids := map[[2]float64]int{}
	var nodes, ways bytes.Buffer
	for wi, f := range fc.Features {
		fmt.Fprintf(&ways, "  <way id=\"%d\" version=\"1\">\n", wi+1)
		for _, p := range f.Geometry.Coordinates {
			id, ok := ids[p]
			if !ok {
				id = len(ids) + 1
				ids[p] = id
				fmt.Fprintf(&nodes, "  <node id=\"%d\" version=\"1\" lat=\"%.7f\" lon=\"%.7f\"/>\n", id, p[1], p[0])
			}
			fmt.Fprintf(&ways, "    <nd ref=\"%d\"/>\n", id)
		}
		fmt.Fprintf(&ways, "    <tag k=\"highway\" v=\"%s\"/>\n  </way>\n", f.Properties.Kind)
	}
	dir := t.TempDir()
	xml := filepath.Join(dir, "demo.osm")
	doc := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"fangyuan test\">\n" + nodes.String() + ways.String() + "</osm>\n"
	if err := os.WriteFile(xml, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	pbf := filepath.Join(dir, "demo.osm.pbf")
	if out, err := exec.Command(osmium, "cat", xml, "-o", pbf).CombinedOutput(); err != nil {
		t.Fatalf("osmium: %v\n%s", err, out)
	}
	return pbf
}

// coveredOf sums the covered_population column of a coverage CSV.
func coveredOf(t *testing.T, path, name string) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no %s column in %v", name, recs[0])
	}
	var s float64
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			t.Fatal(err)
		}
		s += v
	}
	return s
}

// TestCoverageTravelCLI: a 15-minute walk at 4 km/h over the demo roads covers
// only people within 1 km in a straight line (a walk is never shorter than the
// straight line), and some of them.
func TestCoverageTravelCLI(t *testing.T) {
	pbf := demoRoadsPBF(t)
	dir := t.TempDir()
	base := []string{
		"--townships", demoPath(t, "boundaries/townships.geojson"),
		"--population", demoPath(t, "population.tif"),
		"--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
		"--kind", "eldercare_center", "--facilities", demoPath(t, "facilities/eldercare_center.csv"),
	}
	travel := filepath.Join(dir, "travel.csv")
	tif := filepath.Join(dir, "minutes.tif")
	stdout, err := runCoverage(t, append(base, "--reach", "travel", "--network", pbf, "--minutes-tif", tif, "-o", travel)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "travel time ≤ 15 min (walk") {
		t.Errorf("summary does not name the travel reach:\n%s", stdout)
	}
	straight := filepath.Join(dir, "straight1km.csv")
	if _, err := runCoverage(t, append(base, "--radius", "1000", "-o", straight)...); err != nil {
		t.Fatal(err)
	}
	tc, sc := coveredOf(t, travel, "covered_population"), coveredOf(t, straight, "covered_population")
	t.Logf("covered: travel %.0f, straight 1 km %.0f", tc, sc)
	if !(tc > 0 && tc <= sc+0.5) {
		t.Errorf("travel covers %.1f, straight 1 km %.1f: want 0 < travel ≤ straight", tc, sc)
	}
	// Side by side: the straight-line columns of the travel run are those of a
	// straight run at the kind's radius (2 km), and the people the radius counts
	// but no road reaches in time are at least the difference of the totals.
	straight2 := filepath.Join(dir, "straight2km.csv")
	if _, err := runCoverage(t, append(base, "-o", straight2)...); err != nil {
		t.Fatal(err)
	}
	s2, side, only := coveredOf(t, straight2, "covered_population"), coveredOf(t, travel, "straight_covered_population"), coveredOf(t, travel, "straight_only_population")
	if math.Abs(s2-side) > 13 || !(only >= side-tc-13 && only <= side) { // 13 townships, each rounded to a person
		t.Errorf("straight 2 km run %.0f, beside travel %.0f, straight only %.0f, travel %.0f", s2, side, only, tc)
	}
	if !strings.Contains(stdout, "straight (straight line ≤ 2000 m") {
		t.Errorf("summary does not give the straight line beside travel:\n%s", stdout)
	}
	// The minutes raster: the population grid's cell size, float32, and every
	// reached cell within the kind's 15 minutes (the values themselves are
	// checked by hand in coverage/network's TestMinutesGeoTIFF).
	info, err := exec.Command("gdalinfo", "-json", tif).Output()
	if err != nil {
		t.Fatal(err)
	}
	pinfo, err := exec.Command("gdalinfo", "-json", demoPath(t, "population.tif")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var gi, pi struct {
		GeoTransform []float64
		Bands        []struct{ Type string }
	}
	json.Unmarshal(info, &gi)
	json.Unmarshal(pinfo, &pi)
	if len(gi.GeoTransform) != 6 || gi.GeoTransform[1] != pi.GeoTransform[1] || gi.GeoTransform[5] != pi.GeoTransform[5] || len(gi.Bands) != 1 || gi.Bands[0].Type != "Float32" {
		t.Errorf("minutes raster %+v, population %+v", gi, pi)
	}
	stats, err := exec.Command("gdalinfo", "-stats", tif).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stats), "STATISTICS_MAXIMUM=") {
		t.Errorf("no statistics: %s", stats)
	}
	for _, line := range strings.Split(string(stats), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "STATISTICS_MAXIMUM="); ok {
			if x, _ := strconv.ParseFloat(v, 64); !(x > 0 && x <= 15) {
				t.Errorf("largest travel time %v min, want in (0, 15]", x)
			}
		}
	}
	for _, bad := range [][]string{{"--reach", "travel"}, {"--reach", "bus", "--network", pbf}, {"--network", pbf}, {"--minutes-tif", tif}} {
		if _, err := runCoverage(t, append(append(base, "-o", filepath.Join(dir, "x.csv")), bad...)...); !errors.Is(err, errUsage) {
			t.Errorf("%v: error %v, want a usage error", bad, err)
		}
	}
}

// TestCoverageRunsTravel: POST /api/coverage/runs {"reach": "travel"} uses the
// network stored by import osm; it is refused (400) before one is stored.
func TestCoverageRunsTravel(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	anon := client{t: t, base: srv.URL}
	planner := client{t: t, base: srv.URL, token: token(t, pool, "li.planner", auth.Planner)}
	var e struct {
		Error struct{ Field, Message string }
	}
	// The demo data bring a network (data/demo/network.osm): take it away first.
	if _, err := pool.Exec(context.Background(), `DELETE FROM network_edge`); err != nil {
		t.Fatal(err)
	}
	if code := planner.do("POST", "/api/coverage/runs", map[string]any{"kind": "eldercare_center", "reach": "travel"}, &e); code != 400 || !strings.Contains(e.Error.Message, "import osm") {
		t.Fatalf("travel run without a network: %d %+v", code, e)
	}
	if code := planner.do("POST", "/api/coverage/runs", map[string]any{"kind": "eldercare_center", "reach": "bus"}, nil); code != 400 {
		t.Fatalf("reach bus: %d", code)
	}
	if _, err := importers.OSM(dbtest.CLI(), pool, demoRoadsPBF(t), nil, importers.Options{}); err != nil {
		t.Fatal(err)
	}
	start := func(body map[string]any) runJSON {
		var r runJSON
		if code := planner.do("POST", "/api/coverage/runs", body, &r); code != 202 {
			t.Fatalf("start %v: %d", body, code)
		}
		return waitRun(t, anon, r.ID)
	}
	tr := start(map[string]any{"kind": "eldercare_center", "reach": "travel"})
	st := start(map[string]any{"kind": "eldercare_center", "radius_m": 1000})
	if tr.Status != "done" || st.Status != "done" {
		t.Fatalf("runs: %+v %+v", tr, st)
	}
	t.Logf("covered: travel %.0f, straight 1 km %.0f", tr.Summary.Covered, st.Summary.Covered)
	if !(tr.Summary.Covered > 0 && tr.Summary.Covered <= st.Summary.Covered+0.5) || tr.Fingerprint == st.Fingerprint {
		t.Errorf("travel %+v, straight 1 km %+v", tr.Summary, st.Summary)
	}
	var got struct{ Reach string }
	anon.do("GET", fmt.Sprintf("/api/coverage/runs/%d", tr.ID), nil, &got)
	if got.Reach != "travel" {
		t.Errorf("run reach %q", got.Reach)
	}
	if math.IsNaN(tr.Summary.Share) {
		t.Error("NaN share")
	}
}
