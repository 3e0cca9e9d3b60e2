package housenumber

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// ImportRow is one house number to import (parsed and validated).
type ImportRow struct {
	Line      int
	Road      string // may be empty: matched to the nearest road
	AdminCode string // 12-digit township code, or empty: the township of the point
	Number    int
	Suffix    string
	Building  string
	Unit      string
	Room      string
	Status    string
	ValidFrom string // YYYY-MM-DD, or "" for the day of the import
	Lon, Lat  float64
}

// ImportProblem is a row the database could not take: no road matched, or the same
// number twice in the file.
type ImportProblem struct {
	Index  int // into the rows given to Match
	Field  string
	Reason string
}

// NearestRoadM is how far the nearest road may be from a number whose road name did not
// match any road of its township.
const NearestRoadM = 500.0

// BulkMinRows is the size from which an import counts as a bulk load: when at least this
// many new numbers go into a table that holds fewer current rows than that, Write drops the
// table's secondary indexes and foreign keys, inserts, and builds them again, all in the
// import's transaction (a failure leaves the table, its indexes and constraints as they
// were). Building a GiST and a B-tree once over sorted input is several times faster than
// inserting 1.6 M rows into them one by one.
var BulkMinRows = 100_000

// Importer matches and writes house numbers in one transaction: Match copies the rows
// into a temporary table and matches them to roads; Write writes the good ones.
type Importer struct {
	tx       pgx.Tx
	Warnings []string
	Nearest  int  // rows matched to the nearest road
	Bulk     bool // Write rebuilt the indexes and foreign keys (see BulkMinRows)
	// Log, when set, is told each step and how long it took.
	Log      func(format string, args ...any)
	rows     int
	problems []int32
	t0       time.Time
}

// NewImporter returns an importer writing in tx.
func NewImporter(tx pgx.Tx) *Importer { return &Importer{tx: tx} }

// step logs what has been done since the previous step.
func (im *Importer) step(format string, args ...any) {
	if im.Log != nil {
		im.Log("%s (%.1f s)", fmt.Sprintf(format, args...), time.Since(im.t0).Seconds())
	}
	im.t0 = time.Now()
}

// Match copies rows (COPY) into a temporary table, matches each to a road — by name
// within its township (given, or the one its point lies in), else the nearest road within
// NearestRoadM with a warning — and returns the rows that cannot be imported.
func Match(ctx context.Context, tx pgx.Tx, rows []ImportRow) (*Importer, []ImportProblem, error) {
	im := NewImporter(tx)
	problems, err := im.Match(ctx, rows)
	return im, problems, err
}

