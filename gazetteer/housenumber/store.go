package housenumber

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/gazetteer"
	"fangyuan/internal/auth"
)

// Store reads and writes roads' rules and house numbers.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrVersionConflict means the record changed since the client read it.
var ErrVersionConflict = errors.New("the record was changed by someone else; reload it and try again")

// ErrState means the record's status does not allow the change.
var ErrState = errors.New("not allowed in this status")

// Road is a road with its stored and effective numbering rule.
type Road struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	AdminCode string         `json:"admin_code"`
	Kind      string         `json:"kind"`
	Line      orb.LineString `json:"-"`
	LengthM   float64        `json:"length_m"`
	Version   int            `json:"version"`
	Rule      Rule           `json:"rule"`

	stored   Rule // the columns as stored
	preset   string
	override bool
	ctx      Context
}

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func scanRoad(row pgx.Row) (Road, error) {
	var (
		r                  Road
		b                  []byte
		lane, startT, endT bool
		clon, clat         *float64
	)
	if err := row.Scan(&r.ID, &r.Name, &r.AdminCode, &r.Kind, &b, &r.stored.Origin, &r.stored.OddSide, &r.stored.OneSided,
		&r.override, &r.preset, &r.stored.Metric, &r.stored.StepM, &r.Version, &lane, &startT, &endT, &clon, &clat); err != nil {
		return r, err
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return r, fmt.Errorf("road %d geometry: %w", r.ID, err)
	}
	ls, ok := g.(orb.LineString)
	if !ok || len(ls) < 2 {
		return r, fmt.Errorf("road %d: geometry is not a LineString", r.ID)
	}
	r.Line = ls
	r.LengthM = round1(newLine(ls).total)
	r.ctx = Context{Entrance: -1, OneSided: r.stored.OneSided}
	if lane && startT != endT {
		r.ctx.Entrance = map[bool]int{true: 0, false: 1}[startT]
	}
	if clon != nil && clat != nil {
		r.ctx.Centre, r.ctx.HasCentre = orb.Point{*clon, *clat}, true
	}
	return r, nil
}

func scanPreset(row pgx.Row) (Preset, error) {
	var p Preset
	err := row.Scan(&p.Name, &p.Title, &p.Origin, &p.EWFrom, &p.EWOdd, &p.NSFrom, &p.NSOdd, &p.OddSide, &p.LanesFromEntrance,
		&p.LaneOdd, &p.CentreLon, &p.CentreLat, &p.Metric, &p.StepM, &p.Default, &p.Note)
	return p, err
}

// effective resolves r's rule: its override, else its preset or the bureau default.
func effective(ctx context.Context, q queryer, r *Road) error {
	if r.override {
		r.Rule = OverrideRule(r.stored.Origin, r.stored.OddSide, r.stored.OneSided, r.stored.Metric, r.stored.StepM)
		return nil
	}
	p, err := presetOrDefault(ctx, q, r.preset)
	if err != nil {
		return err
	}
	r.Rule = resolveWith(p, r)
	return nil
}

func resolveWith(p Preset, r *Road) Rule {
	c := r.ctx
	if p.CentreLon != nil && p.CentreLat != nil {
		c.Centre, c.HasCentre = orb.Point{*p.CentreLon, *p.CentreLat}, true
	}
	return p.Resolve(r.Line, c)
}

func presetOrDefault(ctx context.Context, q queryer, name string) (Preset, error) {
	if name != "" {
		p, err := scanPreset(q.QueryRow(ctx, sqlPreset, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return p, fmt.Errorf("%w: no numbering preset %q", ErrState, name)
		}
		return p, err
	}
	p, err := scanPreset(q.QueryRow(ctx, sqlDefaultPreset))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("%w: no default numbering preset", ErrState)
	}
	return p, err
}

// Presets lists the numbering presets.
func (s *Store) Presets(ctx context.Context) ([]Preset, error) {
	rows, err := s.pool.Query(ctx, sqlPresets)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Preset, error) { return scanPreset(row) })
}

// Road returns road id with its effective rule.
func (s *Store) Road(ctx context.Context, id int64) (Road, error) {
	r, err := scanRoad(s.pool.QueryRow(ctx, sqlGetRoad, id))
	if err != nil {
		return r, err
	}
	return r, effective(ctx, s.pool, &r)
}

// RuleInput sets a road's rule: Preset (or FollowDefault) makes it follow a preset,
// otherwise the explicit fields are its override.
type RuleInput struct {
	Version       int     `json:"version"`
	Preset        string  `json:"preset"`
	FollowDefault bool    `json:"follow_default"`
	Origin        string  `json:"origin"`
	OddSide       string  `json:"odd_side"`
	OneSided      bool    `json:"one_sided"`
	Metric        bool    `json:"metric"`
	StepM         float64 `json:"step_m"`
}

