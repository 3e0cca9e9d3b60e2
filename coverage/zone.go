package coverage

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Frame is a window of a grid: window cell (c, r), 0 ≤ c < W, 0 ≤ r < H, is grid
// cell (Col0+c, Row0+r) of a north-up lon/lat grid whose top-left corner is
// (West, North) and whose cells are DX × DY degrees. Arrays over a frame are
// row-major: index r*W + c.
type Frame struct {
	West, North, DX, DY float64
	Col0, Row0, W, H    int
}

// Len is the number of cells of the frame.
func (f Frame) Len() int { return f.W * f.H }

// Center returns the centre of window cell (c, r), computed exactly as
// geo.Grid.CellCenter computes it for the grid cell.
func (f Frame) Center(c, r int) orb.Point {
	return orb.Point{f.West + (float64(f.Col0+c)+0.5)*f.DX, f.North - (float64(f.Row0+r)+0.5)*f.DY}
}

// CellBounds returns the extent of window cell (c, r) (as geo.Grid.CellBounds).
func (f Frame) CellBounds(c, r int) orb.Bound {
	w := f.West + float64(f.Col0+c)*f.DX
	n := f.North - float64(f.Row0+r)*f.DY
	return orb.Bound{Min: orb.Point{w, n - f.DY}, Max: orb.Point{w + f.DX, n}}
}

// Cell returns the window cell holding p (cells are half-open like geo.Grid.Cell:
// [west, east) × (south, north]); ok is false outside the frame.
func (f Frame) Cell(p orb.Point) (c, r int, ok bool) {
	x := (p[0]-f.West)/f.DX - float64(f.Col0)
	y := (f.North-p[1])/f.DY - float64(f.Row0)
	if !(x >= 0 && y >= 0 && x <= float64(f.W) && y <= float64(f.H)) {
		return 0, 0, false
	}
	c, r = min(int(x), f.W-1), min(int(y), f.H-1)
	return c, r, true
}

// Span is a run of N whole cells (fraction 1) of window row Row from column Col.
type Span struct{ Row, Col, N int32 }

// Part is one window cell that a zone covers partly: Frac in (0, 1).
type Part struct {
	Row, Col int32
	Frac     float64
}

// Zone is the compact exact raster form of a polygon on a Frame: the cells it
// covers wholly, as runs, and the cells its boundary crosses, with the fraction
// of each cell's area (planar, in lon/lat degrees) inside the polygon. A cell
// covered by no Span and no Part is outside. Summing a grid over a zone weights
// each cell by its fraction, so that zones that tile a region add up to the grid
// total inside the region.
type Zone struct {
	Runs  []Span
	Parts []Part
	// Overlap is set when parts of the polygon overlap each other (an invalid
	// MultiPolygon); overlapping area is counted once.
	Overlap bool
}

// Area returns the area of the zone in cells.
func (z *Zone) Area() float64 {
	var a float64
	for _, r := range z.Runs {
		a += float64(r.N)
	}
	for _, p := range z.Parts {
		a += p.Frac
	}
	return a
}

// Empty reports whether the zone covers no cell of its frame.
func (z *Zone) Empty() bool { return len(z.Runs) == 0 && len(z.Parts) == 0 }

// fracEps is the snapping tolerance of fractions (in cells): a cell whose
// fraction is within it of 0 or 1 counts as outside or whole. 1e-9 of a cell is
// far below a person of any population grid.
const fracEps = 1e-9

// ZoneOf computes the zone of polygon mp on frame f.
//
// The method is the exact one of exactextract, arranged as a scanline sweep:
// every ring is walked once through the cells it crosses. Each piece of an edge
// inside one cell adds, to that cell, the signed area between the piece and the
// cell's east side, and to the cell east of it the rest of the piece's height;
// summed west to east along a row these deposits give every cell the area of
// the polygon inside it (Green's theorem: the area right of each boundary piece,
// signed by its direction, is the winding number integrated over the cell). The
// cells between the deposits of a row are wholly inside or outside and become
// runs, so the work is proportional to the boundary, not to the area. Rings must
// follow RFC 7946 orientation (outer counter-clockwise, holes clockwise), as
// importers/parse returns them; NormalizeOrientation fixes others.
func ZoneOf(f Frame, mp orb.MultiPolygon) Zone {
	b := zoneBuilder{f: f}
	ox := f.West + float64(f.Col0)*f.DX
	oy := f.North - float64(f.Row0)*f.DY
	for _, poly := range mp {
		for _, ring := range poly {
			n := len(ring)
			if n < 2 {
				continue
			}
			px, py := (ring[0][0]-ox)/f.DX, (oy-ring[0][1])/f.DY
			for i := 1; i <= n; i++ {
				q := ring[i%n]
				if i == n && ring[0] == ring[n-1] {
					break // closed ring: the last edge already ended at the first point
				}
				qx, qy := (q[0]-ox)/f.DX, (oy-q[1])/f.DY
				b.edge(px, py, qx, qy)
				px, py = qx, qy
			}
		}
	}
	return b.finish()
}

type deposit struct {
	row, col int32
	v        float64
}

type zoneBuilder struct {
	f    Frame
	deps []deposit
}

func (b *zoneBuilder) add(row, col int, v float64) {
	if v == 0 || col >= b.f.W {
		return
	}
	if col < 0 {
		col = -1
	}
	b.deps = append(b.deps, deposit{int32(row), int32(col), v})
}

