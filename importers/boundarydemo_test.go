package importers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

func TestLoadBoundaryDemo(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if _, err := importers.Divisions(ctx, pool, data.Demo, "demo/divisions/fangyuan-demo", importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		file  string
		level gazetteer.Level
	}{{"demo/boundaries/county.geojson", gazetteer.County}, {"demo/boundaries/townships.geojson", gazetteer.Township}, {"demo/boundaries/villages.geojson", gazetteer.Village}} {
		if _, err := importers.Boundaries(ctx, pool, data.Demo, b.file, importers.BoundaryOptions{Level: b.level, CodeField: "code", NameField: "name"}); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	start := time.Now()
	if err := importers.LoadBoundaryDemo(ctx, pool, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("boundary demo loaded in %v:\n%s", time.Since(start).Round(time.Millisecond), log.String())
	// Every pair of townships (and of villages) whose polygons share more than 30 m of
	// boundary (PostGIS: the lineal part of ST_Intersection of the polygons) has a line with
	// the same codes, and the lengths agree within 0.5 %.
	for _, lv := range []int{4, 5} {
		var pairs, matched, lengthOK int
		err := pool.QueryRow(context.Background(), `
WITH p AS (
  SELECT a.code::text AS l, b.code::text AS r,
    ST_Length(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)::geography) AS len
  FROM admin_unit a JOIN admin_unit b ON a.code < b.code AND a.level = $1 AND b.level = $1
    AND a.valid_to IS NULL AND b.valid_to IS NULL AND ST_Intersects(a.geom, b.geom)
)
SELECT count(*), count(bl.id), count(*) FILTER (WHERE abs(bl.length_m - p.len) <= 0.005 * p.len)
FROM p LEFT JOIN boundary_line bl ON bl.left_code = p.l AND bl.right_code = p.r
WHERE p.len > 30`, lv).Scan(&pairs, &matched, &lengthOK)
		if err != nil {
			t.Fatal(err)
		}
		if pairs == 0 || matched != pairs || lengthOK != pairs {
			t.Errorf("level %d: %d neighbour pairs, %d with a line, %d with the length within 0.5 %%", lv, pairs, matched, lengthOK)
		}
		t.Logf("level %d: %d neighbour pairs, %d lines matched", lv, pairs, matched)
		var lines int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM boundary_line WHERE level = $1`, lv).Scan(&lines); err != nil || lines != pairs {
			t.Errorf("level %d: %d lines for %d pairs (%v)", lv, lines, pairs, err)
		}
	}
	// The unit with the smaller code lies left of each township line's first segment.
	var wrong int
	if err := pool.QueryRow(context.Background(), `
WITH s AS (
  SELECT b.left_code, ST_PointN(ST_GeometryN(b.geom, 1), 1) AS p1, ST_PointN(ST_GeometryN(b.geom, 1), 2) AS p2
  FROM boundary_line b WHERE b.level = 4
)
SELECT count(*) FROM s JOIN admin_unit a ON a.code = s.left_code AND a.valid_to IS NULL
WHERE NOT ST_Covers(a.geom, ST_Project(ST_LineInterpolatePoint(ST_MakeLine(p1, p2), 0.5)::geography, 0.5,
  ST_Azimuth(p1, p2) - pi() / 2)::geometry)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("%d township lines with the left unit on the right (%v)", wrong, err)
	}
	var markers, triples int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE kind = 'triple') FROM boundary_marker`).Scan(&markers, &triples); err != nil {
		t.Fatal(err)
	}
	if markers < 95 || markers > 110 || triples == 0 { // about a hundred (issue 11)
		t.Errorf("%d markers, %d three-way", markers, triples)
	}
	t.Logf("%d markers, %d three-way", markers, triples)
	probs, err := boundary.NewStore(pool).CheckMarkers(context.Background(), boundary.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("demo marker fails a check: %+v", p)
	}
	r, err := boundary.NewStore(pool).Round(context.Background(), importers.DemoPastRound)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tm := range r.Teams {
		sum := 0
		for _, n := range tm.Conditions {
			sum += n
		}
		if tm.Inspected != tm.Markers || sum != tm.Inspected || tm.Conditions["damaged"] == 0 {
			t.Errorf("team %+v", tm)
		}
		total += tm.Markers
	}
	if len(r.Teams) != 2 || total != markers {
		t.Errorf("past round teams %+v (markers %d)", r.Teams, markers)
	}
	// Idempotent.
	var findings int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM inspection_finding`).Scan(&findings)
	log.Reset()
	if err := importers.LoadBoundaryDemo(ctx, pool, &log); err != nil {
		t.Fatal(err)
	}
	var findings2, markers2 int
	_ = pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM inspection_finding), (SELECT count(*) FROM boundary_marker)`).Scan(&findings2, &markers2)
	if findings2 != findings || markers2 != markers {
		t.Errorf("second load: findings %d → %d, markers %d → %d\n%s", findings, findings2, markers, markers2, log.String())
	}
}

// The planted topology problems of the demo's second village layer, measured by PostGIS
// against the exact layer: overlaps and gaps of more than a hectare, the grown village out
// of its township, every other village unchanged.
func TestPlantedVillageProblems(t *testing.T) {
	pool := dbtest.Pool(t)
	load := func(table, file string) {
		b, err := fs.ReadFile(data.Demo, file)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				Properties map[string]any  `json:"properties"`
				Geometry   json.RawMessage `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(context.Background(), `CREATE TABLE `+table+` (code text, parent text, planted text, geom geometry)`); err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			planted, _ := f.Properties["planted"].(string)
			parent, _ := f.Properties["parent_code"].(string)
			if _, err := pool.Exec(context.Background(), `INSERT INTO `+table+` VALUES ($1, $2, $3, ST_SetSRID(ST_GeomFromGeoJSON($4), 4326))`,
				f.Properties["code"], parent, planted, string(f.Geometry)); err != nil {
				t.Fatal(err)
			}
		}
	}
	load("v", "demo/boundaries/villages.geojson")
	load("p", "demo/boundaries/villages-with-problems.geojson")
	load("tw", "demo/boundaries/townships.geojson")
	q := func(sql string) float64 {
		var x float64
		if err := pool.QueryRow(context.Background(), sql).Scan(&x); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return x
	}
	if n := q(`SELECT count(*) FROM p WHERE planted <> ''`); n != 3 {
		t.Errorf("%v planted features", n)
	}
	if n := q(`SELECT count(*) FROM p JOIN v USING (code) WHERE p.planted = '' AND NOT ST_Equals(p.geom, v.geom)`); n != 0 {
		t.Errorf("%v untouched villages changed", n)
	}
	for _, what := range []string{"shift 0.0005° east", "grow 4 %"} {
		ov := q(`SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) FROM p a JOIN p b
		  ON a.code <> b.code AND ST_Intersects(a.geom, b.geom) WHERE a.planted = '` + what + `'`)
		t.Logf("%s: overlap %.0f m²", what, ov)
		if ov < 10000 {
			t.Errorf("%s: overlap %.0f m² (want > 1 ha)", what, ov)
		}
	}
	gap := q(`SELECT ST_Area(ST_Difference((SELECT ST_Union(geom) FROM v), (SELECT ST_Union(geom) FROM p))::geography)`)
	t.Logf("gaps: %.0f m²", gap)
	if gap < 10000 {
		t.Errorf("gaps %.0f m² (want > 1 ha)", gap)
	}
	out := q(`SELECT ST_Area(ST_Difference(p.geom, tw.geom)::geography) FROM p JOIN tw ON tw.code = p.parent WHERE p.planted = 'grow 4 %'`)
	t.Logf("grown village outside its township: %.0f m²", out)
	if out <= 0 {
		t.Errorf("grown village not outside its township")
	}
}
