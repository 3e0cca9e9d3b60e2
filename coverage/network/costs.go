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
	limit := t.Minutes * 60
	walk := g.Profile.WalkKmh / 3.6
	grouped, err := g.cellSnaps(ctx, f, workers)
	if err != nil {
		return err
	}
	snaps := grouped.snaps
	n := f.Len()
	// Cells by the ends of their edge (CSR node → cells).
	nn := len(g.NodeID)
	off := make([]uint32, nn+1)
	for i := range n {
		if e := snaps[i].Edge; e >= 0 {
			off[g.EU[e]+1]++
			if g.EV[e] != g.EU[e] {
				off[g.EV[e]+1]++
			}
		}
	}
	for u := range nn {
		off[u+1] += off[u]
	}
	cells := make([]uint32, off[nn])
	fill := append([]uint32(nil), off[:nn]...)
	for i := range n {
		if e := snaps[i].Edge; e >= 0 {
			u, v := g.EU[e], g.EV[e]
			cells[fill[u]] = uint32(i)
			fill[u]++
			if v != u {
				cells[fill[v]] = uint32(i)
				fill[v]++
			}
		}
	}
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
				sn := g.Snap(sources[si])
				own := []snapped{{sn, int32(si)}}
				ss.Run(g.seeds(sn, int32(si), walk, nil), limit)
				visit := func(ci uint32) {
					if seen[ci] == int32(si) {
						return
					}
					seen[ci] = int32(si)
					if c, l := ss.reachCost(snaps[ci], walk, own); l >= 0 && c <= limit {
						fn(w, si, int(ci), c)
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
		}()
	}
	wg.Wait()
	return ctx.Err()
}
