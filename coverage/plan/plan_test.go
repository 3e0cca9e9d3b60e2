package plan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
)

// townTotals returns, per township, the population and the part the existing
// facilities cover (from truth).
func (tr *truth) townTotals(ntown int) (pop, base []float64) {
	pop, base = make([]float64, ntown), make([]float64, ntown)
	for i, v := range tr.pop {
		if t := tr.town[i]; t >= 0 {
			pop[t] += v
			if tr.base[i] {
				base[t] += v
			}
		}
	}
	return pop, base
}

// feasible reports whether the candidates make every township meet target.
func (tr *truth) feasible(cands []int, target float64, pop, base []float64) bool {
	_, per := tr.added(cands, len(pop))
	for t := range pop {
		if pop[t] > 0 && (base[t]+per[t])/pop[t] < target {
			return false
		}
	}
	return true
}

// TestFewestAgainstBruteForce: on small random instances the fewest-sites
// plan makes every township meet its target (checked independently), no site
// of it is redundant, and it uses the minimum number of sites that
// exhaustive search over all subsets finds, or at most one more.
func TestFewestAgainstBruteForce(t *testing.T) {
	ctx := context.Background()
	equal, infeasible := 0, 0
	const n = 12
	for seed := range uint64(16) {
		in := newInstance(100+seed, 30, 30, 2, 2, n, int(seed%2), 600+float64(seed%5)*100)
		in.std.TargetShare = 0.4 + 0.1*float64(seed%4)
		tr := in.truth()
		pop, base := tr.townTotals(len(in.towns))
		best := -1
		for size := 0; size <= n && best < 0; size++ {
			for mask := uint32(0); mask < 1<<n; mask++ {
				if bits.OnesCount32(mask) != size {
					continue
				}
				var set []int
				for c := range n {
					if mask&(1<<c) != 0 {
						set = append(set, c)
					}
				}
				if tr.feasible(set, in.std.TargetShare, pop, base) {
					best = size
					break
				}
			}
		}
		res, err := Suggest(ctx, in.input(ModeFewest, 0))
		if err != nil {
			t.Fatal(err)
		}
		picked := in.candIndex(t, res.Sites)
		if best < 0 {
			infeasible++
			// Infeasible: the townships left unmet are exactly those that stay
			// below target with every candidate built.
			all := make([]int, n)
			for c := range all {
				all[c] = c
			}
			_, per := tr.added(all, len(pop))
			var want []string
			for ti := range pop {
				if pop[ti] > 0 && (base[ti]+per[ti])/pop[ti] < in.std.TargetShare {
					want = append(want, in.towns[ti].Code)
				}
			}
			if !slices.Equal(res.Unmet, want) {
				t.Fatalf("seed %d: infeasible: unmet %v, want %v", seed, res.Unmet, want)
			}
			continue
		}
		if len(res.Unmet) > 0 {
			t.Fatalf("seed %d: a plan of %d sites exists, the plan leaves %v unmet", seed, best, res.Unmet)
		}
		if !tr.feasible(picked, in.std.TargetShare, pop, base) {
			t.Fatalf("seed %d: sites %v do not make every township meet %v", seed, picked, in.std.TargetShare)
		}
		for i := range picked {
			rest := slices.Delete(slices.Clone(picked), i, i+1)
			if tr.feasible(rest, in.std.TargetShare, pop, base) {
				t.Fatalf("seed %d: site %d of %v is redundant", seed, picked[i], picked)
			}
		}
		if len(picked) < best || len(picked) > best+1 {
			t.Fatalf("seed %d: %d sites, the minimum is %d", seed, len(picked), best)
		}
		if len(picked) == best {
			equal++
		}
		for _, tw := range res.Townships {
			if !tw.MeetsAfter {
				t.Fatalf("seed %d: township %s reported below target", seed, tw.Code)
			}
		}
		t.Logf("seed %2d: target %.2f: %d sites, minimum %d", seed, in.std.TargetShare, len(picked), best)
	}
	t.Logf("fewest: %d of %d feasible instances at the minimum, %d infeasible", equal, 16-infeasible, infeasible)
	if infeasible == 16 || equal == 0 {
		t.Fatalf("the instances test nothing: %d infeasible, %d at the minimum", infeasible, equal)
	}
}

