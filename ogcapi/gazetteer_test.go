package ogcapi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/ogcapi"
	"fangyuan/tiles/tilestest"
)

// demo serves the demo data without coverage runs.
func demo(t *testing.T) *tilestest.Env {
	t.Helper()
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	return tilestest.Serve(t, pool, false)
}

// addLine stores a boundary line between the first two current townships (level 4) along
// a short segment and returns its ext_id and the segment's midpoint.
func addLine(t *testing.T, env *tilestest.Env, extID string) (lon, lat float64) {
	t.Helper()
	if _, err := env.Pool.Exec(context.Background(), `INSERT INTO boundary_line (ext_id, name, level, left_code, right_code, geom)
		SELECT $1, $1 || '线', 4, a.code, b.code, ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(120.00, 28.20), ST_MakePoint(120.02, 28.22)), 4326))
		FROM (SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY code LIMIT 1) a,
		     (SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY code OFFSET 1 LIMIT 1) b`, extID); err != nil {
		t.Fatal(err)
	}
	return 120.01, 28.21
}

// TestGazetteerCollections: place names, house numbers, boundary lines and markers are
// collections whose items are the rows SQL selects (current ones by default), with their
// declared queryables as filters.
func TestGazetteerCollections(t *testing.T) {
	env := demo(t)
	ctx := context.Background()
	addLine(t, env, "L-A")
	if _, err := env.Pool.Exec(ctx, `INSERT INTO boundary_marker (line_id, number, kind, geom, condition)
		SELECT id, 'A' || i, CASE WHEN i % 2 = 0 THEN 'paired' ELSE 'single' END, ST_SetSRID(ST_MakePoint(120.00 + i * 0.002, 28.20 + i * 0.002), 4326), 'intact'
		FROM boundary_line, generate_series(1, 9) i WHERE ext_id = 'L-A'`); err != nil {
		t.Fatal(err)
	}
	// One retired house number and one retired place name: not current.
	if _, err := env.Pool.Exec(ctx, `UPDATE house_number SET status = 'retired', valid_to = valid_from + 1 WHERE id = (SELECT min(id) FROM house_number)`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `UPDATE place_name SET status = 'retired', retired_on = DATE '2026-01-01' WHERE id = (SELECT min(id) FROM place_name)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ id, sql string }{
		{"placenames", `SELECT id FROM place_name WHERE status <> 'retired' ORDER BY id`},
		{"housenumbers", `SELECT id FROM house_number WHERE valid_to IS NULL ORDER BY id`},
		{"boundary-lines", `SELECT id FROM boundary_line ORDER BY id`},
		{"boundary-markers", `SELECT id FROM boundary_marker ORDER BY id`},
		{"boundary-markers?kind=paired", `SELECT id FROM boundary_marker WHERE kind = 'paired' ORDER BY id`},
		{"boundary-markers?line=L-A&condition=intact", `SELECT m.id FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id WHERE b.ext_id = 'L-A' AND condition = 'intact' ORDER BY m.id`},
		{"placenames?category=213", `SELECT id FROM place_name WHERE status <> 'retired' AND category = '213' ORDER BY id`},
		{"housenumbers?road=" + url.QueryEscape("人民路"), `SELECT h.id FROM house_number h JOIN road r ON r.id = h.road_id WHERE h.valid_to IS NULL AND r.name = '人民路' ORDER BY h.id`},
	} {
		want := sqlIDs(t, env, c.sql)
		if len(want) == 0 {
			t.Fatalf("%s: SQL selects nothing; the test needs rows", c.id)
		}
		path, q, _ := strings.Cut(c.id, "?")
		p := "/ogc/collections/" + path + "/items?limit=10000"
		if q != "" {
			p += "&" + q
		}
		_, doc := getJSON(t, env, p)
		if got := ids(doc); !equalIDs(got, want) {
			t.Errorf("%s: %d features, SQL says %d (%v… vs %v…)", c.id, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
		}
		if doc["numberMatched"] != float64(len(want)) {
			t.Errorf("%s: numberMatched %v, SQL says %d", c.id, doc["numberMatched"], len(want))
		}
	}
	// A house number's address and point against the row.
	var id int64
	var addr string
	var lon, lat float64
	if err := env.Pool.QueryRow(ctx, `SELECT h.id, r.name || h.number || '号', ST_X(h.geom), ST_Y(h.geom) FROM house_number h JOIN road r ON r.id = h.road_id
		WHERE h.valid_to IS NULL AND h.suffix = '' AND h.building = '' ORDER BY h.id LIMIT 1`).Scan(&id, &addr, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	_, f := getJSON(t, env, fmt.Sprintf("/ogc/collections/housenumbers/items/%d", id))
	props, _ := f["properties"].(map[string]any)
	coords, _ := f["geometry"].(map[string]any)["coordinates"].([]any)
	if props["address"] != addr || len(coords) != 2 || math.Abs(coords[0].(float64)-lon) > 1e-9 || math.Abs(coords[1].(float64)-lat) > 1e-9 {
		t.Errorf("house number %d: %v %v, want %s (%g %g)", id, props["address"], coords, addr, lon, lat)
	}
	// Queryables are the declared ones.
	_, qd := getJSON(t, env, "/ogc/collections/boundary-markers/queryables")
	qp, _ := qd["properties"].(map[string]any)
	for _, name := range []string{"number", "line", "line_id", "kind", "condition"} {
		if qp[name] == nil {
			t.Errorf("boundary-markers queryables lack %s: %v", name, qp)
		}
	}
	if len(qp) != 5 {
		t.Errorf("boundary-markers: %d queryables, want 5", len(qp))
	}
	resp, _ := getJSON(t, env, "/ogc/collections/boundary-markers/items?kind=round")
	mustStatus(t, resp, 400, "kind=round (not in the enum)")
}

// TestDatetimeIntervals: datetime intervals (closed, with open ends "..") select the
// features whose validity [from, to) meets them, on house numbers and divisions; the
// expected ids come from SQL written out per case; malformed values are a 400.
func TestDatetimeIntervals(t *testing.T) {
	env := demo(t)
	ctx := context.Background()
	// Give the house numbers known validity: by id, valid from 2020-01-01 plus id mod 5
	// years; every third one ended two years later.
	if _, err := env.Pool.Exec(ctx, `UPDATE house_number SET valid_from = DATE '2020-01-01' + make_interval(years => (id % 5)::int),
		valid_to = CASE WHEN id % 3 = 0 THEN DATE '2022-01-01' + make_interval(years => (id % 5)::int) END,
		status = CASE WHEN id % 3 = 0 THEN 'retired' ELSE status END`); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ dt, sql string }{
		{"2021-06-01/2022-06-01", `valid_from <= '2022-06-01' AND (valid_to IS NULL OR valid_to > '2021-06-01')`},
		{"../2020-12-31", `valid_from <= '2020-12-31'`},
		{"2025-01-01/..", `valid_to IS NULL OR valid_to > '2025-01-01'`},
		{"/2021-01-01", `valid_from <= '2021-01-01'`},
		{"2023-01-01T00:00:00Z/2023-01-01T12:00:00Z", `valid_from <= '2023-01-01' AND (valid_to IS NULL OR valid_to > '2023-01-01')`},
		{"2022-01-01", `valid_from <= '2022-01-01' AND (valid_to IS NULL OR valid_to > '2022-01-01')`},
		{"", `valid_to IS NULL`},
	}
	for _, c := range cases {
		want := sqlIDs(t, env, `SELECT id FROM house_number WHERE `+c.sql+` ORDER BY id`)
		p := "/ogc/collections/housenumbers/items?limit=10000"
		if c.dt != "" {
			p += "&datetime=" + url.QueryEscape(c.dt)
		}
		_, doc := getJSON(t, env, p)
		if got := ids(doc); !equalIDs(got, want) {
			t.Errorf("datetime=%s: %d features, SQL says %d", c.dt, len(got), len(want))
		}
	}
	// The cases split the rows (else they would test nothing).
	all := sqlInt(t, env, `SELECT count(*) FROM house_number`)
	if n := len(sqlIDs(t, env, `SELECT id FROM house_number WHERE valid_from <= '2022-06-01' AND (valid_to IS NULL OR valid_to > '2021-06-01')`)); n == 0 || int64(n) == all {
		t.Fatalf("the interval selects %d of %d house numbers", n, all)
	}
	// Divisions: an old version of a township is in an interval reaching back to it.
	var code string
	if err := env.Pool.QueryRow(ctx, `SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY id LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	var oldID int64
	if err := env.Pool.QueryRow(ctx, `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, valid_to)
		SELECT code, level, kind, name || '（旧）', parent_code, DATE '2000-01-01', DATE '2001-01-01' FROM admin_unit WHERE code = $1 AND valid_to IS NULL RETURNING id`, code).Scan(&oldID); err != nil {
		t.Fatal(err)
	}
	for _, dt := range []string{"2000-06-01/..", "../2000-06-01", "1999-01-01/2000-01-01", "2001-01-01/.."} {
		var sql string
		switch dt {
		case "2000-06-01/..":
			sql = `valid_to IS NULL OR valid_to > '2000-06-01'`
		case "../2000-06-01":
			sql = `valid_from <= '2000-06-01'`
		case "1999-01-01/2000-01-01":
			sql = `valid_from <= '2000-01-01' AND (valid_to IS NULL OR valid_to > '1999-01-01')`
		case "2001-01-01/..":
			sql = `valid_to IS NULL OR valid_to > '2001-01-01'`
		}
		want := sqlIDs(t, env, `SELECT id FROM admin_unit WHERE level = 4 AND (`+sql+`) ORDER BY id`)
		_, doc := getJSON(t, env, "/ogc/collections/divisions-township/items?limit=10000&datetime="+url.QueryEscape(dt))
		got := ids(doc)
		if !equalIDs(got, want) {
			t.Errorf("divisions datetime=%s: %d features, SQL says %d", dt, len(got), len(want))
		}
		in := false
		for _, id := range got {
			in = in || id == oldID
		}
		if wantIn := dt != "2001-01-01/.."; in != wantIn {
			t.Errorf("divisions datetime=%s: old version present = %v, want %v", dt, in, wantIn)
		}
	}
	for _, bad := range []string{"2024-01-01/2023-01-01", "../..", "/", "2024-01-01/2024-02-01/2024-03-01", "2024-01-01/tomorrow", "2024-1-1/.."} {
		resp, doc := getJSON(t, env, "/ogc/collections/housenumbers/items?datetime="+url.QueryEscape(bad))
		mustStatus(t, resp, 400, "datetime="+bad)
		if e, _ := doc["error"].(map[string]any); e == nil || e["field"] != "datetime" {
			t.Errorf("datetime=%s: %v", bad, doc)
		}
	}
}

// TestExtent: the extent of /collections/{id} and of /collections is ST_Extent of the rows
// and the first start and last end of their validity, computed here in SQL.
func TestExtent(t *testing.T) {
	env := demo(t)
	ctx := context.Background()
	if _, err := env.Pool.Exec(ctx, `UPDATE house_number SET valid_from = DATE '2019-03-01' + (id % 100)::int`); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `UPDATE house_number SET valid_to = DATE '2025-05-05', status = 'retired' WHERE id = (SELECT max(id) FROM house_number)`); err != nil {
		t.Fatal(err)
	}
	type ext struct {
		bbox       [4]float64
		start, end any
	}
	sqlExtent := func(from, validFrom, validTo string) ext {
		var e ext
		var start, end *string
		q := `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), s, x FROM (SELECT ST_Extent(geom) e, to_char(min(` + validFrom + `), 'YYYY-MM-DD"T00:00:00Z"') s,
			CASE WHEN bool_or(` + validTo + ` IS NULL) THEN NULL ELSE to_char(max(` + validTo + `), 'YYYY-MM-DD"T00:00:00Z"') END x FROM ` + from + `) q`
		if err := env.Pool.QueryRow(ctx, q).Scan(&e.bbox[0], &e.bbox[1], &e.bbox[2], &e.bbox[3], &start, &end); err != nil {
			t.Fatal(err)
		}
		if start != nil {
			e.start = *start
		}
		if end != nil {
			e.end = *end
		}
		return e
	}
	check := func(name string, c map[string]any, want ext, temporal bool) {
		t.Helper()
		e, _ := c["extent"].(map[string]any)
		sp, _ := e["spatial"].(map[string]any)
		bb, _ := sp["bbox"].([]any)
		if len(bb) != 1 {
			t.Fatalf("%s: extent %v", name, e)
		}
		for i, v := range bb[0].([]any) {
			if math.Abs(v.(float64)-want.bbox[i]) > 1e-9 {
				t.Errorf("%s: bbox %v, ST_Extent says %v", name, bb[0], want.bbox)
				break
			}
		}
		tm, _ := e["temporal"].(map[string]any)
		if !temporal {
			if tm != nil {
				t.Errorf("%s: a temporal extent %v without a temporal property", name, tm)
			}
			return
		}
		iv, _ := tm["interval"].([]any)
		if len(iv) != 1 || fmt.Sprint(iv[0]) != fmt.Sprint([]any{want.start, want.end}) || tm["trs"] != ogcapi.TRS {
			t.Errorf("%s: temporal %v, SQL says [%v %v]", name, tm, want.start, want.end)
		}
	}
	hn := sqlExtent("house_number", "valid_from", "valid_to")
	if hn.end != nil || hn.start != "2019-03-01T00:00:00Z" {
		t.Fatalf("house numbers' validity %v…%v: the test expects an open end", hn.start, hn.end)
	}
	_, doc := getJSON(t, env, "/ogc/collections/housenumbers")
	check("housenumbers", doc, hn, true)
	// Close every record: the end is the last one.
	if _, err := env.Pool.Exec(ctx, `UPDATE house_number SET valid_to = DATE '2026-06-01' + (id % 7)::int, status = 'retired'`); err != nil {
		t.Fatal(err)
	}
	fac := sqlExtent("facility WHERE kind = 'eldercare_center'", "NULL::date", "NULL::date")
	pn := sqlExtent("place_name p", `coalesce((SELECT h.approved_on FROM place_name_history h WHERE h.place_name_id = p.id AND h.act = 'name' ORDER BY h.id LIMIT 1), '-infinity'::date)`, "p.retired_on")
	if pn.start == "-infinity" {
		pn.start = nil // an open start
	}
	_, list := getJSON(t, env, "/ogc/collections")
	seen := 0
	for _, c := range list["collections"].([]any) {
		c := c.(map[string]any)
		switch c["id"] {
		case "facilities-eldercare_center":
			check("facilities-eldercare_center", c, fac, false)
			seen++
		case "placenames":
			check("placenames", c, pn, true)
			seen++
		case "housenumbers": // still the cached value of the request above (ExtentTTL)
			check("housenumbers (cached)", c, hn, true)
			seen++
		}
	}
	if seen != 3 {
		t.Errorf("/collections: %d of the 3 collections checked", seen)
	}
}

