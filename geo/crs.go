package geo

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// CRS identifies one of the geographic coordinate systems met in Chinese map
// data. Every CRS is lon/lat in degrees.
type CRS int

const (
	// WGS84 is EPSG:4326, the CRS used everywhere inside Fangyuan.
	WGS84 CRS = iota
	// CGCS2000 is EPSG:4490. Its ellipsoid and frame differ from WGS84 by
	// centimetres, so it is treated as equal to WGS84.
	CGCS2000
	// GCJ02 is the obfuscated "Mars" system of the national survey bureau
	// (国测局), used by Amap (高德) and Tencent maps.
	GCJ02
	// BD09 is Baidu's system: a further offset applied on top of GCJ-02
	// (bd09ll, degrees; not the Baidu Mercator bd09mc).
	BD09
)

var crsNames = [...]string{WGS84: "wgs84", CGCS2000: "cgcs2000", GCJ02: "gcj02", BD09: "bd09"}

// String returns the lower-case name accepted by ParseCRS.
func (c CRS) String() string {
	if c >= 0 && int(c) < len(crsNames) {
		return crsNames[c]
	}
	return fmt.Sprintf("CRS(%d)", int(c))
}

// ParseCRS parses a CRS name: wgs84, cgcs2000, gcj02, bd09, EPSG:4326 or
// EPSG:4490, case-insensitively. Surrounding blanks and the common spellings
// with a dash or underscore (gcj-02, bd_09, wgs-84) are accepted too.
func ParseCRS(s string) (CRS, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", "", "_", "", " ", "").Replace(k)
	switch k {
	case "wgs84", "epsg:4326", "epsg4326", "4326":
		return WGS84, nil
	case "cgcs2000", "epsg:4490", "epsg4490", "4490":
		return CGCS2000, nil
	case "gcj02":
		return GCJ02, nil
	case "bd09", "bd09ll":
		return BD09, nil
	}
	return 0, fmt.Errorf("unknown coordinate system %q: valid values are wgs84, cgcs2000, gcj02, bd09, EPSG:4326, EPSG:4490", s)
}

// ToWGS84 converts p from c to WGS84.
func (c CRS) ToWGS84(p orb.Point) orb.Point {
	switch c {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return BD09ToWGS84(p)
	default:
		return p
	}
}

// FromWGS84 converts the WGS84 point p to c.
func (c CRS) FromWGS84(p orb.Point) orb.Point {
	switch c {
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return WGS84ToBD09(p)
	default:
		return p
	}
}

// The GCJ-02 algorithm as circulated in the public implementations
// (eviltransform, coordtransform): Krasovsky-1940 semi-major axis and
// eccentricity, a fixed trigonometric offset field, and a rectangle outside of
// which points are left unchanged.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
	bdXPi = math.Pi * 3000.0 / 180.0
)

// OutOfChina reports whether p lies outside the rectangle in which GCJ-02 and
// BD-09 apply their offsets (lon 72.004–137.8347, lat 0.8293–55.8271, the
// rectangle every public implementation uses). Points outside it are the
// same in all four coordinate systems.
func OutOfChina(p orb.Point) bool {
	lon, lat := p[0], p[1]
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

// gcjDelta returns the GCJ-02 offset (dlon, dlat) in degrees at the WGS84
// position (lon, lat), without the out-of-China test.
func gcjDelta(lon, lat float64) (dlon, dlat float64) {
	x, y := lon-105.0, lat-35.0
	sx, sy := x*math.Pi, y*math.Pi
	common := (20.0*math.Sin(6.0*sx) + 20.0*math.Sin(2.0*sx)) * 2.0 / 3.0
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) +
		common +
		(20.0*math.Sin(sy)+40.0*math.Sin(sy/3.0))*2.0/3.0 +
		(160.0*math.Sin(sy/12.0)+320.0*math.Sin(sy/30.0))*2.0/3.0
	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) +
		common +
		(20.0*math.Sin(sx)+40.0*math.Sin(sx/3.0))*2.0/3.0 +
		(150.0*math.Sin(sx/12.0)+300.0*math.Sin(sx/30.0))*2.0/3.0

	rad := lat * math.Pi / 180.0
	s := math.Sin(rad)
	magic := 1 - gcjEE*s*s
	sqrtMagic := math.Sqrt(magic)
	dlat = dLat * 180.0 / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dlon = dLon * 180.0 / (gcjA / sqrtMagic * math.Cos(rad) * math.Pi)
	return dlon, dlat
}

func wgsToGCJRaw(p orb.Point) orb.Point {
	dlon, dlat := gcjDelta(p[0], p[1])
	return orb.Point{p[0] + dlon, p[1] + dlat}
}

// WGS84ToGCJ02 converts a WGS84 point to GCJ-02. Points outside China are
// returned unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return wgsToGCJRaw(p)
}

// GCJ02ToWGS84 converts a GCJ-02 point to WGS84. The forward transform has no
// closed-form inverse, so it is inverted by fixed-point iteration: the
// offset field is smooth and varies slowly (its Jacobian is ~1e-4), so every
// step gains about four decimal digits; the result reproduces the GCJ-02
// input to better than 1e-10 degrees (about 0.01 mm). Points outside China
// are returned unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	w := p
	for i := 0; i < 30; i++ {
		g := wgsToGCJRaw(w)
		ex, ey := g[0]-p[0], g[1]-p[1]
		w[0] -= ex
		w[1] -= ey
		if math.Abs(ex) < 1e-12 && math.Abs(ey) < 1e-12 {
			break
		}
	}
	return w
}

func gcjToBDRaw(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Hypot(x, y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// GCJ02ToBD09 converts a GCJ-02 point to Baidu BD-09 (bd09ll). Points outside
// China are returned unchanged.
func GCJ02ToBD09(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return gcjToBDRaw(p)
}

// BD09ToGCJ02 converts a Baidu BD-09 (bd09ll) point to GCJ-02. It starts from
// Baidu's published approximate inverse and refines it by fixed-point
// iteration on the forward transform, so BD09ToGCJ02(GCJ02ToBD09(p)) == p to
// ~1e-12 degrees. Points outside China are returned unchanged.
func BD09ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Hypot(x, y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	g := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	for i := 0; i < 10; i++ {
		b := gcjToBDRaw(g)
		ex, ey := b[0]-p[0], b[1]-p[1]
		g[0] -= ex
		g[1] -= ey
		if math.Abs(ex) < 1e-12 && math.Abs(ey) < 1e-12 {
			break
		}
	}
	return g
}

// WGS84ToBD09 converts a WGS84 point to Baidu BD-09 (via GCJ-02).
func WGS84ToBD09(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return GCJ02ToBD09(WGS84ToGCJ02(p))
}

// BD09ToWGS84 converts a Baidu BD-09 point to WGS84 (via GCJ-02).
func BD09ToWGS84(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return GCJ02ToWGS84(BD09ToGCJ02(p))
}
