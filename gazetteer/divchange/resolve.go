package divchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

// Resolution is a person's decision on a pending record (待处理记录): assign gives it
// the code it belongs to now; keep leaves it as it is (a historical record, or a line
// the boundary team will retire) and closes the question.
type Resolution struct {
	Entity string `json:"entity"`
	ID     int64  `json:"id"`
	Field  string `json:"field"`
	Action string `json:"action"`         // assign | keep
	Code   string `json:"code,omitempty"` // assign: a current division code; for a line's "sides", "LEFT|RIGHT"
}

// Resolved answers a resolution: the pending record as it was, what was done, and how
// many records of the report still wait.
type Resolved struct {
	Pending   Pending `json:"pending"`
	Action    string  `json:"action"`
	Code      string  `json:"code,omitempty"`
	Remaining int     `json:"remaining"`
}

// entityRole is the editor role that owns an entity's records.
func entityRole(entity string) (auth.Role, bool) {
	switch entity {
	case EntityFacility:
		return auth.Planner, true
	case EntityRoad, EntityHouseNumber, EntityPlaceName:
		return auth.NamesEditor, true
	case EntityLine, EntityRound:
		return auth.BoundaryEditor, true
	}
	return "", false
}

// codeColumn is the column a pending field names, for the entities with one code.
var codeColumn = map[string]string{
	EntityFacility: "admin_code", EntityRoad: "admin_code", EntityHouseNumber: "admin_code",
	EntityPlaceName: "admin_code", EntityRound: "scope_unit",
}

const (
	sqlPendingForUpdate = `
SELECT entity, entity_id, field, code, candidates, reason, label
FROM division_change_pending
WHERE report_id = $1 AND entity = $2 AND entity_id = $3 AND field = $4 FOR UPDATE`

	sqlCurrentCodes = `SELECT count(DISTINCT code) FROM admin_unit WHERE code = ANY ($1::text[]) AND valid_to IS NULL`

	// The record takes the new code only if it still carries the one the update left it
	// on: $1 id, $2 old code, $3 new code.
	sqlAssignCode = `UPDATE %s SET %s = $3, version = version + 1, updated_at = now() WHERE id = $1 AND %[2]s = $2`

	// A line's new sides are stored smaller code left, the geometry reversed when they
	// swap: $1 id, $2 old left, $3 old right, $4 new left, $5 new right (unordered).
	sqlAssignSides = `
UPDATE boundary_line SET left_code = least($4::text, $5::text), right_code = greatest($4::text, $5::text),
  geom = CASE WHEN $4::text > $5::text THEN ST_Reverse(geom) ELSE geom END,
  version = version + 1, updated_at = now()
WHERE id = $1 AND left_code = $2 AND right_code = $3`

	sqlLineSides = `SELECT left_code, right_code FROM boundary_line WHERE id = $1`

	sqlDeletePending = `DELETE FROM division_change_pending WHERE report_id = $1 AND entity = $2 AND entity_id = $3 AND field = $4`

	// Who decided a pending record already (its audit row): $1 entity, $2 id, $3 report, $4 field.
	sqlDecidedBy = `
SELECT actor, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM audit_log
WHERE entity = $1 AND entity_key = $2 AND detail->>'division_change_report' = $3 AND detail->>'field' = $4 AND detail ? 'pending'
ORDER BY at DESC, id DESC LIMIT 1`

	sqlCountPending = `SELECT count(*) FROM division_change_pending WHERE report_id = $1`
)

// Resolve carries out a resolution of report id's pending record in one transaction:
// the record's code changes only if it still carries the code the update left it on
// (409 otherwise), the new code must be a current division (400), the caller's role
// must own the record (403), and the pending row goes. Audited.
func (s *Store) Resolve(ctx context.Context, reportID int64, res Resolution) (*Resolved, error) {
	role, ok := entityRole(res.Entity)
	if !ok {
		return nil, api.BadRequest("entity", "must be one of facility, road, house_number, place_name, boundary_line, inspection_round, not %q", res.Entity)
	}
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return nil, auth.ErrNoPrincipal
	}
	if !auth.Allows(pr.Role, role) {
		return nil, api.Forbidden("a pending %s is decided by role %s (or admin); this token has %s", res.Entity, role, pr.Role)
	}
	if res.ID <= 0 {
		return nil, api.BadRequest("id", "want the record's id (a positive integer)")
	}
	switch res.Action {
	case "keep":
		if res.Code != "" {
			return nil, api.BadRequest("code", "keep takes no code")
		}
	case "assign":
		if res.Code == "" {
			return nil, api.BadRequest("code", "assign needs the code the record belongs to now")
		}
	default:
		return nil, api.BadRequest("action", "must be assign or keep, not %q", res.Action)
	}
	out := &Resolved{Action: res.Action, Code: res.Code}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p := &out.Pending
		err := tx.QueryRow(ctx, sqlPendingForUpdate, reportID, res.Entity, res.ID, res.Field).
			Scan(&p.Entity, &p.ID, &p.Field, &p.Code, &p.Candidates, &p.Reason, &p.Label)
		if errors.Is(err, pgx.ErrNoRows) {
			var who, when string
			if err := tx.QueryRow(ctx, sqlDecidedBy, res.Entity, strconv.FormatInt(res.ID, 10), strconv.FormatInt(reportID, 10), res.Field).Scan(&who, &when); err == nil {
				return api.Conflict("pending %s %d on %q of report %d was decided already, by %s at %s", res.Entity, res.ID, res.Field, reportID, who, when)
			}
			return api.NotFound("report %d has no pending %s %d on %q", reportID, res.Entity, res.ID, res.Field)
		}
		if err != nil {
			return err
		}
		detail := map[string]any{"division_change_report": reportID, "field": p.Field, "pending": p.Reason, "action": res.Action}
		if res.Action == "assign" {
			before, after, err := assign(ctx, tx, p, res.Code)
			if err != nil {
				return err
			}
			if err := auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: res.Entity, Key: strconv.FormatInt(res.ID, 10),
				Before: before, After: after, Detail: detail}); err != nil {
				return err
			}
		} else if err := auth.Record(ctx, tx, auth.Entry{Action: "keep", Entity: res.Entity, Key: strconv.FormatInt(res.ID, 10),
			Before: map[string]any{p.Field: p.Code}, Detail: detail}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlDeletePending, reportID, res.Entity, res.ID, res.Field); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sqlCountPending, reportID).Scan(&out.Remaining)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// assign writes code into the pending record p and returns the audit's before and after.
