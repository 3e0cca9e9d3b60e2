package divchange_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/divchange"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// checkResolve decides pending records of the applied report through the HTTP API, as
// the place-name office, the planners and the boundary team would: each decision writes
// the record and closes the question, or is refused with the right status and changes
// nothing.
func checkResolve(t *testing.T, pool *pgxpool.Pool, rep *divchange.Report) {
	t.Helper()
	ctx := dbtest.CLI()
	as := auth.NewStore(pool)
	tokens := map[string]string{}
	for _, r := range []auth.Role{auth.Planner, auth.NamesEditor, auth.BoundaryEditor} {
		tok, _, err := as.CreateToken(ctx, "resolve-"+string(r), r, 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens[string(r)] = tok
	}
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as, Reads: auth.ReadsOpen}, nil)
	rt.Handle(divchange.NewStore(pool).Routes()...)
	do := func(role string, report int64, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/divisions/changes/%d/pending/resolve", report), bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[role])
		}
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("resolve %v: %d, not JSON: %s", body, rec.Code, rec.Body.String())
		}
		if e, ok := out["error"].(map[string]any); ok {
			return rec.Code, e // code, field, message
		}
		return rec.Code, out
	}
	pending := func() []divchange.Pending {
		t.Helper()
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/divisions/changes/%d/pending", rep.ID), nil))
		var out struct {
			Pending []divchange.Pending `json:"pending"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("pending list: %d %s", rec.Code, rec.Body.String())
		}
		return out.Pending
	}
	code := func(entity string, id int64, col string) string {
		t.Helper()
		var c string
		if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE id = $1`, col, entity), id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	find := func(entity, field string, ok func(divchange.Pending) bool) divchange.Pending {
		t.Helper()
		for _, p := range pending() {
			if p.Entity == entity && p.Field == field && ok(p) {
				return p
			}
		}
		t.Fatalf("no pending %s on %s to decide", entity, field)
		return divchange.Pending{}
	}
	any1 := func(divchange.Pending) bool { return true }
	hasCandidates := func(p divchange.Pending) bool { return len(p.Candidates) > 0 }
	res := func(p divchange.Pending, action, code string) map[string]any {
		return map[string]any{"entity": p.Entity, "id": p.ID, "field": p.Field, "action": action, "code": code}
	}
	start := len(pending())

	// A facility waiting on a split unit: a names editor may not decide it, a planner may.
	fac := find("facility", "admin_code", hasCandidates)
	target := fac.Candidates[0]
	for _, c := range []struct {
		name   string
		role   string
		report int64
		body   any
		status int
		field  string
	}{
		{"no token", "", rep.ID, res(fac, "assign", target), 401, ""},
		{"another team's record", string(auth.NamesEditor), rep.ID, res(fac, "assign", target), 403, ""},
		{"not a current code", string(auth.Planner), rep.ID, res(fac, "assign", "339999999999"), 400, "code"},
		{"the retired code", string(auth.Planner), rep.ID, res(fac, "assign", fac.Code), 400, "code"},
		{"no code", string(auth.Planner), rep.ID, res(fac, "assign", ""), 400, "code"},
		{"keep with a code", string(auth.Planner), rep.ID, res(fac, "keep", target), 400, "code"},
		{"bad action", string(auth.Planner), rep.ID, res(fac, "move", target), 400, "action"},
		{"bad entity", string(auth.Planner), rep.ID, map[string]any{"entity": "hospital", "id": fac.ID, "field": "admin_code", "action": "keep"}, 400, "entity"},
		{"unknown field in the body", string(auth.Planner), rep.ID, map[string]any{"entity": "facility", "id": fac.ID, "field": "admin_code", "action": "keep", "why": "x"}, 400, ""},
		{"another report", string(auth.Planner), rep.ID + 1000, res(fac, "assign", target), 404, ""},
		{"not pending", string(auth.Planner), rep.ID, map[string]any{"entity": "facility", "id": fac.ID + 100000, "field": "admin_code", "action": "keep"}, 404, ""},
	} {
		status, out := do(c.role, c.report, c.body)
		if status != c.status || (c.field != "" && out["field"] != c.field) {
			t.Errorf("%s: %d %v, want %d on %q", c.name, status, out, c.status, c.field)
		}
	}
	if got := code("facility", fac.ID, "admin_code"); got != fac.Code || len(pending()) != start {
		t.Fatalf("refused decisions wrote: facility on %s, %d pending of %d", got, len(pending()), start)
	}
	status, out := do(string(auth.Planner), rep.ID, res(fac, "assign", target))
	if status != 200 || out["remaining"] != float64(start-1) {
		t.Fatalf("assign: %d %v, want 200 and %d remaining", status, out, start-1)
	}
	if got := code("facility", fac.ID, "admin_code"); got != target {
		t.Errorf("facility %d on %s after the decision, want %s", fac.ID, got, target)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'facility' AND entity_key = $1 AND actor = 'resolve-planner'
AND after->>'admin_code' = $2 AND detail->>'division_change_report' = $3`, fmt.Sprint(fac.ID), target, fmt.Sprint(rep.ID)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit rows of the decision: %d %v", audited, err)
	}
	// Deciding it again: someone did already.
	if status, out := do(string(auth.Planner), rep.ID, res(fac, "keep", "")); status != 409 || !strings.Contains(fmt.Sprint(out["message"]), "resolve-planner") {
		t.Errorf("second decision: %d %v, want 409 naming who decided", status, out)
	}

	// A place name whose merge target has one of the same name: assigning it there breaks
	// the one-current-name rule (409) and leaves it pending; keeping it closes it.
	pn := find("place_name", "admin_code", func(p divchange.Pending) bool { return strings.HasPrefix(p.Reason, "conflict") })
	if status, out := do(string(auth.NamesEditor), rep.ID, res(pn, "assign", pn.Candidates[0])); status != 409 {
		t.Errorf("place name into a clash: %d %v, want 409", status, out)
	}
	if !slices.ContainsFunc(pending(), func(p divchange.Pending) bool { return p.Entity == pn.Entity && p.ID == pn.ID }) {
		t.Error("the refused place name is no longer pending")
	}
	if status, out := do(string(auth.NamesEditor), rep.ID, res(pn, "keep", "")); status != 200 {
		t.Errorf("keep: %d %v", status, out)
	}
	if got := code("place_name", pn.ID, "admin_code"); got != pn.Code {
		t.Errorf("kept place name moved to %s", got)
	}

	// A road changed by someone else since the update: 409, nothing written.
	rd := find("road", "admin_code", any1)
	if _, err := pool.Exec(ctx, `UPDATE road SET admin_code = $2 WHERE id = $1`, rd.ID, rd.Candidates[0]); err != nil {
		t.Fatal(err)
	}
	if status, out := do(string(auth.NamesEditor), rep.ID, res(rd, "assign", rd.Candidates[0])); status != 409 {
		t.Errorf("stale road: %d %v, want 409", status, out)
	}

	// Lines: a line whose two sides merged cannot be given one unit on both sides; one
	// side of a split county's line takes a successor and the pair is stored in order.
	sides := find("boundary_line", "sides", any1)
	if status, out := do(string(auth.BoundaryEditor), rep.ID, res(sides, "assign", sides.Candidates[0]+"|"+sides.Candidates[0])); status != 400 {
		t.Errorf("one unit on both sides: %d %v, want 400", status, out)
	}
	if status, out := do(string(auth.BoundaryEditor), rep.ID, res(sides, "assign", sides.Candidates[0])); status != 400 {
		t.Errorf("sides without LEFT|RIGHT: %d %v, want 400", status, out)
	}
	if status, out := do(string(auth.BoundaryEditor), rep.ID, res(sides, "keep", "")); status != 200 {
		t.Errorf("keep the merged line: %d %v", status, out)
	}
	side := find("boundary_line", "left_code", hasCandidates)
	other := code("boundary_line", side.ID, "right_code")
	if side.Field == "right_code" {
		other = code("boundary_line", side.ID, "left_code")
	}
	succ := side.Candidates[len(side.Candidates)-1]
	if status, out := do(string(auth.BoundaryEditor), rep.ID, res(side, "assign", succ)); status != 200 {
		t.Fatalf("assign a line's side: %d %v", status, out)
	}
	if l, r := code("boundary_line", side.ID, "left_code"), code("boundary_line", side.ID, "right_code"); l != min(succ, other) || r != max(succ, other) {
		t.Errorf("line %d after the decision: %s|%s, want %s|%s", side.ID, l, r, min(succ, other), max(succ, other))
	}
	if got := len(pending()); got != start-4 {
		t.Errorf("%d pending after four decisions, want %d", got, start-4)
	}
}
