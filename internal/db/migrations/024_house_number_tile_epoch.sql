-- House-number tiles (门牌图层) are cached like the other layers: house_number gets a change
-- counter in tile_epoch (migration 005), bumped by the same statement-level trigger in the
-- writing transaction, so a tile drawn before an edit is never served after it commits.
-- Before this, the layer was drawn from PostGIS on every request.
INSERT INTO tile_epoch (tbl) VALUES ('house_number') ON CONFLICT DO NOTHING;
CREATE TRIGGER house_number_tile_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON house_number
    FOR EACH STATEMENT EXECUTE FUNCTION tile_epoch_bump();
