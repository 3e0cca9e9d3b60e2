package topology

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// segRef names segment i (pts[i]..pts[i+1]) of ring r.
type segRef struct{ r, i int32 }

// ownRun is a stretch [lo, hi] (segment parameters) of one segment whose
// nearest other unit within the tolerance is owner (-1: none).
type ownRun struct {
	lo, hi float64
	owner  int
	// zlo, zhi: the hull of the parameters where owner's boundary
	// coincides with the segment (within 1 mm); zlo > zhi: nowhere
	zlo, zhi float64
}

// Derive returns the boundary lines between each pair of neighbouring units
// (sorted by LeftCode, RightCode) and the gaps, overlaps and slivers between
// them (Check without parents). The error reports bad input: an empty or
// duplicate code, a unit without polygons, a ring with fewer than 3 distinct
// points, coordinates that are not lon/lat, a negative tolerance.
func Derive(units []Unit, opt Options) ([]Line, []Finding, error) {
	if opt.ToleranceM < 0 || !finite(opt.ToleranceM) {
		return nil, nil, fmt.Errorf("tolerance %v m: want a positive number of metres", opt.ToleranceM)
	}
	opt = opt.withDefaults()
	p, err := prepare(units, "unit")
	if err != nil {
		return nil, nil, err
	}
	lines := deriveLines(p, opt)
	findings := overlay(p, nil, opt)
	return lines, findings, nil
}

