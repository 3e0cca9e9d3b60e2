package web_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestOfficeBrowser drives the place-name office's page (门牌管理) in headless Chromium on
// the demo data, served with the wiring of `fangyuan serve`: open 人民路, click beside it,
// accept the suggested number, see it on the map and in the table and through /api/search
// within 1 s; renumber it, plate it, run the name check; Chinese first, English on the
// toggle (web/e2e/office.mjs). What the page did is then checked in PostGIS: the rows,
// their lineage and the audit log under the editor's token. Each run has a fresh database.
func TestOfficeBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)

	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if err := importers.LoadDemo(ctx, pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	const editorName = "web.office"
	editor, _, err := auth.NewStore(pool).CreateToken(ctx, editorName, auth.NamesEditor, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The name check's duplicate: a demo place name in the township, read from PostGIS.
	var placeID int64
	var placeName string
	if err := pool.QueryRow(ctx, `SELECT id, name FROM place_name WHERE admin_code LIKE '339901001%' ORDER BY id LIMIT 1`).Scan(&placeID, &placeName); err != nil {
		t.Fatal(err)
	}
	srv := tilestest.Serve(t, pool, false) // the same wiring as `fangyuan serve` (internal/app)

	shot, _ := filepath.Abs(filepath.Join("..", "test-results", "office.png"))
	if os.Getenv("FANGYUAN_UPDATE_SCREENSHOT") != "" {
		shot, _ = filepath.Abs(filepath.Join("..", "docs", "office.png"))
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, node, "office.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+srv.URL, "CHROMIUM="+chromium, "FANGYUAN_TOKEN="+editor,
		"FANGYUAN_TOWNSHIP=339901001", "FANGYUAN_ROAD=人民路", "FANGYUAN_PLACE_ID="+strconv.FormatInt(placeID, 10),
		"FANGYUAN_PLACE_NAME="+placeName, "FANGYUAN_SCREENSHOT="+shot)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	var res struct {
		House, Successor int64
		Plate            string
	}
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "RESULT "); ok {
			if err := json.Unmarshal([]byte(s), &res); err != nil {
				t.Fatal(err)
			}
		}
	}
	if res.House == 0 || res.Successor == 0 || res.Plate == "" {
		t.Fatalf("the script reported %+v", res)
	}

	// In PostGIS: the assigned number, retired by the renumbering, its successor linked to
	// it, both on 人民路, the plate installed on the successor.
	var road, approval, status, succStatus, plateStatus string
	var pred int64
	var succNumber, number int
	if err := pool.QueryRow(ctx, `
SELECT r.name, h.approval_no, h.status, h.number, s.status, s.number, s.predecessor_id, p.status
FROM house_number h JOIN road r ON r.id = h.road_id
JOIN house_number s ON s.id = $2
JOIN plate p ON p.house_number_id = s.id AND p.id = $3
WHERE h.id = $1`, res.House, res.Successor, res.Plate).Scan(&road, &approval, &status, &number, &succStatus, &succNumber, &pred, &plateStatus); err != nil {
		t.Fatal(err)
	}
	if road != "人民路" || approval == "" || status != "retired" || succStatus != "active" || succNumber != number+1000 || pred != res.House || plateStatus != "installed" {
		t.Errorf("rows: road %s approval %q status %s number %d; successor %s %d pred %d; plate %s", road, approval, status, number, succStatus, succNumber, pred, plateStatus)
	}
	// Every write landed in the audit log under the editor's name, via the API.
	rows, err := pool.Query(ctx, `SELECT entity || ':' || action || ':' || entity_key FROM audit_log WHERE actor = $1 AND via = 'api' ORDER BY id`, editorName)
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		audit = append(audit, s)
	}
	rows.Close()
	h, s := strconv.FormatInt(res.House, 10), strconv.FormatInt(res.Successor, 10)
	for _, want := range []string{"house_number:create:" + h, "house_number:renumber:" + h, "plate:create:" + res.Plate, "plate:update:" + res.Plate} {
		found := false
		for _, a := range audit {
			found = found || strings.HasPrefix(a, want)
		}
		if !found {
			t.Errorf("audit log of %s %v lacks %s (successor %s)", editorName, audit, want, s)
		}
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}
