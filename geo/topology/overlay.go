package topology

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"fangyuan/geo"
)

// The overlay: a planar arrangement of the rings of the units (layer 0) and
// the parents (layer 1), its faces labelled with the units covering them.

type edgeSrc struct {
	src int32 // global ring index (units' rings, then parents' rings)
	fwd bool  // the ring runs from the edge's u to its v
}

type arrangement struct {
	nodes []orb.Point
	eu    []int32 // edge e runs between nodes eu[e] < ev[e]
	ev    []int32
	srcs  [][]edgeSrc
	out   [][]int32 // outgoing half-edges of each node, counter-clockwise
	pos   []int32   // position of each half-edge in out[origin]
}

func (g *arrangement) origin(h int32) int32 {
	if h&1 == 0 {
		return g.eu[h>>1]
	}
	return g.ev[h>>1]
}

func (g *arrangement) dest(h int32) int32 { return g.origin(h ^ 1) }

// next is the half-edge after h around the face on h's left.
func (g *arrangement) next(h int32) int32 {
	v := g.dest(h)
	l := g.out[v]
	i := g.pos[h^1] - 1
	if i < 0 {
		i += int32(len(l))
	}
	return l[i]
}

// oseg is a segment of one or more rings, a before b (lexicographically);
// fwd of a source: the ring runs from a to b. ia and ib are the ids of a and
// b in the arrangement's point table.
type oseg struct {
	a, b   orb.Point
	ia, ib int32
	srcs   []edgeSrc
}

type splitPt struct {
	t  float64
	id int32 // point id
}

// dedupPoints returns, for each point, the smallest index of a point with the
// same coordinates: equal points share a cell of a uniform grid (a counting
// sort by cell), and are found by comparing the few points of each cell.
func dedupPoints(pts []orb.Point) []int32 {
	n := len(pts)
	canon := make([]int32, n)
	if n == 0 {
		return canon
	}
	b := orb.Bound{Min: pts[0], Max: pts[0]}
	for _, p := range pts[1:] {
		b = b.Extend(p)
	}
	// about two points per cell
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	cells := float64(max1(n / 2))
	var nx, ny int
	var cx, cy float64
	switch {
	case w > 0 && h > 0:
		side := math.Sqrt(w * h / cells)
		nx, ny = int(w/side)+1, int(h/side)+1
	case w > 0:
		nx, ny = int(cells)+1, 1
	case h > 0:
		nx, ny = 1, int(cells)+1
	default:
		nx, ny = 1, 1
	}
	for nx*ny > 4*n+16 { // a very thin extent
		nx, ny = max(1, nx/2), max(1, ny/2)
	}
	if w > 0 {
		cx = float64(nx) / w
	}
	if h > 0 {
		cy = float64(ny) / h
	}
	cellOf := func(p orb.Point) int {
		x := int((p[0] - b.Min[0]) * cx)
		y := int((p[1] - b.Min[1]) * cy)
		x = min(max(x, 0), nx-1)
		y = min(max(y, 0), ny-1)
		return y*nx + x
	}
	start := make([]int32, nx*ny+1)
	cell := make([]int32, n)
	for i, p := range pts {
		c := cellOf(p)
		cell[i] = int32(c)
		start[c+1]++
	}
	for c := 1; c < len(start); c++ {
		start[c] += start[c-1]
	}
	items := make([]int32, n)
	fill := append([]int32(nil), start[:len(start)-1]...)
	for i := range pts {
		c := cell[i]
		items[fill[c]] = int32(i)
		fill[c]++
	}
	for c := 0; c+1 < len(start); c++ {
		in := items[start[c]:start[c+1]] // ascending indices
		for k, i := range in {
			canon[i] = i
			for _, j := range in[:k] {
				if pts[j] == pts[i] {
					canon[i] = canon[j]
					break
				}
			}
		}
	}
	return canon
}

