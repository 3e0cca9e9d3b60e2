package plan

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"fangyuan/coverage"
)

// accum sums population per township, remembering which were touched (in
// the order first touched, so that results do not depend on map order).
type accum struct {
	v       []float64
	seen    []bool
	touched []int32
}

func newAccum(n int) *accum { return &accum{v: make([]float64, n), seen: make([]bool, n)} }

func (a *accum) add(t int32, v float64) {
	if !a.seen[t] {
		a.seen[t] = true
		a.touched = append(a.touched, t)
	}
	a.v[t] += v
}

func (a *accum) reset() {
	for _, t := range a.touched {
		a.v[t], a.seen[t] = 0, false
	}
	a.touched = a.touched[:0]
}

// attribute adds demand entry d's population to its townships.
func (p *problem) attribute(d int32, a *accum) {
	if t := p.dTown[d]; t >= 0 {
		a.add(t, p.dVal[d])
		return
	}
	for _, s := range p.splits[-1-p.dTown[d]] {
		a.add(s.t, s.v)
	}
}

// attributeTo adds demand entry d's population to per-township sums.
func (p *problem) attributeTo(d int32, sums []float64) {
	if t := p.dTown[d]; t >= 0 {
		sums[t] += p.dVal[d]
		return
	}
	for _, s := range p.splits[-1-p.dTown[d]] {
		sums[s.t] += s.v
	}
}

// gain is candidate c's marginal gain: the uncovered population it reaches
// (max cover), or the part of it that closes townships' deficits rem
// (fewest: Σ over townships of min(added, remaining deficit)).
func (p *problem) gain(c int, covered []bool, rem []float64, fewest bool, a *accum) float64 {
	if !fewest {
		var g float64
		for _, d := range p.reach[c] {
			if !covered[d] {
				g += p.dVal[d]
			}
		}
		return g
	}
	a.reset()
	for _, d := range p.reach[c] {
		if !covered[d] {
			p.attribute(d, a)
		}
	}
	var g float64
	for _, t := range a.touched {
		if r := rem[t]; r > p.tol(int(t)) {
			g += min(a.v[t], r)
		}
	}
	return g
}

func (p *problem) tol(t int) float64 { return needTol(p.base.Townships[t].Population) }

// take marks candidate c's reach covered and lowers the deficits.
func (p *problem) take(c int, covered []bool, rem []float64, a *accum) {
	a.reset()
	for _, d := range p.reach[c] {
		if !covered[d] {
			covered[d] = true
			p.attribute(d, a)
		}
	}
	for _, t := range a.touched {
		rem[t] -= a.v[t]
	}
}

// minGain: gains at or below it add nobody (rounding of float sums).
const minGain = 1e-9

// entry is a candidate in the lazy greedy's queue: its gain as of round stamp.
type entry struct {
	gain  float64
	cand  int32
	stamp int32
}

// queue is a max-heap on gain, ties to the lower candidate index.
type queue []entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].gain != q[j].gain {
		return q[i].gain > q[j].gain
	}
	return q[i].cand < q[j].cand
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(entry)) }
func (q *queue) Pop() any     { old := *q; e := old[len(old)-1]; *q = old[:len(old)-1]; return e }
func (q queue) top() *entry   { return &q[0] }
func (q queue) empty() bool   { return len(q) == 0 }
func (p *problem) unmet(rem []float64) int {
	n := 0
	for t, r := range rem {
		if r > p.tol(t) {
			n++
		}
	}
	return n
}

// greedy picks sites by lazy greedy (CELF): up to k (0: no cap); with fewest,
// until every township meets its target. Gains are submodular (they only
// shrink as sites are added), so a queued gain is an upper bound: the top is
// re-evaluated, and taken when its fresh gain still leads.
func (p *problem) greedy(ctx context.Context, k int, fewest bool) []pick {
	picks, _ := p.lazy(ctx, p.initialGains(ctx, fewest), k, fewest, -1)
	return picks
}

// initialGains is every candidate's gain with no site chosen.
func (p *problem) initialGains(ctx context.Context, fewest bool) []float64 {
	covered := make([]bool, len(p.dVal))
	gains := make([]float64, len(p.cands))
	_ = parallelChunks(ctx, len(p.cands), p.workers, func(lo, hi int) {
		a := newAccum(len(p.need))
		for c := lo; c < hi; c++ {
			gains[c] = p.gain(c, covered, p.need, fewest, a)
		}
	})
	p.evaluations += len(p.cands)
	return gains
}

// lazy runs the lazy greedy from the initial gains; first ≥ 0 forces the
// first site. It returns the picks and the sum of their gains.
func (p *problem) lazy(ctx context.Context, gains []float64, k int, fewest bool, first int) ([]pick, float64) {
	covered := make([]bool, len(p.dVal))
	rem := slices.Clone(p.need)
	a := newAccum(len(rem))
	var picks []pick
	var total float64
	round := int32(0)
	if first >= 0 {
		total += p.gain(first, covered, rem, fewest, a)
		picks = append(picks, pick{cand: first, For: -1})
		p.take(first, covered, rem, a)
		round++
	}
	q := make(queue, 0, len(p.cands))
	for c, g := range gains {
		if g > minGain && c != first {
			q = append(q, entry{gain: g, cand: int32(c)})
		}
	}
	heap.Init(&q)
	for (k == 0 || len(picks) < k) && !q.empty() && ctx.Err() == nil {
		if fewest && p.unmet(rem) == 0 {
			break
		}
		e := q.top()
		if e.stamp == round {
			c, g := int(e.cand), e.gain // e points into q: read it before Pop moves it
			heap.Pop(&q)
			picks = append(picks, pick{cand: c, For: -1})
			total += g
			p.take(c, covered, rem, a)
			round++
			continue
		}
		e.gain = p.gain(int(e.cand), covered, rem, fewest, a)
		e.stamp = round
		p.evaluations++
		if e.gain <= minGain {
			heap.Pop(&q)
			continue
		}
		heap.Fix(&q, 0)
	}
	return picks, total
}

