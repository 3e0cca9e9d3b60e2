package scenario_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage/runs"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type answer struct {
	status int
	body   []byte
}

func do(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, b}
}

func decode[T any](t *testing.T, a answer, status int) T {
	t.Helper()
	var v T
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	return v
}

type township struct {
	Code         string   `json:"code"`
	Population   float64  `json:"population"`
	Covered      float64  `json:"covered"`
	Share        float64  `json:"share"`
	Facilities   int      `json:"facilities"`
	Flags        []string `json:"flags"`
	Rank         *int     `json:"rank"`
	BaseCovered  float64  `json:"base_covered"`
	BaseFlags    []string `json:"base_flags"`
	DeltaCovered float64  `json:"delta_covered"`
	Changed      bool     `json:"changed"`
}

type view struct {
	Scenario struct {
		ID     int64       `json:"id"`
		Params runs.Params `json:"params"`
	} `json:"scenario"`
	Edits []struct {
		ID int64  `json:"id"`
		Op string `json:"op"`
	} `json:"edits"`
	Summary struct {
		Covered      float64 `json:"covered"`
		BaseCovered  float64 `json:"base_covered"`
		DeltaCovered float64 `json:"delta_covered"`
		Flagged      int     `json:"flagged"`
		BaseFlagged  int     `json:"base_flagged"`
	} `json:"summary"`
	Townships  []township `json:"townships"`
	Gaps       []township `json:"gaps"`
	Facilities []struct {
		Key     string  `json:"key"`
		Lon     float64 `json:"lon"`
		Lat     float64 `json:"lat"`
		Planned bool    `json:"planned"`
		Status  string  `json:"status"`
	} `json:"facilities"`
	Cells struct{ Visited, Flipped int } `json:"cells"`
}

