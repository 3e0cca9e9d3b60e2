package plan

import (
	"cmp"
	"context"
	"math"
	"slices"
)

// maxSwapRounds bounds the interchange rounds per site.
const maxSwapRounds = 20

// interchange improves a max-cover plan by single swaps (Teitz & Bart 1968):
// while replacing one chosen site by another candidate adds people, the best
// such swap is made. The greedy alone can stay a few per cent below the
// optimum (its guarantee is 1 − 1/e); the swaps close most of that gap.
//
// The gain of candidate c after removing site s is its gain now plus the
// population it reaches that only s covered; that second term is zero unless
// c lies within two radii of s, so one full pass computes every gain and each
// round looks only at the candidates near the chosen sites.
func (p *problem) interchange(ctx context.Context, picks []pick) []pick {
	if len(picks) == 0 {
		return picks
	}
	nd, nc := len(p.dVal), len(p.cands)
	sel := make([]int, len(picks))
	inS := make([]bool, nc)
	cnt := make([]int32, nd)
	for i, pk := range picks {
		sel[i] = pk.cand
		inS[pk.cand] = true
		for _, d := range p.reach[pk.cand] {
			cnt[d]++
		}
	}
	g := make([]float64, nc)
	fresh := func(c int) float64 {
		var v float64
		for _, d := range p.reach[c] {
			if cnt[d] == 0 {
				v += p.dVal[d]
			}
		}
		return v
	}
	_ = parallelChunks(ctx, nc, p.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			g[c] = fresh(c)
		}
	})
	p.evaluations += nc
	var total float64
	for d, n := range cnt {
		if n > 0 {
			total += p.dVal[d]
		}
	}
	near := p.buckets()
	unique := make([]bool, nd)
	isNear := make([]int, nc) // round stamp+1 of the last site c was near
	order := make([]int, nc)
	for c := range order {
		order[c] = c
	}
	stamp := 0
	for round := 0; round < maxSwapRounds*len(sel) && ctx.Err() == nil; round++ {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g[b], g[a]) })
		bestDelta, bestI, bestC := 1e-9*max(total, 1), -1, -1
		for i, s := range sel {
			stamp++
			var loss float64
			for _, d := range p.reach[s] {
				if cnt[d] == 1 {
					unique[d] = true
					loss += p.dVal[d]
				}
			}
			try := func(c int, delta float64) {
				if delta > bestDelta || (delta == bestDelta && bestI >= 0 && c < bestC) {
					bestDelta, bestI, bestC = delta, i, c
				}
			}
			for _, c := range near(s) {
				isNear[c] = stamp
				if inS[c] {
					continue
				}
				var ov float64
				for _, d := range p.reach[c] {
					if unique[d] {
						ov += p.dVal[d]
					}
				}
				p.evaluations++
				try(c, g[c]+ov-loss)
			}
			for _, c := range order {
				if !inS[c] && isNear[c] != stamp {
					try(c, g[c]-loss)
					break
				}
			}
			for _, d := range p.reach[s] {
				unique[d] = false
			}
		}
		if bestI < 0 {
			break
		}
		s := sel[bestI]
		for _, d := range p.reach[s] {
			cnt[d]--
		}
		for _, d := range p.reach[bestC] {
			cnt[d]++
		}
		inS[s], inS[bestC] = false, true
		sel[bestI] = bestC
		total += bestDelta
		for _, c := range append(near(s), near(bestC)...) {
			g[c] = fresh(c)
			p.evaluations++
		}
	}
	// Rank the chosen sites greedily among themselves: the one adding the most first.
	covered := make([]bool, nd)
	a := newAccum(len(p.need))
	out := make([]pick, 0, len(sel))
	left := slices.Clone(sel)
	for len(left) > 0 {
		bi, bg := 0, -1.0
		for i, c := range left {
			if v := p.gain(c, covered, nil, false, a); v > bg || (v == bg && c < left[bi]) {
				bi, bg = i, v
			}
		}
		c := left[bi]
		out = append(out, pick{cand: c, For: -1})
		p.take(c, covered, make([]float64, len(p.need)), a)
		left = slices.Delete(left, bi, bi+1)
	}
	return out
}

// buckets returns a function listing the candidates whose reach may overlap
// candidate c's: those in the 3×3 buckets of two radii around it (a superset).
func (p *problem) buckets() func(c int) []int {
	R := p.in.Standard.RadiusM
	maxLat := 0.0
	for _, c := range p.cands {
		maxLat = max(maxLat, math.Abs(c.Location[1]))
	}
	f := p.reg.Frame
	dlat := 2*R/110_000*1.05 + 2*f.DY
	dlon := 2*R/(111_000*math.Max(math.Cos(math.Min(maxLat+dlat, 89)*math.Pi/180), 1e-3))*1.05 + 2*f.DX
	key := func(c int) [2]int {
		q := p.cands[c].Location
		return [2]int{int(math.Floor(q[0] / dlon)), int(math.Floor(q[1] / dlat))}
	}
	idx := map[[2]int][]int{}
	for c := range p.cands {
		k := key(c)
		idx[k] = append(idx[k], c)
	}
	return func(c int) []int {
		k := key(c)
		var out []int
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				out = append(out, idx[[2]int{k[0] + dx, k[1] + dy}]...)
			}
		}
		return out
	}
}