func assign(ctx context.Context, tx pgx.Tx, p *Pending, code string) (before, after map[string]any, err error) {
	current := func(codes ...string) error {
		var n int
		if err := tx.QueryRow(ctx, sqlCurrentCodes, codes).Scan(&n); err != nil {
			return err
		}
		if n != len(slices.Compact(slices.Sorted(slices.Values(codes)))) {
			return api.BadRequest("code", "%s: not a current division code (区划代码)", strings.Join(codes, ", "))
		}
		return nil
	}
	if p.Entity != EntityLine {
		col, ok := codeColumn[p.Entity]
		if !ok || p.Field != col {
			return nil, nil, fmt.Errorf("pending %s %d: unexpected field %q", p.Entity, p.ID, p.Field)
		}
		if err := current(code); err != nil {
			return nil, nil, err
		}
		tag, err := tx.Exec(ctx, fmt.Sprintf(sqlAssignCode, p.Entity, col), p.ID, p.Code, code)
		if err != nil {
			return nil, nil, err
		}
		if tag.RowsAffected() != 1 {
			return nil, nil, api.Conflict("%s %d no longer carries %s (changed or deleted since the update); look at it again", p.Entity, p.ID, p.Code)
		}
		return map[string]any{col: p.Code}, map[string]any{col: code}, nil
	}
	// A line: one side, or both ("sides", code "LEFT|RIGHT").
	var lc, rc string
	if err := tx.QueryRow(ctx, sqlLineSides, p.ID).Scan(&lc, &rc); errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, api.Conflict("boundary line %d was deleted since the update", p.ID)
	} else if err != nil {
		return nil, nil, err
	}
	var nl, nr string
	switch p.Field {
	case "left_code", "right_code":
		if strings.Contains(code, "|") {
			return nil, nil, api.BadRequest("code", "one side takes one code, not %q", code)
		}
		nl, nr = code, rc
		if p.Field == "right_code" {
			nl, nr = lc, code
		}
		if side := map[string]string{"left_code": lc, "right_code": rc}[p.Field]; side != p.Code {
			return nil, nil, api.Conflict("boundary line %d's %s is now %s, not %s (changed since the update); look at it again", p.ID, p.Field, side, p.Code)
		}
	case "sides":
		a, b, ok := strings.Cut(code, "|")
		if !ok || a == "" || b == "" || strings.Contains(b, "|") {
			return nil, nil, api.BadRequest("code", "a line's sides are two codes, LEFT|RIGHT, not %q", code)
		}
		nl, nr = a, b
		if lc+"|"+rc != p.Code {
			return nil, nil, api.Conflict("boundary line %d is now between %s and %s, not %s (changed since the update); look at it again", p.ID, lc, rc, p.Code)
		}
	default:
		return nil, nil, fmt.Errorf("pending boundary line %d: unexpected field %q", p.ID, p.Field)
	}
	if nl == nr {
		return nil, nil, api.BadRequest("code", "a boundary line lies between two units; both sides would be %s", nl)
	}
	if err := current(nl, nr); err != nil {
		return nil, nil, err
	}
	tag, err := tx.Exec(ctx, sqlAssignSides, p.ID, lc, rc, nl, nr)
	if err != nil {
		return nil, nil, err
	}
	if tag.RowsAffected() != 1 {
		return nil, nil, api.Conflict("boundary line %d changed since the update; look at it again", p.ID)
	}
	return map[string]any{"left_code": lc, "right_code": rc}, map[string]any{"left_code": min(nl, nr), "right_code": max(nl, nr)}, nil
}

func (s *Store) handleResolve(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return api.BadRequest("id", "want a report id (a positive integer), not %q", api.PathParam(r, "id"))
	}
	var res Resolution
	if err := api.DecodeJSON(r, &res); err != nil {
		return err
	}
	out, err := s.Resolve(r.Context(), id, res)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, out)
}
