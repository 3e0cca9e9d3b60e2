package network

import (
	"context"
	"fmt"
	"sync"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
)

// EachCost calls fn(w, src, cell, seconds) for every source and every cell of
// f the source reaches within t.Minutes, with the travel time of that source
// alone (the cost rule of Reach: walk to the road, over the graph, walk to
// the cell centre; along a shared edge directly). It runs one bounded search
// per source, sources shared among workers; calls with the same w are
// sequential. Capacity-aware accessibility (coverage/access) needs these
// per-source reach sets, which the multi-source Reach does not keep.
func (t Travel) EachCost(ctx context.Context, f coverage.Frame, sources []orb.Point, workers int, fn func(w, src, cell int, seconds float64)) error {
	g := t.Graph
	if g == nil {
		return fmt.Errorf("travel-time costs: no network")
	}
	if !(t.Minutes > 0 && t.Minutes <= 24*60) {
		return fmt.Errorf("travel-time costs: %v minutes must be in (0, 1440]", t.Minutes)
	}
	if workers <= 0 {
		workers = 1
	}
	grouped, err := g.cellSnaps(ctx, f, workers)
	if err != nil {
		return err
	}
	n := f.Len()
	off, cells := grouped.byNode(g)
	jobs := make(chan int, len(sources))
	for i := range sources {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss := g.NewSearch()
			seen := make([]int32, n)
			for i := range seen {
				seen[i] = -1
			}
			for si := range jobs {
				if ctx.Err() != nil {
					return
				}
				t.costsFrom(ss, grouped, off, cells, int32(si), sources[si], func(ci uint32) bool {
					if seen[ci] == int32(si) {
						return true
					}
					seen[ci] = int32(si)
					return false
				}, func(cell int, sec float64) { fn(w, si, cell, sec) })
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// costsFrom runs one bounded search from the source at p (label si) on ss and
// calls fn for every cell it reaches within the limit, with the cost; seen
// reports whether a cell was already visited for this source (marking it).
func (t Travel) costsFrom(ss *Search, grouped *cellSnaps, off, cells []uint32, si int32, p orb.Point, seen func(ci uint32) bool, fn func(cell int, seconds float64)) {
	g := t.Graph
	limit := t.Minutes * 60
	walk := g.Profile.WalkKmh / 3.6
	snaps := grouped.snaps
	sn := g.Snap(p)
	own := []snapped{{sn, si}}
	ss.Run(g.seeds(sn, si, walk, nil), limit)
	visit := func(ci uint32) {
		if seen(ci) {
			return
		}
		if c, l := ss.reachCost(snaps[ci], walk, own); l >= 0 && c <= limit {
			fn(int(ci), c)
		}
	}
	for _, u := range ss.Touched {
		for _, ci := range cells[off[u]:off[u+1]] {
			visit(ci)
		}
	}
	// Cells on the source's own edge whose ends are beyond the limit.
	if e := sn.Edge; e >= 0 {
		for _, ci := range grouped.cells[grouped.off[e]:grouped.off[e+1]] {
			visit(ci)
		}
	}
}

// Catchment calls fn once for every cell of f that a facility at p reaches
// within the minutes (the cells EachCost reports for it alone; what-if
// scenarios update their counts by it: coverage.CatchmentReach).
func (t Travel) Catchment(ctx context.Context, f coverage.Frame, p orb.Point, fn func(cell int)) error {
	g := t.Graph
	if g == nil {
		return fmt.Errorf("travel-time catchment: no network")
	}
	grouped, err := g.cellSnaps(ctx, f, 0)
	if err != nil {
		return err
	}
	off, cells := grouped.byNode(g)
	ss := g.getSearch()
	defer g.putSearch(ss)
	seen := map[uint32]bool{}
	t.costsFrom(ss, grouped, off, cells, 0, p, func(ci uint32) bool {
		if seen[ci] {
			return true
		}
		seen[ci] = true
		return false
	}, func(cell int, _ float64) { fn(cell) })
	return ctx.Err()
}
