-- In-memory gazetteer indexes (search, address parsing, reverse geocoding) are built from
-- these tables at start; a change to any of them notifies the channel fangyuan_gazetteer so
-- running servers rebuild and swap their indexes without a restart. One notification per
-- statement (an import of 665k rows sends a handful, not 665k).
CREATE FUNCTION fangyuan_gazetteer_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fangyuan_gazetteer', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER admin_unit_gazetteer_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON admin_unit
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_notify();
CREATE TRIGGER road_gazetteer_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON road
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_notify();
CREATE TRIGGER house_number_gazetteer_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON house_number
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_notify();
CREATE TRIGGER place_name_gazetteer_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON place_name
    FOR EACH STATEMENT EXECUTE FUNCTION fangyuan_gazetteer_notify();
