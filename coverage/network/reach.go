package network

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
)

// Travel is the travel-time reach: a cell is reached when its centre can be
// reached from a facility within Minutes over the graph, walking straight from
// the facility to its nearest road and from the road to the cell centre at the
// profile's walking speed (each walk at most the profile's MaxAccessM).
//
// Nearest and Cost come from one multi-source Dijkstra search from all
// sources at once; Catchment (every cell each source reaches) from one bounded
// search per source, shared among workers. A source and a cell on the same
// edge are joined along the edge as well as through its ends. Points snap to
// roads, never to ferries.
type Travel struct {
	Graph   *Graph
	Minutes float64
}

// Describe implements coverage.Reach.
func (t Travel) Describe() string {
	p := t.Graph.Profile
	return fmt.Sprintf("travel time ≤ %g min (%s over the road network; off-network walk ≤ %g m at %g km/h)", t.Minutes, p.Name, p.MaxAccessM, p.WalkKmh)
}

// Reach implements coverage.Reach.
func (t Travel) Reach(ctx context.Context, req coverage.ReachRequest) (*coverage.Reached, error) {
	g := t.Graph
	if g == nil {
		return nil, fmt.Errorf("travel-time reach: no network")
	}
	if !(t.Minutes > 0 && t.Minutes <= 24*60) {
		return nil, fmt.Errorf("travel-time reach: %v minutes must be in (0, 1440]", t.Minutes)
	}
	f := req.Frame
	n := f.Len()
	if req.Weight != nil && len(req.Weight) != n {
		return nil, fmt.Errorf("travel-time reach: %d weights for %d cells", len(req.Weight), n)
	}
	workers := req.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	limit := t.Minutes * 60
	walk := g.Profile.WalkKmh / 3.6
	out := &coverage.Reached{
		Nearest:   make([]int32, n),
		Cost:      make([]float32, n),
		Unit:      "s",
		Catchment: make([]float64, len(req.Sources)),
	}
	grouped, err := g.cellSnaps(ctx, f, workers)
	if err != nil {
		return nil, err
	}
	snaps := grouped.snaps
	var wg sync.WaitGroup
	var seeds []Seed
	srcSeeds := make([][]Seed, len(req.Sources))
	srcSnap := make([]snapped, len(req.Sources))
	for i, p := range req.Sources {
		lo := len(seeds)
		sn := g.Snap(p)
		srcSnap[i] = snapped{sn, int32(i)}
		seeds = g.seeds(sn, int32(i), walk, seeds)
		srcSeeds[i] = seeds[lo:len(seeds):len(seeds)]
	}
	// Sources by edge (sorted by edge, then label), for the walk along a shared edge.
	byEdge := make([]snapped, 0, len(srcSnap))
	for _, s := range srcSnap {
		if s.snap.Edge >= 0 {
			byEdge = append(byEdge, s)
		}
	}
	slices.SortFunc(byEdge, func(a, b snapped) int {
		return cmp.Or(cmp.Compare(a.snap.Edge, b.snap.Edge), cmp.Compare(a.label, b.label))
	})
	sameEdge := func(e int32) []snapped {
		lo, _ := slices.BinarySearchFunc(byEdge, e, func(a snapped, e int32) int { return cmp.Compare(a.snap.Edge, e) })
		hi := lo
		for hi < len(byEdge) && byEdge[hi].snap.Edge == e {
			hi++
		}
		return byEdge[lo:hi]
	}
	s := g.RunParallel(req.Sources, srcSeeds, limit, workers)
	inf := float32(math.Inf(1))
	// Cells take their cost from the search state (read only), edge by edge
	// (cells grouped by the edge they snap to, cached with the snaps): only the
	// cells of edges with a reached end are looked at; each cell is on one
	// edge, so workers write disjoint cells.
	hasSrc := make([]bool, len(g.EU))
	for _, b := range byEdge {
		hasSrc[b.snap.Edge] = true
	}
	ne := len(g.EU)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := n*w/workers, n*(w+1)/workers
			for i := lo; i < hi; i++ {
				out.Nearest[i], out.Cost[i] = -1, inf
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := ne * w / workers; e < ne*(w+1)/workers; e++ {
				cs := grouped.cells[grouped.off[e]:grouped.off[e+1]]
				if len(cs) == 0 || (s.St[g.EU[e]].Dist > limit && s.St[g.EV[e]].Dist > limit && !hasSrc[e]) {
					continue
				}
				var on []snapped
				if hasSrc[e] {
					on = sameEdge(int32(e))
				}
				for _, ci := range cs {
					c, l := s.reachCost(snaps[ci], walk, on)
					if l >= 0 && c <= limit {
						out.Nearest[ci], out.Cost[ci] = l, float32(c)
					}
				}
			}
		}()
	}
	wg.Wait()
	g.putSearch(s)
	s = nil
	if req.Weight == nil {
		return out, nil
	}
	// Catchments: the reached cells by the ends of their edge (the CSR node →
	// cells cached with the snaps, unreached cells skipped).
	off, cells := grouped.byNode(g)
	jobs := make(chan int, len(req.Sources))
	for i := range req.Sources {
		jobs <- i
	}
	close(jobs)
	for range workers {
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
				ss.Run(srcSeeds[si], limit)
				own := []snapped{srcSnap[si]}
				var sum float64
				for _, u := range ss.Touched {
					for _, ci := range cells[off[u]:off[u+1]] {
						if seen[ci] == int32(si) || out.Nearest[ci] < 0 {
							continue
						}
						seen[ci] = int32(si)
						if c, l := ss.reachCost(snaps[ci], walk, own); l >= 0 && c <= limit {
							sum += float64(req.Weight[ci])
						}
					}
				}
				out.Catchment[si] = sum
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// RunParallel is the multi-source search of seeds (srcSeeds[i]: those of source
// i at sources[i]) split among workers: the sources are cut into groups by
// longitude, each group searched on its own state in parallel, and the states
// merged node by node, keeping the lower (cost, label). The nearest source of
// all is the nearest of the nearest per group, so the result is the one
// search's; the groups' searches overlap only within the limit of a group's
// edge, so on a province the work hardly grows. The states come from the
// graph's free list (getSearch); the caller may give the returned one back
// with putSearch when done with it.
func (g *Graph) RunParallel(sources []orb.Point, srcSeeds [][]Seed, limit float64, workers int) *Search {
	k := min(workers, len(sources)/64) // small runs: one search
	if k < 2 {
		var seeds []Seed
		for _, ss := range srcSeeds {
			seeds = append(seeds, ss...)
		}
		s := g.getSearch()
		s.Run(seeds, limit)
		return s
	}
	order := make([]int, len(sources))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(sources[a][0], sources[b][0]), cmp.Compare(sources[a][1], sources[b][1]), cmp.Compare(a, b))
	})
	states := make([]*Search, k)
	var wg sync.WaitGroup
	for w := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var seeds []Seed
			for _, i := range order[len(order)*w/k : len(order)*(w+1)/k] {
				seeds = append(seeds, srcSeeds[i]...)
			}
			s := g.getSearch()
			s.Run(seeds, limit)
			states[w] = s
		}()
	}
	wg.Wait()
	s0 := states[0]
	for _, s := range states[1:] {
		for _, u := range s.Touched {
			x, x0 := s.St[u], &s0.St[u]
			if x.Dist < x0.Dist || (x.Dist == x0.Dist && x.Label < x0.Label) {
				if math.IsInf(x0.Dist, 1) {
					s0.Touched = append(s0.Touched, u)
				}
				*x0 = x
			}
		}
		g.putSearch(s)
	}
	return s0
}

