package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"fangyuan/coverage"
)

// Base is what a what-if scenario is computed on: the inputs a straight-line
// run with Params would use (grid, prepared region, county names), without
// the facilities, which the scenario reads itself (Facilities) at every request.
type Base struct {
	Params   Params
	Standard coverage.Standard
	Input    coverage.Input // Facilities empty
	// Key identifies the grid and boundaries (changes when either does) and, by
	// travel time, the stored road network.
	Key string
	// Dist is how far a facility can be from the grid and still reach it.
	Dist float64
}

// BaseFacility is a stored facility of a kind with its database id.
type BaseFacility struct {
	ID       int64
	Facility coverage.Facility
}

// Resolve fills p's defaults and validates it, as Start does (reach straight
// or travel).
func (s *Service) Resolve(ctx context.Context, p Params) (Params, error) {
	p, _, err := s.resolve(ctx, p)
	return p, err
}

// LoadBase reads the inputs of params p (resolved by Resolve) without the
// facilities, preparing the region (kept like a run's).
func (s *Service) LoadBase(ctx context.Context, p Params) (*Base, error) {
	p, std, err := s.resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	grid, gridFP, err := s.loadGrid(ctx, p.GridID)
	if err != nil {
		return nil, fmt.Errorf("population grid %d: %w", p.GridID, err)
	}
	uh := sha256.New()
	gb := grid.Bounds()
	townships, err := s.loadUnits(ctx, 4, p.AsOf, gb, uh)
	if err != nil {
		return nil, err
	}
	if len(townships) == 0 {
		return nil, fmt.Errorf("%w: no township boundaries valid on %s overlap the population grid", ErrBadParams, p.AsOf.Format(time.DateOnly))
	}
	villages, err := s.loadUnits(ctx, 5, p.AsOf, gb, uh)
	if err != nil {
		return nil, err
	}
	counties, err := s.countyNames(ctx, townships, p.AsOf)
	if err != nil {
		return nil, err
	}
	regionKey := gridFP + "/" + hex.EncodeToString(uh.Sum(nil))
	s.mu.Lock()
	region := s.region[regionKey]
	s.mu.Unlock()
	if region == nil {
		if region, err = coverage.PrepareRegion(ctx, grid, townships, villages, 0); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.region = map[string]*coverage.Region{regionKey: region}
		s.mu.Unlock()
	}
	nh := sha256.New()
	rc, dist, err := s.reach(ctx, p, std, grid, nh)
	if err != nil {
		return nil, err
	}
	key := regionKey
	if p.Reach == "travel" {
		key += "/" + hex.EncodeToString(nh.Sum(nil))
	}
	in := coverage.Input{Standard: std, Layer: p.Layer, Grid: grid, Region: region, Counties: counties, Reach: rc}
	return &Base{Params: p, Standard: std, Input: in, Key: key, Dist: dist}, nil
}

// BaseFacilities reads the stored facilities of base's kind that can reach its grid.
func (s *Service) BaseFacilities(ctx context.Context, b *Base) ([]BaseFacility, error) {
	rows, err := s.loadFacilities(ctx, b.Params.Kind, catchmentBound(b.Input.Grid, max(b.Dist, b.Params.RadiusM)), io.Discard)
	if err != nil {
		return nil, err
	}
	out := make([]BaseFacility, len(rows))
	for i, r := range rows {
		out[i] = BaseFacility{ID: r.id, Facility: r.fac}
	}
	return out, nil
}