// build nodes the rings into an arrangement. Points are identified by
// integer ids (ring vertices, then crossing points; equal coordinates share
// the smallest id), segments, nodes and edges are found through per-vertex
// and per-node lists, not hash maps; ids are given in order of first
// occurrence, so the arrangement does not depend on anything but the rings.
func buildArrangement(rings [][]orb.Point) *arrangement {
	total := 0
	for _, r := range rings {
		total += len(r)
	}
	// the point table: every ring vertex
	vpts := make([]orb.Point, 0, total)
	for _, r := range rings {
		vpts = append(vpts, r...)
	}
	vcanon := dedupPoints(vpts)

	// Coincident segments of different rings (the shared edges of an exact
	// tiling) become one segment, so that a crossing with them is one node.
	// Segments are listed by their first point (a linked list per vertex).
	segs := make([]oseg, 0, total)
	slab := make([]edgeSrc, 0, total)
	segHead := make([]int32, len(vpts))
	for i := range segHead {
		segHead[i] = -1
	}
	var segNext []int32
	off := int32(0)
	for ri, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			ia, ib := vcanon[off+int32(i)], vcanon[off+int32(i)+1]
			if a == b {
				continue
			}
			fwd := true
			if lessPoint(b, a) {
				a, b, ia, ib, fwd = b, a, ib, ia, false
			}
			src := edgeSrc{int32(ri), fwd}
			found := false
			for s := segHead[ia]; s >= 0; s = segNext[s] {
				if segs[s].ib == ib {
					segs[s].srcs = append(segs[s].srcs, src)
					found = true
					break
				}
			}
			if found {
				continue
			}
			k := len(slab)
			slab = append(slab, src)
			segNext = append(segNext, segHead[ia])
			segHead[ia] = int32(len(segs))
			segs = append(segs, oseg{a, b, ia, ib, slab[k : k+1 : k+1]})
		}
		off += int32(len(r))
	}
	segHead, segNext = nil, nil

	grid := newSegGrid(segs)
	// a hit: point pid (a vertex id, or for a crossing the index of the
	// chunk's crossing point, negated and minus one) splits segment s
	type hit struct {
		s, pid int32
	}
	type chunkHits struct {
		hits  []hit
		cross []orb.Point
	}
	chunks := parallelChunks(len(segs), func(lo, hi int) chunkHits {
		var out chunkHits
		add := func(s int32, pid int32) { out.hits = append(out.hits, hit{s, pid}) }
		for i := lo; i < hi; i++ {
			si := segs[i]
			a, b := si.a, si.b
			grid.pairs(i, func(j int32) bool {
				sj := &segs[j]
				c, d := sj.a, sj.b
				o1, o2 := orient(a, b, c), orient(a, b, d)
				if o1 == o2 && o1 != 0 {
					return true
				}
				o3, o4 := orient(c, d, a), orient(c, d, b)
				if o3 == o4 && o3 != 0 {
					return true
				}
				if o1 == 0 && o2 == 0 { // collinear
					if between(a, b, c) {
						add(int32(i), sj.ia)
					}
					if between(a, b, d) {
						add(int32(i), sj.ib)
					}
					if between(c, d, a) {
						add(j, si.ia)
					}
					if between(c, d, b) {
						add(j, si.ib)
					}
					return true
				}
				if o1 == 0 || o2 == 0 || o3 == 0 || o4 == 0 {
					if o1 == 0 && between(a, b, c) {
						add(int32(i), sj.ia)
					}
					if o2 == 0 && between(a, b, d) {
						add(int32(i), sj.ib)
					}
					if o3 == 0 && between(c, d, a) {
						add(j, si.ia)
					}
					if o4 == 0 && between(c, d, b) {
						add(j, si.ib)
					}
					return true
				}
				var p orb.Point
				if lessPoint(a, c) { // the same two segments always give the same point
					p = crossPoint(a, b, c, d)
				} else {
					p = crossPoint(c, d, a, b)
				}
				pid := -int32(len(out.cross)) - 1
				out.cross = append(out.cross, p)
				add(int32(i), pid)
				add(j, pid)
				return true
			})
		}
		return out
	})
	// the point table: vertices, then the crossings of each chunk
	pts := vpts
	nh := 0
	for _, ch := range chunks {
		nh += len(ch.hits)
	}
	hits := make([]hit, 0, nh)
	for _, ch := range chunks {
		base := int32(len(pts))
		pts = append(pts, ch.cross...)
		for _, h := range ch.hits {
			if h.pid < 0 {
				h.pid = base - h.pid - 1
			}
			hits = append(hits, h)
		}
	}
	canon := vcanon
	if len(pts) > len(vpts) {
		canon = dedupPoints(pts)
	}
	// the splits of each segment, in CSR
	spStart := make([]int32, len(segs)+1)
	for _, h := range hits {
		spStart[h.s+1]++
	}
	for s := 1; s < len(spStart); s++ {
		spStart[s] += spStart[s-1]
	}
	splits := make([]splitPt, len(hits))
	fill := append([]int32(nil), spStart[:len(segs)]...)
	for _, h := range hits {
		sg := &segs[h.s]
		splits[fill[h.s]] = splitPt{param(sg.a, sg.b, pts[h.pid]), canon[h.pid]}
		fill[h.s]++
	}
	hits, fill = nil, nil

	g := &arrangement{nodes: make([]orb.Point, 0, len(segs)+len(segs)/4)}
	nodeOf := make([]int32, len(pts)) // by canonical point id: node + 1
	node := func(id int32) int32 {
		if n := nodeOf[id]; n > 0 {
			return n - 1
		}
		n := int32(len(g.nodes))
		nodeOf[id] = n + 1
		g.nodes = append(g.nodes, pts[id])
		return n
	}
	// edges are listed by their smaller node (a linked list per node)
	var edgeHead, edgeNext []int32
	g.eu = make([]int32, 0, len(segs)+len(segs)/4)
	g.ev = make([]int32, 0, cap(g.eu))
	g.srcs = make([][]edgeSrc, 0, cap(g.eu))
	eslab := make([]edgeSrc, 0, len(slab)+len(slab)/4)
	var ids []int32
	for s := range segs {
		sg := &segs[s]
		sp := splits[spStart[s]:spStart[s+1]]
		sortSplits(sp)
		ids = append(ids[:0], sg.ia)
		for _, q := range sp {
			if q.id != ids[len(ids)-1] && q.id != sg.ib {
				ids = append(ids, q.id)
			}
		}
		ids = append(ids, sg.ib)
		next := node(ids[0])
		for k := 0; k+1 < len(ids); k++ {
			u, v := next, node(ids[k+1])
			next = v
			if u == v {
				continue
			}
			fwd := true // the edge runs a→b
			if u > v {
				u, v, fwd = v, u, false
			}
			for int(u) >= len(edgeHead) {
				edgeHead = append(edgeHead, -1)
			}
			e := int32(-1)
			for x := edgeHead[u]; x >= 0; x = edgeNext[x] {
				if g.ev[x] == v {
					e = x
					break
				}
			}
			if e < 0 {
				e = int32(len(g.eu))
				edgeNext = append(edgeNext, edgeHead[u])
				edgeHead[u] = e
				g.eu = append(g.eu, u)
				g.ev = append(g.ev, v)
				k := len(eslab)
				for _, s := range sg.srcs {
					eslab = append(eslab, edgeSrc{s.src, s.fwd == fwd})
				}
				g.srcs = append(g.srcs, eslab[k:len(eslab):len(eslab)])
				continue
			}
			for _, s := range sg.srcs {
				g.srcs[e] = append(g.srcs[e], edgeSrc{s.src, s.fwd == fwd})
			}
		}
	}
	// rotation system, in CSR
	deg := make([]int32, len(g.nodes)+1)
	for e := range g.eu {
		deg[g.eu[e]+1]++
		deg[g.ev[e]+1]++
	}
	for n := 1; n < len(deg); n++ {
		deg[n] += deg[n-1]
	}
	flat := make([]int32, 2*len(g.eu))
	g.out = make([][]int32, len(g.nodes))
	for n := range g.out {
		g.out[n] = flat[deg[n]:deg[n]:deg[n+1]]
	}
	for e := range g.eu {
		g.out[g.eu[e]] = append(g.out[g.eu[e]], int32(2*e))
		g.out[g.ev[e]] = append(g.out[g.ev[e]], int32(2*e+1))
	}
	g.pos = make([]int32, 2*len(g.eu))
	var ang []float64
	for n, l := range g.out {
		o := g.nodes[n]
		ang = ang[:0]
		for _, h := range l {
			d := g.nodes[g.dest(h)]
			ang = append(ang, math.Atan2(d[1]-o[1], d[0]-o[0]))
		}
		if len(l) <= 12 {
			// insertion sort: (angle, half-edge) is a total order, so any
			// correct sort gives the same rotation
			for i := 1; i < len(l); i++ {
				for j := i; j > 0 && (ang[j] < ang[j-1] || ang[j] == ang[j-1] && l[j] < l[j-1]); j-- {
					ang[j], ang[j-1] = ang[j-1], ang[j]
					l[j], l[j-1] = l[j-1], l[j]
				}
			}
		} else {
			sort.Sort(byAngle{l, ang})
		}
		for i, h := range l {
			g.pos[h] = int32(i)
		}
	}
	return g
}

