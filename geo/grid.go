package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Grid is an in-memory raster in EPSG:4326 (WGS84/CGCS2000 lon/lat), north
// up, pixel-is-area: cell (col, row) covers
// [West+col·DX, West+(col+1)·DX] × [North-(row+1)·DY, North-row·DY].
// It holds population layers (total, 0–17, 60+, ...) as float32 bands.
type Grid struct {
	West, North   float64 // top-left corner of the top-left cell, degrees
	DX, DY        float64 // cell size in degrees, both positive; rows go south
	Width, Height int
	Bands         []Band
	NoData        float64 // valid when HasNoData
	HasNoData     bool
}

// Band is one layer of a Grid: Data is row-major, len = Width*Height.
type Band struct {
	Name string
	Data []float32
}

// At returns the value of cell (col, row); it panics when out of range like
// a slice index.
func (b *Band) At(g *Grid, col, row int) float32 { return b.Data[row*g.Width+col] }

// CellBounds returns the extent of cell (col, row).
func (g *Grid) CellBounds(col, row int) orb.Bound {
	w := g.West + float64(col)*g.DX
	n := g.North - float64(row)*g.DY
	return orb.Bound{Min: orb.Point{w, n - g.DY}, Max: orb.Point{w + g.DX, n}}
}

// CellCenter returns the centre of cell (col, row).
func (g *Grid) CellCenter(col, row int) orb.Point {
	return orb.Point{g.West + (float64(col)+0.5)*g.DX, g.North - (float64(row)+0.5)*g.DY}
}

// Cell returns the cell containing p; ok is false when p is outside the
// grid. Cells are half-open [west, east) × (south, north], except that the
// grid's east and south edges belong to the last column and row.
func (g *Grid) Cell(p orb.Point) (col, row int, ok bool) {
	if g.DX <= 0 || g.DY <= 0 || g.Width <= 0 || g.Height <= 0 {
		return 0, 0, false
	}
	fx := (p[0] - g.West) / g.DX
	fy := (g.North - p[1]) / g.DY
	if !(fx >= 0 && fy >= 0) { // also rejects NaN
		return 0, 0, false
	}
	fw, fh := float64(g.Width), float64(g.Height)
	if fx > fw || fy > fh {
		return 0, 0, false
	}
	col, row = int(math.Floor(fx)), int(math.Floor(fy))
	if col == g.Width {
		col--
	}
	if row == g.Height {
		row--
	}
	return col, row, true
}

// Band returns the band with the given name.
func (g *Grid) Band(name string) (*Band, bool) {
	for i := range g.Bands {
		if g.Bands[i].Name == name {
			return &g.Bands[i], true
		}
	}
	return nil, false
}

// Bounds returns the extent of the whole grid.
func (g *Grid) Bounds() orb.Bound {
	return orb.Bound{
		Min: orb.Point{g.West, g.North - float64(g.Height)*g.DY},
		Max: orb.Point{g.West + float64(g.Width)*g.DX, g.North},
	}
}

// IsNoData reports whether v is the grid's nodata value (NaN counts as nodata
// when NoData is NaN).
func (g *Grid) IsNoData(v float32) bool {
	if !g.HasNoData {
		return false
	}
	if math.IsNaN(g.NoData) {
		return v != v
	}
	return float64(v) == g.NoData || v == float32(g.NoData)
}

// ErrInvalidGrid is wrapped by every error Validate returns.
var ErrInvalidGrid = errors.New("invalid grid")

// Validate checks the grid's shape and georeferencing: positive size and
// cell size, finite corner within lon/lat range, at least one band, band
// lengths equal to Width*Height, and distinct non-empty band names.
func (g *Grid) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidGrid, fmt.Sprintf(format, a...))
	}
	if g.Width <= 0 || g.Height <= 0 {
		return bad("size %d×%d: width and height must be positive", g.Width, g.Height)
	}
	if g.Width > math.MaxInt32 || g.Height > math.MaxInt32 || int64(g.Width)*int64(g.Height) > math.MaxInt32*4 {
		return bad("size %d×%d is too large", g.Width, g.Height)
	}
	for _, v := range []struct {
		name string
		v    float64
	}{{"DX", g.DX}, {"DY", g.DY}, {"West", g.West}, {"North", g.North}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return bad("%s is %v", v.name, v.v)
		}
	}
	if g.DX <= 0 || g.DY <= 0 {
		return bad("cell size %v×%v degrees: both must be positive (rows go south)", g.DX, g.DY)
	}
	b := g.Bounds()
	const eps = 1e-9
	if b.Min[0] < -180-eps || b.Max[0] > 180+eps || b.Min[1] < -90-eps || b.Max[1] > 90+eps {
		// 360° + one cell is allowed for global grids that overlap the antimeridian.
		if b.Min[0] < -180-g.DX-eps || b.Max[0] > 180+g.DX+eps || b.Min[1] < -90-eps || b.Max[1] > 90+eps {
			return bad("extent lon %v..%v, lat %v..%v is outside [-180, 180] × [-90, 90] (not a lon/lat grid?)",
				b.Min[0], b.Max[0], b.Min[1], b.Max[1])
		}
	}
	if len(g.Bands) == 0 {
		return bad("no bands")
	}
	n := g.Width * g.Height
	seen := make(map[string]int, len(g.Bands))
	for i, band := range g.Bands {
		if len(band.Data) != n {
			return bad("band %d (%q) has %d values, want %d×%d = %d", i+1, band.Name, len(band.Data), g.Width, g.Height, n)
		}
		if band.Name == "" {
			return bad("band %d has no name", i+1)
		}
		if j, dup := seen[band.Name]; dup {
			return bad("bands %d and %d are both named %q", j+1, i+1, band.Name)
		}
		seen[band.Name] = i
	}
	return nil
}