// cellSnaps is the snap of every cell of a frame to a graph, and the cells
// grouped by edge (CSR: the cells snapped to edge e are cells[off[e]:off[e+1]]).
type cellSnaps struct {
	frame coverage.Frame
	snaps []Snap
	off   []uint32
	cells []uint32

	// The cells by the ends of their edge (CSR node → cells; byNode), made on
	// first use: the single-source searches (EachCost, Catchment) visit them.
	nodeOnce  sync.Once
	nodeOff   []uint32
	nodeCells []uint32
}

// byNode returns the cells grouped by the ends of their edge: the cells of
// node u are nodeCells[nodeOff[u]:nodeOff[u+1]].
func (c *cellSnaps) byNode(g *Graph) (off, cells []uint32) {
	c.nodeOnce.Do(func() {
		nn := len(g.NodeID)
		off := make([]uint32, nn+1)
		for _, sn := range c.snaps {
			if e := sn.Edge; e >= 0 {
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
		fill := slices.Clone(off[:nn])
		for i, sn := range c.snaps {
			if e := sn.Edge; e >= 0 {
				u, v := g.EU[e], g.EV[e]
				cells[fill[u]] = uint32(i)
				fill[u]++
				if v != u {
					cells[fill[v]] = uint32(i)
					fill[v]++
				}
			}
		}
		c.nodeOff, c.nodeCells = off, cells
	})
	return c.nodeOff, c.nodeCells
}

// CellSnaps returns the snap of every cell centre of f to the network. It
// depends only on the graph and the frame, so the graph keeps the last one:
// runs of other kinds or facilities on the same network and grid reuse it.
func (g *Graph) CellSnaps(ctx context.Context, f coverage.Frame, workers int) ([]Snap, error) {
	c, err := g.cellSnaps(ctx, f, workers)
	if err != nil {
		return nil, err
	}
	return c.snaps, nil
}

func (g *Graph) cellSnaps(ctx context.Context, f coverage.Frame, workers int) (*cellSnaps, error) {
	g.snapMu.Lock()
	defer g.snapMu.Unlock()
	if c := g.snapCache; c != nil && c.frame == f {
		return c, nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := f.Len()
	if n >= math.MaxUint32 {
		return nil, fmt.Errorf("travel-time reach: %d cells is too many", n)
	}
	snaps := make([]Snap, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if i%4096 == 0 && ctx.Err() != nil {
					return
				}
				snaps[i] = g.Snap(f.Center(i%f.W, i/f.W))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &cellSnaps{frame: f, snaps: snaps, off: make([]uint32, len(g.EU)+1)}
	for _, sn := range snaps {
		if sn.Edge >= 0 {
			c.off[sn.Edge+1]++
		}
	}
	for e := range len(g.EU) {
		c.off[e+1] += c.off[e]
	}
	c.cells = make([]uint32, c.off[len(g.EU)])
	fill := slices.Clone(c.off[:len(g.EU)])
	for i, sn := range snaps {
		if sn.Edge >= 0 {
			c.cells[fill[sn.Edge]] = uint32(i)
			fill[sn.Edge]++
		}
	}
	g.snapCache = c
	return c, nil
}