// sortSplits orders the splits of a segment along it, as sort.Slice by t
// does (insertion sort for short slices, which is what sort.Slice runs
// on them, so ties keep the same order).
func sortSplits(sp []splitPt) {
	if len(sp) > 12 {
		sort.Slice(sp, func(i, j int) bool { return sp[i].t < sp[j].t })
		return
	}
	for i := 1; i < len(sp); i++ {
		for j := i; j > 0 && sp[j].t < sp[j-1].t; j-- {
			sp[j], sp[j-1] = sp[j-1], sp[j]
		}
	}
}

type byAngle struct {
	h   []int32
	ang []float64
}

func (s byAngle) Len() int { return len(s.h) }
func (s byAngle) Less(i, j int) bool {
	if s.ang[i] != s.ang[j] {
		return s.ang[i] < s.ang[j]
	}
	return s.h[i] < s.h[j]
}
func (s byAngle) Swap(i, j int) {
	s.h[i], s.h[j] = s.h[j], s.h[i]
	s.ang[i], s.ang[j] = s.ang[j], s.ang[i]
}

// layerUnit is a unit of one layer: 0 units, 1 parents.
type layerUnit struct {
	layer int
	unit  int
}

// overlay computes the findings of units (and of units against parents, when
// parents is not nil).
func overlay(units, parents *prepared, opt Options) []Finding {
	var rings [][]orb.Point
	var ringUnit []layerUnit
	for _, r := range units.rings {
		rings = append(rings, r.pts)
		ringUnit = append(ringUnit, layerUnit{0, r.unit})
	}
	nlayers := 1
	if parents != nil {
		nlayers = 2
		for _, r := range parents.rings {
			rings = append(rings, r.pts)
			ringUnit = append(ringUnit, layerUnit{1, r.unit})
		}
	}
	if len(rings) == 0 {
		return nil
	}
	g := buildArrangement(rings)
	nh := int32(2 * len(g.eu))

	// cycles
	cycleOf := make([]int32, nh)
	for i := range cycleOf {
		cycleOf[i] = -1
	}
	var cycStart []int32
	var cycArea []float64
	for h := int32(0); h < nh; h++ {
		if cycleOf[h] >= 0 {
			continue
		}
		c := int32(len(cycStart))
		o := g.nodes[g.origin(h)]
		var a float64
		for x := h; cycleOf[x] < 0; x = g.next(x) {
			cycleOf[x] = c
			p, q := g.nodes[g.origin(x)], g.nodes[g.dest(x)]
			a += (p[0]-o[0])*(q[1]-o[1]) - (q[0]-o[0])*(p[1]-o[1])
		}
		cycStart = append(cycStart, h)
		cycArea = append(cycArea, a/2)
	}
	ncyc := len(cycStart)
	cycleHalfEdges := func(c int32, fn func(h int32)) {
		h0 := cycStart[c]
		for x := h0; ; {
			fn(x)
			if x = g.next(x); x == h0 {
				break
			}
		}
	}
	cycleRing := func(c int32) orb.Ring {
		var r orb.Ring
		cycleHalfEdges(c, func(h int32) { r = append(r, g.nodes[g.origin(h)]) })
		return append(r, r[0])
	}

	// connected components; the outer cycle of each is its most negative
	comp := newUF(len(g.nodes))
	for e := range g.eu {
		comp.union(int(g.eu[e]), int(g.ev[e]))
	}
	outerSlot := make([]int32, len(g.nodes)) // by component root: its outer cycle + 1
	for c := 0; c < ncyc; c++ {
		k := comp.find(int(g.origin(cycStart[c])))
		if o := outerSlot[k] - 1; o < 0 || cycArea[c] < cycArea[o] {
			outerSlot[k] = int32(c) + 1
		}
	}
	outerOf := map[int]int32{} // few: one per component
	for k, o := range outerSlot {
		if o > 0 {
			outerOf[k] = o - 1
		}
	}
	isOuter := make([]bool, ncyc)
	for _, c := range outerOf {
		isOuter[c] = true
	}
	isFace := func(c int32) bool { return !isOuter[c] && cycArea[c] > 0 }

	// enclosing face of each component's outer cycle (-1: the unbounded face)
	enclosing := make([]int32, ncyc)
	for i := range enclosing {
		enclosing[i] = -1
	}
	holes := make([][]int32, ncyc)
	if len(outerOf) > 1 {
		var ft rtree.RTreeG[int32]
		bounds := make([]orb.Bound, ncyc)
		for c := int32(0); c < int32(ncyc); c++ {
			if isFace(c) {
				b := orb.MultiPoint(cycleRing(c)).Bound()
				bounds[c] = b
				ft.Insert(b.Min, b.Max, c)
			}
		}
		keys := make([]int, 0, len(outerOf))
		for k := range outerOf {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			oc := outerOf[k]
			q := g.nodes[g.origin(cycStart[oc])]
			best, bestA := int32(-1), math.Inf(1)
			ft.Search(q, q, func(_, _ [2]float64, f int32) bool {
				if comp.find(int(g.origin(cycStart[f]))) == k || cycArea[f] >= bestA {
					return true
				}
				if pointInRings(q, [][]orb.Point{cycleRing(f)}) {
					best, bestA = f, cycArea[f]
				}
				return true
			})
			enclosing[oc] = best
			if best >= 0 {
				holes[best] = append(holes[best], oc)
			}
		}
	}
	// the face across h: the face of its twin, or for a twin on a
	// component's outer cycle the face that encloses the component
	across := func(h int32) int32 {
		c := cycleOf[h^1]
		if isOuter[c] {
			return enclosing[c]
		}
		if !isFace(c) {
			return -2 // a degenerate cycle
		}
		return c
	}

	// unit indexes for point-in-polygon tests
	layers := []*prepared{units, parents}
	unitRings := make([][][][]orb.Point, nlayers)
	var ut rtree.RTreeG[layerUnit]
	for l := 0; l < nlayers; l++ {
		p := layers[l]
		unitRings[l] = make([][][]orb.Point, len(p.units))
		for _, r := range p.rings {
			unitRings[l][r.unit] = append(unitRings[l][r.unit], r.pts)
		}
		for u, rs := range unitRings[l] {
			if len(rs) == 0 {
				continue
			}
			var b orb.Bound
			for i, r := range rs {
				rb := orb.MultiPoint(r).Bound()
				if i == 0 {
					b = rb
				} else {
					b = b.Union(rb)
				}
			}
			ut.Insert(b.Min, b.Max, layerUnit{l, u})
		}
	}

	// labels of the faces
	type label struct{ in [2][]int }
	labels := make([]label, ncyc)
	var faces []int32
	for c := int32(0); c < int32(ncyc); c++ {
		if isFace(c) {
			faces = append(faces, c)
		}
	}
	// Labels spread from the outside across the arrangement: crossing an
	// edge toggles the units whose rings run along it (even-odd, so a unit
	// whose two parts share an edge stays on). Faces the spread cannot reach
	// (next to degenerate cycles) get point-in-polygon tests below.
	done := make([]bool, ncyc)
	toggle := func(l label, h int32) label {
		var out label
		out.in[0] = append([]int(nil), l.in[0]...)
		out.in[1] = append([]int(nil), l.in[1]...)
		for _, s := range g.srcs[h>>1] {
			lu := ringUnit[s.src]
			x := out.in[lu.layer]
			if i, ok := slices.BinarySearch(x, lu.unit); ok {
				x = slices.Delete(x, i, i+1)
			} else {
				x = slices.Insert(x, i, lu.unit)
			}
			out.in[lu.layer] = x
		}
		return out
	}
	var queue []int32
	seed := func(outer int32, base label) {
		cycleHalfEdges(outer, func(h int32) {
			if y := cycleOf[h^1]; isFace(y) && !done[y] {
				labels[y], done[y] = toggle(base, h), true
				queue = append(queue, y)
			}
		})
	}
	outers := make([]int32, 0, len(outerOf))
	for _, c := range outerOf {
		outers = append(outers, c)
	}
	slices.Sort(outers)
	for _, oc := range outers {
		if enclosing[oc] == -1 {
			seed(oc, label{})
		}
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		cycleHalfEdges(f, func(h int32) {
			if y := cycleOf[h^1]; isFace(y) && !done[y] {
				labels[y], done[y] = toggle(labels[f], h), true
				queue = append(queue, y)
			}
		})
		for _, oc := range holes[f] {
			seed(oc, labels[f])
		}
	}
	var unreached []int32
	for _, c := range faces {
		if !done[c] {
			unreached = append(unreached, c)
		}
	}
	parallelChunks(len(unreached), func(lo, hi int) struct{} {
		for _, c := range unreached[lo:hi] {
			var inside, outside []layerUnit
			var sample orb.Point
			var b orb.Bound
			first := true
			cycleHalfEdges(c, func(h int32) {
				p, q := g.nodes[g.origin(h)], g.nodes[g.dest(h)]
				if first {
					sample = orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
					b = orb.Bound{Min: p, Max: p}
					first = false
				}
				b = b.Extend(q)
				dirFwd := h&1 == 0
				for _, s := range g.srcs[h>>1] {
					lu := ringUnit[s.src]
					if s.fwd == dirFwd {
						inside = appendLU(inside, lu)
					} else {
						outside = appendLU(outside, lu)
					}
				}
			})
			var lab label
			for _, lu := range inside {
				lab.in[lu.layer] = append(lab.in[lu.layer], lu.unit)
			}
			ut.Search(b.Min, b.Max, func(min, max [2]float64, lu layerUnit) bool {
				if min[0] > b.Min[0] || min[1] > b.Min[1] || max[0] < b.Max[0] || max[1] < b.Max[1] {
					return true // the unit cannot contain the face
				}
				if hasLU(inside, lu) || hasLU(outside, lu) {
					return true
				}
				if pointInRings(sample, unitRings[lu.layer][lu.unit]) {
					lab.in[lu.layer] = append(lab.in[lu.layer], lu.unit)
				}
				return true
			})
			sort.Ints(lab.in[0])
			sort.Ints(lab.in[1])
			labels[c] = lab
		}
		return struct{}{}
	})

	// parent of each unit
	parentOf := make([]int, len(units.units))
	if parents != nil {
		byCode := map[string]int{}
		for i, u := range parents.units {
			byCode[u.Code] = i
		}
		for i, u := range units.units {
			parentOf[i] = -1
			if u.Parent != "" {
				if p, ok := byCode[u.Parent]; ok {
					parentOf[i] = p
				}
				continue
			}
			best := 0
			for j, pu := range parents.units {
				if len(pu.Code) > best && len(pu.Code) < len(u.Code) && strings.HasPrefix(u.Code, pu.Code) {
					parentOf[i], best = j, len(pu.Code)
				}
			}
		}
	}

	// void faces (no unit) joined into regions; a region that reaches the
	// unbounded face is outside the units' union, any other is a gap
	voidUF := newUF(ncyc)
	exterior := make([]bool, ncyc)
	for _, f := range faces {
		if len(labels[f].in[0]) > 0 {
			continue
		}
		cycleHalfEdges(f, func(h int32) {
			g2 := across(h)
			if g2 == -1 {
				exterior[f] = true
			} else if g2 >= 0 && len(labels[g2].in[0]) == 0 {
				voidUF.union(int(f), int(g2))
			}
		})
	}
	for _, f := range faces {
		if exterior[f] {
			exterior[voidUF.find(int(f))] = true
		}
	}

	// finding keys of each face
	uCode := func(i int) string { return units.units[i].Code }
	pCode := func(i int) string { return parents.units[i].Code }
	keyID := map[string]int{}
	var keyNames []string
	kid := func(k string) int {
		if id, ok := keyID[k]; ok {
			return id
		}
		keyID[k] = len(keyNames)
		keyNames = append(keyNames, k)
		return len(keyNames) - 1
	}
	faceKeys := make([][]int, ncyc)
	for _, f := range faces {
		lab := labels[f]
		var ks []int
		in0 := lab.in[0]
		switch {
		case len(in0) >= 2:
			codes := make([]string, len(in0))
			for i, u := range in0 {
				codes[i] = uCode(u)
			}
			ks = append(ks, kid(KindOverlap+"|"+strings.Join(sortedCodes(codes), ",")))
		case len(in0) == 0:
			if r := voidUF.find(int(f)); !exterior[r] {
				ks = append(ks, kid(KindGap+"|#"+itoa(r)))
			} else if parents != nil {
				for _, p := range lab.in[1] {
					ks = append(ks, kid(KindUncovered+"|"+pCode(p)))
				}
			}
		}
		if parents != nil {
			for _, c := range in0 {
				pc := parentOf[c]
				switch {
				case pc >= 0 && !containsInt(lab.in[1], pc):
					ks = append(ks, kid(KindOutsideParent+"|"+uCode(c)+","+pCode(pc)))
				case pc < 0 && len(lab.in[1]) == 0:
					ks = append(ks, kid(KindOutsideParent+"|"+uCode(c)))
				}
			}
			if len(in0) > 0 {
				for _, p := range lab.in[1] {
					covered := false
					for _, c := range in0 {
						if parentOf[c] == p || parentOf[c] < 0 {
							covered = true
						}
					}
					if !covered {
						ks = append(ks, kid(KindUncovered+"|"+pCode(p)))
					}
				}
			}
		}
		faceKeys[f] = ks
	}

	// merge adjacent faces with the same key
	type fk struct {
		f int32
		k int
	}
	// (face, key) pairs are numbered face by face: fkBase[f] + the key's
	// position in faceKeys[f]
	fkBase := make([]int32, ncyc)
	var fks []fk
	for _, f := range faces {
		fkBase[f] = int32(len(fks))
		for _, k := range faceKeys[f] {
			fks = append(fks, fk{f, k})
		}
	}
	fkID := func(f int32, k int) (int, bool) {
		for i, x := range faceKeys[f] {
			if x == k {
				return int(fkBase[f]) + i, true
			}
		}
		return 0, false
	}
	merge := newUF(len(fks))
	for _, f := range faces {
		if len(faceKeys[f]) == 0 {
			continue
		}
		cycleHalfEdges(f, func(h int32) {
			g2 := across(h)
			if g2 < 0 || g2 == f || len(faceKeys[g2]) == 0 {
				return
			}
			for i, k := range faceKeys[f] {
				if j, ok := fkID(g2, k); ok {
					merge.union(int(fkBase[f])+i, j)
				}
			}
		})
	}
	groups := map[int][]int32{}
	var roots []int
	for i, x := range fks {
		r := merge.find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], x.f)
	}

	facePolygon := func(f int32) orb.Polygon {
		poly := orb.Polygon{cycleRing(f)}
		for _, hc := range holes[f] {
			poly = append(poly, cycleRing(hc))
		}
		return poly
	}
	// a cheap planar area first: most groups are the tiny crossings of
	// near-coincident edges, below every threshold
	minKeep := math.Inf(-1)
	if opt.MinAreaM2 >= 0 && opt.MinSliverM2 >= 0 {
		minKeep = math.Min(opt.MinAreaM2, opt.MinSliverM2)
	}
	kx, ky := geo.MetresPerDegree(units.bound.Center()[1])
	mark := make([]int32, ncyc)
	for i := range mark {
		mark[i] = -1
	}
	var findings []Finding
	for gi, r := range roots {
		fs := groups[r]
		var approx float64
		for _, f := range fs {
			approx += cycArea[f]
			for _, hc := range holes[f] {
				approx += cycArea[hc] // negative
			}
		}
		if approx*kx*ky < 0.5*minKeep {
			continue
		}
		key := keyNames[fks[r].k]
		kind, rest, _ := strings.Cut(key, "|")
		for _, f := range fs {
			mark[f] = int32(gi)
		}
		in := func(c int32) bool { return c >= 0 && mark[c] == int32(gi) }
		var area, perim float64
		var boundary []int32
		neighbours := map[string]bool{}
		for _, f := range fs {
			area += geo.Area(facePolygon(f))
		}
		if opt.MinAreaM2 >= 0 && opt.MinSliverM2 >= 0 && area < minKeep {
			continue
		}
		for _, f := range fs {
			cycleHalfEdges(f, func(h int32) {
				if in(across(h)) {
					return
				}
				boundary = append(boundary, h)
				perim += geo.Distance(g.nodes[g.origin(h)], g.nodes[g.dest(h)])
				for _, s := range g.srcs[h>>1] {
					if lu := ringUnit[s.src]; lu.layer == 0 {
						neighbours[uCode(lu.unit)] = true
					}
				}
			})
			for _, hc := range holes[f] {
				cycleHalfEdges(hc, func(h int32) {
					perim += geo.Distance(g.nodes[g.origin(h)], g.nodes[g.dest(h)])
				})
			}
		}
		var codes []string
		if kind == KindGap {
			for c := range neighbours {
				codes = append(codes, c)
			}
			codes = sortedCodes(codes)
		} else {
			codes = strings.Split(rest, ",")
		}
		fd := Finding{Kind: kind, Codes: codes, AreaM2: area}
		if perim > 0 {
			fd.WidthM = 2 * area / perim
		}
		if fd.WidthM < opt.ToleranceM {
			fd.Kind, fd.Of = KindSliver, kind
			if opt.MinSliverM2 >= 0 && area < opt.MinSliverM2 {
				continue
			}
		}
		if opt.MinAreaM2 >= 0 && area < opt.MinAreaM2 {
			continue
		}
		if len(fs) == 1 {
			fd.Geom = facePolygon(fs[0])
		} else {
			fd.Geom = dissolve(g, boundary, func(h int32) bool { return !in(across(h)) && in(cycleOf[h]) }, fs, holes, cycleRing)
		}
		findings = append(findings, fd)
	}
	sortFindings(findings)
	return findings
}

