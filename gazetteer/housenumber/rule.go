// Package housenumber keeps 门牌 house numbers along roads: numbering rules (a road's own
// override or a bureau preset resolved from the road's geometry), suggesting the number of
// a new building at a point, assigning, retiring and renumbering numbers with lineage, and
// the validation report (parity on the wrong side, order, duplicates, gaps, points far from
// their road or outside its township).
package housenumber

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Rule is the effective numbering rule of a road.
type Rule struct {
	Origin   string  `json:"origin"`   // start | end: the vertex numbers grow from
	OddSide  string  `json:"odd_side"` // left | right, walking away from the origin
	OneSided bool    `json:"one_sided"`
	Metric   bool    `json:"metric"` // number = metres along the road / step, to the side's parity
	StepM    float64 `json:"step_m"`
	Override bool    `json:"override"`         // the road's own rule, not a preset
	Preset   string  `json:"preset,omitempty"` // the preset followed (when not an override)
	Explain  string  `json:"explain"`
}

// Preset is a numbering preset (numbering_preset row).
type Preset struct {
	Name              string   `json:"name"`
	Title             string   `json:"title"`
	Origin            string   `json:"origin"` // compass | centre | start
	EWFrom            string   `json:"ew_from"`
	EWOdd             string   `json:"ew_odd"`
	NSFrom            string   `json:"ns_from"`
	NSOdd             string   `json:"ns_odd"`
	OddSide           string   `json:"odd_side"`
	LanesFromEntrance bool     `json:"lanes_from_entrance"`
	LaneOdd           string   `json:"lane_odd"`
	CentreLon         *float64 `json:"centre_lon,omitempty"`
	CentreLat         *float64 `json:"centre_lat,omitempty"`
	Metric            bool     `json:"metric"`
	StepM             float64  `json:"step_m"`
	Default           bool     `json:"is_default"`
	Note              string   `json:"note"`
}

// Context is what resolving a preset needs to know about a road besides its line.
type Context struct {
	// Entrance of a dead-end lane: 0 the first vertex, 1 the last, -1 not a dead end.
	Entrance int
	// Centre is the point "from the end nearest the centre" measures from (the preset's
	// centre, else the centroid of the road's county); ok false when none is known.
	Centre    orb.Point
	HasCentre bool
	OneSided  bool
}

// localDir returns the east and north metres from the first to the last vertex.
func localDir(line orb.LineString) (east, north float64) {
	a, b := line[0], line[len(line)-1]
	mx, my := geo.MetresPerDegree((a[1] + b[1]) / 2)
	return (b[0] - a[0]) * mx, (b[1] - a[1]) * my
}

// Resolve gives the rule preset p assigns to a road with the given line.
func (p Preset) Resolve(line orb.LineString, c Context) Rule {
	r := Rule{Metric: p.Metric, StepM: p.StepM, Preset: p.Name, OneSided: c.OneSided}
	if r.StepM <= 0 {
		r.StepM = 1
	}
	east, north := localDir(line)
	// walking from the origin, dEast/dNorth is the direction; left = (-dNorth, dEast).
	fromStart := func(start bool) (float64, float64) {
		if start {
			return east, north
		}
		return -east, -north
	}
	switch {
	case p.LanesFromEntrance && c.Entrance >= 0:
		r.Origin = map[bool]string{true: "start", false: "end"}[c.Entrance == 0]
		r.OddSide = p.LaneOdd
		r.Explain = fmt.Sprintf("preset %s: dead-end lane numbered from its entrance, odd numbers on the %s", p.Name, p.LaneOdd)
	case p.Origin == "compass" && math.Abs(east) >= math.Abs(north):
		start := (east < 0) == (p.EWFrom == "east") // the first vertex is the east end when the line runs west
		r.Origin = map[bool]string{true: "start", false: "end"}[start]
		dE, _ := fromStart(start)
		northLeft := dE > 0 // walking east, north is on the left
		r.OddSide = sideName((p.EWOdd == "north") == northLeft)
		other := map[string]string{"east": "west", "west": "east"}[p.EWFrom]
		r.Explain = fmt.Sprintf("preset %s: east–west road numbered %s→%s, odd numbers on the %s side", p.Name, p.EWFrom, other, p.EWOdd)
	case p.Origin == "compass":
		start := (north < 0) == (p.NSFrom == "north")
		r.Origin = map[bool]string{true: "start", false: "end"}[start]
		_, dN := fromStart(start)
		westLeft := dN > 0 // walking north, west is on the left
		r.OddSide = sideName((p.NSOdd == "west") == westLeft)
		other := map[string]string{"north": "south", "south": "north"}[p.NSFrom]
		r.Explain = fmt.Sprintf("preset %s: north–south road numbered %s→%s, odd numbers on the %s side", p.Name, p.NSFrom, other, p.NSOdd)
	case p.Origin == "centre" && c.HasCentre:
		start := geo.Distance(line[0], c.Centre) <= geo.Distance(line[len(line)-1], c.Centre)
		r.Origin = map[bool]string{true: "start", false: "end"}[start]
		r.OddSide = p.OddSide
		r.Explain = fmt.Sprintf("preset %s: numbered from the end nearest the centre, odd numbers on the %s", p.Name, p.OddSide)
	default:
		r.Origin, r.OddSide = "start", p.OddSide
		r.Explain = fmt.Sprintf("preset %s: numbered from the road's first vertex, odd numbers on the %s", p.Name, p.OddSide)
	}
	if r.Metric {
		r.Explain += fmt.Sprintf("; metric: number = metres along the road / %g", r.StepM)
	}
	return r
}

func sideName(left bool) string {
	if left {
		return "left"
	}
	return "right"
}

// OverrideRule is a road's own rule.
func OverrideRule(origin, oddSide string, oneSided, metric bool, stepM float64) Rule {
	r := Rule{Origin: origin, OddSide: oddSide, OneSided: oneSided, Metric: metric, StepM: stepM, Override: true}
	if r.StepM <= 0 {
		r.StepM = 1
	}
	r.Explain = fmt.Sprintf("road's own rule: numbered from its %s vertex, odd numbers on the %s", map[string]string{"start": "first", "end": "last"}[origin], oddSide)
	if oneSided {
		r.Explain += ", one-sided (odd numbers only)"
	}
	if metric {
		r.Explain += fmt.Sprintf("; metric: number = metres along the road / %g", r.StepM)
	}
	return r
}

// PairSpacingM is the along-road length of one odd/even pair under sequential numbering
// (the same as gazetteer/locate's, which places numbers by it).
const PairSpacingM = 15.0

// Parity returns whether numbers on the given side are odd under r.
func (r Rule) Parity(left bool) (odd bool) {
	return r.OneSided || sideName(left) == r.OddSide
}

// IdealNumber is the number the rule gives at alongM metres from the origin with the
// given parity: sequential numbering gives one pair per PairSpacingM; metric numbering the
// metres / step rounded to the nearest number of the parity (at least 1 or 2).
func (r Rule) IdealNumber(alongM float64, odd bool) int {
	alongM = math.Max(0, alongM)
	if !r.Metric {
		pair := int(alongM/PairSpacingM) + 1
		if odd {
			return 2*pair - 1
		}
		return 2 * pair
	}
	x := alongM / r.StepM
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