// deriveLines implements the line rule of the package doc.
func deriveLines(p *prepared, opt Options) []Line {
	if len(p.rings) == 0 {
		return nil
	}
	pr := newProj(p.bound)
	tol := opt.ToleranceM
	// projected rings and a segment index
	xy := make([][][2]float64, len(p.rings))
	var tr rtree.RTreeG[segRef]
	for ri, r := range p.rings {
		xs := make([][2]float64, len(r.pts))
		for i, q := range r.pts {
			xs[i] = pr.xy(q)
		}
		xy[ri] = xs
		for i := 0; i+1 < len(xs); i++ {
			a, b := xs[i], xs[i+1]
			tr.Insert([2]float64{math.Min(a[0], b[0]), math.Min(a[1], b[1])}, [2]float64{math.Max(a[0], b[0]), math.Max(a[1], b[1])}, segRef{int32(ri), int32(i)})
		}
	}

	type pieceKey struct{ a, b int }
	pieces := map[pieceKey][]orb.LineString{}
	type cand struct {
		unit   int
		a, b   [2]float64
		lo, hi float64
	}
	var cands []cand
	for ri, r := range p.rings {
		xs := xy[ri]
		nseg := len(xs) - 1
		runs := make([][]ownRun, nseg)
		for i := 0; i < nseg; i++ {
			P, Q := xs[i], xs[i+1]
			cands = cands[:0]
			tr.Search([2]float64{math.Min(P[0], Q[0]) - tol, math.Min(P[1], Q[1]) - tol}, [2]float64{math.Max(P[0], Q[0]) + tol, math.Max(P[1], Q[1]) + tol},
				func(_, _ [2]float64, s segRef) bool {
					u := p.rings[s.r].unit
					if u == r.unit {
						return true
					}
					ys := xy[s.r]
					a, b := ys[s.i], ys[s.i+1]
					if lo, hi, ok := capsuleInterval(P, Q, a, b, tol); ok {
						cands = append(cands, cand{u, a, b, lo, hi})
					}
					return true
				})
			if len(cands) == 0 {
				runs[i] = []ownRun{{0, 1, -1, 1, 0}}
				continue
			}
			// breakpoints of the elementary intervals
			bps := []float64{0, 1}
			for _, c := range cands {
				bps = append(bps, c.lo, c.hi)
			}
			sort.Float64s(bps)
			dist := func(unit int, u float64) float64 {
				x := [2]float64{P[0] + u*(Q[0]-P[0]), P[1] + u*(Q[1]-P[1])}
				d := math.Inf(1)
				for _, c := range cands {
					if c.unit == unit {
						d = math.Min(d, pointSegDist(x, c.a, c.b))
					}
				}
				return d
			}
			var out []ownRun
			add := func(lo, hi float64, owner int) {
				if hi <= lo {
					return
				}
				zlo, zhi := math.Inf(1), math.Inf(-1)
				if owner >= 0 {
					for _, c := range cands {
						if c.unit != owner {
							continue
						}
						if zl, zh, ok := capsuleInterval(P, Q, c.a, c.b, 1e-3); ok {
							zl, zh = math.Max(zl, lo), math.Min(zh, hi)
							if zl < zh {
								zlo, zhi = math.Min(zlo, zl), math.Max(zhi, zh)
							}
						}
					}
				}
				if n := len(out); n > 0 && out[n-1].owner == owner {
					out[n-1].hi = hi
					out[n-1].zlo, out[n-1].zhi = math.Min(out[n-1].zlo, zlo), math.Max(out[n-1].zhi, zhi)
					return
				}
				out = append(out, ownRun{lo, hi, owner, zlo, zhi})
			}
			var active []int
			for k := 0; k+1 < len(bps); k++ {
				lo, hi := bps[k], bps[k+1]
				if hi <= lo {
					continue
				}
				m := (lo + hi) / 2
				active = active[:0]
				for _, c := range cands {
					if c.lo <= m && m <= c.hi && !containsInt(active, c.unit) {
						active = append(active, c.unit)
					}
				}
				switch len(active) {
				case 0:
					add(lo, hi, -1)
				case 1:
					add(lo, hi, active[0])
				default:
					nearest := func(u float64) int {
						best, bd := -1, math.Inf(1)
						for _, a := range active {
							if d := dist(a, u); d < bd || d == bd && a < best {
								best, bd = a, d
							}
						}
						return best
					}
					const samples = 8
					prevU, prevO := lo, nearest(lo)
					for s := 1; s <= samples; s++ {
						u := lo + (hi-lo)*float64(s)/samples
						o := nearest(u)
						if o != prevO {
							// bisect for the switch point
							a, b := prevU, u
							for it := 0; it < 40 && b-a > 1e-12; it++ {
								mid := (a + b) / 2
								if nearest(mid) == prevO {
									a = mid
								} else {
									b = mid
								}
							}
							add(prevU, a, prevO)
							prevU = a
							prevO = o
						}
						if s == samples {
							add(prevU, hi, prevO)
						}
					}
				}
			}
			runs[i] = out
		}
		// Walk the ring and cut it into runs of one owner (the runs of
		// consecutive segments cover the ring without gaps).
		type span struct {
			s0    int
			u0    float64
			s1    int
			u1    float64
			owner int
		}
		var spans []span
		for i := 0; i < nseg; i++ {
			for _, run := range runs[i] {
				if n := len(spans); n > 0 && spans[n-1].owner == run.owner {
					spans[n-1].s1, spans[n-1].u1 = i, run.hi
					continue
				}
				spans = append(spans, span{i, run.lo, i, run.hi, run.owner})
			}
		}
		if n := len(spans); n > 1 && spans[0].owner == spans[n-1].owner {
			spans[0].s0, spans[0].u0 = spans[n-1].s0, spans[n-1].u0
			spans = spans[:n-1]
		}
		at := func(i int, u float64) orb.Point {
			a, b := r.pts[i], r.pts[i+1]
			if u <= 0 {
				return a
			}
			if u >= 1 {
				return b
			}
			return orb.Point{a[0] + u*(b[0]-a[0]), a[1] + u*(b[1]-a[1])}
		}
		// A stretch that leads into a divergence (no neighbour within the
		// tolerance: a wide gap or overlap, or the outer edge) stops at its
		// last vertex: a partial segment is shared only up to a junction
		// with another neighbour, as a vertex-snapping comparison would
		// have it.
		const eps = 1e-9
		// coincident returns the stretch of segment s near parameter u
		// where owner's boundary coincides with it (collinear edges, which
		// a comparison of linework keeps)
		coincident := func(s int, u float64, owner int) (lo, hi float64, ok bool) {
			for _, run := range runs[s] {
				if run.owner == owner && run.lo <= u+eps && u-eps <= run.hi && run.zlo < run.zhi {
					return run.zlo, run.zhi, true
				}
			}
			return 0, 0, false
		}
		for k := range spans {
			if len(spans) < 2 || spans[k].owner < 0 {
				continue
			}
			sp := &spans[k]
			prev, next := spans[(k+len(spans)-1)%len(spans)], spans[(k+1)%len(spans)]
			// positions along the ring: segment index + parameter
			p0, p1 := float64(sp.s0)+sp.u0, float64(sp.s1)+sp.u1
			span := p1 - p0
			if span <= 0 {
				span += float64(nseg)
			}
			var cut0, cut1 float64
			if prev.owner < 0 && sp.u0 > eps && sp.u0 < 1-eps {
				if zl, _, ok := coincident(sp.s0, sp.u0, sp.owner); ok {
					cut0 = zl - sp.u0
				} else {
					cut0 = 1 - sp.u0
				}
			}
			if next.owner < 0 && sp.u1 > eps && sp.u1 < 1-eps {
				if _, zh, ok := coincident(sp.s1, sp.u1, sp.owner); ok {
					cut1 = sp.u1 - zh
				} else {
					cut1 = sp.u1
				}
			}
			if cut0+cut1 >= span-eps {
				sp.owner = -1
				continue
			}
			if cut0 > 0 {
				np := math.Mod(p0+cut0, float64(nseg))
				sp.s0 = int(math.Floor(np + eps))
				sp.u0 = math.Max(0, np-float64(sp.s0))
				sp.s0 %= nseg
			}
			if cut1 > 0 {
				np := math.Mod(p1-cut1+float64(nseg), float64(nseg))
				s := int(math.Ceil(np-eps)) - 1 // an end on a vertex is the end of the segment before it
				if s < 0 {
					s += nseg
				}
				sp.s1, sp.u1 = s, math.Min(1, np-float64(s))
				if np < float64(s) {
					sp.u1 = np + float64(nseg) - float64(s)
				}
			}
		}
		for _, sp := range spans {
			if sp.owner < 0 {
				continue
			}
			ls := orb.LineString{at(sp.s0, sp.u0)}
			push := func(q orb.Point) {
				if ls[len(ls)-1] != q {
					ls = append(ls, q)
				}
			}
			for k, steps := sp.s0, 0; steps <= nseg; k, steps = (k+1)%nseg, steps+1 {
				if k == sp.s1 && !(steps == 0 && sp.s0 == sp.s1 && sp.u0 > sp.u1) {
					break
				}
				push(r.pts[k+1])
			}
			push(at(sp.s1, sp.u1))
			if len(ls) >= 2 {
				key := pieceKey{r.unit, sp.owner}
				pieces[key] = append(pieces[key], ls)
			}
		}
	}

	var lines []Line
	for k, ls := range pieces {
		left, right := p.units[k.a], p.units[k.b]
		if left.Code > right.Code {
			continue // the line follows the smaller code's boundary
		}
		type pc struct {
			ls orb.LineString
			l  float64
		}
		pcs := make([]pc, len(ls))
		var total float64
		for i, l := range ls {
			pcs[i] = pc{l, lineLength(l)}
			total += pcs[i].l
		}
		if total < tol {
			continue
		}
		sort.Slice(pcs, func(i, j int) bool {
			if pcs[i].l != pcs[j].l {
				return pcs[i].l > pcs[j].l
			}
			return lessPoint(pcs[i].ls[0], pcs[j].ls[0])
		})
		mls := make(orb.MultiLineString, len(pcs))
		for i, c := range pcs {
			mls[i] = c.ls
		}
		ln, rn := left.Name, right.Name
		if ln == "" {
			ln = left.Code
		}
		if rn == "" {
			rn = right.Code
		}
		lines = append(lines, Line{
			ID:        LineID(opt.Level, left.Code, right.Code),
			Name:      LineName(ln, rn),
			LeftCode:  left.Code,
			RightCode: right.Code,
			LeftName:  left.Name,
			RightName: right.Name,
			Level:     opt.Level,
			LengthM:   total,
			Geom:      mls,
		})
	}
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].LeftCode != lines[j].LeftCode {
			return lines[i].LeftCode < lines[j].LeftCode
		}
		return lines[i].RightCode < lines[j].RightCode
	})
	return lines
}

