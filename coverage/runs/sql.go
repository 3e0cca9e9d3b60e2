package runs

// All SQL of the runs package.

const runColumns = `r.id, r.kind, r.layer, r.radius_m, coalesce(r.params->>'reach', 'straight'), r.grid_id, to_char(r.as_of, 'YYYY-MM-DD'), r.status, r.stage, r.fraction,
  r.fingerprint, r.summary, r.error, r.created_by, r.created_at, r.started_at, r.finished_at`

const (
	sqlInsertRun = `
INSERT INTO coverage_run (kind, layer, radius_m, grid_id, as_of, params, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`

	sqlCountNetwork = `SELECT count(*) FROM network_edge`

	// The stored network's version: a new import replaces every row (new ids).
	sqlNetworkVersion = `SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || coalesce(min(id), 0) FROM network_edge`

	sqlIsochroneFacility = `SELECT kind, name, status, ST_X(geom), ST_Y(geom) FROM facility WHERE id = $1`

	// The isochrone polygon: the union of the reached road samples buffered on the
	// ellipsoid by their remaining walk (metres); GeoJSON with 7 decimals (≈ 1 cm).
	sqlIsochroneUnion = `
SELECT ST_AsGeoJSON(coalesce(ST_Union(ST_Buffer(ST_SetSRID(ST_MakePoint(x, y), 4326)::geography, r, 8)::geometry),
  'GEOMETRYCOLLECTION EMPTY'::geometry), 7)::json
FROM unnest($1::float8[], $2::float8[], $3::float8[]) AS p(x, y, r)
WHERE r > 0`

	sqlGetRun = `SELECT ` + runColumns + ` FROM coverage_run r WHERE r.id = $1`

	sqlListRuns = `
SELECT ` + runColumns + ` FROM coverage_run r
WHERE ($1::text IS NULL OR r.kind = $1) AND ($2::text IS NULL OR r.status = $2)
ORDER BY r.id DESC LIMIT $3`

	// Progress of a run, by the node holding its claim ($4, attempt $5) only.
	sqlProgress = `UPDATE coverage_run SET stage = $2, fraction = $3 WHERE id = $1 AND claimed_by = $4 AND attempt = $5 AND status = 'running'`

	// sqlFinishRun runs after sqlHoldsClaim in the same transaction.
	sqlFinishRun = `
UPDATE coverage_run SET status = 'done', stage = 'done', fraction = 1, fingerprint = $2, summary = $3, result = $4,
  finished_at = now(), lease_until = NULL
WHERE id = $1`

	// The run queue (queue.go). Start counts the queue under a transaction-level
	// advisory lock (key: "coverage_run" as a number), so two Starts cannot both take
	// the last place.
	sqlLockQueue    = `SELECT pg_advisory_xact_lock(7021098034)`
	sqlCountPending = `SELECT count(*) FROM coverage_run WHERE status IN ('queued', 'running')`

	// Runs whose node died (lease expired) after as many claims as allowed fail.
	sqlFailAbandoned = `
WITH f AS (
  UPDATE coverage_run SET status = 'failed', finished_at = now(), lease_until = NULL,
    error = 'interrupted: the node running it stopped ' || attempt || ' times (last ' || coalesce(claimed_by, 'unknown') || ')'
  WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now()) AND attempt >= $1
  RETURNING id)
UPDATE coverage_run_execution e SET outcome = 'lost', finished_at = now()
FROM f WHERE e.run_id = f.id AND e.outcome IS NULL`

	// The claim: the oldest queued run, or a running one whose lease expired (its
	// node died), skipping rows another node is claiming at this moment.
	sqlClaimRun = `
UPDATE coverage_run r SET status = 'running', claimed_by = $1, lease_until = now() + make_interval(secs => $2),
  attempt = r.attempt + 1, started_at = now(), stage = 'starting', fraction = 0, error = ''
FROM (
  SELECT id FROM coverage_run
  WHERE status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < now()))
  ORDER BY id LIMIT 1
  FOR UPDATE SKIP LOCKED) c
WHERE r.id = c.id
RETURNING r.id, r.attempt, r.params`

	// A claim taken over ends the executions before it as lost.
	sqlLoseExecutions = `UPDATE coverage_run_execution SET outcome = 'lost', finished_at = now() WHERE run_id = $1 AND outcome IS NULL`
	sqlBeginExecution = `INSERT INTO coverage_run_execution (run_id, attempt, node) VALUES ($1, $2, $3)`
	sqlEndExecution   = `UPDATE coverage_run_execution SET outcome = $3, finished_at = now() WHERE run_id = $1 AND attempt = $2`

	// The heartbeat: the lease is renewed while this node still holds the claim.
	sqlRenewLease = `
UPDATE coverage_run SET lease_until = now() + make_interval(secs => $4)
WHERE id = $1 AND claimed_by = $2 AND attempt = $3 AND status = 'running'`

	// Whether this node still holds the claim; locks the row until the transaction ends.
	sqlHoldsClaim = `
SELECT coalesce((SELECT claimed_by = $2 AND attempt = $3 AND status = 'running' FROM coverage_run WHERE id = $1 FOR UPDATE), false)`

	// A run that failed, by the node holding its claim.
	sqlFailRun = `
UPDATE coverage_run SET status = 'failed', error = $4, finished_at = now(), lease_until = NULL
WHERE id = $1 AND claimed_by = $2 AND attempt = $3 AND status = 'running'`

	// A run this node was executing when it shut down goes back to the queue.
	sqlReleaseRun = `
UPDATE coverage_run SET status = 'queued', claimed_by = NULL, lease_until = NULL, stage = '', fraction = 0, started_at = NULL
WHERE id = $1 AND claimed_by = $2 AND attempt = $3 AND status = 'running'`

	sqlRunResult = `SELECT status, result FROM coverage_run WHERE id = $1`

	sqlRunUnits = `
SELECT code, name, parent_code, population, covered, uncovered, share, facilities, not_operating, flags, rank, detail,
  compare_covered, compare_only
FROM coverage_run_unit WHERE run_id = $1 AND level = $2
ORDER BY CASE WHEN $3 THEN coalesce(rank, 2147483647) ELSE 0 END, code`

	sqlRunUnitsGeoJSON = `
SELECT u.code, u.name, u.population, u.covered, u.uncovered, u.share, u.facilities, u.flags, u.rank, u.detail,
  u.compare_covered, u.compare_only, ST_AsGeoJSON(a.geom, 6)::json
FROM coverage_run_unit u
JOIN coverage_run r ON r.id = u.run_id
JOIN admin_unit a ON a.code = u.code AND a.valid_from <= r.as_of AND (a.valid_to IS NULL OR a.valid_to > r.as_of)
WHERE u.run_id = $1 AND u.level = 4
ORDER BY u.code`

	// Inputs of a run, as of its date, within the grid's extent.
	sqlUnitsForRun = `
SELECT a.code, a.name, ST_AsBinary(a.geom)
FROM admin_unit a
WHERE a.level = $1 AND a.geom IS NOT NULL
  AND a.valid_from <= $2::date AND (a.valid_to IS NULL OR a.valid_to > $2::date)
  AND a.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326)
ORDER BY a.code`

	sqlCountyNames = `
SELECT a.code, a.name FROM admin_unit a
WHERE a.level = 3 AND a.code = ANY ($1::text[])
  AND a.valid_from <= $2::date AND (a.valid_to IS NULL OR a.valid_to > $2::date)`

	sqlPrefectureNames = `
SELECT a.code, a.name FROM admin_unit a
WHERE a.level = 2 AND a.code = ANY ($1::text[])
  AND a.valid_from <= $2::date AND (a.valid_to IS NULL OR a.valid_to > $2::date)`

	sqlFacilitiesForRun = `
SELECT f.id, f.ext_id, f.name, ST_X(f.geom), ST_Y(f.geom), f.status, f.beds, f.nursing_beds, f.dementia_beds
FROM facility f
WHERE f.kind = $1 AND f.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
ORDER BY f.id`

	sqlLatestGrid = `SELECT id FROM population_grid ORDER BY year DESC, id DESC LIMIT 1`

	sqlRunFacilityPoints = `
SELECT lon, lat FROM coverage_run_facility WHERE run_id = $1 AND counted ORDER BY facility_id`
)

