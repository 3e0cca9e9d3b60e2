package gazetteer

// All SQL of the gazetteer package, as named constants with $n parameters.

// Divisions: "current as of $asOf" means valid_from <= asOf < valid_to (NULL = open).
const (
	divisionColumns = `a.code, a.level, a.kind, a.name, a.parent_code, a.pinyin, a.pinyin_draft, a.aliases,
  to_char(a.valid_from, 'YYYY-MM-DD'), to_char(a.valid_to, 'YYYY-MM-DD'), a.geom IS NOT NULL, a.version`

	asOfClause = `a.valid_from <= $1::date AND (a.valid_to IS NULL OR a.valid_to > $1::date)`

	// sqlGetDivision is one division as of $1 with its admin chain, in one round trip. The
	// version of a code valid on $1 is found by index probes only (asOfClause with
	// a.code = x could use neither index, its OR on valid_to reaching both kinds of version,
	// and scanned the table: 0.4–0.75 s per lookup at national size): the current version
	// through the partial unique index on current codes, and only when that one is not
	// valid then (it began later, or the code has none) a closed version through the GiST
	// of the admin_unit_one_active constraint (code::bigint, validity daterange). At most
	// one version is valid on a day (the constraint), so LIMIT 1 is exact. The chain walks
	// up from the code to its province the same way (one probe per level) and comes back
	// as arrays (codes, levels, names, province first; NULL for a province).
	sqlGetDivision = `
WITH RECURSIVE chain AS (
  SELECT v.id, v.code, v.level, v.name, v.parent_code, 0 AS depth FROM (
    (SELECT a.id, a.code, a.level, a.name, a.parent_code FROM admin_unit a
     WHERE a.code = $2::text AND a.valid_to IS NULL AND a.valid_from <= $1::date)
    UNION ALL
    (SELECT a.id, a.code, a.level, a.name, a.parent_code FROM admin_unit a
     WHERE a.code::bigint = ($2::text)::bigint AND daterange(a.valid_from, a.valid_to, '[)') @> $1::date
       AND a.code = $2::text AND a.valid_to IS NOT NULL)
    LIMIT 1) v
  UNION ALL
  SELECT v.id, v.code, v.level, v.name, v.parent_code, c.depth + 1 FROM chain c CROSS JOIN LATERAL (
    (SELECT a.id, a.code, a.level, a.name, a.parent_code FROM admin_unit a
     WHERE a.code = c.parent_code AND a.valid_to IS NULL AND a.valid_from <= $1::date)
    UNION ALL
    (SELECT a.id, a.code, a.level, a.name, a.parent_code FROM admin_unit a
     WHERE a.code::bigint = c.parent_code::bigint AND daterange(a.valid_from, a.valid_to, '[)') @> $1::date
       AND a.code = c.parent_code AND a.valid_to IS NOT NULL)
    LIMIT 1) v
  WHERE c.depth < 6
), up AS (
  SELECT array_agg(code::text ORDER BY level) AS codes, array_agg(level ORDER BY level) AS levels,
    array_agg(name ORDER BY level) AS names
  FROM chain WHERE depth > 0
)
SELECT ` + divisionColumns + `,
  CASE WHEN $3 THEN ST_AsGeoJSON(a.geom, 7)::json END, up.codes, up.levels, up.names
FROM chain c JOIN admin_unit a ON a.id = c.id AND c.depth = 0 CROSS JOIN up`

	sqlListDivisions = `
SELECT ` + divisionColumns + `, count(*) OVER ()
FROM admin_unit a
WHERE ` + asOfClause + `
  AND ($2::text IS NULL OR a.parent_code = $2)
  AND ($3::smallint IS NULL OR a.level = $3)
ORDER BY a.code
LIMIT $4 OFFSET $5`

	sqlDivisionForUpdate = `
SELECT ` + divisionColumns + ` FROM admin_unit a WHERE a.code = $1 AND a.valid_to IS NULL FOR UPDATE`

	sqlUpdateDivisionNames = `
UPDATE admin_unit SET pinyin = $2, aliases = $3, version = version + 1, updated_at = now()
WHERE code = $1 AND valid_to IS NULL AND version = $4
RETURNING version`

	sqlLatestDivisionDate = `SELECT max(valid_from) FROM admin_unit`
)