// dissolve traces the outline of a group of faces from its boundary
// half-edges and returns it as a Polygon or MultiPolygon.
func dissolve(g *arrangement, boundary []int32, isBoundary func(int32) bool, faces []int32, holes [][]int32, cycleRing func(int32) orb.Ring) orb.Geometry {
	seen := map[int32]bool{}
	var outers, inners []orb.Ring
	for _, h0 := range boundary {
		if seen[h0] {
			continue
		}
		var r orb.Ring
		h := h0
		for steps := 0; !seen[h] && steps < len(boundary)+1; steps++ {
			seen[h] = true
			r = append(r, g.nodes[g.origin(h)])
			v := g.dest(h)
			l := g.out[v]
			i := int(g.pos[h^1])
			next := int32(-1)
			for k := 1; k <= len(l); k++ {
				c := l[((i-k)%len(l)+len(l))%len(l)]
				if isBoundary(c) {
					next = c
					break
				}
			}
			if next < 0 {
				break
			}
			h = next
		}
		if len(r) < 3 {
			continue
		}
		r = append(r, r[0])
		if signedArea(r) > 0 {
			outers = append(outers, r)
		} else {
			inners = append(inners, r)
		}
	}
	for _, f := range faces {
		for _, hc := range holes[f] {
			inners = append(inners, cycleRing(hc))
		}
	}
	sort.Slice(outers, func(i, j int) bool { return signedArea(outers[i]) > signedArea(outers[j]) })
	polys := make([]orb.Polygon, len(outers))
	for i, o := range outers {
		polys[i] = orb.Polygon{o}
	}
	for _, h := range inners {
		q := orb.Point{(h[0][0] + h[1][0]) / 2, (h[0][1] + h[1][1]) / 2}
		best, bestA := -1, math.Inf(1)
		for i, o := range outers {
			if a := signedArea(o); a < bestA && pointInRings(q, [][]orb.Point{o}) {
				best, bestA = i, a
			}
		}
		if best >= 0 {
			polys[best] = append(polys[best], h)
		}
	}
	if len(polys) == 1 {
		return polys[0]
	}
	return orb.MultiPolygon(polys)
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if ca, cb := strings.Join(a.Codes, ","), strings.Join(b.Codes, ","); ca != cb {
			return ca < cb
		}
		if a.AreaM2 != b.AreaM2 {
			return a.AreaM2 > b.AreaM2
		}
		pa, pb := firstPoint(a.Geom), firstPoint(b.Geom)
		return lessPoint(pa, pb)
	})
}