// The OGC API collections of coverage results (ogc.go): the townships of one finished run
// with their boundary as of the run's date, read by keyset on the township code.
const (
	ogcFrom = `coverage_run_unit u JOIN coverage_run r ON r.id = u.run_id
  LEFT JOIN admin_unit a ON a.code = u.code AND a.valid_from <= r.as_of AND (a.valid_to IS NULL OR a.valid_to > r.as_of)`
	ogcWhere = `u.run_id = $1 AND u.level = 4`
	ogcKey   = `u.code`
	ogcGeom  = `a.geom`
	// ogcRunsLimit bounds the runs offered as collections (the newest finished ones).
	ogcRunsLimit = 200
)

var ogcColumns = []string{`u.code`, `u.name`, `u.parent_code`, `u.population`, `u.covered`, `u.uncovered`, `u.share`,
	`u.facilities`, `u.not_operating`, `u.flags`, `u.rank`, `array_to_string(u.flags, ',')`}

// The county report (report.go): the boundaries of a run's townships as of its date.
const sqlRunTownshipGeoms = `
SELECT a.code, ST_AsBinary(a.geom)
FROM coverage_run r
JOIN admin_unit a ON a.code = ANY ($2::text[]) AND a.geom IS NOT NULL
  AND a.valid_from <= r.as_of AND (a.valid_to IS NULL OR a.valid_to > r.as_of)
WHERE r.id = $1
ORDER BY a.code`
