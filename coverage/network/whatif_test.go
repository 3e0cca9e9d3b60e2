package network

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/internal/testenv"
)

// TestIncrementalTravelMatchesRun: a what-if scenario by travel time (coverage.Incremental
// with network.Travel: each edited facility's catchment by its own search) equals a full
// travel-time Run (the multi-source search) on the edited facilities after every step of
// a random sequence of adds, moves (small and large), closures and deletions on the demo
// county and its roads: every cell's reached state, every township's covered population,
// flags, and the gaps; undoing every edit gives the base again.
func TestIncrementalTravelMatchesRun(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(testenv.RepoRoot(t), "data", "demo")
	g, err := inputs.LoadPopulation(filepath.Join(dir, "population.tif"), nil)
	if err != nil {
		t.Fatal(err)
	}
	towns, err := inputs.LoadUnits(hostFS{}, filepath.Join(dir, "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nw, err := ReadOSMFile(ctx, filepath.Join(dir, "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stds := coverage.DefaultStandards()
	for _, kind := range []string{"eco_burial", "eldercare_center"} { // 20 min drive, 15 min walk
		std, err := stds.Kind(kind)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := ForKind(nw, stds, std)
		if err != nil {
			t.Fatal(err)
		}
		base, err := inputs.LoadFacilities(hostFS{}, filepath.Join(dir, "facilities", kind+".csv"), inputs.FacilityFileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		in := coverage.Input{Standard: std, Grid: g, Region: reg, Facilities: base, Reach: tr}
		x, err := coverage.NewIncremental(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, fs []coverage.Facility) {
			t.Helper()
			in.Facilities = fs
			want, err := coverage.Run(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			got := x.Result()
			if got.Reach != want.Reach {
				t.Fatalf("%s %s: reach %q, Run %q", kind, what, got.Reach, want.Reach)
			}
			for i, n := range want.Cells.Nearest {
				if x.Reached(i) != (n >= 0) {
					t.Fatalf("%s %s: cell %d reached %v, Run %v", kind, what, i, x.Reached(i), n >= 0)
				}
			}
			for i, u := range want.Townships {
				v := got.Townships[i]
				if v.Code != u.Code || math.Abs(v.Covered-u.Covered) > 1e-9*max(u.Population, 1) || !slices.Equal(v.Flags, u.Flags) {
					t.Fatalf("%s %s: township %s: covered %v flags %v; Run %v %v", kind, what, u.Code, v.Covered, v.Flags, u.Covered, u.Flags)
				}
			}
			gc := func(gs []coverage.Gap) (out []string) {
				for _, g := range gs {
					out = append(out, string(g.Level)+g.Code)
				}
				return out
			}
			if !slices.Equal(gc(got.Gaps), gc(want.Gaps)) {
				t.Fatalf("%s %s: gaps %v, Run %v", kind, what, gc(got.Gaps), gc(want.Gaps))
			}
		}
		check("base", base)
		b := reg.Frame.CellBounds(0, 0).Union(reg.Frame.CellBounds(reg.Frame.W-1, reg.Frame.H-1))
		rng := rand.New(rand.NewPCG(5, 8))
		fs := slices.Clone(base)
		flips := 0
		for step := range 40 {
			var what string
			switch op := rng.IntN(5); {
			case op == 0 || len(fs) < 3:
				f := coverage.Facility{ID: fmt.Sprintf("NEW-%d", step), Location: orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}}
				fs, what = append(fs, f), "add "+f.ID
			case op == 1:
				i := rng.IntN(len(fs))
				fs[i].Location = orb.Point{fs[i].Location[0] + (rng.Float64()-0.5)*0.01, fs[i].Location[1] + (rng.Float64()-0.5)*0.01}
				what = "move a little " + fs[i].ID
			case op == 2:
				i := rng.IntN(len(fs))
				fs[i].Location = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
				what = "move far " + fs[i].ID
			case op == 3:
				i := rng.IntN(len(fs))
				fs[i].Status, what = coverage.StatusClosed, "close "+fs[i].ID
			default:
				i := rng.IntN(len(fs))
				what = "delete " + fs[i].ID
				fs = slices.Delete(fs, i, i+1)
			}
			fs = slices.Clone(fs)
			if err := x.Set(ctx, fs); err != nil {
				t.Fatal(err)
			}
			flips += x.Flipped
			check(fmt.Sprintf("step %d (%s)", step, what), fs)
		}
		if flips == 0 {
			t.Fatalf("%s: no edit changed a cell: the test compares nothing", kind)
		}
		if err := x.Set(ctx, base); err != nil {
			t.Fatal(err)
		}
		check("undone", base)
		t.Logf("%s: 40 edits, %d cells flipped in all, equal to full travel-time runs", kind, flips)
	}
}
