package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"fangyuan/internal/testenv"
)

// loadSeconds is how long each wrk load runs: FANGYUAN_LOAD_SECONDS, default 5 (make
// test); the figures of docs/BENCHMARKS.md are of 60 s runs.
func loadSeconds(t *testing.T) int {
	t.Helper()
	v := os.Getenv("FANGYUAN_LOAD_SECONDS")
	if v == "" {
		return 5
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 600 {
		t.Fatalf("FANGYUAN_LOAD_SECONDS=%q: want whole seconds 1–600", v)
	}
	return n
}

// wrkScript is a wrk Lua script cycling through paths (each thread from its own offset)
// whose done() prints one line of figures: requests, throughput, latency percentiles and
// errors (HTTP status >= 400, and socket errors).
func wrkScript(paths []string) string {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	b.WriteString(`}
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) i = id * 997 end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FANGYUAN requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
`)
	return b.String()
}

// wrkFigures is what the script's done() printed, and wrk's own non-2xx count.
type wrkFigures struct {
	requests, durationUS, p50, p90, p99, max, statusErrors, socketErrors, non2xx int
}

func runWrkLoad(t *testing.T, wrk, base, name string, paths []string, seconds int) wrkFigures {
	t.Helper()
	script := filepath.Join(t.TempDir(), name+".lua")
	if err := os.WriteFile(script, []byte(wrkScript(paths)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+60)*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, "-t2", "-c32", fmt.Sprintf("-d%ds", seconds), "--timeout", "10s", "-s", script, base).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk %s: %v\n%s", name, err, out)
	}
	var f wrkFigures
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "Non-2xx or 3xx responses:"); ok {
			f.non2xx, _ = strconv.Atoi(strings.TrimSpace(rest))
		}
		if rest, ok := strings.CutPrefix(line, "FANGYUAN "); ok {
			found = true
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("wrk %s: %q in %q", name, kv, line)
				}
				*map[string]*int{"requests": &f.requests, "duration_us": &f.durationUS, "p50_us": &f.p50, "p90_us": &f.p90,
					"p99_us": &f.p99, "max_us": &f.max, "status_errors": &f.statusErrors, "socket_errors": &f.socketErrors}[k] = n
			}
		}
	}
	if !found || f.requests == 0 || f.durationUS == 0 {
		t.Fatalf("wrk %s: report not understood:\n%s", name, out)
	}
	return f
}

