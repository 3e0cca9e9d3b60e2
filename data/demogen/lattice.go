package main

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
)

// The county is built on a jittered quad lattice. Vertex coordinates are
// integers in microdegrees, so shared edges have bit-identical vertices and
// the geometry does not depend on floating-point rounding; they become
// float64 (µ/1e6) only when written out.
const (
	latticeLon0 = 119_550_000 // west edge, µ°
	latticeLat0 = 27_950_000  // south edge, µ°
	cellX       = 5000        // quad width, µ° lon (≈ 0.49 km)
	cellY       = 4500        // quad height, µ° lat (≈ 0.50 km)
	latticeNX   = 140         // quads west→east (to 120.25°E)
	latticeNY   = 134         // quads south→north (to 28.553°N)
	jitterX     = 1000        // max vertex jitter, µ° (0.2 of a quad)
	jitterY     = 900
)

type lattice struct {
	nx, ny int
	vx, vy []int64 // (nx+1)*(ny+1) vertices, row-major from the south-west
}

func newLattice(rng *rand.Rand) *lattice {
	l := &lattice{nx: latticeNX, ny: latticeNY}
	n := (l.nx + 1) * (l.ny + 1)
	l.vx, l.vy = make([]int64, n), make([]int64, n)
	for j := 0; j <= l.ny; j++ {
		for i := 0; i <= l.nx; i++ {
			x := int64(latticeLon0 + i*cellX)
			y := int64(latticeLat0 + j*cellY)
			if i > 0 && i < l.nx && j > 0 && j < l.ny {
				x += rng.Int64N(2*jitterX+1) - jitterX
				y += rng.Int64N(2*jitterY+1) - jitterY
			}
			k := j*(l.nx+1) + i
			l.vx[k], l.vy[k] = x, y
		}
	}
	return l
}

func (l *lattice) nq() int              { return l.nx * l.ny }
func (l *lattice) qi(i, j int) int      { return j*l.nx + i }
func (l *lattice) qij(q int) (int, int) { return q % l.nx, q / l.nx }
func (l *lattice) vid(i, j int) int     { return j*(l.nx+1) + i }

// vpt returns lattice vertex k as a float lon/lat point.
func (l *lattice) vpt(k int) pt {
	return pt{float64(l.vx[k]) / 1e6, float64(l.vy[k]) / 1e6}
}

// corners returns the vertex ids of quad q counter-clockwise from south-west.
func (l *lattice) corners(q int) [4]int {
	i, j := l.qij(q)
	return [4]int{l.vid(i, j), l.vid(i+1, j), l.vid(i+1, j+1), l.vid(i, j+1)}
}

// centroid is the vertex average of quad q (inside it: the quads are convex).
func (l *lattice) centroid(q int) pt {
	var sx, sy int64
	for _, k := range l.corners(q) {
		sx += l.vx[k]
		sy += l.vy[k]
	}
	return pt{float64(sx) / 4e6, float64(sy) / 4e6}
}

func (l *lattice) quadRing(q int) []pt {
	c := l.corners(q)
	return []pt{l.vpt(c[0]), l.vpt(c[1]), l.vpt(c[2]), l.vpt(c[3]), l.vpt(c[0])}
}

// quadAt returns the quad containing p, or -1 outside the lattice.
func (l *lattice) quadAt(p pt) int {
	i0 := int(math.Floor((p[0]*1e6 - latticeLon0) / cellX))
	j0 := int(math.Floor((p[1]*1e6 - latticeLat0) / cellY))
	best, bestD := -1, math.Inf(1)
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			i, j := i0+di, j0+dj
			if i < 0 || j < 0 || i >= l.nx || j >= l.ny {
				continue
			}
			q := l.qi(i, j)
			if inRing(p, l.quadRing(q)) {
				return q
			}
			c := l.centroid(q)
			if d := (c[0]-p[0])*(c[0]-p[0]) + (c[1]-p[1])*(c[1]-p[1]); d < bestD {
				best, bestD = q, d
			}
		}
	}
	return best // on a shared edge: the nearest centroid decides
}

// neighbors4 returns the edge-adjacent quads of q (up to 4).
func (l *lattice) neighbors4(q int, out []int) []int {
	i, j := l.qij(q)
	out = out[:0]
	if i > 0 {
		out = append(out, q-1)
	}
	if i+1 < l.nx {
		out = append(out, q+1)
	}
	if j > 0 {
		out = append(out, q-l.nx)
	}
	if j+1 < l.ny {
		out = append(out, q+l.nx)
	}
	return out
}

// ---- multi-source region growing ----

type pqItem struct {
	cost  float64
	q     int
	owner int
}

type pq []pqItem

