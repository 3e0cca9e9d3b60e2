-- The OGC API reads facilities one kind at a time by keyset (WHERE kind = $1 AND id > $2
-- ORDER BY kind, id LIMIT n): an index on (kind, id) makes every page an index range
-- read. Without it the primary key is scanned in id order, filtering by kind, and the
-- first page of a kind whose ids follow another kind's 1 M rows read those 1 M rows first
-- (0.8 s; see docs/BENCHMARKS.md, "OGC API: facilities of one kind").
CREATE INDEX facility_kind_id_idx ON facility (kind, id);