// edge walks the edge (x0,y0)→(x1,y1), in window cell units (y grows south),
// row by row.
func (b *zoneBuilder) edge(x0, y0, x1, y1 float64) {
	if y0 == y1 || math.IsNaN(x0+y0+x1+y1) {
		return // horizontal edges enclose no area between themselves and the east
	}
	sgn := 1.0
	ylo, yhi := y0, y1
	if y1 < y0 {
		sgn, ylo, yhi = -1, y1, y0
	}
	rlo := max(int(math.Floor(ylo)), 0)
	rhi := min(int(math.Ceil(yhi))-1, b.f.H-1)
	slope := (x1 - x0) / (y1 - y0)
	xAt := func(y float64) float64 {
		switch y {
		case y0:
			return x0
		case y1:
			return x1
		}
		return x0 + (y-y0)*slope
	}
	for r := rlo; r <= rhi; r++ {
		ya, yb := max(ylo, float64(r)), min(yhi, float64(r+1))
		if yb <= ya {
			continue
		}
		b.piece(r, xAt(ya), xAt(yb), sgn*(yb-ya))
	}
}

// piece deposits a piece of an edge lying within row r, from x = xa to x = xb,
// of signed height dy.
func (b *zoneBuilder) piece(r int, xa, xb, dy float64) {
	lo, hi := xa, xb
	if hi < lo {
		lo, hi = hi, lo
	}
	w := float64(b.f.W)
	if hi <= 0 { // wholly west of the frame: the whole height counts for every cell of the row
		b.add(r, -1, dy)
		return
	}
	if lo >= w {
		return // wholly east of the frame: no cell of the frame lies east of it
	}
	if lo == hi {
		c := int(math.Floor(lo))
		b.add(r, c, dy*(float64(c+1)-lo))
		b.add(r, c+1, dy*(lo-float64(c)))
		return
	}
	span := hi - lo
	if lo < 0 { // the part west of the frame
		b.add(r, -1, dy*(-lo)/span)
	}
	clo := max(int(math.Floor(lo)), 0)
	chi := min(int(math.Ceil(hi))-1, b.f.W-1)
	for c := clo; c <= chi; c++ {
		a, e := max(lo, float64(c)), min(hi, float64(c+1))
		if e <= a {
			continue
		}
		d := dy * (e - a) / span
		mid := (a + e) / 2
		b.add(r, c, d*(float64(c+1)-mid))
		b.add(r, c+1, d*(mid-float64(c)))
	}
}

func (b *zoneBuilder) finish() Zone {
	var z Zone
	if len(b.deps) == 0 {
		return z
	}
	// Counting sort by row, then each row by column (rows hold few deposits).
	rmin, rmax := b.deps[0].row, b.deps[0].row
	for _, d := range b.deps {
		rmin, rmax = min(rmin, d.row), max(rmax, d.row)
	}
	start := make([]int, int(rmax-rmin)+2)
	for _, d := range b.deps {
		start[d.row-rmin+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	sorted := make([]deposit, len(b.deps))
	next := slices.Clone(start)
	for _, d := range b.deps {
		k := d.row - rmin
		sorted[next[k]] = d
		next[k]++
	}
	b.deps = nil
	for k := 0; k+1 < len(start); k++ {
		row := sorted[start[k]:start[k+1]]
		if len(row) == 0 {
			continue
		}
		slices.SortFunc(row, func(a, b deposit) int { return int(a.col - b.col) })
		z.emitRow(row, b.f.W)
	}
	return z
}

// emitRow turns the sorted deposits of one row into runs and parts.
func (z *Zone) emitRow(row []deposit, width int) {
	r := row[0].row
	s := 0.0
	for i := 0; i < len(row); {
		c := row[i].col
		for i < len(row) && row[i].col == c {
			s += row[i].v
			i++
		}
		end := int32(width)
		if i < len(row) {
			end = row[i].col
		}
		from := max(c, 0)
		if end <= from {
			continue
		}
		v := s
		switch {
		case math.Abs(v) < fracEps:
			continue
		case math.Abs(v-1) < fracEps:
			if n := len(z.Runs); n > 0 && z.Runs[n-1].Row == r && z.Runs[n-1].Col+z.Runs[n-1].N == from {
				z.Runs[n-1].N += end - from
			} else {
				z.Runs = append(z.Runs, Span{Row: r, Col: from, N: end - from})
			}
			continue
		case v > 1:
			z.Overlap = true
			z.Runs = append(z.Runs, Span{Row: r, Col: from, N: end - from})
			continue
		case v < 0:
			// A hole outside its shell or a clockwise shell: nothing is inside.
			continue
		}
		for col := from; col < end; col++ {
			z.Parts = append(z.Parts, Part{Row: r, Col: col, Frac: v})
		}
	}
}

// NormalizeOrientation returns mp with RFC 7946 ring orientation: the first ring
// of each polygon counter-clockwise, the others clockwise. Rings are copied only
// when reversed.
func NormalizeOrientation(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		q := make(orb.Polygon, len(p))
		for j, r := range p {
			o := r.Orientation()
			if (j == 0 && o == orb.CW) || (j > 0 && o == orb.CCW) {
				r = slices.Clone(r)
				r.Reverse()
			}
			q[j] = r
		}
		out[i] = q
	}
	return out
}
