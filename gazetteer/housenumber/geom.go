package housenumber

import (
	"math"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// line is a road line in a local plane (metres east and north of its first vertex, scaled
// at its mean latitude: roads are a few kilometres long, where the plane's error is far
// below a house's width), with cumulative lengths.
type line struct {
	pts    orb.LineString
	mx, my float64
	cum    []float64
	total  float64
}

func newLine(pts orb.LineString) *line {
	lat := 0.0
	for _, p := range pts {
		lat += p[1]
	}
	l := &line{pts: pts, cum: make([]float64, len(pts))}
	l.mx, l.my = geo.MetresPerDegree(lat / float64(len(pts)))
	for i := 1; i < len(pts); i++ {
		l.cum[i] = l.cum[i-1] + math.Hypot((pts[i][0]-pts[i-1][0])*l.mx, (pts[i][1]-pts[i-1][1])*l.my)
	}
	l.total = l.cum[len(pts)-1]
	return l
}

// Projection is where a point lies relative to a road, seen from the numbering origin.
type Projection struct {
	AlongM  float64   `json:"along_m"`  // from the numbering origin to the foot of the perpendicular
	OffsetM float64   `json:"offset_m"` // distance from the centre line (geodesic, to the foot)
	Side    string    `json:"side"`     // left | right walking away from the origin
	Foot    orb.Point `json:"foot"`
}

// project projects pt onto the line; the side comes from the sign of the cross product of
// the segment direction and the offset of the point, flipped when numbering starts at the
// last vertex.
func (l *line) project(pt orb.Point, originEnd bool) Projection {
	best, along, cross := math.Inf(1), 0.0, 0.0
	var foot orb.Point
	for i := 0; i+1 < len(l.pts); i++ {
		a, b := l.pts[i], l.pts[i+1]
		ax, ay := (b[0]-a[0])*l.mx, (b[1]-a[1])*l.my
		qx, qy := (pt[0]-a[0])*l.mx, (pt[1]-a[1])*l.my
		f, l2 := 0.0, ax*ax+ay*ay
		if l2 > 0 {
			f = math.Max(0, math.Min(1, (qx*ax+qy*ay)/l2))
		}
		if d := math.Hypot(qx-f*ax, qy-f*ay); d < best {
			best, along, cross = d, l.cum[i]+f*(l.cum[i+1]-l.cum[i]), ax*qy-ay*qx
			foot = orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		}
	}
	left := cross > 0
	if originEnd {
		along, left = l.total-along, !left
	}
	return Projection{AlongM: along, OffsetM: geo.Distance(pt, foot), Side: sideName(left), Foot: foot}
}

// pointAt returns the point alongM metres from the origin, offsetM to the given side.
func (l *line) pointAt(alongM float64, originEnd, left bool, offsetM float64) orb.Point {
	if originEnd {
		alongM, left = l.total-alongM, !left
	}
	alongM = math.Max(0, math.Min(l.total, alongM))
	i := 0
	for i+2 < len(l.pts) && l.cum[i+1] < alongM {
		i++
	}
	a, b := l.pts[i], l.pts[i+1]
	seg := l.cum[i+1] - l.cum[i]
	f := 0.0
	if seg > 0 {
		f = (alongM - l.cum[i]) / seg
	}
	ax, ay := (b[0]-a[0])*l.mx, (b[1]-a[1])*l.my
	n := math.Hypot(ax, ay)
	x, y := a[0]+f*(b[0]-a[0]), a[1]+f*(b[1]-a[1])
	if n == 0 {
		return orb.Point{x, y}
	}
	// left normal (-ay, ax)
	nx, ny := -ay/n, ax/n
	if !left {
		nx, ny = -nx, -ny
	}
	return orb.Point{x + nx*offsetM/l.mx, y + ny*offsetM/l.my}
}
