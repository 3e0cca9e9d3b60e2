package housenumber

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	if _, err := im.tx.Exec(ctx, sqlImportDropProblems); err != nil {
		return ch, err
	}
	if err := im.tx.QueryRow(ctx, sqlImportUnchanged).Scan(&ch.Unchanged); err != nil {
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
  status text, lon float8, lat float8, geom geometry(Point, 4326), township text, road_id bigint, nearest_m float8,
  existing_id bigint, same bool
) ON COMMIT DROP`
)

// The matching statements ($1: NearestRoadM).
var sqlImportMatch = []string{
	`UPDATE hn_import SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326), township = nullif(admin_code, '')`,
	// The township of points that name none.
	`UPDATE hn_import i SET township = u.code FROM admin_unit u
	 WHERE i.township IS NULL AND u.level = 4 AND u.valid_to IS NULL AND u.geom IS NOT NULL AND ST_Covers(u.geom, i.geom)`,
	`UPDATE hn_import i SET road_id = r.id FROM road r WHERE r.admin_code = i.township AND r.name = i.road AND i.road <> ''`,
	`ANALYZE hn_import`,
	// The nearest road within $1 metres for the rest.
	`UPDATE hn_import i SET road_id = n.id, nearest_m = n.d FROM (
	   SELECT i2.idx, nr.id, nr.d FROM hn_import i2 CROSS JOIN LATERAL (
	     SELECT r.id, ST_Distance(r.geom::geography, i2.geom::geography) AS d FROM road r
	     ORDER BY r.geom <-> i2.geom LIMIT 1) nr
	   WHERE i2.road_id IS NULL AND nr.d <= $1) n
	 WHERE i.idx = n.idx`,
	// The number on record with the same key, if any.
	`UPDATE hn_import i SET existing_id = h.id,
	   same = (ST_Equals(h.geom, i.geom) AND h.status = i.status)
	 FROM house_number h
	 WHERE h.road_id = i.road_id AND h.number = i.number AND h.suffix = i.suffix AND h.building = i.building
	   AND h.unit = i.unit AND h.room = i.room AND h.status <> 'retired' AND h.valid_to IS NULL`,
}

const (
	sqlImportProblems = `
SELECT idx, 'road', CASE WHEN road = '' THEN 'no road name and no road within 500 m'
  ELSE format('no road %s in township %s and no road within 500 m', road, coalesce(township, '(none: the point is in no township)')) END, NULL::int
FROM hn_import WHERE road_id IS NULL
UNION ALL
SELECT idx, 'number', format('%s号%s', number, suffix), first
FROM (SELECT idx, number, suffix, first_value(idx) OVER w AS first, row_number() OVER w AS rn FROM hn_import
      WHERE road_id IS NOT NULL WINDOW w AS (PARTITION BY road_id, number, suffix, building, unit, room ORDER BY idx)) d
WHERE rn > 1
ORDER BY 1`

	sqlImportNearest = `
SELECT i.idx, i.road, r.name, i.nearest_m FROM hn_import i JOIN road r ON r.id = i.road_id
WHERE i.nearest_m IS NOT NULL ORDER BY i.idx`

	sqlImportDropProblems = `
DELETE FROM hn_import WHERE road_id IS NULL OR idx IN (
  SELECT idx FROM (SELECT idx, row_number() OVER (PARTITION BY road_id, number, suffix, building, unit, room ORDER BY idx) AS rn
  FROM hn_import WHERE road_id IS NOT NULL) d WHERE rn > 1)`

	sqlImportUnchanged = `SELECT count(*) FROM hn_import WHERE existing_id IS NOT NULL AND same`

	sqlImportUpdate = `
UPDATE house_number h SET geom = i.geom, status = i.status, version = h.version + 1, updated_at = now(),
  activated_on = CASE WHEN i.status = 'active' AND h.status = 'planned' THEN current_date ELSE h.activated_on END
FROM hn_import i WHERE h.id = i.existing_id AND NOT i.same`

	sqlImportInsert = `
INSERT INTO house_number (road_id, number, suffix, building, unit, room, geom, status, admin_code, source,
  planned_on, activated_on)
SELECT i.road_id, i.number, i.suffix, i.building, i.unit, i.room, i.geom, i.status, r.admin_code, $1,
  CASE WHEN i.status = 'planned' THEN current_date END, CASE WHEN i.status = 'active' THEN current_date END
FROM hn_import i JOIN road r ON r.id = i.road_id
WHERE i.existing_id IS NULL`
)
