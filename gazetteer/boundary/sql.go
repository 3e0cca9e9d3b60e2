package boundary

// All SQL of the boundary package.

const lineColumns = `b.id, b.ext_id, b.name, b.level, b.left_code::text, b.right_code::text, b.origin, b.source,
  coalesce(b.length_m, ST_Length(b.geom::geography)), ST_AsBinary(b.geom), b.version, b.updated_at,
  (SELECT max(m.last_inspected) FROM boundary_marker m WHERE m.line_id = b.id)`

const markerColumns = `m.id, m.number, m.line_id, b.ext_id, b.name, m.kind, m.condition, ST_X(m.geom), ST_Y(m.geom),
  m.photos, m.installed_on, m.last_inspected, m.findings, m.source, m.version, m.updated_at`

const (
	sqlListLines = `
SELECT ` + lineColumns + `, count(*) OVER ()
FROM boundary_line b
WHERE ($1::smallint IS NULL OR b.level = $1)
  AND ($2::text IS NULL OR b.left_code LIKE $2 || '%' OR b.right_code LIKE $2 || '%')
  AND ($3::bigint IS NULL OR b.id IN (SELECT line_id FROM inspection_round_line WHERE round_id = $3
                                      AND ($4::bigint IS NULL OR team_id = $4)))
ORDER BY b.level, b.ext_id
LIMIT $5 OFFSET $6`

	sqlListMarkers = `
SELECT ` + markerColumns + `, count(*) OVER ()
FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id
WHERE ($1::bigint IS NULL OR m.line_id = $1)
  AND ($2::text IS NULL OR m.condition = $2)
  AND ($3::bigint IS NULL OR m.line_id IN (SELECT line_id FROM inspection_round_line WHERE round_id = $3
                                          AND ($4::bigint IS NULL OR team_id = $4)))
ORDER BY m.number
LIMIT $5 OFFSET $6`

	sqlGetMarker          = `SELECT ` + markerColumns + ` FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id WHERE m.id = $1`
	sqlGetMarkerForUpdate = `SELECT ` + markerColumns + ` FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id WHERE m.id = $1 FOR UPDATE OF m`
	sqlMarkerByNumber     = `SELECT ` + markerColumns + ` FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id WHERE m.number = $1 FOR UPDATE OF m`

	sqlUpdateMarker = `
UPDATE boundary_marker SET kind = $2, condition = $3, geom = ST_SetSRID(ST_MakePoint($4, $5), 4326),
  photos = $6, installed_on = $7, last_inspected = $8, findings = $9,
  version = version + 1, updated_at = now()
WHERE id = $1 AND version = $10`

	// Lines import: stage, classify against ext_id, name missing names from the units.
	sqlStageLines = `
CREATE TEMP TABLE stage_line (
  idx int PRIMARY KEY, ext_id text, name text, left_code text, right_code text, level smallint, wkb bytea
) ON COMMIT DROP`

	sqlClassifyLines = `
CREATE TEMP TABLE diff_line ON COMMIT DROP AS
WITH s AS (
  SELECT s.*, ST_Multi(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326)) AS geom,
    l.name AS left_name, r.name AS right_name
  FROM stage_line s
  LEFT JOIN admin_unit l ON l.code = s.left_code AND l.valid_to IS NULL
  LEFT JOIN admin_unit r ON r.code = s.right_code AND r.valid_to IS NULL
), n AS (
  SELECT s.*, coalesce(nullif(s.name, ''), s.left_name || '—' || s.right_name || '线') AS full_name
  FROM s
), k AS (
  SELECT n.*, coalesce(nullif(n.ext_id, ''), n.full_name) AS key FROM n
)
SELECT k.idx, k.key, k.full_name, k.left_code, k.right_code, k.level, k.geom, ST_Length(k.geom::geography) AS length_m,
  k.left_name IS NULL AS left_missing, k.right_name IS NULL AS right_missing,
  NOT ST_IsValid(k.geom) AS invalid, b.id AS cur_id, o.ext_id AS clash,
  count(*) OVER (PARTITION BY k.left_code, k.right_code, k.full_name) > 1 AS twice,
  CASE WHEN k.left_name IS NULL OR k.right_name IS NULL OR NOT ST_IsValid(k.geom) OR o.ext_id IS NOT NULL
         OR count(*) OVER (PARTITION BY k.left_code, k.right_code, k.full_name) > 1 THEN 'reject'
       WHEN b.id IS NULL THEN 'insert'
       WHEN (b.name, b.level, b.left_code::text, b.right_code::text, b.origin) IS NOT DISTINCT FROM
            (k.full_name, k.level, k.left_code, k.right_code, $1::text)
            AND ST_Equals(b.geom, k.geom) THEN 'same'
       ELSE 'update' END AS op
FROM k LEFT JOIN boundary_line b ON b.ext_id = k.key
LEFT JOIN boundary_line o ON o.left_code = k.left_code AND o.right_code = k.right_code AND o.name = k.full_name AND o.ext_id <> k.key`

	sqlLineProblems = `SELECT idx, left_missing, right_missing, invalid, clash, twice FROM diff_line WHERE op = 'reject' ORDER BY idx`

	sqlCountLineOps = `SELECT op, count(*) FROM diff_line WHERE op <> 'reject' GROUP BY op`

	sqlAuditLineUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'boundary_line', d.key,
  jsonb_build_object('name', b.name, 'level', b.level, 'left_code', b.left_code, 'right_code', b.right_code,
    'origin', b.origin, 'length_m', b.length_m, 'version', b.version),
  jsonb_build_object('name', d.full_name, 'level', d.level, 'left_code', d.left_code, 'right_code', d.right_code,
    'origin', $4::text, 'length_m', d.length_m),
  jsonb_build_object('source', $3::text, 'feature', d.idx)
FROM diff_line d JOIN boundary_line b ON b.id = d.cur_id WHERE d.op = 'update'`

	sqlApplyLineUpdates = `
UPDATE boundary_line b SET name = d.full_name, level = d.level, left_code = d.left_code, right_code = d.right_code,
  geom = d.geom, length_m = d.length_m, origin = $2, source = $1, version = b.version + 1, updated_at = now()
FROM diff_line d WHERE d.op = 'update' AND b.id = d.cur_id`

	sqlInsertLines = `
INSERT INTO boundary_line (ext_id, name, level, left_code, right_code, geom, length_m, origin, source)
SELECT key, full_name, level, left_code, right_code, geom, length_m, $2, $1 FROM diff_line WHERE op = 'insert'`

	// Markers import.
	sqlStageMarkers = `
CREATE TEMP TABLE stage_marker (
  idx int PRIMARY KEY, number text, line_ref text, kind text, condition text, lon float8, lat float8,
  photos text[], installed_on date, last_inspected date, notes text
) ON COMMIT DROP`

	sqlClassifyMarkers = `
CREATE TEMP TABLE diff_marker ON COMMIT DROP AS
WITH s AS (
  SELECT s.*, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS geom FROM stage_marker s
), r AS (
  SELECT s.*, CASE WHEN s.line_ref <> '' THEN
      (SELECT b.id FROM boundary_line b WHERE b.ext_id = s.line_ref OR b.name = s.line_ref
       ORDER BY (b.ext_id = s.line_ref) DESC, b.id LIMIT 1)
    ELSE (SELECT b.id FROM boundary_line b ORDER BY b.geom <-> s.geom, b.id LIMIT 1) END AS line_id
  FROM s
)
SELECT r.*, m.id AS cur_id,
  CASE WHEN r.line_id IS NULL THEN 'noline'
       WHEN m.id IS NULL THEN 'insert'
       WHEN (m.line_id, m.kind, m.condition, m.photos, m.installed_on, m.last_inspected, m.findings)
            IS NOT DISTINCT FROM (r.line_id, r.kind, r.condition, r.photos, r.installed_on, r.last_inspected, r.notes)
            AND ST_Equals(m.geom, r.geom) THEN 'same'
       ELSE 'update' END AS op
FROM r LEFT JOIN boundary_marker m ON m.number = r.number`

	// For each marker with a line: its distance to the line and, for a three-way marker,
	// how many units of the line's level lie within the tolerance (plus one when part of the
	// tolerance circle is covered by no unit: outside the data, a neighbour we do not hold).
	sqlMarkerChecks = `
SELECT d.idx, d.number, d.kind, b.level, ST_Distance(d.geom::geography, b.geom::geography),
  CASE WHEN d.kind = 'triple' THEN (` + sqlUnitsNear + `) END,
  EXISTS (SELECT 1 FROM admin_unit a WHERE a.level = b.level AND a.valid_to IS NULL AND a.geom IS NOT NULL)
FROM diff_marker d JOIN boundary_line b ON b.id = d.line_id
ORDER BY d.idx`

	// $1 tolerance in metres; the point is d.geom, the level b.level.
	sqlUnitsNear = `
  WITH near AS (
    SELECT a.geom FROM admin_unit a
    WHERE a.valid_to IS NULL AND a.level = b.level AND a.geom IS NOT NULL
      AND a.geom && ST_Expand(d.geom, $1::float8 / 50000.0)
      AND ST_DWithin(a.geom::geography, d.geom::geography, $1::float8)
  ), circle AS (SELECT ST_Buffer(d.geom::geography, $1::float8)::geometry AS g)
  SELECT count(*)::int + CASE WHEN count(*) > 0 AND
      ST_Area(ST_Difference((SELECT g FROM circle), ST_Union(near.geom))::geography) > 0.01 * ST_Area((SELECT g FROM circle)::geography)
    THEN 1 ELSE 0 END
  FROM near`

	sqlMarkerNoLine = `SELECT idx, line_ref FROM diff_marker WHERE op = 'noline' ORDER BY idx`

	sqlRejectMarkers = `UPDATE diff_marker SET op = 'reject' WHERE idx = ANY ($1::int[])`

	sqlCountMarkerOps = `SELECT op, count(*) FROM diff_marker WHERE op IN ('insert', 'update', 'same') GROUP BY op`

	sqlAuditMarkerUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'boundary_marker', d.number,
  jsonb_build_object('line_id', m.line_id, 'kind', m.kind, 'condition', m.condition, 'lon', ST_X(m.geom), 'lat', ST_Y(m.geom),
    'photos', m.photos, 'installed_on', m.installed_on, 'last_inspected', m.last_inspected, 'notes', m.findings, 'version', m.version),
  jsonb_build_object('line_id', d.line_id, 'kind', d.kind, 'condition', d.condition, 'lon', d.lon, 'lat', d.lat,
    'photos', d.photos, 'installed_on', d.installed_on, 'last_inspected', d.last_inspected, 'notes', d.notes),
  jsonb_build_object('source', $3::text, 'record', d.idx)
FROM diff_marker d JOIN boundary_marker m ON m.id = d.cur_id WHERE d.op = 'update'`

	sqlApplyMarkerUpdates = `
UPDATE boundary_marker m SET line_id = d.line_id, kind = d.kind, condition = d.condition, geom = d.geom,
  photos = d.photos, installed_on = d.installed_on, last_inspected = d.last_inspected, findings = d.notes,
  source = $1, version = m.version + 1, updated_at = now()
FROM diff_marker d WHERE d.op = 'update' AND m.id = d.cur_id`

	sqlInsertMarkers = `
INSERT INTO boundary_marker (line_id, number, kind, geom, condition, photos, installed_on, last_inspected, findings, source)
SELECT line_id, number, kind, geom, condition, photos, installed_on, last_inspected, notes, $1
FROM diff_marker WHERE op = 'insert'`

	// Checks of the stored markers (the API check endpoint).
	sqlCheckStoredMarkers = `
SELECT m.number, m.kind, b.ext_id, ST_Distance(m.geom::geography, b.geom::geography),
  CASE WHEN m.kind = 'triple' THEN (` + sqlUnitsNearStored + `) END,
  EXISTS (SELECT 1 FROM admin_unit a WHERE a.level = b.level AND a.valid_to IS NULL AND a.geom IS NOT NULL)
FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id
ORDER BY m.number`

	sqlUnitsNearStored = `
  WITH near AS (
    SELECT a.geom FROM admin_unit a
    WHERE a.valid_to IS NULL AND a.level = b.level AND a.geom IS NOT NULL
      AND a.geom && ST_Expand(m.geom, $1::float8 / 50000.0)
      AND ST_DWithin(a.geom::geography, m.geom::geography, $1::float8)
  ), circle AS (SELECT ST_Buffer(m.geom::geography, $1::float8)::geometry AS g)
  SELECT count(*)::int + CASE WHEN count(*) > 0 AND
      ST_Area(ST_Difference((SELECT g FROM circle), ST_Union(near.geom))::geography) > 0.01 * ST_Area((SELECT g FROM circle)::geography)
    THEN 1 ELSE 0 END
  FROM near`

	// Rounds and teams.
	sqlInsertRound = `INSERT INTO inspection_round (name, year, scope_unit, status) VALUES ($1, $2, $3, $4) RETURNING id`

	sqlRoundLinesOfUnit = `
INSERT INTO inspection_round_line (round_id, line_id)
SELECT $1, b.id FROM boundary_line b WHERE b.left_code LIKE $2 || '%' OR b.right_code LIKE $2 || '%'
ON CONFLICT DO NOTHING`

	sqlRoundLinesByExtID = `
INSERT INTO inspection_round_line (round_id, line_id)
SELECT $1, b.id FROM boundary_line b WHERE b.ext_id = ANY ($2::text[])
ON CONFLICT DO NOTHING`

	sqlLineIDsByExtID = `SELECT ext_id, id FROM boundary_line WHERE ext_id = ANY ($1::text[])`

	sqlRoundColumns = `r.id, r.name, r.year, r.scope_unit::text, r.status, r.version, r.created_at,
  (SELECT count(*) FROM inspection_round_line rl WHERE rl.round_id = r.id)::int`

	sqlGetRound       = `SELECT ` + sqlRoundColumns + ` FROM inspection_round r WHERE r.id = $1`
	sqlGetRoundByName = `SELECT ` + sqlRoundColumns + ` FROM inspection_round r WHERE r.name = $1`
	sqlListRounds     = `SELECT ` + sqlRoundColumns + ` FROM inspection_round r ORDER BY r.year DESC, r.id DESC`

	sqlInsertTeam = `INSERT INTO inspection_team (round_id, name, leader) VALUES ($1, $2, $3) RETURNING id`

	sqlAssignLines = `
UPDATE inspection_round_line SET team_id = $2
WHERE round_id = $1 AND line_id = ANY ($3::bigint[]) AND (team_id IS NULL OR team_id = $2)`

	sqlAssignedElsewhere = `
SELECT b.ext_id, t.name FROM inspection_round_line rl JOIN boundary_line b ON b.id = rl.line_id
JOIN inspection_team t ON t.id = rl.team_id
WHERE rl.round_id = $1 AND rl.line_id = ANY ($3::bigint[]) AND rl.team_id <> $2 ORDER BY b.ext_id`

	sqlNotInRound = `
SELECT b.ext_id FROM boundary_line b WHERE b.id = ANY ($2::bigint[])
  AND NOT EXISTS (SELECT 1 FROM inspection_round_line rl WHERE rl.round_id = $1 AND rl.line_id = b.id) ORDER BY b.ext_id`

	// Teams with their progress: lines, markers, markers inspected in the round (a finding
	// applied), conflicts, and the conditions found.
	sqlTeamProgress = `
SELECT t.id, t.name, t.leader,
  (SELECT count(*) FROM inspection_round_line rl WHERE rl.team_id = t.id)::int,
  (SELECT count(*) FROM boundary_marker m JOIN inspection_round_line rl ON rl.line_id = m.line_id AND rl.team_id = t.id)::int,
  (SELECT count(DISTINCT f.marker_id) FROM inspection_finding f WHERE f.round_id = t.round_id AND f.team_id = t.id AND f.status = 'applied')::int,
  (SELECT count(*) FROM inspection_finding f WHERE f.round_id = t.round_id AND f.team_id = t.id AND f.status = 'conflict')::int,
  (SELECT count(*) FROM inspection_package p WHERE p.team_id = t.id)::int,
  coalesce((SELECT jsonb_object_agg(c, n) FROM (
    SELECT f.condition AS c, count(DISTINCT f.marker_id) AS n FROM inspection_finding f
    WHERE f.round_id = t.round_id AND f.team_id = t.id AND f.status = 'applied' GROUP BY f.condition) x), '{}')
FROM inspection_team t WHERE t.round_id = $1 ORDER BY t.name`

	sqlTeamByName = `SELECT id FROM inspection_team WHERE round_id = $1 AND name = $2`
	sqlTeamByID   = `SELECT id FROM inspection_team WHERE round_id = $1 AND id = $2`
	sqlTeamName   = `SELECT name FROM inspection_team WHERE id = $1`

	// Packages.
	sqlInsertPackage = `INSERT INTO inspection_package (round_id, team_id, crs, actor) VALUES ($1, $2, $3, $4) RETURNING id, exported_at`

	sqlRecordPackageMarkers = `
INSERT INTO inspection_package_marker (package_id, marker_id, version, updated_at)
SELECT $1, unnest($2::bigint[]), unnest($3::int[]), unnest($4::timestamptz[])`

	sqlSetPackageManifest = `UPDATE inspection_package SET manifest = $2 WHERE id = $1`

	sqlPreviousFindings = `
SELECT m.number, r.name, f.condition, f.inspector, f.inspected_on, f.notes, f.photos, f.status,
  ST_X(coalesce(f.geom, m.geom)), ST_Y(coalesce(f.geom, m.geom))
FROM inspection_finding f JOIN boundary_marker m ON m.id = f.marker_id JOIN inspection_round r ON r.id = f.round_id
WHERE f.marker_id = ANY ($1::bigint[])
ORDER BY f.inspected_on, m.number, f.id`

	// Findings.
	sqlPackagedVersion = `
SELECT pm.version, p.id FROM inspection_package_marker pm JOIN inspection_package p ON p.id = pm.package_id
WHERE p.round_id = $1 AND pm.marker_id = $2 ORDER BY p.id DESC LIMIT 1`

	sqlPackageOfVersion = `
SELECT p.id FROM inspection_package_marker pm JOIN inspection_package p ON p.id = pm.package_id
WHERE p.round_id = $1 AND pm.marker_id = $2 AND pm.version = $3 ORDER BY p.id DESC LIMIT 1`

	sqlMarkerRoundTeam = `SELECT team_id FROM inspection_round_line WHERE round_id = $1 AND line_id = $2`

	sqlFindingExists = `SELECT status FROM inspection_finding WHERE round_id = $1 AND marker_id = $2 AND digest = $3`

	sqlInsertFinding = `
INSERT INTO inspection_finding (round_id, team_id, marker_id, package_id, condition, geom, notes, photos, inspector,
  inspected_on, base_version, status, marker_before, marker_after, source, source_line, digest)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($6, $7), 4326) END,
  $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

	sqlApplyFinding = `
UPDATE boundary_marker SET condition = $2,
  geom = CASE WHEN $3::float8 IS NULL THEN geom ELSE ST_SetSRID(ST_MakePoint($3, $4), 4326) END,
  photos = CASE WHEN cardinality($5::text[]) = 0 THEN photos ELSE $5 END,
  last_inspected = greatest(last_inspected, $6::date), findings = CASE WHEN $7::text = '' THEN findings ELSE $7 END,
  version = version + 1, updated_at = now()
WHERE id = $1`

	sqlRoundFindings = `
SELECT coalesce(t.name, ''), m.number, b.name, f.condition, f.status, f.inspector, f.inspected_on, f.notes,
  array_to_string(f.photos, ';'), f.base_version, f.source, f.created_at
FROM inspection_finding f JOIN boundary_marker m ON m.id = f.marker_id JOIN boundary_line b ON b.id = m.line_id
LEFT JOIN inspection_team t ON t.id = f.team_id
WHERE f.round_id = $1 ORDER BY t.name NULLS LAST, m.number, f.id`
)

// The current unit polygons of a level within a code prefix, for geo/topology.
const sqlTopologyUnits = `
SELECT code::text, name, coalesce(parent_code::text, ''), ST_AsBinary(geom) FROM admin_unit
WHERE valid_to IS NULL AND level = $1 AND geom IS NOT NULL AND code LIKE $2 || '%'
ORDER BY code`

// Marker edits one at a time (marker_edit.go).
const (
	// Whether inspection rounds refer to the marker (findings or a package issued with it).
	sqlMarkerInRounds = `SELECT EXISTS (SELECT 1 FROM inspection_finding WHERE marker_id = $1)
  OR EXISTS (SELECT 1 FROM inspection_package_marker WHERE marker_id = $1)`

	sqlDeleteMarker = `DELETE FROM boundary_marker WHERE id = $1 AND version = $2`
)

// The OGC API collections (ogc.go): one expression per property.
const (
	ogcLineFrom   = `boundary_line b`
	ogcMarkerFrom = `boundary_marker m JOIN boundary_line b ON b.id = m.line_id`
)

var (
	ogcLineColumns = []string{`b.ext_id`, `b.name`, `b.level`, `b.left_code`, `b.right_code`, `b.origin`, `b.source`,
		`round(coalesce(b.length_m, ST_Length(b.geom::geography))::numeric, 1)`, `b.version`, `b.updated_at`}
	ogcMarkerColumns = []string{`m.number`, `b.ext_id`, `m.line_id`, `b.name`, `m.kind`, `m.condition`, `to_json(m.photos)`,
		`m.installed_on::text`, `m.last_inspected::text`, `m.findings`, `m.source`, `m.version`, `m.updated_at`}
)
