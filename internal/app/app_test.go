package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"fangyuan/coverage/runs"
	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgcluster"
	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// serve serves app.New on pool.
func serve(t *testing.T, pool *pgxpool.Pool, cfg app.Config) (*httptest.Server, *app.Server) {
	t.Helper()
	a, err := app.New(context.Background(), pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv, a
}

func demoPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	return pool
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, token string, body string) answer {
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
	return answer{resp.StatusCode, resp.Header, b}
}

// errorCode is the code of a JSON error body ("" when the body is not one).
func errorCode(b []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

func token(t *testing.T, pool *pgxpool.Pool, name string, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.NewStore(pool).CreateToken(dbtest.CLI(), name, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// countyTile is the tile at zoom z holding a point of the demo county, located by PostGIS.
func countyTile(t *testing.T, pool *pgxpool.Pool, z int) maptile.Tile {
	t.Helper()
	var lon, lat float64
	if err := pool.QueryRow(context.Background(),
		`SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL) s`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
}

// TestDatabaseOutage stops the PostgreSQL server under a running service: every route
// that needs the database answers 503 with Retry-After and a JSON error, /healthz says
// "database unavailable" without the database's address or user, the in-memory search
// keeps answering, and once the server is back everything answers again by itself.
func TestDatabaseOutage(t *testing.T) {
	c := pgtest.NewCluster(t) // its own cluster: stopping it disturbs no other test
	ctx := context.Background()
	pool, err := db.Connect(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	planner := token(t, pool, "outage.planner", auth.Planner)
	srv, _ := serve(t, pool, app.Config{})
	tl := countyTile(t, pool, 9)
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}

	type probe struct{ method, path, token, body string }
	tile := func(z int) string {
		tt := countyTile(t, pool, z)
		return fmt.Sprintf("/tiles/township/%d/%d/%d.mvt", tt.Z, tt.X, tt.Y)
	}
	probes := []probe{
		{"GET", "/api/divisions", "", ""},
		{"GET", "/api/divisions/3399?geometry=true", "", ""}, // the boundary comes from PostGIS
		{"GET", "/api/divisions?parent=339901", "", ""},
		{"GET", "/api/facilities?kind=eldercare_center", "", ""},
		{"GET", "/api/facilities/1", "", ""},
		{"GET", "/api/roads?within=339901", "", ""},
		{"GET", "/api/population-grids", "", ""},
		{"GET", "/api/coverage/runs", "", ""},
		{"GET", "/api/coverage/runs/1", "", ""},
		{"POST", "/api/coverage/runs", planner, `{"kind":"eldercare_center"}`},
		{"GET", "/api/audit", planner, ""},
		{"GET", "/api/version", "", ""},
		{"GET", tile(10), "", ""}, // never asked for: not in the cache
	}
	healthy := func() {
		t.Helper()
		for _, p := range probes {
			if p.method != "GET" {
				continue
			}
			a := do(t, p.method, srv.URL+p.path, p.token, p.body)
			if a.status >= 500 {
				t.Errorf("%s %s with the database up: %d %s", p.method, p.path, a.status, a.body)
			}
		}
	}
	healthy()
	cached := fmt.Sprintf("/tiles/township/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	if a := do(t, "GET", srv.URL+cached, "", ""); a.status != 200 {
		t.Fatalf("tile %s: %d", cached, a.status)
	}

	if err := c.Down(ctx); err != nil {
		t.Fatalf("stop the server: %v", err)
	}
	downSince := time.Now()
	for _, p := range probes {
		a := do(t, p.method, srv.URL+p.path, p.token, p.body)
		retry, err := strconv.Atoi(a.header.Get("Retry-After"))
		switch {
		case a.status != http.StatusServiceUnavailable:
			t.Errorf("%s %s with the database down: %d %s, want 503", p.method, p.path, a.status, a.body)
		case err != nil || retry <= 0:
			t.Errorf("%s %s: Retry-After %q, want seconds", p.method, p.path, a.header.Get("Retry-After"))
		case errorCode(a.body) != "unavailable" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json"):
			t.Errorf("%s %s: body %s (%s), want a JSON error with code unavailable", p.method, p.path, a.body, a.header.Get("Content-Type"))
		}
	}
	a := do(t, "GET", srv.URL+"/healthz", "", "")
	var health map[string]any
	if err := json.Unmarshal(a.body, &health); err != nil || a.status != 503 || health["status"] != "unavailable" || health["database"] != "database unavailable" {
		t.Errorf("healthz with the database down: %d %s", a.status, a.body)
	}
	for _, secret := range []string{strconv.Itoa(st.Port), "127.0.0.1", "localhost", pgcluster.User, "dial", "connect"} {
		if strings.Contains(string(a.body), secret) {
			t.Errorf("healthz shows %q: %s", secret, a.body)
		}
	}
	if a.header.Get("Retry-After") == "" {
		t.Errorf("healthz 503 without Retry-After")
	}
	// The in-memory gazetteer indexes keep answering search and geocoding.
	if a := do(t, "GET", srv.URL+"/api/search?q="+"鹤鸣街道", "", ""); a.status != 200 || !strings.Contains(string(a.body), "鹤鸣街道") {
		t.Errorf("search with the database down: %d %s", a.status, a.body)
	}
	// and a division by code without geometry (the snapshot holds every version).
	if a := do(t, "GET", srv.URL+"/api/divisions/3399", "", ""); a.status != 200 || !strings.Contains(string(a.body), `"code":"339900000000"`) {
		t.Errorf("division lookup with the database down: %d %s", a.status, a.body)
	}
	t.Logf("503s checked in %v", time.Since(downSince).Round(time.Millisecond))

	if err := c.Up(ctx, nil); err != nil {
		t.Fatalf("start the server again: %v", err)
	}
	if u, _ := c.Cluster.URL(); u != c.URL {
		t.Fatalf("the cluster came back on another port (%s): the test cannot tell recovery from reconfiguration", u)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := do(t, "GET", srv.URL+"/healthz", "", "")
		if a.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz 30 s after the database came back: %d %s", a.status, a.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	healthy()
	var list struct{ Items []struct{ Name string } }
	if a := do(t, "GET", srv.URL+"/api/divisions", "", ""); json.Unmarshal(a.body, &list) != nil || len(list.Items) != 1 || list.Items[0].Name != "浙江省" {
		t.Errorf("divisions after recovery: %d %s", a.status, a.body)
	}
	if a := do(t, "POST", srv.URL+"/api/coverage/runs", planner, `{"kind":"eldercare_center"}`); a.status != http.StatusAccepted {
		t.Errorf("start a run after recovery: %d %s", a.status, a.body)
	}
}

// TestRunQueueBounded: with a queue of two, a third run while two are queued or running
// gets 429 with Retry-After and a JSON error, records nothing, and once the queue drains
// runs are accepted again. The runs are held by a lock on admin_unit, which a run reads
// after it is queued and Start does not touch.
func TestRunQueueBounded(t *testing.T) {
	pool := demoPool(t)
	srv, a := serve(t, pool, app.Config{RunQueue: 2})
	planner := token(t, pool, "queue.planner", auth.Planner)
	ctx := context.Background()
	hold, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx)
	if _, err := hold.Exec(ctx, `LOCK TABLE admin_unit IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	body := `{"kind":"eldercare_center"}`
	for i := range 2 {
		if r := do(t, "POST", srv.URL+"/api/coverage/runs", planner, body); r.status != http.StatusAccepted {
			t.Fatalf("run %d: %d %s", i+1, r.status, r.body)
		}
	}
	var before int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", srv.URL+"/api/coverage/runs", planner, body)
	if r.status != http.StatusTooManyRequests || errorCode(r.body) != "queue_full" || r.header.Get("Retry-After") == "" {
		t.Fatalf("third run with a queue of two: %d %s (Retry-After %q), want 429 queue_full", r.status, r.body, r.header.Get("Retry-After"))
	}
	var after int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != 2 || after != before {
		t.Fatalf("coverage_run rows: %d before the refused run, %d after (want 2 and 2)", before, after)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for a.Runs.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs still pending after 2 minutes", a.Runs.Pending())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var done int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run WHERE status = 'done'`).Scan(&done); err != nil || done != 2 {
		t.Fatalf("finished runs: %d (%v), want 2", done, err)
	}
	if r := do(t, "POST", srv.URL+"/api/coverage/runs", planner, body); r.status != http.StatusAccepted {
		t.Fatalf("run after the queue drained: %d %s", r.status, r.body)
	}
}

// TestMetricsFollowReadPolicy: with --reads token, /metrics needs a token like any read;
// health stays open for probes.
func TestMetricsFollowReadPolicy(t *testing.T) {
	pool := dbtest.Pool(t)
	srv, _ := serve(t, pool, app.Config{Reads: auth.ReadsToken})
	if r := do(t, "GET", srv.URL+"/metrics", "", ""); r.status != http.StatusUnauthorized || errorCode(r.body) != "unauthorized" {
		t.Fatalf("anonymous /metrics with reads=token: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", srv.URL+"/metrics", "fy_notatoken", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("/metrics with a bad token: %d", r.status)
	}
	if r := do(t, "GET", srv.URL+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz must stay open: %d", r.status)
	}
	viewer := token(t, pool, "metrics.viewer", auth.Viewer)
	r := do(t, "GET", srv.URL+"/metrics", viewer, "")
	if r.status != 200 || !strings.Contains(string(r.body), `fangyuan_http_requests_total{method="GET",route="/metrics",status="401"} 2`) {
		t.Fatalf("/metrics with a viewer token: %d\n%.3000s", r.status, r.body)
	}
	// Open reads: open metrics.
	open, _ := serve(t, pool, app.Config{})
	if r := do(t, "GET", open.URL+"/metrics", "", ""); r.status != 200 || !strings.Contains(string(r.body), "go_goroutines") {
		t.Fatalf("/metrics with open reads: %d", r.status)
	}
}

// TestGeoJSONAndHEAD: GeoJSON answers are application/geo+json, errors on those routes
// stay application/json, and HEAD answers on every GET route without a body.
func TestGeoJSONAndHEAD(t *testing.T) {
	pool := demoPool(t)
	srv, a := serve(t, pool, app.Config{})
	ctx := context.Background()
	run, err := a.Runs.RunSync(dbtest.CLI(), runsParams("eldercare_center"))
	if err != nil {
		t.Fatal(err)
	}
	var facID int64
	var facilities int
	if err := pool.QueryRow(ctx, `SELECT min(id), count(*) FROM facility`).Scan(&facID, &facilities); err != nil {
		t.Fatal(err)
	}
	geo := []string{
		"/api/facilities",
		"/api/facilities?kind=eldercare_center",
		fmt.Sprintf("/api/facilities/%d", facID),
		fmt.Sprintf("/api/coverage/runs/%d/townships.geojson", run.ID),
	}
	for _, p := range geo {
		r := do(t, "GET", srv.URL+p, "", "")
		var obj struct{ Type string }
		if r.status != 200 || r.header.Get("Content-Type") != "application/geo+json" || json.Unmarshal(r.body, &obj) != nil || (obj.Type != "Feature" && obj.Type != "FeatureCollection") {
			t.Errorf("GET %s: %d %q type %q", p, r.status, r.header.Get("Content-Type"), obj.Type)
		}
		h := do(t, "HEAD", srv.URL+p, "", "")
		if h.status != 200 || h.header.Get("Content-Type") != "application/geo+json" || len(h.body) != 0 {
			t.Errorf("HEAD %s: %d %q, %d body bytes", p, h.status, h.header.Get("Content-Type"), len(h.body))
		}
	}
	var fc struct{ Features []json.RawMessage }
	if r := do(t, "GET", srv.URL+"/api/facilities?limit=5000", "", ""); json.Unmarshal(r.body, &fc) != nil || len(fc.Features) != facilities {
		t.Errorf("facilities: %d features, database %d", len(fc.Features), facilities)
	}
	// An error on a GeoJSON route is a JSON error body, not GeoJSON.
	if r := do(t, "GET", srv.URL+"/api/facilities/999999999", "", ""); r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || errorCode(r.body) != "not_found" {
		t.Errorf("unknown facility: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	// HEAD on every documented GET route without path parameters, and a few with.
	tl := countyTile(t, pool, 10)
	paths := []string{"/healthz", "/api/version", "/api/openapi.json", "/metrics", "/", "/api/divisions/3399",
		fmt.Sprintf("/api/coverage/runs/%d.csv", run.ID), fmt.Sprintf("/tiles/township/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y), "/api/search?q=lishui"}
	for _, r := range a.Router.Routes() {
		if r.Method == "GET" && !strings.Contains(r.Path, "{") && r.Role == "" {
			paths = append(paths, r.Path)
		}
	}
	for _, p := range paths {
		g := do(t, "GET", srv.URL+p, "", "")
		h := do(t, "HEAD", srv.URL+p, "", "")
		if h.status != g.status || len(h.body) != 0 || h.header.Get("Content-Type") != g.header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q with %d body bytes; GET: %d %q", p, h.status, h.header.Get("Content-Type"), len(h.body), g.status, g.header.Get("Content-Type"))
		}
	}
	if h := do(t, "HEAD", srv.URL+"/api/nothing-here", "", ""); h.status != 404 {
		t.Errorf("HEAD of an unknown route: %d", h.status)
	}
}

// TestHTTPServerTimeouts: the server of serve cuts off a client that stops sending its
// request body (read timeout) and closes idle keep-alive connections (idle timeout).
func TestHTTPServerTimeouts(t *testing.T) {
	pool := dbtest.Pool(t)
	a, err := app.New(context.Background(), pool, app.Config{ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	// cutOff sends what, then waits: the server must close the connection within limit.
	cutOff := func(what string, limit time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, what); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(conn) // ends when the server closes
		if err != nil || time.Since(start) > limit {
			t.Errorf("after %q the server kept the connection for %v (%v), want it closed within %v", what[:min(len(what), 40)], time.Since(start).Round(time.Millisecond), err, limit)
		}
	}
	// A body announced and never sent.
	cutOff("POST /api/coverage/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\":", 3*time.Second)
	// An idle keep-alive connection after one answered request.
	cutOff("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 3*time.Second)
	hs := a.HTTPServer()
	if hs.WriteTimeout != app.WriteTimeout || hs.ReadHeaderTimeout <= 0 {
		t.Errorf("write timeout %v, read header timeout %v", hs.WriteTimeout, hs.ReadHeaderTimeout)
	}
}

func runsParams(kind string) runs.Params { return runs.Params{Kind: kind} }

// TestDivisionReadYourWrites: GET /api/divisions/{code} answers from the in-memory
// gazetteer, yet a client that has just PATCHed a division through this server reads its
// write at once (the index is rebuilt only after the NOTIFY and a quiet interval): the
// lookup goes to PostGIS until the in-memory copy holds the edit, then back to memory.
func TestDivisionReadYourWrites(t *testing.T) {
	pool := demoPool(t)
	srv, a := serve(t, pool, app.Config{})
	const code = "339901000000"
	url := srv.URL + "/api/divisions/" + code
	type division struct {
		Name    string  `json:"name"`
		Pinyin  *string `json:"pinyin"`
		Version int     `json:"version"`
	}
	get := func() (division, []byte) {
		t.Helper()
		ans := do(t, http.MethodGet, url, "", "")
		if ans.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, ans.status, ans.body)
		}
		var d division
		if err := json.Unmarshal(ans.body, &d); err != nil {
			t.Fatal(err)
		}
		return d, ans.body
	}
	// The expected state comes from the table.
	var wantName string
	var wantVersion int
	if err := pool.QueryRow(context.Background(), `SELECT name, version FROM admin_unit WHERE code = $1 AND valid_to IS NULL`, code).Scan(&wantName, &wantVersion); err != nil {
		t.Fatal(err)
	}
	mem0, sql0 := a.Divisions.LookupCounts()
	before, _ := get()
	if before.Name != wantName || before.Version != wantVersion {
		t.Fatalf("before the edit: %+v, want %s version %d", before, wantName, wantVersion)
	}
	if mem, sql := a.Divisions.LookupCounts(); mem != mem0+1 || sql != sql0 {
		t.Fatalf("the first lookup was not answered from memory: memory %d→%d, PostGIS %d→%d", mem0, mem, sql0, sql)
	}

	editor := token(t, pool, "names-editor", auth.NamesEditor)
	const pinyin = "Fangyuan Xian Ceshi"
	ans := do(t, http.MethodPatch, url, editor, fmt.Sprintf(`{"version": %d, "pinyin": %q}`, before.Version, pinyin))
	if ans.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", ans.status, ans.body)
	}
	mem1, sql1 := a.Divisions.LookupCounts()
	after, body := get()
	if after.Pinyin == nil || *after.Pinyin != pinyin || after.Version != before.Version+1 {
		t.Fatalf("GET right after the PATCH: %+v, want pinyin %q version %d", after, pinyin, before.Version+1)
	}
	// The in-memory copy still predates the edit (the rebuild waits for a quiet NOTIFY
	// channel), unless it was rebuilt in between: then memory answered, correctly.
	if mem, sql := a.Divisions.LookupCounts(); mem+sql != mem1+sql1+1 {
		t.Fatalf("lookup counts %d+%d after %d+%d", mem, sql, mem1, sql1)
	}

	// Once the index is rebuilt after the edit, memory answers again, with the edit.
	deadline := time.Now().Add(2 * time.Minute)
	for a.Gazetteer.Current().Gen < a.Divisions.WriteGeneration() {
		if time.Now().After(deadline) {
			t.Fatal("the in-memory gazetteer was not rebuilt after the edit within 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	mem2, sql2 := a.Divisions.LookupCounts()
	again, body2 := get()
	if mem, sql := a.Divisions.LookupCounts(); mem != mem2+1 || sql != sql2 {
		t.Fatalf("after the rebuild the lookup was not answered from memory: memory %d→%d, PostGIS %d→%d", mem2, mem, sql2, sql)
	}
	if again.Pinyin == nil || *again.Pinyin != pinyin || string(body2) != string(body) {
		t.Fatalf("from memory after the rebuild:\n%s\nfrom PostGIS right after the edit:\n%s", body2, body)
	}
}