// Division import: stage the rows, classify them against the current units, then apply.
const (
	sqlStageDivisions = `
CREATE TEMP TABLE stage_division (
  code text PRIMARY KEY, level smallint, kind text, name text, parent_code text,
  pinyin_draft text, pinyin_initials text
) ON COMMIT DROP`

	sqlClassifyDivisions = `
CREATE TEMP TABLE diff_division ON COMMIT DROP AS
SELECT s.*, a.id AS cur_id, a.valid_from AS cur_from,
  CASE WHEN a.id IS NULL THEN 'insert'
       WHEN (a.level, a.kind, a.name, a.parent_code) IS NOT DISTINCT FROM (s.level, s.kind, s.name, s.parent_code) THEN 'same'
       ELSE 'update' END AS op
FROM stage_division s LEFT JOIN admin_unit a ON a.code = s.code AND a.valid_to IS NULL`

	sqlCountDivisionOps = `SELECT op, count(*) FROM diff_division GROUP BY op`

	// A unit valid from before the snapshot date gets a new version; one first seen on or
	// after that date (a corrected re-import of the same snapshot) is updated in place.
	sqlAuditDivisionUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'admin_unit', d.code,
  jsonb_build_object('level', a.level, 'kind', a.kind, 'name', a.name, 'parent_code', a.parent_code, 'valid_from', a.valid_from),
  jsonb_build_object('level', d.level, 'kind', d.kind, 'name', d.name, 'parent_code', d.parent_code, 'valid_from', $3::date),
  jsonb_build_object('source', $4::text)
FROM diff_division d JOIN admin_unit a ON a.id = d.cur_id WHERE d.op = 'update'`

	sqlUpdateDivisionsInPlace = `
UPDATE admin_unit a SET level = d.level, kind = d.kind, name = d.name, parent_code = d.parent_code,
  pinyin = CASE WHEN a.name = d.name THEN a.pinyin END,
  pinyin_draft = d.pinyin_draft, pinyin_initials = d.pinyin_initials,
  source = $2, version = a.version + 1, updated_at = now()
FROM diff_division d
WHERE d.op = 'update' AND a.id = d.cur_id AND d.cur_from >= $1::date`

	sqlCloseDivisionVersions = `
UPDATE admin_unit a SET valid_to = $1::date, updated_at = now()
FROM diff_division d
WHERE d.op = 'update' AND a.id = d.cur_id AND d.cur_from < $1::date`

	sqlInsertDivisionVersions = `
INSERT INTO admin_unit (code, level, kind, name, parent_code, pinyin, pinyin_draft, pinyin_initials, aliases, valid_from, geom, source)
SELECT d.code, d.level, d.kind, d.name, d.parent_code,
  CASE WHEN a.name = d.name THEN a.pinyin END, d.pinyin_draft, d.pinyin_initials,
  CASE WHEN a.name <> d.name THEN array_append(a.aliases, a.name) ELSE a.aliases END,
  $1::date, a.geom, $2
FROM diff_division d JOIN admin_unit a ON a.id = d.cur_id
WHERE d.op = 'update' AND d.cur_from < $1::date`

	sqlInsertNewDivisions = `
INSERT INTO admin_unit (code, level, kind, name, parent_code, pinyin_draft, pinyin_initials, valid_from, source)
SELECT code, level, kind, name, parent_code, pinyin_draft, pinyin_initials, $1::date, $2
FROM diff_division WHERE op = 'insert'`

	// Retire current units of the imported provinces that the snapshot no longer lists.
	sqlRetireMissingDivisions = `
WITH gone AS (
  UPDATE admin_unit a SET valid_to = $1::date, updated_at = now()
  WHERE a.valid_to IS NULL AND a.valid_from < $1::date
    AND substr(a.code, 1, 2) = ANY ($2::text[])
    AND NOT EXISTS (SELECT 1 FROM stage_division s WHERE s.code = a.code)
  RETURNING a.code, a.name, a.level
)
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, detail)
SELECT $3, $4, 'retire', 'admin_unit', code, jsonb_build_object('name', name, 'level', level), jsonb_build_object('valid_to', $1::date)
FROM gone`

	sqlCheckDivisionParents = `