// Match is the function Match on an importer made by NewImporter.
func (im *Importer) Match(ctx context.Context, rows []ImportRow) ([]ImportProblem, error) {
	tx := im.tx
	im.t0 = time.Now()
	im.rows = len(rows)
	// Sorts (repeated rows, the insert's order) and index builds of a large import in
	// memory rather than in temporary files; for this transaction only.
	if _, err := tx.Exec(ctx, sqlImportMemory); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqlImportTemp); err != nil {
		return nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"hn_import"},
		[]string{"idx", "road", "admin_code", "number", "suffix", "building", "unit", "room", "status", "valid_from", "lon", "lat"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			var from any
			if r.ValidFrom != "" {
				from = r.ValidFrom
			}
			return []any{i, r.Road, r.AdminCode, r.Number, r.Suffix, r.Building, r.Unit, r.Room, r.Status, from, r.Lon, r.Lat}, nil
		}))
	if err != nil {
		return nil, fmt.Errorf("copy house numbers: %w", err)
	}
	im.step("copied %d rows into a staging table", len(rows))
	for i, q := range sqlImportMatch {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, NearestRoadM)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return nil, err
		}
		im.step("%s", sqlImportMatchSteps[i])
	}
	var problems []ImportProblem
	prow, err := tx.Query(ctx, sqlImportProblems)
	if err != nil {
		return nil, err
	}
	for prow.Next() {
		var p ImportProblem
		var first *int
		if err := prow.Scan(&p.Index, &p.Field, &p.Reason, &first); err != nil {
			prow.Close()
			return nil, err
		}
		if first != nil {
			p.Reason = fmt.Sprintf("%s is also on line %d of the file (same road, number and sub-address)", p.Reason, rows[*first].Line)
		}
		problems = append(problems, p)
		im.problems = append(im.problems, int32(p.Index))
	}
	if err := prow.Err(); err != nil {
		return nil, err
	}
	im.step("found %d rows without a road or repeating an earlier row", len(problems))
	wrows, err := tx.Query(ctx, sqlImportNearest)
	if err != nil {
		return nil, err
	}
	for wrows.Next() {
		var idx int
		var road, name string
		var dist float64
		if err := wrows.Scan(&idx, &road, &name, &dist); err != nil {
			wrows.Close()
			return nil, err
		}
		im.Nearest++
		if len(im.Warnings) < 20 {
			what := fmt.Sprintf("no road %q in its township", road)
			if road == "" {
				what = "no road name"
			}
			im.Warnings = append(im.Warnings, fmt.Sprintf("line %d: %s; matched to the nearest road %s (%.0f m)", rows[idx].Line, what, name, dist))
		}
	}
	if err := wrows.Err(); err != nil {
		return nil, err
	}
	if im.Nearest > len(im.Warnings) {
		im.Warnings = append(im.Warnings, fmt.Sprintf("… %d rows in all matched to the nearest road", im.Nearest))
	}
	im.step("listed %d rows matched to the nearest road", im.Nearest)
	return problems, nil
}

// Write drops the rows with problems and writes the rest with set-based statements:
// a number already on record with the same road, number, suffix and sub-address is
// unchanged (same point and status) or updated; the others are inserted. A bulk load
// (BulkMinRows) rebuilds the table's secondary indexes and foreign keys around the insert.
func (im *Importer) Write(ctx context.Context, source string) (db.Changes, error) {
	var ch db.Changes
	im.t0 = time.Now()
	if len(im.problems) > 0 {
		if _, err := im.tx.Exec(ctx, sqlImportDropProblems, im.problems); err != nil {
			return ch, err
		}
	}
	// A temporary table has no statistics until it is analysed: without them the joins
	// with house_number below are planned for a few rows.
	if _, err := im.tx.Exec(ctx, `ANALYZE hn_match`); err != nil {
		return ch, err
	}
	var current int
	if err := im.tx.QueryRow(ctx, sqlImportCurrent).Scan(&current); err != nil {
		return ch, err
	}
	if err := im.tx.QueryRow(ctx, sqlImportUnchanged).Scan(&ch.Unchanged); err != nil {
		return ch, err
	}
	// Every updated number is audited (before the update, which it reads).
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, auth.ErrNoPrincipal
	}
	if _, err := im.tx.Exec(ctx, sqlImportAuditUpdates, p.Name, p.Via, source); err != nil {
		return ch, err
	}
	tag, err := im.tx.Exec(ctx, sqlImportUpdate)
	if err != nil {
		return ch, err
	}
	ch.Updated = int(tag.RowsAffected())
	im.step("compared with the %d current numbers on record: %d unchanged, %d updated", current, ch.Unchanged, ch.Updated)
	fresh := im.rows - len(im.problems) - ch.Unchanged - ch.Updated
	var rebuild []string
	if fresh >= BulkMinRows && fresh >= current {
		im.Bulk = true
		if rebuild, err = im.dropForBulk(ctx); err != nil {
			return ch, err
		}
		im.step("bulk load of %d new numbers: dropped %d secondary indexes and foreign keys", fresh, len(rebuild))
	}
	tag, err = im.tx.Exec(ctx, sqlImportInsert, source)
	if err != nil {
		return ch, err
	}
	ch.Inserted = int(tag.RowsAffected())
	im.step("inserted %d numbers", ch.Inserted)
	for _, q := range rebuild {
		if _, err := im.tx.Exec(ctx, q); err != nil {
			return ch, fmt.Errorf("rebuild after the bulk load: %s: %w", q, err)
		}
	}
	if len(rebuild) > 0 {
		im.step("rebuilt %d indexes and foreign keys", len(rebuild))
	}
	return ch, nil
}

