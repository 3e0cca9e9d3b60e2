package plate

// All SQL of the plate package.

const plateColumns = `p.id, p.house_number_id, p.status, p.ordered_on, p.installed_on, p.damaged_on, p.removed_on, p.version`

// addressColumns are the house number, its road and the admin code of the plate's address.
const addressColumns = `r.id, r.name, coalesce(r.pinyin, nullif(r.pinyin_draft, ''), ''), h.number, h.suffix, h.building,
  coalesce(h.admin_code, r.admin_code, admin_code_at(h.geom), ''), ST_X(h.geom), ST_Y(h.geom), h.status`

const (
	sqlGetPlate = `
SELECT ` + plateColumns + `, ` + addressColumns + `
FROM plate p JOIN house_number h ON h.id = p.house_number_id JOIN road r ON r.id = h.road_id
WHERE p.id = $1`

	sqlLockPlate = `SELECT ` + plateColumns + ` FROM plate p WHERE p.id = $1 FOR UPDATE`

	sqlPlateEvents = `SELECT status, on_date FROM plate_event WHERE plate_id = $1 ORDER BY id`

	// The house number a plate is issued for, locked against a concurrent retirement.
	sqlLockHouseNumber = `SELECT status FROM house_number WHERE id = $1 FOR SHARE`

	sqlLivePlateOf = `SELECT id FROM plate WHERE house_number_id = $1 AND status <> 'removed'`

	sqlInsertPlate = `INSERT INTO plate (id, house_number_id, status, ordered_on) VALUES ($1, $2, 'ordered', $3)`

	sqlInsertEvent = `INSERT INTO plate_event (plate_id, status, on_date) VALUES ($1, $2, $3)`

	// $3 is the date of the new status; installed clears the damage of a repaired plate.
	sqlSetStatus = `
UPDATE plate SET status = $2,
  installed_on = CASE WHEN $2 = 'installed' THEN $3 ELSE installed_on END,
  damaged_on = CASE WHEN $2 = 'damaged' THEN $3 WHEN $2 = 'installed' THEN NULL ELSE damaged_on END,
  removed_on = CASE WHEN $2 = 'removed' THEN $3 ELSE removed_on END,
  version = version + 1, updated_at = now()
WHERE id = $1 AND version = $4`

	// The active house numbers of a road without a plate that is not removed, along the
	// road (number, suffix, building).
	sqlRoadNumbersWithoutPlate = `
SELECT h.id FROM house_number h
WHERE h.road_id = $1 AND h.status = 'active' AND h.valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM plate p WHERE p.house_number_id = h.id AND p.status <> 'removed')
ORDER BY h.number, h.suffix, h.building, h.id`

	sqlRoadExists = `SELECT name FROM road WHERE id = $1`

	// The plates of a road that are not removed, in number order, with their addresses.
	sqlRoadPlates = `
SELECT ` + plateColumns + `, ` + addressColumns + `
FROM plate p JOIN house_number h ON h.id = p.house_number_id JOIN road r ON r.id = h.road_id
WHERE r.id = $1 AND p.status <> 'removed'
ORDER BY h.number, h.suffix, h.building, p.id`

	// Every second active house number (by id) of the database without a live plate.
	sqlDemoNumbers = `
SELECT id FROM (
  SELECT h.id, row_number() OVER (ORDER BY h.id) AS n FROM house_number h
  WHERE h.status = 'active' AND h.valid_to IS NULL
) x
WHERE n % 2 = 1
  AND NOT EXISTS (SELECT 1 FROM plate p WHERE p.house_number_id = x.id AND p.status <> 'removed')
ORDER BY id`

	// The demo's plates in three statements: $1 ids, $2 house numbers, ordered on $3 and
	// installed on $4; audited as created by $5 via $6.
	sqlInsertDemoPlates = `
INSERT INTO plate (id, house_number_id, status, ordered_on, installed_on, version)
SELECT id, hn, 'installed', $3, $4, 2 FROM unnest($1::text[], $2::bigint[]) AS x (id, hn)`

	sqlInsertDemoEvents = `
INSERT INTO plate_event (plate_id, status, on_date)
SELECT id, s.status, s.on_date
FROM (VALUES (1, 'ordered', $2::date), (2, 'installed', $3::date)) AS s (n, status, on_date), unnest($1::text[]) WITH ORDINALITY AS x (id, i)
ORDER BY s.n, x.i`

	sqlAuditDemoPlates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, after, detail)
SELECT $5, $6, 'create', 'plate', id,
  jsonb_build_object('id', id, 'house_number_id', hn, 'status', 'installed', 'ordered_on', $3::date, 'installed_on', $4::date),
  '{"source": "demo"}'::jsonb
FROM unnest($1::text[], $2::bigint[]) AS x (id, hn)`

	// The division chain of a code, from the province down.
	sqlDivisionChain = `
WITH RECURSIVE c AS (
  SELECT code, level, name, coalesce(pinyin, nullif(pinyin_draft, ''), '') AS py, parent_code
  FROM admin_unit WHERE code = $1 AND valid_to IS NULL
  UNION ALL
  SELECT a.code, a.level, a.name, coalesce(a.pinyin, nullif(a.pinyin_draft, ''), ''), a.parent_code
  FROM admin_unit a JOIN c ON a.code = c.parent_code AND a.valid_to IS NULL
)
SELECT code, level, name, py FROM c ORDER BY level`

	// The nearest operating facility of each kind to a point: ten candidates by the
	// planar index, ranked by the geodesic distance (geography, metres).
	sqlNearestFacilities = `
WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
SELECT k.kind, n.name, n.address, n.dist
FROM (SELECT DISTINCT kind FROM facility WHERE status = 'operating') k
CROSS JOIN p
CROSS JOIN LATERAL (
  SELECT c.name, c.address, ST_Distance(c.geom::geography, p.g::geography) AS dist
  FROM (SELECT f.name, f.address, f.geom FROM facility f
        WHERE f.kind = k.kind AND f.status = 'operating'
        ORDER BY f.geom <-> p.g LIMIT 10) c
  ORDER BY dist, c.name LIMIT 1
) n
ORDER BY k.kind`
)
