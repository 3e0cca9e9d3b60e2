package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"fangyuan/coverage/report"
	"fangyuan/coverage/runs"
	"fangyuan/internal/app"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// gdalValues reads band values at WGS84 points with gdallocationinfo (one line per point).
func gdalValues(t *testing.T, path string, band int, pts [][2]float64) []float64 {
	t.Helper()
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.9f %.9f\n", p[0], p[1])
	}
	cmd := exec.Command("gdallocationinfo", "-valonly", "-b", strconv.Itoa(band), "-wgs84", path)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdallocationinfo: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(pts) {
		t.Fatalf("gdallocationinfo: %d values for %d points", len(lines), len(pts))
	}
	vs := make([]float64, len(lines))
	for i, l := range lines {
		if vs[i], err = strconv.ParseFloat(l, 64); err != nil {
			t.Fatal(err)
		}
	}
	return vs
}

type gdalInfo struct {
	Size         []int
	GeoTransform []float64
	Bands        []struct {
		Type        string
		NoDataValue *float64
	}
}

func gdalinfo(t *testing.T, path string) gdalInfo {
	t.Helper()
	out, err := exec.Command("gdalinfo", "-json", path).Output()
	if err != nil {
		t.Fatalf("gdalinfo %s: %v", path, err)
	}
	var info gdalInfo
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// islandCells lists the centres of the population grid's cells (geotransform gt) inside
// the part of township 鳌屿乡 (339901203) that holds the point (lon, lat), by PostGIS.
func islandCells(t *testing.T, env *travelEnv, lon, lat float64) [][2]float64 {
	t.Helper()
	gt := env.gt
	rows, err := env.pool.Query(context.Background(), `
WITH part AS (
  SELECT d.geom FROM admin_unit a, ST_Dump(a.geom) d
  WHERE a.code = '339901203000' AND a.valid_to IS NULL AND ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))),
cells AS (
  SELECT $3 + (c + 0.5) * $4 AS x, $5 + (r + 0.5) * $6 AS y
  FROM part, generate_series(floor((ST_XMin(part.geom) - $3) / $4)::int, ceil((ST_XMax(part.geom) - $3) / $4)::int) c,
             generate_series(floor((ST_YMax(part.geom) - $5) / $6)::int, ceil((ST_YMin(part.geom) - $5) / $6)::int) r)
SELECT x, y FROM cells, part WHERE ST_Contains(part.geom, ST_SetSRID(ST_MakePoint(x, y), 4326)) ORDER BY y DESC, x`,
		lon, lat, gt[0], gt[1], gt[3], gt[5])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][2]float64
	for rows.Next() {
		var p [2]float64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no grid cell on the island at %v,%v", lon, lat)
	}
	return out
}

type travelEnv struct {
	pool *pgxpool.Pool
	gt   []float64
}

