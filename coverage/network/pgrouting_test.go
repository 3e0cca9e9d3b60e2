package network

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"fangyuan/importers/parse"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// osm2pgroutingProfile is our driving profile set to osm2pgrouting's default
// configuration (/usr/share/osm2pgrouting/mapconfig.xml): every class it
// lists, no access tags, no ferries, the way's maxspeed tag when given, else
// its default 50 km/h.
func osm2pgroutingProfile() Profile {
	classes := []string{"road", "motorway", "motorway_link", "motorway_junction", "trunk", "trunk_link", "primary", "primary_link",
		"secondary", "secondary_link", "tertiary", "tertiary_link", "residential", "living_street", "service", "track", "pedestrian",
		"services", "bus_guideway", "path", "cycleway", "footway", "bridleway", "byway", "steps", "unclassified"}
	sp := map[string]float64{}
	for _, c := range classes {
		sp[c] = 50
	}
	return Profile{Name: "osm2pgrouting", WalkKmh: 4, Speeds: sp, UseMaxspeed: true, IgnoreAccess: true, NoFerries: true, MaxAccessM: 100}
}

// TestMonacoAgainstPgRouting is the independent check of import and routing:
// the Monaco extract converted to OSM XML by osmium and loaded into pgRouting
// by osm2pgrouting; node-to-node travel times from a dozen sources equal
// pgr_dijkstraCost's to the second for every reachable node both graphs share.
func TestMonacoAgainstPgRouting(t *testing.T) {
	monacoPBF := testenv.MonacoOSM(t)
	ctx := context.Background()
	for _, tool := range []string{"osmium", "osm2pgrouting"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (.ci/deps.sh installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	xml := filepath.Join(dir, "monaco.osm")
	if out, err := exec.Command("osmium", "cat", "-f", "osm", monacoPBF, "-o", xml).CombinedOutput(); err != nil {
		t.Fatalf("osmium: %v\n%s", err, out)
	}
	pool := dbtest.Pool(t)
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting; CREATE SCHEMA pgr`); err != nil {
		t.Fatal(err)
	}
	cc := pool.Config().ConnConfig
	args := []string{"-f", xml, "-d", cc.Database, "-U", cc.User, "-h", cc.Host, "-p", strconv.Itoa(int(cc.Port)), "--schema", "pgr", "--clean"}
	if cc.Password != "" {
		args = append(args, "-W", cc.Password)
	}
	cmd := exec.Command("osm2pgrouting", args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+cc.Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("osm2pgrouting: %v\n%s", err, out)
	}

	res, err := parse.ReadOSM(ctx, monacoPBF, parse.OSMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := FromOSM(res.Ways)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(nw, osm2pgroutingProfile())
	if err != nil {
		t.Fatal(err)
	}
	var pgrEdges, pgrVerts int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pgr.ways), (SELECT count(*) FROM pgr.ways_vertices_pgr)`).Scan(&pgrEdges, &pgrVerts); err != nil {
		t.Fatal(err)
	}
	t.Logf("ours: %d ways, %d edges, %d nodes, %d arcs; pgRouting: %d edges, %d vertices", len(res.Ways), len(nw.Edges), len(g.NodeID), len(g.Arcs), pgrEdges, pgrVerts)

	// A dozen sources: shared vertices spread over the id order (deterministic).
	rows, err := pool.Query(ctx, `SELECT id, osm_id FROM pgr.ways_vertices_pgr ORDER BY osm_id`)
	if err != nil {
		t.Fatal(err)
	}
	pgrOf := map[int64]int64{} // osm id -> pgr vertex id
	var shared []int64
	for rows.Next() {
		var id, osm int64
		if err := rows.Scan(&id, &osm); err != nil {
			t.Fatal(err)
		}
		pgrOf[osm] = id
		if g.Node(osm) >= 0 {
			shared = append(shared, osm)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(shared) < 1000 {
		t.Fatalf("only %d vertices shared by both graphs", len(shared))
	}
	// osm2pgrouting 2.3 writes cost_s and reverse_cost_s both from
	// maxspeed_backward (a way tagged maxspeed:forward=70 + maxspeed:backward=30
	// gets 30 km/h both ways), so the costs are taken from its own columns:
	// length_m at maxspeed_forward along and maxspeed_backward against the way,
	// its one-way flag keeping the sign of its reverse_cost_s (negative: no way).
	const edgesSQL = `SELECT gid AS id, source, target,
  CASE WHEN oneway = 'REVERSED' THEN -1 ELSE length_m * 3.6 / maxspeed_forward END AS cost,
  CASE WHEN reverse_cost_s < 0 THEN -1 ELSE length_m * 3.6 / maxspeed_backward END AS reverse_cost
FROM pgr.ways`
	compared, worst := 0, 0.0
	for k := range 12 {
		src := shared[(k*len(shared))/12+len(shared)/24]
		ours := g.NodeCosts(g.Node(src))
		prow, err := pool.Query(ctx, `SELECT v.osm_id, d.agg_cost FROM pgr_dijkstraCost($1, $2::bigint, ARRAY(SELECT id FROM pgr.ways_vertices_pgr), true) d
JOIN pgr.ways_vertices_pgr v ON v.id = d.end_vid`, edgesSQL, pgrOf[src])
		if err != nil {
			t.Fatal(err)
		}
		reached := map[int64]bool{}
		for prow.Next() {
			var osm int64
			var c float64
			if err := prow.Scan(&osm, &c); err != nil {
				t.Fatal(err)
			}
			reached[osm] = true
			i := g.Node(osm)
			if i < 0 {
				continue
			}
			d := math.Abs(ours[i] - c)
			if math.IsInf(ours[i], 1) || d >= 1 {
				t.Errorf("from node %d to %d: ours %.3f s, pgr_dijkstraCost %.3f s", src, osm, ours[i], c)
			}
			compared++
			if !math.IsInf(d, 0) {
				worst = max(worst, d)
			}
		}
		if err := prow.Err(); err != nil {
			t.Fatal(err)
		}
		// Nodes we reach that pgRouting does not.
		for i, c := range ours {
			id := g.NodeID[i]
			if _, ok := pgrOf[id]; !ok || math.IsInf(c, 1) || id == src || reached[id] {
				continue
			}
			t.Errorf("from node %d we reach %d in %.3f s, pgRouting does not", src, id, c)
		}
		if len(reached) < 100 {
			t.Errorf("from %d pgRouting reaches only %d vertices", src, len(reached))
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("compared %d node pairs, worst difference %.4f s", compared, worst)
}
