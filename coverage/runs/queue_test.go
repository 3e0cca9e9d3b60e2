package runs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/internal/db/dbtest"
)

// TestMain is report_test.go's (dbtest.Main): one per test binary.

// insertRun writes a run row as a node would have left it (SQL only, no demo data).
func insertRun(t *testing.T, pool *pgxpool.Pool, status, claimedBy string, attempt int, leaseFromNow time.Duration) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), `
INSERT INTO coverage_run (kind, layer, radius_m, as_of, params, created_by, status, claimed_by, attempt, lease_until, started_at)
VALUES ('eldercare_center', 'age60plus', 2000, '2026-01-01', '{"kind":"eldercare_center"}', 'test', $1, nullif($2, ''), $3,
  now() + make_interval(secs => $4), now())
RETURNING id`, status, claimedBy, attempt, leaseFromNow.Seconds()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if attempt > 0 {
		if _, err := pool.Exec(context.Background(), `INSERT INTO coverage_run_execution (run_id, attempt, node) VALUES ($1, $2, $3)`, id, attempt, claimedBy); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func newTestService(t *testing.T, pool *pgxpool.Pool, q QueueOptions) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := NewServiceWith(ctx, pool, coverage.DefaultStandards(), slog.New(slog.NewTextHandler(io.Discard, nil)), q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

func runState(t *testing.T, pool *pgxpool.Pool, id int64) (status, claimedBy, errText string, attempt int) {
	t.Helper()
	var by *string
	if err := pool.QueryRow(context.Background(), `SELECT status, claimed_by, error, attempt FROM coverage_run WHERE id = $1`, id).Scan(&status, &by, &errText, &attempt); err != nil {
		t.Fatal(err)
	}
	if by != nil {
		claimedBy = *by
	}
	return
}

// TestQueueGivesUpAfterMaxAttempts: a run whose node died on its last allowed attempt is
// marked failed (and its execution lost) instead of being claimed again; a run whose
// node is alive (lease in the future) is left alone.
func TestQueueGivesUpAfterMaxAttempts(t *testing.T) {
	pool := dbtest.Pool(t)
	dead := insertRun(t, pool, "running", "dead-node", 3, -time.Minute)
	alive := insertRun(t, pool, "running", "live-node", 1, time.Hour)
	newTestService(t, pool, QueueOptions{Node: "tester", Lease: time.Second, Heartbeat: 100 * time.Millisecond, MaxAttempts: 3})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, _, _, _ := runState(t, pool, dead); st == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run of the dead node was not failed after its last attempt")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, by, msg, attempt := runState(t, pool, dead)
	if attempt != 3 || by != "dead-node" || msg != "interrupted: the node running it stopped 3 times (last dead-node)" {
		t.Fatalf("dead run: %s by %s attempt %d error %q", st, by, attempt, msg)
	}
	var outcome *string
	pool.QueryRow(context.Background(), `SELECT outcome FROM coverage_run_execution WHERE run_id = $1 AND attempt = 3`, dead).Scan(&outcome)
	if outcome == nil || *outcome != "lost" {
		t.Fatalf("execution of the dead run: %v, want lost", outcome)
	}
	time.Sleep(300 * time.Millisecond) // a few polls
	if st, by, _, attempt := runState(t, pool, alive); st != "running" || by != "live-node" || attempt != 1 {
		t.Fatalf("the live node's run: %s by %s attempt %d, want left running by live-node", st, by, attempt)
	}
}

// TestStoreRefusesLostClaim: a node whose claim was taken over (the run's attempt moved
// on) cannot write results: store fails with errLostClaim and writes nothing; the
// holder of the claim can.
func TestStoreRefusesLostClaim(t *testing.T) {
	pool := dbtest.Pool(t)
	// No worker may claim the run meanwhile: its lease lasts.
	s := newTestService(t, pool, QueueOptions{Node: "old-node", Lease: time.Hour, Heartbeat: time.Minute, Poll: time.Hour})
	id := insertRun(t, pool, "running", "new-node", 2, time.Hour)
	res := &coverage.Result{Townships: []coverage.UnitResult{{Level: coverage.LevelTownship, Code: "339901001000", Name: "t", Population: 10}}}
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return s.store(ctx, tx, claim{id: id, attempt: 1}, res, nil, "fp") })
	if !errors.Is(err, errLostClaim) {
		t.Fatalf("store by a node that lost the claim: %v, want errLostClaim", err)
	}
	var units int
	pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run_unit WHERE run_id = $1`, id).Scan(&units)
	if st, _, _, _ := runState(t, pool, id); st != "running" || units != 0 {
		t.Fatalf("after the refused store: %s with %d unit rows", st, units)
	}
	// The node holding the claim (same name and attempt) stores.
	holder := newTestService(t, pool, QueueOptions{Node: "new-node", Lease: time.Hour, Heartbeat: time.Minute, Poll: time.Hour})
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return holder.store(ctx, tx, claim{id: id, attempt: 2}, res, nil, "fp") }); err != nil {
		t.Fatal(err)
	}
	pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run_unit WHERE run_id = $1`, id).Scan(&units)
	var outcome *string
	pool.QueryRow(ctx, `SELECT outcome FROM coverage_run_execution WHERE run_id = $1 AND attempt = 2`, id).Scan(&outcome)
	if st, _, _, _ := runState(t, pool, id); st != "done" || units != 1 || outcome == nil || *outcome != "done" {
		t.Fatalf("after the holder's store: %s with %d unit rows, execution %v", st, units, outcome)
	}
}
