package scenario

const (
	scenarioColumns = `s.id, s.name, s.kind, s.base_run, s.params, s.created_by, s.created_at`

	sqlInsertScenario = `
INSERT INTO scenario (name, kind, base_run, params, created_by) VALUES ($1, $2, $3, $4, $5)
RETURNING id`

	sqlGetScenario = `SELECT ` + scenarioColumns + ` FROM scenario s WHERE s.id = $1`

	sqlListScenarios = `
SELECT ` + scenarioColumns + ` FROM scenario s
WHERE ($1::text IS NULL OR s.kind = $1) ORDER BY s.id DESC LIMIT $2`

	sqlLockScenario = `SELECT kind FROM scenario WHERE id = $1 FOR UPDATE`

	editColumns = `e.id, e.op, e.facility_id, e.target_edit, e.name, ST_X(e.geom), ST_Y(e.geom), e.beds, e.created_by, e.created_at`

	sqlListEdits = `SELECT ` + editColumns + ` FROM scenario_edit e WHERE e.scenario_id = $1 ORDER BY e.id`

	sqlGetEdit = `SELECT ` + editColumns + ` FROM scenario_edit e WHERE e.scenario_id = $1 AND e.id = $2`

	sqlInsertEdit = `
INSERT INTO scenario_edit (scenario_id, op, facility_id, target_edit, name, geom, beds, created_by)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($6, $7), 4326) END, $8, $9)
RETURNING id`

	// sqlDeleteEdit deletes an edit; the edits on the facility it added go with it
	// (scenario_edit_target ON DELETE CASCADE).
	sqlDeleteEdit = `DELETE FROM scenario_edit WHERE scenario_id = $1 AND id = $2`

	sqlFacilityKind = `SELECT kind FROM facility WHERE id = $1`

	// sqlAddEditOf: whether edit $2 of scenario $1 is an add (a target of later edits).
	sqlAddEditOf = `SELECT op = 'add' FROM scenario_edit WHERE scenario_id = $1 AND id = $2`

	sqlFacilityByID = `
SELECT f.ext_id, f.name, ST_X(f.geom), ST_Y(f.geom), f.status, f.beds, f.nursing_beds, f.dementia_beds
FROM facility f WHERE f.id = $1`
)
