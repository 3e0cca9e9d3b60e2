-- Limits (限制) on user-supplied text, and roles on tokens.
--
-- Text columns get a maximum length in characters (char_length) by class, the same
-- bounds that package internal/limits gives the importers and the API, so that nothing
-- longer lands even when written by SQL directly:
--   names, pinyin, aliases, kinds, identifiers   200   (limits.Name)
--   addresses, file names and sources            500   (limits.Address)
--   notes, findings, origin and history          4,000 (limits.Note)
-- Generated pinyin drafts of a 200-character name can be longer than 200 characters;
-- they are bounded as notes. Derived tables (coverage results) and the audit log are not
-- bounded: they hold what the bounded tables and the service produce.

-- Whether every item of an array is at most max_chars long. The constraints call it only
-- when the items together are longer than that (cheap built-ins first: a per-row function
-- call tripled the time of the national division import's inserts).
CREATE FUNCTION text_items_fit(items text[], max_chars integer) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    x text;
BEGIN
    FOREACH x IN ARRAY items LOOP
        IF char_length(x) > max_chars THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;

ALTER TABLE admin_unit
    ADD CONSTRAINT admin_unit_name_len CHECK (char_length(name) <= 200),
    ADD CONSTRAINT admin_unit_kind_len CHECK (char_length(kind) <= 200),
    ADD CONSTRAINT admin_unit_pinyin_len CHECK (char_length(pinyin) <= 200),
    ADD CONSTRAINT admin_unit_pinyin_draft_len CHECK (char_length(pinyin_draft) <= 4000),
    ADD CONSTRAINT admin_unit_pinyin_initials_len CHECK (char_length(pinyin_initials) <= 4000),
    ADD CONSTRAINT admin_unit_aliases_len CHECK (cardinality(aliases) <= 100 AND
        (char_length(array_to_string(aliases, '')) <= 200 OR text_items_fit(aliases, 200))),
    ADD CONSTRAINT admin_unit_source_len CHECK (char_length(source) <= 500);

ALTER TABLE admin_code_change
    ADD CONSTRAINT admin_code_change_note_len CHECK (char_length(note) <= 4000);

ALTER TABLE place_name
    ADD CONSTRAINT place_name_name_len CHECK (char_length(name) <= 200),
    ADD CONSTRAINT place_name_pinyin_len CHECK (char_length(pinyin) <= 200),
    ADD CONSTRAINT place_name_pinyin_draft_len CHECK (char_length(pinyin_draft) <= 4000),
    ADD CONSTRAINT place_name_aliases_len CHECK (cardinality(aliases) <= 100 AND
        (char_length(array_to_string(aliases, '')) <= 200 OR text_items_fit(aliases, 200))),
    ADD CONSTRAINT place_name_origin_len CHECK (char_length(origin) <= 4000),
    ADD CONSTRAINT place_name_meaning_len CHECK (char_length(meaning) <= 4000),
    ADD CONSTRAINT place_name_history_len CHECK (char_length(history) <= 4000);

ALTER TABLE road
    ADD CONSTRAINT road_name_len CHECK (char_length(name) <= 200),
    ADD CONSTRAINT road_pinyin_len CHECK (char_length(pinyin) <= 200),
    ADD CONSTRAINT road_pinyin_draft_len CHECK (char_length(pinyin_draft) <= 4000),
    ADD CONSTRAINT road_kind_len CHECK (char_length(kind) <= 200),
    ADD CONSTRAINT road_source_len CHECK (char_length(source) <= 500);

ALTER TABLE house_number
    ADD CONSTRAINT house_number_building_len CHECK (char_length(building) <= 200);

ALTER TABLE boundary_line
    ADD CONSTRAINT boundary_line_name_len CHECK (char_length(name) <= 200);

ALTER TABLE boundary_marker
    ADD CONSTRAINT boundary_marker_number_len CHECK (char_length(number) <= 200),
    ADD CONSTRAINT boundary_marker_findings_len CHECK (char_length(findings) <= 4000);

ALTER TABLE facility
    ADD CONSTRAINT facility_kind_len CHECK (char_length(kind) <= 200),
    ADD CONSTRAINT facility_ext_id_len CHECK (char_length(ext_id) <= 200),
    ADD CONSTRAINT facility_name_len CHECK (char_length(name) <= 200),
    ADD CONSTRAINT facility_address_len CHECK (char_length(address) <= 500),
    ADD CONSTRAINT facility_source_len CHECK (char_length(source) <= 500);

ALTER TABLE population_grid
    ADD CONSTRAINT population_grid_name_len CHECK (char_length(name) <= 200),
    ADD CONSTRAINT population_grid_source_len CHECK (char_length(source) <= 500);

-- Roles belong to tokens (令牌), not to users: a user may hold a viewer token and an
-- admin token at once, and issuing one never changes another. Existing tokens keep the
-- role their user had; the move is recorded in the audit log, one row per token.
ALTER TABLE api_token ADD COLUMN role text;
UPDATE api_token t SET role = u.role FROM app_user u WHERE u.name = t.user_name;
ALTER TABLE api_token
    ALTER COLUMN role SET NOT NULL,
    ADD CONSTRAINT api_token_role CHECK (role IN ('viewer', 'planner', 'names-editor', 'boundary-editor', 'admin'));
INSERT INTO audit_log (actor, via, action, entity, entity_key, after, detail)
SELECT 'system', 'system', 'token.role', 'api_token', t.id::text,
       jsonb_build_object('user', t.user_name, 'role', t.role),
       jsonb_build_object('migration', '006_limits', 'reason', 'role moved from the user to the token')
FROM api_token t ORDER BY t.id;
ALTER TABLE app_user DROP COLUMN role;

-- Audit rows carry the request id: API writes pass it explicitly; bulk statements inside
-- an import transaction take it from the transaction-local setting fangyuan.request_id
-- (set by the importers: a command-line run's "cli-..." id).
ALTER TABLE audit_log ALTER COLUMN request_id SET DEFAULT coalesce(current_setting('fangyuan.request_id', true), '');
