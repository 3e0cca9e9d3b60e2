// Package boundary owns boundary inspection (界线联检): boundary lines (界线) stored from a
// derivation or an official file, markers (界桩) with their condition and checks (a
// three-way marker where three units meet, markers far from their line), inspection rounds
// (联检轮次) with teams and their lines, field packages (GeoJSON, KML/KMZ, GeoPackage and a
// manifest) and findings brought back from the field, applied with history and refused as
// conflicts when the marker changed since the package was exported.
package boundary

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// Line is a stored boundary line.
type Line struct {
	ID            int64               `json:"id"`
	ExtID         string              `json:"ext_id"`
	Name          string              `json:"name"`
	Level         int                 `json:"level"`
	LeftCode      string              `json:"left_code"`
	RightCode     string              `json:"right_code"`
	Origin        string              `json:"origin"`
	Source        string              `json:"source"`
	LengthM       float64             `json:"length_m"`
	Geometry      orb.MultiLineString `json:"-"`
	Version       int                 `json:"version"`
	UpdatedAt     time.Time           `json:"updated_at"`
	LastInspected *time.Time          `json:"last_inspected"`
}

// Marker is a stored boundary marker.
type Marker struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	LineID        int64      `json:"line_id"`
	LineExtID     string     `json:"line"`
	LineName      string     `json:"line_name"`
	Kind          string     `json:"kind"`
	Condition     string     `json:"condition"`
	Lon           float64    `json:"lon"`
	Lat           float64    `json:"lat"`
	Photos        []string   `json:"photos"`
	InstalledOn   *time.Time `json:"installed_on"`
	LastInspected *time.Time `json:"last_inspected"`
	Notes         string     `json:"notes"`
	Source        string     `json:"source"`
	Version       int        `json:"version"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Store reads and writes boundary lines, markers, rounds, packages and findings.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrVersionConflict means the record changed since the client read it.
var ErrVersionConflict = errors.New("the marker was changed by someone else; reload it and try again")

func scanLine(row pgx.Row, extra ...any) (Line, error) {
	var l Line
	var geomWKB []byte
	var level int16
	err := row.Scan(append([]any{&l.ID, &l.ExtID, &l.Name, &level, &l.LeftCode, &l.RightCode, &l.Origin, &l.Source,
		&l.LengthM, &geomWKB, &l.Version, &l.UpdatedAt, &l.LastInspected}, extra...)...)
	if err != nil {
		return l, err
	}
	l.Level = int(level)
	g, err := wkb.Unmarshal(geomWKB)
	if err != nil {
		return l, fmt.Errorf("line %s: %w", l.ExtID, err)
	}
	switch g := g.(type) {
	case orb.MultiLineString:
		l.Geometry = g
	case orb.LineString:
		l.Geometry = orb.MultiLineString{g}
	default:
		return l, fmt.Errorf("line %s: geometry %s", l.ExtID, g.GeoJSONType())
	}
	return l, nil
}

func scanMarker(row pgx.Row, extra ...any) (Marker, error) {
	var m Marker
	err := row.Scan(append([]any{&m.ID, &m.Number, &m.LineID, &m.LineExtID, &m.LineName, &m.Kind, &m.Condition, &m.Lon, &m.Lat,
		&m.Photos, &m.InstalledOn, &m.LastInspected, &m.Notes, &m.Source, &m.Version, &m.UpdatedAt}, extra...)...)
	if m.Photos == nil {
		m.Photos = []string{}
	}
	return m, err
}

// Filter selects lines or markers.
type Filter struct {
	Level      int    // lines: 0 = any
	UnitPrefix string // lines: significant digits of a unit code on either side
	LineID     int64  // markers: of one line
	Condition  string // markers
	RoundID    int64  // in the round's scope
	TeamID     int64  // assigned to the team (with RoundID)
	Limit      int
	Offset     int
}

func nilIfZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// Lines returns the lines matching f and the total count.
func (s *Store) Lines(ctx context.Context, f Filter) ([]Line, int, error) {
	if f.Limit == 0 {
		f.Limit = 100000
	}
	var lvl any
	if f.Level > 0 {
		lvl = int16(f.Level)
	}
	rows, err := s.pool.Query(ctx, sqlListLines, lvl, nilIfZero(f.UnitPrefix), nilIfZero(f.RoundID), nilIfZero(f.TeamID), f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Line
	total := 0
	for rows.Next() {
		l, err := scanLine(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, l)
	}
	return out, total, rows.Err()
}

// Markers returns the markers matching f and the total count.
func (s *Store) Markers(ctx context.Context, f Filter) ([]Marker, int, error) {
	if f.Limit == 0 {
		f.Limit = 100000
	}
	rows, err := s.pool.Query(ctx, sqlListMarkers, nilIfZero(f.LineID), nilIfZero(f.Condition), nilIfZero(f.RoundID), nilIfZero(f.TeamID), f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Marker
	total := 0
	for rows.Next() {
		m, err := scanMarker(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// Marker returns one marker.
func (s *Store) Marker(ctx context.Context, id int64) (Marker, error) {
	return scanMarker(s.pool.QueryRow(ctx, sqlGetMarker, id))
}

// MarkerEdit is what an editor may change on a marker.
type MarkerEdit struct {
	Kind, Condition string
	Lon, Lat        float64
	Photos          []string
	InstalledOn     *time.Time
	LastInspected   *time.Time
	Notes           string
}

// UpdateMarker replaces the editable fields of marker id if version still matches, and
// audits the change.
func (s *Store) UpdateMarker(ctx context.Context, id int64, version int, e MarkerEdit) (Marker, error) {
	var out Marker
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scanMarker(tx.QueryRow(ctx, sqlGetMarkerForUpdate, id))
		if err != nil {
			return err
		}
		if before.Version != version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, before.Version)
		}
		if e.Photos == nil {
			e.Photos = []string{}
		}
		if _, err := tx.Exec(ctx, sqlUpdateMarker, id, e.Kind, e.Condition, e.Lon, e.Lat, e.Photos, e.InstalledOn, e.LastInspected, e.Notes, version); err != nil {
			return err
		}
		if out, err = scanMarker(tx.QueryRow(ctx, sqlGetMarker, id)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "boundary_marker", Key: before.Number, Before: before, After: out})
	})
	return out, err
}

// LineInput is one line to store: Key is the stable id (ext_id; empty: the name), codes
// are 12 digits, Level the units' level (1–5).
type LineInput struct {
	Index     int
	ExtID     string
	Name      string
	LeftCode  string
	RightCode string
	Level     int
	Geometry  orb.MultiLineString
}

// LineProblem is a line that could not be stored.
type LineProblem struct {
	Index  int    `json:"index"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Origins of a line.
