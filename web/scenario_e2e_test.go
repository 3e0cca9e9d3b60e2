package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fangyuan/coverage/runs"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestScenarioBrowser drives the what-if scenario mode of the coverage map (情景模拟) in
// headless Chromium on the demo data, served with the wiring of `fangyuan serve`
// (web/e2e/scenario.mjs): add a planned facility by clicking the map inside a township below
// target, the gap table changes to the scenario's, drag it, undo restores the run's table.
// The table the page showed after the add is then checked against PostGIS: the same
// facility inserted for real, a full coverage run stored, its township gaps (rank,
// uncovered, share) read by SQL must be the rows the page showed.
func TestScenarioBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)

	env := tilestest.Demo(t)
	ctx := dbtest.CLI()
	pool := env.Pool
	planner, _, err := auth.NewStore(pool).CreateToken(ctx, "web.scenario", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	const kind = "eldercare_center"
	var runID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM coverage_run WHERE kind = $1 AND status = 'done' ORDER BY id DESC LIMIT 1`, kind).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	// The flagged township below target with the most people left out, and a point inside
	// it at least 300 m from every facility (so the click hits no marker).
	var code string
	var lon, lat float64
	err = pool.QueryRow(ctx, `
SELECT u.code, ST_X(p.pt), ST_Y(p.pt)
FROM coverage_run_unit u
JOIN admin_unit a ON a.code = u.code AND a.valid_to IS NULL
CROSS JOIN LATERAL (SELECT (ST_Dump(ST_GeneratePoints(a.geom, 50, 7))).geom AS pt) p
WHERE u.run_id = $1 AND u.level = 4 AND u.rank IS NOT NULL AND 'BELOW_TARGET' = ANY (u.flags)
  AND NOT EXISTS (SELECT 1 FROM facility f WHERE ST_DWithin(f.geom::geography, p.pt::geography, 300))
ORDER BY u.uncovered DESC, u.code, ST_X(p.pt), ST_Y(p.pt) LIMIT 1`, runID).Scan(&code, &lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	var facilitiesBefore string
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(id || status || ST_AsText(geom), ',' ORDER BY id)) FROM facility`).Scan(&facilitiesBefore); err != nil {
		t.Fatal(err)
	}

	shot, _ := filepath.Abs(filepath.Join("..", "test-results", "scenario.png"))
	if os.Getenv("FANGYUAN_UPDATE_SCREENSHOT") != "" {
		shot, _ = filepath.Abs(filepath.Join("..", "docs", "scenario.png"))
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "scenario.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+env.URL, "CHROMIUM="+chromium, "FANGYUAN_TOKEN="+planner, "FANGYUAN_KIND="+kind,
		"FANGYUAN_RUN="+strconv.FormatInt(runID, 10), "FANGYUAN_TOWNSHIP="+code,
		"FANGYUAN_LON="+strconv.FormatFloat(lon, 'f', 7, 64), "FANGYUAN_LAT="+strconv.FormatFloat(lat, 'f', 7, 64), "FANGYUAN_SCREENSHOT="+shot)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	var res struct {
		Scenario int64
		Lon, Lat float64
		Rows     []struct{ Code, Rank, Uncovered, Share string }
	}
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "RESULT "); ok {
			if err := json.Unmarshal([]byte(s), &res); err != nil {
				t.Fatal(err)
			}
		}
	}
	if res.Scenario == 0 || len(res.Rows) == 0 {
		t.Fatalf("the script reported %+v", res)
	}

	// The page changed nothing real; the undone edits are gone.
	var facilitiesAfter string
	var edits int
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(id || status || ST_AsText(geom), ',' ORDER BY id)), (SELECT count(*) FROM scenario_edit WHERE scenario_id = $1) FROM facility`, res.Scenario).Scan(&facilitiesAfter, &edits); err != nil {
		t.Fatal(err)
	}
	if facilitiesAfter != facilitiesBefore || edits != 0 {
		t.Fatalf("facility table changed: %v; %d edits left", facilitiesAfter != facilitiesBefore, edits)
	}

	// The facility for real, a full run with the scenario's parameters, its gaps from SQL.
	var params []byte
	if err := pool.QueryRow(ctx, `SELECT params FROM scenario WHERE id = $1`, res.Scenario).Scan(&params); err != nil {
		t.Fatal(err)
	}
	var p runs.Params
	if err := json.Unmarshal(params, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom) VALUES ($1, 'E2E-PLAN', '规划设施', 'operating', ST_SetSRID(ST_MakePoint($2, $3), 4326))`, kind, res.Lon, res.Lat); err != nil {
		t.Fatal(err)
	}
	real, err := env.Runs.RunSync(ctx, p)
	if err != nil || real.Status != "done" {
		t.Fatalf("run: %v %+v", err, real)
	}
	rows, err := pool.Query(ctx, `SELECT code, rank, uncovered, share FROM coverage_run_unit WHERE run_id = $1 AND level = 4 AND rank IS NOT NULL ORDER BY rank`, real.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Code, Rank, Uncovered, Share string }
	var want []row
	for rows.Next() {
		var c string
		var rank int
		var unc, share float64
		if err := rows.Scan(&c, &rank, &unc, &share); err != nil {
			t.Fatal(err)
		}
		want = append(want, row{c, strconv.Itoa(rank), groupThousands(int64(math.Round(unc))), fmt.Sprintf("%.1f%%", 100*share)})
	}
	rows.Close()
	if len(want) != len(res.Rows) {
		t.Fatalf("the page showed %d gap rows, the full run has %d", len(res.Rows), len(want))
	}
	for i, w := range want {
		if g := res.Rows[i]; g.Code != w.Code || g.Rank != w.Rank || g.Uncovered != w.Uncovered || g.Share != w.Share {
			t.Errorf("gap row %d: page %+v, full run %+v", i+1, g, w)
		}
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}

// groupThousands formats n as the page does (zh-CN: 12,345).
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
