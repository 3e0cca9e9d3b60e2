package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// demoDatabase is a fresh database with the demo data, and its URL.
func demoDatabase(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	return pool, pool.Config().ConnString()
}

// lockBoundaries holds an ACCESS EXCLUSIVE lock on admin_unit until the returned
// function is called: runs claimed meanwhile stop at "loading boundaries", mid-run.
func lockBoundaries(t *testing.T, pool *pgxpool.Pool) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE admin_unit IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(release)
	return release
}

// postRun starts a run of kind through the server at base and returns its id.
func postRun(t *testing.T, base, token, kind string) int64 {
	t.Helper()
	st, body, err := httpDo(base+"/api/coverage/runs", "POST", token, fmt.Sprintf(`{"kind":%q}`, kind), 30*time.Second)
	var r struct {
		ID     int64
		Status string
	}
	if err != nil || st != 202 || json.Unmarshal(body, &r) != nil || r.ID == 0 || r.Status != "queued" {
		t.Fatalf("POST /api/coverage/runs (%s) to %s: %d %s %v", kind, base, st, body, err)
	}
	return r.ID
}

// waitSQL polls a boolean query until it is true.
func waitSQL(t *testing.T, pool *pgxpool.Pool, d time.Duration, what, query string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var ok bool
		if err := pool.QueryRow(context.Background(), query, args...).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var dump string
			pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(id || ' ' || status || ' ' || coalesce(claimed_by, '-') || ' ' || stage || ' ' || error, E'\n' ORDER BY id), '') FROM coverage_run`).Scan(&dump)
			t.Fatalf("%s: not after %v; runs:\n%s", what, d, dump)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// execution is a row of coverage_run_execution.
type execution struct {
	Attempt int
	Node    string
	Outcome *string
}

func executions(t *testing.T, pool *pgxpool.Pool, run int64) []execution {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT attempt, node, outcome FROM coverage_run_execution WHERE run_id = $1 ORDER BY attempt`, run)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[execution])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// demoTownships counts the demo county's current townships in admin_unit (what every
// finished run must hold one result row for).
func demoTownships(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM admin_unit WHERE level = 4 AND parent_code = '339901000000' AND valid_to IS NULL`).Scan(&n); err != nil || n < 10 {
		t.Fatalf("demo townships: %d %v", n, err)
	}
	return n
}

// checkResults: run id is done with one result row per township and one per facility of
// its kind that the run considered, nothing twice.
func checkResults(t *testing.T, pool *pgxpool.Pool, id int64, townships int) {
	t.Helper()
	var status string
	var units, distinct, facs int
	if err := pool.QueryRow(context.Background(), `
SELECT r.status, (SELECT count(*) FROM coverage_run_unit u WHERE u.run_id = r.id AND u.level = 4),
  (SELECT count(DISTINCT u.code) FROM coverage_run_unit u WHERE u.run_id = r.id AND u.level = 4),
  (SELECT count(*) FROM coverage_run_facility f WHERE f.run_id = r.id)
FROM coverage_run r WHERE r.id = $1`, id).Scan(&status, &units, &distinct, &facs); err != nil {
		t.Fatal(err)
	}
	if status != "done" || units != townships || distinct != townships {
		t.Errorf("run %d: status %s, %d township rows (%d distinct), want done and %d", id, status, units, distinct, townships)
	}
	var kindFacs int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM facility f JOIN coverage_run r ON r.kind = f.kind WHERE r.id = $1`, id).Scan(&kindFacs)
	if facs == 0 || facs > kindFacs {
		t.Errorf("run %d: %d facility rows, the kind has %d facilities", id, facs, kindFacs)
	}
}

