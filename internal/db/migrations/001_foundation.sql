-- Fangyuan 方圆 foundation schema: divisions, place names, roads, house numbers, plates,
-- boundary lines and markers, facilities, users, API tokens and the audit log.
-- All geometry is WGS84 (SRID 4326); CGCS2000 data is stored as 4326.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A 12-digit statistical division code (统计用区划代码), zero-padded for upper levels.
CREATE DOMAIN division_code AS text CHECK (VALUE ~ '^[0-9]{12}$');

-- 行政区划 admin units, versioned: a code may have several rows over time, one valid at a time.
CREATE TABLE admin_unit (
    id            bigserial PRIMARY KEY,
    code          division_code NOT NULL,
    level         smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    kind          text NOT NULL CHECK (kind <> ''),
    name          text NOT NULL CHECK (name <> '' AND name = btrim(name)),
    parent_code   division_code,
    pinyin        text,                        -- official romanization (authoritative)
    pinyin_draft  text NOT NULL DEFAULT '',    -- generated; a draft only (polyphones)
    pinyin_initials text NOT NULL DEFAULT '',
    aliases       text[] NOT NULL DEFAULT '{}',
    valid_from    date NOT NULL,
    valid_to      date,                        -- exclusive; NULL = still valid
    geom          geometry(MultiPolygon, 4326),
    source        text NOT NULL DEFAULT '',
    version       integer NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT admin_unit_validity CHECK (valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT admin_unit_code_level CHECK (
        (level = 1 AND substr(code, 3) = '0000000000') OR
        (level = 2 AND substr(code, 5) = '00000000' AND substr(code, 3, 2) <> '00') OR
        (level = 3 AND substr(code, 7) = '000000' AND substr(code, 5, 2) <> '00') OR
        (level = 4 AND substr(code, 10) = '000' AND substr(code, 7, 3) <> '000') OR
        (level = 5 AND substr(code, 10, 3) <> '000')),
    CONSTRAINT admin_unit_parent CHECK ((level = 1) = (parent_code IS NULL)),
    CONSTRAINT admin_unit_geom_valid CHECK (geom IS NULL OR ST_IsValid(geom)),
    -- one active unit per code at any time (on the code as a number: a GiST over the
    -- text codes made the national import five times slower)
    CONSTRAINT admin_unit_one_active EXCLUDE USING gist (
        (code::bigint) WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
);
CREATE UNIQUE INDEX admin_unit_current_code ON admin_unit (code) WHERE valid_to IS NULL;
CREATE INDEX admin_unit_parent_idx ON admin_unit (parent_code, level);
CREATE INDEX admin_unit_geom_idx ON admin_unit USING gist (geom);
-- Name search over divisions runs on an in-memory index built from this table.

-- Old → new code mapping when divisions are merged, split, renamed or recoded.
CREATE TABLE admin_code_change (
    id          bigserial PRIMARY KEY,
    old_code    division_code NOT NULL,
    new_code    division_code,                 -- NULL: abolished without successor
    changed_on  date NOT NULL,
    change      text NOT NULL CHECK (change IN ('rename', 'merge', 'split', 'recode', 'abolish', 'reparent')),
    note        text NOT NULL DEFAULT '',
    UNIQUE NULLS NOT DISTINCT (old_code, new_code, changed_on)
);
CREATE INDEX admin_code_change_new ON admin_code_change (new_code);

-- 地名 place names (GB/T 18521 categories).
CREATE TABLE place_name (
    id              bigserial PRIMARY KEY,
    category        text NOT NULL CHECK (category ~ '^[0-9]{1,6}$'),   -- GB/T 18521 category code
    name            text NOT NULL CHECK (name <> ''),
    pinyin          text,
    pinyin_draft    text NOT NULL DEFAULT '',
    aliases         text[] NOT NULL DEFAULT '{}',
    historical_names jsonb NOT NULL DEFAULT '[]',   -- [{"name":..,"from":..,"to":..}]
    origin          text NOT NULL DEFAULT '',        -- 来历
    meaning         text NOT NULL DEFAULT '',        -- 含义
    history         text NOT NULL DEFAULT '',        -- 沿革
    heritage        boolean NOT NULL DEFAULT false,  -- 地名文化遗产
    admin_code      division_code,
    geom            geometry(Geometry, 4326),
    status          text NOT NULL DEFAULT 'standard' CHECK (status IN ('standard', 'draft', 'retired')),
    version         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT place_name_geom_valid CHECK (geom IS NULL OR ST_IsValid(geom))
);
CREATE INDEX place_name_geom_idx ON place_name USING gist (geom);
CREATE INDEX place_name_name_trgm ON place_name USING gin (name gin_trgm_ops);
CREATE INDEX place_name_admin_idx ON place_name (admin_code);

-- 道路 roads, with their house-numbering rule.
CREATE TABLE road (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (name <> ''),
    pinyin           text,
    pinyin_draft     text NOT NULL DEFAULT '',
    admin_code       division_code,
    kind             text NOT NULL DEFAULT '',
    geom             geometry(LineString, 4326) NOT NULL,
    numbering_origin text NOT NULL DEFAULT 'start' CHECK (numbering_origin IN ('start', 'end')),
    odd_side         text NOT NULL DEFAULT 'left' CHECK (odd_side IN ('left', 'right')),
    one_sided        boolean NOT NULL DEFAULT false,
    source           text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT road_geom_valid CHECK (ST_IsValid(geom) AND ST_NPoints(geom) >= 2),
    CONSTRAINT road_natural_key UNIQUE NULLS NOT DISTINCT (admin_code, name)
);
CREATE INDEX road_geom_idx ON road USING gist (geom);
CREATE INDEX road_name_trgm ON road USING gin (name gin_trgm_ops);

-- 门牌 house numbers along roads, with history.
CREATE TABLE house_number (
    id          bigserial PRIMARY KEY,
    road_id     bigint NOT NULL REFERENCES road (id),
    number      integer NOT NULL CHECK (number > 0),
    suffix      text NOT NULL DEFAULT '' CHECK (suffix IN ('', '甲', '乙', '丙', '丁', '之一', '之二', '之三', '附')),
    building    text NOT NULL DEFAULT '',     -- 幢/栋
    admin_code  division_code,
    geom        geometry(Point, 4326) NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'planned', 'retired')),
    valid_from  date NOT NULL DEFAULT current_date,
    valid_to    date,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT house_number_validity CHECK (valid_to IS NULL OR valid_to > valid_from),
    CONSTRAINT house_number_one_active EXCLUDE USING gist (
        road_id WITH =, number WITH =, suffix WITH =, building WITH =,
        daterange(valid_from, valid_to, '[)') WITH &&)
);
CREATE INDEX house_number_geom_idx ON house_number USING gist (geom);

