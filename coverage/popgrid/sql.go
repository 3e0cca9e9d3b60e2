package popgrid

// All SQL of the popgrid package.

const gridColumns = `id, name, year, west, north, dx, dy, width, height, bands, totals, nodata, fingerprint, source, version, updated_at`

const (
	sqlFindGrid = `SELECT id, fingerprint, width, height, bands, totals FROM population_grid WHERE name = $1 AND year = $2 FOR UPDATE`

	sqlInsertGrid = `
INSERT INTO population_grid (name, year, west, north, dx, dy, width, height, bands, totals, nodata, chunk_rows, extent, fingerprint, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ST_MakeEnvelope($13, $14, $15, $16, 4326), $17, $18)
RETURNING id`

	sqlUpdateGrid = `
UPDATE population_grid SET west = $2, north = $3, dx = $4, dy = $5, width = $6, height = $7, bands = $8, totals = $9,
  nodata = $10, chunk_rows = $11, extent = ST_MakeEnvelope($12, $13, $14, $15, 4326), fingerprint = $16, source = $17,
  version = version + 1, updated_at = now()
WHERE id = $1`

	sqlDeleteChunks = `DELETE FROM population_chunk WHERE grid_id = $1`

	sqlListGrids = `SELECT ` + gridColumns + ` FROM population_grid ORDER BY name, year`

	sqlGetGrid = `SELECT ` + gridColumns + ` FROM population_grid WHERE id = $1`

	sqlLoadChunks = `SELECT band, row0, data FROM population_chunk WHERE grid_id = $1 ORDER BY band, row0`
)
