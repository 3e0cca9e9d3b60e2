package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"fangyuan/coverage"
	"fangyuan/coverage/network"
	"fangyuan/geo"
)

// AccessInputs is what a capacity-aware accessibility computation
// (coverage/access) takes from the database: the kind's standard, the newest
// population grid, the prepared townships of today (shared with the runs'
// region cache), the kind's facilities that can reach the grid and, for
// reach travel, the kind's travel-time network. Key fingerprints all of it.
type AccessInputs struct {
	Standard   coverage.Standard
	Grid       *geo.Grid
	Region     *coverage.Region
	Facilities []coverage.Facility
	Travel     *network.Travel // reach "travel" only
	Key        string
}

// AccessInputs loads the inputs of kind's accessibility with reach "straight"
// or "travel". Bad parameters wrap ErrBadParams ("kind: …", "reach: …").
func (s *Service) AccessInputs(ctx context.Context, kind, reach string) (AccessInputs, error) {
	var in AccessInputs
	p, std, err := s.resolve(ctx, Params{Kind: kind, Reach: reach})
	if err != nil {
		return in, err
	}
	fp := sha256.New()
	grid, gridFP, err := s.loadGrid(ctx, p.GridID)
	if err != nil {
		return in, fmt.Errorf("population grid %d: %w", p.GridID, err)
	}
	fmt.Fprintf(fp, "grid %s|%s|", gridFP, p.Reach)
	uh := sha256.New()
	gb := grid.Bounds()
	townships, err := s.loadUnits(ctx, 4, p.AsOf, gb, uh)
	if err != nil {
		return in, err
	}
	if len(townships) == 0 {
		return in, fmt.Errorf("%w: no township boundaries valid on %s overlap the population grid (import boundaries --level township first)", ErrBadParams, p.AsOf.Format(time.DateOnly))
	}
	villages, err := s.loadUnits(ctx, 5, p.AsOf, gb, uh)
	if err != nil {
		return in, err
	}
	unitsFP := hex.EncodeToString(uh.Sum(nil))
	fmt.Fprintf(fp, "units %s|", unitsFP)
	regionKey := gridFP + "/" + unitsFP
	s.mu.Lock()
	region := s.region[regionKey]
	s.mu.Unlock()
	if region == nil {
		if region, err = coverage.PrepareRegion(ctx, grid, townships, villages, 0); err != nil {
			return in, err
		}
		s.mu.Lock()
		s.region = map[string]*coverage.Region{regionKey: region}
		s.mu.Unlock()
	}
	rc, dist, err := s.reach(ctx, p, std, grid, fp)
	if err != nil {
		return in, err
	}
	if tr, ok := rc.(network.Travel); ok {
		in.Travel = &tr
	}
	facs, err := s.loadFacilities(ctx, p.Kind, catchmentBound(grid, dist), fp)
	if err != nil {
		return in, err
	}
	for _, f := range facs {
		in.Facilities = append(in.Facilities, f.fac)
	}
	in.Standard, in.Grid, in.Region, in.Key = std, grid, region, hex.EncodeToString(fp.Sum(nil))
	return in, nil
}
