package runs

// The coverage run queue for many API nodes (多节点任务队列). POST /api/coverage/runs only
// inserts a queued row; the worker of every node claims runs with
// SELECT … FOR UPDATE SKIP LOCKED, so no two nodes execute the same run. The claiming node
// holds a lease (lease_until, in the database's clock) that its heartbeat renews while
// the run executes. When a node dies, its lease runs out and another node claims the run
// again and executes it from scratch: results are written in one transaction that first
// checks the claim, so a run never has half a result nor the results of two executions.
// Each claim is logged in coverage_run_execution.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/db"
)

// QueueOptions configure a node's worker; zero values take the defaults.
type QueueOptions struct {
	// Node names this node in claimed_by (default hostname:pid).
	Node string
	// Lease is how long a claim lasts without a heartbeat (default 10 s): a run whose
	// node died is taken up again this long after its last heartbeat.
	Lease time.Duration
	// Heartbeat is how often the lease is renewed (default 2 s; below Lease).
	Heartbeat time.Duration
	// Poll is how often an idle worker looks for runs queued by other nodes or left by
	// dead ones (default 1 s, at most Heartbeat); runs queued on this node start at once.
	Poll time.Duration
	// MaxAttempts is how many times a run is claimed before a run whose node died
	// again is marked failed instead (default 3).
	MaxAttempts int
}

// Default queue options.
const (
	DefaultLease       = 10 * time.Second
	DefaultHeartbeat   = 2 * time.Second
	DefaultPoll        = time.Second
	DefaultMaxAttempts = 3
)

func (q QueueOptions) withDefaults() (QueueOptions, error) {
	if q.Node == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "localhost"
		}
		q.Node = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if q.Lease <= 0 {
		q.Lease = DefaultLease
	}
	if q.Heartbeat <= 0 {
		q.Heartbeat = min(DefaultHeartbeat, q.Lease/3)
	}
	if q.Heartbeat >= q.Lease {
		return q, fmt.Errorf("coverage run queue: heartbeat %v must be shorter than the lease %v", q.Heartbeat, q.Lease)
	}
	if q.Poll <= 0 {
		q.Poll = min(DefaultPoll, q.Heartbeat)
	}
	if q.MaxAttempts <= 0 {
		q.MaxAttempts = DefaultMaxAttempts
	}
	return q, nil
}

// Node is the name this node claims runs under.
func (s *Service) Node() string { return s.queue.Node }

// claim is a run this node claimed: attempt is its claim number, which fences every
// write of the execution.
type claim struct {
	id      int64
	attempt int
}

// errLostClaim: another node took the run up (this node's lease had run out).
var errLostClaim = errors.New("the run's claim was lost to another node")

// work is the node's worker: it claims and executes runs one at a time until base ends.
func (s *Service) work() {
	defer s.wg.Done()
	failing := false
	for {
		ran, err := s.next()
		switch {
		case err != nil && s.base.Err() == nil:
			if !failing { // once per outage, not once per poll
				s.log.Warn("coverage run queue", "node", s.queue.Node, "err", err)
			}
			failing = true
		case err == nil:
			failing = false
		}
		if ran && err == nil {
			continue // look for the next one at once
		}
		select {
		case <-s.base.Done():
			return
		case <-s.wake:
		case <-time.After(s.queue.Poll):
		}
	}
}

// next claims one run and executes it; ran is false when there was none.
func (s *Service) next() (ran bool, err error) {
	if s.base.Err() != nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(s.base, 30*time.Second)
	defer cancel()
	if _, err := s.pool.Exec(ctx, sqlFailAbandoned, s.queue.MaxAttempts); err != nil {
		return false, err
	}
	var c claim
	var raw []byte
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, sqlClaimRun, s.queue.Node, s.queue.Lease.Seconds()).Scan(&c.id, &c.attempt, &raw); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlLoseExecutions, c.id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlBeginExecution, c.id, c.attempt, s.queue.Node)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cancel()
	s.runClaimed(c, raw)
	return true, nil
}

// runClaimed executes claimed run c while a heartbeat renews its lease, and records how
// it ended: done, failed, or back in the queue when this node is shutting down.
func (s *Service) runClaimed(c claim, raw []byte) {
	if c.attempt > 1 {
		s.log.Info("coverage run taken up again", "run", c.id, "attempt", c.attempt, "node", s.queue.Node)
	}
	runCtx, cancelRun := context.WithCancelCause(s.base)
	defer cancelRun(nil)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		s.heartbeat(runCtx, c, cancelRun)
	}()
	err := s.executeParams(db.WithStatementTimeout(runCtx, RunStatementTimeout), c, raw)
	cancelRun(nil)
	<-beat

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch {
	case err == nil:
		return // done: store ended the execution in its transaction
	case errors.Is(err, errLostClaim) || errors.Is(context.Cause(runCtx), errLostClaim):
		s.log.Warn("coverage run lost to another node", "run", c.id, "attempt", c.attempt, "node", s.queue.Node)
	case s.base.Err() != nil:
		// Shutting down: another node (or this one after its restart) takes it up.
		if tag, e := s.pool.Exec(ctx, sqlReleaseRun, c.id, s.queue.Node, c.attempt); e == nil && tag.RowsAffected() == 1 {
			s.pool.Exec(ctx, sqlEndExecution, c.id, c.attempt, "released")
		}
	default:
		s.log.Warn("coverage run failed", "run", c.id, "err", err)
		if tag, e := s.pool.Exec(ctx, sqlFailRun, c.id, s.queue.Node, c.attempt, err.Error()); e != nil {
			// The database is gone: the lease runs out and the run is tried again.
			s.log.Error("coverage run: cannot record failure", "run", c.id, "err", e)
		} else if tag.RowsAffected() == 1 {
			s.pool.Exec(ctx, sqlEndExecution, c.id, c.attempt, "failed")
		}
	}
}

// executeParams decodes the parameters stored with the run and executes it.
func (s *Service) executeParams(ctx context.Context, c claim, raw []byte) error {
	var p Params
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("stored parameters: %w", err)
	}
	std, err := s.standards.Kind(p.Kind)
	if err != nil {
		return fmt.Errorf("kind: %w", err)
	}
	std.RadiusM = p.RadiusM
	return s.execute(ctx, c, p, std)
}

// heartbeat renews c's lease until ctx ends. When the claim is gone (another node took
// the run after this node's lease ran out) or the lease could not be renewed in time, it
// cancels the execution.
func (s *Service) heartbeat(ctx context.Context, c claim, cancel context.CancelCauseFunc) {
	renewed := time.Now()
	t := time.NewTicker(s.queue.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hctx, hcancel := context.WithTimeout(ctx, s.queue.Heartbeat)
		tag, err := s.pool.Exec(hctx, sqlRenewLease, c.id, s.queue.Node, c.attempt, s.queue.Lease.Seconds())
		hcancel()
		switch {
		case err == nil && tag.RowsAffected() == 0:
			cancel(errLostClaim)
			return
		case err == nil:
			renewed = time.Now()
		case time.Since(renewed) >= s.queue.Lease:
			cancel(errLostClaim) // another node may hold it by now
			return
		}
	}
}
