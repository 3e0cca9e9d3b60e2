package tiles

import (
	"context"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"fangyuan/geo"
)

// CellSource gives a finished coverage run's population grid (the band is the run's
// layer) and, per cell in row-major order, whether a facility reaches it.
// *runs.Service implements it.
type CellSource interface {
	Cells(ctx context.Context, runID int64) (*geo.Grid, []bool, error)
}

// cellData is a run's grid, kept in memory between tiles.
type cellData struct {
	grid    *geo.Grid
	pop     []float32
	covered []bool
}

// cellMemo keeps the grids of the last few runs drawn.
type cellMemo struct {
	mu    sync.Mutex
	order []string
	data  map[string]*cellData
}

func (m *cellMemo) get(key string) (*cellData, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.data[key]
	return d, ok
}

func (m *cellMemo) put(key string, d *cellData) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[string]*cellData{}
	}
	if _, ok := m.data[key]; !ok {
		m.order = append(m.order, key)
	}
	m.data[key] = d
	for len(m.order) > 4 {
		delete(m.data, m.order[0])
		m.order = m.order[1:]
	}
}

// minBlockPixels is the smallest a drawn cell or block of cells gets on screen (of a
// 256-pixel tile): below it cells are summed into k×k blocks aligned on the grid origin,
// so a tile never holds more than (256/4)² features.
const minBlockPixels = 4

// blockSize is k for zoom z and cell width dx (degrees).
func blockSize(z int, dx float64) int {
	pixDeg := 360 / (256 * math.Exp2(float64(z)))
	cellPx := dx / pixDeg
	if cellPx >= minBlockPixels {
		return 1
	}
	return int(math.Ceil(minBlockPixels / cellPx))
}

// cellsTile draws the cells (or blocks of cells) of d that meet tile z/x/y; nil when none.
func cellsTile(d *cellData, z, x, y int) ([]byte, error) {
	g := d.grid
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	tb := t.Bound()
	k := blockSize(z, g.DX)
	c0 := int(math.Floor((tb.Min[0] - g.West) / g.DX))
	c1 := int(math.Ceil((tb.Max[0] - g.West) / g.DX))
	r0 := int(math.Floor((g.North - tb.Max[1]) / g.DY))
	r1 := int(math.Ceil((g.North - tb.Min[1]) / g.DY))
	c0, r0 = max(c0, 0)/k*k, max(r0, 0)/k*k
	c1, r1 = min(c1, g.Width), min(r1, g.Height)
	if c0 >= c1 || r0 >= r1 {
		return nil, nil
	}
	fc := geojson.NewFeatureCollection()
	for br := r0; br < r1; br += k {
		for bc := c0; bc < c1; bc += k {
			var pop, cov float64
			n := 0
			re, ce := min(br+k, g.Height), min(bc+k, g.Width)
			for r := br; r < re; r++ {
				for c := bc; c < ce; c++ {
					i := r*g.Width + c
					v := d.pop[i]
					if v <= 0 || math.IsNaN(float64(v)) || g.IsNoData(v) {
						continue
					}
					pop += float64(v)
					n++
					if d.covered[i] {
						cov += float64(v)
					}
				}
			}
			if pop <= 0 {
				continue
			}
			w, nn := g.West+float64(bc)*g.DX, g.North-float64(br)*g.DY
			e, s := g.West+float64(ce)*g.DX, g.North-float64(re)*g.DY
			// counter-clockwise in lon/lat: clockwise in tile coordinates (y down), as MVT wants
			ring := orb.Ring{{w, s}, {e, s}, {e, nn}, {w, nn}, {w, s}}
			f := geojson.NewFeature(orb.Polygon{ring})
			f.Properties["population"] = math.Round(pop*10) / 10
			f.Properties["covered"] = math.Round(cov*10) / 10
			f.Properties["share"] = math.Round(cov/pop*1e4) / 1e4
			f.Properties["cells"] = n
			fc.Append(f)
		}
	}
	if len(fc.Features) == 0 {
		return nil, nil
	}
	layer := mvt.NewLayer("cells", fc)
	layer.Version = 2
	layer.ProjectToTile(t)
	layer.Clip(mvt.MapboxGLDefaultExtentBound)
	layer.RemoveEmpty(0, 0.5)
	if len(layer.Features) == 0 {
		return nil, nil
	}
	return mvt.Marshal(mvt.Layers{layer})
}

// newCellData checks what a CellSource returned.
// The population is the band named after the run's layer (the first band when none is).
func newCellData(g *geo.Grid, band string, covered []bool) (*cellData, bool) {
	if g == nil || len(g.Bands) == 0 || len(covered) != g.Width*g.Height {
		return nil, false
	}
	b := &g.Bands[0]
	if named, ok := g.Band(band); ok {
		b = named
	}
	if len(b.Data) != len(covered) {
		return nil, false
	}
	return &cellData{grid: g, pop: b.Data, covered: covered}, true
}
