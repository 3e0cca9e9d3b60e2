package gazetteer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
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

// wrkResult is what wrk reports for one run.
type wrkResult struct {
	requests int     // completed requests
	rps      float64 // Requests/sec
	p50, p99 float64 // ms
	non2xx   int     // Non-2xx or 3xx responses + socket errors
	cpu      time.Duration
	output   string
}

// parseWrkDuration reads wrk's "3.45ms", "812.00us", "1.02s".
func parseWrkDuration(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 1e-3}, {"ms", 1}, {"m", 60e3}, {"s", 1e3}} {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			return v * u.ms, err
		}
	}
	return 0, fmt.Errorf("wrk duration %q", s)
}

// runWrk runs wrk (a separate process) against base with the Lua script, 2 threads,
// conns connections, for dur, and parses its report.
func runWrk(b *testing.B, wrk, script, base string, conns int, dur time.Duration) wrkResult {
	b.Helper()
	cmd := exec.Command(wrk, "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(dur.Seconds())),
		"--latency", "--timeout", "10s", "-s", script, base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	r := wrkResult{output: string(out)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, line := range strings.Split(r.output, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, err = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50%":
			r.p50, err = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.p99, err = parseWrkDuration(f[1])
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			r.requests, err = strconv.Atoi(f[0])
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			var n int
			n, err = strconv.Atoi(f[len(f)-1])
			r.non2xx += n
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			r.non2xx++ // connect, read, write or timeout errors
		}
		if err != nil {
			b.Fatalf("wrk output %q: %v", line, err)
		}
	}
	if r.rps == 0 || r.requests == 0 || r.p99 == 0 {
		b.Fatalf("wrk report not understood:\n%s", r.output)
	}
	return r
}

// loadAvg is the first field of /proc/loadavg (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// BenchmarkDivisionByCode: GET /api/divisions/{code} at national size (665k codes, with
// history), driven by wrk (a separate process: 2 threads, 64 keep-alive connections,
// 10 s) cycling through 8,192 random codes of every level (fixed seed) and as-of dates,
// against two servers in this process on loopback TCP: the lookup answered from the
// in-memory gazetteer snapshot (the wiring of internal/app: gazetteer.Store with
// addr.Service as its UnitSource) and the same handler on PostGIS alone (the baseline,
// same run, same script). Request logs off, pool of 4 connections (the server default).
func BenchmarkDivisionByCode(b *testing.B) {
	wrk := testenv.Tool(b, "wrk", "wrk")
	pool, codes := nationalDivisions(b)
	ctx := context.Background()
	start := time.Now()
	data, err := snapshot.Load(ctx, pool)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot of %d unit versions loaded in %v", len(data.Units), time.Since(start).Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(2023, 630))
	const n = 8192
	paths := make([]string, n)
	for i := range paths {
		day := "2025-01-01"
		if rng.IntN(4) == 0 {
			day = "2024-01-01" // before the renames
		}
		paths[i] = "/api/divisions/" + codes[rng.IntN(len(codes))] + "?asOf=" + day
	}
	var lua strings.Builder
	lua.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&lua, "  %q,\n", p)
	}
	// Each wrk thread starts at its own offset and cycles through the list.
	lua.WriteString(`}
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) i = id * 4099 end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`)
	script := filepath.Join(b.TempDir(), "divisions.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o644); err != nil {
		b.Fatal(err)
	}

	srvLog := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	memStore, sqlStore := gazetteer.NewStore(pool), gazetteer.NewStore(pool)
	memStore.SetUnitSource(addr.NewStaticService(&addr.State{Data: data}))
	servers := map[string]*httptest.Server{}
	for name, st := range map[string]*gazetteer.Store{"memory": memStore, "sql": sqlStore} {
		rt := api.NewRouter(srvLog, nil, nil)
		rt.Handle(st.Routes()...)
		servers[name] = httptest.NewServer(rt)
		defer servers[name].Close()
	}
	// Both servers answer the first probes alike, and they are 200s.
	for _, p := range paths[:64] {
		var bodies [2]string
		for k, name := range []string{"memory", "sql"} {
			resp, err := http.Get(servers[name].URL + p)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("%s GET %s: %d %s", name, p, resp.StatusCode, body)
			}
			bodies[k] = string(body)
		}
		if bodies[0] != bodies[1] {
			b.Fatalf("GET %s: memory %s, PostGIS %s", p, bodies[0], bodies[1])
		}
	}
	http.DefaultClient.CloseIdleConnections()

	// CPU of this process (the servers), of the database backends and of wrk per run.
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
	type run struct {
		wrkResult
		self, pg time.Duration
		load     string
	}
	measure := func(name string) run {
		m0, s0 := memStore.LookupCounts()
		_, q0 := sqlStore.LookupCounts()
		pgBefore, selfBefore := backends(), selfCPU()
		r := run{load: loadAvg()}
		r.wrkResult = runWrk(b, wrk, script, servers[name].URL, 64, 10*time.Second)
		r.self = selfCPU() - selfBefore
		for pid, after := range backends() {
			r.pg += after - pgBefore[pid]
		}
		r.load += "→" + loadAvg()
		if r.non2xx > 0 {
			b.Fatalf("%s: %d failed requests\n%s", name, r.non2xx, r.output)
		}
		m1, s1 := memStore.LookupCounts()
		_, q1 := sqlStore.LookupCounts()
		if name == "memory" && (s1 != s0 || m1-m0 < uint64(r.requests)) {
			b.Fatalf("memory server: %d lookups from memory, %d from PostGIS during the run of %d requests", m1-m0, s1-s0, r.requests)
		}
		if name == "sql" && q1-q0 < uint64(r.requests) {
			b.Fatalf("PostGIS server: %d lookups during the run of %d requests", q1-q0, r.requests)
		}
		if name == "sql" && r.pg == 0 {
			b.Logf("the CPU time of the PostgreSQL backends could not be read from /proc (a cluster outside this PID namespace?): the CPU figures below leave it out")
		}
		perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.requests) }
		b.Logf("%s: %s", name, strings.ReplaceAll(strings.TrimSpace(r.output), "\n", "\n    "))
		b.Logf("%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms; CPU per request: server %.0f µs, PostgreSQL %.0f µs, wrk %.0f µs; load average %s",
			name, r.rps, r.p50, r.p99, perReq(r.self), perReq(r.pg), perReq(r.cpu), r.load)
		return r
	}
	b.ResetTimer()
	var mem, sql run
	for i := 0; i < b.N; i++ {
		mem = measure("memory")
		sql = measure("sql")
	}
	b.StopTimer()
	cpu := func(r run) float64 { return float64((r.self + r.pg).Microseconds()) / float64(r.requests) }
	b.ReportMetric(mem.rps, "req/s")
	b.ReportMetric(mem.p99, "p99_ms")
	b.ReportMetric(sql.rps, "sql_req/s")
	b.ReportMetric(sql.p99, "sql_p99_ms")
	b.ReportMetric(mem.rps/sql.rps, "ratio")
	b.ReportMetric(cpu(mem), "server_cpu_us/req")
	b.ReportMetric(cpu(sql), "sql_server_cpu_us/req")
	b.Logf("GET /api/divisions/{code}, wrk 2 threads 64 connections 10 s: memory %.0f req/s (p99 %.2f ms), PostGIS %.0f req/s (p99 %.2f ms): ratio %.1f×; server CPU per request (Go + PostgreSQL) %.0f vs %.0f µs: 2 idle cores without the client would serve %.0f vs %.0f req/s",
		mem.rps, mem.p99, sql.rps, sql.p99, mem.rps/sql.rps, cpu(mem), cpu(sql), 2e6/cpu(mem), 2e6/cpu(sql))
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