SELECT s.code, s.parent_code FROM stage_division s
WHERE s.parent_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM stage_division p WHERE p.code = s.parent_code)
  AND NOT EXISTS (SELECT 1 FROM admin_unit a WHERE a.code = s.parent_code AND a.valid_to IS NULL)
ORDER BY s.code LIMIT 20`
)

// Boundaries: attach polygons to current units, repairing invalid geometry.
const (
	sqlStageBoundaries = `
CREATE TEMP TABLE stage_boundary (idx int, code text, wkb bytea) ON COMMIT DROP`

	sqlPrepareBoundaries = `
CREATE TEMP TABLE prep_boundary ON COMMIT DROP AS
WITH s AS (SELECT idx, code, ST_GeomFromWKB(wkb, 4326) AS geom FROM stage_boundary)
SELECT s.idx, s.code,
  CASE WHEN ST_IsValid(s.geom) THEN NULL ELSE ST_IsValidReason(s.geom) END AS invalid_reason,
  ST_Multi(ST_CollectionExtract(ST_MakeValid(s.geom), 3))::geometry(MultiPolygon, 4326) AS geom,
  a.id AS unit_id, a.geom AS cur_geom
FROM s LEFT JOIN admin_unit a ON a.code = s.code AND a.valid_to IS NULL AND a.level = $1`

	sqlBoundaryProblems = `
SELECT idx, code, unit_id IS NULL, invalid_reason, ST_IsEmpty(geom)
FROM prep_boundary WHERE unit_id IS NULL OR invalid_reason IS NOT NULL OR ST_IsEmpty(geom)
ORDER BY idx`

	sqlCountBoundaryOps = `
SELECT count(*) FILTER (WHERE cur_geom IS NULL),
       count(*) FILTER (WHERE cur_geom IS NOT NULL AND NOT ST_Equals(cur_geom, geom)),
       count(*) FILTER (WHERE cur_geom IS NOT NULL AND ST_Equals(cur_geom, geom))
FROM prep_boundary WHERE unit_id IS NOT NULL AND NOT ST_IsEmpty(geom)`

	sqlAuditBoundaryUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'admin_unit.geom', p.code,
  jsonb_build_object('area_m2', round(ST_Area(p.cur_geom::geography)), 'npoints', ST_NPoints(p.cur_geom)),
  jsonb_build_object('area_m2', round(ST_Area(p.geom::geography)), 'npoints', ST_NPoints(p.geom)),
  jsonb_build_object('source', $3::text, 'repaired', p.invalid_reason)
FROM prep_boundary p
WHERE p.unit_id IS NOT NULL AND p.cur_geom IS NOT NULL AND NOT ST_IsEmpty(p.geom) AND NOT ST_Equals(p.cur_geom, p.geom)`

	sqlApplyBoundaries = `
UPDATE admin_unit a SET geom = p.geom, version = a.version + 1, updated_at = now()
FROM prep_boundary p
WHERE a.id = p.unit_id AND NOT ST_IsEmpty(p.geom) AND (a.geom IS NULL OR NOT ST_Equals(a.geom, p.geom))`
)

