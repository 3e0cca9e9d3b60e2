-- Change log of the gazetteer tables (变更日志): one row per changed row of admin_unit (by
-- code: row_id is the 12-digit code as a number, so a unit's versions are one key), road,
-- house_number and place_name, written by statement-level triggers in the same transaction
-- as the change. Readers follow it incrementally (gazetteer/snapshot.ReadChanges): the
-- in-memory indexes apply only the rows named here, and a node on a streaming replica sees
-- the log as soon as the replica replays it (NOTIFY of migration 003 only wakes a node on
-- the primary early). xid is the writing transaction: a reader takes everything from
-- transactions that finished since its last read, so a transaction that commits after a
-- later one (a lower seq visible late) is never skipped.
-- A statement changing more than 20,000 rows (an import) writes one 'reload' row instead:
-- readers rebuild everything from the tables, as they would for TRUNCATE.
CREATE TABLE gazetteer_change (
    seq    bigserial PRIMARY KEY,
    tbl    text NOT NULL CHECK (tbl IN ('admin_unit', 'road', 'house_number', 'place_name')),
    row_id bigint,                                   -- NULL for op 'reload'
    op     text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'reload')),
    xid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gazetteer_change_row CHECK ((op = 'reload') = (row_id IS NULL))
);
CREATE INDEX gazetteer_change_xid ON gazetteer_change (xid);

-- fangyuan_gazetteer_log(key column) logs the rows of the transition tables new_rows and
-- old_rows (whichever the event has) by that column.
CREATE FUNCTION fangyuan_gazetteer_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    keycol text := TG_ARGV[0];
    op text := lower(TG_OP);
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO gazetteer_change (tbl, op) VALUES (TG_TABLE_NAME, 'reload');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE 'SELECT count(*) FROM new_rows' INTO n;
    ELSE
        EXECUTE 'SELECT count(*) FROM old_rows' INTO n;
    END IF;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF n > 20000 THEN
        INSERT INTO gazetteer_change (tbl, op) VALUES (TG_TABLE_NAME, 'reload');
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO gazetteer_change (tbl, row_id, op) SELECT DISTINCT %L, %s::bigint, %L FROM new_rows',
            TG_TABLE_NAME, keycol, op);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO gazetteer_change (tbl, row_id, op) SELECT DISTINCT %L, %s::bigint, %L FROM old_rows',
            TG_TABLE_NAME, keycol, op);
    ELSE -- UPDATE: both keys (a recoded unit changes two codes)
        EXECUTE format('INSERT INTO gazetteer_change (tbl, row_id, op) SELECT DISTINCT %L, k, %L FROM
            (SELECT %s::bigint AS k FROM new_rows UNION SELECT %s::bigint FROM old_rows) x',
            TG_TABLE_NAME, op, keycol, keycol);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER admin_unit_change_ins AFTER INSERT ON admin_unit REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('code');
CREATE TRIGGER admin_unit_change_upd AFTER UPDATE ON admin_unit REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('code');
CREATE TRIGGER admin_unit_change_del AFTER DELETE ON admin_unit REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('code');
CREATE TRIGGER admin_unit_change_trunc AFTER TRUNCATE ON admin_unit
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('code');

CREATE TRIGGER road_change_ins AFTER INSERT ON road REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER road_change_upd AFTER UPDATE ON road REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER road_change_del AFTER DELETE ON road REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER road_change_trunc AFTER TRUNCATE ON road
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');

CREATE TRIGGER house_number_change_ins AFTER INSERT ON house_number REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER house_number_change_upd AFTER UPDATE ON house_number REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER house_number_change_del AFTER DELETE ON house_number REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER house_number_change_trunc AFTER TRUNCATE ON house_number
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');

CREATE TRIGGER place_name_change_ins AFTER INSERT ON place_name REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER place_name_change_upd AFTER UPDATE ON place_name REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER place_name_change_del AFTER DELETE ON place_name REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
CREATE TRIGGER place_name_change_trunc AFTER TRUNCATE ON place_name
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_log('id');
