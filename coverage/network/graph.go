package network

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"fangyuan/geo"
)

// Graph is a network prepared for one profile: nodes and directed arcs in
// compressed sparse row form (Off[u]..Off[u+1] index the arcs leaving u), the
// edges' geometry for snapping, and an R-tree over the edges' segments.
type Graph struct {
	Profile Profile
	NodeID  []int64     // node ids (OSM), ascending
	Pos     []orb.Point // node positions
	Off     []uint32    // len(NodeID)+1
	// Arcs are the arcs leaving each node, head and travel time side by side
	// (one cache line serves a node's arcs during a search).
	Arcs []Arc
	// Edges usable in at least one direction: ends, costs, geometry.
	EU, EV     []uint32
	EFwd, EBwd []float32 // seconds; +Inf where not allowed
	EFerry     []bool    // the edge is a ferry crossing
	pts        []orb.Point
	ptOff      []uint32  // edge e's points are pts[ptOff[e]:ptOff[e+1]]
	cum        []float32 // cumulative length (m) at each point, from the edge's start
	tree       rtree.RTreeG[uint32]

	snapMu    sync.Mutex
	snapCache *cellSnaps // the last frame's cell snaps (CellSnaps)

	deltaOnce sync.Once
	delta     float64 // bucket width of bounded searches (bucketWidth)

	searchMu sync.Mutex
	searches []*Search // states of finished searches, for reuse (getSearch)
}

// getSearch returns a search state on g, reused from an earlier run when one
// was put back (a state's arrays cover every node: allocating and filling them
// costs about as much as a small search).
func (g *Graph) getSearch() *Search {
	g.searchMu.Lock()
	defer g.searchMu.Unlock()
	if k := len(g.searches); k > 0 {
		s := g.searches[k-1]
		g.searches = g.searches[:k-1]
		return s
	}
	return g.NewSearch()
}

// putSearch gives back a state for reuse; the caller must not use it again.
// At most a few are kept (one per worker of the parallel search, and one).
func (g *Graph) putSearch(s *Search) {
	g.searchMu.Lock()
	defer g.searchMu.Unlock()
	if len(g.searches) <= runtime.GOMAXPROCS(0) {
		g.searches = append(g.searches, s)
	}
}

// Build prepares nw for profile p.
func Build(nw *Network, p Profile) (*Graph, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	g := &Graph{Profile: p}
	type kept struct {
		e        *Edge
		fwd, bwd float64
	}
	var ks []kept
	for i := range nw.Edges {
		e := &nw.Edges[i]
		f, b := p.costs(e)
		if math.IsInf(f, 1) && math.IsInf(b, 1) {
			continue
		}
		ks = append(ks, kept{e, f, b})
		g.NodeID = append(g.NodeID, e.From, e.To)
	}
	slices.Sort(g.NodeID)
	g.NodeID = slices.Compact(g.NodeID)
	n := len(g.NodeID)
	if n >= math.MaxUint32 {
		return nil, fmt.Errorf("network: %d nodes is too many", n)
	}
	g.Pos = make([]orb.Point, n)
	idx := func(id int64) uint32 {
		i, _ := slices.BinarySearch(g.NodeID, id)
		return uint32(i)
	}
	deg := make([]uint32, n+1)
	g.EU = make([]uint32, len(ks))
	g.EV = make([]uint32, len(ks))
	g.EFwd = make([]float32, len(ks))
	g.EBwd = make([]float32, len(ks))
	g.EFerry = make([]bool, len(ks))
	g.ptOff = make([]uint32, len(ks)+1)
	for i, k := range ks {
		u, v := idx(k.e.From), idx(k.e.To)
		g.EU[i], g.EV[i] = u, v
		g.EFwd[i], g.EBwd[i] = float32(k.fwd), float32(k.bwd)
		g.EFerry[i] = k.e.Ferry
		g.Pos[u] = k.e.Geom[0]
		g.Pos[v] = k.e.Geom[len(k.e.Geom)-1]
		if !math.IsInf(k.fwd, 1) {
			deg[u]++
		}
		if !math.IsInf(k.bwd, 1) {
			deg[v]++
		}
		var c float64
		for j, q := range k.e.Geom {
			if j > 0 {
				c += geo.Distance(k.e.Geom[j-1], q)
			}
			g.pts = append(g.pts, q)
			g.cum = append(g.cum, float32(c))
		}
		g.ptOff[i+1] = uint32(len(g.pts))
	}
	g.Off = make([]uint32, n+1)
	for u := range n {
		g.Off[u+1] = g.Off[u] + deg[u]
	}
	g.Arcs = make([]Arc, g.Off[n])
	fill := slices.Clone(g.Off[:n])
	for i := range ks {
		u, v := g.EU[i], g.EV[i]
		if f := g.EFwd[i]; !math.IsInf(float64(f), 1) {
			g.Arcs[fill[u]] = Arc{v, f}
			fill[u]++
		}
		if b := g.EBwd[i]; !math.IsInf(float64(b), 1) {
			g.Arcs[fill[v]] = Arc{u, b}
			fill[v]++
		}
	}
	for e, k := range ks {
		if k.e.Ferry {
			continue // nobody boards a ferry mid-crossing: points snap to roads only
		}
		for j := g.ptOff[e]; j+1 < g.ptOff[e+1]; j++ {
			a, b := g.pts[j], g.pts[j+1]
			g.tree.Insert([2]float64{min(a[0], b[0]), min(a[1], b[1])}, [2]float64{max(a[0], b[0]), max(a[1], b[1])}, j)
		}
	}
	return g, nil
}

