package snapshot

// All SQL of the snapshot package: one query per table, read whole.
const (
	// Every version of every unit (as-of queries need the history); geometry only where set.
	sqlUnits = `
SELECT code, level, kind, name, coalesce(parent_code, ''), coalesce(pinyin, ''), pinyin_draft, pinyin_initials,
  aliases, (valid_from - DATE '1970-01-01'), coalesce(valid_to - DATE '1970-01-01', 2147483647),
  CASE WHEN geom IS NOT NULL THEN ST_AsBinary(geom) END,
  CASE WHEN geom IS NOT NULL THEN ST_X(ST_PointOnSurface(geom)) END,
  CASE WHEN geom IS NOT NULL THEN ST_Y(ST_PointOnSurface(geom)) END,
  pinyin IS NOT NULL, version
FROM admin_unit ORDER BY code, valid_from`

	sqlRoads = `
SELECT id, name, coalesce(pinyin, ''), pinyin_draft, coalesce(admin_code, ''), kind, ST_AsBinary(geom),
  numbering_origin, odd_side, one_sided, ST_Length(geom::geography), numbering_metric, numbering_step_m
FROM road ORDER BY id`

	sqlHouseNumbers = `
SELECT id, road_id, number, suffix, building, coalesce(admin_code, ''), ST_X(geom), ST_Y(geom),
  (valid_from - DATE '1970-01-01'), coalesce(valid_to - DATE '1970-01-01', 2147483647)
FROM house_number WHERE status <> 'retired' ORDER BY road_id, number`

	sqlPlaceNames = `
SELECT id, category, name, coalesce(pinyin, ''), pinyin_draft, aliases,
  coalesce(ARRAY(SELECT h->>'name' FROM jsonb_array_elements(historical_names) h WHERE h->>'name' IS NOT NULL), '{}'),
  coalesce(admin_code, ''),
  CASE WHEN geom IS NOT NULL THEN ST_X(ST_PointOnSurface(geom)) END,
  CASE WHEN geom IS NOT NULL THEN ST_Y(ST_PointOnSurface(geom)) END
FROM place_name WHERE status <> 'retired' ORDER BY id`

	sqlListen = `LISTEN fangyuan_gazetteer`
)

// Channel is the notification channel of migration 003's triggers.
const Channel = "fangyuan_gazetteer"