const (
	OriginImported = "imported"
	OriginDerived  = "derived"
)

// ImportLines upserts lines by their stable id in tx (origin: imported or derived), names
// the unnamed ones 左—右线 from the current units, audits updates, and returns the lines it
// could not store (codes that are no current unit, invalid geometry): the caller decides
// whether they fail the import.
func (s *Store) ImportLines(ctx context.Context, tx pgx.Tx, lines []LineInput, origin, source string) (db.Changes, []LineProblem, error) {
	var ch db.Changes
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, nil, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageLines); err != nil {
		return ch, nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_line"}, []string{"idx", "ext_id", "name", "left_code", "right_code", "level", "wkb"},
		pgx.CopyFromSlice(len(lines), func(i int) ([]any, error) {
			l := lines[i]
			b, err := wkb.Marshal(l.Geometry)
			if err != nil {
				return nil, fmt.Errorf("feature %d: %w", l.Index, err)
			}
			return []any{l.Index, l.ExtID, l.Name, l.LeftCode, l.RightCode, int16(l.Level), b}, nil
		}))
	if err != nil {
		return ch, nil, fmt.Errorf("stage lines: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlClassifyLines, origin); err != nil {
		return ch, nil, err
	}
	rows, err := tx.Query(ctx, sqlLineProblems)
	if err != nil {
		return ch, nil, err
	}
	problems, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LineProblem, error) {
		var lp LineProblem
		var lm, rm, inv, twice bool
		var clash *string
		err := r.Scan(&lp.Index, &lm, &rm, &inv, &clash, &twice)
		switch {
		case clash != nil:
			lp.Field, lp.Reason = "name", fmt.Sprintf("line %s between the same units has this name already; give the line another name or id", *clash)
		case twice:
			lp.Field, lp.Reason = "name", "two lines between the same units with the same name; name them apart"
		case lm:
			lp.Field, lp.Reason = "left_code", "no current division with this code"
		case rm:
			lp.Field, lp.Reason = "right_code", "no current division with this code"
		case inv:
			lp.Field, lp.Reason = "geometry", "invalid line (repeated points only?)"
		}
		return lp, err
	})
	if err != nil {
		return ch, nil, err
	}
	if ch, err = db.CountOps(ctx, tx, sqlCountLineOps); err != nil {
		return ch, nil, err
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{sqlAuditLineUpdates, []any{p.Name, p.Via, source, origin}},
		{sqlApplyLineUpdates, []any{source, origin}},
		{sqlInsertLines, []any{source, origin}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return ch, nil, err
		}
	}
	return ch, problems, nil
}