func TestDemoTravelCoverage(t *testing.T) {
	for _, tool := range []string{"gdalinfo", "gdallocationinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (gdal-bin): %v", tool, err)
		}
	}
	pool := demoPool(t)
	ctx := dbtest.CLI()
	srv, a := serve(t, pool, app.Config{})
	// 殡仪馆 funeral home: one, on the mainland (澄川街道); 60 min drive, radius 40 km.
	run, err := a.Runs.RunSync(ctx, runs.Params{Kind: "funeral_home", Reach: "travel"})
	if err != nil {
		t.Fatal(err)
	}
	straightRun, err := a.Runs.RunSync(ctx, runs.Params{Kind: "funeral_home"})
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("%s/api/coverage/runs/%d", srv.URL, run.ID)

	// The per-cell minutes GeoTIFF: the population grid's georeferencing (gdalinfo of the
	// committed data/demo/population.tif), float32, nodata -1.
	tif := do(t, "GET", base+"/minutes.tif", "", "")
	if tif.status != 200 || tif.header.Get("Content-Type") != "image/tiff" {
		t.Fatalf("minutes.tif: %d %s", tif.status, tif.body[:min(len(tif.body), 200)])
	}
	path := filepath.Join(t.TempDir(), "minutes.tif")
	if err := os.WriteFile(path, tif.body, 0o644); err != nil {
		t.Fatal(err)
	}
	popPath := filepath.Join(testenv.RepoRoot(t), "data/demo/population.tif")
	info, popInfo := gdalinfo(t, path), gdalinfo(t, popPath)
	if !slices.Equal(info.Size, popInfo.Size) || len(info.Bands) != 1 || info.Bands[0].Type != "Float32" ||
		info.Bands[0].NoDataValue == nil || *info.Bands[0].NoDataValue != -1 {
		t.Fatalf("gdalinfo minutes.tif: %+v (population grid %v)", info, popInfo.Size)
	}
	for i := range popInfo.GeoTransform {
		if math.Abs(info.GeoTransform[i]-popInfo.GeoTransform[i]) > 1e-9 {
			t.Fatalf("geotransform %v, population grid's %v", info.GeoTransform, popInfo.GeoTransform)
		}
	}
	env := &travelEnv{pool: pool, gt: info.GeoTransform}
	var fhLon, fhLat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE kind = 'funeral_home'`).Scan(&fhLon, &fhLat); err != nil {
		t.Fatal(err)
	}
	within := func(p [2]float64, m float64) bool {
		var ok bool
		if err := pool.QueryRow(ctx, `SELECT ST_DWithin(ST_MakePoint($1, $2)::geography, ST_MakePoint($3, $4)::geography, $5)`, p[0], p[1], fhLon, fhLat, m).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// Islands without a ferry (北星岛: one street; 小礁岛: no road): inside the 40 km radius,
	// never reached over the network.
	var noFerryPop float64
	for _, is := range []struct {
		name     string
		lon, lat float64
	}{{"北星岛", 120.180, 28.318}, {"小礁岛", 120.166, 28.152}} {
		cells := islandCells(t, env, is.lon, is.lat)
		mins := gdalValues(t, path, 1, cells)
		pop := gdalValues(t, popPath, 1, cells) // band 1: total (the funeral home's layer)
		for i, c := range cells {
			if !within(c, 40000) {
				t.Fatalf("%s: cell %v is beyond the 40 km radius; the test wants cells inside it", is.name, c)
			}
			if mins[i] != -1 {
				t.Errorf("%s: cell %v reached in %v min, but the island has no ferry", is.name, c, mins[i])
			}
			noFerryPop += pop[i]
		}
		t.Logf("%s: %d cells, all within 40 km, none reached", is.name, len(cells))
	}
	if noFerryPop < 500 {
		t.Fatalf("population on the islands without a ferry: %v, want the README's ≈ 880", noFerryPop)
	}

	// 大鳌岛 (the ferry island): every reached cell takes at least the crossing (the tagged
	// 10 min of data/demo/network.osm) and the standards' average wait (20 min).
	big := islandCells(t, env, 120.140, 28.250)
	bigMins := gdalValues(t, path, 1, big)
	reached := 0
	for i, m := range bigMins {
		if m >= 0 {
			reached++
			if m < 30 {
				t.Errorf("大鳌岛 cell %v: %v min, less than the ferry's 10 min + 20 min wait", big[i], m)
			}
		}
	}
	if reached < len(big)/4 {
		t.Errorf("大鳌岛: %d of %d cells reached over the ferry", reached, len(big))
	}

	// One cell by an independent computation: PostGIS + pgRouting on the stored edges, with
	// the standards' drive speeds: snap (nearest non-ferry edge on the ellipsoid, fraction
	// by length), walk at 4 km/h, pgr_dijkstraCost between the ends, the ferry at its
	// tagged 10 min plus the 20 min wait.
	tp, err := a.Runs.Standards().Profile("drive")
	if err != nil {
		t.Fatal(err)
	}
	var speeds []string
	for c, v := range tp.SpeedsKmh {
		speeds = append(speeds, fmt.Sprintf("('%s', %g)", c, v))
	}
	slices.Sort(speeds)
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE hand_edge AS
SELECT n.id, n.from_node AS source, n.to_node AS target, n.ferry, n.geom,
  CASE WHEN n.ferry THEN n.duration_s + $1 * 60 * n.wait_share ELSE ST_Length(n.geom::geography) / (s.kmh / 3.6) END AS cost
FROM network_edge n LEFT JOIN (VALUES `+strings.Join(speeds, ",")+`) s(class, kmh) ON s.class = n.class
WHERE n.ferry OR s.kmh IS NOT NULL`, tp.FerryWaitMin); err != nil {
		t.Fatal(err)
	}
	// The island cell nearest the ferry's island pier.
	var pier [2]float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT CASE WHEN ST_X(ST_StartPoint(geom)) > ST_X(ST_EndPoint(geom)) THEN ST_StartPoint(geom) ELSE ST_EndPoint(geom) END p FROM network_edge WHERE ferry) f`).Scan(&pier[0], &pier[1]); err != nil {
		t.Fatal(err)
	}
	cell, best := -1, math.Inf(1)
	for i, c := range big {
		if d := math.Hypot(c[0]-pier[0], c[1]-pier[1]); bigMins[i] >= 0 && d < best {
			cell, best = i, d
		}
	}
	if cell < 0 {
		t.Fatal("no reached cell on 大鳌岛")
	}
	var handS float64
	err = pool.QueryRow(ctx, `
