package plan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/geo"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Cell edges are multiples of 1/1024° so that rectangles on them are exact
// (no partial cells from rounding).
const testCell = 1.0 / 1024

// instance is a small synthetic plan: a grid of integer populations,
// rectangular townships on cell edges tiling it, existing facilities and
// candidate sites.
type instance struct {
	grid   *geo.Grid
	towns  []coverage.Unit
	facs   []coverage.Facility
	cands  []Candidate
	std    coverage.Standard
	k      int
	radius float64
}

// rect is the township of window cells [c0, c1) × [r0, r1).
func rect(g *geo.Grid, code string, c0, r0, c1, r1 int) coverage.Unit {
	w, e := g.West+float64(c0)*g.DX, g.West+float64(c1)*g.DX
	n, s := g.North-float64(r0)*g.DY, g.North-float64(r1)*g.DY
	ring := orb.Ring{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}
	return coverage.Unit{Code: code, Name: "镇" + code[len(code)-3:], Geometry: orb.MultiPolygon{{ring}}}
}

// newInstance draws an instance: w×h cells, tx×ty townships, n candidates,
// nf existing facilities, radius in metres.
func newInstance(seed uint64, w, h, tx, ty, n, nf int, radius float64) *instance {
	rng := rand.New(rand.NewPCG(seed, 0x91a7))
	g := &geo.Grid{West: 120, North: 30, DX: testCell, DY: testCell, Width: w, Height: h}
	data := make([]float32, w*h)
	// Hot spots (towns) over a sparse background, whole people.
	type spot struct{ c, r, s, amp float64 }
	spots := make([]spot, 3+rng.IntN(5))
	for i := range spots {
		spots[i] = spot{rng.Float64() * float64(w), rng.Float64() * float64(h), 3 + rng.Float64()*10, 20 + rng.Float64()*80}
	}
	for r := range h {
		for c := range w {
			v := 0.0
			if rng.Float64() < 0.6 {
				v = float64(rng.IntN(6))
			}
			for _, s := range spots {
				dc, dr := float64(c)-s.c, float64(r)-s.r
				v += s.amp * math.Exp(-(dc*dc+dr*dr)/(2*s.s*s.s))
			}
			data[r*w+c] = float32(math.Floor(v))
		}
	}
	g.Bands = []geo.Band{{Name: "total", Data: data}}
	in := &instance{grid: g, radius: radius}
	code := 0
	for j := range ty {
		for i := range tx {
			code++
			in.towns = append(in.towns, rect(g, fmt.Sprintf("339901%03d", code), i*w/tx, j*h/ty, (i+1)*w/tx, (j+1)*h/ty))
		}
	}
	pt := func() orb.Point {
		return orb.Point{g.West + rng.Float64()*float64(w)*g.DX, g.North - rng.Float64()*float64(h)*g.DY}
	}
	for i := range nf {
		in.facs = append(in.facs, coverage.Facility{ID: fmt.Sprintf("F%d", i+1), Name: "existing", Location: pt(), Status: coverage.StatusOperating})
	}
	for i := range n {
		in.cands = append(in.cands, Candidate{ID: fmt.Sprintf("C%d", i+1), Location: pt()})
	}
	in.std = coverage.Standard{ID: "test_kind", Name: "测试", Layer: "total", RadiusM: radius, TargetShare: 0.9,
		Presence: coverage.Presence{Level: coverage.LevelTownship, Min: 1}}
	return in
}

func (in *instance) input(mode Mode, k int) Input {
	return Input{Standard: in.std, Grid: in.grid, Townships: in.towns, Facilities: in.facs, Mode: mode, K: k,
		Candidates: FromList, List: in.cands, Workers: 2}
}

// truth is the instance's coverage computed independently of the package:
// Vincenty distance from every site to every cell centre.
type truth struct {
	pop     []float64 // per cell
	town    []int     // per cell: township index (rectangles on cell edges)
	base    []bool    // per cell: covered by an existing facility
	reaches [][]int   // per candidate: the cells it reaches that base does not cover
}

func (in *instance) truth() *truth {
	g := in.grid
	n := g.Width * g.Height
	tr := &truth{pop: make([]float64, n), town: make([]int, n), base: make([]bool, n)}
	for i := range n {
		tr.pop[i] = float64(g.Bands[0].Data[i])
		c, r := i%g.Width, i/g.Width
		tr.town[i] = -1
		p := g.CellCenter(c, r)
		for t, u := range in.towns {
			b := u.Geometry.Bound()
			if p[0] > b.Min[0] && p[0] < b.Max[0] && p[1] > b.Min[1] && p[1] < b.Max[1] {
				tr.town[i] = t
			}
		}
	}
	within := func(q orb.Point, fn func(i int)) {
		dlat := in.radius / 110_000 * 1.2
		dlon := dlat / math.Cos(q[1]*math.Pi/180)
		for i := range n {
			p := g.CellCenter(i%g.Width, i/g.Width)
			if math.Abs(p[1]-q[1]) > dlat || math.Abs(p[0]-q[0]) > dlon {
				continue
			}
			if geo.Distance(q, p) <= in.radius {
				fn(i)
			}
		}
	}
	for _, f := range in.facs {
		within(f.Location, func(i int) { tr.base[i] = true })
	}
	tr.reaches = make([][]int, len(in.cands))
	for c, cand := range in.cands {
		within(cand.Location, func(i int) {
			if !tr.base[i] {
				tr.reaches[c] = append(tr.reaches[c], i)
			}
		})
	}
	return tr
}

// added is the population the candidates add together, per township and in all.
func (tr *truth) added(cands []int, ntown int) (float64, []float64) {
	seen := map[int]bool{}
	per := make([]float64, ntown)
	var all float64
	for _, c := range cands {
		for _, i := range tr.reaches[c] {
			if !seen[i] {
				seen[i] = true
				all += tr.pop[i]
				per[tr.town[i]] += tr.pop[i]
			}
		}
	}
	return all, per
}

// candIndex maps site IDs back to candidate indices.
func (in *instance) candIndex(t *testing.T, sites []Site) []int {
	t.Helper()
	idx := map[string]int{}
	for i, c := range in.cands {
		idx[c.ID] = i
	}
	out := make([]int, len(sites))
	for k, s := range sites {
		i, ok := idx[s.ID]
		if !ok {
			t.Fatalf("site %s is no candidate", s.ID)
		}
		out[k] = i
	}
	return out
}