// dropForBulk drops house_number's secondary indexes (those not backing a constraint)
// and its foreign keys, and returns the statements that make them again. The table is
// locked first, so that nothing writes to it while it has no unique index.
func (im *Importer) dropForBulk(ctx context.Context) ([]string, error) {
	if _, err := im.tx.Exec(ctx, `LOCK TABLE house_number IN ACCESS EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	type obj struct{ name, def string }
	read := func(q string) ([]obj, error) {
		rows, err := im.tx.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (obj, error) {
			var o obj
			err := r.Scan(&o.name, &o.def)
			return o, err
		})
	}
	idx, err := read(sqlBulkIndexes)
	if err != nil {
		return nil, err
	}
	fks, err := read(sqlBulkForeignKeys)
	if err != nil {
		return nil, err
	}
	var rebuild []string
	for _, o := range fks {
		if _, err := im.tx.Exec(ctx, `ALTER TABLE house_number DROP CONSTRAINT `+pgx.Identifier{o.name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	for _, o := range idx {
		if _, err := im.tx.Exec(ctx, `DROP INDEX `+pgx.Identifier{o.name}.Sanitize()); err != nil {
			return nil, err
		}
		rebuild = append(rebuild, o.def)
	}
	for _, o := range fks {
		rebuild = append(rebuild, `ALTER TABLE house_number ADD CONSTRAINT `+pgx.Identifier{o.name}.Sanitize()+` `+o.def)
	}
	return rebuild, nil
}

const (
	sqlImportMemory = `SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '512MB'`

	sqlImportTemp = `
CREATE TEMP TABLE hn_import (
  idx int, road text, admin_code text, number int, suffix text, building text, unit text, room text,
  status text, valid_from date, lon float8, lat float8
) ON COMMIT DROP`
)

// What each statement of sqlImportMatch does, for the log.
var sqlImportMatchSteps = []string{"matched rows to roads by name within the township", "matched the rest to the nearest road"}

// The matching statements ($1: NearestRoadM).
var sqlImportMatch = []string{
	// One pass: the point, the township (given, else the one the point lies in; COALESCE
	// evaluates the search only when needed) and the road of that name in it.
	`CREATE TEMP TABLE hn_match ON COMMIT DROP AS
	 SELECT i.*, g.geom, t.township, r.id AS road_id, NULL::float8 AS nearest_m
	 FROM hn_import i
	 CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(i.lon, i.lat), 4326) AS geom) g
	 CROSS JOIN LATERAL (SELECT coalesce(nullif(i.admin_code, ''), (SELECT u.code FROM admin_unit u
	   WHERE u.level = 4 AND u.valid_to IS NULL AND u.geom IS NOT NULL AND ST_Covers(u.geom, g.geom) LIMIT 1)) AS township) t
	 LEFT JOIN road r ON r.admin_code = t.township AND r.name = i.road AND i.road <> ''`,
	// The nearest road within $1 metres for the rest.
	`UPDATE hn_match i SET road_id = n.id, nearest_m = n.d FROM (
	   SELECT i2.idx, nr.id, nr.d FROM hn_match i2 CROSS JOIN LATERAL (
	     SELECT r.id, ST_Distance(r.geom::geography, i2.geom::geography) AS d FROM road r
	     ORDER BY r.geom <-> i2.geom LIMIT 1) nr
	   WHERE i2.road_id IS NULL AND nr.d <= $1) n
	 WHERE i.road_id IS NULL AND i.idx = n.idx`,
}

// sqlImportKey joins an import row m to the number on record with the same key.
const sqlImportKey = `h.road_id = m.road_id AND h.number = m.number AND h.suffix = m.suffix AND h.building = m.building
  AND h.unit = m.unit AND h.room = m.room AND h.status <> 'retired' AND h.valid_to IS NULL`

const (
	sqlImportProblems = `
