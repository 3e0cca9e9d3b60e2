package housenumber

import (
	"context"
	"fmt"
	"strings"

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

// Importer matches and writes house numbers in one transaction: Match copies the rows
// into a temporary table and matches them to roads; Write writes the good ones.
type Importer struct {
	tx       pgx.Tx
	Warnings []string
	Nearest  int // rows matched to the nearest road
	problems []int32
}

// Match copies rows (COPY) into a temporary table, matches each to a road — by name
// within its township (given, or the one its point lies in), else the nearest road within
// NearestRoadM with a warning — and returns the rows that cannot be imported.
func Match(ctx context.Context, tx pgx.Tx, rows []ImportRow) (*Importer, []ImportProblem, error) {
	im := &Importer{tx: tx}
	if _, err := tx.Exec(ctx, sqlImportTemp); err != nil {
		return nil, nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"hn_import"},
		[]string{"idx", "road", "admin_code", "number", "suffix", "building", "unit", "room", "status", "lon", "lat"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := &rows[i]
			return []any{i, r.Road, r.AdminCode, r.Number, r.Suffix, r.Building, r.Unit, r.Room, r.Status, r.Lon, r.Lat}, nil
		}))
	if err != nil {
		return nil, nil, fmt.Errorf("copy house numbers: %w", err)
	}
	for _, q := range sqlImportMatch {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, NearestRoadM)
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return nil, nil, err
		}
	}
	var problems []ImportProblem
	prow, err := tx.Query(ctx, sqlImportProblems)
	if err != nil {
		return nil, nil, err
	}
	for prow.Next() {
		var p ImportProblem
		var first *int
		if err := prow.Scan(&p.Index, &p.Field, &p.Reason, &first); err != nil {
			prow.Close()
			return nil, nil, err
		}
		if first != nil {
			p.Reason = fmt.Sprintf("%s is also on line %d of the file (same road, number and sub-address)", p.Reason, rows[*first].Line)
		}
		problems = append(problems, p)
		im.problems = append(im.problems, int32(p.Index))
	}
	if err := prow.Err(); err != nil {
		return nil, nil, err
	}
	wrows, err := tx.Query(ctx, sqlImportNearest)
	if err != nil {
		return nil, nil, err
	}
	for wrows.Next() {
		var idx int
		var road, name string
		var dist float64
		if err := wrows.Scan(&idx, &road, &name, &dist); err != nil {
			wrows.Close()
			return nil, nil, err
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
		return nil, nil, err
	}
	if im.Nearest > len(im.Warnings) {
		im.Warnings = append(im.Warnings, fmt.Sprintf("… %d rows in all matched to the nearest road", im.Nearest))
	}
	return im, problems, nil
}

// Write drops the rows with problems and writes the rest with set-based statements:
// a number already on record with the same road, number, suffix and sub-address is
// unchanged (same point and status) or updated; the others are inserted.
func (im *Importer) Write(ctx context.Context, source string) (db.Changes, error) {
	var ch db.Changes
	if len(im.problems) > 0 {
		if _, err := im.tx.Exec(ctx, sqlImportDropProblems, im.problems); err != nil {
			return ch, err
		}
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
	tag, err = im.tx.Exec(ctx, sqlImportInsert, source)
	if err != nil {
		return ch, err
	}
	ch.Inserted = int(tag.RowsAffected())
	return ch, nil
}

const (
	sqlImportTemp = `
CREATE TEMP TABLE hn_import (
  idx int, road text, admin_code text, number int, suffix text, building text, unit text, room text,
  status text, lon float8, lat float8
) ON COMMIT DROP`
)

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
  planned_on, activated_on)
SELECT m.road_id, m.number, m.suffix, m.building, m.unit, m.room, m.geom, m.status, r.admin_code, $1,
  CASE WHEN m.status = 'planned' THEN current_date END, CASE WHEN m.status = 'active' THEN current_date END
FROM hn_match m JOIN road r ON r.id = m.road_id
WHERE NOT EXISTS (SELECT 1 FROM house_number h WHERE ` + sqlImportKey + `)
ORDER BY m.road_id, m.number`
)
