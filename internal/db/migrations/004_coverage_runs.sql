-- Coverage runs (覆盖分析): each run keeps its parameters, an inputs fingerprint, its
-- progress, the per-unit and per-facility results (for SQL and tiles) and the whole
-- result (gzip JSON) for the reports.

CREATE TABLE coverage_run (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,
    layer        text NOT NULL,
    radius_m     float8 NOT NULL CHECK (radius_m > 0),
    grid_id      bigint REFERENCES population_grid (id) ON DELETE SET NULL,
    as_of        date NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage        text NOT NULL DEFAULT '',
    fraction     real NOT NULL DEFAULT 0,
    fingerprint  text NOT NULL DEFAULT '',
    params       jsonb NOT NULL,
    summary      jsonb,
    result       bytea,
    error        text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX coverage_run_kind_idx ON coverage_run (kind, id DESC);
ALTER TABLE coverage_run ALTER COLUMN result SET STORAGE EXTERNAL;

CREATE TABLE coverage_run_unit (
    run_id        bigint NOT NULL REFERENCES coverage_run (id) ON DELETE CASCADE,
    level         smallint NOT NULL CHECK (level IN (3, 4, 5)),   -- county, township, village
    code          division_code NOT NULL,
    name          text NOT NULL,
    parent_code   text NOT NULL DEFAULT '',
    population    float8 NOT NULL,
    covered       float8 NOT NULL,
    uncovered     float8 NOT NULL,
    share         float8 NOT NULL,
    facilities    integer NOT NULL,
    not_operating integer NOT NULL,
    flags         text[] NOT NULL DEFAULT '{}',
    rank          integer,                                        -- gap rank, NULL when not flagged
    detail        text NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, level, code)
);

CREATE TABLE coverage_run_facility (
    run_id      bigint NOT NULL REFERENCES coverage_run (id) ON DELETE CASCADE,
    facility_id bigint NOT NULL,
    ext_id      text NOT NULL,
    name        text NOT NULL,
    status      text NOT NULL,
    lon         float8 NOT NULL,
    lat         float8 NOT NULL,
    township    text NOT NULL DEFAULT '',
    counted     boolean NOT NULL,
    catchment   float8 NOT NULL,
    nearest     float8 NOT NULL,
    PRIMARY KEY (run_id, facility_id)
);
