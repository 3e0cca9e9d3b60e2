package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

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
		{"GET", "/api/divisions/3399", "", ""},
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
	t.Logf("503s checked in %v", time.Since(downSince).Round(time.Millisecond))

	if err := c.Up(ctx, nil); err != nil {
		t.Fatalf("start the server again: %v", err)
	}
	if u, _ := c.URL(); u != c.URL {
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