func firstPoint(g orb.Geometry) orb.Point {
	switch g := g.(type) {
	case orb.Polygon:
		return g[0][0]
	case orb.MultiPolygon:
		return g[0][0][0]
	}
	return orb.Point{}
}

func appendLU(s []layerUnit, v layerUnit) []layerUnit {
	if hasLU(s, v) {
		return s
	}
	return append(s, v)
}

func hasLU(s []layerUnit, v layerUnit) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

type uf struct{ p []int }

func newUF(n int) *uf {
	u := &uf{make([]int, n)}
	for i := range u.p {
		u.p[i] = i
	}
	return u
}

func (u *uf) find(x int) int {
	for u.p[x] != x {
		u.p[x] = u.p[u.p[x]]
		x = u.p[x]
	}
	return x
}

func (u *uf) union(a, b int) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if a < b {
		u.p[b] = a
	} else {
		u.p[a] = b
	}
}

// parallelChunks splits [0, n) into one contiguous chunk per CPU, runs fn on
// each concurrently and returns the results in chunk order (so the output
// does not depend on scheduling).
func parallelChunks[T any](n int, fn func(lo, hi int) T) []T {
	w := runtime.GOMAXPROCS(0)
	if n < 1024 || w < 2 {
		return []T{fn(0, n)}
	}
	out := make([]T, w)
	size := (n + w - 1) / w
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := k*size, min(n, (k+1)*size)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(k, lo, hi int) {
			defer wg.Done()
			out[k] = fn(lo, hi)
		}(k, lo, hi)
	}
	wg.Wait()
	return out
}

