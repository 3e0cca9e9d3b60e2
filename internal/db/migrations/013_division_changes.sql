-- 区划代码年度更新 the yearly division-code update: each applied update keeps its change
-- report (new, retired, renamed, re-parented, recoded, merged and split units, with the
-- old → new mapping that was inferred; the mapping itself also goes to admin_code_change of
-- migration 001), and the records hanging on a code (facilities, roads, house numbers,
-- place names, boundary lines, inspection rounds) that did not follow a one-to-one mapping
-- and wait for a person to decide where they belong (nothing is dropped).

CREATE TABLE division_change_report (
    id          bigserial PRIMARY KEY,
    valid_from  date NOT NULL,                  -- the snapshot date of the new table
    source      text NOT NULL DEFAULT '' CHECK (char_length(source) <= 1000),
    provinces   text[] NOT NULL DEFAULT '{}',   -- the 2-digit province codes compared
    actor       text NOT NULL,
    via         text NOT NULL,
    summary     jsonb NOT NULL DEFAULT '{}',    -- counts per change kind and per dependant table
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX division_change_report_valid_from_idx ON division_change_report (valid_from);

-- One change of one unit. A vanished code appears once as recoded, merged (one row per
-- candidate target when the target is ambiguous), split (one row per part) or retired
-- (no successor); a code of the new table appears as new unless it is the new code of a
-- recoded unit. renamed and reparented rows stand beside recoded ones or alone (same code).
CREATE TABLE division_change_row (
    report_id   bigint NOT NULL REFERENCES division_change_report (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('new', 'retired', 'renamed', 'reparented', 'recoded', 'merged', 'split')),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    old_code    text NOT NULL DEFAULT '',
    new_code    text NOT NULL DEFAULT '',
    old_name    text NOT NULL DEFAULT '',
    new_name    text NOT NULL DEFAULT '',
    old_parent  text NOT NULL DEFAULT '',
    new_parent  text NOT NULL DEFAULT '',
    ambiguous   boolean NOT NULL DEFAULT false, -- one of several candidate targets
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (report_id, seq)
);
CREATE INDEX division_change_row_old_idx ON division_change_row (old_code);
CREATE INDEX division_change_row_new_idx ON division_change_row (new_code);

-- A record on a code that did not follow: its unit split, merged into an ambiguous target
-- or was abolished, or following would collide with a record already there.
CREATE TABLE division_change_pending (
    report_id   bigint NOT NULL REFERENCES division_change_report (id) ON DELETE CASCADE,
    entity      text NOT NULL,                  -- facility | road | house_number | place_name | boundary_line | inspection_round
    entity_id   bigint NOT NULL,
    field       text NOT NULL,                  -- admin_code | left_code | right_code | scope_unit
    code        text NOT NULL,                  -- the code it still carries
    candidates  text[] NOT NULL DEFAULT '{}',   -- codes it may belong to now
    reason      text NOT NULL,
    label       text NOT NULL DEFAULT '',       -- the record's name, for the person deciding
    PRIMARY KEY (report_id, entity, entity_id, field)
);
