package plan

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/coverage/network"
	"fangyuan/importers"
	"fangyuan/internal/testenv"
)

// demoTravelInput is a plan on the demo county by travel time: eco-burial sites
// (20 min drive) over the demo's road network (a ferry to 大鳌岛, none to 北星岛),
// with a list of candidates: a 6 × 4 lattice over the county and one on 北星岛.
func demoTravelInput(t *testing.T) (Input, network.Travel) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(testenv.RepoRoot(t), "data", "demo")
	g, err := inputs.LoadPopulation(filepath.Join(dir, "population.tif"), nil)
	if err != nil {
		t.Fatal(err)
	}
	towns, err := inputs.LoadUnits(importers.HostFS{}, filepath.Join(dir, "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	facs, err := inputs.LoadFacilities(importers.HostFS{}, filepath.Join(dir, "facilities", "eco_burial.csv"), inputs.FacilityFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := network.ReadOSMFile(ctx, filepath.Join(dir, "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stds := coverage.DefaultStandards()
	std, err := stds.Kind("eco_burial")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := network.ForKind(nw, stds, std)
	if err != nil {
		t.Fatal(err)
	}
	var b orb.Bound
	for i, u := range towns {
		if i == 0 {
			b = u.Geometry.Bound()
		} else {
			b = b.Union(u.Geometry.Bound())
		}
	}
	var list []Candidate
	for i := range 6 {
		for j := range 4 {
			p := orb.Point{b.Min[0] + (float64(i)+0.5)/6*(b.Max[0]-b.Min[0]), b.Min[1] + (float64(j)+0.5)/4*(b.Max[1]-b.Min[1])}
			list = append(list, Candidate{ID: "L" + string(rune('a'+i)) + string(rune('0'+j)), Location: p})
		}
	}
	list = append(list, Candidate{ID: "北星岛", Location: orb.Point{120.180, 28.318}})
	return Input{Standard: std, Grid: g, Townships: towns, Facilities: facs, Candidates: FromList, List: list, Travel: &tr, Workers: 2}, tr
}

// coveredWith is the population a full coverage run by travel time (network.Travel's
// multi-source search, not the per-candidate searches of the plan) covers with the
// facilities and the extra sites.
func coveredWith(t *testing.T, in Input, tr network.Travel, sites []orb.Point) float64 {
	t.Helper()
	facs := slices.Clone(in.Facilities)
	for i, p := range sites {
		facs = append(facs, coverage.Facility{ID: "site" + string(rune('A'+i)), Location: p})
	}
	res, err := coverage.Run(context.Background(), coverage.Input{Standard: in.Standard, Grid: in.Grid, Townships: in.Townships, Facilities: facs, Reach: tr})
	if err != nil {
		t.Fatal(err)
	}
	return res.Covered
}

// TestPlanByTravelTime: a plan by travel time counts what full travel-time coverage runs
// count — for k = 1 the site is the best of all candidates by brute force over full runs,
// and each site of a plan of 4 adds exactly the difference of the full runs with and
// without it — and differs from the straight-line plan for the right reason: a site on
// 北星岛 (no ferry) reaches only the island by road.
func TestPlanByTravelTime(t *testing.T) {
	ctx := context.Background()
	in, tr := demoTravelInput(t)
	base := coveredWith(t, in, tr, nil)

	// k = 1 against brute force.
	in.Mode, in.K = ModeMaxCover, 1
	res, err := Suggest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reach != tr.Describe() || len(res.Sites) != 1 {
		t.Fatalf("reach %q (want %q), %d sites", res.Reach, tr.Describe(), len(res.Sites))
	}
	if math.Abs(res.CoveredBefore-base) > 1e-6*base {
		t.Fatalf("covered before: plan %v, full travel run %v", res.CoveredBefore, base)
	}
	best, bestID := -1.0, ""
	gains := map[string]float64{}
	for _, c := range in.List {
		g := coveredWith(t, in, tr, []orb.Point{c.Location}) - base
		gains[c.ID] = g
		if g > best+1e-6 {
			best, bestID = g, c.ID
		}
	}
	if s := res.Sites[0]; math.Abs(s.Added-best) > 1e-6*max(best, 1) || math.Abs(gains[s.ID]-best) > 1e-6*max(best, 1) {
		t.Fatalf("k = 1: the plan picks %s adding %v; brute force over full runs: %s adds %v (the plan's pick adds %v)", s.ID, s.Added, bestID, best, gains[s.ID])
	}

	// k = 4: each site's addition is the difference of full runs.
	in.K = 4
	res, err = Suggest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var sites []orb.Point
	prev := base
	for _, s := range res.Sites {
		sites = append(sites, orb.Point{s.Lon, s.Lat})
		now := coveredWith(t, in, tr, sites)
		if math.Abs(s.Added-(now-prev)) > 1e-6*max(now, 1) {
			t.Fatalf("site %d %s: the plan says it adds %v, the full runs %v", s.Rank, s.ID, s.Added, now-prev)
		}
		prev = now
	}
	if math.Abs(res.CoveredAfter-prev) > 1e-6*prev {
		t.Fatalf("covered after: plan %v, full run %v", res.CoveredAfter, prev)
	}

	// 北星岛: a site on the island, for an eldercare institution (15 km radius, 30 min
	// drive) where none exists yet: by road it reaches only the island (its population,
	// from the grid: the cells within the island's box), by the radius the coast across
	// the water too.
	stds := coverage.DefaultStandards()
	inst, err := stds.Kind("eldercare_institution")
	if err != nil {
		t.Fatal(err)
	}
	nw, err := network.ReadOSMFile(ctx, filepath.Join(testenv.RepoRoot(t), "data", "demo", "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	itr, err := network.ForKind(nw, stds, inst)
	if err != nil {
		t.Fatal(err)
	}
	var island float64
	band, _ := in.Grid.Band(inst.Layer)
	for r := range in.Grid.Height {
		for c := range in.Grid.Width {
			p := in.Grid.CellCenter(c, r)
			if math.Abs(p[0]-120.180) <= 0.012 && math.Abs(p[1]-28.318) <= 0.010 {
				if v := band.Data[r*in.Grid.Width+c]; v > 0 {
					island += float64(v)
				}
			}
		}
	}
	isl := Input{Standard: inst, Grid: in.Grid, Townships: in.Townships, Mode: ModeMaxCover, K: 1, Candidates: FromList,
		List: []Candidate{in.List[len(in.List)-1]}, Travel: &itr, Workers: 2}
	byRoad, err := Suggest(ctx, isl)
	if err != nil {
		t.Fatal(err)
	}
	isl.Travel = nil
	byLine, err := Suggest(ctx, isl)
	if err != nil {
		t.Fatal(err)
	}
	if len(byRoad.Sites) != 1 || len(byLine.Sites) != 1 {
		t.Fatalf("the island site: %d sites by road, %d by line", len(byRoad.Sites), len(byLine.Sites))
	}
	t.Logf("北星岛 (%.0f people aged 60+ in its box): a site there adds %.0f by road, %.0f by the 15 km radius", island, byRoad.Sites[0].Added, byLine.Sites[0].Added)
	if byRoad.Sites[0].Added > island+1e-6 || byRoad.Sites[0].Added <= 0 {
		t.Errorf("by road the island's site adds %v, the island holds %v", byRoad.Sites[0].Added, island)
	}
	if byLine.Sites[0].Added < 2*island {
		t.Errorf("by the 15 km radius the island's site adds %v, the island holds %v: the radius should count people across the water", byLine.Sites[0].Added, island)
	}
	if byRoad.Reach == byLine.Reach {
		t.Errorf("both plans say their reach is %q", byRoad.Reach)
	}
}
