package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// relClose reports whether a and b agree to 1e-9 relative (absolute below 1e-6).
func relClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-6
}

// sameUnits compares every number and flag of two unit lists.
func sameUnits(t testing.TB, step, level string, got, want []UnitResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d %s, want %d", step, len(got), level, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		where := fmt.Sprintf("%s: %s %s", step, level, w.Code)
		if g.Code != w.Code || g.Name != w.Name || g.Parent != w.Parent {
			t.Fatalf("%s: unit %s/%s/%s, want %s/%s/%s", where, g.Code, g.Name, g.Parent, w.Code, w.Name, w.Parent)
		}
		for _, p := range []struct {
			name   string
			gv, wv float64
		}{{"population", g.Population, w.Population}, {"covered", g.Covered, w.Covered}, {"uncovered", g.Uncovered, w.Uncovered}, {"share", g.Share, w.Share}} {
			if !relClose(p.gv, p.wv) {
				t.Fatalf("%s: %s %.12g, full run %.12g", where, p.name, p.gv, p.wv)
			}
		}
		if g.Facilities != w.Facilities || g.NotOperating != w.NotOperating || g.VillageGaps != w.VillageGaps {
			t.Fatalf("%s: facilities %d/%d village gaps %d, full run %d/%d %d", where, g.Facilities, g.NotOperating, g.VillageGaps, w.Facilities, w.NotOperating, w.VillageGaps)
		}
		if !slices.Equal(g.Flags, w.Flags) {
			t.Fatalf("%s: flags %v, full run %v", where, g.Flags, w.Flags)
		}
		if (g.Served == nil) != (w.Served == nil) || (g.Served != nil && *g.Served != *w.Served) {
			t.Fatalf("%s: served %v, full run %v", where, g.Served, w.Served)
		}
		if len(g.Capacity) != len(w.Capacity) {
			t.Fatalf("%s: %d capacities, full run %d", where, len(g.Capacity), len(w.Capacity))
		}
		for k := range w.Capacity {
			gc, wc := g.Capacity[k], w.Capacity[k]
			if gc.Have != wc.Have || !relClose(gc.Need, wc.Need) || gc.Met != wc.Met || gc.Unknown != wc.Unknown {
				t.Fatalf("%s: capacity %+v, full run %+v", where, gc, wc)
			}
		}
	}
}

// sameResult compares an incremental result with a full run, cell by cell too.
func sameResult(t testing.TB, step string, x *Incremental, got, want *Result) {
	t.Helper()
	sameUnits(t, step, "township", got.Townships, want.Townships)
	sameUnits(t, step, "village", got.Villages, want.Villages)
	sameUnits(t, step, "county", got.Counties, want.Counties)
	if len(got.Gaps) != len(want.Gaps) {
		t.Fatalf("%s: %d gaps, full run %d", step, len(got.Gaps), len(want.Gaps))
	}
	for i := range want.Gaps {
		g, w := got.Gaps[i], want.Gaps[i]
		if g.Rank != w.Rank || g.Code != w.Code || g.Level != w.Level || g.Detail != w.Detail {
			t.Fatalf("%s: gap %d is %s %s %q, full run %s %s %q", step, i, g.Level, g.Code, g.Detail, w.Level, w.Code, w.Detail)
		}
	}
	if !relClose(got.Population, want.Population) || !relClose(got.Covered, want.Covered) || got.GridTotal != want.GridTotal {
		t.Fatalf("%s: totals %v %v %v, full run %v %v %v", step, got.Population, got.Covered, got.GridTotal, want.Population, want.Covered, want.GridTotal)
	}
	if got.Operating != want.Operating || got.Planned != want.Planned || got.Closed != want.Closed || !slices.Equal(got.Outside, want.Outside) {
		t.Fatalf("%s: facilities %d/%d/%d outside %v, full run %d/%d/%d %v", step, got.Operating, got.Planned, got.Closed, got.Outside, want.Operating, want.Planned, want.Closed, want.Outside)
	}
	if !slices.Equal(got.Notes, want.Notes) {
		t.Fatalf("%s: notes %q, full run %q", step, got.Notes, want.Notes)
	}
	for i, fr := range want.Facilities {
		g := got.Facilities[i]
		if g.ID != fr.ID || g.Township != fr.Township || g.Counted != fr.Counted || !relClose(g.Catchment, fr.Catchment) {
			t.Fatalf("%s: facility %s: %s %v %v, full run %s %v %v", step, fr.ID, g.Township, g.Counted, g.Catchment, fr.Township, fr.Counted, fr.Catchment)
		}
	}
	for i, n := range want.Cells.Nearest {
		if x.Reached(i) != (n >= 0) {
			t.Fatalf("%s: cell %d reached %v, full run %v", step, i, x.Reached(i), n >= 0)
		}
	}
}

