package coverage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// unitFrame is 10 × 10 cells of 1° × 1°: cell (c, r) covers lon [c, c+1], lat [9-r, 10-r].
var unitFrame = Frame{West: 0, North: 10, DX: 1, DY: 1, W: 10, H: 10}

type cell struct{ c, r int }

func zoneCells(z Zone) map[cell]float64 {
	m := map[cell]float64{}
	for _, s := range z.Runs {
		for c := s.Col; c < s.Col+s.N; c++ {
			m[cell{int(c), int(s.Row)}] += 1
		}
	}
	for _, p := range z.Parts {
		m[cell{int(p.Col), int(p.Row)}] += p.Frac
	}
	return m
}

// box is the counter-clockwise ring of [x0, x1] × [y0, y1].
func box(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

// refFraction clips each ring to the cell (Sutherland–Hodgman against a
// rectangle: exact for any simple ring) and adds the signed areas.
func refFraction(mp orb.MultiPolygon, b orb.Bound) float64 {
	var a float64
	for _, p := range mp {
		for _, r := range p {
			a += signedArea(clipRing(r, b))
		}
	}
	return a / ((b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]))
}

// signedArea is the shoelace area, taken relative to the first point to keep
// the cancellation error small far from the origin.
func signedArea(r []orb.Point) float64 {
	if len(r) == 0 {
		return 0
	}
	o := r[0]
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += (r[i][0]-o[0])*(r[j][1]-o[1]) - (r[j][0]-o[0])*(r[i][1]-o[1])
	}
	return s / 2
}

func clipRing(r orb.Ring, b orb.Bound) []orb.Point {
	pts := []orb.Point(r)
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	type side struct {
		in    func(p orb.Point) bool
		cross func(a, c orb.Point) orb.Point
	}
	atX := func(x float64) func(a, c orb.Point) orb.Point {
		return func(a, c orb.Point) orb.Point { return orb.Point{x, a[1] + (x-a[0])*(c[1]-a[1])/(c[0]-a[0])} }
	}
	atY := func(y float64) func(a, c orb.Point) orb.Point {
		return func(a, c orb.Point) orb.Point { return orb.Point{a[0] + (y-a[1])*(c[0]-a[0])/(c[1]-a[1]), y} }
	}
	sides := []side{
		{func(p orb.Point) bool { return p[0] >= b.Min[0] }, atX(b.Min[0])},
		{func(p orb.Point) bool { return p[0] <= b.Max[0] }, atX(b.Max[0])},
		{func(p orb.Point) bool { return p[1] >= b.Min[1] }, atY(b.Min[1])},
		{func(p orb.Point) bool { return p[1] <= b.Max[1] }, atY(b.Max[1])},
	}
	for _, s := range sides {
		var out []orb.Point
		for i := range pts {
			cur, prev := pts[i], pts[(i+len(pts)-1)%len(pts)]
			switch {
			case s.in(cur) && s.in(prev):
				out = append(out, cur)
			case s.in(cur):
				out = append(out, s.cross(prev, cur), cur)
			case s.in(prev):
				out = append(out, s.cross(prev, cur))
			}
		}
		pts = out
		if len(pts) == 0 {
			return nil
		}
	}
	return pts
}