func (h pq) Len() int { return len(h) }
func (h pq) Less(a, b int) bool {
	if h[a].cost != h[b].cost {
		return h[a].cost < h[b].cost
	}
	if h[a].q != h[b].q {
		return h[a].q < h[b].q
	}
	return h[a].owner < h[b].owner
}
func (h pq) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *pq) Push(x any)   { *h = append(*h, x.(pqItem)) }
func (h *pq) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// grow assigns every allowed quad reachable from the seeds to one seed: the
// fronts advance over edge-adjacent quads at speed[owner] and the first to
// arrive claims the quad, so every region is edge-connected. Unreached quads
// stay -1.
func (l *lattice) grow(allowed func(q int) bool, seeds []int, speed []float64) []int {
	owner := make([]int, l.nq())
	for i := range owner {
		owner[i] = -1
	}
	h := &pq{}
	for s, q := range seeds {
		if !allowed(q) {
			panic(fmt.Sprintf("seed %d at quad %d is not allowed", s, q))
		}
		heap.Push(h, pqItem{0, q, s})
	}
	var nb []int
	for h.Len() > 0 {
		it := heap.Pop(h).(pqItem)
		if owner[it.q] >= 0 {
			continue
		}
		owner[it.q] = it.owner
		c := l.centroid(it.q)
		nb = l.neighbors4(it.q, nb)
		for _, n := range nb {
			if owner[n] >= 0 || !allowed(n) {
				continue
			}
			heap.Push(h, pqItem{it.cost + distKm(c, l.centroid(n))/speed[it.owner], n, it.owner})
		}
	}
	return owner
}

// ---- boundary tracing ----

// trace returns the boundary of the union of the quads for which in(q) is
// true as RFC 7946 polygons: each ring closed, outer rings counter-clockwise,
// holes clockwise. Regions are edge-connected components; where two quads of
// the region meet only at a corner the rings are kept apart (the tracer turns
// left), so every ring is simple and such components become separate
// polygons that touch at one vertex.
func (l *lattice) trace(in func(q int) bool) [][][]pt {
	type edge struct{ from, to, right int } // right: quad on the right (outside), -1 off lattice
	var edges []edge
	out := map[int][]int{} // from-vertex -> edge indices
	add := func(from, to, right int) {
		out[from] = append(out[from], len(edges))
		edges = append(edges, edge{from, to, right})
	}
	inq := func(i, j int) bool { return i >= 0 && j >= 0 && i < l.nx && j < l.ny && in(l.qi(i, j)) }
	qOrNone := func(i, j int) int {
		if i >= 0 && j >= 0 && i < l.nx && j < l.ny {
			return l.qi(i, j)
		}
		return -1
	}
	for j := 0; j < l.ny; j++ {
		for i := 0; i < l.nx; i++ {
			if !inq(i, j) {
				continue
			}
			if !inq(i, j-1) {
				add(l.vid(i, j), l.vid(i+1, j), qOrNone(i, j-1))
			}
			if !inq(i+1, j) {
				add(l.vid(i+1, j), l.vid(i+1, j+1), qOrNone(i+1, j))
			}
			if !inq(i, j+1) {
				add(l.vid(i+1, j+1), l.vid(i, j+1), qOrNone(i, j+1))
			}
			if !inq(i-1, j) {
				add(l.vid(i, j+1), l.vid(i, j), qOrNone(i-1, j))
			}
		}
	}
	dir := func(e edge) (int, int) { // lattice direction of an edge
		fi, fj := e.from%(l.nx+1), e.from/(l.nx+1)
		ti, tj := e.to%(l.nx+1), e.to/(l.nx+1)
		return ti - fi, tj - fj
	}
	used := make([]bool, len(edges))
	type ring struct {
		pts   []pt
		area  float64
		probe pt // for holes: a point strictly inside the hole
	}
	var shells, holes []ring
	for s := range edges {
		if used[s] {
			continue
		}
		var vs []int
		e := s
		for {
			used[e] = true
			vs = append(vs, edges[e].from)
			cands := out[edges[e].to]
			next := -1
			if len(cands) == 1 {
				next = cands[0]
			} else {
				// Corner-only contact: take the left turn.
				dx, dy := dir(edges[e])
				for _, c := range cands {
					cx, cy := dir(edges[c])
					if dx*cy-dy*cx > 0 {
						next = c
					}
				}
			}
			if next < 0 {
				panic("trace: no outgoing edge")
			}
			if next == s {
				break
			}
			if used[next] {
				panic("trace: ring does not close")
			}
			e = next
		}
		r := ring{}
		for _, v := range vs {
			r.pts = append(r.pts, l.vpt(v))
		}
		r.pts = append(r.pts, r.pts[0])
		r.area = ringArea(r.pts)
		if r.area > 0 {
			shells = append(shells, r)
		} else {
			if edges[s].right < 0 {
				panic("trace: hole touches the lattice edge")
			}
			r.probe = l.centroid(edges[s].right)
			holes = append(holes, r)
		}
	}
	polys := make([][][]pt, len(shells))
	for i, sh := range shells {
		polys[i] = [][]pt{sh.pts}
	}
	for _, h := range holes {
		best := -1
		for i, sh := range shells {
			if inRing(h.probe, sh.pts) && (best < 0 || sh.area < shells[best].area) {
				best = i
			}
		}
		if best < 0 {
			panic("trace: hole outside every shell")
		}
		polys[best] = append(polys[best], h.pts)
	}
	return polys
}
