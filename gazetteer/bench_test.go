package gazetteer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// The as-of lookup of one code before migration to the constraint's index (the baseline):
// the OR on valid_to keeps the partial index on current codes out, so each query scanned
// admin_unit.
const (
	oldAsOf          = `a.valid_from <= $1::date AND (a.valid_to IS NULL OR a.valid_to > $1::date)`
	oldGetDivision   = `SELECT a.code, a.name, a.level FROM admin_unit a WHERE ` + oldAsOf + ` AND a.code = $2`
	oldDivisionChain = `
WITH RECURSIVE chain AS (
  SELECT a.code, a.level, a.name, a.parent_code, 0 AS depth FROM admin_unit a
  WHERE ` + oldAsOf + ` AND a.code = $2
  UNION ALL
  SELECT a.code, a.level, a.name, a.parent_code, c.depth + 1 FROM admin_unit a
  JOIN chain c ON a.code = c.parent_code
  WHERE ` + oldAsOf + ` AND c.depth < 6
)
SELECT code, level, name FROM chain WHERE depth > 0 ORDER BY level`
)

// nationalDivisions imports the 2023 national tables (665k units) and renames every
// 1,000th village (a closed version and a new one), so that codes have history.
func nationalDivisions(b *testing.B) (*pgxpool.Pool, []string) { return nationalDivisionsT(b) }

func nationalDivisionsT(b testing.TB) (*pgxpool.Pool, []string) {
	b.Helper()
	dir := testenv.DivisionData(b)
	pool := dbtest.Pool(b)
	ctx := dbtest.CLI()
	start := time.Now()
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
WITH picked AS (
  SELECT code FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM admin_unit WHERE level = 5) x WHERE n % 1000 = 1
), closed AS (
  UPDATE admin_unit a SET valid_to = '2024-06-30' FROM picked p WHERE a.code = p.code AND a.valid_to IS NULL RETURNING a.*
)
INSERT INTO admin_unit (code, level, kind, name, parent_code, aliases, valid_from, source)
SELECT code, level, kind, '新' || name, parent_code, array_append(aliases, name), '2024-06-30', 'bench rename' FROM closed`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE admin_unit`); err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT code FROM admin_unit ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			b.Fatal(err)
		}
		codes = append(codes, c)
	}
	rows.Close()
	b.Logf("national divisions: %d codes imported in %v (from %s)", len(codes), time.Since(start).Round(time.Second), dir)
	return pool, codes
}

type load struct {
	n      int
	rps    float64
	p50    float64 // ms
	p99    float64
	max    float64
	errors int
}

