package locate

import (
	"math"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/snapshot"
)

// House-number interpolation (门牌插值). Where a road has house numbers on record, a
// number is placed by them: the record itself when it exists, else linearly by along-road
// position between the nearest recorded numbers of the same parity below and above it.
// Where a road has no record near the number, the numbering rule of the road gives the
// position: numbers grow away from the road's numbering origin, one pair (odd + even) per
// PairSpacingM metres, odd numbers on the road's odd side and even ones opposite, one-sided
// roads odd numbers only, one per PairSpacingM. Number n is placed at the middle of its
// pair's stretch, SetbackM metres off the centre line. This is the rule the demo data
// generator numbers its buildings by; a deployment with other spacing can change the
// constants. A road with metric numbering (numbering_metric) places number n at n × step
// metres. Numbers beyond the road's end are clamped to the end and flagged.

// PairSpacingM is the along-road length given to one pair of numbers.
const PairSpacingM = 15.0

// SetbackM is how far from the centre line a house is placed.
const SetbackM = 15.0

// NumberAt is the house number the rule gives at alongM metres from the origin on the
// given side.
func NumberAt(r *snapshot.Road, alongM float64, left bool) int {
	odd := r.OneSided || left == r.OddLeft
	if r.Metric && r.StepM > 0 { // metric numbering: metres / step, to the side's parity
		x := math.Max(0, alongM) / r.StepM
		n := int(math.Round(x))
		if (n%2 == 1) != odd {
			if x >= float64(n) {
				n++
			} else {
				n--
			}
		}
		if n < 1 {
			n = map[bool]int{true: 1, false: 2}[odd]
		}
		return n
	}
	pair := int(math.Max(0, alongM)/PairSpacingM) + 1
	if odd {
		return 2*pair - 1
	}
	return 2 * pair
}

// ruleAlong is where the rule puts number n: metres from the origin and the side.
func ruleAlong(r *snapshot.Road, n int) (alongM float64, left bool) {
	pair := (n + 1) / 2
	alongM = (float64(pair) - 0.5) * PairSpacingM
	if r.Metric && r.StepM > 0 {
		alongM = float64(n) * r.StepM
	}
	odd := n%2 == 1
	left = odd == r.OddLeft
	if r.OneSided {
		left = r.OddLeft
	}
	return alongM, left
}

// Placement is where a house number lies on a road.
type Placement struct {
	Point     orb.Point
	Precision string // house_number (a record) | interpolated (between records) | road_rule (numbering rule)
	House     int32  // the record, when Precision is house_number
	Beyond    bool   // the number lies beyond the road's end (clamped)
	AlongM    float64
}

// PlaceNumber places house number n (with suffix) on road ri as of day.
func (ix *Index) PlaceNumber(ri int32, n int, suffix string, day snapshot.Day) Placement {
	r := &ix.data.Roads[ri]
	type known struct {
		along float64
		num   int
		pt    orb.Point
	}
	var below, above *known
	for _, hi := range ix.HousesOf(r.ID) {
		h := &ix.data.Houses[hi]
		if h.From > day || day >= h.To {
			continue
		}
		if h.Number == n && h.Suffix == suffix {
			return Placement{Point: h.Point, Precision: "house_number", House: hi}
		}
		if h.Number%2 != n%2 || h.Suffix != "" {
			continue
		}
		if h.Number < n && (below == nil || h.Number > below.num) {
			below = &known{num: h.Number, pt: h.Point}
		}
		if h.Number > n && (above == nil || h.Number < above.num) {
			above = &known{num: h.Number, pt: h.Point}
		}
	}
	if below != nil && above != nil {
		pb, _ := ix.project(ri, below.pt)
		pa, _ := ix.project(ri, above.pt)
		f := float64(n-below.num) / float64(above.num-below.num)
		along := pb + f*(pa-pb)
		// The side and setback follow the neighbours: interpolate their points.
		p := orb.Point{below.pt[0] + f*(above.pt[0]-below.pt[0]), below.pt[1] + f*(above.pt[1]-below.pt[1])}
		return Placement{Point: p, Precision: "interpolated", House: -1, AlongM: along}
	}
	along, left := ruleAlong(r, n)
	pl := Placement{Precision: "road_rule", House: -1}
	if total := ix.roads[ri].total; along > total {
		along, pl.Beyond = total, true
	}
	off := SetbackM
	if !left {
		off = -off
	}
	pl.AlongM = along
	pl.Point = ix.PointAlong(ri, along, off)
	return pl
}

// project returns the along-road metres (from the numbering origin) of the foot of pt on road ri.
func (ix *Index) project(ri int32, pt orb.Point) (float64, bool) {
	r := &ix.data.Roads[ri]
	g := &ix.roads[ri]
	mx, my := metresPerDeg(pt[1])
	best, bestAlong, left := math.Inf(1), 0.0, false
	for i := 0; i+1 < len(r.Line); i++ {
		a, b := r.Line[i], r.Line[i+1]
		ax, ay := (b[0]-a[0])*mx, (b[1]-a[1])*my
		qx, qy := (pt[0]-a[0])*mx, (pt[1]-a[1])*my
		f, l2 := 0.0, ax*ax+ay*ay
		if l2 > 0 {
			f = math.Max(0, math.Min(1, (qx*ax+qy*ay)/l2))
		}
		if d := math.Hypot(qx-f*ax, qy-f*ay); d < best {
			best, bestAlong, left = d, g.cum[i]+f*(g.cum[i+1]-g.cum[i]), ax*qy-ay*qx > 0
		}
	}
	if r.OriginEnd {
		return g.total - bestAlong, !left
	}
	return bestAlong, left
}

// HighestNumber is the highest number the rule gives on the road (for messages).
func (ix *Index) HighestNumber(ri int32) int {
	r := &ix.data.Roads[ri]
	n := NumberAt(r, ix.roads[ri].total, !r.OddLeft)
	if r.OneSided {
		n = NumberAt(r, ix.roads[ri].total, r.OddLeft)
	}
	return n
}
