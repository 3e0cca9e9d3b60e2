package housenumber

const (
	// sqlRoadCols are a road with what resolving its rule needs: whether each end touches
	// another road (dead-end lanes: named …巷/胡同/弄/里 or of kind lane/alley/service) and
	// the centroid of its county.
	sqlRoadCols = `
r.id, r.name, coalesce(r.admin_code, ''), r.kind, ST_AsBinary(r.geom), r.numbering_origin, r.odd_side, r.one_sided,
r.numbering_override, coalesce(r.numbering_preset, ''), r.numbering_metric, r.numbering_step_m, r.version,
(r.kind IN ('lane', 'alley', 'service') OR r.name ~ '(巷|胡同|弄|里)$'),
EXISTS (SELECT 1 FROM road o WHERE o.id <> r.id AND ST_DWithin(o.geom::geography, ST_StartPoint(r.geom)::geography, 15)),
EXISTS (SELECT 1 FROM road o WHERE o.id <> r.id AND ST_DWithin(o.geom::geography, ST_EndPoint(r.geom)::geography, 15)),
(SELECT ST_X(ST_Centroid(u.geom)) FROM admin_unit u WHERE u.code = left(r.admin_code, 6) || '000000' AND u.valid_to IS NULL AND u.geom IS NOT NULL LIMIT 1),
(SELECT ST_Y(ST_Centroid(u.geom)) FROM admin_unit u WHERE u.code = left(r.admin_code, 6) || '000000' AND u.valid_to IS NULL AND u.geom IS NOT NULL LIMIT 1)`

	sqlGetRoad          = `SELECT ` + sqlRoadCols + ` FROM road r WHERE r.id = $1`
	sqlGetRoadForUpdate = `SELECT ` + sqlRoadCols + ` FROM road r WHERE r.id = $1 FOR UPDATE`
	// Roads within a division code prefix (township: 9 significant digits, county: 6 …).
	sqlRoadsWithin = `SELECT ` + sqlRoadCols + ` FROM road r WHERE r.admin_code LIKE $1 || '%' ORDER BY r.id`

	sqlPresetCols = `name, title, origin, ew_from, ew_odd, ns_from, ns_odd, odd_side, lanes_from_entrance, lane_odd,
centre_lon, centre_lat, metric, step_m, is_default, note`
	sqlPresets       = `SELECT ` + sqlPresetCols + ` FROM numbering_preset ORDER BY name`
	sqlPreset        = `SELECT ` + sqlPresetCols + ` FROM numbering_preset WHERE name = $1`
	sqlDefaultPreset = `SELECT ` + sqlPresetCols + ` FROM numbering_preset WHERE is_default`

	sqlSetRoadRule = `
UPDATE road SET numbering_override = $2, numbering_preset = nullif($3, ''), numbering_origin = $4, odd_side = $5,
  one_sided = $6, numbering_metric = $7, numbering_step_m = $8, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $9`

	sqlHouseCols = `h.id, h.road_id, r.name, h.number, h.suffix, h.building, h.unit, h.room, coalesce(h.admin_code, ''),
ST_X(h.geom), ST_Y(h.geom), h.status, h.valid_from, h.valid_to, h.approval_no, h.approved_on, h.planned_on,
h.activated_on, h.retired_on, h.note, h.predecessor_id, h.source, h.version, h.updated_at`
	sqlGetHouse          = `SELECT ` + sqlHouseCols + ` FROM house_number h JOIN road r ON r.id = h.road_id WHERE h.id = $1`
	sqlGetHouseForUpdate = `SELECT ` + sqlHouseCols + ` FROM house_number h JOIN road r ON r.id = h.road_id WHERE h.id = $1 FOR UPDATE OF h`
	// The numbers of a road; retired ones only when $2.
	sqlRoadHouses = `SELECT ` + sqlHouseCols + ` FROM house_number h JOIN road r ON r.id = h.road_id
WHERE h.road_id = $1 AND ($2 OR h.status <> 'retired') ORDER BY h.number, h.suffix, h.id`

	// The admin code of a number is the township its point lies in, else its road's.
	sqlInsertHouse = `
INSERT INTO house_number (road_id, number, suffix, building, unit, room, geom, status, valid_from, approval_no,
  approved_on, planned_on, activated_on, note, predecessor_id, source, admin_code)
SELECT $1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9, current_date, $10, $11,
  CASE WHEN $9 = 'planned' THEN current_date END, CASE WHEN $9 = 'active' THEN current_date END, $12, $13, $14,
  coalesce((SELECT u.code FROM admin_unit u WHERE u.level = 4 AND u.valid_to IS NULL AND u.geom IS NOT NULL
     AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint($7, $8), 4326)) LIMIT 1), r.admin_code)
FROM road r WHERE r.id = $1
RETURNING id`

	sqlRetireHouse = `
UPDATE house_number SET status = 'retired', valid_to = greatest(valid_from, current_date), retired_on = current_date,
  approval_no = CASE WHEN $3 <> '' THEN $3 ELSE approval_no END,
  note = CASE WHEN $4 <> '' THEN $4 ELSE note END, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2`

	sqlActivateHouse = `
UPDATE house_number SET status = 'active', activated_on = current_date,
  approval_no = CASE WHEN $3 <> '' THEN $3 ELSE approval_no END, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2`

	// Lineage: every predecessor and successor of a number, with the distance in steps
	// (negative: predecessors).
	sqlLineage = `
WITH RECURSIVE up(id, pred, depth) AS (
  SELECT id, predecessor_id, 0 FROM house_number WHERE id = $1
  UNION ALL SELECT h.id, h.predecessor_id, up.depth - 1 FROM house_number h JOIN up ON h.id = up.pred WHERE up.depth > -1000
), down(id, depth) AS (
  SELECT id, 0 FROM house_number WHERE id = $1
  UNION ALL SELECT h.id, down.depth + 1 FROM house_number h JOIN down ON h.predecessor_id = down.id WHERE down.depth < 1000
)
SELECT id, depth FROM up WHERE depth < 0 UNION ALL SELECT id, depth FROM down WHERE depth > 0 ORDER BY 2`

	// The numbers of the roads within a prefix, for validation, with whether each point
	// lies outside its road's township (when the township has a boundary).
	sqlCheckHouses = `
SELECT h.id, h.road_id, h.number, h.suffix, h.building, h.unit, h.room, ST_X(h.geom), ST_Y(h.geom),
  coalesce(u.geom IS NOT NULL AND NOT ST_Covers(u.geom, h.geom), false)
FROM house_number h JOIN road r ON r.id = h.road_id
LEFT JOIN admin_unit u ON u.code = r.admin_code AND u.valid_to IS NULL
WHERE r.admin_code LIKE $1 || '%' AND h.status <> 'retired'
ORDER BY h.road_id, h.id`
)

// The OGC API collection (ogc.go): one expression per property of ogcProperties; the
// address as Address formats it.
const ogcFrom = `house_number h JOIN road r ON r.id = h.road_id`

var ogcColumns = []string{
	`r.name || h.number || '号' || h.suffix || CASE WHEN h.building <> '' THEN h.building || '幢' ELSE '' END
	 || CASE WHEN h.unit <> '' THEN h.unit || '单元' ELSE '' END || CASE WHEN h.room <> '' THEN h.room || '室' ELSE '' END`,
	`h.road_id`, `r.name`, `h.number`, `h.suffix`, `h.building`, `h.unit`, `h.room`, `h.admin_code`, `h.status`,
	`h.valid_from::text`, `h.valid_to::text`, `h.approval_no`, `h.approved_on::text`, `h.planned_on::text`, `h.activated_on::text`,
	`h.retired_on::text`, `h.note`, `h.predecessor_id`, `h.source`, `h.version`}