// TestRunQueueTwoNodes: two `fangyuan serve` processes on one database share the coverage
// run queue. Ten runs queued through both: each executes exactly once (one row in
// coverage_run_execution), both nodes take part. Then a node is killed with SIGKILL in
// the middle of a run: the other node takes the run up when the lease runs out and
// finishes it, and the result is whole. A node paused (SIGSTOP) past its lease loses its
// run the same way and, resumed, writes nothing.
func TestRunQueueTwoNodes(t *testing.T) {
	bin := buildFangyuan(t)
	pool, url := demoDatabase(t)
	planner := token(t, pool, "queue.planner", auth.Planner)
	townships := demoTownships(t, pool)
	flags := []string{"--run-lease", "2s", "--run-heartbeat", "200ms", "--run-queue", "20"}
	nodes := map[string]*proc{
		"node-a": startServer(t, bin, url, "node-a", flags...),
		"node-b": startServer(t, bin, url, "node-b", flags...),
	}
	names := []string{"node-a", "node-b"}

	// Ten runs queued while the boundaries are locked: each node claims one and waits
	// mid-run, the other eight stay queued.
	release := lockBoundaries(t, pool)
	// The kinds the demo has facilities of, in the standards' order (the default
	// standards also define kinds the demo has no facilities for).
	var kinds []string
	for _, k := range coverage.DefaultStandards().IDs() {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM facility WHERE kind = $1`, k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) < 2 {
		t.Fatalf("the demo has facilities of %d kinds, want several", len(kinds))
	}
	var ids []int64
	for i := range 10 {
		ids = append(ids, postRun(t, nodes[names[i%2]].base, planner, kinds[i%len(kinds)]))
	}
	waitSQL(t, pool, 30*time.Second, "both nodes hold a run",
		`SELECT count(DISTINCT claimed_by) = 2 AND count(*) = 2 FROM coverage_run WHERE status = 'running'`)
	var queued int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM coverage_run WHERE status = 'queued'`).Scan(&queued)
	if queued != 8 {
		t.Fatalf("%d runs queued while two run, want 8", queued)
	}
	release()
	waitSQL(t, pool, 4*time.Minute, "the ten runs finish", `SELECT bool_and(status IN ('done', 'failed')) FROM coverage_run`)
	perNode := map[string]int{}
	for _, id := range ids {
		ex := executions(t, pool, id)
		var claimed string
		pool.QueryRow(context.Background(), `SELECT claimed_by FROM coverage_run WHERE id = $1`, id).Scan(&claimed)
		if len(ex) != 1 || ex[0].Attempt != 1 || ex[0].Outcome == nil || *ex[0].Outcome != "done" || ex[0].Node != claimed {
			t.Errorf("run %d (claimed by %s): executions %+v, want exactly one, done", id, claimed, ex)
			continue
		}
		perNode[ex[0].Node]++
		checkResults(t, pool, id, townships)
	}
	if perNode["node-a"] == 0 || perNode["node-b"] == 0 || perNode["node-a"]+perNode["node-b"] != 10 {
		t.Errorf("executions per node: %v, want both nodes and 10 in all", perNode)
	}
	t.Logf("ten runs: executions per node %v", perNode)

	// Pause (SIGSTOP) the node holding a run mid-run until its lease runs out: the other
	// node takes the run up and finishes it; the paused node, resumed, finds its claim
	// gone and writes nothing.
	release = lockBoundaries(t, pool)
	id := postRun(t, nodes["node-b"].base, planner, "childrens_home")
	waitSQL(t, pool, 30*time.Second, "the run is mid-run",
		`SELECT status = 'running' AND stage = 'loading boundaries' FROM coverage_run WHERE id = $1`, id)
	var paused string
	pool.QueryRow(context.Background(), `SELECT claimed_by FROM coverage_run WHERE id = $1`, id).Scan(&paused)
	other := map[string]string{"node-a": "node-b", "node-b": "node-a"}[paused]
	if other == "" {
		t.Fatalf("run %d claimed by %q", id, paused)
	}
	if err := nodes[paused].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	release()
	waitSQL(t, pool, 2*time.Minute, "the other node finishes the paused node's run",
		`SELECT status IN ('done', 'failed') FROM coverage_run WHERE id = $1`, id)
	if err := nodes[paused].cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(nodes[paused].log.String(), "coverage run lost to another node") {
		if time.Now().After(deadline) {
			t.Fatalf("%s, resumed, did not report the run lost:\n%s", paused, lastLines(nodes[paused].log.String(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	ex := executions(t, pool, id)
	if len(ex) != 2 || ex[0].Node != paused || ex[0].Outcome == nil || *ex[0].Outcome != "lost" ||
		ex[1].Node != other || ex[1].Outcome == nil || *ex[1].Outcome != "done" {
		t.Fatalf("run %d after pausing %s: executions %+v; want lost by %s then done by %s", id, paused, ex, paused, other)
	}
	checkResults(t, pool, id, townships)

	// Kill the node holding a run mid-run.
	release = lockBoundaries(t, pool)
	id = postRun(t, nodes["node-a"].base, planner, "eldercare_center")
	waitSQL(t, pool, 30*time.Second, "the run is mid-run",
		`SELECT status = 'running' AND stage = 'loading boundaries' FROM coverage_run WHERE id = $1`, id)
	var victim string
	pool.QueryRow(context.Background(), `SELECT claimed_by FROM coverage_run WHERE id = $1`, id).Scan(&victim)
	survivor := names[0]
	if victim == names[0] {
		survivor = names[1]
	}
	nodes[victim].kill()
	killed := time.Now()
	release()
	waitSQL(t, pool, 2*time.Minute, "the survivor finishes the run",
		`SELECT status IN ('done', 'failed') FROM coverage_run WHERE id = $1`, id)
	t.Logf("run %d: %s killed, finished by %s %v later", id, victim, survivor, time.Since(killed).Round(time.Millisecond))
	var claimed string
	pool.QueryRow(context.Background(), `SELECT claimed_by FROM coverage_run WHERE id = $1`, id).Scan(&claimed)
	ex = executions(t, pool, id)
	if claimed != survivor || len(ex) != 2 || ex[0].Node != victim || ex[0].Outcome == nil || *ex[0].Outcome != "lost" ||
		ex[1].Node != survivor || ex[1].Outcome == nil || *ex[1].Outcome != "done" {
		t.Fatalf("run %d after killing %s: claimed by %s, executions %+v; want lost by %s then done by %s", id, victim, claimed, ex, victim, survivor)
	}
	checkResults(t, pool, id, townships)
	// The survivor answers for it like any run.
	st, body, err := httpDo(fmt.Sprintf("%s/api/coverage/runs/%d", nodes[survivor].base, id), "GET", "", "", 10*time.Second)
	var r struct {
		Status  string
		Summary *struct{ Townships int }
	}
	if err != nil || st != 200 || json.Unmarshal(body, &r) != nil || r.Status != "done" || r.Summary == nil || r.Summary.Townships != townships {
		t.Fatalf("GET run %d from %s: %d %s %v", id, survivor, st, body, err)
	}
	if !slices.Contains(names, victim) {
		t.Fatalf("claimed by %q", victim)
	}
}
