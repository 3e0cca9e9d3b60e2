package geo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func testGrid() *Grid {
	g := &Grid{West: 119.0, North: 29.0, DX: 0.25, DY: 0.125, Width: 4, Height: 3}
	data := make([]float32, 12)
	for i := range data {
		data[i] = float32(i)
	}
	g.Bands = []Band{{Name: "total", Data: data}, {Name: "age60plus", Data: make([]float32, 12)}}
	return g
}

func TestGridGeometry(t *testing.T) {
	g := testGrid()
	if got, want := g.Bounds(), (orb.Bound{Min: orb.Point{119, 28.625}, Max: orb.Point{120, 29}}); got != want {
		t.Errorf("Bounds = %v, want %v", got, want)
	}
	if got, want := g.CellBounds(1, 2), (orb.Bound{Min: orb.Point{119.25, 28.625}, Max: orb.Point{119.5, 28.75}}); got != want {
		t.Errorf("CellBounds(1,2) = %v, want %v", got, want)
	}
	if got, want := g.CellCenter(0, 0), (orb.Point{119.125, 28.9375}); got != want {
		t.Errorf("CellCenter(0,0) = %v, want %v", got, want)
	}
	tests := []struct {
		p        orb.Point
		col, row int
		ok       bool
	}{
		{orb.Point{119.125, 28.9375}, 0, 0, true},
		{orb.Point{119, 29}, 0, 0, true},           // top-left corner
		{orb.Point{120, 28.625}, 3, 2, true},       // bottom-right corner
		{orb.Point{119.25, 28.9}, 1, 0, true},      // on a vertical edge: the east cell
		{orb.Point{119.1, 28.875}, 0, 1, true},     // on a horizontal edge: the south cell
		{orb.Point{119.99, 28.63}, 3, 2, true},     // last cell
		{orb.Point{118.99, 28.9}, 0, 0, false},     // west
		{orb.Point{120.01, 28.9}, 0, 0, false},     // east
		{orb.Point{119.5, 29.01}, 0, 0, false},     // north
		{orb.Point{119.5, 28.6}, 0, 0, false},      // south
		{orb.Point{math.NaN(), 28.9}, 0, 0, false}, // NaN
	}
	for _, tc := range tests {
		col, row, ok := g.Cell(tc.p)
		if ok != tc.ok || (ok && (col != tc.col || row != tc.row)) {
			t.Errorf("Cell(%v) = %d, %d, %v; want %d, %d, %v", tc.p, col, row, ok, tc.col, tc.row, tc.ok)
		}
	}
	// Every cell centre maps back to its cell.
	for row := 0; row < g.Height; row++ {
		for col := 0; col < g.Width; col++ {
			c, r, ok := g.Cell(g.CellCenter(col, row))
			if !ok || c != col || r != row {
				t.Errorf("Cell(CellCenter(%d,%d)) = %d,%d,%v", col, row, c, r, ok)
			}
			if !g.CellBounds(col, row).Contains(g.CellCenter(col, row)) {
				t.Errorf("CellBounds(%d,%d) does not contain its centre", col, row)
			}
		}
	}
	b, ok := g.Band("total")
	if !ok || b.At(g, 2, 1) != 6 {
		t.Errorf("Band(total) = %v, %v", b, ok)
	}
	if _, ok := g.Band("nope"); ok {
		t.Error("Band(nope) found")
	}
}

func TestGridIsNoData(t *testing.T) {
	g := testGrid()
	if g.IsNoData(-9999) {
		t.Error("IsNoData without HasNoData")
	}
	g.HasNoData, g.NoData = true, -9999
	if !g.IsNoData(-9999) || g.IsNoData(0) {
		t.Error("IsNoData(-9999)")
	}
	g.NoData = -3.4028234663852886e+38
	if !g.IsNoData(-math.MaxFloat32) {
		t.Error("IsNoData(-FLT_MAX)")
	}
	g.NoData = math.NaN()
	if !g.IsNoData(float32(math.NaN())) || g.IsNoData(1) {
		t.Error("IsNoData(NaN)")
	}
}

func TestGridValidate(t *testing.T) {
	if err := testGrid().Validate(); err != nil {
		t.Fatalf("valid grid: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*Grid)
		want   string
	}{
		{"zero width", func(g *Grid) { g.Width = 0 }, "width and height must be positive"},
		{"negative dy", func(g *Grid) { g.DY = -0.125 }, "both must be positive"},
		{"nan west", func(g *Grid) { g.West = math.NaN() }, "West is NaN"},
		{"projected", func(g *Grid) { g.West = 500000; g.North = 3300000; g.DX, g.DY = 100, 100 }, "not a lon/lat grid"},
		{"no bands", func(g *Grid) { g.Bands = nil }, "no bands"},
		{"short band", func(g *Grid) { g.Bands[1].Data = g.Bands[1].Data[:5] }, `band 2 ("age60plus") has 5 values, want 4×3 = 12`},
		{"unnamed", func(g *Grid) { g.Bands[0].Name = "" }, "band 1 has no name"},
		{"duplicate", func(g *Grid) { g.Bands[1].Name = "total" }, `bands 1 and 2 are both named "total"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := testGrid()
			tc.mutate(g)
			err := g.Validate()
			if !errors.Is(err, ErrInvalidGrid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want ErrInvalidGrid containing %q", err, tc.want)
			}
		})
	}
}