// TestLoadWrk drives a `fangyuan serve` process on the demo data with wrk (a separate
// process, 2 threads, 32 keep-alive connections, loopback) for FANGYUAN_LOAD_SECONDS
// (default 5) each: reverse geocoding at about 2,000 points inside the demo county (PostGIS
// ST_GeneratePoints, fixed seed), search for every township, village and place name of
// the county, and township/village tiles z10–z14 over the county, fetched once before
// (cached). Every answer must be a 2xx; throughput and p99 are logged, with the baseline
// of the same reverse lookups answered by PostGIS alone (postgisReverse), in the same run.
func TestLoadWrk(t *testing.T) {
	wrk := testenv.Tool(t, "wrk", "wrk")
	seconds := loadSeconds(t)
	bin := buildFangyuan(t)
	pool, dbURL := demoDatabase(t)
	srv := startServer(t, bin, dbURL, "load")
	ctx := context.Background()

	rows, err := pool.Query(ctx, `
SELECT ST_X(p.geom), ST_Y(p.geom)
FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, 2000, 2026))).geom FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL) p`)
	if err != nil {
		t.Fatal(err)
	}
	var reverse []string
	var points []orb.Point
	for rows.Next() {
		var lon, lat float64
		if err := rows.Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		reverse = append(reverse, fmt.Sprintf("/api/reverse?lon=%.6f&lat=%.6f", lon, lat))
		points = append(points, orb.Point{lon, lat})
	}
	if rows.Close(); rows.Err() != nil || len(reverse) < 1900 {
		t.Fatalf("reverse points: %d %v", len(reverse), rows.Err())
	}

	rows, err = pool.Query(ctx, `
SELECT name FROM admin_unit WHERE code LIKE '339901%' AND level IN (4, 5) AND valid_to IS NULL
UNION SELECT name FROM place_name WHERE admin_code LIKE '339901%'
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var search []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		search = append(search, "/api/search?q="+url.QueryEscape(name))
	}
	if rows.Close(); rows.Err() != nil || len(search) < 100 {
		t.Fatalf("search names: %d %v", len(search), rows.Err())
	}
	rand.New(rand.NewPCG(2026, 12)).Shuffle(len(search), func(i, j int) { search[i], search[j] = search[j], search[i] })

	var w, s, e, n float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL`).Scan(&w, &s, &e, &n); err != nil {
		t.Fatal(err)
	}
	var tiles []string
	for z := maptile.Zoom(10); z <= 14; z++ {
		lo, hi := maptile.At(orb.Point{w, n}, z), maptile.At(orb.Point{e, s}, z)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				for _, layer := range []string{"township", "village"} {
					p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y)
					st, body, err := httpDo(srv.base+p, "GET", "", "", time.Minute) // into the cache
					if err != nil || st != 200 && st != 204 {
						t.Fatalf("GET %s: %d %.200s %v", p, st, body, err)
					}
					if st == 200 {
						tiles = append(tiles, p)
					}
				}
			}
		}
	}
	if len(tiles) < 50 {
		t.Fatalf("%d non-empty tiles over the demo county", len(tiles))
	}

	baseline := postgisReverse(t, dbURL, points, seconds)
	for _, load := range []struct {
		name  string
		paths []string
	}{{"reverse", reverse}, {"search", search}, {"tiles", tiles}} {
		f := runWrkLoad(t, wrk, srv.base, load.name, load.paths, seconds)
		rps := float64(f.requests) / (float64(f.durationUS) / 1e6)
		t.Logf("wrk %-7s %ds: %d requests, %.0f req/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms, non-2xx %d, errors %d/%d; load average %s (%d distinct paths)",
			load.name, seconds, f.requests, rps, float64(f.p50)/1e3, float64(f.p90)/1e3, float64(f.p99)/1e3, float64(f.max)/1e3,
			f.non2xx, f.statusErrors, f.socketErrors, loadAvg(), len(load.paths))
		if load.name == "reverse" {
			t.Logf("baseline: the same points answered by PostGIS alone (covering divisions, nearest road and house number; 32 connections from this process, %ds): %.0f queries/s, p99 %.2f ms; HTTP reverse on the in-memory index: %.1f× the throughput",
				seconds, baseline.qps, baseline.p99ms, rps/baseline.qps)
		}
		if f.non2xx != 0 || f.statusErrors != 0 || f.socketErrors != 0 {
			t.Errorf("wrk %s: %d non-2xx answers, %d HTTP errors, %d socket errors; want none", load.name, f.non2xx, f.statusErrors, f.socketErrors)
		}
	}
}

// loadAvg is the first field of /proc/loadavg (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// reverseBaseline is PostGIS alone answering reverse geocoding.
type reverseBaseline struct{ qps, p99ms float64 }

// sqlReverseBaseline: what GET /api/reverse answers, from PostGIS: the current divisions
// covering the point, and the nearest road and house number.
const sqlReverseBaseline = `
WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
SELECT (SELECT array_agg(a.code ORDER BY a.level) FROM admin_unit a, p WHERE a.valid_to IS NULL AND a.geom IS NOT NULL AND ST_Covers(a.geom, p.g)),
  (SELECT r.name FROM road r, p ORDER BY r.geom <-> p.g LIMIT 1),
  (SELECT h.id FROM house_number h, p ORDER BY h.geom <-> p.g LIMIT 1)`

// postgisReverse runs sqlReverseBaseline over points from 32 connections for seconds.
func postgisReverse(t *testing.T, dbURL string, points []orb.Point, seconds int) reverseBaseline {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 32
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	lat := make([][]time.Duration, 32)
	errs := make([]error, 32)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * 61; time.Now().Before(end); i++ {
				pt := points[i%len(points)]
				q0 := time.Now()
				var codes []string
				var road *string
				var hn *int64
				if err := pool.QueryRow(context.Background(), sqlReverseBaseline, pt[0], pt[1]).Scan(&codes, &road, &hn); err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], time.Since(q0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for w := range 32 {
		if errs[w] != nil {
			t.Fatalf("PostGIS reverse baseline: %v", errs[w])
		}
		all = append(all, lat[w]...)
	}
	if len(all) == 0 {
		t.Fatal("PostGIS reverse baseline: no query finished")
	}
	slices.Sort(all)
	return reverseBaseline{qps: float64(len(all)) / elapsed.Seconds(), p99ms: float64(all[len(all)*99/100]) / 1e6}
}
