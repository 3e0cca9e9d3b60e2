package topology

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// segRef names segment i (pts[i]..pts[i+1]) of ring r.
type segRef struct{ r, i int32 }

// ownRun is a stretch [lo, hi] (segment parameters) of one segment whose
// nearest other unit within the tolerance is owner (-1: none).
type ownRun struct {
	lo, hi float64
	owner  int
	// zlo, zhi: the hull of the parameters where owner's boundary
	// coincides with the segment (within 1 µm); zlo > zhi: nowhere
	zlo, zhi float64
}

// Derive returns the boundary lines between each pair of neighbouring units
// (sorted by LeftCode, RightCode) and the gaps, overlaps and slivers between
// them (Check without parents; none with Options.LinesOnly). The error reports bad input: an empty or
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
	if opt.LinesOnly {
		return lines, nil, nil
	}
	return lines, overlay(p, nil, opt), nil
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
	var refs []segRef
	var boxMin, boxMax [][2]float64
	for ri, r := range p.rings {
		xs := make([][2]float64, len(r.pts))
		for i, q := range r.pts {
			xs[i] = pr.xy(q)
		}
		xy[ri] = xs
		for i := 0; i+1 < len(xs); i++ {
			a, b := xs[i], xs[i+1]
			refs = append(refs, segRef{int32(ri), int32(i)})
			boxMin = append(boxMin, [2]float64{math.Min(a[0], b[0]), math.Min(a[1], b[1])})
			boxMax = append(boxMax, [2]float64{math.Max(a[0], b[0]), math.Max(a[1], b[1])})
		}
	}
	tr := newBoxGrid(boxMin, boxMax)

	type pieceKey struct{ a, b int }
	pieces := map[pieceKey][]orb.LineString{}
	type cand struct {
		unit   int
		a, b   [2]float64
		lo, hi float64
	}
	type pieceOut struct {
		key pieceKey
		ls  orb.LineString
	}
	ringOut := parallelChunks(len(p.rings), func(rlo, rhi int) []pieceOut {
		var cands []cand
		var outPieces []pieceOut
		for ri := rlo; ri < rhi; ri++ {
			r := p.rings[ri]
			xs := xy[ri]
			nseg := len(xs) - 1
			runs := make([][]ownRun, nseg)
			for i := 0; i < nseg; i++ {
				P, Q := xs[i], xs[i+1]
				cands = cands[:0]
				tr.search([2]float64{math.Min(P[0], Q[0]) - tol, math.Min(P[1], Q[1]) - tol}, [2]float64{math.Max(P[0], Q[0]) + tol, math.Max(P[1], Q[1]) + tol},
					func(j int32) {
						s := refs[j]
						u := p.rings[s.r].unit
						if u == r.unit {
							return
						}
						ys := xy[s.r]
						a, b := ys[s.i], ys[s.i+1]
						if lo, hi, ok := capsuleInterval(P, Q, a, b, tol); ok {
							cands = append(cands, cand{u, a, b, lo, hi})
						}
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
							if zl, zh, ok := capsuleInterval(P, Q, c.a, c.b, 1e-6); ok {
								zl, zh = math.Max(zl, lo), math.Min(zh, hi)
								// a stretch, not the crossing of two edges
								if (zh-zl)*math.Hypot(Q[0]-P[0], Q[1]-P[1]) >= minCoincidentM {
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
			// Walk the ring and cut it into stretches of one owner. Positions
			// along the ring are segment index + parameter; cut k starts the
			// stretch of owner[k], which ends at cut k+1 (the last at cut 0 +
			// nseg).
			var cuts []float64
			var owners []int
			for i := 0; i < nseg; i++ {
				for _, run := range runs[i] {
					if n := len(owners); n > 0 && owners[n-1] == run.owner {
						continue
					}
					cuts = append(cuts, float64(i)+run.lo)
					owners = append(owners, run.owner)
				}
			}
			if n := len(owners); n > 1 && owners[0] == owners[n-1] {
				cuts[0] = cuts[n-1] - float64(nseg)
				cuts, owners = cuts[:n-1], owners[:n-1]
			}
			n := len(cuts)
			var cutAt func(k int) float64
			cutAt = func(k int) float64 { // cut k for any k, unwrapped
				q := ((k % n) + n) % n
				return cuts[q] + float64((k-q)/n*nseg)
			}
			segOf := func(pos float64) (int, float64) {
				s := math.Floor(pos)
				return ((int(s) % nseg) + nseg) % nseg, pos - s
			}
			// coincident returns the stretch of the segment at pos where owner's
			// boundary coincides with it (collinear edges, which a comparison
			// of linework keeps)
			coincident := func(pos float64, owner int) (lo, hi float64, ok bool) {
				s, u := segOf(pos)
				base := pos - u
				for _, run := range runs[s] {
					if run.owner == owner && run.lo <= u+eps && u-eps <= run.hi && run.zlo < run.zhi {
						return base + run.zlo, base + run.zhi, true
					}
				}
				return 0, 0, false
			}
			// metres between positions lo < hi
			stretch := func(lo, hi float64) float64 {
				var m float64
				for p := lo; p < hi-eps; {
					s, u := segOf(p)
					end := math.Min(hi, p-u+1)
					P, Q := xs[s], xs[s+1]
					m += (end - p) * math.Hypot(Q[0]-P[0], Q[1]-P[1])
					p = end
				}
				return m
			}
			// A short stretch between two of the same owner (the noise of
			// nearest-neighbour assignment at a junction) joins them; a short
			// stretch between two other owners (a unit touching at a corner)
			// is split between them at its nearest vertex.
			for changed := true; changed && n > 2; {
				changed = false
				for k := 0; k < n && n > 2; k++ {
					prev, next := owners[(k+n-1)%n], owners[(k+1)%n]
					lo, hi := cutAt(k), cutAt(k+1)
					if prev == owners[k] || next == owners[k] || stretch(lo, hi) >= tol/2 {
						continue
					}
					if prev != next {
						if prev < 0 || next < 0 {
							continue
						}
						split := (lo + hi) / 2
						if v := math.Round(split); v >= lo && v <= hi {
							split = v
						}
						if k+1 < n {
							cuts[k+1] = split
						} else {
							cuts[0] = split - float64(nseg)
						}
					}
					owners[k] = prev
					// drop the cuts that no longer separate owners
					var c2 []float64
					var o2 []int
					for q := 0; q < n; q++ {
						if owners[q] != owners[(q+n-1)%n] {
							c2 = append(c2, cutAt(q))
							o2 = append(o2, owners[q])
						}
					}
					if len(o2) == 0 { // one owner all round
						c2, o2 = []float64{0}, []int{prev}
					}
					cuts, owners, n = c2, o2, len(o2)
					changed = true
					break
				}
			}
			if n > 1 {
				// A stretch that leads into a divergence (no neighbour within
				// the tolerance: a wide gap or overlap, or the outer edge)
				// stops at its last vertex: a partial segment is shared only up
				// to a junction with another neighbour, as a vertex-snapping
				// comparison would have it.
				// (repeated: a stretch that vanishes exposes its neighbours)
				for changed, pass := true, 0; changed && pass < n; pass++ {
					changed = false
					for k := 0; k < n; k++ {
						if owners[k] < 0 {
							continue
						}
						lo, hi := cutAt(k), cutAt(k+1)
						if owners[(k+n-1)%n] < 0 && !isInt(lo) {
							if zl, _, ok := coincident(lo, owners[k]); ok {
								lo = math.Max(lo, zl)
							} else {
								lo = math.Ceil(lo)
							}
						}
						if owners[(k+1)%n] < 0 && !isInt(hi) {
							if _, zh, ok := coincident(hi-eps, owners[k]); ok {
								hi = math.Min(hi, zh)
							} else {
								hi = math.Floor(hi)
							}
						}
						if hi <= lo {
							owners[k] = -1 // the stretch vanishes into its unowned neighbours
							changed = true
							continue
						}
						if lo != cutAt(k) || hi != cutAt(k+1) {
							changed = true
						}
						cuts[k] = lo
						if k+1 < n {
							cuts[k+1] = hi
						} else {
							cuts[0] = hi - float64(nseg)
						}
					}
				}
				// Where one neighbour gives way to another (a junction) within
				// the tolerance of a vertex, the lines meet at that vertex: the
				// other polygons' junction vertex snaps to it.
				for k := 0; k < n; k++ {
					prev, cur := owners[(k+n-1)%n], owners[k]
					c := cutAt(k)
					if prev < 0 || cur < 0 || prev == cur || isInt(c) {
						continue
					}
					s, u := segOf(c)
					P, Q := xs[s], xs[s+1]
					l := math.Hypot(Q[0]-P[0], Q[1]-P[1])
					v := math.Floor(c)
					if 1-u < u {
						v = math.Ceil(c)
					}
					if math.Abs(v-c)*l > tol || v <= cutAt(k-1)+eps || v >= cutAt(k+1)-eps {
						continue
					}
					cuts[k] = v
				}
			}
			at := func(pos float64) orb.Point {
				s, u := segOf(pos)
				a, b := r.pts[s], r.pts[s+1]
				if u <= 0 {
					return a
				}
				return orb.Point{a[0] + u*(b[0]-a[0]), a[1] + u*(b[1]-a[1])}
			}
			for k := 0; k < n; k++ {
				if owners[k] < 0 {
					continue
				}
				lo, hi := cutAt(k), cutAt(k+1)
				if n == 1 {
					lo, hi = 0, float64(nseg)
				}
				if hi-lo <= eps {
					continue
				}
				ls := orb.LineString{at(lo)}
				// Points within 1e-8° (about 1 mm) of the previous one are dropped: a cut
				// a hair before a vertex would otherwise leave a zero-length segment,
				// whose direction says nothing about the sides.
				push := func(q orb.Point) {
					if last := ls[len(ls)-1]; math.Abs(last[0]-q[0]) > 1e-8 || math.Abs(last[1]-q[1]) > 1e-8 {
						ls = append(ls, q)
					}
				}
				for v := math.Floor(lo) + 1; v < hi; v++ {
					push(at(v))
				}
				push(at(hi))
				if len(ls) >= 2 {
					outPieces = append(outPieces, pieceOut{pieceKey{r.unit, owners[k]}, ls})
				}
			}
		}
		return outPieces
	})
	for _, o := range ringOut {
		for _, x := range o {
			pieces[x.key] = append(pieces[x.key], x.ls)
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

const eps = 1e-9

// minCoincidentM is the shortest stretch of two collinear edges that counts
// as coincident (a crossing of two edges is coincident over micrometres).
const minCoincidentM = 0.5

func isInt(x float64) bool { return math.Abs(x-math.Round(x)) <= eps }

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
