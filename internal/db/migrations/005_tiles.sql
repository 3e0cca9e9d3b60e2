-- Vector tiles (矢量瓦片): a change counter per source table, bumped in the writing
-- transaction by statement-level triggers. The tile cache keys every tile by the sum of
-- the counters of the tables it is drawn from, so a tile made before an import, an edit
-- or a coverage run is never served after the change commits.

CREATE TABLE tile_epoch (
    tbl    text PRIMARY KEY,
    epoch  bigint NOT NULL DEFAULT 0
);
INSERT INTO tile_epoch (tbl) VALUES
    ('admin_unit'), ('road'), ('boundary_line'), ('facility'),
    ('population_grid'), ('coverage_run'), ('coverage_run_unit');

CREATE FUNCTION tile_epoch_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tile_epoch SET epoch = epoch + 1 WHERE tbl = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

CREATE TRIGGER admin_unit_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_unit
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER road_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON road
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER boundary_line_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON boundary_line
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER facility_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facility
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER population_grid_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON population_grid
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER coverage_run_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON coverage_run
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
CREATE TRIGGER coverage_run_unit_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON coverage_run_unit
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();

-- Township and village choropleths join run results to current boundaries by code.
CREATE INDEX IF NOT EXISTS admin_unit_level_current_idx ON admin_unit (level, code) WHERE valid_to IS NULL;