-- 数字门牌 digital plates: a short, non-guessable id whose QR opens the address record.
CREATE TABLE plate (
    id              text PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z]{8,16}$'),
    house_number_id bigint NOT NULL REFERENCES house_number (id),
    status          text NOT NULL DEFAULT 'ordered' CHECK (status IN ('ordered', 'installed', 'damaged', 'removed')),
    installed_on    date,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plate_house_number_idx ON plate (house_number_id);

-- 界线 administrative boundary lines between two units.
CREATE TABLE boundary_line (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    left_code   division_code NOT NULL,
    right_code  division_code NOT NULL,
    geom        geometry(MultiLineString, 4326) NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT boundary_line_sides CHECK (left_code <> right_code),
    CONSTRAINT boundary_line_geom_valid CHECK (ST_IsValid(geom)),
    UNIQUE (left_code, right_code, name)
);
CREATE INDEX boundary_line_geom_idx ON boundary_line USING gist (geom);

-- 界桩 boundary markers numbered along a line.
CREATE TABLE boundary_marker (
    id              bigserial PRIMARY KEY,
    line_id         bigint NOT NULL REFERENCES boundary_line (id),
    number          text NOT NULL CHECK (number <> ''),
    kind            text NOT NULL CHECK (kind IN ('single', 'paired', 'triple')),
    geom            geometry(Point, 4326) NOT NULL,
    condition       text NOT NULL DEFAULT 'good' CHECK (condition IN ('good', 'damaged', 'missing', 'moved')),
    last_inspected  date,
    findings        text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (line_id, number)
);
CREATE INDEX boundary_marker_geom_idx ON boundary_marker USING gist (geom);

-- 设施 facilities of the civil-affairs services (养老, 儿童福利, 殡葬).
CREATE TABLE facility (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    ext_id        text NOT NULL CHECK (ext_id <> ''),     -- the id in the source file
    name          text NOT NULL CHECK (name <> ''),
    beds          integer CHECK (beds >= 0),
    nursing_beds  integer CHECK (nursing_beds >= 0),
    dementia_beds integer CHECK (dementia_beds >= 0),
    status        text NOT NULL DEFAULT 'operating' CHECK (status IN ('operating', 'planned', 'closed')),
    geom          geometry(Point, 4326) NOT NULL,
    address       text NOT NULL DEFAULT '',
    admin_code    division_code,
    source        text NOT NULL DEFAULT '',
    version       integer NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT facility_beds CHECK (
        (nursing_beds IS NULL OR beds IS NULL OR nursing_beds <= beds) AND
        (dementia_beds IS NULL OR beds IS NULL OR dementia_beds <= beds)),
    CONSTRAINT facility_lonlat CHECK (ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -90 AND 90),
    UNIQUE (kind, ext_id)
);
CREATE INDEX facility_geom_idx ON facility USING gist (geom);
CREATE INDEX facility_kind_idx ON facility (kind, status);
CREATE INDEX facility_admin_idx ON facility (admin_code);

-- Users and API tokens. Tokens are stored as SHA-256 hashes; the secret is shown once.
CREATE TABLE app_user (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role        text NOT NULL CHECK (role IN ('viewer', 'planner', 'names-editor', 'boundary-editor', 'admin')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled    boolean NOT NULL DEFAULT false
);

CREATE TABLE api_token (
    id          bigserial PRIMARY KEY,
    user_name   text NOT NULL REFERENCES app_user (name),
    prefix      text NOT NULL,                  -- first characters, to recognise a token in lists
    hash        bytea NOT NULL UNIQUE,          -- sha256(secret)
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    last_used_at timestamptz
);

-- 审计日志 audit log: every write, with who, when, what and the before/after state.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,                  -- user name, or cli:<os user>
    via         text NOT NULL CHECK (via IN ('api', 'cli', 'system')),
    action      text NOT NULL,                  -- create | update | delete | import | token.create ...
    entity      text NOT NULL,                  -- admin_unit | facility | road | api_token ...
    entity_key  text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    detail      jsonb,
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_key, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- The deepest current unit whose boundary covers a point (NULL where no boundary does).
CREATE FUNCTION admin_code_at(p geometry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.code FROM admin_unit a
    WHERE a.valid_to IS NULL AND a.geom IS NOT NULL AND ST_Covers(a.geom, p)
    ORDER BY a.level DESC LIMIT 1
$$;