// randomEdit applies one random what-if edit to fs: add a planned-and-opened
// facility, move one, close one, reopen or plan one, change beds, or delete one.
func randomEdit(rng *rand.Rand, fs []Facility, b orb.Bound, n *int) ([]Facility, string) {
	fs = slices.Clone(fs)
	pick := func() int { return rng.IntN(len(fs)) }
	point := func() orb.Point {
		return orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	switch op := rng.IntN(6); {
	case op == 0 || len(fs) < 3:
		*n++
		beds := 10 + rng.IntN(200)
		f := Facility{ID: fmt.Sprintf("NEW-%d", *n), Name: "planned", Location: point(), Beds: &beds}
		fs = append(fs, f)
		return fs, "add " + f.ID
	case op == 1:
		i := pick()
		// Half the moves are small (the catchment overlaps its old one).
		if rng.IntN(2) == 0 {
			fs[i].Location = orb.Point{fs[i].Location[0] + (rng.Float64()-0.5)*0.01, fs[i].Location[1] + (rng.Float64()-0.5)*0.01}
		} else {
			fs[i].Location = point()
		}
		return fs, "move " + fs[i].ID
	case op == 2:
		i := pick()
		fs[i].Status = StatusClosed
		return fs, "close " + fs[i].ID
	case op == 3:
		i := pick()
		fs[i].Status = []string{StatusOperating, StatusPlanned, ""}[rng.IntN(3)]
		return fs, "status " + fs[i].ID
	case op == 4:
		i := pick()
		if rng.IntN(4) == 0 {
			fs[i].Beds = nil
		} else {
			beds := rng.IntN(400)
			fs[i].Beds = &beds
		}
		return fs, "beds " + fs[i].ID
	default:
		i := pick()
		id := fs[i].ID
		return slices.Delete(fs, i, i+1), "delete " + id
	}
}

// TestIncrementalMatchesRun: over randomized sequences of what-if edits (fixed
// seeds) on synthetic regions, the incremental results equal a full Run on the
// edited facility set: every township and county number to 1e-9, flags, gaps,
// notes, and which cells are reached.
func TestIncrementalMatchesRun(t *testing.T) {
	ctx := context.Background()
	for _, seed := range []uint64{3, 14, 15} {
		d := synthesize(smallSynth(seed))
		std := Standard{ID: "t", Layer: "total", Presence: Presence{Level: LevelTownship, Min: 1}, RadiusM: 300 + float64(seed)*40, TargetShare: 0.6,
			Capacity: []Ratio{{Field: "beds", Min: 3, Per: 100}}}
		reg, err := PrepareRegion(ctx, d.grid, d.townships, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		in := Input{Standard: std, Grid: d.grid, Region: reg, Facilities: d.facilities}
		x, err := NewIncremental(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, fmt.Sprintf("seed %d base", seed), x, x.Result(), want)
		rng := rand.New(rand.NewPCG(seed, 99))
		fs := d.facilities
		b := frameBound(reg.Frame)
		n := 0
		flagsSeen := 0
		for step := range 80 {
			var what string
			fs, what = randomEdit(rng, fs, b, &n)
			if err := x.Set(ctx, fs); err != nil {
				t.Fatal(err)
			}
			in.Facilities = fs
			want, err := Run(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			got := x.Result()
			sameResult(t, fmt.Sprintf("seed %d step %d (%s)", seed, step, what), x, got, want)
			flagsSeen += len(want.Gaps)
		}
		if flagsSeen == 0 {
			t.Fatalf("seed %d: no gaps in any step: the test compares nothing interesting", seed)
		}
		// Undo everything: back to the base facilities.
		if err := x.Set(ctx, d.facilities); err != nil {
			t.Fatal(err)
		}
		in.Facilities = d.facilities
		want, err = Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, fmt.Sprintf("seed %d undone", seed), x, x.Result(), want)
	}
}

// TestIncrementalDemoVillages: the demo county with villages (eco-burial:
// every village served) and counties, under random edits.
func TestIncrementalDemoVillages(t *testing.T) {
	ctx := context.Background()
	d := loadDemo(t)
	for _, kind := range []string{"eco_burial", "eldercare_institution"} {
		std, err := DefaultStandards().Kind(kind)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := PrepareRegion(ctx, d.grid, d.townships, d.villages, 0)
		if err != nil {
			t.Fatal(err)
		}
		fs := demoFacilities(t, d, kind)
		in := Input{Standard: std, Grid: d.grid, Region: reg, Counties: d.county, Facilities: fs}
		x, err := NewIncremental(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, kind+" base", x, x.Result(), want)
		rng := rand.New(rand.NewPCG(7, 7))
		n := 0
		for step := range 25 {
			var what string
			fs, what = randomEdit(rng, fs, frameBound(reg.Frame), &n)
			if err := x.Set(ctx, fs); err != nil {
				t.Fatal(err)
			}
			in.Facilities = fs
			if want, err = Run(ctx, in); err != nil {
				t.Fatal(err)
			}
			sameResult(t, fmt.Sprintf("%s step %d (%s)", kind, step, what), x, x.Result(), want)
		}
	}
}

func TestIncrementalBadInput(t *testing.T) {
	ctx := context.Background()
	d := synthesize(smallSynth(3))
	std := Standard{ID: "t", Layer: "total", Presence: Presence{Level: LevelTownship, Min: 1}, RadiusM: 500, TargetShare: 0.9}
	in := Input{Standard: std, Grid: d.grid, Townships: d.townships, Facilities: d.facilities}
	x, err := NewIncremental(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	dup := append(slices.Clone(d.facilities), d.facilities[0])
	if err := x.Set(ctx, dup); err == nil {
		t.Fatal("duplicate IDs accepted")
	}
	noID := append(slices.Clone(d.facilities), Facility{Location: orb.Point{120.1, 28.9}})
	if err := x.Set(ctx, noID); err == nil {
		t.Fatal("a facility without an ID accepted")
	}
	in.Compare = Straight{Radius: 100}
	if _, err := NewIncremental(ctx, in); err == nil {
		t.Fatal("a second measure accepted")
	}
}

func frameBound(f Frame) orb.Bound {
	return f.CellBounds(0, 0).Union(f.CellBounds(f.W-1, f.H-1))
}
