package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestLabelsBrowser opens the main map in headless Chromium on the demo data and zooms onto
// a demo road (web/e2e/labels.mjs): road names and house numbers are drawn as labels with
// glyphs served by the binary, every glyph request answers 200, and MapLibre logs no error.
func TestLabelsBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)

	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if err := importers.LoadDemo(ctx, pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	// The same wiring as `fangyuan serve` (internal/app).
	srv := tilestest.Serve(t, pool, false)

	// From PostGIS: the middle of the longest named demo road, a current house number, and
	// every road name.
	var road struct {
		Name     string  `json:"name"`
		Lon, Lat float64 `json:"-"`
	}
	err := pool.QueryRow(context.Background(), `SELECT name, ST_X(p), ST_Y(p) FROM (
  SELECT name, ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5) p FROM road
  WHERE name <> '' ORDER BY ST_Length(geom::geography) DESC, id LIMIT 1) r`).Scan(&road.Name, &road.Lon, &road.Lat)
	if err != nil {
		t.Fatal(err)
	}
	var hlon, hlat float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(geom), ST_Y(geom) FROM house_number WHERE valid_to IS NULL ORDER BY id LIMIT 1`).Scan(&hlon, &hlat); err != nil {
		t.Fatalf("a demo house number: %v", err)
	}
	var names []string
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(array_agg(DISTINCT name), '{}') FROM road WHERE name <> ''`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	shot, _ := filepath.Abs(filepath.Join("..", "test-results", "labels.png"))
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "labels.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+srv.URL, "CHROMIUM="+chromium, "FANGYUAN_SCREENSHOT="+shot,
		"FANGYUAN_ROAD="+js(map[string]any{"name": road.Name, "lon": road.Lon, "lat": road.Lat}),
		"FANGYUAN_HOUSE="+js(map[string]any{"lon": hlon, "lat": hlat}), "FANGYUAN_ROAD_NAMES="+js(names))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
}