func TestZoneOfHandMade(t *testing.T) {
	tests := []struct {
		name string
		mp   orb.MultiPolygon
		want map[cell]float64
	}{
		{"one whole cell", orb.MultiPolygon{{box(2, 6, 3, 7)}}, map[cell]float64{{2, 3}: 1}},
		{"square over 3×3 cells", orb.MultiPolygon{{box(2.5, 5.5, 4.5, 7.5)}}, map[cell]float64{
			{2, 2}: 0.25, {3, 2}: 0.5, {4, 2}: 0.25,
			{2, 3}: 0.5, {3, 3}: 1, {4, 3}: 0.5,
			{2, 4}: 0.25, {3, 4}: 0.5, {4, 4}: 0.25,
		}},
		{"right triangle along a diagonal", orb.MultiPolygon{{{{1, 1}, {3, 1}, {1, 3}, {1, 1}}}}, map[cell]float64{
			{1, 8}: 1, {2, 8}: 0.5, {1, 7}: 0.5,
		}},
		{"polygon smaller than a cell", orb.MultiPolygon{{box(5.1, 5.1, 5.3, 5.3)}}, map[cell]float64{{5, 4}: 0.04}},
		{"hole of whole cells", orb.MultiPolygon{{box(1, 1, 4, 4), reversed(box(2, 2, 3, 3))}}, map[cell]float64{
			{1, 6}: 1, {2, 6}: 1, {3, 6}: 1,
			{1, 7}: 1, {3, 7}: 1,
			{1, 8}: 1, {2, 8}: 1, {3, 8}: 1,
		}},
		{"hole across four cells", orb.MultiPolygon{{box(1, 1, 4, 4), reversed(box(1.5, 1.5, 2.5, 2.5))}}, map[cell]float64{
			{1, 6}: 1, {2, 6}: 1, {3, 6}: 1,
			{1, 7}: 0.75, {2, 7}: 0.75, {3, 7}: 1,
			{1, 8}: 0.75, {2, 8}: 0.75, {3, 8}: 1,
		}},
		{"reaching west and south of the frame", orb.MultiPolygon{{box(-3, -2, 1.5, 0.5)}}, map[cell]float64{{0, 9}: 0.5, {1, 9}: 0.25}},
		{"two parts", orb.MultiPolygon{{box(0, 9, 1, 10)}, {box(8.5, 0, 9, 1)}}, map[cell]float64{{0, 0}: 1, {8, 9}: 0.5}},
		{"diamond", orb.MultiPolygon{{{{5, 4}, {6, 5}, {5, 6}, {4, 5}, {5, 4}}}}, map[cell]float64{
			{4, 4}: 0.5, {5, 4}: 0.5, {4, 5}: 0.5, {5, 5}: 0.5,
		}},
		{"outside the frame", orb.MultiPolygon{{box(20, 20, 21, 21)}}, map[cell]float64{}},
		{"edges on cell lines, frame-wide", orb.MultiPolygon{{box(0, 0, 10, 10)}}, func() map[cell]float64 {
			m := map[cell]float64{}
			for c := range 10 {
				for r := range 10 {
					m[cell{c, r}] = 1
				}
			}
			return m
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := ZoneOf(unitFrame, tt.mp)
			got := zoneCells(z)
			for k, w := range tt.want {
				if math.Abs(got[k]-w) > 1e-12 {
					t.Errorf("cell %v: fraction %v, want %v", k, got[k], w)
				}
			}
			for k, g := range got {
				if _, ok := tt.want[k]; !ok {
					t.Errorf("cell %v: fraction %v, want none", k, g)
				}
			}
			for _, p := range z.Parts {
				if !(p.Frac > 0 && p.Frac < 1) {
					t.Errorf("part %v has fraction %v outside (0, 1)", p, p.Frac)
				}
			}
		})
	}
}

// randomPolygon is a star-shaped polygon around c (radius r, n vertices), with
// a star-shaped hole when hole is set.
func randomPolygon(rng *rand.Rand, c orb.Point, r float64, n int, hole bool) orb.Polygon {
	ring := func(rad float64, n int) orb.Ring {
		out := make(orb.Ring, 0, n+1)
		for i := range n {
			a := 2 * math.Pi * (float64(i) + 0.8*rng.Float64()) / float64(n)
			d := rad * (0.5 + 0.5*rng.Float64())
			out = append(out, orb.Point{c[0] + d*math.Cos(a), c[1] + d*math.Sin(a)})
		}
		return append(out, out[0])
	}
	p := orb.Polygon{ring(r, n)}
	if hole && n >= 12 { // the shell stays beyond 0.44 r: room for a hole within 0.2 r
		h := ring(r*0.2, n/2+3)
		p = append(p, reversed(h))
	}
	return p
}

