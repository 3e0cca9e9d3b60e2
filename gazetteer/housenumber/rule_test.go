package housenumber

import (
	"testing"

	"github.com/paulmach/orb"
)

// Expected values below are worked out by hand from the compass directions: walking east,
// north is on the left; walking north, west is on the left.

func beijing() Preset {
	return Preset{Name: "beijing", Origin: "compass", EWFrom: "east", EWOdd: "north", NSFrom: "north", NSOdd: "west",
		OddSide: "left", LanesFromEntrance: true, LaneOdd: "right", StepM: 1}
}

func TestBeijingPreset(t *testing.T) {
	none := Context{Entrance: -1}
	for _, c := range []struct {
		name        string
		line        orb.LineString
		ctx         Context
		origin, odd string
	}{
		// drawn west→east: numbers start at the east (last) vertex; walking west, north is on the right
		{"ew drawn eastwards", orb.LineString{{120, 28}, {120.01, 28.001}}, none, "end", "right"},
		// drawn east→west: the first vertex is the east end; walking west, north is right
		{"ew drawn westwards", orb.LineString{{120.01, 28}, {120, 28}}, none, "start", "right"},
		// drawn south→north: numbers start at the north (last) vertex; walking south, west is right
		{"ns drawn northwards", orb.LineString{{120, 28}, {120.001, 28.01}}, none, "end", "right"},
		// drawn north→south: first vertex is north; walking south, west is right
		{"ns drawn southwards", orb.LineString{{120, 28.01}, {120, 28}}, none, "start", "right"},
		// curved: the ends decide (mostly east–west overall, with a northward bend)
		{"ew curved", orb.LineString{{120, 28}, {120.004, 28.003}, {120.01, 28.002}}, none, "end", "right"},
		// a dead-end lane entered at its last vertex: from the entrance, odd on the right
		{"lane", orb.LineString{{120, 28}, {120.003, 28}}, Context{Entrance: 1}, "end", "right"},
		{"lane entered at start", orb.LineString{{120, 28}, {120.003, 28}}, Context{Entrance: 0}, "start", "right"},
	} {
		r := beijing().Resolve(c.line, c.ctx)
		if r.Origin != c.origin || r.OddSide != c.odd {
			t.Errorf("%s: got origin %s odd %s, want %s %s (%s)", c.name, r.Origin, r.OddSide, c.origin, c.odd, r.Explain)
		}
	}
	// West→east numbering with odd numbers on the south: drawn eastwards, start; walking
	// east, south is on the right.
	p := beijing()
	p.EWFrom, p.EWOdd = "west", "south"
	if r := p.Resolve(orb.LineString{{120, 28}, {120.01, 28}}, none); r.Origin != "start" || r.OddSide != "right" {
		t.Errorf("west→east, odd south: %+v", r)
	}
	// South→north numbering with odd numbers on the east: drawn northwards, start; walking north, east is right.
	p = beijing()
	p.NSFrom, p.NSOdd = "south", "east"
	if r := p.Resolve(orb.LineString{{120, 28}, {120, 28.01}}, none); r.Origin != "start" || r.OddSide != "right" {
		t.Errorf("south→north, odd east: %+v", r)
	}
}

func TestCentreAndStartPresets(t *testing.T) {
	centre := Preset{Name: "centre", Origin: "centre", OddSide: "left", StepM: 1}
	line := orb.LineString{{120, 28}, {120.01, 28}}
	if r := centre.Resolve(line, Context{Entrance: -1, Centre: orb.Point{120.02, 28}, HasCentre: true}); r.Origin != "end" || r.OddSide != "left" {
		t.Errorf("centre east of the road: %+v", r)
	}
	if r := centre.Resolve(line, Context{Entrance: -1, Centre: orb.Point{119.99, 28.01}, HasCentre: true}); r.Origin != "start" {
		t.Errorf("centre west of the road: %+v", r)
	}
	metric := Preset{Name: "metric", Origin: "start", OddSide: "right", Metric: true, StepM: 2}
	if r := metric.Resolve(line, Context{Entrance: -1}); r.Origin != "start" || r.OddSide != "right" || !r.Metric || r.StepM != 2 {
		t.Errorf("metric: %+v", r)
	}
}

// One degree of longitude at 28°N on WGS84 is 111412.84 cos φ − 93.5 cos 3φ + 0.118 cos 5φ
// = 98360.6 m; one of latitude 111132.92 − 559.82 cos 2φ + 1.175 cos 4φ = 110819.4 m.
const mLon28, mLat28 = 98360.6, 110819.4