// SetRule sets road id's rule if its version matches, and audits it. The resolved origin
// and odd side are stored in the road's columns too (the geocoder reads them).
func (s *Store) SetRule(ctx context.Context, id int64, in RuleInput) (Road, error) {
	var out Road
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanRoad(tx.QueryRow(ctx, sqlGetRoadForUpdate, id))
		if err != nil {
			return err
		}
		if err := effective(ctx, tx, &r); err != nil {
			return err
		}
		before := r
		if r.Version != in.Version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, in.Version, r.Version)
		}
		var rule Rule
		if in.Preset != "" || in.FollowDefault {
			p, err := presetOrDefault(ctx, tx, in.Preset)
			if err != nil {
				return err
			}
			r.ctx.OneSided = in.OneSided
			rule = resolveWith(p, &r)
		} else {
			rule = OverrideRule(in.Origin, in.OddSide, in.OneSided, in.Metric, in.StepM)
		}
		if _, err := tx.Exec(ctx, sqlSetRoadRule, id, rule.Override, in.Preset, rule.Origin, rule.OddSide, rule.OneSided,
			rule.Metric, rule.StepM, in.Version); err != nil {
			return err
		}
		if out, err = scanRoad(tx.QueryRow(ctx, sqlGetRoad, id)); err != nil {
			return err
		}
		if err := effective(ctx, tx, &out); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "road", Key: fmt.Sprint(id),
			Before: map[string]any{"rule": before.Rule, "version": before.Version}, After: map[string]any{"rule": out.Rule, "version": out.Version},
			Detail: map[string]any{"change": "numbering_rule"}})
	})
	return out, err
}

