package boundary

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"fangyuan/geo/topology"
	"fangyuan/internal/auth"
)

const (
	// The derived lines with their two units' current names.
	sqlDerivedLineNames = `
SELECT b.id, b.name, l.name, r.name
FROM boundary_line b
JOIN admin_unit l ON l.code = b.left_code AND l.valid_to IS NULL
JOIN admin_unit r ON r.code = b.right_code AND r.valid_to IS NULL
WHERE b.origin = 'derived'
ORDER BY b.id`

	// $1 ids, $2 old names, $3 new names, $4 actor, $5 via, $6 detail.
	sqlRenameLines = `
WITH renamed AS (
  UPDATE boundary_line b SET name = v.new_name, version = b.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_name, new_name)
  WHERE b.id = v.id AND b.name = v.old_name
  RETURNING b.id, v.old_name, v.new_name)
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $4, $5, 'rename', 'boundary_line', id::text, jsonb_build_object('name', old_name),
  jsonb_build_object('name', new_name), $6::jsonb
FROM renamed`
)

// RenameDerivedLines gives every derived line (origin derived: named 左—右线 after its
// units by topology.LineName) the name its two units have now, in tx, audited with
// detail: after a yearly update renamed a unit or moved a line to a recoded one, the
// line no longer says the old name. Imported lines keep their official names (浙闽线 is
// not rewritten). It returns how many lines were renamed.
func RenameDerivedLines(ctx context.Context, tx pgx.Tx, detail map[string]any) (int, error) {
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return 0, auth.ErrNoPrincipal
	}
	rows, err := tx.Query(ctx, sqlDerivedLineNames)
	if err != nil {
		return 0, err
	}
	var ids []int64
	var olds, news []string
	var id int64
	var name, left, right string
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &left, &right}, func() error {
		if want := topology.LineName(left, right); want != name {
			ids, olds, news = append(ids, id), append(olds, name), append(news, want)
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	tag, err := tx.Exec(ctx, sqlRenameLines, ids, olds, news, pr.Name, pr.Via, detail)
	if err != nil {
		return 0, fmt.Errorf("rename derived lines: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