// Arc is a directed arc: its head node and travel time in seconds.
type Arc struct {
	To   uint32
	Cost float32
}

// Node returns the index of node id, or -1.
func (g *Graph) Node(id int64) int {
	i, ok := slices.BinarySearch(g.NodeID, id)
	if !ok {
		return -1
	}
	return i
}

// Snap is a point's access to the network: it walks Walk metres straight to
// the point at fraction T (by length) along edge Edge.
type Snap struct {
	Edge int32 // -1: no road within the profile's MaxAccessM
	T    float32
	Walk float32 // metres
}

// edgeOfPoint finds the edge holding point index j (binary search on ptOff).
func (g *Graph) edgeOfPoint(j uint32) int {
	e, ok := slices.BinarySearch(g.ptOff, j)
	if !ok {
		e--
	}
	return e
}

// Snap finds the nearest point of the network to p within the profile's
// MaxAccessM. Distances use the local metric at p (metres per degree at p's
// latitude), exact enough for access walks of a few kilometres.
func (g *Graph) Snap(p orb.Point) Snap {
	best := Snap{Edge: -1}
	maxD := g.Profile.MaxAccessM
	mx, my := geo.MetresPerDegree(p[1])
	bestD := math.Inf(1)
	var bestSeg uint32
	var bestF float64
	// Boxes of growing half-size r around p: a segment within r of p has a
	// point in the box, so its bounding box meets it; the nearest found within
	// r is the nearest.
	seg := func(j uint32) {
		a, b := g.pts[j], g.pts[j+1]
		ax, ay := (a[0]-p[0])*mx, (a[1]-p[1])*my
		bx, by := (b[0]-p[0])*mx, (b[1]-p[1])*my
		vx, vy := bx-ax, by-ay
		l2 := vx*vx + vy*vy
		f := 0.0
		if l2 > 0 {
			f = min(max(-(ax*vx+ay*vy)/l2, 0), 1)
		}
		x, y := ax+f*vx, ay+f*vy
		d := math.Sqrt(x*x + y*y)
		if d < bestD || (d == bestD && j < bestSeg) {
			bestD, bestSeg, bestF = d, j, f
		}
	}
	for _, r := range []float64{min(50, maxD), min(200, maxD), maxD} {
		g.tree.Search([2]float64{p[0] - r/mx, p[1] - r/my}, [2]float64{p[0] + r/mx, p[1] + r/my}, func(_, _ [2]float64, j uint32) bool {
			seg(j)
			return true
		})
		if bestD <= r {
			break
		}
	}
	if bestD > maxD {
		return best
	}
	e := g.edgeOfPoint(bestSeg)
	total := float64(g.cum[g.ptOff[e+1]-1])
	along := float64(g.cum[bestSeg]) + bestF*float64(g.cum[bestSeg+1]-g.cum[bestSeg])
	t := 0.0
	if total > 0 {
		t = along / total
	}
	return Snap{Edge: int32(e), T: float32(t), Walk: float32(bestD)}
}