// MarkerInput is one marker to store (WGS84).
type MarkerInput struct {
	Index         int // source line or feature, for messages
	Number        string
	LineRef       string
	Kind          string
	Condition     string
	Lon, Lat      float64
	Photos        []string
	InstalledOn   *time.Time
	LastInspected *time.Time
	Notes         string
}

// CheckOptions are the tolerances of the marker checks.
type CheckOptions struct {
	// JunctionTolerance (m): a three-way marker must be within this of three units.
	JunctionTolerance float64
	// MaxOffset (m): a marker farther than this from its line is reported.
	MaxOffset float64
}

// DefaultCheck are the default tolerances: 30 m to a junction, 50 m from the line.
var DefaultCheck = CheckOptions{JunctionTolerance: 30, MaxOffset: 50}

func (o CheckOptions) withDefaults() CheckOptions {
	if o.JunctionTolerance <= 0 {
		o.JunctionTolerance = DefaultCheck.JunctionTolerance
	}
	if o.MaxOffset <= 0 {
		o.MaxOffset = DefaultCheck.MaxOffset
	}
	return o
}

// MarkerProblem is a marker that fails a check: Reject problems (no line, a three-way
// marker not at a junction) keep it out; warnings (far from its line, cannot check) do not.
type MarkerProblem struct {
	Index    int     `json:"index,omitempty"`
	Number   string  `json:"number"`
	Line     string  `json:"line,omitempty"`
	Field    string  `json:"field"`
	Reason   string  `json:"reason"`
	Reject   bool    `json:"reject"`
	Distance float64 `json:"distance_m,omitempty"`
	Units    *int    `json:"units_near,omitempty"`
}

