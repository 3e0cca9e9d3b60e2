package ogcapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

func token(t *testing.T, env *tilestest.Env, name string, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.NewStore(env.Pool).CreateToken(dbtest.CLI(), name, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestPart4 is a create, replace, update, delete round trip on a facility collection
// with If-Match ETags mapped to the row version, checked in the table and the audit log.
func TestPart4(t *testing.T) {
	env := tilestest.Serve(t, dbtest.Pool(t), false)
	planner := "Bearer " + token(t, env, "ogc.planner", auth.Planner)
	viewer := "Bearer " + token(t, env, "ogc.viewer", auth.Viewer)
	const coll = "/ogc/collections/facilities-eldercare_center"
	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[119.95,28.25]},"properties":{"ext_id":"OGC-1","name":"测试居家养老服务中心","status":"planned"}}`
	gj := "application/geo+json"

	resp, _ := do(t, env, http.MethodPost, coll+"/items", body, "Content-Type", gj)
	mustStatus(t, resp, 401, "POST without a token")
	resp, _ = do(t, env, http.MethodPost, coll+"/items", body, "Content-Type", gj, "Authorization", viewer)
	mustStatus(t, resp, 403, "POST as viewer")
	resp, _ = do(t, env, http.MethodPost, "/ogc/collections/roads/items", body, "Content-Type", gj, "Authorization", planner)
	mustStatus(t, resp, 405, "POST to a read-only collection")
	resp, b := do(t, env, http.MethodPost, coll+"/items", strings.Replace(body, `"status":"planned"`, `"status":"open"`, 1), "Content-Type", gj, "Authorization", planner)
	mustStatus(t, resp, 400, "POST with a bad status")
	if !strings.Contains(string(b), `"field":"status"`) {
		t.Errorf("bad status: %s", b)
	}
	resp, b = do(t, env, http.MethodPost, coll+"/items", strings.Replace(body, `"status"`, `"colour"`, 1), "Content-Type", gj, "Authorization", planner)
	mustStatus(t, resp, 400, "POST with an unknown property")

	resp, _ = do(t, env, http.MethodPost, coll+"/items", body, "Content-Type", gj, "Authorization", planner)
	mustStatus(t, resp, 201, "POST")
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, env.URL+coll+"/items/") || resp.Header.Get("ETag") != `"v1"` {
		t.Fatalf("Location %q, ETag %q", loc, resp.Header.Get("ETag"))
	}
	fid := strings.TrimPrefix(loc, env.URL+coll+"/items/")
	item := coll + "/items/" + fid
	ctx := context.Background()
	row := func() (name, status string, lon, lat float64, version int) {
		t.Helper()
		if err := env.Pool.QueryRow(ctx, `SELECT name, status, ST_X(geom), ST_Y(geom), version FROM facility WHERE id = $1`, fid).Scan(&name, &status, &lon, &lat, &version); err != nil {
			t.Fatal(err)
		}
		return
	}
	if name, status, lon, lat, v := row(); name != "测试居家养老服务中心" || status != "planned" || lon != 119.95 || lat != 28.25 || v != 1 {
		t.Fatalf("created row %s %s %g %g v%d", name, status, lon, lat, v)
	}
	get, _ := env.Get(t, item)
	etag := get.Header.Get("ETag")
	if etag != `"v1"` {
		t.Fatalf("ETag %q", etag)
	}

	patch := `{"type":"Feature","properties":{"status":"operating"}}`
	resp, _ = do(t, env, http.MethodPatch, item, patch, "Content-Type", gj, "Authorization", planner)
	mustStatus(t, resp, 428, "PATCH without If-Match")
	resp, _ = do(t, env, http.MethodPatch, item, patch, "Content-Type", gj, "Authorization", planner, "If-Match", etag)
	mustStatus(t, resp, 204, "PATCH with the current ETag")
	if resp.Header.Get("ETag") != `"v2"` {
		t.Errorf("ETag after PATCH %q", resp.Header.Get("ETag"))
	}
	if name, status, lon, _, v := row(); name != "测试居家养老服务中心" || status != "operating" || lon != 119.95 || v != 2 {
		t.Fatalf("patched row %s %s %g v%d", name, status, lon, v)
	}
	resp, b = do(t, env, http.MethodPatch, item, `{"type":"Feature","properties":{"name":"过期的修改"}}`, "Content-Type", gj, "Authorization", planner, "If-Match", etag)
	mustStatus(t, resp, 412, "PATCH with a stale ETag")
	if name, _, _, _, v := row(); name != "测试居家养老服务中心" || v != 2 {
		t.Fatalf("a stale PATCH changed the row: %s v%d (%s)", name, v, b)
	}
	put := `{"type":"Feature","geometry":{"type":"Point","coordinates":[119.96,28.26]},"properties":{"name":"改名中心","status":"operating","beds":10}}`
	resp, _ = do(t, env, http.MethodPut, item, put, "Content-Type", gj, "Authorization", planner, "If-Match", `"v2"`)
	mustStatus(t, resp, 204, "PUT")
	if name, _, lon, lat, v := row(); name != "改名中心" || lon != 119.96 || lat != 28.26 || v != 3 {
		t.Fatalf("replaced row %s %g %g v%d", name, lon, lat, v)
	}
	resp, _ = do(t, env, http.MethodDelete, item, "", "Authorization", planner, "If-Match", `"v2"`)
	mustStatus(t, resp, 412, "DELETE with a stale ETag")
	resp, _ = do(t, env, http.MethodDelete, item, "", "Authorization", planner, "If-Match", `"v3"`)
	mustStatus(t, resp, 204, "DELETE")
	get, _ = env.Get(t, item)
	mustStatus(t, get, 404, "GET after DELETE")

	rows, err := env.Pool.Query(ctx, `SELECT action, actor, via, (after->>'status') FROM audit_log WHERE entity = 'facility' AND entity_key = 'eldercare_center/OGC-1' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, actor, via string
		var status *string
		if err := rows.Scan(&action, &actor, &via, &status); err != nil {
			t.Fatal(err)
		}
		s := ""
		if status != nil {
			s = *status
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", action, actor, via, s))
	}
	want := []string{"create ogc.planner api planned", "update ogc.planner api operating", "update ogc.planner api operating", "delete ogc.planner api "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestKeysetPaging pages through a collection while rows are inserted and deleted between
// pages: every row that exists throughout is returned exactly once, in id order.
func TestKeysetPaging(t *testing.T) {
	env := tilestest.Serve(t, dbtest.Pool(t), false)
	ctx := context.Background()
	const n = 2500
	if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, geom)
		SELECT 'eco_burial', 'K-' || i, '安葬点' || i, ST_SetSRID(ST_MakePoint(119.5 + (i % 100) * 0.01, 28 + (i / 100) * 0.01), 4326)
		FROM generate_series(1, $1) i`, n); err != nil {
		t.Fatal(err)
	}
	before := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = 'eco_burial' ORDER BY id`)
	seen := map[int64]int{}
	var order []int64
	p := "/ogc/collections/facilities-eco_burial/items?limit=300"
	deleted := map[int64]bool{}
	for page := 0; p != ""; page++ {
		_, doc := getJSON(t, env, p)
		for _, id := range ids(doc) {
			seen[id]++
			order = append(order, id)
		}
		// Between pages: insert rows (new ids, at the end) and delete some rows not yet
		// reached and some already read.
		if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, geom) VALUES ('eco_burial', $1, '新增', ST_SetSRID(ST_MakePoint(119.7, 28.1), 4326))`, fmt.Sprintf("NEW-%d", page)); err != nil {
			t.Fatal(err)
		}
		for _, del := range []int64{before[min(len(before)-1, (page+2)*300+7)], before[page*300]} {
			if _, err := env.Pool.Exec(ctx, `DELETE FROM facility WHERE id = $1`, del); err != nil {
				t.Fatal(err)
			}
			deleted[del] = true
		}
		next, ok := link(doc, "next", "")
		p = ""
		if ok {
			p = rel(env, next)
		}
		if page > 100 {
			t.Fatal("next links do not end")
		}
	}
	for _, id := range before {
		if seen[id] > 1 || (seen[id] == 0 && !deleted[id]) {
			t.Errorf("id %d seen %d times", id, seen[id])
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("ids out of order at %d: %d after %d", i, order[i], order[i-1])
		}
	}
	// numberMatched: exact under the cap.
	_, doc := getJSON(t, env, "/ogc/collections/facilities-eco_burial/items?limit=1")
	if want := sqlInt(t, env, `SELECT count(*) FROM facility WHERE kind = 'eco_burial'`); doc["numberMatched"] != float64(want) {
		t.Errorf("numberMatched %v, SQL says %d", doc["numberMatched"], want)
	}
}
