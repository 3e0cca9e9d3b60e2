package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// demoServer is a server on a fresh database holding the demo data.
func demoServer(t *testing.T, reads auth.ReadPolicy) (*httptest.Server, *pgxpool.Pool) {
	t.Helper()
	pool := dbtest.Pool(t)
	start := time.Now()
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	t.Logf("demo data loaded in %v", time.Since(start))
	a, err := app.New(context.Background(), pool, app.Config{Reads: reads})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv, pool
}

type client struct {
	t     *testing.T
	base  string
	token string
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		// every error is a JSON body with a code and a message
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			c.t.Errorf("%s %s: %d with a non-JSON error body %q", method, path, resp.StatusCode, raw)
		}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v in %q", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

func token(t *testing.T, pool *pgxpool.Pool, name string, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.NewStore(pool).CreateToken(dbtest.CLI(), name, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestReadAPI(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	c := client{t: t, base: srv.URL}

	var health map[string]any
	if code := c.do("GET", "/healthz", nil, &health); code != 200 || health["status"] != "ok" {
		t.Fatalf("healthz: %d %v", code, health)
	}
	var ver map[string]any
	if code := c.do("GET", "/api/version", nil, &ver); code != 200 || !strings.HasPrefix(fmt.Sprint(ver["postgis"]), "3.") {
		t.Fatalf("version: %d %v", code, ver)
	}

	type list struct {
		Items []struct {
			Code, Name, Kind string
			Level            int
			ParentCode       *string `json:"parent_code"`
		}
		Total int
	}
	var provinces list
	if code := c.do("GET", "/api/divisions", nil, &provinces); code != 200 || provinces.Total != 1 || provinces.Items[0].Name != "浙江省" {
		t.Fatalf("provinces: %d %+v", code, provinces)
	}
	var prefs list
	c.do("GET", "/api/divisions?parent=33&level=prefecture", nil, &prefs)
	if prefs.Total != 12 { // 11 real prefecture cities + the demo's fictional one
		t.Fatalf("Zhejiang prefectures: %d", prefs.Total)
	}
	var towns list
	c.do("GET", "/api/divisions?parent=339901", nil, &towns)
	var want int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM admin_unit WHERE parent_code = '339901000000'`).Scan(&want)
	if towns.Total != want || want < 10 {
		t.Fatalf("demo townships: API %d, database %d", towns.Total, want)
	}

	var county struct {
		Name     string
		Chain    []struct{ Code, Name string }
		Geometry struct {
			Type        string
			Coordinates json.RawMessage
		}
	}
	if code := c.do("GET", "/api/divisions/339901?geometry=true", nil, &county); code != 200 || county.Geometry.Type != "MultiPolygon" || len(county.Chain) != 2 {
		t.Fatalf("county: %d %+v", code, county)
	}
	// Units are versioned: before the snapshot date there was no such code.
	if code := c.do("GET", "/api/divisions/331102?asOf=2000-01-01", nil, nil); code != 404 {
		t.Fatalf("asOf before the snapshot: %d", code)
	}

	var fc struct {
		Type     string
		Features []struct {
			Properties struct {
				Kind      string
				AdminCode *string `json:"admin_code"`
			}
		}
		Total int
	}
	c.do("GET", "/api/facilities?kind=eldercare_center", nil, &fc)
	var n int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM facility WHERE kind = 'eldercare_center'`).Scan(&n)
	if fc.Type != "FeatureCollection" || fc.Total != n || len(fc.Features) != n || n == 0 {
		t.Fatalf("facilities: API %d/%d, database %d", len(fc.Features), fc.Total, n)
	}
	for _, f := range fc.Features {
		if f.Properties.AdminCode == nil || !strings.HasPrefix(*f.Properties.AdminCode, "339901") {
			t.Errorf("facility without a demo admin code: %+v", f)
		}
	}
	c.do("GET", "/api/facilities?within=339901&bbox=100,20,130,40", nil, &fc)
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM facility`).Scan(&n)
	if fc.Total != n {
		t.Fatalf("within the demo county: %d of %d", fc.Total, n)
	}
	c.do("GET", "/api/facilities?bbox=0,0,1,1", nil, &fc)
	if fc.Total != 0 {
		t.Fatalf("empty bbox returned %d", fc.Total)
	}

	var roads struct{ Total int }
	if code := c.do("GET", "/api/roads?within=339901", nil, &roads); code != 200 || roads.Total == 0 {
		t.Fatalf("roads: %d %+v", code, roads)
	}

	var grids struct {
		Grids []struct {
			Name   string
			Bands  []string
			Totals []float64
		}
	}
	if code := c.do("GET", "/api/population-grids", nil, &grids); code != 200 || len(grids.Grids) != 1 ||
		strings.Join(grids.Grids[0].Bands, ",") != "total,age60plus,age0_17" || grids.Grids[0].Totals[0] < 300000 {
		t.Fatalf("population grids: %d %+v", code, grids)
	}

	bad := []struct{ path, field string }{
		{"/api/divisions?level=street-ish", "level"},
		{"/api/divisions?asOf=2023-13-01", "asOf"},
		{"/api/divisions?limit=0", "limit"},
		{"/api/divisions?parent=33a", "parent"},
		{"/api/divisions/12345", "code"},
		{"/api/divisions/339901?geometry=maybe", "geometry"},
		{"/api/facilities?kind=spa", "kind"},
		{"/api/facilities?bbox=1,2,3", "bbox"},
		{"/api/facilities?bbox=121,31,120,30", "bbox"},
		{"/api/facilities?bbox=0,-91,1,1", "bbox"},
		{"/api/facilities/abc", "id"},
	}
	for _, b := range bad {
		var e struct{ Error struct{ Field string } }
		if code := c.do("GET", b.path, nil, &e); code != 400 || e.Error.Field != b.field {
			t.Errorf("GET %s: %d field %q, want 400 naming %q", b.path, code, e.Error.Field, b.field)
		}
	}
	if code := c.do("GET", "/api/nothing-here", nil, nil); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
	if code := c.do("GET", "/api/facilities/999999", nil, nil); code != 404 {
		t.Errorf("unknown facility: %d", code)
	}

	// The OpenAPI document lists every route.
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	c.do("GET", "/api/openapi.json", nil, &doc)
	for _, p := range []string{"/api/divisions", "/api/divisions/{code}", "/api/facilities", "/api/facilities/{id}", "/healthz", "/api/version", "/api/tokens", "/api/audit"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	if doc.Paths["/api/facilities"]["post"] == nil || doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi.json: %v", doc.Paths["/api/facilities"])
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `fangyuan_http_requests_total{method="GET",route="/api/divisions",status="200"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", metrics)
	}
}

func TestWritesNeedRolesAndAreAudited(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	anon := client{t: t, base: srv.URL}
	viewer := client{t: t, base: srv.URL, token: token(t, pool, "wang.viewer", auth.Viewer)}
	planner := client{t: t, base: srv.URL, token: token(t, pool, "li.planner", auth.Planner)}
	names := client{t: t, base: srv.URL, token: token(t, pool, "zhao.names", auth.NamesEditor)}
	admin := client{t: t, base: srv.URL, token: token(t, pool, "chen.admin", auth.Admin)}

	newFac := map[string]any{"kind": "eldercare_center", "ext_id": "TEST-1", "name": "测试居家养老服务中心", "lon": 119.9, "lat": 28.25, "status": "planned"}
	if code := anon.do("POST", "/api/facilities", newFac, nil); code != 401 {
		t.Fatalf("anonymous write: %d", code)
	}
	if code := (client{t: t, base: srv.URL, token: "fy_notatoken"}).do("POST", "/api/facilities", newFac, nil); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	if code := viewer.do("POST", "/api/facilities", newFac, nil); code != 403 {
		t.Fatalf("viewer write: %d", code)
	}
	if code := names.do("POST", "/api/facilities", newFac, nil); code != 403 {
		t.Fatalf("names-editor writing facilities: %d", code)
	}
	var created struct {
		ID         int64
		Properties struct {
			Version   int
			AdminCode *string `json:"admin_code"`
		}
	}
	if code := planner.do("POST", "/api/facilities", newFac, &created); code != 201 || created.Properties.Version != 1 {
		t.Fatalf("planner create: %d %+v", code, created)
	}
	if code := planner.do("POST", "/api/facilities", newFac, nil); code != 409 {
		t.Fatalf("duplicate ext_id: %d", code)
	}
	bad := map[string]any{"kind": "eldercare_center", "ext_id": "TEST-2", "name": "x", "lon": 119.9, "lat": 95}
	var e struct{ Error struct{ Field string } }
	if code := planner.do("POST", "/api/facilities", bad, &e); code != 400 || e.Error.Field != "lat" {
		t.Fatalf("bad lat: %d %+v", code, e)
	}
	if code := planner.do("POST", "/api/facilities", map[string]any{"kind": "eldercare_center", "nme": "typo"}, &e); code != 400 || e.Error.Field != "nme" {
		t.Fatalf("unknown field: %d %+v", code, e)
	}

	path := fmt.Sprintf("/api/facilities/%d", created.ID)
	upd := map[string]any{"version": 1, "name": "测试居家养老服务中心（已建）", "lon": 119.9, "lat": 28.25, "status": "operating"}
	// Eight planners save the same version at once: one wins, seven get 409.
	codes := make(chan int, 8)
	for range 8 {
		go func() { codes <- planner.do("PUT", path, upd, nil) }()
	}
	won := map[int]int{}
	for range 8 {
		won[<-codes]++
	}
	if won[200] != 1 || won[409] != 7 {
		t.Fatalf("concurrent updates: %v, want one 200 and seven 409", won)
	}
	// A second edit based on the stale version conflicts cleanly.
	if code := planner.do("PUT", path, upd, nil); code != 409 {
		t.Fatalf("stale update: %d", code)
	}
	if code := planner.do("DELETE", path+"?version=1", nil, nil); code != 409 {
		t.Fatalf("stale delete: %d", code)
	}
	if code := planner.do("DELETE", path+"?version=2", nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}

	// Names: PATCH a division's official pinyin.
	var div struct{ Version int }
	anon.do("GET", "/api/divisions/3311", nil, &div)
	patch := map[string]any{"version": div.Version, "pinyin": "Lishui Shi", "aliases": []string{"处州"}}
	if code := planner.do("PATCH", "/api/divisions/3311", patch, nil); code != 403 {
		t.Fatalf("planner editing names: %d", code)
	}
	if code := names.do("PATCH", "/api/divisions/3311", patch, nil); code != 200 {
		t.Fatalf("names-editor: %d", code)
	}
	if code := names.do("PATCH", "/api/divisions/3311", patch, nil); code != 409 {
		t.Fatalf("stale names edit: %d", code)
	}

	// The audit log holds every write with who and before/after; only admins read it.
	if code := planner.do("GET", "/api/audit", nil, nil); code != 403 {
		t.Fatalf("planner reading the audit log: %d", code)
	}
	var audit struct {
		Entries []struct {
			Actor, Via, Action, Entity, Key string
			Before, After                   json.RawMessage
		}
	}
	admin.do("GET", "/api/audit?entity=facility&limit=10", nil, &audit)
	var actions []string
	for _, a := range audit.Entries {
		if a.Actor != "li.planner" || a.Via != "api" || a.Key != "eldercare_center/TEST-1" {
			continue
		}
		actions = append(actions, a.Action)
		if a.Action == "update" && (!strings.Contains(string(a.Before), "测试居家养老服务中心\"") || !strings.Contains(string(a.After), "已建")) {
			t.Errorf("update audit before/after: %s → %s", a.Before, a.After)
		}
	}
	if strings.Join(actions, ",") != "delete,update,create" {
		t.Fatalf("audited facility actions: %v (entries %+v)", actions, audit.Entries)
	}
	admin.do("GET", "/api/audit?entity=admin_unit&key=331100000000", nil, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != "zhao.names" || !strings.Contains(string(audit.Entries[0].After), "Lishui Shi") {
		t.Fatalf("names audit: %+v", audit.Entries)
	}

	// Token administration through the API; a revoked token stops working.
	var tok struct {
		Token string
		Info  struct{ ID int64 }
	}
	if code := admin.do("POST", "/api/tokens", map[string]any{"name": "field.team", "role": "boundary-editor"}, &tok); code != 201 || !strings.HasPrefix(tok.Token, "fy_") {
		t.Fatalf("create token: %d %+v", code, tok)
	}
	field := client{t: t, base: srv.URL, token: tok.Token}
	if code := field.do("GET", "/api/divisions", nil, nil); code != 200 {
		t.Fatalf("new token read: %d", code)
	}
	if code := admin.do("DELETE", fmt.Sprintf("/api/tokens/%d", tok.Info.ID), nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code := field.do("POST", "/api/facilities", newFac, nil); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}
	if code := admin.do("POST", "/api/tokens", map[string]any{"name": "x", "role": "god"}, &e); code != 400 || e.Error.Field != "role" {
		t.Fatalf("bad role: %d", code)
	}
}

func TestTokenOnlyReads(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsToken)
	if code := (client{t: t, base: srv.URL}).do("GET", "/api/divisions", nil, nil); code != 401 {
		t.Fatalf("anonymous read with reads=token: %d", code)
	}
	if code := (client{t: t, base: srv.URL}).do("GET", "/healthz", nil, nil); code != 200 {
		t.Fatalf("healthz must stay open for probes: %d", code)
	}
	viewer := client{t: t, base: srv.URL, token: token(t, pool, "reader", auth.Viewer)}
	if code := viewer.do("GET", "/api/divisions", nil, nil); code != 200 {
		t.Fatalf("viewer read: %d", code)
	}
}
