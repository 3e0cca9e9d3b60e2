-- The coverage run queue (覆盖分析任务队列) for many API nodes: a run is claimed by one node
-- (SELECT … FOR UPDATE SKIP LOCKED), which holds a lease it renews while the run executes.
-- A run whose lease ran out (its node died) is claimed again by another node and executed
-- again from scratch (results are written in one transaction, so none is half-written).
-- attempt counts the claims; coverage_run_execution logs each one (which node, when,
-- how it ended), so that "each run executes once" can be checked in SQL.
ALTER TABLE coverage_run
    ADD COLUMN claimed_by  text,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN attempt     integer NOT NULL DEFAULT 0 CHECK (attempt >= 0);

-- The workers' claim query: queued runs oldest first, and running runs by lease.
CREATE INDEX coverage_run_queue_idx ON coverage_run (id) WHERE status = 'queued';
CREATE INDEX coverage_run_lease_idx ON coverage_run (lease_until) WHERE status = 'running';

CREATE TABLE coverage_run_execution (
    run_id      bigint NOT NULL REFERENCES coverage_run (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    node        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text CHECK (outcome IN ('done', 'failed', 'lost', 'released')),
    CONSTRAINT coverage_run_execution_pkey PRIMARY KEY (run_id, attempt)
);