WITH pts(k, p) AS (VALUES (0, ST_SetSRID(ST_MakePoint($1, $2), 4326)), (1, ST_SetSRID(ST_MakePoint($3, $4), 4326))),
snap AS (
  SELECT k, e.source, e.target, e.cost, ST_Distance(e.geom::geography, pts.p::geography) AS walk,
    ST_Length(ST_LineSubstring(e.geom, 0, ST_LineLocatePoint(e.geom, pts.p))::geography) / ST_Length(e.geom::geography) AS t
  FROM pts CROSS JOIN LATERAL (SELECT * FROM hand_edge WHERE NOT ferry ORDER BY geom::geography <-> pts.p::geography LIMIT 1) e),
f AS (SELECT * FROM snap WHERE k = 0), c AS (SELECT * FROM snap WHERE k = 1),
ends AS (
  SELECT f.source AS a, f.t * f.cost AS ca FROM f UNION ALL SELECT f.target, (1 - f.t) * f.cost FROM f),
cends AS (
  SELECT c.source AS b, c.t * c.cost AS cb FROM c UNION ALL SELECT c.target, (1 - c.t) * c.cost FROM c),
d AS (SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost('SELECT id, source, target, cost, cost AS reverse_cost FROM hand_edge',
  (SELECT array_agg(a) FROM ends), (SELECT array_agg(b) FROM cends), false))
SELECT (SELECT walk FROM f) / (4 / 3.6) + (SELECT walk FROM c) / (4 / 3.6) +
  min(ends.ca + coalesce(d.agg_cost, CASE WHEN ends.a = cends.b THEN 0 END) + cends.cb)
