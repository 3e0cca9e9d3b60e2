package boundary

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/gazetteer"
	"fangyuan/geo/topology"
	"fangyuan/internal/db"
)

// DeriveOptions select the units whose shared boundaries become lines, and the
// topology checks run on them.
type DeriveOptions struct {
	Level int // 1–5
	// UnitPrefix: units whose code starts with it (the significant digits of a parent).
	UnitPrefix string
	// ToleranceM (m): the snapping tolerance of geo/topology (default 30): boundaries
	// within it count as shared; pairs sharing less are no neighbours.
	ToleranceM float64
	// MinAreaM2, MinSliverM2: as in topology.Options (0: their defaults).
	MinAreaM2, MinSliverM2 float64
}

func (o DeriveOptions) check() (topology.Options, error) {
	if o.Level < 1 || o.Level > 5 {
		return topology.Options{}, &InputError{"level", "must be 1–5"}
	}
	if o.ToleranceM < 0 || o.ToleranceM > 10000 || math.IsNaN(o.ToleranceM) {
		return topology.Options{}, &InputError{"tolerance", "must be 0–10000 metres"}
	}
	if o.MinAreaM2 < 0 || o.MinSliverM2 < 0 || math.IsNaN(o.MinAreaM2) || math.IsNaN(o.MinSliverM2) {
		return topology.Options{}, &InputError{"min_area", "m², not negative"}
	}
	return topology.Options{Level: gazetteer.Level(o.Level).String(), ToleranceM: o.ToleranceM, MinAreaM2: o.MinAreaM2, MinSliverM2: o.MinSliverM2}, nil
}

// DeriveResult is what DeriveLines did.
type DeriveResult struct {
	Units    int
	Lines    int
	Changes  db.Changes
	Problems []LineProblem // lines that could not be stored (the caller decides whether they fail)
	// Findings: the gaps, overlaps and slivers between the units that the snapping
	// tolerance did not absorb (what is left over is no line).
	Findings []topology.Finding
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadUnits reads the current unit polygons of a level within a code prefix, ordered by
// code, for geo/topology (Parent: the unit's parent_code).
func LoadUnits(ctx context.Context, q querier, level int, prefix string) ([]topology.Unit, error) {
	rows, err := q.Query(ctx, sqlTopologyUnits, int16(level), prefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var units []topology.Unit
	for rows.Next() {
		var u topology.Unit
		var b []byte
		if err := rows.Scan(&u.Code, &u.Name, &u.Parent, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("unit %s: %w", u.Code, err)
		}
		switch g := g.(type) {
		case orb.MultiPolygon:
			u.Geom = g
		case orb.Polygon:
			u.Geom = orb.MultiPolygon{g}
		default:
			return nil, fmt.Errorf("unit %s: %s, not a polygon", u.Code, g.GeoJSONType())
		}
		units = append(units, u)
	}
	return units, rows.Err()
}

// DeriveLines derives the lines of a level within a unit with geo/topology.Derive from
// the unit polygons in PostGIS (the same lines, ids and names as `fangyuan boundaries
// derive` on a file of those polygons: id topology.LineID(level, left, right), name
// 左—右线, the unit with the smaller code on the left) and stores them with origin
// derived in tx. The topology findings left over are returned.
func (s *Store) DeriveLines(ctx context.Context, tx pgx.Tx, o DeriveOptions, source string) (DeriveResult, error) {
	var res DeriveResult
	opt, err := o.check()
	if err != nil {
		return res, err
	}
	units, err := LoadUnits(ctx, tx, o.Level, o.UnitPrefix)
	if err != nil {
		return res, err
	}
	res.Units = len(units)
	if len(units) == 0 {
		return res, &InputError{"within", fmt.Sprintf("no current %s with a polygon within %s", opt.Level, o.UnitPrefix)}
	}
	lines, findings, err := topology.Derive(units, opt)
	if err != nil {
		return res, fmt.Errorf("derive: %w", err)
	}
	res.Lines, res.Findings = len(lines), findings
	in := make([]LineInput, len(lines))
	for i, l := range lines {
		in[i] = LineInput{Index: i + 1, ExtID: l.ID, Name: l.Name, LeftCode: l.LeftCode, RightCode: l.RightCode, Level: o.Level, Geometry: l.Geom}
	}
	res.Changes, res.Problems, err = s.ImportLines(ctx, tx, in, OriginDerived, source)
	return res, err
}

// CheckTopology runs geo/topology.Check on the current units of a level within a unit,
// with the units of the level above within it as parents (none for provinces). It
// returns the findings and the number of units checked.
func (s *Store) CheckTopology(ctx context.Context, o DeriveOptions) ([]topology.Finding, int, error) {
	opt, err := o.check()
	if err != nil {
		return nil, 0, err
	}
	units, err := LoadUnits(ctx, s.pool, o.Level, o.UnitPrefix)
	if err != nil {
		return nil, 0, err
	}
	if len(units) == 0 {
		return nil, 0, &InputError{"within", fmt.Sprintf("no current %s with a polygon within %s", opt.Level, o.UnitPrefix)}
	}
	parents, err := s.parentsOf(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	findings, err := topology.Check(units, parents, opt)
	if err != nil {
		return nil, 0, fmt.Errorf("check: %w", err)
	}
	return findings, len(units), nil
}

// parentsOf loads the units of the level above o.Level within o.UnitPrefix.
func (s *Store) parentsOf(ctx context.Context, o DeriveOptions) ([]topology.Unit, error) {
	if o.Level <= 1 {
		return nil, nil
	}
	prefix := o.UnitPrefix
	if n := [...]int{0, 2, 4, 6, 9, 12}[o.Level-1]; len(prefix) > n {
		prefix = prefix[:n]
	}
	return LoadUnits(ctx, s.pool, o.Level-1, prefix)
}

// CheckUploaded checks units given by the caller (an uploaded file); when within is
// set, against the parents of the database (level above, within it). A unit's Parent
// is padded to 12 digits to match the stored codes.
func (s *Store) CheckUploaded(ctx context.Context, units []topology.Unit, o DeriveOptions, withParents bool) ([]topology.Finding, error) {
	opt, err := o.check()
	if err != nil {
		return nil, err
	}
	var parents []topology.Unit
	if withParents {
		if parents, err = s.parentsOf(ctx, o); err != nil {
			return nil, err
		}
		for i := range units {
			if units[i].Parent != "" {
				if c, _, err := gazetteer.PadCode(units[i].Parent); err == nil {
					units[i].Parent = c
				}
			}
		}
	}
	return topology.Check(units, parents, opt)
}
