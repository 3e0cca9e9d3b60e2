package main

import "math"

// Planar helpers on lon/lat float64 coordinates (pt = [lon, lat]). They are
// shared by the generator (placement checks) and the tests (validity checks).

type pt = [2]float64

// Kilometres per degree around 28.25°N; constants rather than math.Cos so the
// generator does not depend on a libm result.
const (
	kmPerDegLon = 98.06
	kmPerDegLat = 110.86
)

// distKm is the local planar distance in kilometres between two lon/lat points.
func distKm(a, b pt) float64 {
	dx := (a[0] - b[0]) * kmPerDegLon
	dy := (a[1] - b[1]) * kmPerDegLat
	return math.Sqrt(dx*dx + dy*dy)
}

// ringArea is the signed shoelace area of a closed ring (first == last
// point), positive when counter-clockwise, in square degrees.
func ringArea(r []pt) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// polyArea is the area of a polygon (outer ring first, holes after, with the
// RFC 7946 orientations) in square degrees.
func polyArea(p [][]pt) float64 {
	var s float64
	for _, r := range p {
		s += ringArea(r)
	}
	return s
}

func multiArea(mp [][][]pt) float64 {
	var s float64
	for _, p := range mp {
		s += polyArea(p)
	}
	return s
}

// inRing reports whether q is inside the closed ring r (even-odd rule).
// Points exactly on the boundary may go either way.
func inRing(q pt, r []pt) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > q[1]) != (b[1] > q[1]) {
			x := a[0] + (q[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if q[0] < x {
				in = !in
			}
		}
	}
	return in
}

func inPolygon(q pt, p [][]pt) bool {
	if len(p) == 0 || !inRing(q, p[0]) {
		return false
	}
	for _, h := range p[1:] {
		if inRing(q, h) {
			return false
		}
	}
	return true
}

func inMulti(q pt, mp [][][]pt) bool {
	for _, p := range mp {
		if inPolygon(q, p) {
			return true
		}
	}
	return false
}

func orient(a, b, c pt) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, c pt) bool { // c collinear with a-b: is it within the box?
	return math.Min(a[0], b[0]) <= c[0] && c[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= c[1] && c[1] <= math.Max(a[1], b[1])
}

// segsIntersect reports whether closed segments ab and cd share any point.
func segsIntersect(a, b, c, d pt) bool {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if ((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}

// segTouchesBoundary reports whether segment ab shares a point with any ring
// edge of the multipolygon.
func segTouchesBoundary(a, b pt, mp [][][]pt) bool {
	for _, p := range mp {
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				if segsIntersect(a, b, r[i], r[i+1]) {
					return true
				}
			}
		}
	}
	return false
}

// lineInside reports whether the whole polyline lies in the interior of mp:
// its first point is inside and no segment touches the boundary.
func lineInside(line []pt, mp [][][]pt) bool {
	if len(line) == 0 || !inMulti(line[0], mp) {
		return false
	}
	for i := 0; i+1 < len(line); i++ {
		if segTouchesBoundary(line[i], line[i+1], mp) {
			return false
		}
	}
	return true
}

// lineLengthKm is the planar length of a polyline in kilometres.
func lineLengthKm(line []pt) float64 {
	var s float64
	for i := 0; i+1 < len(line); i++ {
		s += distKm(line[i], line[i+1])
	}
	return s
}

// areaKm2 converts an area in square degrees to approximate km².
func areaKm2(deg2 float64) float64 { return deg2 * kmPerDegLon * kmPerDegLat }
