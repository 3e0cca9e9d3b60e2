package locate_test

import (
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/snapshot"
)

// Reverse geocoding names the nearest number on the point's side of the street, even when
// a number across the road is nearer. Distances by hand: 1e-5° of latitude ≈ 1.108 m.
func TestReverseSameSide(t *testing.T) {
	road := snapshot.Road{ID: 1, Name: "人民路", Line: orb.LineString{{120, 28}, {120.01, 28}}, OddLeft: true, LengthM: 983.6}
	houses := []snapshot.House{
		// 12: south (right, even side), 9 m from the point below (0.00008° = 8.9 m)
		{ID: 10, RoadID: 1, Number: 12, Point: orb.Point{120.001, 27.99995}, To: snapshot.Forever},
		// 13: north (left, odd side), 13 m from the point (0.00012° = 13.3 m)
		{ID: 11, RoadID: 1, Number: 13, Point: orb.Point{120.001, 28.00015}, To: snapshot.Forever},
	}
	ix := locate.New(snapshot.NewData(nil, []snapshot.Road{road}, houses, nil))
	pt := orb.Point{120.001, 28.00003} // 3.3 m north of the centre line
	a := ix.Reverse(pt, snapshot.Day(20000))
	if a.Road == nil || a.Road.Side != "left" {
		t.Fatalf("road: %+v", a.Road)
	}
	if a.House == nil || a.House.Number != 13 {
		t.Fatalf("house: %+v, want 13 on the same (north) side", a.House)
	}
	// South of the line: 12.
	if a = ix.Reverse(orb.Point{120.001, 27.99998}, snapshot.Day(20000)); a.House == nil || a.House.Number != 12 {
		t.Fatalf("south: %+v", a.House)
	}
	// The plain nearest number (any side) is 12 from the north point: the side matters.
	if hi, _, ok := ix.NearestHouse(pt, snapshot.Day(20000), 100); !ok || houses[hi].Number != 12 {
		t.Fatalf("nearest regardless of side should be 12")
	}
}

// Metric numbering: number n lies n × step metres from the origin on its parity's side,
// and the number at a point is its metres / step rounded to the side's parity.
func TestMetricNumbering(t *testing.T) {
	road := snapshot.Road{ID: 1, Name: "人民路", Line: orb.LineString{{120, 28}, {120.01, 28}}, OddLeft: true, Metric: true, StepM: 1}
	ix := locate.New(snapshot.NewData(nil, []snapshot.Road{road}, nil, nil))
	// 98.36 m along (0.001° at 28°N = 98.36 m): odd on the left → 99, even on the right → 98
	if n := locate.NumberAt(&road, 98.36, true); n != 99 {
		t.Fatalf("left: %d", n)
	}
	if n := locate.NumberAt(&road, 98.36, false); n != 98 {
		t.Fatalf("right: %d", n)
	}
	pl := ix.PlaceNumber(0, 99, "", snapshot.Day(20000))
	if pl.Precision != "road_rule" || pl.AlongM < 98.9 || pl.AlongM > 99.1 || pl.Point[1] <= 28 {
		t.Fatalf("placement of 99: %+v (want 99 m along, north of the road)", pl)
	}
	if pl = ix.PlaceNumber(0, 98, "", snapshot.Day(20000)); pl.Point[1] >= 28 {
		t.Fatalf("98 should be south of the road: %+v", pl)
	}
}
