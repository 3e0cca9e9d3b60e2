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
	// Key identifies the grid and boundaries (changes when either does).
	Key string
}

// BaseFacility is a stored facility of a kind with its database id.
type BaseFacility struct {
	ID       int64
	Facility coverage.Facility
}

// Resolve fills p's defaults and validates it, as Start does; scenarios take
// the straight-line reach only.
func (s *Service) Resolve(ctx context.Context, p Params) (Params, error) {
	if p.Reach == "travel" {
		return p, fmt.Errorf("%w: reach: what-if scenarios use the straight-line radius (travel time is not supported)", ErrBadParams)
	}
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
	if p.Reach != "straight" {
		return nil, fmt.Errorf("%w: reach: what-if scenarios use the straight-line radius", ErrBadParams)
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
	in := coverage.Input{Standard: std, Layer: p.Layer, Grid: grid, Region: region, Counties: counties, Reach: coverage.Straight{Radius: p.RadiusM}}
	return &Base{Params: p, Standard: std, Input: in, Key: regionKey}, nil
}

// BaseFacilities reads the stored facilities of base's kind that can reach its grid.
func (s *Service) BaseFacilities(ctx context.Context, b *Base) ([]BaseFacility, error) {
	rows, err := s.loadFacilities(ctx, b.Params.Kind, catchmentBound(b.Input.Grid, b.Params.RadiusM), io.Discard)
	if err != nil {
		return nil, err
	}
	out := make([]BaseFacility, len(rows))
	for i, r := range rows {
		out[i] = BaseFacility{ID: r.id, Facility: r.fac}
	}
	return out, nil
}