func lessPoint(a, b orb.Point) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return a[1] < b[1]
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pointSegDist is the distance from x to segment ab.
func pointSegDist(x, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((x[0]-a[0])*dx + (x[1]-a[1])*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	return math.Hypot(x[0]-a[0]-t*dx, x[1]-a[1]-t*dy)
}

// capsuleInterval returns the parameters [lo, hi] ⊂ [0, 1] of the points of
// segment PQ within r of segment ab (the intersection of a line with the
// convex capsule around ab is one interval: the hull of its intersections
// with the two end discs and the rectangle).
func capsuleInterval(P, Q, a, b [2]float64, r float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	d := [2]float64{Q[0] - P[0], Q[1] - P[1]}
	disc := func(c [2]float64) {
		// |P + u d - c|² <= r²
		w := [2]float64{P[0] - c[0], P[1] - c[1]}
		A := d[0]*d[0] + d[1]*d[1]
		B := 2 * (w[0]*d[0] + w[1]*d[1])
		C := w[0]*w[0] + w[1]*w[1] - r*r
		if A == 0 {
			return
		}
		D := B*B - 4*A*C
		if D < 0 {
			return
		}
		s := math.Sqrt(D)
		u0, u1 := (-B-s)/(2*A), (-B+s)/(2*A)
		lo, hi = math.Min(lo, u0), math.Max(hi, u1)
	}
	disc(a)
	disc(b)
	ex, ey := b[0]-a[0], b[1]-a[1]
	L := math.Hypot(ex, ey)
	if L > 0 {
		ex, ey = ex/L, ey/L
		// along(u) = al0 + u*al1 in [0, L]; perp(u) = pe0 + u*pe1 in [-r, r]
		w := [2]float64{P[0] - a[0], P[1] - a[1]}
		al0, al1 := w[0]*ex+w[1]*ey, d[0]*ex+d[1]*ey
		pe0, pe1 := w[0]*ey-w[1]*ex, d[0]*ey-d[1]*ex
		u0, u1 := math.Inf(-1), math.Inf(1)
		clip := func(c0, c1, min, max float64) {
			if c1 == 0 {
				if c0 < min || c0 > max {
					u0, u1 = 1, 0
				}
				return
			}
			t0, t1 := (min-c0)/c1, (max-c0)/c1
			if t0 > t1 {
				t0, t1 = t1, t0
			}
			u0, u1 = math.Max(u0, t0), math.Min(u1, t1)
		}
		clip(al0, al1, 0, L)
		clip(pe0, pe1, -r, r)
		if u0 <= u1 {
			lo, hi = math.Min(lo, u0), math.Max(hi, u1)
		}
	}
	lo, hi = math.Max(lo, 0), math.Min(hi, 1)
	return lo, hi, lo < hi
}