// House is a house number (门牌) record.
type House struct {
	ID          int64      `json:"id"`
	RoadID      int64      `json:"road_id"`
	Road        string     `json:"road"`
	Number      int        `json:"number"`
	Suffix      string     `json:"suffix"`
	Building    string     `json:"building"` // 幢/栋
	Unit        string     `json:"unit"`     // 单元
	Room        string     `json:"room"`     // 室
	Address     string     `json:"address"`
	AdminCode   string     `json:"admin_code"`
	Lon         float64    `json:"lon"`
	Lat         float64    `json:"lat"`
	Status      string     `json:"status"`
	ValidFrom   time.Time  `json:"valid_from"`
	ValidTo     *time.Time `json:"valid_to"`
	ApprovalNo  string     `json:"approval_no"`
	ApprovedOn  *time.Time `json:"approved_on"`
	PlannedOn   *time.Time `json:"planned_on"`
	ActivatedOn *time.Time `json:"activated_on"`
	RetiredOn   *time.Time `json:"retired_on"`
	Note        string     `json:"note"`
	Predecessor *int64     `json:"predecessor_id"`
	Source      string     `json:"source"`
	Version     int        `json:"version"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Along-road position and side (lists of a road's numbers).
	AlongM *float64 `json:"along_m,omitempty"`
	Side   string   `json:"side,omitempty"`
}

func scanHouse(row pgx.Row) (House, error) {
	var h House
	err := row.Scan(&h.ID, &h.RoadID, &h.Road, &h.Number, &h.Suffix, &h.Building, &h.Unit, &h.Room, &h.AdminCode, &h.Lon, &h.Lat,
		&h.Status, &h.ValidFrom, &h.ValidTo, &h.ApprovalNo, &h.ApprovedOn, &h.PlannedOn, &h.ActivatedOn, &h.RetiredOn, &h.Note,
		&h.Predecessor, &h.Source, &h.Version, &h.UpdatedAt)
	h.Address = Address(h.Road, h.Number, h.Suffix, h.Building, h.Unit, h.Room)
	return h, err
}

// Address formats a house number with its sub-address: 人民路甲12号3幢2单元301室.
func Address(road string, n int, suffix, building, unit, room string) string {
	s := road + gazetteer.HouseNumberText(n, suffix) // the plate's form: 甲12号, 12号之一
	if building != "" {
		s += building + "幢"
	}
	if unit != "" {
		s += unit + "单元"
	}
	if room != "" {
		s += room + "室"
	}
	return s
}

// Get returns house number id.
func (s *Store) Get(ctx context.Context, id int64) (House, error) {
	return scanHouse(s.pool.QueryRow(ctx, sqlGetHouse, id))
}

// Lineage returns the predecessors (oldest first) and successors of house number id.
func (s *Store) Lineage(ctx context.Context, id int64) (pred, succ []House, err error) {
	rows, err := s.pool.Query(ctx, sqlLineage, id)
	if err != nil {
		return nil, nil, err
	}
	type step struct {
		id    int64
		depth int
	}
	steps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (step, error) {
		var st step
		return st, row.Scan(&st.id, &st.depth)
	})
	if err != nil {
		return nil, nil, err
	}
	for _, st := range steps {
		h, err := s.Get(ctx, st.id)
		if err != nil {
			return nil, nil, err
		}
		if st.depth < 0 {
			pred = append(pred, h)
		} else {
			succ = append(succ, h)
		}
	}
	return pred, succ, nil
}

// Numbers returns the numbers of road r (retired ones too when all), each with its
// along-road position and side under the road's rule.
func (s *Store) Numbers(ctx context.Context, r Road, all bool) ([]House, error) {
	rows, err := s.pool.Query(ctx, sqlRoadHouses, r.ID, all)
	if err != nil {
		return nil, err
	}
	hs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (House, error) { return scanHouse(row) })
	if err != nil {
		return nil, err
	}
	l := newLine(r.Line)
	for i := range hs {
		p := l.project(orb.Point{hs[i].Lon, hs[i].Lat}, r.Rule.Origin == "end")
		a := round1(p.AlongM)
		hs[i].AlongM, hs[i].Side = &a, p.Side
	}
	return hs, nil
}

// Suggest suggests the number of a new building at pt on road id.
func (s *Store) Suggest(ctx context.Context, id int64, pt orb.Point) (Suggestion, error) {
	r, err := s.Road(ctx, id)
	if err != nil {
		return Suggestion{}, err
	}
	return s.suggestOn(ctx, s.pool, r, pt)
}

func (s *Store) suggestOn(ctx context.Context, q queryer, r Road, pt orb.Point) (Suggestion, error) {
	rows, err := q.Query(ctx, sqlRoadHouses, r.ID, false)
	if err != nil {
		return Suggestion{}, err
	}
	hs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (House, error) { return scanHouse(row) })
	if err != nil {
		return Suggestion{}, err
	}
	ex := make([]Existing, len(hs))
	for i, h := range hs {
		ex[i] = Existing{ID: h.ID, Number: h.Number, Suffix: h.Suffix, Point: orb.Point{h.Lon, h.Lat}}
	}
	sg := Suggest(r.Rule, r.Line, ex, pt)
	sg.RoadID, sg.Road = r.ID, r.Name
	sg.Address = r.Name + sg.Address
	return sg, nil
}

// AssignInput is a new house number. Number 0 takes the suggestion at the point.
type AssignInput struct {
	RoadID     int64      `json:"road_id"`
	Number     int        `json:"number"`
	Suffix     string     `json:"suffix"`
	Building   string     `json:"building"`
	Unit       string     `json:"unit"`
	Room       string     `json:"room"`
	Lon        float64    `json:"lon"`
	Lat        float64    `json:"lat"`
	Status     string     `json:"status"` // planned | active (default)
	ApprovalNo string     `json:"approval_no"`
	ApprovedOn *time.Time `json:"approved_on"`
	Note       string     `json:"note"`
	Source     string     `json:"source"`
}

// Assign creates a house number and audits it. Two editors assigning the same number on
// the same road at once: the exclusion constraint lets exactly one commit; the other gets
// its exclusion violation (a 409).
func (s *Store) Assign(ctx context.Context, in AssignInput) (House, error) {
	var out House
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = s.assign(ctx, tx, in, nil)
		if err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "house_number", Key: fmt.Sprint(out.ID), After: out})
	})
	return out, err
}

func (s *Store) assign(ctx context.Context, tx pgx.Tx, in AssignInput, pred *int64) (House, error) {
	if in.Number == 0 {
		r, err := scanRoad(tx.QueryRow(ctx, sqlGetRoad, in.RoadID))
		if err != nil {
			return House{}, err
		}
		if err := effective(ctx, tx, &r); err != nil {
			return House{}, err
		}
		sg, err := s.suggestOn(ctx, tx, r, orb.Point{in.Lon, in.Lat})
		if err != nil {
			return House{}, err
		}
		in.Number, in.Suffix = sg.Number, sg.Suffix
	}
	if in.Status == "" {
		in.Status = "active"
	}
	if in.Source == "" {
		in.Source = "api"
	}
	var id int64
	if err := tx.QueryRow(ctx, sqlInsertHouse, in.RoadID, in.Number, in.Suffix, in.Building, in.Unit, in.Room, in.Lon, in.Lat,
		in.Status, in.ApprovalNo, in.ApprovedOn, in.Note, pred, in.Source).Scan(&id); err != nil {
		return House{}, err
	}
	return scanHouse(tx.QueryRow(ctx, sqlGetHouse, id))
}

// ChangeInput retires, activates or renumbers a house number.
type ChangeInput struct {
	Version    int    `json:"version"`
	ApprovalNo string `json:"approval_no"`
	Note       string `json:"note"`
	// Renumbering: the new number (0 keeps it, unless the point moves and Suggest is
	// set), suffix, point (nil keeps it) and road (0 keeps it).
	Number  int      `json:"number"`
	Suffix  *string  `json:"suffix"`
	Lon     *float64 `json:"lon"`
	Lat     *float64 `json:"lat"`
	RoadID  int64    `json:"road_id"`
	Suggest bool     `json:"suggest"`
}

func (s *Store) locked(ctx context.Context, tx pgx.Tx, id int64, version int) (House, error) {
	h, err := scanHouse(tx.QueryRow(ctx, sqlGetHouseForUpdate, id))
	if err != nil {
		return h, err
	}
	if h.Version != version {
		return h, fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, h.Version)
	}
	return h, nil
}

// Retire retires house number id (valid until today) and audits it.
func (s *Store) Retire(ctx context.Context, id int64, in ChangeInput) (House, error) {
	var out House
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := s.locked(ctx, tx, id, in.Version)
		if err != nil {
			return err
		}
		if before.Status == "retired" {
			return fmt.Errorf("%w: house number %d is already retired", ErrState, id)
		}
		if _, err := tx.Exec(ctx, sqlRetireHouse, id, in.Version, in.ApprovalNo, in.Note); err != nil {
			return err
		}
		if out, err = scanHouse(tx.QueryRow(ctx, sqlGetHouse, id)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "retire", Entity: "house_number", Key: fmt.Sprint(id), Before: before, After: out})
	})
	return out, err
}

// Activate makes a planned house number active.
func (s *Store) Activate(ctx context.Context, id int64, in ChangeInput) (House, error) {
	var out House
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := s.locked(ctx, tx, id, in.Version)
		if err != nil {
			return err
		}
		if before.Status != "planned" {
			return fmt.Errorf("%w: house number %d is %s, not planned", ErrState, id, before.Status)
		}
		if _, err := tx.Exec(ctx, sqlActivateHouse, id, in.Version, in.ApprovalNo); err != nil {
			return err
		}
		if out, err = scanHouse(tx.QueryRow(ctx, sqlGetHouse, id)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "activate", Entity: "house_number", Key: fmt.Sprint(id), Before: before, After: out})
	})
	return out, err
}

// Renumber retires house number id and creates its successor (new number and/or point,
// linked by predecessor_id) in one transaction, audited. The old id keeps meaning the old
// number; the new one gets a new id.
func (s *Store) Renumber(ctx context.Context, id int64, in ChangeInput) (old, succ House, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := s.locked(ctx, tx, id, in.Version)
		if err != nil {
			return err
		}
		if before.Status == "retired" {
			return fmt.Errorf("%w: house number %d is retired", ErrState, id)
		}
		if _, err := tx.Exec(ctx, sqlRetireHouse, id, in.Version, in.ApprovalNo, in.Note); err != nil {
			return err
		}
		a := AssignInput{RoadID: before.RoadID, Number: before.Number, Suffix: before.Suffix, Building: before.Building,
			Unit: before.Unit, Room: before.Room, Lon: before.Lon, Lat: before.Lat, Status: before.Status,
			ApprovalNo: in.ApprovalNo, Note: in.Note, Source: "renumber"}
		if in.RoadID != 0 {
			a.RoadID = in.RoadID
		}
		if in.Lon != nil && in.Lat != nil {
			a.Lon, a.Lat = *in.Lon, *in.Lat
		}
		if in.Number != 0 {
			a.Number, a.Suffix = in.Number, ""
		} else if in.Suggest {
			a.Number = 0
		}
		if in.Suffix != nil {
			a.Suffix = *in.Suffix
		}
		if old, err = scanHouse(tx.QueryRow(ctx, sqlGetHouse, id)); err != nil {
			return err
		}
		if succ, err = s.assign(ctx, tx, a, &id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "renumber", Entity: "house_number", Key: fmt.Sprint(id), Before: before, After: succ,
			Detail: map[string]any{"successor_id": succ.ID}})
	})
	return old, succ, err
}
