package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// WGS84 ellipsoid (CGCS2000 differs only in the ~1e-10 flattening, far
// below anything a population grid or a catchment radius can see).
const (
	EarthA = 6378137.0             // semi-major axis, metres
	EarthF = 1 / 298.257223563     // flattening
	EarthB = EarthA * (1 - EarthF) // semi-minor axis, metres
)

var (
	earthE2  = EarthF * (2 - EarthF)   // first eccentricity squared
	earthEp2 = earthE2 / (1 - earthE2) // second eccentricity squared
	earthE   = math.Sqrt(earthE2)
	// authalic: q at the pole and the radius of the sphere of equal area.
	earthQp = authalicQ(1)
	// EarthAuthalicRadius is the radius of the sphere with the same surface
	// area as the WGS84 ellipsoid (≈ 6371007.181 m).
	EarthAuthalicRadius = EarthA * math.Sqrt(earthQp/2)
)

const deg = math.Pi / 180

// Distance returns the geodesic distance in metres between a and b (lon/lat
// degrees) on the WGS84 ellipsoid. It uses Vincenty's inverse formula
// (accurate to well under a millimetre); for nearly antipodal points, where
// Vincenty's iteration does not converge, it solves the same problem by
// bisection on the starting azimuth, which always converges.
func Distance(a, b orb.Point) float64 {
	if a == b {
		return 0
	}
	if s, ok := vincentyInverse(a[1], a[0], b[1], b[0]); ok {
		return s
	}
	return bisectInverse(a[1], a[0], b[1], b[0])
}

// reducedLat returns sin and cos of the reduced (parametric) latitude β,
// tan β = (1-f) tan φ, normalised so that sin²+cos² = 1.
func reducedLat(latDeg float64) (sb, cb float64) {
	sp, cp := math.Sincos(latDeg * deg)
	sb, cb = (1-EarthF)*sp, cp
	h := math.Hypot(sb, cb)
	return sb / h, cb / h
}

// wrapPi reduces an angle in radians to (-π, π].
func wrapPi(x float64) float64 {
	x = math.Remainder(x, 2*math.Pi)
	if x == -math.Pi {
		x = math.Pi
	}
	return x
}

// vincentyAB returns Vincenty's series coefficients A and B for u².
func vincentyAB(u2 float64) (A, B float64) {
	A = 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
	B = u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
	return A, B
}

func vincentyDeltaSigma(B, sinS, cosS, cos2Sm float64) float64 {
	c2 := cos2Sm * cos2Sm
	return B * sinS * (cos2Sm + B/4*(cosS*(-1+2*c2)-B/6*cos2Sm*(-3+4*sinS*sinS)*(-3+4*c2)))
}

func vincentyC(cos2A float64) float64 {
	return EarthF / 16 * cos2A * (4 + EarthF*(4-3*cos2A))
}

// vincentyInverse is Vincenty's (1975) inverse solution. ok is false when the
// iteration fails to converge (nearly antipodal points).
func vincentyInverse(lat1, lon1, lat2, lon2 float64) (s float64, ok bool) {
	L := wrapPi((lon2 - lon1) * deg)
	sU1, cU1 := reducedLat(lat1)
	sU2, cU2 := reducedLat(lat2)
	lambda := L
	var sinS, cosS, sigma, cos2A, cos2Sm float64
	for iter := 0; ; iter++ {
		if iter == 200 {
			return 0, false
		}
		sl, cl := math.Sincos(lambda)
		t1 := cU2 * sl
		t2 := cU1*sU2 - sU1*cU2*cl
		sinS = math.Hypot(t1, t2)
		if sinS == 0 {
			if cU1*cU2*cl+sU1*sU2 > 0 {
				return 0, true // coincident
			}
			return 0, false // exactly antipodal
		}
		cosS = sU1*sU2 + cU1*cU2*cl
		sigma = math.Atan2(sinS, cosS)
		sinA := cU1 * cU2 * sl / sinS
		cos2A = 1 - sinA*sinA
		if cos2A != 0 {
			cos2Sm = cosS - 2*sU1*sU2/cos2A
		} else {
			cos2Sm = 0 // equatorial line
		}
		C := vincentyC(cos2A)
		prev := lambda
		lambda = L + (1-C)*EarthF*sinA*(sigma+C*sinS*(cos2Sm+C*cosS*(-1+2*cos2Sm*cos2Sm)))
		if math.Abs(lambda) > math.Pi {
			return 0, false
		}
		if math.Abs(lambda-prev) < 1e-13 {
			break
		}
	}
	A, B := vincentyAB(cos2A * earthEp2)
	return EarthB * A * (sigma - vincentyDeltaSigma(B, sinS, cosS, cos2Sm)), true
}