// Roads: upsert by (admin_code, name).
const (
	sqlStageRoads = `
CREATE TEMP TABLE stage_road (
  name text, admin_code text, kind text, wkb bytea, numbering_origin text, odd_side text,
  one_sided boolean, pinyin_draft text
) ON COMMIT DROP`

	sqlClassifyRoads = `
CREATE TEMP TABLE diff_road ON COMMIT DROP AS
SELECT s.name, s.admin_code, s.kind, s.numbering_origin, s.odd_side, s.one_sided, s.pinyin_draft,
  ST_GeomFromWKB(s.wkb, 4326)::geometry(LineString, 4326) AS geom, r.id AS cur_id,
  CASE WHEN r.id IS NULL THEN 'insert'
       WHEN (r.kind, r.numbering_origin, r.odd_side, r.one_sided) IS NOT DISTINCT FROM (s.kind, s.numbering_origin, s.odd_side, s.one_sided)
            AND ST_Equals(r.geom, ST_GeomFromWKB(s.wkb, 4326)) THEN 'same'
       ELSE 'update' END AS op
FROM stage_road s LEFT JOIN road r ON r.name = s.name AND r.admin_code IS NOT DISTINCT FROM s.admin_code`

	sqlCountRoadOps = `SELECT op, count(*) FROM diff_road GROUP BY op`

	sqlAuditRoadUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'road', coalesce(d.admin_code, '') || '/' || d.name,
  jsonb_build_object('kind', r.kind, 'numbering_origin', r.numbering_origin, 'odd_side', r.odd_side, 'one_sided', r.one_sided, 'length_m', round(ST_Length(r.geom::geography))),
  jsonb_build_object('kind', d.kind, 'numbering_origin', d.numbering_origin, 'odd_side', d.odd_side, 'one_sided', d.one_sided, 'length_m', round(ST_Length(d.geom::geography))),
  jsonb_build_object('source', $3::text)
FROM diff_road d JOIN road r ON r.id = d.cur_id WHERE d.op = 'update'`

	sqlApplyRoadUpdates = `
UPDATE road r SET kind = d.kind, geom = d.geom, numbering_origin = d.numbering_origin, odd_side = d.odd_side,
  one_sided = d.one_sided, source = $1, version = r.version + 1, updated_at = now()
FROM diff_road d WHERE d.op = 'update' AND r.id = d.cur_id`

	sqlInsertRoads = `
INSERT INTO road (name, pinyin_draft, admin_code, kind, geom, numbering_origin, odd_side, one_sided, source)
SELECT name, pinyin_draft, admin_code, kind, geom, numbering_origin, odd_side, one_sided, $1
FROM diff_road WHERE op = 'insert'`

	sqlCheckRoadAdmin = `
SELECT DISTINCT s.admin_code FROM stage_road s
WHERE s.admin_code IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM admin_unit a WHERE a.code = s.admin_code AND a.valid_to IS NULL)
LIMIT 20`

	sqlListRoads = `
SELECT r.id, r.name, r.admin_code, r.kind, r.numbering_origin, r.odd_side, r.one_sided, r.version,
  round(ST_Length(r.geom::geography))::int, ST_AsGeoJSON(r.geom, 7)::json, count(*) OVER ()
FROM road r
WHERE ($1::text IS NULL OR r.admin_code LIKE $1 || '%')
  AND ($2::float8 IS NULL OR r.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326))
ORDER BY r.admin_code, r.name
LIMIT $6 OFFSET $7`
)

// The OGC API collections (ogc.go): divisions of one level, versioned, read by keyset on
// the row id (an id names one version of a unit); roads by keyset on their id.
const (
	ogcDivisionFrom    = `admin_unit a`
	ogcDivisionWhere   = `a.level = $1`
	ogcDivisionCurrent = `a.valid_to IS NULL`
	ogcDivisionAsOf    = `a.valid_from <= %[1]s AND (a.valid_to IS NULL OR a.valid_to > %[1]s)`
	ogcRoadFrom        = `road r`
)

var (
	ogcDivisionColumns = []string{`a.code`, `a.name`, `a.level`, `a.kind`, `a.parent_code`, `a.pinyin`, `a.pinyin_draft`,
		`to_char(a.valid_from, 'YYYY-MM-DD')`, `to_char(a.valid_to, 'YYYY-MM-DD')`, `a.source`, `a.version`}
	ogcRoadColumns = []string{`r.name`, `r.admin_code`, `r.kind`, `r.numbering_origin`, `r.odd_side`, `r.one_sided`, `r.source`, `r.version`}
)
