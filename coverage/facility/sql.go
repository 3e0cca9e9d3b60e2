package facility

// All SQL of the facility package.

const facilityColumns = `f.id, f.kind, f.ext_id, f.name, f.beds, f.nursing_beds, f.dementia_beds, f.status,
  ST_X(f.geom), ST_Y(f.geom), f.address, f.admin_code, f.source, f.version, f.updated_at`

const (
	sqlListFacilities = `
SELECT ` + facilityColumns + `, count(*) OVER ()
FROM facility f
WHERE ($1::text IS NULL OR f.kind = $1)
  AND ($2::text IS NULL OR f.status = $2)
  AND ($3::text IS NULL OR f.admin_code LIKE $3 || '%')
  AND ($4::float8 IS NULL OR f.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326))
ORDER BY f.kind, f.id
LIMIT $8 OFFSET $9`

	sqlGetFacility = `SELECT ` + facilityColumns + ` FROM facility f WHERE f.id = $1`

	sqlGetFacilityForUpdate = `SELECT ` + facilityColumns + ` FROM facility f WHERE f.id = $1 FOR UPDATE`

	sqlInsertFacility = `
INSERT INTO facility (kind, ext_id, name, beds, nursing_beds, dementia_beds, status, geom, address, admin_code, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, ST_SetSRID(ST_MakePoint($8, $9), 4326), $10,
  coalesce($11, admin_code_at(ST_SetSRID(ST_MakePoint($8, $9), 4326))), $12)
RETURNING id`

	sqlUpdateFacility = `
UPDATE facility SET name = $2, beds = $3, nursing_beds = $4, dementia_beds = $5, status = $6,
  geom = ST_SetSRID(ST_MakePoint($7, $8), 4326), address = $9,
  admin_code = coalesce($10, admin_code_at(ST_SetSRID(ST_MakePoint($7, $8), 4326))),
  version = version + 1, updated_at = now()
WHERE id = $1 AND version = $11
RETURNING id`

	// The codes of $1 that name no current division.
	sqlUnknownAdminCodes = `
SELECT c FROM unnest($1::text[]) AS c
WHERE NOT EXISTS (SELECT 1 FROM admin_unit a WHERE a.code = c AND a.valid_to IS NULL)
ORDER BY c`

	sqlDeleteFacility = `DELETE FROM facility WHERE id = $1 AND version = $2`

	sqlStageFacilities = `
CREATE TEMP TABLE stage_facility (
  line int, ext_id text PRIMARY KEY, name text, beds int, nursing_beds int, dementia_beds int,
  status text, lon float8, lat float8, address text, admin_code text
) ON COMMIT DROP`

	// The admin code is the file's, or the deepest unit covering the point.
	sqlClassifyFacilities = `
CREATE TEMP TABLE diff_facility ON COMMIT DROP AS
WITH s AS (
  SELECT s.*, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS geom FROM stage_facility s
), c AS (
  SELECT s.*, coalesce(s.admin_code, admin_code_at(s.geom)) AS code
  FROM s
)
SELECT c.*, f.id AS cur_id,
  CASE WHEN f.id IS NULL THEN 'insert'
       WHEN (f.name, f.beds, f.nursing_beds, f.dementia_beds, f.status, f.address, f.admin_code)
            IS NOT DISTINCT FROM (c.name, c.beds, c.nursing_beds, c.dementia_beds, c.status, c.address, c.code)
            AND ST_Equals(f.geom, c.geom) THEN 'same'
       ELSE 'update' END AS op
FROM c LEFT JOIN facility f ON f.kind = $1 AND f.ext_id = c.ext_id`

	sqlCountFacilityOps = `SELECT op, count(*) FROM diff_facility GROUP BY op`

	sqlFacilitiesOutside = `
SELECT line, ext_id FROM diff_facility
WHERE code IS NULL AND EXISTS (SELECT 1 FROM admin_unit WHERE geom IS NOT NULL AND valid_to IS NULL)
ORDER BY line`

	sqlAuditFacilityUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'facility', $3 || '/' || d.ext_id,
  jsonb_build_object('name', f.name, 'beds', f.beds, 'nursing_beds', f.nursing_beds, 'dementia_beds', f.dementia_beds,
    'status', f.status, 'address', f.address, 'admin_code', f.admin_code, 'lon', ST_X(f.geom), 'lat', ST_Y(f.geom)),
  jsonb_build_object('name', d.name, 'beds', d.beds, 'nursing_beds', d.nursing_beds, 'dementia_beds', d.dementia_beds,
    'status', d.status, 'address', d.address, 'admin_code', d.code, 'lon', d.lon, 'lat', d.lat),
  jsonb_build_object('source', $4::text, 'line', d.line)
FROM diff_facility d JOIN facility f ON f.id = d.cur_id WHERE d.op = 'update'`

	sqlApplyFacilityUpdates = `
UPDATE facility f SET name = d.name, beds = d.beds, nursing_beds = d.nursing_beds, dementia_beds = d.dementia_beds,
  status = d.status, geom = d.geom, address = d.address, admin_code = d.code, source = $1,
  version = f.version + 1, updated_at = now()
FROM diff_facility d WHERE d.op = 'update' AND f.id = d.cur_id`

	sqlInsertFacilities = `
INSERT INTO facility (kind, ext_id, name, beds, nursing_beds, dementia_beds, status, geom, address, admin_code, source)
SELECT $1, ext_id, name, beds, nursing_beds, dementia_beds, status, geom, address, code, $2
FROM diff_facility WHERE op = 'insert'`

	// Facilities imported before the boundaries get their admin code when the boundaries come.
	sqlAssignAdminCodes = `
UPDATE facility SET admin_code = admin_code_at(geom), updated_at = now()
WHERE admin_code IS NULL AND admin_code_at(geom) IS NOT NULL`
)

// The OGC API collections of facilities (ogc.go): one per kind, read by keyset on f.id.
const (
	ogcFrom  = `facility f`
	ogcWhere = `f.kind = $1`
	ogcKey   = `f.id`
	// Fixed by ogcWhere: pages are ranges of the (kind, id) index of migration 015.
	ogcKeyPrefix = `f.kind`
	ogcGeom      = `f.geom`
)

// ogcColumns are the expressions of ogcProperties, in order.
var ogcColumns = []string{`f.ext_id`, `f.name`, `f.status`, `f.beds`, `f.nursing_beds`, `f.dementia_beds`, `f.address`, `f.admin_code`, `f.source`, `f.version`, `f.updated_at`}
