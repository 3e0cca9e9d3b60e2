package tiles

// All SQL of the package. Tile queries take $1 z, $2 x, $3 y, $4 the simplification
// tolerance in degrees, $5 the feature cap and $6 the layer's parameter as text (a
// facility kind, a run id, or ''). The layer name in ST_AsMVT is a constant of the
// layer definition, never request input.

// tileBounds is the common head: the tile in EPSG:3857 for ST_AsMVTGeom and, with a
// 64/4096 margin, in EPSG:4326 for the index search.
const tileBounds = `WITH bounds AS (
  SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS env3857,
         ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => 0.015625), 4326) AS env
)
`

// mvtGeom turns a WGS84 geometry expression into tile coordinates (clipped, 64 units buffer).
func mvtGeom(expr string) string {
	return `ST_AsMVTGeom(ST_Transform(` + expr + `, 3857), b.env3857, 4096, 64, true) AS geom`
}

func wrapMVT(layer, inner string) string {
	return tileBounds + `SELECT coalesce(ST_AsMVT(t, '` + layer + `', 4096, 'geom'), ''::bytea) FROM (
SELECT * FROM (` + inner + `) q WHERE geom IS NOT NULL) t`
}

const divisionsInner = `SELECT a.code::text AS code, a.name, a.kind, a.level, a.parent_code::text AS parent_code,
  ` + `%s` + `
FROM admin_unit a, bounds b
WHERE a.level = $6::smallint AND a.valid_to IS NULL AND a.geom IS NOT NULL AND a.geom && b.env
ORDER BY a.code LIMIT $5`

const boundaryLinesInner = `SELECT l.id, l.name, l.level, l.left_code::text AS left_code, l.right_code::text AS right_code,
  ` + `%s` + `
FROM boundary_line l, bounds b
WHERE l.geom && b.env AND $6::text = $6::text
ORDER BY l.level, l.id LIMIT $5`

const facilitiesInner = `SELECT f.id, f.kind, f.name, f.status, f.beds, f.admin_code::text AS admin_code,
  ` + `%s` + `
FROM facility f, bounds b
WHERE f.geom && b.env AND ($6::text = '' OR f.kind = $6::text) AND $4::float8 >= 0
ORDER BY f.id LIMIT $5`

const roadsInner = `SELECT r.id, r.name, r.kind, r.admin_code::text AS admin_code,
  ` + `%s` + `
FROM road r, bounds b
WHERE r.geom && b.env AND $6::text = $6::text
ORDER BY r.id LIMIT $5`

// houseNumbersInner draws the current house numbers (valid_to IS NULL: planned and
// active), one point per number: the units and rooms of a building share its point.
const houseNumbersInner = `SELECT DISTINCT ON (h.road_id, h.number, h.suffix, h.building)
  h.id, h.road_id, h.number, h.suffix, h.building,
  CASE WHEN h.suffix = '' THEN h.number || '号'
       WHEN h.suffix IN ('之一', '之二', '之三') THEN h.number || '号' || h.suffix
       ELSE h.suffix || h.number || '号' END AS label,
  h.status,
  ` + `%s` + `
FROM house_number h, bounds b
WHERE h.valid_to IS NULL AND h.geom && b.env AND $6::text = $6::text AND $4::float8 >= 0
ORDER BY h.road_id, h.number, h.suffix, h.building, h.id LIMIT $5`

// coverageInner joins a run's township results to the current township polygons.
const coverageInner = `SELECT u.code::text AS code, u.name, u.population, u.covered, u.uncovered, u.share,
  u.facilities, array_to_string(u.flags, ',') AS flags, cardinality(u.flags) > 0 AS flagged, u.rank,
  ` + `%s` + `
FROM coverage_run_unit u
JOIN admin_unit a ON a.code = u.code AND a.level = u.level AND a.valid_to IS NULL, bounds b
WHERE u.run_id = $6::bigint AND u.level = 4 AND a.geom IS NOT NULL AND a.geom && b.env
ORDER BY u.code LIMIT $5`

// sqlEpoch is the change counter of a set of tables (each counter only grows).
const sqlEpoch = `SELECT coalesce(sum(epoch), 0)::bigint FROM tile_epoch WHERE tbl = ANY($1::text[])`

// sqlRunStatus is a coverage run's status and population layer (no row: unknown run).
const sqlRunStatus = `SELECT status, layer FROM coverage_run WHERE id = $1`

// sqlBounds is the extent of the current divisions, for TileJSON and the style.
const sqlBounds = `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom)::geometry AS e FROM admin_unit WHERE valid_to IS NULL AND level >= 3 AND geom IS NOT NULL) s`

// sqlStatementTimeout sets the per-transaction timeout of a tile query.
const sqlStatementTimeout = `SELECT set_config('statement_timeout', $1, true)`
