package importers_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage/network"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// TestImportOSM stores the Monaco extract's road network and checks it
// against PostGIS and osmium: the stored lengths are PostGIS's geodesic
// lengths, every highway way osmium counts is stored, the network loads back
// to the same graph, a bounding box keeps only its part, and a second import
// replaces the first.
func TestImportOSM(t *testing.T) {
	ctx := dbtest.CLI()
	pool := dbtest.Pool(t)
	pbf := testenv.MonacoOSM(t)
	sum, err := importers.OSM(ctx, pool, pbf, nil, importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, pool, `SELECT count(*) FROM network_edge`)
	if sum.Inserted != n || n < 3000 {
		t.Fatalf("summary %+v, %d rows", sum, n)
	}
	// Lengths: ours (sum of Vincenty segment distances) against ST_Length on the spheroid.
	var worst float64
	if err := pool.QueryRow(ctx, `SELECT max(abs(length_m - ST_Length(geom::geography, true))) FROM network_edge`).Scan(&worst); err != nil {
		t.Fatal(err)
	}
	if worst > 0.01 {
		t.Errorf("stored lengths differ from PostGIS by up to %.4f m", worst)
	}
	// Every way osmium finds with a highway tag (and not a proposed or
	// construction road), and every outer way of a multipolygon tagged
	// highway (a pedestrian square), is stored: compared as sets of way ids.
	testenv.Tool(t, "osmium", "osmium-tool")
	out, err := exec.Command("osmium", "tags-filter", "-R", "-o", "-", "-f", "opl", pbf, "w/highway", "r/highway").Output()
	if err != nil {
		t.Fatalf("osmium: %v", err)
	}
	want := map[int64]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var tags, members string
		for _, x := range f {
			switch x[0] {
			case 'T':
				tags = "," + x[1:] + ","
			case 'M':
				members = x[1:]
			}
		}
		switch line[0] {
		case 'w':
			skip := false
			for _, v := range []string{"proposed", "construction", "platform", "bus_stop", "rest_area", "abandoned", "disused", "razed"} {
				skip = skip || strings.Contains(tags, ",highway="+v+",")
			}
			if !skip {
				id, _ := strconv.ParseInt(f[0][1:], 10, 64)
				want[id] = true
			}
		case 'r':
			if !strings.Contains(tags, ",type=multipolygon,") {
				continue
			}
			for _, m := range strings.Split(members, ",") {
				if strings.HasPrefix(m, "w") && !strings.HasSuffix(m, "@inner") {
					id, _ := strconv.ParseInt(strings.SplitN(m[1:], "@", 2)[0], 10, 64)
					want[id] = true
				}
			}
		}
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT way_id FROM network_edge WHERE NOT ferry`)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored++
		if !want[id] {
			t.Errorf("way %d stored, osmium does not list it as a road", id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Ways with fewer than two nodes inside the extract cannot be stored.
	if stored > len(want) || stored < len(want)*99/100 {
		t.Errorf("stored %d highway ways, osmium lists %d", stored, len(want))
	}
	var ferries int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM network_edge WHERE ferry`).Scan(&ferries); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d edges, %d highway ways (osmium %d), %d ferry edges", n, stored, len(want), ferries)

	// Loaded back, the network routes exactly as the one read from the file.
	fromDB, err := network.Load(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := network.ReadOSMFile(context.Background(), pbf, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := network.Profile{Name: "walk", Walk: true, WalkKmh: 4, MaxAccessM: 100}
	g1, err := network.Build(fromDB, p)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := network.Build(fromFile, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(g1.NodeID) != len(g2.NodeID) || len(g1.Arcs) != len(g2.Arcs) {
		t.Fatalf("loaded graph %d nodes %d arcs, file %d nodes %d arcs", len(g1.NodeID), len(g1.Arcs), len(g2.NodeID), len(g2.Arcs))
	}
	c1, c2 := g1.NodeCosts(len(g1.NodeID)/2), g2.NodeCosts(len(g2.NodeID)/2)
	for i := range c1 {
		if !(c1[i] == c2[i] || math.Abs(c1[i]-c2[i]) < 1e-3) {
			t.Fatalf("node %d: %v from the database, %v from the file", g1.NodeID[i], c1[i], c2[i])
		}
	}

	// A bounding box (west part of Monaco) replaces the network with its part.
	b := orb.Bound{Min: orb.Point{7.40, 43.72}, Max: orb.Point{7.415, 43.74}}
	if _, err := importers.OSM(ctx, pool, pbf, &b, importers.Options{}); err != nil {
		t.Fatal(err)
	}
	m := count(t, pool, `SELECT count(*) FROM network_edge`)
	outside := count(t, pool, `SELECT count(*) FROM (SELECT way_id FROM network_edge GROUP BY way_id
		HAVING NOT bool_or(ST_Intersects(geom, ST_MakeEnvelope(7.40, 43.72, 7.415, 43.74, 4326)))) w`)
	if m == 0 || m >= n || outside != 0 {
		t.Errorf("bbox import: %d edges (full %d), %d ways outside the box", m, n, outside)
	}
	// A file that is not a PBF is refused and leaves the stored network alone.
	if _, err := importers.OSM(ctx, pool, filepath.Join(testenv.RepoRoot(t), "README.md"), nil, importers.Options{}); err == nil {
		t.Error("a text file imported as OSM")
	}
	if c := count(t, pool, `SELECT count(*) FROM network_edge`); c != m {
		t.Errorf("a failed import changed the network: %d edges, want %d", c, m)
	}
}

// TestImportRoadNetwork: a bureau's road file (the demo's network converted to GeoJSON by
// GDAL) is stored as the road network and loads back as the same edges; a file with a bad
// feature is refused with its place and reason, and the stored network stays as it was.
func TestImportRoadNetwork(t *testing.T) {
	ctx := dbtest.CLI()
	pool := dbtest.Pool(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "roads.geojson")
	src := filepath.Join(testenv.RepoRoot(t), "data", "demo", "network.osm")
	testenv.Tool(t, "ogr2ogr", "gdal-bin")
	if b, err := exec.Command("ogr2ogr", "-f", "GeoJSON", path, src, "-dialect", "SQLite", "-sql",
		`SELECT CASE WHEN hstore_get_value(other_tags, 'route') = 'ferry' THEN '渡口' ELSE highway END AS 道路等级,
		hstore_get_value(other_tags, 'duration') AS duration, geometry
		FROM lines WHERE highway IS NOT NULL OR hstore_get_value(other_tags, 'route') = 'ferry'`).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	want, err := network.ReadFile(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := importers.RoadNetwork(ctx, pool, importers.HostFS{}, path, nil, importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, pool, `SELECT count(*) FROM network_edge`)
	ferries := count(t, pool, `SELECT count(*) FROM network_edge WHERE ferry`)
	if sum.Inserted != n || n != len(want.Edges) || ferries == 0 {
		t.Fatalf("summary %+v: %d rows (%d ferry sections), the file has %d edges", sum, n, ferries, len(want.Edges))
	}
	back, err := network.Load(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Edges) != n {
		t.Fatalf("%d edges load back of %d stored", len(back.Edges), n)
	}
	bad := filepath.Join(dir, "bad.geojson")
	if err := os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"道路等级":"县道"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.01,28.0]]}},
{"type":"Feature","properties":{"道路等级":"天路"},"geometry":{"type":"LineString","coordinates":[[120.0,28.0],[120.0,28.01]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = importers.RoadNetwork(ctx, pool, importers.HostFS{}, bad, nil, importers.Options{})
	if err == nil || !strings.Contains(err.Error(), "bad.geojson") || !strings.Contains(err.Error(), "天路") {
		t.Fatalf("a bad road file: %v", err)
	}
	if m := count(t, pool, `SELECT count(*) FROM network_edge`); m != n {
		t.Fatalf("after the refused file %d edges are stored, before %d", m, n)
	}
}
