package boundary

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"fangyuan/gazetteer"
	"fangyuan/geo/topology"
	"fangyuan/internal/auth"
)

const (
	// The derived lines with their codes and their two units' current names.
	sqlDerivedLines = `
SELECT b.id, b.ext_id, b.name, b.level, b.left_code::text, b.right_code::text, l.name, r.name
FROM boundary_line b
JOIN admin_unit l ON l.code = b.left_code AND l.valid_to IS NULL
JOIN admin_unit r ON r.code = b.right_code AND r.valid_to IS NULL
WHERE b.origin = 'derived'
ORDER BY b.id`

	// $1 ids, $2 old names, $3 new names, $4 new ext ids, $5 actor, $6 via, $7 detail. A
	// name another line between the same units holds (UNIQUE (left_code, right_code,
	// name)) or an id another line holds is not taken: that line keeps it.
	sqlRenameLines = `
WITH v AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS v(id, old_name, new_name, new_ext)),
c AS (
  SELECT v.id, v.old_name, v.new_name, v.new_ext, b.ext_id AS old_ext,
    v.new_name <> b.name AND NOT EXISTS (SELECT 1 FROM boundary_line o
      WHERE o.id <> b.id AND o.left_code = b.left_code AND o.right_code = b.right_code AND o.name = v.new_name) AS name_ok,
    v.new_ext <> b.ext_id AND NOT EXISTS (SELECT 1 FROM boundary_line o WHERE o.id <> b.id AND o.ext_id = v.new_ext) AS ext_ok
  FROM v JOIN boundary_line b ON b.id = v.id AND b.name = v.old_name),
renamed AS (
  UPDATE boundary_line b SET name = CASE WHEN c.name_ok THEN c.new_name ELSE b.name END,
    ext_id = CASE WHEN c.ext_ok THEN c.new_ext ELSE b.ext_id END,
    version = b.version + 1, updated_at = now()
  FROM c WHERE b.id = c.id AND (c.name_ok OR c.ext_ok)
  RETURNING b.id, c.old_name, b.name AS new_name, c.old_ext, b.ext_id AS new_ext)
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $5, $6, 'rename', 'boundary_line', id::text, jsonb_build_object('name', old_name, 'ext_id', old_ext),
  jsonb_build_object('name', new_name, 'ext_id', new_ext), $7::jsonb
FROM renamed`

	// $1 ids, $2 wanted names, $3 wanted ext ids.
	sqlLinesKept = `
SELECT count(*) FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, name, ext)
JOIN boundary_line b ON b.id = v.id WHERE b.name <> v.name OR b.ext_id <> v.ext`
)

// RenameDerivedLines gives every derived line (origin derived: named 左—右线 after its
// units by topology.LineName, with the id topology.LineID of its level and codes) the
// name and id its two units give it now, in tx, audited with detail: after a yearly
// update renamed a unit, or moved a line onto a recoded one, the line says the new name,
// and deriving the lines again finds it under its id instead of adding a second line.
// A name or id that another line holds, or that two lines would take, is not taken
// (those lines keep theirs; kept counts them). Imported lines keep their official names
// (浙闽线 is not rewritten).
func RenameDerivedLines(ctx context.Context, tx pgx.Tx, detail map[string]any) (renamed, kept int, err error) {
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return 0, 0, auth.ErrNoPrincipal
	}
	rows, err := tx.Query(ctx, sqlDerivedLines)
	if err != nil {
		return 0, 0, err
	}
	type want struct {
		id                 int64
		oldName, name, ext string
		oldExt             string
		key                string // left|right|name
	}
	var ws []want
	var id int64
	var ext, name, lc, rc, ln, rn string
	var level int16
	_, err = pgx.ForEachRow(rows, []any{&id, &ext, &name, &level, &lc, &rc, &ln, &rn}, func() error {
		w := want{id: id, oldName: name, oldExt: ext, name: topology.LineName(ln, rn),
			ext: topology.LineID(gazetteer.Level(level).String(), lc, rc)}
		if w.name != name || w.ext != ext {
			w.key = lc + "|" + rc + "|" + w.name
			ws = append(ws, w)
		}
		return nil
	})
	if err != nil || len(ws) == 0 {
		return 0, 0, err
	}
	// Two lines that would take one name between the same units, or one id, take neither.
	names, exts := map[string]int{}, map[string]int{}
	for _, w := range ws {
		names[w.key]++
		exts[w.ext]++
	}
	n := len(ws)
	ids, olds, news, newExts := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	wantNames, wantExts := make([]string, n), make([]string, n)
	for i, w := range ws {
		ids[i], olds[i], news[i], newExts[i] = w.id, w.oldName, w.name, w.ext
		wantNames[i], wantExts[i] = w.name, w.ext
		if names[w.key] > 1 {
			news[i] = w.oldName
		}
		if exts[w.ext] > 1 {
			newExts[i] = w.oldExt
		}
	}
	tag, err := tx.Exec(ctx, sqlRenameLines, ids, olds, news, newExts, pr.Name, pr.Via, detail)
	if err != nil {
		return 0, 0, fmt.Errorf("rename derived lines: %w", err)
	}
	renamed = int(tag.RowsAffected())
	// Kept: the lines whose name or id is still other than their units give them.
	if err := tx.QueryRow(ctx, sqlLinesKept, ids, wantNames, wantExts).Scan(&kept); err != nil {
		return 0, 0, err
	}
	return renamed, kept, nil
}