// storedTownships reads a finished run's township rows from PostgreSQL.
func storedTownships(t *testing.T, pool *pgxpool.Pool, run int64) map[string]township {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, population, covered, share, facilities, flags, rank FROM coverage_run_unit WHERE run_id = $1 AND level = 4`, run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]township{}
	for rows.Next() {
		var u township
		if err := rows.Scan(&u.Code, &u.Population, &u.Covered, &u.Share, &u.Facilities, &u.Flags, &u.Rank); err != nil {
			t.Fatal(err)
		}
		out[u.Code] = u
	}
	if len(out) == 0 {
		t.Fatalf("run %d stored no townships", run)
	}
	return out
}

func close9(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-6
}

// sameAsRun compares a scenario's townships with a stored run's.
func sameAsRun(t *testing.T, what string, got []township, want map[string]township) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d townships, the run has %d", what, len(got), len(want))
	}
	for _, u := range got {
		w, ok := want[u.Code]
		if !ok {
			t.Fatalf("%s: township %s not in the run", what, u.Code)
		}
		if !close9(u.Population, w.Population) || !close9(u.Covered, w.Covered) || !close9(u.Share, w.Share) || u.Facilities != w.Facilities ||
			!slices.Equal(u.Flags, w.Flags) || (u.Rank == nil) != (w.Rank == nil) || (u.Rank != nil && *u.Rank != *w.Rank) {
			t.Fatalf("%s: township %s: %+v, the run %+v", what, u.Code, u, w)
		}
	}
}

// TestScenarioAPI: a scenario on the demo data. Without edits it equals the stored run; with
// edits (add a planned facility in a flagged township, move, close, change beds) it equals a
// full run on the facility table changed the same way for real (rows written by SQL, the
// run computed and stored by the coverage run pipeline), while the scenario itself never
// changes the facility table; undo restores the base; bad edits get 400s naming the field.
func TestScenarioAPI(t *testing.T) {
	env := tilestest.Demo(t)
	ctx := dbtest.CLI()
	pool := env.Pool
	planner, _, err := auth.NewStore(pool).CreateToken(ctx, "scenario.planner", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	viewer, _, err := auth.NewStore(pool).CreateToken(ctx, "scenario.viewer", auth.Viewer, 0)
	if err != nil {
		t.Fatal(err)
	}
	const kind = "eldercare_center"
	var baseRun int64
	if err := pool.QueryRow(ctx, `SELECT id FROM coverage_run WHERE kind = $1 AND status = 'done' ORDER BY id DESC LIMIT 1`, kind).Scan(&baseRun); err != nil {
		t.Fatal(err)
	}
	facilityDigest := func() string {
		var s string
		if err := pool.QueryRow(ctx, `SELECT md5(string_agg(id || ':' || status || ':' || coalesce(beds, -1) || ':' || ST_AsText(geom), ',' ORDER BY id)) FROM facility`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	digest := facilityDigest()

	// Create: base_run's parameters.
	if a := do(t, "POST", env.URL+"/api/scenarios", "", `{"name":"x","kind":"eldercare_center"}`); a.status != 401 {
		t.Fatalf("no token: %d %s", a.status, a.body)
	}
	if a := do(t, "POST", env.URL+"/api/scenarios", viewer, `{"name":"x","kind":"eldercare_center"}`); a.status != 403 {
		t.Fatalf("viewer: %d %s", a.status, a.body)
	}
	for _, c := range []struct{ body, field string }{
		{`{"kind":"eldercare_center"}`, "name"},
		{`{"name":"x","kind":"no_such_kind"}`, "kind"},
		{`{"name":"x"}`, "kind"},
		{`{"name":"x","kind":"childrens_home","base_run":` + fmt.Sprint(baseRun) + `}`, "base_run"},
		{`{"name":"x","kind":"eldercare_center","base_run":999999}`, "base_run"},
	} {
		a := do(t, "POST", env.URL+"/api/scenarios", planner, c.body)
		var e struct{ Error struct{ Field string } }
		_ = json.Unmarshal(a.body, &e)
		if a.status != 400 || e.Error.Field != c.field {
			t.Errorf("create %s: %d %s, want 400 on %s", c.body, a.status, a.body, c.field)
		}
	}
	sc := decode[struct {
		ID     int64       `json:"id"`
		Params runs.Params `json:"params"`
	}](t, do(t, "POST", env.URL+"/api/scenarios", planner, fmt.Sprintf(`{"name":"新增规划养老服务中心","kind":"%s","base_run":%d}`, kind, baseRun)), 201)
	run, err := env.Runs.Get(ctx, baseRun)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Params.RadiusM != run.RadiusM || sc.Params.Layer != run.Layer || sc.Params.AsOf.Format("2006-01-02") != run.AsOf {
		t.Fatalf("params %+v, run %+v", sc.Params, run)
	}
	url := fmt.Sprintf("%s/api/scenarios/%d", env.URL, sc.ID)

	// Without edits: the stored run.
	base := decode[view](t, do(t, "GET", url, "", ""), 200)
	want := storedTownships(t, pool, baseRun)
	sameAsRun(t, "no edits", base.Townships, want)
	if len(base.Gaps) == 0 {
		t.Fatal("the demo run has no gaps")
	}

	// A flagged township without full coverage, a point inside it (PostGIS), and an
	// operating facility elsewhere to move and one to close and one to resize.
	var target township
	for _, g := range base.Gaps {
		if g.Share < 0.9 {
			target = g
			break
		}
	}
	if target.Code == "" {
		t.Fatal("no township below target")
	}
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM admin_unit WHERE code = $1 AND valid_to IS NULL) s`, target.Code).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var ops []int64
	if err := pool.QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM facility WHERE kind = $1 AND status = 'operating'`, kind).Scan(&ops); err != nil {
		t.Fatal(err)
	}
	if len(ops) < 3 {
		t.Fatalf("only %d operating facilities", len(ops))
	}
	moveID, closeID, bedsID := ops[0], ops[1], ops[2]
	var beds int
	if err := pool.QueryRow(ctx, `SELECT coalesce(beds, 0) + 10 FROM facility WHERE id = $1`, bedsID).Scan(&beds); err != nil {
		t.Fatal(err)
	}

	type added struct {
		Edit struct {
			ID int64 `json:"id"`
		} `json:"edit"`
		Scenario view `json:"scenario"`
	}
	add := decode[added](t, do(t, "POST", url+"/edits", planner, fmt.Sprintf(`{"op":"add","lon":%v,"lat":%v,"name":"规划中心","beds":30}`, lon, lat)), 201)
	after := add.Scenario
	var tw township
	for _, u := range after.Townships {
		if u.Code == target.Code {
			tw = u
		}
	}
	if !(tw.Covered > target.Covered) || !tw.Changed || tw.Facilities != target.Facilities+1 || !close9(tw.DeltaCovered, tw.Covered-target.Covered) {
		t.Fatalf("after adding in %s: %+v (before %+v)", target.Code, tw, target)
	}
	if len(after.Facilities) != 1 || !after.Facilities[0].Planned || after.Facilities[0].Lon != lon || after.Cells.Flipped == 0 {
		t.Fatalf("facilities %+v cells %+v", after.Facilities, after.Cells)
	}
	// Move the planned facility a little, move a stored one, close one, resize one.
	var mlon, mlat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(geom) + 0.01, ST_Y(geom) - 0.005 FROM facility WHERE id = $1`, moveID).Scan(&mlon, &mlat); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		fmt.Sprintf(`{"op":"move","edit":%d,"lon":%v,"lat":%v}`, add.Edit.ID, lon+0.002, lat),
		fmt.Sprintf(`{"op":"move","facility":%d,"lon":%v,"lat":%v}`, moveID, mlon, mlat),
		fmt.Sprintf(`{"op":"close","facility":%d}`, closeID),
		fmt.Sprintf(`{"op":"beds","facility":%d,"beds":%d}`, bedsID, beds),
	} {
		decode[added](t, do(t, "POST", url+"/edits", planner, body), 201)
	}
	edited := decode[view](t, do(t, "GET", url, "", ""), 200)
	if len(edited.Edits) != 5 {
		t.Fatalf("%d edits", len(edited.Edits))
	}
	if facilityDigest() != digest {
		t.Fatal("the scenario changed the facility table")
	}

	// The same changes for real, and a full run: the scenario's numbers.
	if _, err := pool.Exec(ctx, `CREATE TABLE facility_saved AS SELECT * FROM facility WHERE id = ANY($1)`, ops[:3]); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO facility (kind, ext_id, name, beds, status, geom) VALUES ($1, 'SCN-1', '规划中心', 30, 'operating', ST_SetSRID(ST_MakePoint($2, $3), 4326))`, []any{kind, lon + 0.002, lat}},
		{`UPDATE facility SET geom = ST_SetSRID(ST_MakePoint($2, $3), 4326) WHERE id = $1`, []any{moveID, mlon, mlat}},
		{`UPDATE facility SET status = 'closed' WHERE id = $1`, []any{closeID}},
		{`UPDATE facility SET beds = $2 WHERE id = $1`, []any{bedsID, beds}},
	} {
		if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	real, err := env.Runs.RunSync(ctx, sc.Params)
	if err != nil || real.Status != "done" {
		t.Fatalf("run: %v %+v", err, real)
	}
	realRows := storedTownships(t, pool, real.ID)
	if _, err := pool.Exec(ctx, `DELETE FROM facility WHERE ext_id = 'SCN-1'`); err != nil {
		t.Fatal(err)
	}
	sameAsRun(t, "edited", edited.Townships, realRows)
	changed := 0
	for _, u := range edited.Townships {
		if u.Changed {
			changed++
		}
	}
	if changed < 2 {
		t.Fatalf("only %d townships changed", changed)
	}
	// The real table as it was.
	if _, err := pool.Exec(ctx, `UPDATE facility f SET geom = o.geom, status = o.status, beds = o.beds FROM facility_saved o WHERE o.id = f.id`); err != nil {
		t.Fatal(err)
	}
	if facilityDigest() != digest {
		t.Fatal("the facility table was not restored")
	}

	// Undo: deleting the add edit deletes the move of the planned facility too.
	undone := decode[view](t, do(t, "DELETE", fmt.Sprintf("%s/edits/%d", url, add.Edit.ID), planner, ""), 200)
	if len(undone.Edits) != 3 {
		t.Fatalf("after undo: %d edits", len(undone.Edits))
	}
	for _, e := range undone.Edits[:] {
		if e.ID == add.Edit.ID || e.Op == "add" {
			t.Fatalf("edit %d still there", e.ID)
		}
	}
	for _, e := range undone.Edits {
		if a := do(t, "DELETE", fmt.Sprintf("%s/edits/%d", url, e.ID), planner, ""); a.status != 200 {
			t.Fatalf("undo %d: %d %s", e.ID, a.status, a.body)
		}
	}
	restored := decode[view](t, do(t, "GET", url, "", ""), 200)
	if len(restored.Edits) != 0 {
		t.Fatalf("%d edits left", len(restored.Edits))
	}
	sameAsRun(t, "all undone", restored.Townships, want)
	if a := do(t, "DELETE", fmt.Sprintf("%s/edits/%d", url, add.Edit.ID), planner, ""); a.status != 404 {
		t.Fatalf("undo twice: %d %s", a.status, a.body)
	}

	// Bad edits.
	var otherKind int64
	if err := pool.QueryRow(ctx, `SELECT id FROM facility WHERE kind <> $1 ORDER BY id LIMIT 1`, kind).Scan(&otherKind); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ body, field string }{
		{`{"op":"fly","lon":120,"lat":28}`, "op"},
		{`{"op":"add","lat":28}`, "lon"},
		{`{"op":"add","lon":120,"lat":95}`, "lon"},
		{`{"op":"move","lon":120,"lat":28}`, "facility"},
		{fmt.Sprintf(`{"op":"close","facility":%d}`, otherKind), "facility"},
		{`{"op":"close","facility":99999999}`, "facility"},
		{`{"op":"close","edit":99999999}`, "edit"},
		{fmt.Sprintf(`{"op":"beds","facility":%d}`, bedsID), "beds"},
		{fmt.Sprintf(`{"op":"beds","facility":%d,"beds":-1}`, bedsID), "beds"},
	} {
		a := do(t, "POST", url+"/edits", planner, c.body)
		var e struct{ Error struct{ Field string } }
		_ = json.Unmarshal(a.body, &e)
		if a.status != 400 || e.Error.Field != c.field {
			t.Errorf("edit %s: %d %s, want 400 on %s", c.body, a.status, a.body, c.field)
		}
	}
	if a := do(t, "GET", env.URL+"/api/scenarios/999999", "", ""); a.status != 404 {
		t.Fatalf("no scenario: %d %s", a.status, a.body)
	}
	if a := do(t, "POST", env.URL+"/api/scenarios/999999/edits", planner, `{"op":"add","lon":120,"lat":28}`); a.status != 404 {
		t.Fatalf("edit of no scenario: %d %s", a.status, a.body)
	}
	// The writes are in the audit log.
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor = 'scenario.planner' AND entity IN ('scenario', 'scenario_edit')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1+5+4 { // create, five edits, four undos (the move of the planned facility went with its add)
		t.Fatalf("%d audit entries", n)
	}
}

// TestScenarioTravelAPI: a scenario on a travel-time run judges edits by travel time:
// without edits it is the stored run; with a planned facility added and a stored one
// closed, its townships are those of a full travel-time run on the same changes made
// for real.
func TestScenarioTravelAPI(t *testing.T) {
	env := tilestest.Demo(t)
	ctx := dbtest.CLI()
	pool := env.Pool
	planner, _, err := auth.NewStore(pool).CreateToken(ctx, "scenario.travel", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	const kind = "eco_burial"
	var baseRun int64
	if err := pool.QueryRow(ctx, `SELECT id FROM coverage_run WHERE kind = $1 AND status = 'done' AND params->>'reach' = 'travel' ORDER BY id DESC LIMIT 1`, kind).Scan(&baseRun); err != nil {
		t.Fatalf("the demo's travel-time run of %s: %v", kind, err)
	}
	sc := decode[struct {
		ID     int64       `json:"id"`
		Params runs.Params `json:"params"`
	}](t, do(t, "POST", env.URL+"/api/scenarios", planner, fmt.Sprintf(`{"name":"出行时间情景","kind":"%s","base_run":%d}`, kind, baseRun)), 201)
	if sc.Params.Reach != "travel" {
		t.Fatalf("scenario reach %q, want travel", sc.Params.Reach)
	}
	url := fmt.Sprintf("%s/api/scenarios/%d", env.URL, sc.ID)
	base := decode[view](t, do(t, "GET", url, "", ""), 200)
	sameAsRun(t, "travel, no edits", base.Townships, storedTownships(t, pool, baseRun))
	var target township
	for _, g := range base.Gaps {
		if g.Share < 0.9 {
			target = g
			break
		}
	}
	if target.Code == "" {
		t.Fatal("no township below target")
	}
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM admin_unit WHERE code = $1 AND valid_to IS NULL) s`, target.Code).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var closeID int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM facility WHERE kind = $1 AND status = 'operating'`, kind).Scan(&closeID); err != nil {
		t.Fatal(err)
	}
	decode[struct{}](t, do(t, "POST", url+"/edits", planner, fmt.Sprintf(`{"op":"add","lon":%v,"lat":%v,"name":"规划公墓"}`, lon, lat)), 201)
	decode[struct{}](t, do(t, "POST", url+"/edits", planner, fmt.Sprintf(`{"op":"close","facility":%d}`, closeID)), 201)
	edited := decode[view](t, do(t, "GET", url, "", ""), 200)
	if edited.Cells.Flipped == 0 {
		t.Fatal("the edits flipped no cell")
	}
	// The same for real, a full travel-time run, and the table back as it was.
	if _, err := pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom) VALUES ($1, 'SCN-T', '规划公墓', 'operating', ST_SetSRID(ST_MakePoint($2, $3), 4326))`, kind, lon, lat); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE facility SET status = 'closed' WHERE id = $1`, closeID); err != nil {
		t.Fatal(err)
	}
	real, err := env.Runs.RunSync(ctx, sc.Params)
	if err != nil || real.Status != "done" || real.Reach != "travel" {
		t.Fatalf("run: %v %+v", err, real)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM facility WHERE ext_id = 'SCN-T'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE facility SET status = 'operating' WHERE id = $1`, closeID); err != nil {
		t.Fatal(err)
	}
	sameAsRun(t, "travel, edited", edited.Townships, storedTownships(t, pool, real.ID))
}
