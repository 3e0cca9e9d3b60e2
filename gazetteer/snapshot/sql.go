package snapshot

// All SQL of the snapshot package: one query per table, read whole.
const (
	// Every version of every unit (as-of queries need the history); geometry only where set.
	sqlUnitsSelect = `
SELECT code, level, kind, name, coalesce(parent_code, ''), coalesce(pinyin, ''), pinyin_draft, pinyin_initials,
  aliases, (valid_from - DATE '1970-01-01'), coalesce(valid_to - DATE '1970-01-01', 2147483647),
  CASE WHEN geom IS NOT NULL THEN ST_AsBinary(geom) END,
  CASE WHEN geom IS NOT NULL THEN ST_X(ST_PointOnSurface(geom)) END,
  CASE WHEN geom IS NOT NULL THEN ST_Y(ST_PointOnSurface(geom)) END,
  pinyin IS NOT NULL, version
FROM admin_unit`
	sqlUnits = sqlUnitsSelect + ` ORDER BY code, valid_from`
	// By code as a number: the index of the exclusion constraint admin_unit_one_active
	// answers it (a text comparison would scan the table: 0.3 s at national size).
	sqlUnitsByCode = sqlUnitsSelect + ` WHERE code::bigint = ANY($1::bigint[]) ORDER BY code, valid_from`

	sqlRoadsSelect = `
SELECT id, name, coalesce(pinyin, ''), pinyin_draft, coalesce(admin_code, ''), kind, ST_AsBinary(geom),
  numbering_origin, odd_side, one_sided, ST_Length(geom::geography), numbering_metric, numbering_step_m
FROM road`
	sqlRoads     = sqlRoadsSelect + ` ORDER BY id`
	sqlRoadsByID = sqlRoadsSelect + ` WHERE id = ANY($1) ORDER BY id`

	sqlHouseNumbersSelect = `
SELECT id, road_id, number, suffix, building, coalesce(admin_code, ''), ST_X(geom), ST_Y(geom),
  (valid_from - DATE '1970-01-01'), coalesce(valid_to - DATE '1970-01-01', 2147483647)
FROM house_number WHERE status <> 'retired'`
	sqlHouseNumbers     = sqlHouseNumbersSelect + ` ORDER BY road_id, number, id`
	sqlHouseNumbersByID = sqlHouseNumbersSelect + ` AND id = ANY($1) ORDER BY id`

	sqlPlaceNamesSelect = `
SELECT id, category, name, coalesce(pinyin, ''), pinyin_draft, aliases,
  coalesce(ARRAY(SELECT h->>'name' FROM jsonb_array_elements(historical_names) h WHERE h->>'name' IS NOT NULL), '{}'),
  coalesce(admin_code, ''),
  CASE WHEN geom IS NOT NULL THEN ST_X(ST_PointOnSurface(geom)) END,
  CASE WHEN geom IS NOT NULL THEN ST_Y(ST_PointOnSurface(geom)) END
FROM place_name WHERE status <> 'retired'`
	sqlPlaceNames     = sqlPlaceNamesSelect + ` ORDER BY id`
	sqlPlaceNamesByID = sqlPlaceNamesSelect + ` AND id = ANY($1) ORDER BY id`

	sqlListen = `LISTEN fangyuan_gazetteer`

	// The change log (migration 014). The horizon: every transaction with an xid below the
	// snapshot's xmin has ended, so its rows (if it committed) are visible from now on.
	sqlChangeHorizon = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, now()`
	// Pruning (PruneChanges): a batch of the rows older than the retention of transactions
	// that have ended.
	sqlPruneChanges = `
DELETE FROM gazetteer_change WHERE seq IN (
  SELECT seq FROM gazetteer_change
  WHERE at < now() - make_interval(secs => $1) AND xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY seq LIMIT $2)`
	// Rows of transactions at or above the last horizon not yet applied. Bounded: more
	// than that many waiting means a full rebuild anyway.
	sqlChanges = `
SELECT seq, tbl, coalesce(row_id, 0), op, xid::text::bigint FROM gazetteer_change
WHERE xid >= $1::text::xid8 AND NOT (xid::text::bigint = ANY($2::bigint[]))
ORDER BY seq LIMIT $3`
)

// Channel is the notification channel of migration 003's triggers.
const Channel = "fangyuan_gazetteer"