// drive runs fn(i) from workers goroutines for dur (or until limit calls) and measures.
func drive(workers int, dur time.Duration, limit int, fn func(i int) error) load {
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs int
		next int
	)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			bad := 0
			for time.Since(start) < dur {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if limit > 0 && i >= limit {
					break
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					bad++
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p := func(f float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return float64(lats[int(f*float64(len(lats)-1))].Microseconds()) / 1000
	}
	return load{n: len(lats), rps: float64(len(lats)) / elapsed.Seconds(), p50: p(0.5), p99: p(0.99), max: p(1), errors: errs}
}

// BenchmarkDivisionByCode: GET /api/divisions/{code} at national size (665k units, with
// history) through the real handler (gazetteer.Store routes on an api.Router, loopback
// TCP, keep-alive client in the same process sharing the 2 cores), over random codes of
// every level (fixed seed) and random as-of dates, 32 connections. Baseline in the same
// run: the old as-of SQL (unit + chain, straight on the pool, 2 connections).
func BenchmarkDivisionByCode(b *testing.B) {
	pool, codes := nationalDivisions(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2023, 630))
	const n = 8192
	type probe struct{ code, day string }
	probes := make([]probe, n)
	for i := range probes {
		day := "2025-01-01"
		if rng.IntN(4) == 0 {
			day = "2024-01-01" // before the renames
		}
		probes[i] = probe{codes[rng.IntN(len(codes))], day}
	}

	// The new handler must answer as the old SQL does (name and chain), on a sample.
	srvLog := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	rt := api.NewRouter(srvLog, nil, nil)
	rt.Handle(gazetteer.NewStore(pool).Routes()...)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	const workers = 32
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	verify := time.Now()
	const checked = 12
	for _, p := range probes[:checked] {
		var code, name string
		var level int
		if err := pool.QueryRow(ctx, oldGetDivision, p.day, p.code).Scan(&code, &name, &level); err != nil {
			b.Fatalf("old SQL %s as of %s: %v", p.code, p.day, err)
		}
		rows, err := pool.Query(ctx, oldDivisionChain, p.day, p.code)
		if err != nil {
			b.Fatal(err)
		}
		var want []string
		for rows.Next() {
			var c, nm string
			var l int
			if err := rows.Scan(&c, &l, &nm); err != nil {
				b.Fatal(err)
			}
			want = append(want, c+nm)
		}
		rows.Close()
		resp, err := client.Get(srv.URL + "/api/divisions/" + p.code + "?asOf=" + p.day)
		if err != nil {
			b.Fatal(err)
		}
		var d gazetteer.Division
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v", p.code, resp.StatusCode, err)
		}
		var got []string
		for _, c := range d.Chain {
			got = append(got, c.Code+c.Name)
		}
		if d.Code != code || d.Name != name || int(d.Level) != level || strings.Join(got, ",") != strings.Join(want, ",") {
			b.Fatalf("%s as of %s: handler %s %s %v, old SQL %s %s %v", p.code, p.day, d.Code, d.Name, got, code, name, want)
		}
	}

	b.Logf("%d lookups checked against the old SQL in %v", checked, time.Since(verify).Round(time.Millisecond))
	var plan []string
	rows, err := pool.Query(ctx, "EXPLAIN ANALYZE "+oldGetDivision, probes[0].day, probes[0].code)
	if err == nil {
		for rows.Next() {
			var l string
			_ = rows.Scan(&l)
			plan = append(plan, l)
		}
		rows.Close()
	}
	b.Logf("old plan:\n%s", strings.Join(plan, "\n"))

	urls := make([]string, n)
	for i, p := range probes {
		urls[i] = fmt.Sprintf("%s/api/divisions/%s?asOf=%s", srv.URL, p.code, p.day)
	}
	// CPU time spent by this process (server and load generator) and by the database
	// backends of the pool during the load: the machine is shared, so req/s alone says
	// little; CPU per request projects what 2 otherwise idle cores serve.
	backends := func() map[int]time.Duration {
		out := map[int]time.Duration{}
		rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			out[pid] = procCPU(pid)
		}
		return out
	}
	pgBefore, selfBefore := backends(), selfCPU()
	b.ResetTimer()
	var newLoad load
	for i := 0; i < b.N; i++ {
		newLoad = drive(workers, 5*time.Second, 0, func(i int) error {
			resp, err := client.Get(urls[i%n])
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
	}
	b.StopTimer()
	selfUsed := selfCPU() - selfBefore
	var pgUsed time.Duration
	for pid, after := range backends() {
		pgUsed += after - pgBefore[pid]
	}
	if newLoad.errors > 0 {
		b.Fatalf("%d failed requests", newLoad.errors)
	}
	cpuPerReq := float64((selfUsed + pgUsed).Microseconds()) / float64(newLoad.n)
	// Baseline: the old queries (unit, then chain) for at most 16 lookups or 20 s.
	oldLoad := drive(2, 20*time.Second, 16, func(i int) error {
		p := probes[i%n]
		var code, name string
		var level int
		if err := pool.QueryRow(ctx, oldGetDivision, p.day, p.code).Scan(&code, &name, &level); err != nil {
			return err
		}
		rows, err := pool.Query(ctx, oldDivisionChain, p.day, p.code)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	})
	if oldLoad.errors > 0 {
		b.Fatalf("%d failed baseline queries", oldLoad.errors)
	}
	b.ReportMetric(newLoad.rps, "req/s")
	b.ReportMetric(newLoad.p50, "p50_ms")
	b.ReportMetric(newLoad.p99, "p99_ms")
	b.ReportMetric(oldLoad.rps, "old_sql_q/s")
	b.ReportMetric(oldLoad.p99, "old_sql_p99_ms")
	b.ReportMetric(newLoad.rps/oldLoad.rps, "speedup")
	b.ReportMetric(cpuPerReq, "cpu_us/req")
	b.ReportMetric(2e6/cpuPerReq, "req/s_2_idle_cores")
	b.Logf("CPU per request: %.0f µs (Go server + client %.0f µs, PostgreSQL %.0f µs): 2 idle cores would serve %.0f req/s",
		cpuPerReq, float64(selfUsed.Microseconds())/float64(newLoad.n), float64(pgUsed.Microseconds())/float64(newLoad.n), 2e6/cpuPerReq)
	b.Logf("HTTP GET /api/divisions/{code}: %d requests, %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
		newLoad.n, workers, newLoad.rps, newLoad.p50, newLoad.p99, newLoad.max)
	b.Logf("baseline, old as-of SQL (unit + chain, no HTTP), %d lookups, 2 connections: %.1f lookups/s, p50 %.0f ms, p99 %.0f ms; ratio %.0f×",
		oldLoad.n, oldLoad.rps, oldLoad.p50, oldLoad.p99, newLoad.rps/oldLoad.rps)
}

// procCPU is the user + system CPU time of process pid (0 when it is gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// selfCPU is the user + system CPU time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