// TestPerTownshipAgainstBruteForce: every township without a facility (and
// only those) gets the candidate inside it adding the most people there
// (then overall), found by trying every candidate; townships without a
// candidate inside are listed as unmet.
func TestPerTownshipAgainstBruteForce(t *testing.T) {
	ctx := context.Background()
	sites, unmets := 0, 0
	for seed := range uint64(8) {
		in := newInstance(200+seed, 40, 40, 3, 3, 14, 0, 400)
		// Existing facilities in the first townships only.
		for i := range int(seed % 4) {
			b := in.towns[i].Geometry.Bound()
			in.facs = append(in.facs, coverage.Facility{ID: fmt.Sprintf("F%d", i), Location: b.Center(), Status: coverage.StatusOperating})
		}
		tr := in.truth()
		res, err := Suggest(ctx, in.input(ModePerTownship, 0))
		if err != nil {
			t.Fatal(err)
		}
		bySite := map[string]Site{}
		for _, s := range res.Sites {
			bySite[s.For] = s
		}
		var unmet []string
		for ti, u := range in.towns {
			hasFac := false
			b := u.Geometry.Bound()
			inside := func(p orb.Point) bool {
				return p[0] > b.Min[0] && p[0] < b.Max[0] && p[1] > b.Min[1] && p[1] < b.Max[1]
			}
			for _, f := range in.facs {
				hasFac = hasFac || inside(f.Location)
			}
			s, got := bySite[u.Code]
			if hasFac {
				if got {
					t.Fatalf("seed %d: township %s has a facility and got site %s", seed, u.Code, s.ID)
				}
				continue
			}
			bestIn, bestAll := -1.0, -1.0
			for c, cand := range in.cands {
				if !inside(cand.Location) {
					continue
				}
				all, per := tr.added([]int{c}, len(in.towns))
				if per[ti] > bestIn || (per[ti] == bestIn && all > bestAll) {
					bestIn, bestAll = per[ti], all
				}
			}
			if bestIn < 0 {
				unmet = append(unmet, u.Code)
				if got {
					t.Fatalf("seed %d: township %s has no candidate inside and got %s", seed, u.Code, s.ID)
				}
				continue
			}
			if !got {
				t.Fatalf("seed %d: township %s fails its presence rule and got no site", seed, u.Code)
			}
			var gotIn float64
			for _, bt := range s.ByTownship {
				if bt.Code == u.Code {
					gotIn = bt.Added
				}
			}
			if math.Abs(gotIn-bestIn) > 1e-6 || math.Abs(s.Added-bestAll) > 1e-6 || s.Township != u.Code {
				t.Fatalf("seed %d: township %s: site %s in %s adds %v there (%v in all), best %v (%v)", seed, u.Code, s.ID, s.Township, gotIn, s.Added, bestIn, bestAll)
			}
		}
		slices.Sort(unmet)
		got := slices.Clone(res.Unmet)
		slices.Sort(got)
		if !slices.Equal(got, unmet) {
			t.Fatalf("seed %d: unmet %v, want %v", seed, got, unmet)
		}
		sites += len(res.Sites)
		unmets += len(unmet)
	}
	t.Logf("per township: %d sites checked, %d townships without a candidate", sites, unmets)
	if sites < 20 {
		t.Fatalf("only %d sites checked", sites)
	}
}

// TestPerTownshipCells: with populated cells as candidates (capped), every
// township without a facility gets a site inside it, and the others none.
func TestPerTownshipCells(t *testing.T) {
	in := newInstance(11, 90, 90, 3, 3, 0, 0, 500)
	for i := range 4 {
		in.facs = append(in.facs, coverage.Facility{ID: fmt.Sprintf("F%d", i), Location: in.towns[2*i].Geometry.Bound().Center()})
	}
	input := in.input(ModePerTownship, 0)
	input.Candidates, input.List, input.MaxCandidates = FromCells, nil, 200
	res, err := Suggest(context.Background(), input)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Sites {
		if s.For != s.Township {
			t.Fatalf("site %s for %s lies in %s", s.ID, s.For, s.Township)
		}
		got = append(got, s.For)
	}
	slices.Sort(got)
	want := []string{in.towns[1].Code, in.towns[3].Code, in.towns[5].Code, in.towns[7].Code, in.towns[8].Code}
	if !slices.Equal(got, want) || len(res.Unmet) > 0 || res.Candidates > 200 {
		t.Fatalf("sites for %v (unmet %v, %d candidates), want %v", got, res.Unmet, res.Candidates, want)
	}
}

