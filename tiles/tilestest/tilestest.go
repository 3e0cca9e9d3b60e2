// Package tilestest starts, for tests and benchmarks of the tiles and the web UI, a server
// on a fresh database holding the demo data with one finished coverage run per kind, wired
// like cmd/fangyuan's newServer plus the tile routes and the embedded UI.
package tilestest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/coverage/facility"
	"fangyuan/coverage/popgrid"
	"fangyuan/coverage/runs"
	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles"
	"fangyuan/web"
)

// Env is a running test server.
type Env struct {
	URL   string
	Pool  *pgxpool.Pool
	Runs  *runs.Service
	Tiles *tiles.Server
}

// Demo loads the demo data into a fresh database, runs coverage for every kind and serves
// it all; everything is closed when the test ends.
func Demo(t testing.TB) *Env {
	t.Helper()
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	return Serve(t, pool, true)
}

// Serve serves pool (runAll: run coverage for every kind first).
func Serve(t testing.TB, pool *pgxpool.Pool, runAll bool) *Env { return ServeWith(t, pool, runAll, "") }

// ServeWith is Serve with a basemap (tiles.Config.Basemap).
func ServeWith(t testing.TB, pool *pgxpool.Pool, runAll bool, basemap string) *Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := runs.NewService(ctx, pool, coverage.DefaultStandards(), log)
	if err != nil {
		t.Fatal(err)
	}
	if runAll {
		if err := svc.RunAllKinds(auth.WithPrincipal(ctx, auth.CLI())); err != nil {
			t.Fatalf("coverage runs: %v", err)
		}
	}
	ts, err := tiles.New(pool, tiles.Config{Cells: svc, Log: log, Basemap: basemap})
	if err != nil {
		t.Fatal(err)
	}
	rt := api.NewRouter(log, &auth.Guard{Store: auth.NewStore(pool), Reads: auth.ReadsOpen}, nil)
	rt.Handle(gazetteer.NewStore(pool).Routes()...)
	rt.Handle(facility.NewStore(pool).Routes(func(code string) (string, error) {
		c, lvl, err := gazetteer.PadCode(code)
		return gazetteer.ShortCode(c, lvl), err
	})...)
	rt.Handle(popgrid.NewStore(pool).Routes()...)
	rt.Handle(svc.Routes()...)
	rt.Handle(ts.Routes()...)
	rt.Handle(api.Route{Method: http.MethodGet, Path: "/api/openapi.json", Public: true, Summary: "This OpenAPI document",
		Handler: func(w http.ResponseWriter, r *http.Request) error {
			return api.WriteJSON(w, http.StatusOK, rt.OpenAPI("Fangyuan 方圆 API", "test"))
		}})
	ui := web.Handler()
	rt.Mount("/", ui)
	rt.Mount("/ui/*", ui)
	srv := httptest.NewServer(rt)
	t.Cleanup(func() { srv.Close(); cancel(); svc.Wait() })
	return &Env{URL: srv.URL, Pool: pool, Runs: svc, Tiles: ts}
}

// Get fetches a URL of the server.
func (e *Env) Get(t testing.TB, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