// TestPart4Gazetteer is the Part 4 round trip on place names, house numbers and markers:
// create, PATCH with the current ETag, PATCH with a stale one (412), delete (a retiring
// act for place names and house numbers); each in the audit log under the editor's name,
// and each collection refusing the roles that may not edit it.
func TestPart4Gazetteer(t *testing.T) {
	env := demo(t)
	ctx := context.Background()
	names := "Bearer " + token(t, env, "ogc.names", auth.NamesEditor)
	bnd := "Bearer " + token(t, env, "ogc.boundary", auth.BoundaryEditor)
	planner := "Bearer " + token(t, env, "ogc.planner", auth.Planner)
	const gj = "application/geo+json"
	var admin12 string
	var roadID int64
	if err := env.Pool.QueryRow(ctx, `SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY code LIMIT 1`).Scan(&admin12); err != nil {
		t.Fatal(err)
	}
	if err := env.Pool.QueryRow(ctx, `SELECT min(id) FROM road`).Scan(&roadID); err != nil {
		t.Fatal(err)
	}
	mlon, mlat := addLine(t, env, "L-P4")

	type step struct {
		method, path, body, auth, ifMatch string
		status                            int
	}
	audit := func(entity, key string) []string {
		t.Helper()
		rows, err := env.Pool.Query(ctx, `SELECT action || ' ' || actor FROM audit_log WHERE entity = $1 AND entity_key = $2 ORDER BY id`, entity, key)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	for _, c := range []struct {
		coll, create, patch, stalePatch, deleteQuery string
		editor, wrong                                string
		check                                        func(t *testing.T, id string, stage int) // stage 1 after create, 2 after PATCH, 3 after delete
		entity                                       func(id string) string
		wantAudit                                    []string
	}{
		{
			coll:        "placenames",
			create:      `{"type":"Feature","geometry":{"type":"Point","coordinates":[120.001,28.24]},"properties":{"name":"测试新村","pinyin":"Ceshi Xincun","category":"212","admin_code":"` + admin12 + `","approval_no":"方民地〔2026〕1号","approved_on":"2026-11-01"}}`,
			patch:       `{"type":"Feature","properties":{"history":"2026年命名。"}}`,
			stalePatch:  `{"type":"Feature","properties":{"history":"过期的修改"}}`,
			deleteQuery: "?approval_no=" + url.QueryEscape("方民地〔2026〕9号") + "&date=2026-11-30",
			editor:      names, wrong: planner,
			check: func(t *testing.T, id string, stage int) {
				var name, history, status string
				var retired *string
				var version int
				if err := env.Pool.QueryRow(ctx, `SELECT name, history, status, retired_on::text, version FROM place_name WHERE id = $1`, id).Scan(&name, &history, &status, &retired, &version); err != nil {
					t.Fatal(err)
				}
				want := map[int]string{1: "测试新村  standard <nil> 1", 2: "测试新村 2026年命名。 standard <nil> 2", 3: "测试新村 2026年命名。 retired 2026-11-30 3"}[stage]
				r := "<nil>"
				if retired != nil {
					r = *retired
				}
				if got := fmt.Sprintf("%s %s %s %s %d", name, history, status, r, version); got != want {
					t.Errorf("stage %d: row %q, want %q", stage, got, want)
				}
			},
			entity:    func(id string) string { return id },
			wantAudit: []string{"create ogc.names", "update ogc.names", "retire ogc.names"},
		},
		{
			coll:       "housenumbers",
			create:     fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[120.0,28.2475]},"properties":{"road_id":%d,"number":997,"status":"planned"}}`, roadID),
			patch:      `{"type":"Feature","properties":{"status":"active","approval_no":"澄地名〔2026〕5号"}}`,
			stalePatch: `{"type":"Feature","properties":{"status":"retired"}}`,
			editor:     names, wrong: bnd,
			check: func(t *testing.T, id string, stage int) {
				var status, approval string
				var validTo *string
				var version int
				if err := env.Pool.QueryRow(ctx, `SELECT status, approval_no, valid_to::text, version FROM house_number WHERE id = $1`, id).Scan(&status, &approval, &validTo, &version); err != nil {
					t.Fatal(err)
				}
				got := fmt.Sprintf("%s %s %v %d", status, approval, validTo != nil, version)
				want := map[int]string{1: "planned  false 1", 2: "active 澄地名〔2026〕5号 true 2", 3: "retired 澄地名〔2026〕5号 true 3"}[stage]
				if stage == 2 {
					want = "active 澄地名〔2026〕5号 false 2"
				}
				if got != want {
					t.Errorf("stage %d: row %q, want %q", stage, got, want)
				}
			},
			entity:    func(id string) string { return id },
			wantAudit: []string{"create ogc.names", "activate ogc.names", "retire ogc.names"},
		},
		{
			coll:       "boundary-markers",
			create:     fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%g,%g]},"properties":{"number":"测P401","line":"L-P4","kind":"single","installed_on":"1999-09-09"}}`, mlon, mlat),
			patch:      `{"type":"Feature","properties":{"condition":"damaged","notes":"倾斜"}}`,
			stalePatch: `{"type":"Feature","properties":{"condition":"missing"}}`,
			editor:     bnd, wrong: names,
			check: func(t *testing.T, id string, stage int) {
				var n int64
				var cond, notes string
				var version int
				err := env.Pool.QueryRow(ctx, `SELECT count(*) OVER (), condition, findings, version FROM boundary_marker WHERE id = $1`, id).Scan(&n, &cond, &notes, &version)
				if stage == 3 {
					if err == nil {
						t.Errorf("marker %s still stored after DELETE", id)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := map[int]string{1: "intact  1", 2: "damaged 倾斜 2"}[stage]
				if got := fmt.Sprintf("%s %s %d", cond, notes, version); got != want {
					t.Errorf("stage %d: row %q, want %q", stage, got, want)
				}
			},
			entity:    func(string) string { return "测P401" },
			wantAudit: []string{"create ogc.boundary", "update ogc.boundary", "delete ogc.boundary"},
		},
	} {
		t.Run(c.coll, func(t *testing.T) {
			coll := "/ogc/collections/" + c.coll
			resp, _ := do(t, env, http.MethodPost, coll+"/items", c.create, "Content-Type", gj)
			mustStatus(t, resp, 401, "POST without a token")
			resp, b := do(t, env, http.MethodPost, coll+"/items", c.create, "Content-Type", gj, "Authorization", c.wrong)
			mustStatus(t, resp, 403, "POST with another editing role")
			if !strings.Contains(string(b), "needs role") {
				t.Errorf("403 body: %s", b)
			}
			resp, b = do(t, env, http.MethodPost, coll+"/items", strings.Replace(c.create, `"properties":{`, `"properties":{"colour":"red",`, 1), "Content-Type", gj, "Authorization", c.editor)
			mustStatus(t, resp, 400, "POST with an unknown property")
			if !strings.Contains(string(b), `"field":"colour"`) {
				t.Errorf("unknown property: %s", b)
			}
			resp, b = do(t, env, http.MethodPost, coll+"/items", c.create, "Content-Type", gj, "Authorization", c.editor)
			if resp.StatusCode != 201 {
				t.Fatalf("POST: %d %s", resp.StatusCode, b)
			}
			loc := resp.Header.Get("Location")
			if !strings.HasPrefix(loc, env.URL+coll+"/items/") || resp.Header.Get("ETag") != `"v1"` {
				t.Fatalf("Location %q, ETag %q", loc, resp.Header.Get("ETag"))
			}
			id := strings.TrimPrefix(loc, env.URL+coll+"/items/")
			item := coll + "/items/" + id
			c.check(t, id, 1)
			get, _ := env.Get(t, item)
			mustStatus(t, get, 200, "GET the new feature")
			etag := get.Header.Get("ETag")
			if etag != `"v1"` {
				t.Fatalf("ETag %q", etag)
			}
			resp, _ = do(t, env, http.MethodPatch, item, c.patch, "Content-Type", gj, "Authorization", c.editor)
			mustStatus(t, resp, 428, "PATCH without If-Match")
			resp, b = do(t, env, http.MethodPatch, item, c.patch, "Content-Type", gj, "Authorization", c.wrong, "If-Match", etag)
			mustStatus(t, resp, 403, "PATCH with another editing role")
			resp, b = do(t, env, http.MethodPatch, item, c.patch, "Content-Type", gj, "Authorization", c.editor, "If-Match", etag)
			if resp.StatusCode != 204 || resp.Header.Get("ETag") != `"v2"` {
				t.Fatalf("PATCH with the current ETag: %d, ETag %q, %s", resp.StatusCode, resp.Header.Get("ETag"), b)
			}
			c.check(t, id, 2)
			resp, b = do(t, env, http.MethodPatch, item, c.stalePatch, "Content-Type", gj, "Authorization", c.editor, "If-Match", etag)
			mustStatus(t, resp, 412, "PATCH with a stale ETag")
			c.check(t, id, 2) // unchanged
			if c.deleteQuery != "" {
				resp, b = do(t, env, http.MethodDelete, item, "", "Authorization", c.editor, "If-Match", `"v2"`)
				mustStatus(t, resp, 400, "DELETE without the retiring act")
				if !strings.Contains(string(b), `"field":"approval_no"`) {
					t.Errorf("DELETE without the act: %s", b)
				}
			}
			resp, _ = do(t, env, http.MethodDelete, item+c.deleteQuery, "", "Authorization", c.editor, "If-Match", etag)
			mustStatus(t, resp, 412, "DELETE with a stale ETag")
			resp, b = do(t, env, http.MethodDelete, item+c.deleteQuery, "", "Authorization", c.editor, "If-Match", `"v2"`)
			if resp.StatusCode != 204 {
				t.Fatalf("DELETE: %d %s", resp.StatusCode, b)
			}
			c.check(t, id, 3)
			// Gone from the current features.
			_, doc := getJSON(t, env, coll+"/items?limit=10000")
			for _, f := range features(doc) {
				if fmt.Sprint(f["id"]) == id {
					t.Errorf("feature %s still among the current features after DELETE", id)
				}
			}
			if got := audit(map[string]string{"placenames": "place_name", "housenumbers": "house_number", "boundary-markers": "boundary_marker"}[c.coll], c.entity(id)); strings.Join(got, "|") != strings.Join(c.wantAudit, "|") {
				t.Errorf("audit log %v, want %v", got, c.wantAudit)
			}
		})
	}

	// The OpenAPI document describes the writes of each editable collection with its role.
	_, api := getJSON(t, env, "/ogc/api")
	paths := api["paths"].(map[string]any)
	for coll, role := range map[string]string{"placenames": "names-editor", "housenumbers": "names-editor", "boundary-markers": "boundary-editor", "facilities-eco_burial": "planner"} {
		items, _ := paths["/collections/"+coll+"/items"].(map[string]any)
		one, _ := paths["/collections/"+coll+"/items/{featureId}"].(map[string]any)
		post, _ := items["post"].(map[string]any)
		if post == nil || post["x-required-role"] != role || one["patch"] == nil || one["put"] == nil || one["delete"] == nil {
			t.Errorf("OpenAPI: %s writes %v / %v, want role %s", coll, post, one, role)
		}
	}
	del := paths["/collections/placenames/items/{featureId}"].(map[string]any)["delete"].(map[string]any)
	if !strings.Contains(fmt.Sprint(del["parameters"]), "approval_no") {
		t.Errorf("OpenAPI: the place-name DELETE does not declare approval_no: %v", del["parameters"])
	}
	if _, ok := paths["/collections/boundary-lines/items/{featureId}"]; ok {
		t.Error("OpenAPI: boundary lines are read-only but have write operations")
	}
}