// segGrid is a uniform grid over the segments' bounding boxes, for finding
// every pair of segments whose boxes meet once (the noding of the overlay:
// a grid of cells twice the mean segment extent beats an R-tree on the
// evenly spread segments of division boundaries).
type segGrid struct {
	min    [2]float64
	cell   float64
	nx, ny int
	start  []int32 // CSR: the segments of cell c are items[start[c]:start[c+1]]
	items  []int32
	lo, hi [][2]int32 // cell range of each segment
	boxMin [][2]float64
	boxMax [][2]float64
}

func newSegGrid(segs []oseg) *segGrid {
	boxMin := make([][2]float64, len(segs))
	boxMax := make([][2]float64, len(segs))
	for i, sg := range segs {
		boxMin[i] = [2]float64{math.Min(sg.a[0], sg.b[0]), math.Min(sg.a[1], sg.b[1])}
		boxMax[i] = [2]float64{math.Max(sg.a[0], sg.b[0]), math.Max(sg.a[1], sg.b[1])}
	}
	return newBoxGrid(boxMin, boxMax)
}

// newBoxGrid indexes boxes (boxMin[i], boxMax[i]).
func newBoxGrid(boxMin, boxMax [][2]float64) *segGrid {
	g := &segGrid{boxMin: boxMin, boxMax: boxMax}
	n := len(boxMin)
	var ext float64
	for i := 0; i < n; i++ {
		ext += math.Max(g.boxMax[i][0]-g.boxMin[i][0], g.boxMax[i][1]-g.boxMin[i][1])
		if i == 0 {
			g.min = g.boxMin[0]
		}
		g.min = [2]float64{math.Min(g.min[0], g.boxMin[i][0]), math.Min(g.min[1], g.boxMin[i][1])}
	}
	var max [2]float64
	for i := 0; i < n; i++ {
		max = [2]float64{math.Max(max[0], g.boxMax[i][0]-g.min[0]), math.Max(max[1], g.boxMax[i][1]-g.min[1])}
	}
	g.cell = 2 * ext / float64(max1(n))
	if !(g.cell > 0) {
		g.cell = 1
	}
	for {
		g.nx, g.ny = int(max[0]/g.cell)+1, int(max[1]/g.cell)+1
		if g.nx*g.ny <= 4*n+16 {
			break
		}
		g.cell *= 2
	}
	g.lo = make([][2]int32, n)
	g.hi = make([][2]int32, n)
	count := make([]int32, g.nx*g.ny+1)
	for i := 0; i < n; i++ {
		g.lo[i] = g.cellOf(g.boxMin[i])
		g.hi[i] = g.cellOf(g.boxMax[i])
		for y := g.lo[i][1]; y <= g.hi[i][1]; y++ {
			for x := g.lo[i][0]; x <= g.hi[i][0]; x++ {
				count[int(y)*g.nx+int(x)+1]++
			}
		}
	}
	for c := 1; c < len(count); c++ {
		count[c] += count[c-1]
	}
	g.start = count
	g.items = make([]int32, count[len(count)-1])
	fill := append([]int32(nil), count[:len(count)-1]...)
	for i := 0; i < n; i++ {
		for y := g.lo[i][1]; y <= g.hi[i][1]; y++ {
			for x := g.lo[i][0]; x <= g.hi[i][0]; x++ {
				c := int(y)*g.nx + int(x)
				g.items[fill[c]] = int32(i)
				fill[c]++
			}
		}
	}
	return g
}

