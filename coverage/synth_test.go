package coverage

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// synthSpec describes a synthetic study area: a population grid, townships
// that tile an irregular region exactly (blocks of a jittered lattice, shared
// boundaries with identical vertices, some with enclaves (holes) and some in two
// parts), and facilities.
type synthSpec struct {
	seed uint64
	// Grid.
	west, north, cell float64 // degrees; cell = DX = DY
	width, height     int
	// Blocks: nbx × nby blocks of bw × bh degrees from (x0, y0) (south-west),
	// each side cut into k lattice steps; townships are `townships` blocks
	// chosen around the middle (a blob), enclaves and two-part townships added.
	x0, y0, bw, bh float64
	nbx, nby, k    int
	townships      int
	enclaves       int // blocks that get an enclave township (a hole)
	twoPart        int // pairs of blocks merged into one MultiPolygon township
	// Population per cell: lognormal by block, 0 outside the region unless
	// outsidePop.
	meanPop    float64
	empty      float64 // share of cells left empty (fields, water)
	outsidePop bool
	// Facilities, placed in random chosen blocks; a share planned/closed.
	facilities        int
	notOperating      float64
	outsideFacilities int
}

type synthData struct {
	grid       *geo.Grid
	townships  []Unit
	facilities []Facility
}

// synthesize builds the data of s (deterministic for a seed).
func synthesize(s synthSpec) *synthData {
	rng := rand.New(rand.NewPCG(s.seed, 0x5eed))
	nx, ny := s.nbx*s.k+1, s.nby*s.k+1
	sx, sy := s.bw/float64(s.k), s.bh/float64(s.k)
	// Jittered lattice vertices, rounded to whole microdegrees like real data.
	vert := make([]orb.Point, nx*ny)
	for j := range ny {
		for i := range nx {
			// The outer edge of the lattice stays straight.
			jx, jy := (rng.Float64()-0.5)*0.6*sx, (rng.Float64()-0.5)*0.6*sy
			if i == 0 || i == nx-1 {
				jx = 0
			}
			if j == 0 || j == ny-1 {
				jy = 0
			}
			x := s.x0 + float64(i)*sx + jx
			y := s.y0 + float64(j)*sy + jy
			vert[j*nx+i] = orb.Point{math.Round(x*1e6) / 1e6, math.Round(y*1e6) / 1e6}
		}
	}
	v := func(i, j int) orb.Point { return vert[j*nx+i] }
	// ringOf walks the lattice rectangle [i0, i1] × [j0, j1] counter-clockwise.
	ringOf := func(i0, j0, i1, j1 int) orb.Ring {
		var r orb.Ring
		for i := i0; i < i1; i++ {
			r = append(r, v(i, j0))
		}
		for j := j0; j < j1; j++ {
			r = append(r, v(i1, j))
		}
		for i := i1; i > i0; i-- {
			r = append(r, v(i, j1))
		}
		for j := j1; j > j0; j-- {
			r = append(r, v(i0, j))
		}
		return append(r, r[0])
	}
	// Choose the blocks: nearest to the middle by a noisy elliptic distance.
	type blk struct {
		bx, by int
		d      float64
	}
	var blocks []blk
	for by := range s.nby {
		for bx := range s.nbx {
			dx := (float64(bx) + 0.5 - float64(s.nbx)/2) / float64(s.nbx)
			dy := (float64(by) + 0.5 - float64(s.nby)/2) / float64(s.nby)
			blocks = append(blocks, blk{bx, by, math.Hypot(dx, dy*1.2) * (0.75 + 0.5*rng.Float64())})
		}
	}
	slices.SortFunc(blocks, func(a, b blk) int { return cmp.Compare(a.d, b.d) })
	n := min(s.townships, len(blocks))
	blocks = blocks[:n]
	slices.SortFunc(blocks, func(a, b blk) int { return cmp.Or(cmp.Compare(a.by, b.by), cmp.Compare(a.bx, b.bx)) })

	d := &synthData{}
	county := fmt.Sprintf("33%02d%02d", 1+s.seed%90, 1+s.seed%7)
	code := func(i int) string { return fmt.Sprintf("%s%03d", county, i+1) }
	chosen := map[[2]int]int{}
	for i, b := range blocks {
		i0, j0 := b.bx*s.k, b.by*s.k
		poly := orb.Polygon{ringOf(i0, j0, i0+s.k, j0+s.k)}
		d.townships = append(d.townships, Unit{Code: code(i), Name: fmt.Sprintf("合成乡镇%d", i+1), Geometry: orb.MultiPolygon{poly}})
		chosen[[2]int{b.bx, b.by}] = i
	}
	// Enclaves: a lattice rectangle strictly inside a block becomes its own
	// township, and a hole of the block's.
	for e, try := 0, 0; e < s.enclaves && s.k >= 4 && try < 100*s.enclaves; try++ {
		t := rng.IntN(len(blocks))
		if len(d.townships[t].Geometry[0]) > 1 {
			continue
		}
		b := blocks[t]
		a0 := 1 + rng.IntN(s.k/2-1)
		c0 := 1 + rng.IntN(s.k/2-1)
		a1 := a0 + 1 + rng.IntN(s.k-1-a0-1+1)
		c1 := c0 + 1 + rng.IntN(s.k-1-c0-1+1)
		a1, c1 = min(a1, s.k-1), min(c1, s.k-1)
		if a1 <= a0 || c1 <= c0 {
			continue
		}
		ring := ringOf(b.bx*s.k+a0, b.by*s.k+c0, b.bx*s.k+a1, b.by*s.k+c1)
		hole := slices.Clone(ring)
		slices.Reverse(hole)
		d.townships[t].Geometry[0] = append(d.townships[t].Geometry[0], hole)
		d.townships = append(d.townships, Unit{Code: code(len(d.townships)), Name: fmt.Sprintf("合成飞地%d", e+1), Geometry: orb.MultiPolygon{{ring}}})
		e++
	}
	// Two-part townships: merge a block into another non-adjacent one.
	for p, try := 0, 0; p < s.twoPart && try < 100*s.twoPart; try++ {
		a, b := rng.IntN(len(blocks)), rng.IntN(len(blocks))
		ba, bb := blocks[a], blocks[b]
		if a == b || abs(ba.bx-bb.bx)+abs(ba.by-bb.by) < 3 || d.townships[a].Geometry == nil || d.townships[b].Geometry == nil {
			continue
		}
		d.townships[a].Geometry = append(d.townships[a].Geometry, d.townships[b].Geometry...)
		d.townships[b].Geometry = nil
		p++
	}
	d.townships = slices.DeleteFunc(d.townships, func(u Unit) bool { return u.Geometry == nil })

	// Population.
	g := &geo.Grid{West: s.west, North: s.north, DX: s.cell, DY: s.cell, Width: s.width, Height: s.height}
	data := make([]float32, s.width*s.height)
	density := make([]float64, s.nbx*s.nby)
	for i := range density {
		density[i] = s.meanPop * math.Exp(rng.NormFloat64()*0.8-0.32)
	}
	for r := range s.height {
		lat := s.north - (float64(r)+0.5)*s.cell
		by := int(math.Floor((lat - s.y0) / s.bh))
		for c := range s.width {
			lon := s.west + (float64(c)+0.5)*s.cell
			bx := int(math.Floor((lon - s.x0) / s.bw))
			_, in := chosen[[2]int{bx, by}]
			if !in && !s.outsidePop {
				continue
			}
			base := s.meanPop * 0.3
			if bx >= 0 && by >= 0 && bx < s.nbx && by < s.nby {
				base = density[by*s.nbx+bx]
			}
			if s.empty > 0 && rng.Float64() < s.empty {
				continue
			}
			data[r*s.width+c] = float32(math.Round(base*2*rng.Float64()*100) / 100)
		}
	}
	g.Bands = []geo.Band{{Name: "total", Data: data}}

	// Facilities.
	for i := range s.facilities + s.outsideFacilities {
		var p orb.Point
		if i < s.facilities {
			b := blocks[rng.IntN(len(blocks))]
			p = orb.Point{s.x0 + (float64(b.bx)+0.1+0.8*rng.Float64())*s.bw, s.y0 + (float64(b.by)+0.1+0.8*rng.Float64())*s.bh}
		} else { // outside every block but on the grid
			p = orb.Point{s.x0 - 0.3*s.bw*rng.Float64(), s.y0 + rng.Float64()*float64(s.nby)*s.bh}
		}
		status := StatusOperating
		if rng.Float64() < s.notOperating {
			status = []string{StatusPlanned, StatusClosed}[rng.IntN(2)]
		}
		beds := 20 + rng.IntN(300)
		d.facilities = append(d.facilities, Facility{
			ID: fmt.Sprintf("S-%05d", i+1), Name: fmt.Sprintf("合成设施%d", i+1),
			Location: orb.Point{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}, Status: status, Beds: &beds,
		})
	}
	d.grid = g
	return d
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// smallSynth is a randomized test case: about 40 townships on a 3″ grid.
func smallSynth(seed uint64) synthSpec {
	rng := rand.New(rand.NewPCG(seed, 1))
	cell := 1.0 / 1200
	return synthSpec{
		seed: seed,
		west: 120.0, north: 29.0, cell: cell, width: 260, height: 220,
		x0: 120.0 + 6.3*cell, y0: 29.0 - 212.6*cell, bw: 30.7 * cell, bh: 27.9 * cell,
		nbx: 8, nby: 7, k: 5 + rng.IntN(8),
		townships: 30 + rng.IntN(20), enclaves: 3, twoPart: 2,
		meanPop: 10, empty: 0.15, outsidePop: seed%2 == 0,
		facilities: 10 + rng.IntN(40), notOperating: 0.1, outsideFacilities: 2,
	}
}

// provinceSynth is the Zhejiang-sized benchmark input: a 3″ grid over
// 118–123°E, 27–31.5°N (6000 × 5400 cells), 1,364 townships (1,354 blocks of
// 0.08° × 0.08° ≈ 9,200 cells, 64 lattice steps a side, plus 20 enclaves, minus
// 10 merged into two-part townships; ≈ 12.5 M populated cells), 25,000
// facilities.
func provinceSynth() synthSpec {
	cell := 1.0 / 1200
	return synthSpec{
		seed: 20261124,
		west: 118, north: 31.5, cell: cell, width: 6000, height: 5400,
		x0: 118.02, y0: 27.02, bw: 0.08, bh: 0.08, nbx: 62, nby: 55, k: 64,
		townships: 1354, enclaves: 20, twoPart: 10,
		meanPop:    1.0,
		facilities: 25000,
	}
}
