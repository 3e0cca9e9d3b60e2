package access

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/coverage/network"
	"fangyuan/importers"
	"fangyuan/internal/testenv"
)

// TestTravelEqualsSingleSourceReach checks travel-time E2SFCA on the demo road
// network against a reference built from the coverage reach: for each
// institution alone, network.Travel.Reach gives the cells it reaches and
// their cost; R_j and A_i are then summed by plain loops here.
func TestTravelEqualsSingleSourceReach(t *testing.T) {
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
	facs, err := inputs.LoadFacilities(importers.HostFS{}, filepath.Join(dir, "facilities", "eldercare_institution.csv"), inputs.FacilityFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := network.ReadOSMFile(ctx, filepath.Join(dir, "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stds := coverage.DefaultStandards()
	std, _ := stds.Kind("eldercare_institution")
	tr, err := network.ForKind(nw, stds, std)
	if err != nil {
		t.Fatal(err)
	}
	tr.Minutes = 10 // a catchment smaller than the county, so that decay and edges matter
	reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	dc, _ := ParseDecay("gaussian")
	res, err := Compute(ctx, Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: Travel{tr}, Decay: dc, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Reference.
	f := reg.Frame
	d0 := tr.Minutes * 60
	var srcs []orb.Point
	var caps []float64
	for _, fc := range facs {
		if fc.Status != "" && fc.Status != coverage.StatusOperating {
			continue
		}
		srcs = append(srcs, fc.Location)
		c := 0.0
		if fc.Beds != nil {
			c = float64(*fc.Beds)
		}
		caps = append(caps, c)
	}
	costs := make([][]float32, len(srcs))
	for j, p := range srcs {
		r, err := tr.Reach(ctx, coverage.ReachRequest{Frame: f, Sources: []orb.Point{p}, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		costs[j] = r.Cost
		// EachCost: the same cells, the same costs (Reach rounds them to float32).
		n := 0
		if err := tr.EachCost(ctx, f, []orb.Point{p}, 1, func(_, _, cell int, sec float64) {
			n++
			if c := float64(r.Cost[cell]); math.Abs(c-sec) > 3.1e-5 {
				t.Errorf("institution %d, cell %d: EachCost %.6f s, Reach %.6f s", j, cell, sec, c)
			}
		}); err != nil {
			t.Fatal(err)
		}
		m := 0
		for _, c := range r.Cost {
			if !math.IsInf(float64(c), 1) {
				m++
			}
		}
		if n != m {
			t.Errorf("institution %d: EachCost reports %d cells, Reach reaches %d", j, n, m)
		}
	}
	w := func(d float64) float64 {
		return (math.Exp(-0.5*(d/d0)*(d/d0)) - math.Exp(-0.5)) / (1 - math.Exp(-0.5))
	}
	want := make([]float64, f.Len())
	bound := make([]float64, f.Len()) // Σ R_j over the facilities reaching the cell
	reached := 0
	for j := range srcs {
		dem := 0.0
		for i, c := range costs[j] {
			if float64(c) <= d0 {
				dem += w(float64(c)) * res.demand[i]
			}
		}
		if dem == 0 {
			continue
		}
		for i, c := range costs[j] {
			if float64(c) <= d0 {
				want[i] += w(float64(c)) * caps[j] / dem
				bound[i] += caps[j] / dem
				reached++
			}
		}
	}
	if reached == 0 {
		t.Fatal("no institution reaches a cell in 10 minutes: the comparison proves nothing")
	}
	worst := 0.0
	for i := range want {
		// Reach keeps costs as float32 (half an ulp: 3.05·10⁻⁵ s below 1024 s),
		// which moves a Gaussian weight by at most max|W'| × 3.05·10⁻⁵ / d0
		// (max|W'| = e^{-½} / (1 − e^{-½}) = 1.54), and R_j by as much relatively:
		// allow twice that on Σ R_j, plus rounding.
		tol := 2*1.55*3.06e-5/d0*bound[i]*2 + 1e-12*want[i]
		if d := math.Abs(res.Cells[i] - want[i]); d > tol {
			t.Fatalf("cell %d: A = %.9g, reference %.9g", i, res.Cells[i], want[i])
		} else if want[i] > 0 {
			worst = max(worst, d/want[i])
		}
	}
	// The same bits on every run and with any number of workers.
	for _, workers := range []int{1, 2, 3, 2} {
		again, err := Compute(ctx, Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: Travel{tr}, Decay: dc, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Cells {
			if math.Float64bits(again.Cells[i]) != math.Float64bits(res.Cells[i]) {
				t.Fatalf("%d workers: cell %d: A = %v, first run (2 workers) %v", workers, i, again.Cells[i], res.Cells[i])
			}
		}
		for i := range res.Townships {
			if a, b := again.Townships[i], res.Townships[i]; math.Float64bits(a.Mean) != math.Float64bits(b.Mean) || math.Float64bits(a.Shortfall) != math.Float64bits(b.Shortfall) {
				t.Fatalf("%d workers: township %s: mean %v shortfall %v, first run %v %v", workers, a.Code, a.Mean, a.Shortfall, b.Mean, b.Shortfall)
			}
		}
	}
	t.Logf("travel 10 min drive: %d (institution, cell) pairs, mean %.4f beds per person, largest relative difference per cell %.2g (float32 costs of the reference)", reached, res.Mean, worst)
}