// cellOf is the cell of point p, clamped to the grid.
func (g *segGrid) cellOf(p [2]float64) [2]int32 {
	idx := func(x float64, n int) int32 {
		return int32(math.Max(0, math.Min(float64(n-1), math.Floor(x/g.cell))))
	}
	return [2]int32{idx(p[0]-g.min[0], g.nx), idx(p[1]-g.min[1], g.ny)}
}

// search calls fn for every box that meets the box (qmin, qmax), once each.
func (g *segGrid) search(qmin, qmax [2]float64, fn func(j int32)) {
	if len(g.boxMin) == 0 {
		return
	}
	lo, hi := g.cellOf(qmin), g.cellOf(qmax)
	for y := lo[1]; y <= hi[1]; y++ {
		for x := lo[0]; x <= hi[0]; x++ {
			c := int(y)*g.nx + int(x)
			for _, j := range g.items[g.start[c]:g.start[c+1]] {
				bmin, bmax := g.boxMin[j], g.boxMax[j]
				if bmin[0] > qmax[0] || bmax[0] < qmin[0] || bmin[1] > qmax[1] || bmax[1] < qmin[1] {
					continue
				}
				if l := g.lo[j]; max32(l[0], lo[0]) != x || max32(l[1], lo[1]) != y {
					continue // met in an earlier cell
				}
				fn(j)
			}
		}
	}
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// pairs calls fn for every segment j > i whose box meets segment i's, once
// each: in the first cell the two share.
func (g *segGrid) pairs(i int, fn func(j int32) bool) {
	lo, hi := g.lo[i], g.hi[i]
	amin, amax := g.boxMin[i], g.boxMax[i]
	for y := lo[1]; y <= hi[1]; y++ {
		for x := lo[0]; x <= hi[0]; x++ {
			c := int(y)*g.nx + int(x)
			for _, j := range g.items[g.start[c]:g.start[c+1]] {
				if int(j) <= i {
					continue
				}
				bmin, bmax := g.boxMin[j], g.boxMax[j]
				if bmin[0] > amax[0] || bmax[0] < amin[0] || bmin[1] > amax[1] || bmax[1] < amin[1] {
					continue
				}
				if l := g.lo[j]; max32(l[0], lo[0]) != x || max32(l[1], lo[1]) != y {
					continue // met in an earlier cell
				}
				if !fn(j) {
					return
				}
			}
		}
	}
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}
