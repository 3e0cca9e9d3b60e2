package coverage

import (
	"math"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Read-only views of a prepared Region and the straight-line cell rule, for
// planning tools (coverage/plan) that place new facilities on the engine's
// terms without re-implementing its geometry.

// TownshipZones returns the zones of the region's townships on Frame, in the
// order of Townships. The slice is shared: callers must not modify it.
func (reg *Region) TownshipZones() []Zone { return reg.tZones }

// VillageCenters returns each village's representative point (InteriorPoint),
// in the order of Villages; nil when the region has no villages.
func (reg *Region) VillageCenters() []orb.Point { return reg.villageCenter }

// VillageTownship returns the index in Townships of the township holding
// village i's representative point, or -1.
func (reg *Region) VillageTownship(i int) int { return reg.villageTownship[i] }

// DiscCells calls fn(i) for every window cell i (index r*W + c of f) whose
// centre lies within radius metres of p, geodesic distance on the WGS84
// ellipsoid: exactly the cells Straight{Radius: radius} reaches from p.
func DiscCells(f Frame, p orb.Point, radius float64, fn func(i int)) {
	if !(radius > 0) {
		return
	}
	slack := distSlack(radius, p[1])
	_, my := geo.MetresPerDegree(p[1])
	dlat := (radius+slack)/my*1.01 + f.DY
	r0 := max(int(math.Ceil((f.North-(p[1]+dlat))/f.DY-0.5))-f.Row0, 0)
	r1 := min(int(math.Floor((f.North-(p[1]-dlat))/f.DY-0.5))-f.Row0, f.H-1)
	inner := radius - slack
	for r := r0; r <= r1; r++ {
		lat := f.North - (float64(f.Row0+r)+0.5)*f.DY
		mx, my := geo.MetresPerDegree((lat + p[1]) / 2)
		dy := (lat - p[1]) * my
		if math.Abs(dy) > radius+slack {
			continue
		}
		half := math.Sqrt((radius+slack)*(radius+slack)-dy*dy) / mx
		c0 := max(int(math.Ceil((p[0]-half-f.West)/f.DX-0.5))-f.Col0, 0)
		c1 := min(int(math.Floor((p[0]+half-f.West)/f.DX-0.5))-f.Col0, f.W-1)
		base := r * f.W
		for c := c0; c <= c1; c++ {
			lon := f.West + (float64(f.Col0+c)+0.5)*f.DX
			dx := (lon - p[0]) * mx
			d := math.Sqrt(dx*dx + dy*dy)
			if d > inner {
				if d > radius+slack {
					continue
				}
				if geo.Distance(p, orb.Point{lon, lat}) > radius {
					continue
				}
			}
			fn(base + c)
		}
	}
}
