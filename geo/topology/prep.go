package topology

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// ring is one ring of a unit, oriented so that the unit's interior is on the
// left (outer rings counter-clockwise, holes clockwise), closed, without
// repeated consecutive points.
type ring struct {
	unit int // index into the unit slice
	pts  []orb.Point
}

// prepared holds validated units as oriented rings.
type prepared struct {
	units []Unit
	rings []ring
	bound orb.Bound
}

// prepare validates units and orients their rings.
func prepare(units []Unit, what string) (*prepared, error) {
	p := &prepared{units: units}
	seen := map[string]int{}
	first := true
	for i, u := range units {
		if u.Code == "" {
			return nil, fmt.Errorf("%s %d: empty code", what, i+1)
		}
		if j, dup := seen[u.Code]; dup {
			return nil, fmt.Errorf("%s %d: duplicate code %s (first at %d)", what, i+1, u.Code, j+1)
		}
		seen[u.Code] = i
		if len(u.Geom) == 0 {
			return nil, fmt.Errorf("%s %s: no polygons", what, u.Code)
		}
		for pi, poly := range u.Geom {
			if len(poly) == 0 {
				return nil, fmt.Errorf("%s %s: polygon %d has no rings", what, u.Code, pi+1)
			}
			for ri, r := range poly {
				pts := cleanRing(r)
				if len(pts) < 4 {
					return nil, fmt.Errorf("%s %s: polygon %d ring %d has fewer than 3 distinct points", what, u.Code, pi+1, ri+1)
				}
				for _, q := range pts {
					if err := geo.CheckLonLat(q[0], q[1]); err != nil {
						return nil, fmt.Errorf("%s %s: %w", what, u.Code, err)
					}
				}
				a := signedArea(pts)
				if a == 0 {
					continue // a degenerate ring bounds nothing
				}
				if (ri == 0) != (a > 0) {
					reverse(pts)
				}
				p.rings = append(p.rings, ring{unit: i, pts: pts})
				b := orb.MultiPoint(pts).Bound()
				if first {
					p.bound, first = b, false
				} else {
					p.bound = p.bound.Union(b)
				}
			}
		}
	}
	return p, nil
}

// cleanRing copies r, closes it and drops repeated consecutive points.
func cleanRing(r orb.Ring) []orb.Point {
	out := make([]orb.Point, 0, len(r)+1)
	for _, q := range r {
		if len(out) == 0 || out[len(out)-1] != q {
			out = append(out, q)
		}
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

// signedArea is the planar shoelace area in degrees² (positive:
// counter-clockwise) of a closed ring.
func signedArea(pts []orb.Point) float64 {
	var s float64
	o := pts[0]
	for i := 1; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		s += (a[0]-o[0])*(b[1]-o[1]) - (b[0]-o[0])*(a[1]-o[1])
	}
	return s / 2
}

func reverse(pts []orb.Point) {
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
}

// proj is the equirectangular projection about the centre of the data, in
// metres: enough to compare distances with a tolerance of tens of metres
// (the scale error is under 3 % for a province 5° tall).
type proj struct{ lon0, lat0, kx, ky float64 }

func newProj(b orb.Bound) proj {
	c := b.Center()
	kx, ky := geo.MetresPerDegree(c[1])
	return proj{c[0], c[1], kx, ky}
}

func (p proj) xy(q orb.Point) [2]float64 {
	return [2]float64{(q[0] - p.lon0) * p.kx, (q[1] - p.lat0) * p.ky}
}

// lineLength is the geodesic length of a polyline, metres.
func lineLength(ls orb.LineString) float64 {
	var s float64
	for i := 1; i < len(ls); i++ {
		s += geo.Distance(ls[i-1], ls[i])
	}
	return s
}

// pointInRings reports whether q lies inside the polygonal area bounded by
// rings (even-odd rule over all of them).
func pointInRings(q orb.Point, rings [][]orb.Point) bool {
	in := false
	for _, r := range rings {
		for i := 1; i < len(r); i++ {
			a, b := r[i-1], r[i]
			if (a[1] > q[1]) != (b[1] > q[1]) {
				x := a[0] + (q[1]-a[1])/(b[1]-a[1])*(b[0]-a[0])
				if q[0] < x {
					in = !in
				}
			}
		}
	}
	return in
}

func sortedCodes(codes []string) []string {
	sort.Strings(codes)
	out := codes[:0]
	for i, c := range codes {
		if i == 0 || c != codes[i-1] {
			out = append(out, c)
		}
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
