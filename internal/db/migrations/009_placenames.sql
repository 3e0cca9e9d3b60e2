-- 地名 place names for the place-name office (地名办): the census fields beside the ones of
-- migration 001 (heritage listing, naming act, retirement, source), one
-- current record per (division, category, name), and the history of naming acts
-- (命名、更名、销名) that keeps every former name. GB/T 18521 category codes and their
-- Chinese names are listed in gazetteer/placename/category.go. Renames also append the old
-- name to place_name.historical_names, which the search index reads (snapshot), so a
-- former name still finds the place.

ALTER TABLE place_name
    ADD COLUMN heritage_level text NOT NULL DEFAULT ''
        CHECK (heritage_level IN ('', 'national', 'provincial', 'municipal', 'county')),
    ADD COLUMN heritage_list  text NOT NULL DEFAULT '',   -- 地名文化遗产 list: 千年古镇, 千年古村落 ...
    ADD COLUMN approval_no    text NOT NULL DEFAULT '',   -- the naming (or last renaming) act 批准文号
    ADD COLUMN approved_on    date,
    ADD COLUMN retired_on     date,                       -- 销名
    ADD COLUMN source         text NOT NULL DEFAULT '',
    ADD COLUMN created_at     timestamptz NOT NULL DEFAULT now(),
    -- Lengths are migration 006's (name and pinyin 200, origin/meaning/history 4,000).
    ADD CONSTRAINT place_name_name_trimmed CHECK (name = btrim(name)),
    ADD CONSTRAINT place_name_source_len CHECK (char_length(source) <= 500),
    ADD CONSTRAINT place_name_heritage CHECK (heritage = (heritage_list <> '')),
    ADD CONSTRAINT place_name_retired CHECK ((status = 'retired') = (retired_on IS NOT NULL)),
    ADD CONSTRAINT place_name_geom_nonempty CHECK (geom IS NULL OR NOT ST_IsEmpty(geom));

-- One current (not retired) record per division, category and name; a retired name may be
-- given again.
CREATE UNIQUE INDEX place_name_current_key ON place_name (admin_code, category, name)
    WHERE status <> 'retired';
CREATE INDEX place_name_category_idx ON place_name (category, admin_code);

-- 地名命名、更名、销名 acts, oldest first per place. A rename keeps the old name and pinyin.
CREATE TABLE place_name_history (
    id             bigserial PRIMARY KEY,
    place_name_id  bigint NOT NULL REFERENCES place_name (id),
    act            text NOT NULL CHECK (act IN ('name', 'rename', 'retire')),
    name_before    text,                  -- rename, retire: the name until this act
    pinyin_before  text,
    name_after     text,                  -- name, rename: the name from this act
    pinyin_after   text,
    approval_no    text NOT NULL DEFAULT '',
    approved_on    date,
    actor          text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT place_name_history_names CHECK (
        (act = 'name' AND name_after IS NOT NULL) OR
        (act = 'rename' AND name_before IS NOT NULL AND name_after IS NOT NULL) OR
        (act = 'retire' AND name_before IS NOT NULL))
);
CREATE INDEX place_name_history_place_idx ON place_name_history (place_name_id, id);