// bisectInverse solves the inverse problem for any pair of points, in the
// formulation of Karney (2013, "Algorithms for geodesics", §4): with the
// points ordered so that |β1| ≥ |β2| and β1 ≤ 0, and the longitude difference
// λ12 in [0, π], the longitude reached at β2 is a monotonic function of the
// starting azimuth α1 ∈ [0, π]; that function is evaluated with Vincenty's
// series and its root found by bisection.
func bisectInverse(lat1, lon1, lat2, lon2 float64) float64 {
	L := math.Abs(wrapPi((lon2 - lon1) * deg))
	if math.Abs(lat1) < math.Abs(lat2) {
		lat1, lat2 = lat2, lat1
	}
	if lat1 > 0 {
		lat1, lat2 = -lat1, -lat2
	}
	if lat1 == 0 {
		// Both points on the equator. Up to (1-f)π apart the geodesic is
		// the equator itself; beyond, it leaves the equator, and the
		// formulation needs point 1 strictly south of point 2's parallel,
		// so move it 1e-10° (11 µm) south.
		if L <= (1-EarthF)*math.Pi {
			return EarthA * L
		}
		lat1 = -1e-10
	}
	sb1, cb1 := reducedLat(lat1)
	sb2, cb2 := reducedLat(lat2)
	if cb2 == 0 { // both points at poles
		cb2 = 1e-300
	}
	var arg2 float64 // cos²α2 cos²β2, computed in the better-conditioned form
	eval := func(alpha1 float64) (lam, sigma12, ca0sq, cos2Sm float64) {
		sa1, ca1 := math.Sincos(alpha1)
		sa0 := sa1 * cb1
		ca0 := math.Hypot(ca1, sa1*sb1)
		if cb1 < -sb1 {
			arg2 = ca1*ca1*cb1*cb1 + (cb2-cb1)*(cb2+cb1)
		} else {
			arg2 = ca1*ca1*cb1*cb1 + (sb1-sb2)*(sb1+sb2)
		}
		ca2cb2 := math.Sqrt(math.Max(0, arg2))
		s1 := math.Atan2(sb1, ca1*cb1)
		w1 := math.Atan2(sa0*sb1, ca1*cb1)
		s2 := math.Atan2(sb2, ca2cb2)
		w2 := math.Atan2(sa0*sb2, ca2cb2)
		sigma12 = math.Atan2(math.Max(0, math.Sin(s2-s1)), math.Cos(s2-s1))
		omega12 := math.Atan2(math.Max(0, math.Sin(w2-w1)), math.Cos(w2-w1))
		ca0sq = ca0 * ca0
		cos2Sm = math.Cos(s1 + s2)
		C := vincentyC(ca0sq)
		sS, cS := math.Sincos(sigma12)
		lam = omega12 - (1-C)*EarthF*sa0*(sigma12+C*sS*(cos2Sm+C*cS*(-1+2*cos2Sm*cos2Sm)))
		return
	}
	lo, hi := 0.0, math.Pi
	var sigma12, ca0sq, cos2Sm float64
	for i := 0; i < 200 && hi-lo > 1e-15; i++ {
		mid := (lo + hi) / 2
		var lam float64
		lam, sigma12, ca0sq, cos2Sm = eval(mid)
		if lam < L {
			lo = mid
		} else {
			hi = mid
		}
	}
	_, sigma12, ca0sq, cos2Sm = eval((lo + hi) / 2)
	A, B := vincentyAB(ca0sq * earthEp2)
	sS, cS := math.Sincos(sigma12)
	return EarthB * A * (sigma12 - vincentyDeltaSigma(B, sS, cS, cos2Sm))
}

