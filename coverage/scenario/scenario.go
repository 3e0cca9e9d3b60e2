// Package scenario holds what-if scenarios (规划情景): named edits (add a planned
// facility, move, close, change beds) on top of the stored facilities of one kind,
// which never change them. A scenario's township results and gaps are computed with
// coverage.Incremental: the per-cell state is kept in memory per scenario, and a
// request applies only the difference between the facility set it last computed and
// the one the edits give now, so an edit touches only the cells of the catchments that
// change.
package scenario

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/runs"
	"fangyuan/internal/auth"
)

// Edit operations.
const (
	OpAdd   = "add"   // a planned facility at a point (counts as operating in the scenario)
	OpMove  = "move"  // a facility to a point
	OpClose = "close" // a facility closes
	OpBeds  = "beds"  // a facility's beds change
)

// Scenario is a stored scenario.
type Scenario struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Kind      string      `json:"kind"`
	BaseRun   *int64      `json:"base_run"`
	Params    runs.Params `json:"params"`
	CreatedBy string      `json:"created_by"`
	CreatedAt time.Time   `json:"created_at"`
}

// Edit is one edit of a scenario. Facility (a stored facility's id) or Target
// (the add edit that created the facility) names what move, close and beds change.
type Edit struct {
	ID        int64     `json:"id"`
	Op        string    `json:"op"`
	Facility  *int64    `json:"facility,omitempty"`
	Target    *int64    `json:"edit,omitempty"`
	Name      string    `json:"name,omitempty"`
	Lon       *float64  `json:"lon,omitempty"`
	Lat       *float64  `json:"lat,omitempty"`
	Beds      *int      `json:"beds,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Service stores scenarios and computes them.
type Service struct {
	pool *pgxpool.Pool
	runs *runs.Service

	mu     sync.Mutex
	states map[int64]*state
	tick   int64
}

// maxStates bounds the scenarios whose per-cell state is kept (a province-sized
// state is a few hundred MB).
const maxStates = 4

type state struct {
	mu   sync.Mutex
	key  string
	inc  *coverage.Incremental
	used int64
}

// NewService returns the scenario service; runs gives the run parameters and inputs.
func NewService(pool *pgxpool.Pool, rs *runs.Service) *Service {
	return &Service{pool: pool, runs: rs, states: map[int64]*state{}}
}

// ErrBad wraps validation errors of scenarios and edits ("field: reason").
var ErrBad = errors.New("bad scenario")

func bad(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBad, field, fmt.Sprintf(format, args...))
}

// Create stores a new scenario of kind, with the parameters of baseRun when
// given (its grid, layer, radius and date), else the kind's defaults.
func (s *Service) Create(ctx context.Context, name, kind string, baseRun *int64) (Scenario, error) {
	who, ok := auth.FromContext(ctx)
	if !ok {
		return Scenario{}, auth.ErrNoPrincipal
	}
	p := runs.Params{Kind: kind}
	if baseRun != nil {
		run, err := s.runs.Get(ctx, *baseRun)
		if errors.Is(err, pgx.ErrNoRows) {
			return Scenario{}, bad("base_run", "no coverage run %d", *baseRun)
		} else if err != nil {
			return Scenario{}, err
		}
		if kind == "" {
			kind = run.Kind
		}
		if run.Kind != kind {
			return Scenario{}, bad("base_run", "run %d is of kind %s, not %s", run.ID, run.Kind, kind)
		}
		asOf, err := time.Parse(time.DateOnly, run.AsOf)
		if err != nil {
			return Scenario{}, fmt.Errorf("run %d: as_of %q: %w", run.ID, run.AsOf, err)
		}
		p = runs.Params{Kind: kind, RadiusM: run.RadiusM, Layer: run.Layer, AsOf: asOf, Reach: cmp.Or(run.Reach, "straight")}
		if run.GridID != nil {
			p.GridID = *run.GridID
		}
	}
	if kind == "" {
		return Scenario{}, bad("kind", "required (GET /api/coverage/standards lists the kinds)")
	}
	p, err := s.runs.Resolve(ctx, p)
	if err != nil {
		return Scenario{}, err
	}
	params, _ := json.Marshal(p)
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, sqlInsertScenario, name, kind, baseRun, params, who.Name).Scan(&id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "scenario", Key: fmt.Sprint(id), After: map[string]any{"name": name, "kind": kind, "params": p}})
	})
	if err != nil {
		return Scenario{}, err
	}
	return s.Get(ctx, id)
}

func scanScenario(row pgx.Row) (Scenario, error) {
	var sc Scenario
	var params []byte
	if err := row.Scan(&sc.ID, &sc.Name, &sc.Kind, &sc.BaseRun, &params, &sc.CreatedBy, &sc.CreatedAt); err != nil {
		return sc, err
	}
	if err := json.Unmarshal(params, &sc.Params); err != nil {
		return sc, fmt.Errorf("scenario %d: params: %w", sc.ID, err)
	}
	return sc, nil
}

// Get returns scenario id (pgx.ErrNoRows when there is none).
func (s *Service) Get(ctx context.Context, id int64) (Scenario, error) {
	return scanScenario(s.pool.QueryRow(ctx, sqlGetScenario, id))
}

// List returns the newest scenarios, optionally of one kind.
func (s *Service) List(ctx context.Context, kind string, limit int) ([]Scenario, error) {
	var k any
	if kind != "" {
		k = kind
	}
	rows, err := s.pool.Query(ctx, sqlListScenarios, k, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Scenario{}
	for rows.Next() {
		sc, err := scanScenario(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

func scanEdit(row pgx.Row) (Edit, error) {
	var e Edit
	err := row.Scan(&e.ID, &e.Op, &e.Facility, &e.Target, &e.Name, &e.Lon, &e.Lat, &e.Beds, &e.CreatedBy, &e.CreatedAt)
	return e, err
}

// Edits returns the edits of scenario id in the order they apply.
func (s *Service) Edits(ctx context.Context, id int64) ([]Edit, error) {
	rows, err := s.pool.Query(ctx, sqlListEdits, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Edit{}
	for rows.Next() {
		e, err := scanEdit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddEdit validates and stores an edit of scenario id.
func (s *Service) AddEdit(ctx context.Context, id int64, e Edit) (Edit, error) {
	who, ok := auth.FromContext(ctx)
	if !ok {
		return Edit{}, auth.ErrNoPrincipal
	}
	switch e.Op {
	case OpAdd:
		if e.Facility != nil || e.Target != nil {
			return Edit{}, bad("facility", "an add edit creates a facility; it names none")
		}
		if e.Lon == nil || e.Lat == nil {
			return Edit{}, bad("lon", "add needs lon and lat")
		}
	case OpMove:
		if e.Lon == nil || e.Lat == nil {
			return Edit{}, bad("lon", "move needs lon and lat")
		}
	case OpClose:
	case OpBeds:
		if e.Beds == nil {
			return Edit{}, bad("beds", "a beds edit needs beds")
		}
	default:
		return Edit{}, bad("op", "%q must be add, move, close or beds", e.Op)
	}
	if e.Op != OpAdd && (e.Facility == nil) == (e.Target == nil) {
		return Edit{}, bad("facility", "%s needs either facility (a stored facility's id) or edit (the add edit of a planned facility)", e.Op)
	}
	if e.Op == OpClose || e.Op == OpBeds {
		if e.Op == OpClose {
			e.Beds = nil
		}
		e.Lon, e.Lat = nil, nil
	}
	if e.Lon != nil {
		if e.Lat == nil {
			return Edit{}, bad("lat", "lon without lat")
		}
		if !(math.Abs(*e.Lon) <= 180) || !(math.Abs(*e.Lat) <= 90) {
			return Edit{}, bad("lon", "(%v, %v) is not a WGS84 lon/lat point", *e.Lon, *e.Lat)
		}
	}
	if e.Beds != nil && (*e.Beds < 0 || *e.Beds > 1_000_000) {
		return Edit{}, bad("beds", "%d must be in [0, 1000000]", *e.Beds)
	}
	if e.Op == OpAdd && e.Name == "" {
		e.Name = "规划设施"
	}
	var eid int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var kind string
		if err := tx.QueryRow(ctx, sqlLockScenario, id).Scan(&kind); err != nil {
			return err
		}
		if e.Facility != nil {
			var fk string
			if err := tx.QueryRow(ctx, sqlFacilityKind, *e.Facility).Scan(&fk); errors.Is(err, pgx.ErrNoRows) {
				return bad("facility", "no facility %d", *e.Facility)
			} else if err != nil {
				return err
			}
			if fk != kind {
				return bad("facility", "facility %d is of kind %s; the scenario is of kind %s", *e.Facility, fk, kind)
			}
		}
		if e.Target != nil {
			var isAdd bool
			if err := tx.QueryRow(ctx, sqlAddEditOf, id, *e.Target).Scan(&isAdd); errors.Is(err, pgx.ErrNoRows) {
				return bad("edit", "scenario %d has no edit %d", id, *e.Target)
			} else if err != nil {
				return err
			}
			if !isAdd {
				return bad("edit", "edit %d is not an add edit (it created no facility)", *e.Target)
			}
		}
		var lon, lat any
		if e.Lon != nil {
			lon, lat = *e.Lon, *e.Lat
		}
		if err := tx.QueryRow(ctx, sqlInsertEdit, id, e.Op, e.Facility, e.Target, e.Name, lon, lat, e.Beds, who.Name).Scan(&eid); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "scenario_edit", Key: fmt.Sprintf("%d/%d", id, eid), After: e})
	})
	if err != nil {
		return Edit{}, err
	}
	return scanEdit(s.pool.QueryRow(ctx, sqlGetEdit, id, eid))
}

// DeleteEdit undoes edit eid of scenario id (and the edits on the facility it
// added). It returns pgx.ErrNoRows when there is no such edit.
func (s *Service) DeleteEdit(ctx context.Context, id, eid int64) error {
	if _, ok := auth.FromContext(ctx); !ok {
		return auth.ErrNoPrincipal
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scanEdit(tx.QueryRow(ctx, sqlGetEdit, id, eid))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlDeleteEdit, id, eid); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "delete", Entity: "scenario_edit", Key: fmt.Sprintf("%d/%d", id, eid), Before: before})
	})
}

// View is a scenario computed: its townships and gaps with the edits applied,
// and the difference against the same data without them (the base).
type View struct {
	Scenario   Scenario       `json:"scenario"`
	Edits      []Edit         `json:"edits"`
	Summary    Summary        `json:"summary"`
	Townships  []TownshipRow  `json:"townships"`
	Gaps       []TownshipRow  `json:"gaps"` // flagged townships in rank order
	Facilities []FacilityView `json:"facilities"`
	Notes      []string       `json:"notes,omitempty"`
	// Cells counts the cells the last computation visited (catchments removed and
	// added) and those whose reached state changed.
	Cells struct {
		Visited int `json:"visited"`
		Flipped int `json:"flipped"`
	} `json:"cells"`
}

// Summary is the region's headline with and without the edits.
type Summary struct {
	Population    float64 `json:"population"`
	Covered       float64 `json:"covered"`
	Share         float64 `json:"share"`
	BaseCovered   float64 `json:"base_covered"`
	BaseShare     float64 `json:"base_share"`
	DeltaCovered  float64 `json:"delta_covered"`
	Target        float64 `json:"target"`
	Townships     int     `json:"townships"`
	Flagged       int     `json:"flagged"`
	BaseFlagged   int     `json:"base_flagged"`
	Operating     int     `json:"operating"`
	BaseOperating int     `json:"base_operating"`
	Reach         string  `json:"reach"`
}

// TownshipRow is one township with and without the edits.
type TownshipRow struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	Parent       string   `json:"parent_code"`
	Population   float64  `json:"population"`
	Covered      float64  `json:"covered"`
	Uncovered    float64  `json:"uncovered"`
	Share        float64  `json:"share"`
	Facilities   int      `json:"facilities"`
	Flags        []string `json:"flags"`
	Rank         *int     `json:"rank"`
	Detail       string   `json:"detail,omitempty"`
	BaseCovered  float64  `json:"base_covered"`
	BaseShare    float64  `json:"base_share"`
	BaseFlags    []string `json:"base_flags"`
	BaseRank     *int     `json:"base_rank"`
	DeltaCovered float64  `json:"delta_covered"`
	Changed      bool     `json:"changed"` // covered, facilities or flags differ from the base
}

// FacilityView is a facility the edits touch, as it is in the scenario.
type FacilityView struct {
	Key      string  `json:"key"`                // "f<id>" stored, "e<edit>" planned
	Facility *int64  `json:"facility,omitempty"` // stored facility id
	Edit     *int64  `json:"edit,omitempty"`     // the add edit of a planned facility
	Name     string  `json:"name"`
	Lon      float64 `json:"lon"`
	Lat      float64 `json:"lat"`
	Status   string  `json:"status"` // in the scenario: operating or closed
	Planned  bool    `json:"planned"`
	Moved    bool    `json:"moved"`
	Beds     *int    `json:"beds"`
	Township string  `json:"township"`
}

// Compute computes scenario id.
func (s *Service) Compute(ctx context.Context, id int64) (*View, error) {
	sc, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	edits, err := s.Edits(ctx, id)
	if err != nil {
		return nil, err
	}
	base, err := s.runs.LoadBase(ctx, sc.Params)
	if err != nil {
		return nil, err
	}
	stored, err := s.runs.BaseFacilities(ctx, base)
	if err != nil {
		return nil, err
	}
	baseFacs := make([]coverage.Facility, len(stored))
	for i, f := range stored {
		baseFacs[i] = f.Facility
		baseFacs[i].ID = fmt.Sprintf("f%d", f.ID)
	}
	edited, touched, err := s.apply(ctx, stored, edits)
	if err != nil {
		return nil, err
	}

	st := s.state(id)
	st.mu.Lock()
	defer st.mu.Unlock()
	key := base.Key + fmt.Sprintf("|%s|%v|%s", base.Params.Layer, base.Params.RadiusM, base.Params.AsOf)
	if st.inc == nil || st.key != key {
		in := base.Input
		in.Facilities = baseFacs
		inc, err := coverage.NewIncremental(ctx, in)
		if err != nil {
			return nil, err
		}
		st.inc, st.key = inc, key
	}
	if err := st.inc.Set(ctx, baseFacs); err != nil {
		return nil, err
	}
	before := st.inc.Result()
	visited, flipped := st.inc.Touched, st.inc.Flipped
	if err := st.inc.Set(ctx, edited); err != nil {
		return nil, err
	}
	after := st.inc.Result()
	v := &View{Scenario: sc, Edits: edits, Notes: after.Notes}
	v.Cells.Visited, v.Cells.Flipped = visited+st.inc.Touched, flipped+st.inc.Flipped
	v.Summary = Summary{Population: after.Population, Covered: after.Covered, BaseCovered: before.Covered, DeltaCovered: after.Covered - before.Covered,
		Target: after.Target, Townships: len(after.Townships), Operating: after.Operating, BaseOperating: before.Operating, Reach: after.Reach, Share: 1, BaseShare: 1}
	if after.Population > 0 {
		v.Summary.Share, v.Summary.BaseShare = after.Covered/after.Population, before.Covered/before.Population
	}
	ranks := func(res *coverage.Result) map[string]coverage.Gap {
		m := map[string]coverage.Gap{}
		for _, g := range res.Gaps {
			if g.Level == coverage.LevelTownship {
				m[g.Code] = g
			}
		}
		return m
	}
	rAfter, rBefore := ranks(after), ranks(before)
	v.Townships = make([]TownshipRow, len(after.Townships))
	for i, u := range after.Townships {
		b := before.Townships[i]
		row := TownshipRow{Code: u.Code, Name: u.Name, Parent: u.Parent, Population: u.Population, Covered: u.Covered, Uncovered: u.Uncovered, Share: u.Share,
			Facilities: u.Facilities, Flags: nonNil(u.Flags), BaseCovered: b.Covered, BaseShare: b.Share, BaseFlags: nonNil(b.Flags), DeltaCovered: u.Covered - b.Covered}
		row.Changed = u.Covered != b.Covered || u.Facilities != b.Facilities || !slices.Equal(u.Flags, b.Flags)
		if g, ok := rAfter[u.Code]; ok {
			r := g.Rank
			row.Rank, row.Detail = &r, g.Detail
			v.Summary.Flagged++
		}
		if g, ok := rBefore[u.Code]; ok {
			r := g.Rank
			row.BaseRank = &r
			v.Summary.BaseFlagged++
		}
		v.Townships[i] = row
	}
	v.Gaps = []TownshipRow{}
	for _, g := range after.Gaps {
		if g.Level != coverage.LevelTownship {
			continue
		}
		for _, row := range v.Townships {
			if row.Code == g.Code {
				v.Gaps = append(v.Gaps, row)
				break
			}
		}
	}
	// The facilities the edits touch, as they are now.
	v.Facilities = []FacilityView{}
	byKey := map[string]coverage.FacilityResult{}
	for _, f := range after.Facilities {
		byKey[f.ID] = f
	}
	for _, k := range touched {
		f, ok := byKey[k.key]
		if !ok {
			continue
		}
		fv := FacilityView{Key: k.key, Facility: k.facility, Edit: k.edit, Name: f.Name, Lon: f.Location[0], Lat: f.Location[1],
			Status: f.Status, Planned: k.edit != nil, Moved: k.moved, Beds: f.Beds, Township: f.Township}
		v.Facilities = append(v.Facilities, fv)
	}
	return v, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type touchedFacility struct {
	key      string
	facility *int64
	edit     *int64
	moved    bool
}

// apply returns the facility set of the edits on top of stored, keyed "f<id>"
// (stored) and "e<edit>" (planned), and the facilities the edits touch in the
// order first touched.
func (s *Service) apply(ctx context.Context, stored []runs.BaseFacility, edits []Edit) ([]coverage.Facility, []touchedFacility, error) {
	facs := make([]coverage.Facility, len(stored))
	index := map[string]int{}
	for i, f := range stored {
		facs[i] = f.Facility
		facs[i].ID = fmt.Sprintf("f%d", f.ID)
		index[facs[i].ID] = i
	}
	var touched []touchedFacility
	seen := map[string]int{}
	touch := func(t touchedFacility) *touchedFacility {
		if k, ok := seen[t.key]; ok {
			return &touched[k]
		}
		seen[t.key] = len(touched)
		touched = append(touched, t)
		return &touched[len(touched)-1]
	}
	for _, e := range edits {
		if e.Op == OpAdd {
			key := fmt.Sprintf("e%d", e.ID)
			index[key] = len(facs)
			facs = append(facs, coverage.Facility{ID: key, Name: e.Name, Location: orb.Point{*e.Lon, *e.Lat}, Status: coverage.StatusOperating, Beds: e.Beds,
				Source: fmt.Sprintf("scenario edit %d", e.ID)})
			eid := e.ID
			touch(touchedFacility{key: key, edit: &eid})
			continue
		}
		var key string
		if e.Facility != nil {
			key = fmt.Sprintf("f%d", *e.Facility)
			if _, ok := index[key]; !ok {
				// A stored facility beyond the reach of the grid (or added since the
				// list was read): read it.
				var f coverage.Facility
				err := s.pool.QueryRow(ctx, sqlFacilityByID, *e.Facility).Scan(&f.ID, &f.Name, &f.Location[0], &f.Location[1], &f.Status, &f.Beds, &f.NursingBeds, &f.DementiaBeds)
				if errors.Is(err, pgx.ErrNoRows) {
					continue // deleted: its edits went with it
				} else if err != nil {
					return nil, nil, err
				}
				f.ID = key
				index[key] = len(facs)
				facs = append(facs, f)
			}
		} else {
			key = fmt.Sprintf("e%d", *e.Target)
			if _, ok := index[key]; !ok {
				continue
			}
		}
		f := &facs[index[key]]
		t := touch(touchedFacility{key: key, facility: e.Facility, edit: e.Target})
		switch e.Op {
		case OpMove:
			f.Location = orb.Point{*e.Lon, *e.Lat}
			t.moved = true
		case OpClose:
			f.Status = coverage.StatusClosed
		case OpBeds:
			b := *e.Beds
			f.Beds = &b
		}
	}
	return facs, touched, nil
}

// state returns the kept state of scenario id, making room when needed.
func (s *Service) state(id int64) *state {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	if st, ok := s.states[id]; ok {
		st.used = s.tick
		return st
	}
	for len(s.states) >= maxStates {
		var oldest int64
		first := true
		for k, st := range s.states {
			if first || st.used < s.states[oldest].used {
				oldest, first = k, false
			}
		}
		delete(s.states, oldest)
	}
	st := &state{used: s.tick}
	s.states[id] = st
	return st
}