// ImportMarkers upserts markers by number in tx, resolving each one's line (by id or name,
// or the nearest line), checks three-way markers against the unit polygons and the
// distance to the line, and stores every marker without a rejecting problem. It returns the
// problems; the caller decides whether rejects fail the import.
func (s *Store) ImportMarkers(ctx context.Context, tx pgx.Tx, ms []MarkerInput, source string, opts CheckOptions) (db.Changes, []MarkerProblem, error) {
	var ch db.Changes
	opts = opts.withDefaults()
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, nil, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageMarkers); err != nil {
		return ch, nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_marker"},
		[]string{"idx", "number", "line_ref", "kind", "condition", "lon", "lat", "photos", "installed_on", "last_inspected", "notes"},
		pgx.CopyFromSlice(len(ms), func(i int) ([]any, error) {
			m := ms[i]
			photos := m.Photos
			if photos == nil {
				photos = []string{}
			}
			return []any{m.Index, m.Number, m.LineRef, m.Kind, m.Condition, m.Lon, m.Lat, photos, m.InstalledOn, m.LastInspected, m.Notes}, nil
		}))
	if err != nil {
		return ch, nil, fmt.Errorf("stage markers: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlClassifyMarkers); err != nil {
		return ch, nil, err
	}
	var problems []MarkerProblem
	rows, err := tx.Query(ctx, sqlMarkerNoLine)
	if err != nil {
		return ch, nil, err
	}
	byIdx := map[int]MarkerInput{}
	for _, m := range ms {
		byIdx[m.Index] = m
	}
	noLine, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarkerProblem, error) {
		var mp MarkerProblem
		var ref string
		err := r.Scan(&mp.Index, &ref)
		mp.Number, mp.Line, mp.Reject, mp.Field = byIdx[mp.Index].Number, ref, true, "line"
		if ref == "" {
			mp.Reason = "no boundary line to attach the marker to: import the lines first"
		} else {
			mp.Reason = fmt.Sprintf("no boundary line with id or name %q", ref)
		}
		return mp, err
	})
	if err != nil {
		return ch, nil, err
	}
	problems = append(problems, noLine...)
	checks, err := checkRows(ctx, tx, sqlMarkerChecks, opts, true)
	if err != nil {
		return ch, nil, err
	}
	var rejected []int
	for _, c := range checks {
		if c.Reject {
			rejected = append(rejected, c.Index)
		}
	}
	problems = append(problems, checks...)
	if len(rejected) > 0 {
		if _, err := tx.Exec(ctx, sqlRejectMarkers, rejected); err != nil {
			return ch, nil, err
		}
	}
	if ch, err = db.CountOps(ctx, tx, sqlCountMarkerOps); err != nil {
		return ch, nil, err
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{sqlAuditMarkerUpdates, []any{p.Name, p.Via, source}},
		{sqlApplyMarkerUpdates, []any{source}},
		{sqlInsertMarkers, []any{source}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return ch, nil, err
		}
	}
	return ch, problems, nil
}

// checkRows runs a marker check query and turns its rows into problems. staged: the rows
// carry an index (import), else a line id (stored markers).
func checkRows(ctx context.Context, q db.Querier, sql string, opts CheckOptions, staged bool) ([]MarkerProblem, error) {
	rows, err := q.Query(ctx, sql, opts.JunctionTolerance)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MarkerProblem
	for rows.Next() {
		var (
			mp        MarkerProblem
			kind      string
			dist      float64
			units     *int
			haveUnits bool
			level     int16
		)
		if staged {
			err = rows.Scan(&mp.Index, &mp.Number, &kind, &level, &dist, &units, &haveUnits)
		} else {
			err = rows.Scan(&mp.Number, &kind, &mp.Line, &dist, &units, &haveUnits)
		}
		if err != nil {
			return nil, err
		}
		if kind == "triple" {
			switch {
			case !haveUnits:
				out = append(out, MarkerProblem{Index: mp.Index, Number: mp.Number, Line: mp.Line, Field: "kind",
					Reason: "three-way marker not checked: no unit boundaries of the line's level are loaded"})
			case units != nil && *units < 3:
				out = append(out, MarkerProblem{Index: mp.Index, Number: mp.Number, Line: mp.Line, Field: "kind", Reject: true, Units: units,
					Reason: fmt.Sprintf("a three-way marker (triple) must lie where three units meet: %d unit(s) within %g m", *units, opts.JunctionTolerance)})
			}
		}
		if dist > opts.MaxOffset {
			out = append(out, MarkerProblem{Index: mp.Index, Number: mp.Number, Line: mp.Line, Field: "geometry", Distance: dist,
				Reason: fmt.Sprintf("%.0f m from its line (more than %g m)", dist, opts.MaxOffset)})
		}
	}
	return out, rows.Err()
}

// CheckMarkers runs the marker checks on the stored markers: three-way markers that are
// not where three units meet, markers far from their line.
func (s *Store) CheckMarkers(ctx context.Context, opts CheckOptions) ([]MarkerProblem, error) {
	return checkRows(ctx, s.pool, sqlCheckStoredMarkers, opts.withDefaults(), false)
}