FROM ends CROSS JOIN cends LEFT JOIN d ON d.start_vid = ends.a AND d.end_vid = cends.b`,
		fhLon, fhLat, big[cell][0], big[cell][1]).Scan(&handS)
	if err != nil {
		t.Fatal(err)
	}
	if got := bigMins[cell] * 60; math.Abs(got-handS) > 5 {
		t.Errorf("大鳌岛 cell %v: %.1f s by the run, %.1f s by PostGIS + pgRouting", big[cell], got, handS)
	} else {
		t.Logf("大鳌岛 cell %v near the pier: %.1f min (pgRouting %.1f min), of which the crossing 10 + wait 20", big[cell], got/60, handS/60)
	}

	// Township tables: both measures side by side.
	type unit struct {
		Code       string
		Population float64
		Covered    float64
		Measures   *runs.Measures
	}
	var tw struct{ Items []unit }
	if a := do(t, "GET", base+"/townships", "", ""); a.status != 200 || json.Unmarshal(a.body, &tw) != nil {
		t.Fatalf("townships: %d %s", a.status, a.body)
	}
	var st struct{ Items []unit }
	if a := do(t, "GET", fmt.Sprintf("%s/api/coverage/runs/%d/townships", srv.URL, straightRun.ID), "", ""); a.status != 200 || json.Unmarshal(a.body, &st) != nil {
		t.Fatalf("townships of the straight run: %d %s", a.status, a.body)
	}
	straightOf := map[string]float64{}
	for _, u := range st.Items {
		straightOf[u.Code] = u.Covered
		if u.Measures != nil {
			t.Errorf("straight-line run: township %s has a second measure", u.Code)
		}
	}
	var islands *unit
	for i, u := range tw.Items {
		m := u.Measures
		if m == nil {
			t.Fatalf("township %s: no measures in a travel run", u.Code)
		}
		if m.TravelCovered != u.Covered || math.Abs(m.StraightCovered-straightOf[u.Code]) > 1e-6*max(1, u.Population) {
			t.Errorf("township %s: measures %+v, covered %v, straight-line run's covered %v", u.Code, m, u.Covered, straightOf[u.Code])
		}
		if m.StraightOnly < -1e-9 || m.StraightOnly > m.StraightCovered+1e-6 {
			t.Errorf("township %s: straight only %v of straight covered %v", u.Code, m.StraightOnly, m.StraightCovered)
		}
		if u.Code == "339901203000" {
			islands = &tw.Items[i]
		}
	}
	if islands == nil {
		t.Fatal("no 鳌屿乡 row")
	}
	if m := islands.Measures; m.StraightOnly < 0.9*noFerryPop || m.StraightCovered <= m.TravelCovered {
		t.Errorf("鳌屿乡: %+v; the islands without a ferry hold %.0f people inside the radius", m, noFerryPop)
	} else {
		t.Logf("鳌屿乡: straight %.0f, travel %.0f, straight only %.0f (no-ferry islands %.0f)", m.StraightCovered, m.TravelCovered, m.StraightOnly, noFerryPop)
	}

	// Downloads carry both measures.
	csvA := do(t, "GET", base+".csv", "", "")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvA.body, []byte("\uFEFF")))).ReadAll()
	if err != nil || csvA.status != 200 {
		t.Fatalf("csv: %d %v", csvA.status, err)
	}
	col := slices.Index(recs[0], "straight_only_population")
	if col < 0 || slices.Index(recs[0], "straight_covered_population") < 0 {
		t.Fatalf("csv header %v", recs[0])
	}
	for _, r := range recs[1:] {
		if r[0] == "339901203" || r[0] == "339901203000" {
			if v, _ := strconv.ParseFloat(r[col], 64); math.Abs(v-math.Round(islands.Measures.StraightOnly)) > 1 {
				t.Errorf("csv 鳌屿乡 straight_only_population %s, API %v", r[col], islands.Measures.StraightOnly)
			}
		}
	}
	xl := do(t, "GET", base+".xlsx", "", "")
	f, err := excelize.OpenReader(bytes.NewReader(xl.body))
	if err != nil {
		t.Fatal(err)
	}
	head, err := f.GetRows(report.SheetTownships)
	if err != nil || len(head) < 2 || !slices.ContainsFunc(head[0], func(s string) bool { return strings.HasPrefix(s, "straight 覆盖人口") }) ||
		!slices.ContainsFunc(head[0], func(s string) bool { return strings.Contains(s, "straight only") }) {
		t.Errorf("xlsx townships header %v (%v)", head, err)
	}
	var fc struct {
		Features []struct{ Properties map[string]any }
	}
	if a := do(t, "GET", base+"/townships.geojson", "", ""); a.status != 200 || json.Unmarshal(a.body, &fc) != nil || len(fc.Features) == 0 {
		t.Fatalf("geojson: %d", a.status)
	}
	for _, ft := range fc.Features {
		if _, ok := ft.Properties["straight_only"]; !ok {
			t.Fatalf("geojson feature without straight_only: %v", ft.Properties)
		}
	}
	// Minutes of a straight-line run: 409 with a JSON error.
	if a := do(t, "GET", fmt.Sprintf("%s/api/coverage/runs/%d/minutes.tif", srv.URL, straightRun.ID), "", ""); a.status != 409 || errorCode(a.body) == "" {
		t.Errorf("minutes.tif of a straight-line run: %d %s", a.status, a.body)
	}
	if a := do(t, "GET", base+"/minutes.png", "", ""); a.status != 200 || a.header.Get("X-Fangyuan-Bounds") == "" || !bytes.HasPrefix(a.body, []byte("\x89PNG")) {
		t.Errorf("minutes.png: %d %v", a.status, a.header)
	}
}