// maxStarts is how many first sites the max-cover search tries.
const maxStarts = 16

// maxCover is the max-cover search: the lazy greedy started from each of the
// maxStarts candidates with the largest gains (the first start is the plain
// greedy), the best of them improved by single swaps (interchange).
func (p *problem) maxCover(ctx context.Context, k int) []pick {
	gains := p.initialGains(ctx, false)
	order := make([]int, len(gains))
	for c := range order {
		order[c] = c
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(gains[b], gains[a]) })
	var best []pick
	bestTotal := -1.0
	for _, first := range order[:min(len(order), maxStarts)] {
		if gains[first] <= minGain || ctx.Err() != nil {
			break
		}
		picks, total := p.lazy(ctx, gains, k, false, first)
		if total > bestTotal*(1+1e-12) {
			best, bestTotal = picks, total
		}
		if k == 1 {
			break
		}
	}
	return p.interchange(ctx, best)
}

// naiveGreedy is the plain greedy (every candidate re-evaluated every round),
// the baseline the benchmark measures lazy greedy against; same answer.
func (p *problem) naiveGreedy(ctx context.Context, k int) []pick {
	covered := make([]bool, len(p.dVal))
	gains := make([]float64, len(p.cands))
	var picks []pick
	for len(picks) < k && ctx.Err() == nil {
		_ = parallelChunks(ctx, len(p.cands), p.workers, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				gains[c] = p.gain(c, covered, nil, false, nil)
			}
		})
		p.evaluations += len(p.cands)
		best := -1
		for c, g := range gains {
			if g > minGain && (best < 0 || g > gains[best]) {
				best = c
			}
		}
		if best < 0 {
			break
		}
		picks = append(picks, pick{cand: best, For: -1})
		for _, d := range p.reach[best] {
			covered[d] = true
		}
	}
	return picks
}

// prune drops sites of a fewest plan that the others make redundant (every
// township they add to still meets its target without them), latest first.
func (p *problem) prune(picks []pick) []pick {
	cnt := make([]int32, len(p.dVal))
	for _, pk := range picks {
		for _, d := range p.reach[pk.cand] {
			cnt[d]++
		}
	}
	added := make([]float64, len(p.need))
	for d := range cnt {
		if cnt[d] > 0 {
			p.attributeTo(int32(d), added)
		}
	}
	a := newAccum(len(p.need))
	keep := make([]bool, len(picks))
	for i := range keep {
		keep[i] = true
	}
	for i := len(picks) - 1; i >= 0; i-- {
		a.reset()
		for _, d := range p.reach[picks[i].cand] {
			if cnt[d] == 1 {
				p.attribute(d, a)
			}
		}
		ok := true
		for _, t := range a.touched {
			if a.v[t] > 0 && p.need[t]-(added[t]-a.v[t]) > p.tol(int(t)) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		keep[i] = false
		for _, d := range p.reach[picks[i].cand] {
			cnt[d]--
		}
		for _, t := range a.touched {
			added[t] -= a.v[t]
		}
	}
	var out []pick
	for i, pk := range picks {
		if keep[i] {
			out = append(out, pk)
		}
	}
	return out
}

// perTownship picks, for each township failing its presence rule, the
// candidate inside it adding the most people in that township (then the most
// overall, then the first), against the existing facilities alone. Townships
// go by uncovered population, most first; k > 0 caps the sites.
func (p *problem) perTownship() []pick {
	towns := p.base.Townships
	var failing []int
	for t, u := range towns {
		if slices.Contains(u.Flags, coverage.FlagNoFacility) {
			failing = append(failing, t)
		}
	}
	slices.SortStableFunc(failing, func(a, b int) int {
		return cmp.Or(cmp.Compare(towns[b].Uncovered, towns[a].Uncovered), strings.Compare(towns[a].Code, towns[b].Code))
	})
	inside := make(map[int][]int)
	for c, t := range p.candT {
		if t >= 0 {
			inside[t] = append(inside[t], c)
		}
	}
	a := newAccum(len(towns))
	var picks []pick
	for _, t := range failing {
		if p.in.K > 0 && len(picks) == p.in.K {
			break
		}
		best, bestIn, bestAll := -1, 0.0, 0.0
		for _, c := range inside[t] {
			a.reset()
			for _, d := range p.reach[c] {
				p.attribute(d, a)
			}
			p.evaluations++
			var all float64
			for _, u := range a.touched {
				all += a.v[u]
			}
			in := a.v[t]
			if best < 0 || in > bestIn || (in == bestIn && all > bestAll) {
				best, bestIn, bestAll = c, in, all
			}
		}
		if best >= 0 {
			picks = append(picks, pick{cand: best, For: t})
		}
	}
	return picks
}

// parallelChunks calls fn on chunks [lo, hi) of [0, n) from up to workers
// goroutines, and returns ctx.Err().
func parallelChunks(ctx context.Context, n, workers int, fn func(lo, hi int)) error {
	chunk := max(1, n/(workers*16))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(1, (n+chunk-1)/chunk)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
