package locate

import (
	"math"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/snapshot"
)

// NearestHouseOnSide returns the house number nearest to pt within maxM metres valid on
// day that lies on road ri on the given side (left walking away from the numbering
// origin): reverse geocoding names the number on the side of the street the point is on,
// not a nearer one across the road. ri < 0, or no number there: the nearest of any road.
func (ix *Index) NearestHouseOnSide(pt orb.Point, day snapshot.Day, maxM float64, ri int32, left bool) (int32, float64, bool) {
	if ri < 0 {
		return ix.NearestHouse(pt, day, maxM)
	}
	r := &ix.data.Roads[ri]
	mx, my := metresPerDeg(pt[1])
	best, bestD := int32(-1), math.Inf(1)
	for _, hi := range ix.HousesOf(r.ID) {
		h := &ix.data.Houses[hi]
		if h.From > day || day >= h.To {
			continue
		}
		d := math.Hypot((h.Point[0]-pt[0])*mx, (h.Point[1]-pt[1])*my)
		if d > maxM || d >= bestD {
			continue
		}
		if _, l := ix.project(ri, h.Point); l != left {
			continue
		}
		best, bestD = hi, d
	}
	if best < 0 {
		return ix.NearestHouse(pt, day, maxM)
	}
	return best, bestD, true
}
