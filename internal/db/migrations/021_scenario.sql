-- What-if scenarios (规划情景): named sets of edits on top of the real facilities of one
-- kind, which never change the facility table. A scenario keeps the run parameters it is
-- computed with (kind, radius, grid, layer, as-of date; from base_run when given); its edits
-- apply in id order: add a planned facility (新增规划设施), move, close, change beds. An edit
-- targets a stored facility (facility_id) or a facility an earlier add edit of the same
-- scenario created (target_edit); deleting an add edit (undo) deletes the edits on it.
CREATE TABLE scenario (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    base_run    bigint REFERENCES coverage_run (id) ON DELETE SET NULL,
    params      jsonb NOT NULL,
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scenario_edit (
    id           bigserial PRIMARY KEY,
    scenario_id  bigint NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
    op           text NOT NULL CHECK (op IN ('add', 'move', 'close', 'beds')),
    facility_id  bigint REFERENCES facility (id) ON DELETE CASCADE,
    target_edit  bigint REFERENCES scenario_edit (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    geom         geometry(Point, 4326),
    beds         integer CHECK (beds >= 0),
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT scenario_edit_target CHECK (
        CASE op WHEN 'add' THEN facility_id IS NULL AND target_edit IS NULL AND geom IS NOT NULL
                ELSE (facility_id IS NULL) <> (target_edit IS NULL) END),
    CONSTRAINT scenario_edit_geom CHECK (op NOT IN ('add', 'move') OR geom IS NOT NULL),
    CONSTRAINT scenario_edit_beds CHECK (op <> 'beds' OR beds IS NOT NULL),
    CONSTRAINT scenario_edit_lonlat CHECK (geom IS NULL OR (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90))
);
CREATE INDEX scenario_edit_scenario_idx ON scenario_edit (scenario_id, id);
CREATE INDEX scenario_edit_target_idx ON scenario_edit (target_edit);
CREATE INDEX scenario_edit_facility_idx ON scenario_edit (facility_id);
