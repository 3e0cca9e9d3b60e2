-- 界线联检 boundary inspection: boundary lines with a stable id and their source, markers
-- (界桩) with photos, install date and the conditions intact/damaged/missing/moved,
-- inspection rounds (联检轮次) with teams and their lines, exported field packages (so that
-- findings can be checked against the marker versions the team carried) and findings with
-- their before/after state (the marker's inspection history).

-- Lines: a stable id (derived lines keep it when re-derived; official lines keep the file's),
-- where the line came from, and its geodesic length.
ALTER TABLE boundary_line ADD COLUMN ext_id text;
UPDATE boundary_line SET ext_id = 'line-' || id WHERE ext_id IS NULL;
ALTER TABLE boundary_line ALTER COLUMN ext_id SET NOT NULL;
ALTER TABLE boundary_line ADD CONSTRAINT boundary_line_ext_id_key UNIQUE (ext_id);
ALTER TABLE boundary_line ADD CONSTRAINT boundary_line_ext_id_check CHECK (ext_id <> '');
ALTER TABLE boundary_line ADD COLUMN origin text NOT NULL DEFAULT 'imported' CHECK (origin IN ('imported', 'derived'));
ALTER TABLE boundary_line ADD COLUMN source text NOT NULL DEFAULT '';
ALTER TABLE boundary_line ADD COLUMN length_m double precision;
UPDATE boundary_line SET length_m = ST_Length(geom::geography) WHERE length_m IS NULL;
-- Lines between villages (level 5) too.
ALTER TABLE boundary_line DROP CONSTRAINT boundary_line_level_check;
ALTER TABLE boundary_line ADD CONSTRAINT boundary_line_level_check CHECK (level BETWEEN 1 AND 5);

-- Markers: 'good' becomes 'intact'; photos are file names (the photos live with the team's
-- records, not in the database).
ALTER TABLE boundary_marker DROP CONSTRAINT boundary_marker_condition_check;
UPDATE boundary_marker SET condition = 'intact' WHERE condition = 'good';
ALTER TABLE boundary_marker ALTER COLUMN condition SET DEFAULT 'intact';
ALTER TABLE boundary_marker ADD CONSTRAINT boundary_marker_condition_check
    CHECK (condition IN ('intact', 'damaged', 'missing', 'moved'));
ALTER TABLE boundary_marker ADD COLUMN photos text[] NOT NULL DEFAULT '{}';
ALTER TABLE boundary_marker ADD COLUMN installed_on date;
ALTER TABLE boundary_marker ADD COLUMN source text NOT NULL DEFAULT '';
ALTER TABLE boundary_marker ADD CONSTRAINT boundary_marker_lonlat
    CHECK (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90);
-- A marker number (莲青01) names one marker: findings refer to markers by number.
CREATE UNIQUE INDEX boundary_marker_number_key ON boundary_marker (number);
CREATE INDEX boundary_marker_line_idx ON boundary_marker (line_id);

-- 联检轮次 an inspection round (第五轮, 2026). Its scope is a set of lines, given one by one or
-- as every line touching a unit (scope_unit records which unit it was).
CREATE TABLE inspection_round (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name)),
    year        integer NOT NULL CHECK (year BETWEEN 1949 AND 2200),
    scope_unit  division_code,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('planned', 'open', 'closed')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- 联检组 a team of a round.
CREATE TABLE inspection_team (
    id          bigserial PRIMARY KEY,
    round_id    bigint NOT NULL REFERENCES inspection_round (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> '' AND name = btrim(name)),
    leader      text NOT NULL DEFAULT '',
    UNIQUE (round_id, name)
);

-- The lines in a round's scope, each assigned to at most one team.
CREATE TABLE inspection_round_line (
    round_id    bigint NOT NULL REFERENCES inspection_round (id) ON DELETE CASCADE,
    line_id     bigint NOT NULL REFERENCES boundary_line (id),
    team_id     bigint REFERENCES inspection_team (id) ON DELETE SET NULL,
    PRIMARY KEY (round_id, line_id)
);
CREATE INDEX inspection_round_line_team_idx ON inspection_round_line (team_id);

-- 外业数据包 a field package exported for a team, and the version of every marker in it.
CREATE TABLE inspection_package (
    id          bigserial PRIMARY KEY,
    round_id    bigint NOT NULL REFERENCES inspection_round (id) ON DELETE CASCADE,
    team_id     bigint NOT NULL REFERENCES inspection_team (id) ON DELETE CASCADE,
    crs         text NOT NULL CHECK (crs IN ('wgs84', 'gcj02')),
    actor       text NOT NULL,
    manifest    jsonb NOT NULL DEFAULT '{}',
    exported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspection_package_team_idx ON inspection_package (round_id, team_id, id);

CREATE TABLE inspection_package_marker (
    package_id  bigint NOT NULL REFERENCES inspection_package (id) ON DELETE CASCADE,
    marker_id   bigint NOT NULL REFERENCES boundary_marker (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (package_id, marker_id)
);
CREATE INDEX inspection_package_marker_marker_idx ON inspection_package_marker (marker_id, package_id);

-- 联检成果 a finding on a marker: what the team saw, whether it was applied or refused as a
-- conflict, and the marker before and after. The digest makes a re-import a no-op.
CREATE TABLE inspection_finding (
    id            bigserial PRIMARY KEY,
    round_id      bigint NOT NULL REFERENCES inspection_round (id) ON DELETE CASCADE,
    team_id       bigint REFERENCES inspection_team (id) ON DELETE SET NULL,
    marker_id     bigint NOT NULL REFERENCES boundary_marker (id) ON DELETE CASCADE,
    package_id    bigint REFERENCES inspection_package (id) ON DELETE SET NULL,
    condition     text NOT NULL CHECK (condition IN ('intact', 'damaged', 'missing', 'moved')),
    geom          geometry(Point, 4326),        -- new coordinates, when measured
    notes         text NOT NULL DEFAULT '',
    photos        text[] NOT NULL DEFAULT '{}',
    inspector     text NOT NULL DEFAULT '',
    inspected_on  date NOT NULL,
    base_version  integer NOT NULL,              -- the marker version the team carried
    status        text NOT NULL CHECK (status IN ('applied', 'conflict')),
    marker_before jsonb NOT NULL,
    marker_after  jsonb,
    source        text NOT NULL DEFAULT '',
    source_line   integer NOT NULL DEFAULT 0,
    digest        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (round_id, marker_id, digest)
);
CREATE INDEX inspection_finding_marker_idx ON inspection_finding (marker_id, inspected_on);
CREATE INDEX inspection_finding_round_idx ON inspection_finding (round_id, team_id);
