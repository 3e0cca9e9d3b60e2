package divchange

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/internal/auth"
)

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store reads and writes change reports.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// The tables whose records hang on a division code.
const (
	EntityFacility    = "facility"
	EntityHouseNumber = "house_number"
	EntityRoad        = "road"
	EntityPlaceName   = "place_name"
	EntityLine        = "boundary_line"
	EntityRound       = "inspection_round"
)

// Entities lists them in report order.
var Entities = []string{EntityFacility, EntityRoad, EntityHouseNumber, EntityPlaceName, EntityLine, EntityRound}

// Pending is a record that did not follow its unit and waits for a person.
type Pending struct {
	Entity     string   `json:"entity"`
	ID         int64    `json:"id"`
	Field      string   `json:"field"` // admin_code | scope_unit | left_code | right_code | sides
	Code       string   `json:"code"`  // the code it still carries
	Candidates []string `json:"candidates"`
	Reason     string   `json:"reason"`
	Label      string   `json:"label"`
}

// move is a record that follows a one-to-one mapping.
type move struct {
	id       int64
	old, new string
}

type lineMove struct {
	id             int64
	lc, rc, nl, nr string
}

// Dependants are the records on the changed codes: those that follow and those that wait.
type Dependants struct {
	moves   map[string][]move
	lines   []lineMove
	Pending []Pending
}

// Moved counts the records that follow, per table.
func (d *Dependants) Moved() map[string]int {
	out := map[string]int{}
	for _, e := range Entities {
		out[e] = len(d.moves[e])
	}
	out[EntityLine] = len(d.lines)
	return out
}

// PendingCounts counts the waiting records per table.
func (d *Dependants) PendingCounts() map[string]int {
	out := map[string]int{}
	for _, e := range Entities {
		out[e] = 0
	}
	for _, p := range d.Pending {
		out[p.Entity]++
	}
	return out
}

// CurrentUnits returns the current units of the provinces (2-digit codes) at the levels.
func CurrentUnits(ctx context.Context, q Querier, provinces []string, levels []gazetteer.Level) ([]Unit, error) {
	lv := make([]int16, len(levels))
	for i, l := range levels {
		lv[i] = int16(l)
	}
	rows, err := q.Query(ctx, sqlCurrentUnits, provinces, lv)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unit, error) {
		var u Unit
		var l int16
		err := r.Scan(&u.Code, &l, &u.Name, &u.Parent)
		u.Level = gazetteer.Level(l)
		return u, err
	})
}

// CheckDate fails when a unit the plan changes is valid from validFrom or later: a table
// can only be applied over units that are older than it.
func CheckDate(ctx context.Context, q Querier, p *Plan, validFrom time.Time) error {
	var codes []string
	codes = append(codes, p.Vanished...)
	for _, c := range p.Changes {
		if (c.Kind == Renamed || c.Kind == Reparented) && c.OldCode == c.NewCode {
			codes = append(codes, c.OldCode)
		}
	}
	rows, err := q.Query(ctx, sqlNotBefore, validFrom, codes)
	if err != nil {
		return err
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var code, from string
		err := r.Scan(&code, &from)
		return code + " (valid from " + from + ")", err
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("the new table is dated %s, but units it changes are already valid from that day or later: %s; give the table's own date with --valid-from",
			validFrom.Format(time.DateOnly), strings.Join(bad, ", "))
	}
	return nil
}

