package topology_test

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"fangyuan/geo"
	"fangyuan/geo/topology"
)

// Walking along a line, its left unit is on the left: a point 2 m to the
// left of the middle of each piece's middle segment lies in the left unit
// and one 2 m to the right in the right unit (orb's planar point-in-polygon,
// not the package's). Ids depend on the codes alone, names on the names.
func TestBoundaryLeftRightAndIDs(t *testing.T) {
	us := demoUnits(t, "villages")
	byCode := map[string]topology.Unit{}
	for _, u := range us {
		byCode[u.Code] = u
	}
	lines, _, err := topology.Derive(us, topology.Options{Level: "village"})
	if err != nil {
		t.Fatal(err)
	}
	side := func(a, b orb.Point, m float64) orb.Point {
		mid := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		kx, ky := geo.MetresPerDegree(mid[1])
		dx, dy := (b[0]-a[0])*kx, (b[1]-a[1])*ky
		l := math.Hypot(dx, dy)
		return orb.Point{mid[0] - m*dy/l/kx, mid[1] + m*dx/l/ky} // m > 0: left
	}
	checked := 0
	for _, l := range lines {
		left, right := byCode[l.LeftCode], byCode[l.RightCode]
		if l.ID != topology.LineID("village", l.LeftCode, l.RightCode) || l.Name != left.Name+"—"+right.Name+"线" || l.Level != "village" {
			t.Errorf("line %+v", l)
		}
		for _, piece := range l.Geom {
			var a, b orb.Point
			for k := len(piece) / 2; k < len(piece) && k > 0; k++ {
				a, b = piece[k-1], piece[k]
				if geo.Distance(a, b) > 20 {
					break
				}
			}
			if geo.Distance(a, b) <= 20 {
				continue
			}
			if !planar.MultiPolygonContains(left.Geom, side(a, b, 2)) || !planar.MultiPolygonContains(right.Geom, side(a, b, -2)) {
				t.Errorf("line %s: %s not on the left or %s not on the right", l.ID, l.LeftCode, l.RightCode)
			}
			checked++
		}
	}
	if checked < len(lines) {
		t.Errorf("checked %d pieces of %d lines", checked, len(lines))
	}

	// slightly edited polygons (every vertex moved up to 3 m): same ids
	edited := cloneUnits(us)
	jitter(edited, 3, 99)
	again, _, err := topology.Derive(edited, topology.Options{Level: "village"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range lines {
		ids[l.ID] = true
	}
	for _, l := range again {
		if !ids[l.ID] {
			t.Errorf("edited polygons: new line %s %s|%s", l.ID, l.LeftCode, l.RightCode)
		}
		delete(ids, l.ID)
	}
	if len(ids) > 0 {
		t.Errorf("edited polygons: %d lines lost", len(ids))
	}
}

func TestTopologyBadInput(t *testing.T) {
	sq := func(x float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x, 30}, {x + 0.1, 30}, {x + 0.1, 30.1}, {x, 30.1}, {x, 30}}}}
	}
	cases := []struct {
		units []topology.Unit
		opt   topology.Options
		want  string
	}{
		{[]topology.Unit{{Code: "1", Geom: sq(120)}, {Code: "1", Geom: sq(121)}}, topology.Options{}, "duplicate code 1"},
		{[]topology.Unit{{Code: "", Geom: sq(120)}}, topology.Options{}, "empty code"},
		{[]topology.Unit{{Code: "1"}}, topology.Options{}, "1: no polygons"},
		{[]topology.Unit{{Code: "1", Geom: orb.MultiPolygon{{{{120, 30}, {120.1, 30}, {120, 30}}}}}}, topology.Options{}, "fewer than 3 distinct points"},
		{[]topology.Unit{{Code: "1", Geom: orb.MultiPolygon{{{{120, 30}, {120.1, 95}, {120.1, 30.1}, {120, 30}}}}}}, topology.Options{}, "latitude 95 out of range"},
		{[]topology.Unit{{Code: "1", Geom: sq(120)}}, topology.Options{ToleranceM: -1}, "tolerance"},
	}
	for _, c := range cases {
		_, _, err := topology.Derive(c.units, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Derive: %v, want %q", err, c.want)
		}
		if _, err := topology.Check(c.units, nil, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check: %v, want %q", err, c.want)
		}
	}
	if _, err := topology.Check([]topology.Unit{{Code: "1", Geom: sq(120)}}, []topology.Unit{{Code: "p"}}, topology.Options{}); err == nil || !strings.Contains(err.Error(), "parent p: no polygons") {
		t.Errorf("bad parent: %v", err)
	}
}
