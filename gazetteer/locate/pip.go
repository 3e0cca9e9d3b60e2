package locate

import "github.com/paulmach/orb"

// Point-in-polygon with the semantics of PostGIS ST_Covers(polygon, point): a point on the
// boundary is covered. The ring test follows liblwgeom's winding-number algorithm
// (ptarray_contains_point_partial) with the same double-precision side test, so points on
// and near edges get the answer PostGIS gives. Each ring is "prepared": its edges are
// bucketed into horizontal slabs, so a test looks only at the edges spanning the point's
// latitude.

const (
	outside  = -1
	boundary = 0
	inside   = 1
)

type ring struct {
	pts                    []orb.Point
	minX, minY, maxX, maxY float64
	inv                    float64 // slabs per degree of latitude
	off                    []int32 // slab s holds edges[off[s]:off[s+1]]
	edges                  []int32 // index of an edge's first point
}

func (r *ring) slab(y float64) int {
	s := int((y - r.minY) * r.inv)
	if s < 0 {
		return 0
	}
	if s >= len(r.off)-1 {
		return len(r.off) - 2
	}
	return s
}

func prepareRing(pts orb.Ring) ring {
	r := ring{pts: pts}
	b := orb.LineString(pts).Bound()
	r.minX, r.minY, r.maxX, r.maxY = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	n := len(pts) - 1
	if n < 1 {
		r.off = []int32{0, 0}
		return r
	}
	slabs := n/4 + 1
	if slabs > 1024 {
		slabs = 1024
	}
	if h := r.maxY - r.minY; h > 0 {
		r.inv = float64(slabs) / h
	}
	r.off = make([]int32, slabs+1)
	counts := make([]int32, slabs)
	for i := 0; i < n; i++ {
		lo, hi := r.slab(min(pts[i][1], pts[i+1][1])), r.slab(max(pts[i][1], pts[i+1][1]))
		for s := lo; s <= hi; s++ {
			counts[s]++
		}
	}
	for s := 0; s < slabs; s++ {
		r.off[s+1] = r.off[s] + counts[s]
	}
	r.edges = make([]int32, r.off[slabs])
	fill := append([]int32(nil), r.off[:slabs]...)
	for i := 0; i < n; i++ {
		lo, hi := r.slab(min(pts[i][1], pts[i+1][1])), r.slab(max(pts[i][1], pts[i+1][1]))
		for s := lo; s <= hi; s++ {
			r.edges[fill[s]] = int32(i)
			fill[s]++
		}
	}
	return r
}

// locate returns inside, boundary or outside.
func (r *ring) locate(px, py float64) int {
	if px < r.minX || px > r.maxX || py < r.minY || py > r.maxY || len(r.edges) == 0 {
		return outside
	}
	s := r.slab(py)
	wn := 0
	for _, e := range r.edges[r.off[s]:r.off[s+1]] {
		a, b := r.pts[e], r.pts[e+1]
		if a == b {
			continue
		}
		if py > max(a[1], b[1]) || py < min(a[1], b[1]) {
			continue
		}
		side := (px-a[0])*(b[1]-a[1]) - (b[0]-a[0])*(py-a[1])
		if side == 0 && onSegment(px, py, a, b) {
			return boundary
		}
		if side < 0 && a[1] <= py && py < b[1] {
			wn++
		} else if side > 0 && b[1] <= py && py < a[1] {
			wn--
		}
	}
	if wn == 0 {
		return outside
	}
	return inside
}

// onSegment is liblwgeom's lw_pt_in_seg for a point known to be collinear with a–b.
func onSegment(px, py float64, a, b orb.Point) bool {
	return (a[0] <= px && px < b[0]) || (a[0] >= px && px > b[0]) ||
		(a[1] <= py && py < b[1]) || (a[1] >= py && py > b[1])
}

type polygon struct {
	outer ring
	holes []ring
}

// covers reports whether the polygon covers the point (interior or boundary).
func (p *polygon) covers(px, py float64) bool {
	switch p.outer.locate(px, py) {
	case outside:
		return false
	case boundary:
		return true
	}
	for i := range p.holes {
		if p.holes[i].locate(px, py) == inside {
			return false
		}
	}
	return true
}

type prepared []polygon

func prepare(mp orb.MultiPolygon) prepared {
	out := make(prepared, 0, len(mp))
	for _, p := range mp {
		if len(p) == 0 {
			continue
		}
		pp := polygon{outer: prepareRing(p[0])}
		for _, h := range p[1:] {
			pp.holes = append(pp.holes, prepareRing(h))
		}
		out = append(out, pp)
	}
	return out
}

func (m prepared) covers(px, py float64) bool {
	for i := range m {
		if m[i].covers(px, py) {
			return true
		}
	}
	return false
}