// FindDependants lists the records on the codes the plan changes: those that follow a
// one-to-one mapping and those that wait (their unit split, merged into an ambiguous
// target or was retired; or following would collide with a record already there).
func FindDependants(ctx context.Context, q Querier, p *Plan) (*Dependants, error) {
	olds, news := make([]string, len(p.Moves)), make([]string, len(p.Moves))
	for i, m := range p.Moves {
		olds[i], news[i] = m[0], m[1]
	}
	undecided := make([]string, len(p.Undecided))
	cands := map[string][]string{}
	reasons := map[string]string{}
	for i, u := range p.Undecided {
		undecided[i] = u.Code
		cands[u.Code], reasons[u.Code] = u.Candidates, u.Reason
	}
	d := &Dependants{moves: map[string][]move{}}
	for _, e := range []struct{ entity, field, sql string }{
		{EntityFacility, "admin_code", sqlFacilityDependants},
		{EntityRoad, "admin_code", sqlRoadDependants},
		{EntityHouseNumber, "admin_code", sqlHouseNumberDependants},
		{EntityPlaceName, "admin_code", sqlPlaceNameDependants},
		{EntityRound, "scope_unit", sqlRoundDependants},
	} {
		rows, err := q.Query(ctx, e.sql, olds, news, undecided)
		if err != nil {
			return nil, fmt.Errorf("%s records on changed codes: %w", e.entity, err)
		}
		var (
			id          int64
			code, label string
			target      *string
			conflict    bool
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &code, &target, &label, &conflict}, func() error {
			switch {
			case target == nil:
				d.Pending = append(d.Pending, Pending{Entity: e.entity, ID: id, Field: e.field, Code: code,
					Candidates: cands[code], Reason: reasons[code], Label: label})
			case conflict:
				d.Pending = append(d.Pending, Pending{Entity: e.entity, ID: id, Field: e.field, Code: code,
					Candidates: []string{*target}, Reason: "conflict: a record of the same name is already under " + *target + " (or moves there)", Label: label})
			default:
				d.moves[e.entity] = append(d.moves[e.entity], move{id, code, *target})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s records on changed codes: %w", e.entity, err)
		}
	}
	rows, err := q.Query(ctx, sqlLineDependants, olds, news, undecided)
	if err != nil {
		return nil, fmt.Errorf("boundary lines on changed codes: %w", err)
	}
	var (
		id                       int64
		name, lc, rc, nl, nr     string
		lu, ru, collapsed, clash bool
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &lc, &rc, &nl, &nr, &lu, &ru, &collapsed, &clash}, func() error {
		switch {
		case collapsed:
			d.Pending = append(d.Pending, Pending{Entity: EntityLine, ID: id, Field: "sides", Code: lc + "|" + rc,
				Candidates: []string{nl}, Reason: "merged: both sides are now one unit (the line is inside it)", Label: name})
			return nil
		case clash:
			d.Pending = append(d.Pending, Pending{Entity: EntityLine, ID: id, Field: "sides", Code: lc + "|" + rc,
				Candidates: []string{nl, nr}, Reason: "conflict: a line of the same name between the new sides exists", Label: name})
			return nil
		}
		if nl != lc || nr != rc {
			d.lines = append(d.lines, lineMove{id, lc, rc, nl, nr})
		}
		if lu {
			d.Pending = append(d.Pending, Pending{Entity: EntityLine, ID: id, Field: "left_code", Code: lc, Candidates: cands[lc], Reason: reasons[lc], Label: name})
		}
		if ru {
			d.Pending = append(d.Pending, Pending{Entity: EntityLine, ID: id, Field: "right_code", Code: rc, Candidates: cands[rc], Reason: reasons[rc], Label: name})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boundary lines on changed codes: %w", err)
	}
	for i := range d.Pending {
		if d.Pending[i].Candidates == nil {
			d.Pending[i].Candidates = []string{}
		}
	}
	slices.SortStableFunc(d.Pending, func(a, b Pending) int {
		if c := slices.Index(Entities, a.Entity) - slices.Index(Entities, b.Entity); c != 0 {
			return c
		}
		if a.ID != b.ID {
			if a.ID < b.ID {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Field, b.Field)
	})
	return d, nil
}

// Report is one yearly update: what changed, and what waits.
type Report struct {
	ID        int64       `json:"id,omitempty"` // 0 in a dry run
	ValidFrom string      `json:"valid_from"`
	Source    string      `json:"source"`
	Provinces []string    `json:"provinces"`
	Actor     string      `json:"actor,omitempty"`
	Via       string      `json:"via,omitempty"`
	CreatedAt string      `json:"created_at,omitempty"`
	DryRun    bool        `json:"dry_run,omitempty"`
	Summary   Summary     `json:"summary"`
	Changes   []Change    `json:"changes"`
	Pending   []Pending   `json:"pending,omitempty"`
	Undecided []Undecided `json:"-"`
}

// Summary counts a report.
type Summary struct {
	Changes map[Kind]int   `json:"changes"` // units per change kind
	Moved   map[string]int `json:"moved"`   // records that followed, per table
	Pending map[string]int `json:"pending"` // records that wait, per table
	Mapping int            `json:"mapping"` // rows added to admin_code_change
}

// NewReport assembles the report of a plan and its dependants.
func NewReport(p *Plan, d *Dependants, validFrom time.Time, source string, provinces []string) *Report {
	r := &Report{ValidFrom: validFrom.Format(time.DateOnly), Source: source, Provinces: provinces,
		Changes: p.Changes, Pending: d.Pending, Undecided: p.Undecided}
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	r.Summary = Summary{Changes: p.Counts(), Moved: d.Moved(), Pending: d.PendingCounts(), Mapping: len(codeChanges(p))}
	return r
}

// Empty reports whether nothing changed.
func (r *Report) Empty() bool { return len(r.Changes) == 0 }

// codeChanges are the admin_code_change rows of a plan: one per (old, new) pair.
func codeChanges(p *Plan) [][4]string {
	type pair struct{ o, n string }
	kinds := map[pair][]string{}
	var order []pair
	for _, c := range p.Changes {
		if c.OldCode == "" {
			continue
		}
		var ch string
		switch c.Kind {
		case Recoded:
			ch = "recode"
		case Renamed:
			ch = "rename"
		case Reparented:
			ch = "reparent"
		case Merged:
			ch = "merge"
		case Split:
			ch = "split"
		case Retired:
			ch = "abolish"
		default:
			continue
		}
		k := pair{c.OldCode, c.NewCode}
		if _, ok := kinds[k]; !ok {
			order = append(order, k)
		}
		if c.Ambiguous {
			ch += "?"
		}
		kinds[k] = append(kinds[k], ch)
	}
	out := make([][4]string, 0, len(order))
	for _, k := range order {
		ks := kinds[k]
		main := strings.TrimSuffix(ks[0], "?")
		if slices.Contains(ks, "reparent") {
			main = "reparent" // a move to another parent is the most telling
		}
		note := strings.Join(ks, ",")
		if strings.HasSuffix(ks[0], "?") {
			note = "ambiguous: one of several candidates"
		}
		out = append(out, [4]string{k.o, k.n, main, note})
	}
	return out
}

// Apply writes the plan's mapping to admin_code_change, moves the dependants that follow
// (each audited), and keeps the report with its rows and pending records. The units
// themselves are written by the caller (gazetteer.Store.ImportDivisions and RetireUnits)
// in the same transaction; CarryRecoded runs after them.
func Apply(ctx context.Context, tx pgx.Tx, r *Report, p *Plan, d *Dependants, validFrom time.Time) error {
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return auth.ErrNoPrincipal
	}
	summary, err := json.Marshal(r.Summary)
	if err != nil {
		return err
	}
	if err := tx.QueryRow(ctx, sqlInsertReport, validFrom, r.Source, r.Provinces, pr.Name, pr.Via, summary).Scan(&r.ID, &r.CreatedAt); err != nil {
		return fmt.Errorf("change report: %w", err)
	}
	r.Actor, r.Via = pr.Name, pr.Via
	cc := codeChanges(p)
	var olds, news, kinds, notes []string
	var newsArg []*string
	for _, c := range cc {
		olds, kinds, notes = append(olds, c[0]), append(kinds, c[2]), append(notes, c[3])
		news = append(news, c[1])
		if c[1] == "" {
			newsArg = append(newsArg, nil)
		} else {
			n := c[1]
			newsArg = append(newsArg, &n)
		}
	}
	if _, err := tx.Exec(ctx, sqlInsertCodeChanges, validFrom, olds, newsArg, kinds, notes); err != nil {
		return fmt.Errorf("code changes: %w", err)
	}
	for _, e := range []struct{ entity, sql string }{
		{EntityFacility, sqlMoveFacilities}, {EntityRoad, sqlMoveRoads}, {EntityHouseNumber, sqlMoveHouseNumbers},
		{EntityPlaceName, sqlMovePlaceNames}, {EntityRound, sqlMoveRounds},
	} {
		ms := d.moves[e.entity]
		if len(ms) == 0 {
			continue
		}
		ids, os, ns := make([]int64, len(ms)), make([]string, len(ms)), make([]string, len(ms))
		for i, m := range ms {
			ids[i], os[i], ns[i] = m.id, m.old, m.new
		}
		tag, err := tx.Exec(ctx, e.sql+fmt.Sprintf(auditMoved, e.entity), ids, os, ns, pr.Name, pr.Via, r.ID)
		if err != nil {
			return fmt.Errorf("move %s records: %w", e.entity, err)
		}
		if int(tag.RowsAffected()) != len(ms) {
			return fmt.Errorf("move %s records: %d of %d were changed meanwhile; run the update again", e.entity, len(ms)-int(tag.RowsAffected()), len(ms))
		}
	}
	if len(d.lines) > 0 {
		n := len(d.lines)
		ids, lc, rc, nl, nr := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, l := range d.lines {
			ids[i], lc[i], rc[i], nl[i], nr[i] = l.id, l.lc, l.rc, l.nl, l.nr
		}
		tag, err := tx.Exec(ctx, sqlMoveLines, ids, lc, rc, nl, nr, pr.Name, pr.Via, r.ID)
		if err != nil {
			return fmt.Errorf("move boundary lines: %w", err)
		}
		if int(tag.RowsAffected()) != n {
			return fmt.Errorf("move boundary lines: %d of %d were changed meanwhile; run the update again", n-int(tag.RowsAffected()), n)
		}
	}
	if err := insertRows(ctx, tx, r.ID, r.Changes); err != nil {
		return err
	}
	if err := insertPending(ctx, tx, r.ID, d.Pending); err != nil {
		return err
	}
	return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "division_change_report", Key: fmt.Sprint(r.ID),
		After: map[string]any{"valid_from": r.ValidFrom, "source": r.Source, "provinces": r.Provinces}, Detail: r.Summary})
}

