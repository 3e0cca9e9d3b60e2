// Package tilestest starts, for tests and benchmarks of the tiles and the web UI, a server
// on a fresh database holding the demo data with one finished coverage run per kind, wired
// by internal/app exactly as `fangyuan serve` is (open reads).
package tilestest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage/runs"
	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/app"
	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles"
)

// Env is a running test server.
type Env struct {
	URL   string
	Pool  *pgxpool.Pool
	Runs  *runs.Service
	Tiles *tiles.Server
	App   *app.Server
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
	a, err := app.New(context.Background(), pool, app.Config{Basemap: basemap, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	if runAll {
		if err := a.Runs.RunAllKinds(dbtest.CLI()); err != nil {
			t.Fatalf("coverage runs: %v", err)
		}
	}
	return &Env{URL: srv.URL, Pool: pool, Runs: a.Runs, Tiles: a.Tiles, App: a}
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