func TestZoneOfMatchesClipping(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	f := Frame{West: 119.5, North: 28.5, DX: 1.0 / 1200, DY: 1.0 / 1200, Col0: 100, Row0: 50, W: 60, H: 50}
	for i := range 60 {
		c := f.Center(rng.IntN(f.W), rng.IntN(f.H))
		c[0] += (rng.Float64() - 0.5) * f.DX
		c[1] += (rng.Float64() - 0.5) * f.DY
		rad := f.DX * (0.3 + 25*rng.Float64())
		mp := orb.MultiPolygon{randomPolygon(rng, c, rad, 3+rng.IntN(40), i%3 == 0)}
		got := zoneCells(ZoneOf(f, mp))
		var area float64
		for col := range f.W {
			for row := range f.H {
				want := refFraction(mp, f.CellBounds(col, row))
				if math.Abs(got[cell{col, row}]-want) > 1e-9 {
					t.Fatalf("polygon %d cell (%d, %d): fraction %.12f, clipping gives %.12f", i, col, row, got[cell{col, row}], want)
				}
				area += want
			}
		}
		// Where the polygon lies wholly on the frame, the fractions add up to its area.
		b := mp.Bound()
		fb := f.CellBounds(0, 0).Union(f.CellBounds(f.W-1, f.H-1))
		if fb.Contains(b.Min) && fb.Contains(b.Max) {
			if want := planar.Area(mp) / (f.DX * f.DY); math.Abs(area-want) > 1e-7*max(1, want) {
				t.Errorf("polygon %d: area %v cells, want %v", i, area, want)
			}
		}
	}
}

func TestZoneTilingAddsUp(t *testing.T) {
	// Two polygons sharing a jagged boundary tile a rectangle: every cell's
	// fractions add up to its share inside the rectangle.
	cut := orb.LineString{{2.3, 0.2}, {3.7, 2.9}, {2.2, 4.1}, {4.9, 6.6}, {3.3, 9.6}}
	left := orb.Ring{{0.2, 0.2}}
	left = append(left, cut...)
	left = append(left, orb.Point{0.2, 9.6}, orb.Point{0.2, 0.2})
	right := orb.Ring{{9.7, 0.2}, {9.7, 9.6}}
	for i := len(cut) - 1; i >= 0; i-- {
		right = append(right, cut[i])
	}
	right = append(right, orb.Point{9.7, 0.2})
	// left is counter-clockwise? Normalize both to be sure.
	a := zoneCells(ZoneOf(unitFrame, NormalizeOrientation(orb.MultiPolygon{{left}})))
	b := zoneCells(ZoneOf(unitFrame, NormalizeOrientation(orb.MultiPolygon{{right}})))
	rect := orb.MultiPolygon{{box(0.2, 0.2, 9.7, 9.6)}}
	for c := range 10 {
		for r := range 10 {
			k := cell{c, r}
			want := refFraction(rect, unitFrame.CellBounds(c, r))
			if got := a[k] + b[k]; math.Abs(got-want) > 1e-12 {
				t.Errorf("cell %v: %v + %v = %v, want %v", k, a[k], b[k], got, want)
			}
		}
	}
}

func TestNormalizeOrientation(t *testing.T) {
	cw := reversed(box(1, 1, 4, 4))
	ccwHole := box(2, 2, 3, 3)
	mp := NormalizeOrientation(orb.MultiPolygon{{cw, ccwHole}})
	if mp[0][0].Orientation() != orb.CCW || mp[0][1].Orientation() != orb.CW {
		t.Fatalf("orientation not fixed: %v %v", mp[0][0].Orientation(), mp[0][1].Orientation())
	}
	if got := zoneCells(ZoneOf(unitFrame, mp)); len(got) != 8 {
		t.Errorf("got %d cells, want 8: %v", len(got), got)
	}
	if cw.Orientation() != orb.CW {
		t.Error("input modified")
	}
}

func TestFrameCell(t *testing.T) {
	f := Frame{West: 100, North: 30, DX: 0.5, DY: 0.25, Col0: 2, Row0: 4, W: 3, H: 2}
	for _, tt := range []struct {
		p    orb.Point
		c, r int
		ok   bool
	}{
		{orb.Point{101.1, 28.9}, 0, 0, true},
		{orb.Point{102.49, 28.51}, 2, 1, true},
		{orb.Point{102.5, 28.5}, 2, 1, true}, // east and south edges belong to the last cells
		{orb.Point{100.9, 28.9}, 0, 0, false},
	} {
		c, r, ok := f.Cell(tt.p)
		if ok != tt.ok || (ok && (c != tt.c || r != tt.r)) {
			t.Errorf("Cell(%v) = %d, %d, %v; want %d, %d, %v", tt.p, c, r, ok, tt.c, tt.r, tt.ok)
		}
		if ok {
			if !f.CellBounds(c, r).Contains(tt.p) {
				t.Errorf("cell bounds %v do not contain %v", f.CellBounds(c, r), tt.p)
			}
		}
	}
	_ = fmt.Sprint
}
