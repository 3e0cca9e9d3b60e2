package plan

// All SQL of the plan package: the inputs of POST /api/plans for one county.

const (
	sqlLatestGrid = `SELECT id FROM population_grid ORDER BY year DESC, id DESC LIMIT 1`

	// The county's units of a level (4 townships, 5 villages) as of a date; $2 is
	// the county's 6-digit code.
	sqlCountyUnits = `
SELECT a.code, a.name, ST_AsBinary(a.geom)
FROM admin_unit a
WHERE a.level = $1 AND substr(a.code, 1, 6) = $2 AND a.geom IS NOT NULL
  AND a.valid_from <= $3::date AND (a.valid_to IS NULL OR a.valid_to > $3::date)
ORDER BY a.code`

	sqlCountyName = `
SELECT a.name FROM admin_unit a
WHERE a.level = 3 AND substr(a.code, 1, 6) = $1
  AND a.valid_from <= $2::date AND (a.valid_to IS NULL OR a.valid_to > $2::date)`

	// The facilities of a kind whose catchment can reach the townships: within the
	// bound grown by the radius.
	sqlFacilities = `
SELECT f.id, f.ext_id, f.name, ST_X(f.geom), ST_Y(f.geom), f.status, f.beds, f.nursing_beds, f.dementia_beds
FROM facility f
WHERE f.kind = $1 AND f.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)
ORDER BY f.id`
)