func TestSuggestStraight(t *testing.T) {
	line := orb.LineString{{120, 28}, {120.01, 28}}
	north := orb.Point{120.001, 28.0002} // 98.36 m along, on the left walking east
	south := orb.Point{120.001, 27.9998}
	seq := OverrideRule("start", "left", false, false, 1)
	for _, c := range []struct {
		name   string
		r      Rule
		pt     orb.Point
		number int
	}{
		{"sequential left", seq, north, 13},                                              // 98.36/15 = 6.56 → pair 7 → odd 13
		{"sequential right", seq, south, 14},                                             // even of pair 7
		{"metric step 1 left", OverrideRule("start", "left", false, true, 1), north, 99}, // 98.36 → 98 is even → 99
		{"metric step 1 right", OverrideRule("start", "left", false, true, 1), south, 98},
		{"metric step 5 left", OverrideRule("start", "left", false, true, 5), north, 19}, // 19.67 → 20 even → 19
		{"from the end", OverrideRule("end", "left", false, false, 1), south, 65},        // 983.6−98.4 = 885.2 m: pair 60 → walking west, south is left → odd 119? see below
		{"one-sided", OverrideRule("start", "left", true, false, 1), south, 13},
	} {
		if c.name == "from the end" {
			// 0.009° × 98360.6 = 885.2 m from the east end: pair ⌊885.2/15⌋+1 = 60; walking
			// west the south side is on the left, the odd side: 2·60−1 = 119.
			c.number = 119
		}
		s := Suggest(c.r, line, nil, c.pt)
		if s.Number != c.number || s.Suffix != "" {
			t.Errorf("%s: got %d%s, want %d (%v)", c.name, s.Number, s.Suffix, c.number, s.Explain)
		}
	}
	if s := Suggest(seq, line, nil, north); s.AlongM < 98.3 || s.AlongM > 98.4 || s.Side != "left" {
		t.Errorf("projection: %+v (want 98.36 m, left)", s.Projection)
	}
}

func TestSuggestCurved(t *testing.T) {
	// east 0.001°, then north 0.001°; the point is 0.0005° up the second leg, east of it:
	// along = 98.36 + 55.41 = 153.77 m → pair 11; walking north, east is on the right → even 22.
	line := orb.LineString{{120, 28}, {120.001, 28}, {120.001, 28.001}}
	s := Suggest(OverrideRule("start", "left", false, false, 1), line, nil, orb.Point{120.0012, 28.0005})
	if s.Number != 22 || s.Side != "right" || s.AlongM < 153.5 || s.AlongM > 154.1 {
		t.Errorf("curved: %d, %s, %.2f m (%v)", s.Number, s.Side, s.AlongM, s.Explain)
	}
}

func TestSuggestNeighboursAndSuffixes(t *testing.T) {
	line := orb.LineString{{120, 28}, {120.01, 28}}
	r := OverrideRule("start", "left", false, false, 1)
	at := func(id int64, n int, lonOff float64) Existing {
		return Existing{ID: id, Number: n, Point: orb.Point{120 + lonOff, 28.0002}}
	}
	// Neighbours 11 at 78.7 m and 17 at 118 m; the rule gives 13 at 98.36 m, free → 13.
	ex := []Existing{at(1, 11, 0.0008), at(2, 17, 0.0012)}
	pt := orb.Point{120.001, 28.0002}
	if s := Suggest(r, line, ex, pt); s.Number != 13 || s.Lower == nil || s.Lower.Number != 11 || s.Upper.Number != 17 {
		t.Errorf("between 11 and 17: %d%s (%v)", s.Number, s.Suffix, s.Explain)
	}
	// 13 is taken elsewhere: the next free between 11 and 17 is 15.
	if s := Suggest(r, line, append(ex, at(3, 13, 0.005)), pt); s.Number != 15 {
		t.Errorf("13 taken: %d%s", s.Number, s.Suffix)
	}
	// Neighbours 11 and 13 leave no odd number between them: 11甲, then 11乙.
	ex = []Existing{at(1, 11, 0.0008), at(2, 13, 0.0012)}
	if s := Suggest(r, line, ex, pt); s.Number != 11 || s.Suffix != "甲" {
		t.Errorf("between 11 and 13: %d%s", s.Number, s.Suffix)
	}
	ex = append(ex, Existing{ID: 3, Number: 11, Suffix: "甲", Point: orb.Point{120.0009, 28.0002}})
	if s := Suggest(r, line, ex, pt); s.Number != 11 || s.Suffix != "乙" {
		t.Errorf("11甲 taken: %d%s", s.Number, s.Suffix)
	}
	// Before number 1 with nothing below: 1之一.
	ex = []Existing{at(1, 1, 0.0005)}
	if s := Suggest(r, line, ex, orb.Point{120.0001, 28.0002}); s.Number != 1 || s.Suffix != "之一" {
		t.Errorf("before 1: %d%s", s.Number, s.Suffix)
	}
	// The rule says 13 but the lower neighbour is already 21: the next free above it.
	ex = []Existing{at(1, 21, 0.0005), at(2, 31, 0.002)}
	if s := Suggest(r, line, ex, pt); s.Number != 23 {
		t.Errorf("after 21: %d%s", s.Number, s.Suffix)
	}
}