// TestKindRanges: facility pages are ranges of the (kind, id) index; next and prev links
// stay within the kind when other kinds' rows come before, between and after its rows,
// with and without a filter.
func TestKindRanges(t *testing.T) {
	env := tilestest.Serve(t, dbtest.Pool(t), false)
	ctx := context.Background()
	for i, k := range []string{"funeral_home", "eco_burial", "funeral_venue", "eco_burial", "funeral_home"} {
		if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom)
			SELECT $1, 'R' || $2::int || '-' || j, '设施' || j, CASE WHEN j % 3 = 0 THEN 'planned' ELSE 'operating' END,
			  ST_SetSRID(ST_MakePoint(119.5 + j * 0.001, 28), 4326) FROM generate_series(1, 23) j`, k, i); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ query, sql string }{
		{"", `SELECT id FROM facility WHERE kind = 'eco_burial' ORDER BY id`},
		{"&status=planned", `SELECT id FROM facility WHERE kind = 'eco_burial' AND status = 'planned' ORDER BY id`},
	} {
		want := sqlIDs(t, env, c.sql)
		var fwd []int64
		p := "/ogc/collections/facilities-eco_burial/items?limit=7" + c.query
		var last map[string]any
		for n := 0; p != ""; n++ {
			_, doc := getJSON(t, env, p)
			fwd = append(fwd, ids(doc)...)
			last, p = doc, ""
			if next, ok := link(doc, "next", ""); ok {
				p = rel(env, next)
			}
			if n > 50 {
				t.Fatal("next links do not end")
			}
		}
		if !equalIDs(fwd, want) {
			t.Errorf("%s: following next %v, SQL says %v", c.query, fwd, want)
		}
		var back []int64
		doc := last
		for n := 0; ; n++ {
			back = append(ids(doc), back...)
			prev, ok := link(doc, "prev", "")
			if !ok {
				break
			}
			_, doc = getJSON(t, env, rel(env, prev))
			if n > 50 {
				t.Fatal("prev links do not end")
			}
		}
		if !equalIDs(back, want) {
			t.Errorf("%s: following prev %v, SQL says %v", c.query, back, want)
		}
	}
}