// RetireUnits ends the validity of the vanished codes on validFrom, audited.
func RetireUnits(ctx context.Context, tx pgx.Tx, codes []string, validFrom time.Time, reportID int64) (int, error) {
	pr, ok := auth.FromContext(ctx)
	if !ok {
		return 0, auth.ErrNoPrincipal
	}
	tag, err := tx.Exec(ctx, sqlRetireUnits, validFrom, codes, pr.Name, pr.Via, reportID)
	return int(tag.RowsAffected()), err
}

// CarryRecoded gives the new versions of recoded units their old boundary, official pinyin
// and aliases.
func CarryRecoded(ctx context.Context, tx pgx.Tx, p *Plan, validFrom time.Time) error {
	olds, news := make([]string, len(p.Recodes)), make([]string, len(p.Recodes))
	for i, m := range p.Recodes {
		olds[i], news[i] = m[0], m[1]
	}
	_, err := tx.Exec(ctx, sqlCarryRecoded, validFrom, olds, news)
	return err
}

func insertRows(ctx context.Context, tx pgx.Tx, id int64, cs []Change) error {
	n := len(cs)
	seq, levels := make([]int32, n), make([]int16, n)
	kind, oc, nc, on, nn, op, np, note := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	amb := make([]bool, n)
	for i, c := range cs {
		seq[i], kind[i], levels[i] = int32(i+1), string(c.Kind), int16(c.Level)
		oc[i], nc[i], on[i], nn[i], op[i], np[i], amb[i], note[i] = c.OldCode, c.NewCode, c.OldName, c.NewName, c.OldParent, c.NewParent, c.Ambiguous, c.Note
	}
	_, err := tx.Exec(ctx, sqlInsertReportRows, id, seq, kind, levels, oc, nc, on, nn, op, np, amb, note)
	if err != nil {
		return fmt.Errorf("change report rows: %w", err)
	}
	return nil
}

