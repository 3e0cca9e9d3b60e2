package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestChangesBrowser drives the yearly code update's page (区划代码年度更新) in headless
// Chromium on the demo data, served with the wiring of `fangyuan serve`, with one update
// report that left two records pending (web/e2e/changes.mjs): the page assigns the
// facility to its candidate and keeps the road. What it did is then checked in PostGIS:
// the facility's code, no pending row left, the audit rows under the editor's token.
func TestChangesBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if err := importers.LoadDemo(ctx, pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	const editorName = "web.changes"
	tok, _, err := auth.NewStore(pool).CreateToken(ctx, editorName, auth.Admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A report as `import divisions` keeps it, with a facility on a township said to be
	// split (its candidate another demo township) and a road whose name clashes.
	var facID, roadID int64
	var facCode, target, roadCode string
	if err := pool.QueryRow(ctx, `SELECT f.id, f.admin_code, (SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL AND code <> f.admin_code ORDER BY code LIMIT 1)
FROM facility f WHERE f.admin_code IS NOT NULL ORDER BY f.id LIMIT 1`).Scan(&facID, &facCode, &target); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT id, admin_code FROM road WHERE admin_code IS NOT NULL ORDER BY id LIMIT 1`).Scan(&roadID, &roadCode); err != nil {
		t.Fatal(err)
	}
	var report int64
	if err := pool.QueryRow(ctx, `INSERT INTO division_change_report (valid_from, source, provinces, actor, via, summary)
VALUES ('2026-06-30', 'codes-2026', '{33}', 'cli:test', 'cli', '{"changes": {"split": 1}, "moved": {}, "pending": {"facility": 1, "road": 1}, "mapping": 0}') RETURNING id`).Scan(&report); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO division_change_pending (report_id, entity, entity_id, field, code, candidates, reason, label) VALUES
($1, 'facility', $2, 'admin_code', $3, ARRAY[$4], 'split: its children went to several units', '养老服务中心'),
($1, 'road', $5, 'admin_code', $6, ARRAY[$6], 'conflict: a record of the same name is already under '||$6, '人民路')`, report, facID, facCode, target, roadID, roadCode); err != nil {
		t.Fatal(err)
	}
	srv := tilestest.Serve(t, pool, false) // the same wiring as `fangyuan serve` (internal/app)

	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "changes.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+srv.URL, "CHROMIUM="+chromium, "FANGYUAN_TOKEN="+tok,
		fmt.Sprintf("FANGYUAN_REPORT=%d", report), fmt.Sprintf("FANGYUAN_FACILITY=%d", facID), "FANGYUAN_TARGET="+target,
		fmt.Sprintf("FANGYUAN_ROAD_ID=%d", roadID))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	var got, gotRoad string
	var left, audited int
	if err := pool.QueryRow(ctx, `SELECT (SELECT admin_code FROM facility WHERE id = $1), (SELECT admin_code FROM road WHERE id = $2),
  (SELECT count(*) FROM division_change_pending WHERE report_id = $3),
  (SELECT count(*) FROM audit_log WHERE actor = $4 AND detail->>'division_change_report' = $3::text)`, facID, roadID, report, editorName).Scan(&got, &gotRoad, &left, &audited); err != nil {
		t.Fatal(err)
	}
	if got != target || gotRoad != roadCode || left != 0 || audited != 2 {
		t.Errorf("after the page: facility on %s (want %s), road on %s (want %s), %d pending, %d audit rows (want 0, 2)", got, target, gotRoad, roadCode, left, audited)
	}
}