// TestPlanMatchesEngine: on townships whose boundaries cut cells (area
// shares), with populated-cell candidates capped into blocks, the townships'
// covered population after the plan equals a coverage run with the suggested
// sites built (coverage.Run), and the result is the same on every run.
func TestPlanMatchesEngine(t *testing.T) {
	ctx := context.Background()
	in := newInstance(7, 120, 100, 1, 1, 0, 3, 600)
	g := in.grid
	// Four townships split at x, y off the cell edges; the outer edge too.
	x0, x1, x2 := g.West+0.4*g.DX, g.West+57.3*g.DX, g.West+119.6*g.DX
	y0, y1, y2 := g.North-0.3*g.DY, g.North-41.7*g.DY, g.North-99.5*g.DY
	box := func(code string, w, e, n, s float64) coverage.Unit {
		return coverage.Unit{Code: code, Name: code, Geometry: orb.MultiPolygon{{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}}}
	}
	in.towns = []coverage.Unit{box("339901001", x0, x1, y0, y1), box("339901002", x1, x2, y0, y1), box("339901003", x0, x1, y1, y2), box("339901004", x1, x2, y1, y2)}
	var first *Result
	for run := range 3 {
		for _, mode := range []Mode{ModeMaxCover, ModeFewest} {
			input := in.input(mode, 6)
			input.Candidates, input.List, input.MaxCandidates = FromCells, nil, 500
			res, err := Suggest(ctx, input)
			if err != nil {
				t.Fatal(err)
			}
			if res.Candidates > 500 || res.Candidates < 100 {
				t.Fatalf("%d candidates for a cap of 500", res.Candidates)
			}
			facs := slices.Clone(in.facs)
			for _, s := range res.Sites {
				facs = append(facs, coverage.Facility{ID: s.ID, Location: orb.Point{s.Lon, s.Lat}})
			}
			after, err := coverage.Run(ctx, coverage.Input{Standard: in.std, Grid: g, Townships: in.towns, Facilities: facs})
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range after.Townships {
				tw := res.Townships[i]
				if tw.Code != u.Code || math.Abs(tw.CoveredAfter-u.Covered) > 1e-6*max(u.Covered, 1) {
					t.Fatalf("%s: township %s: plan %v covered after, engine %v", mode, u.Code, tw.CoveredAfter, u.Covered)
				}
				if tw.MeetsAfter != !slices.Contains(u.Flags, coverage.FlagBelowTarget) {
					t.Fatalf("%s: township %s: meets target %v, engine flags %v", mode, u.Code, tw.MeetsAfter, u.Flags)
				}
			}
			if math.Abs(res.CoveredAfter-after.Covered) > 1e-6*after.Covered {
				t.Fatalf("%s: plan %v covered, engine %v", mode, res.CoveredAfter, after.Covered)
			}
			if mode == ModeMaxCover {
				if len(res.Sites) != 6 {
					t.Fatalf("%d sites, want 6", len(res.Sites))
				}
				for i := 1; i < len(res.Sites); i++ {
					if res.Sites[i].Added > res.Sites[i-1].Added+1e-9 {
						t.Fatalf("sites not ranked by what they add: %v then %v", res.Sites[i-1].Added, res.Sites[i].Added)
					}
				}
				if run == 0 {
					first = res
				} else if fmt.Sprint(res.Sites) != fmt.Sprint(first.Sites) {
					t.Fatalf("run %d differs:\n%v\n%v", run, res.Sites, first.Sites)
				}
			}
		}
	}
}

// TestBadInput: parameters are checked with clear errors.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	in := newInstance(1, 20, 20, 1, 1, 3, 0, 300)
	for _, c := range []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"no mode", func(i *Input) { i.Mode = "" }, "mode: required"},
		{"bad mode", func(i *Input) { i.Mode = "best" }, `mode: "best"`},
		{"k 0", func(i *Input) { i.K = 0 }, "k: 0 must be in [1, 10000]"},
		{"bad candidates", func(i *Input) { i.Candidates = "shops" }, `candidates: "shops"`},
		{"no villages", func(i *Input) { i.Candidates = FromVillages }, "needs village boundaries"},
		{"bad point", func(i *Input) { i.List = []Candidate{{ID: "x", Location: orb.Point{500, 1}, Source: "c.csv:2"}} }, "c.csv:2 (x): location"},
	} {
		input := in.input(ModeMaxCover, 2)
		c.edit(&input)
		_, err := Suggest(ctx, input)
		if err == nil || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
