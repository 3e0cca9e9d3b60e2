package web_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestBoundaryBrowser opens the boundary page (界线联检) in headless Chromium on the
// boundary demo: the past round's markers show with their conditions, and a team's package
// downloaded from the page is a zip whose markers.geojson lists exactly that team's markers.
func TestBoundaryBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)

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
	if err := importers.LoadBoundaryDemo(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	as := auth.NewStore(pool)
	editor, _, err := as.CreateToken(ctx, "web.boundary", auth.BoundaryEditor, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The same wiring as `fangyuan serve` (internal/app).
	srv := tilestest.Serve(t, pool, false)

	zipPath := filepath.Join(t.TempDir(), "package.zip")
	problems, _ := filepath.Abs(filepath.Join("..", "data", "demo", "boundaries", "villages-with-problems.geojson"))
	shot, _ := filepath.Abs(filepath.Join("..", "test-results", "boundary.png"))
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "boundary.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+srv.URL, "CHROMIUM="+chromium, "FANGYUAN_TOKEN="+editor,
		"FANGYUAN_ROUND="+importers.DemoPastRound, "FANGYUAN_TEAM=第一组", "FANGYUAN_DOWNLOAD="+zipPath, "FANGYUAN_PROBLEMS="+problems, "FANGYUAN_SCREENSHOT="+shot)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}

	// The downloaded zip: its markers.geojson lists the team's markers (from PostGIS).
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []string
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/markers.geojson") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				Properties struct {
					Number string `json:"number"`
				} `json:"properties"`
			} `json:"features"`
		}
		err = json.NewDecoder(rc).Decode(&fc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, ft := range fc.Features {
			got = append(got, ft.Properties.Number)
		}
	}
	rows, err := pool.Query(context.Background(), `
SELECT m.number FROM boundary_marker m
JOIN inspection_round_line rl ON rl.line_id = m.line_id
JOIN inspection_round r ON r.id = rl.round_id AND r.name = $1
JOIN inspection_team tm ON tm.id = rl.team_id AND tm.name = $2`, importers.DemoPastRound, "第一组")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	rows.Close()
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("package markers %v, want the team's %v", got, want)
	}
}