SELECT idx, 'road', CASE WHEN road = '' THEN 'no road name and no road within 500 m'
  ELSE format('no road %s in township %s and no road within 500 m', road, coalesce(township, '(none: the point is in no township)')) END, NULL::int
FROM hn_match WHERE road_id IS NULL
UNION ALL
SELECT idx, 'number', format('%s号%s', number, suffix), first
FROM (SELECT idx, number, suffix, first_value(idx) OVER w AS first, row_number() OVER w AS rn FROM hn_match
      WHERE road_id IS NOT NULL WINDOW w AS (PARTITION BY road_id, number, suffix, building, unit, room ORDER BY idx)) d
WHERE rn > 1
ORDER BY 1`

	sqlImportNearest = `
SELECT i.idx, i.road, r.name, i.nearest_m FROM hn_match i JOIN road r ON r.id = i.road_id
WHERE i.nearest_m IS NOT NULL ORDER BY i.idx`

	sqlImportDropProblems = `DELETE FROM hn_match WHERE idx = ANY($1)`

	sqlImportCurrent = `SELECT count(*) FROM house_number WHERE valid_to IS NULL`

	// The secondary indexes of house_number (not the primary key, nor any index that
	// backs a constraint) and its foreign keys, with their definitions.
	sqlBulkIndexes = `
SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = 'house_number'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
ORDER BY c.relname`
	sqlBulkForeignKeys = `
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'house_number'::regclass AND contype = 'f' ORDER BY conname`

	sqlImportAuditUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'house_number', h.id::text,
  jsonb_build_object('status', h.status, 'lon', ST_X(h.geom), 'lat', ST_Y(h.geom)),
  jsonb_build_object('status', m.status, 'lon', m.lon, 'lat', m.lat),
  jsonb_build_object('source', $3::text, 'row', m.idx + 1)
FROM hn_match m JOIN house_number h ON ` + sqlImportKey + `
WHERE NOT (ST_Equals(h.geom, m.geom) AND h.status = m.status)`

	sqlImportUnchanged = `SELECT count(*) FROM hn_match m JOIN house_number h ON ` + sqlImportKey + `
WHERE ST_Equals(h.geom, m.geom) AND h.status = m.status`

	sqlImportUpdate = `
UPDATE house_number h SET geom = m.geom, status = m.status, version = h.version + 1, updated_at = now(),
  activated_on = CASE WHEN m.status = 'active' AND h.status = 'planned' THEN current_date ELSE h.activated_on END
FROM hn_match m WHERE ` + sqlImportKey + ` AND NOT (ST_Equals(h.geom, m.geom) AND h.status = m.status)`

	sqlImportInsert = `
INSERT INTO house_number (road_id, number, suffix, building, unit, room, geom, status, admin_code, source,
  valid_from, planned_on, activated_on)
SELECT m.road_id, m.number, m.suffix, m.building, m.unit, m.room, m.geom, m.status, r.admin_code, $1,
  coalesce(m.valid_from, current_date),
  CASE WHEN m.status = 'planned' THEN coalesce(m.valid_from, current_date) END,
  CASE WHEN m.status = 'active' THEN coalesce(m.valid_from, current_date) END
FROM hn_match m JOIN road r ON r.id = m.road_id
WHERE NOT EXISTS (SELECT 1 FROM house_number h WHERE ` + sqlImportKey + `)
ORDER BY m.road_id, m.number`
)
