package plan

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeLP writes the maximal covering location problem (Church & ReVelle
// 1974) of tr in CPLEX LP format: maximise Σ pop_j·y_j subject to
// y_j ≤ Σ_{i reaches j} x_i, Σ x_i ≤ k, x binary, 0 ≤ y ≤ 1.
func writeLP(path string, tr *truth, ncand, k int) error {
	by := map[int][]int{} // cell → candidates reaching it
	var cells []int
	for c := range ncand {
		for _, i := range tr.reaches[c] {
			if tr.pop[i] <= 0 {
				continue
			}
			if _, ok := by[i]; !ok {
				cells = append(cells, i)
			}
			by[i] = append(by[i], c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	terms := func(prefix string, items []string) {
		for n, it := range items {
			if n%8 == 0 {
				w.WriteString("\n   ")
			}
			if n > 0 || prefix != "" {
				w.WriteString(" ")
			}
			w.WriteString(it)
		}
	}
	fmt.Fprint(w, "\\ maximal covering\nMaximize\n obj:")
	var obj []string
	for n, i := range cells {
		s := fmt.Sprintf("%s %g y%d", "+", tr.pop[i], i)
		if n == 0 {
			s = fmt.Sprintf("%g y%d", tr.pop[i], i)
		}
		obj = append(obj, s)
	}
	if len(obj) == 0 {
		obj = []string{"0 x0"}
	}
	terms("", obj)
	fmt.Fprint(w, "\nSubject To\n")
	for _, i := range cells {
		fmt.Fprintf(w, " r%d: y%d", i, i)
		var ts []string
		for _, c := range by[i] {
			ts = append(ts, fmt.Sprintf("- x%d", c))
		}
		terms("y", ts)
		fmt.Fprint(w, " <= 0\n")
	}
	fmt.Fprint(w, " k:")
	var xs []string
	for c := range ncand {
		s := fmt.Sprintf("+ x%d", c)
		if c == 0 {
			s = "x0"
		}
		xs = append(xs, s)
	}
	terms("", xs)
	fmt.Fprintf(w, " <= %d\nBounds\n", k)
	for _, i := range cells {
		fmt.Fprintf(w, " 0 <= y%d <= 1\n", i)
	}
	fmt.Fprint(w, "Binary\n")
	var bs []string
	for c := range ncand {
		bs = append(bs, fmt.Sprintf("x%d", c))
	}
	terms("", bs)
	fmt.Fprint(w, "\nEnd\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// solveCBC solves an LP file with COIN-OR CBC and returns the proven optimum.
func solveCBC(t *testing.T, lp string) float64 {
	t.Helper()
	bin, err := exec.LookPath("cbc")
	if err != nil {
		t.Fatalf("the MILP solver cbc is missing (apt-get install coinor-cbc; .ci/deps.sh installs it): %v", err)
	}
	out := strings.TrimSuffix(lp, ".lp") + ".sol"
	cmd := exec.Command(bin, lp, "ratioGap", "0", "allowableGap", "1e-9", "solve", "solu", out)
	cmd.Dir = filepath.Dir(lp)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cbc %s: %v\n%s", lp, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("cbc wrote no solution: %v", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	// "Optimal - objective value 1234.00000000"
	if !strings.HasPrefix(first, "Optimal") {
		t.Fatalf("cbc did not prove optimality: %q", first)
	}
	i := strings.LastIndex(first, " ")
	v, err := strconv.ParseFloat(strings.TrimSpace(first[i+1:]), 64)
	if err != nil {
		t.Fatalf("cbc solution %q: %v", first, err)
	}
	return v
}

// TestMaxCoverAgainstCBC: on 20 random instances (fixed seeds) of up to 200
// candidates and 10,000 cells, the lazy greedy's added population is within
// 2 % of CBC's proven optimum (greedy then single swaps), equal to it for k = 1; what the greedy reports
// equals the independent (Vincenty) coverage of its sites; the plain greedy
// picks the same sites.
func TestMaxCoverAgainstCBC(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := []int{1, 2, 3, 5, 10}
	var worst float64
	for seed := range uint64(20) {
		w, h := 100, 100
		if seed%3 == 1 {
			w, h = 80, 90
		}
		ncand := 60 + int(seed*37%141) // 60 … 200
		if seed == 0 {
			ncand = 200
		}
		k := ks[seed%uint64(len(ks))]
		radius := 300 + float64(seed*53%400)
		in := newInstance(seed+1, w, h, 2, 2, ncand, int(seed%4), radius)
		tr := in.truth()
		res, err := Suggest(ctx, in.input(ModeMaxCover, k))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		picked := in.candIndex(t, res.Sites)
		indep, per := tr.added(picked, len(in.towns))
		got := res.CoveredAfter - res.CoveredBefore
		if math.Abs(got-indep) > 1e-6*max(indep, 1) {
			t.Fatalf("seed %d: greedy reports %v added, its sites cover %v (Vincenty)", seed, got, indep)
		}
		var sum float64
		for _, s := range res.Sites {
			sum += s.Added
		}
		if math.Abs(sum-got) > 1e-6*max(got, 1) {
			t.Fatalf("seed %d: sites add %v, the plan %v", seed, sum, got)
		}
		for ti, tw := range res.Townships {
			if d := tw.CoveredAfter - tw.CoveredBefore; math.Abs(d-per[ti]) > 1e-6*max(per[ti], 1) {
				t.Fatalf("seed %d: township %s gains %v, independently %v", seed, tw.Code, d, per[ti])
			}
		}
		lp := filepath.Join(dir, fmt.Sprintf("mclp%02d.lp", seed))
		if err := writeLP(lp, tr, ncand, k); err != nil {
			t.Fatal(err)
		}
		opt := solveCBC(t, lp)
		if got > opt+1e-6*max(opt, 1) {
			t.Fatalf("seed %d: greedy %v above the optimum %v", seed, got, opt)
		}
		gap := 0.0
		if opt > 0 {
			gap = (opt - got) / opt
		}
		worst = max(worst, gap)
		p, err := prepare(ctx, in.input(ModeMaxCover, k))
		if err != nil {
			t.Fatal(err)
		}
		lazy := p.greedy(ctx, k, false)
		var lazyIdx []int
		for _, pk := range lazy {
			lazyIdx = append(lazyIdx, pk.cand)
		}
		plain, _ := tr.added(lazyIdx, len(in.towns))
		t.Logf("seed %2d: %d×%d cells, %3d candidates, %d existing, radius %3.0f m, k %2d: plan %8.0f (plain greedy %8.0f), CBC optimum %8.0f, gap %.3f %%",
			seed, w, h, ncand, len(in.facs), radius, k, got, plain, opt, 100*gap)
		if k == 1 && math.Abs(got-opt) > 1e-6*max(opt, 1) {
			t.Fatalf("seed %d: k = 1: greedy %v, optimum %v: must be equal", seed, got, opt)
		}
		if gap > 0.02 {
			t.Fatalf("seed %d: greedy %v is %.2f %% below the optimum %v (at most 2 %%)", seed, got, 100*gap, opt)
		}
		// The plain (non-lazy) greedy takes the same sites as the lazy one.
		naive := p.naiveGreedy(ctx, k)
		if len(naive) != len(lazy) {
			t.Fatalf("seed %d: plain greedy picks %d sites, lazy %d", seed, len(naive), len(lazy))
		}
		for i := range naive {
			if naive[i].cand != lazy[i].cand {
				t.Fatalf("seed %d: site %d: plain greedy candidate %d, lazy %d", seed, i+1, naive[i].cand, lazy[i].cand)
			}
		}
	}
	t.Logf("worst gap to the optimum: %.3f %%", 100*worst)
}
