package topology

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// orient is the sign of the turn a→b→c: 1 counter-clockwise, -1 clockwise,
// 0 collinear. The floating-point determinant is trusted when it exceeds
// Shewchuk's error bound; otherwise the sign is computed exactly.
func orient(a, b, c orb.Point) int {
	if c == a || c == b || a == b {
		return 0
	}
	detl := (a[0] - c[0]) * (b[1] - c[1])
	detr := (a[1] - c[1]) * (b[0] - c[0])
	det := detl - detr
	bound := 3.3306690738754716e-16 * (math.Abs(detl) + math.Abs(detr))
	if det > bound {
		return 1
	}
	if -det > bound {
		return -1
	}
	return orientExact(a, b, c)
}

func orientExact(a, b, c orb.Point) int {
	const prec = 2200 // enough for any difference and product of float64s
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }
	sub := func(x, y float64) *big.Float { return new(big.Float).SetPrec(prec).Sub(f(x), f(y)) }
	l := new(big.Float).SetPrec(prec).Mul(sub(a[0], c[0]), sub(b[1], c[1]))
	r := new(big.Float).SetPrec(prec).Mul(sub(a[1], c[1]), sub(b[0], c[0]))
	return l.Sub(l, r).Sign()
}

// between reports whether p, known to be collinear with segment ab, lies
// strictly inside it.
func between(a, b, p orb.Point) bool {
	if p == a || p == b {
		return false
	}
	if a[0] != b[0] {
		return (a[0] < p[0]) == (p[0] < b[0]) && p[0] != a[0] && p[0] != b[0]
	}
	return (a[1] < p[1]) == (p[1] < b[1]) && p[1] != a[1] && p[1] != b[1]
}

// param is the position of p along ab, increasing from a to b.
func param(a, b, p orb.Point) float64 {
	if math.Abs(b[0]-a[0]) >= math.Abs(b[1]-a[1]) {
		return (p[0] - a[0]) / (b[0] - a[0])
	}
	return (p[1] - a[1]) / (b[1] - a[1])
}

// crossPoint is the intersection of segments ab and cd, known to cross
// properly, clamped to both bounding boxes.
func crossPoint(a, b, c, d orb.Point) orb.Point {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	t := ((c[0]-a[0])*sy - (c[1]-a[1])*sx) / den
	p := orb.Point{a[0] + t*rx, a[1] + t*ry}
	for k := 0; k < 2; k++ {
		lo := math.Max(math.Min(a[k], b[k]), math.Min(c[k], d[k]))
		hi := math.Min(math.Max(a[k], b[k]), math.Max(c[k], d[k]))
		p[k] = math.Max(lo, math.Min(hi, p[k]))
	}
	return p
}