func insertPending(ctx context.Context, tx pgx.Tx, id int64, ps []Pending) error {
	n := len(ps)
	ent, field, code, cands, reason, label := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ids := make([]int64, n)
	for i, p := range ps {
		ent[i], ids[i], field[i], code[i], cands[i], reason[i], label[i] = p.Entity, p.ID, p.Field, p.Code, strings.Join(p.Candidates, ","), p.Reason, p.Label
	}
	_, err := tx.Exec(ctx, sqlInsertPending, id, ent, ids, field, code, cands, reason, label)
	if err != nil {
		return fmt.Errorf("pending records: %w", err)
	}
	return nil
}

// Reports returns the kept reports with valid_from on or after since (zero: all), with
// their rows, oldest first.
func (s *Store) Reports(ctx context.Context, since time.Time) ([]*Report, error) {
	var arg any
	if !since.IsZero() {
		arg = since
	}
	rows, err := s.pool.Query(ctx, sqlListReports, arg)
	if err != nil {
		return nil, err
	}
	reports, err := pgx.CollectRows(rows, scanReport)
	if err != nil {
		return nil, err
	}
	if err := s.fillRows(ctx, reports); err != nil {
		return nil, err
	}
	return reports, nil
}

// Report returns one kept report with its rows and pending records; pgx.ErrNoRows when
// there is none.
func (s *Store) Report(ctx context.Context, id int64) (*Report, error) {
	rows, err := s.pool.Query(ctx, sqlGetReport, id)
	if err != nil {
		return nil, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReport)
	if err != nil {
		return nil, err
	}
	if err := s.fillRows(ctx, []*Report{r}); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, sqlReportPending, id)
	if err != nil {
		return nil, err
	}
	r.Pending, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Pending, error) {
		var p Pending
		err := row.Scan(&p.Entity, &p.ID, &p.Field, &p.Code, &p.Candidates, &p.Reason, &p.Label)
		return p, err
	})
	if r.Pending == nil {
		r.Pending = []Pending{}
	}
	return r, err
}

func scanReport(row pgx.CollectableRow) (*Report, error) {
	r := &Report{}
	var summary []byte
	if err := row.Scan(&r.ID, &r.ValidFrom, &r.Source, &r.Provinces, &r.Actor, &r.Via, &summary, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.Changes = []Change{}
	return r, json.Unmarshal(summary, &r.Summary)
}

func (s *Store) fillRows(ctx context.Context, reports []*Report) error {
	if len(reports) == 0 {
		return nil
	}
	byID := map[int64]*Report{}
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i], byID[r.ID] = r.ID, r
	}
	rows, err := s.pool.Query(ctx, sqlReportRows, ids)
	if err != nil {
		return err
	}
	var (
		id    int64
		c     Change
		kind  string
		level int16
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &kind, &level, &c.OldCode, &c.NewCode, &c.OldName, &c.NewName, &c.OldParent, &c.NewParent, &c.Ambiguous, &c.Note}, func() error {
		c.Kind, c.Level = Kind(kind), int(level)
		byID[id].Changes = append(byID[id].Changes, c)
		return nil
	})
	return err
}