// Destination returns the point reached by travelling metres along the
// geodesic that leaves p with the given initial bearing (degrees clockwise
// from north) on the WGS84 ellipsoid (Vincenty's direct solution). The
// longitude of the result is normalised to [-180, 180].
func Destination(p orb.Point, bearingDeg, metres float64) orb.Point {
	if metres == 0 {
		return p
	}
	sa1, ca1 := math.Sincos(bearingDeg * deg)
	sU1, cU1 := reducedLat(p[1])
	sigma1 := math.Atan2(sU1, cU1*ca1)
	sinA := cU1 * sa1
	cos2A := 1 - sinA*sinA
	A, B := vincentyAB(cos2A * earthEp2)
	sigma0 := metres / (EarthB * A)
	sigma := sigma0
	var sinS, cosS, cos2Sm float64
	for i := 0; i < 100; i++ {
		cos2Sm = math.Cos(2*sigma1 + sigma)
		sinS, cosS = math.Sincos(sigma)
		next := sigma0 + vincentyDeltaSigma(B, sinS, cosS, cos2Sm)
		if math.Abs(next-sigma) < 1e-14 {
			sigma = next
			break
		}
		sigma = next
	}
	cos2Sm = math.Cos(2*sigma1 + sigma)
	sinS, cosS = math.Sincos(sigma)
	tmp := sU1*sinS - cU1*cosS*ca1
	lat2 := math.Atan2(sU1*cosS+cU1*sinS*ca1, (1-EarthF)*math.Hypot(sinA, tmp))
	lambda := math.Atan2(sinS*sa1, cU1*cosS-sU1*sinS*ca1)
	C := vincentyC(cos2A)
	L := lambda - (1-C)*EarthF*sinA*(sigma+C*sinS*(cos2Sm+C*cosS*(-1+2*cos2Sm*cos2Sm)))
	lon2 := wrapPi(p[0]*deg+L) / deg
	return orb.Point{lon2, lat2 / deg}
}

// MetresPerDegree returns the length in metres of one degree of longitude
// (dx) and of latitude (dy) at latitude lat on the WGS84 ellipsoid, for local
// planar approximations.
func MetresPerDegree(lat float64) (dx, dy float64) {
	s, c := math.Sincos(lat * deg)
	w := math.Sqrt(1 - earthE2*s*s)
	dx = deg * EarthA * c / w
	dy = deg * EarthA * (1 - earthE2) / (w * w * w)
	return dx, dy
}

// authalicQ is q(φ) of the authalic latitude, as a function of sin φ:
// q = (1-e²) [ sinφ/(1-e² sin²φ) + atanh(e sinφ)/e ].
func authalicQ(sinPhi float64) float64 {
	es := earthE * sinPhi
	return (1 - earthE2) * (sinPhi/(1-es*es) + math.Atanh(es)/earthE)
}

// sinAuthalic returns sin of the authalic latitude for a geodetic latitude in
// degrees: the latitude on the sphere of radius EarthAuthalicRadius onto which
// the ellipsoid maps with areas preserved.
func sinAuthalic(latDeg float64) float64 {
	v := authalicQ(math.Sin(latDeg*deg)) / earthQp
	return math.Max(-1, math.Min(1, v))
}

// Area returns the geodesic area in m² of a Polygon or MultiPolygon (a Ring,
// Bound, or the polygonal members of a Collection count too; other geometries
// have no area and give 0). Holes are subtracted; ring orientation does not
// matter. The polygon is mapped to the authalic sphere (equal-area) and its
// spherical excess computed edge by edge, edges being great circles there;
// for polygons of county size this matches the ellipsoidal geodesic polygon
// to better than 1e-6 relative. Rings must not contain a pole.
func Area(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Polygon:
		return polygonArea(g)
	case orb.MultiPolygon:
		var sum float64
		for _, p := range g {
			sum += polygonArea(p)
		}
		return sum
	case orb.Ring:
		return math.Abs(ringArea(g))
	case orb.Bound:
		return polygonArea(g.ToPolygon())
	case orb.Collection:
		var sum float64
		for _, m := range g {
			sum += Area(m)
		}
		return sum
	}
	return 0
}

func polygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(ringArea(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(ringArea(h))
	}
	return math.Max(a, 0)
}

// ringArea returns the signed area (negative for a counter-clockwise ring) on
// the authalic sphere. Each edge contributes the signed area E of the
// quadrilateral it forms with the equator and its two meridians:
// tan(E/2) = tan(Δλ/2) · sin((β1+β2)/2) / cos((β1-β2)/2), written as
// tan(Δλ/2)(t1+t2)/(1+t1 t2) with t = tan(β/2) = sinβ/(1+cosβ).
func ringArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	if r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	halfTan := func(latDeg float64) float64 {
		sb := sinAuthalic(latDeg)
		cb := math.Sqrt(math.Max(0, 1-sb*sb))
		return sb / (1 + cb)
	}
	var sum float64
	prev := r[n-1]
	tPrev := halfTan(prev[1])
	for i := 0; i < n; i++ {
		cur := r[i]
		t := halfTan(cur[1])
		dl := wrapPi((cur[0] - prev[0]) * deg)
		sum += 2 * math.Atan2(math.Tan(dl/2)*(tPrev+t), 1+tPrev*t)
		prev, tPrev = cur, t
	}
	return sum * EarthAuthalicRadius * EarthAuthalicRadius
}
