package main

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Population grid: 3 arc-seconds (1/1200°), north up, aligned to whole
// multiples of 1/1200° and covering the county's bounding box. A cell whose
// centre lies in a village gets a share of that village's population; every
// other cell (sea, outside the county) is 0.
const cellsPerDegree = 1200

type popGrid struct {
	colW, rowN    int // west edge and north edge in cells (units of 1/1200°)
	width, height int
	vil           []int32 // village index per cell, -1 outside
	total, a60    []float32
	a017          []float32
}

func (g *popGrid) west() float64  { return float64(g.colW) / cellsPerDegree }
func (g *popGrid) north() float64 { return float64(g.rowN) / cellsPerDegree }

func (g *popGrid) center(col, row int) pt {
	return pt{(float64(g.colW+col) + 0.5) / cellsPerDegree, (float64(g.rowN-row) - 0.5) / cellsPerDegree}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// settleVillages sets each village's population, age shares and settlements.
func (c *county) settleVillages(rng *rand.Rand) {
	l := c.lat
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	for t := range c.towns {
		tw := &c.towns[t]
		weights := make([]float64, len(tw.vils))
		var sum float64
		for k, vi := range tw.vils {
			v := &c.vils[vi]
			var w float64
			switch tw.class {
			case classUrban:
				w = u(0.8, 1.2)
				if !v.comm {
					w *= 0.45
				}
			case classTown:
				w = u(0.6, 1.4)
				if v.comm {
					w = 4 * u(0.8, 1.2)
				}
			case classMountain:
				w = u(0.6, 1.4)
				if v.seed == tw.seatQuad {
					w = 1.3
				}
			case classIsland:
				switch c.land[v.seed] - islandBase {
				case 0:
					w = 1
					if v.comm {
						w = 2.5
					}
				case 1:
					w = 0.8
				default:
					w = 0.6
				}
			}
			weights[k] = w
			sum += w
		}
		for k, vi := range tw.vils {
			v := &c.vils[vi]
			v.pop = tw.pop * weights[k] / sum
			v.s60 = tw.s60 + u(-0.025, 0.025)
			v.s017 = tw.s017 + u(-0.015, 0.015)
			hamlet := func(amp, sigma float64) hotspot {
				return hotspot{l.centroid(v.quads[rng.IntN(len(v.quads))]), amp, sigma}
			}
			v.hot = []hotspot{{v.center, 1, 0}}
			switch {
			case tw.class == classUrban && v.comm:
				v.hot[0].sigma = 0.6
				v.base = 0.35
			case tw.class == classUrban:
				v.hot[0].sigma = 0.35
				v.hot = append(v.hot, hamlet(0.5, 0.25))
				v.base = 0.04
			case v.comm:
				v.hot[0].sigma = 0.5
				v.base = 0.25
			case tw.class == classTown:
				v.hot[0].sigma = 0.28
				v.hot = append(v.hot, hamlet(0.5, 0.2), hamlet(0.5, 0.2))
				v.base = 0.015
			case tw.class == classMountain:
				v.hot[0].sigma = 0.18
				v.hot = append(v.hot, hamlet(0.7, 0.15), hamlet(0.7, 0.15), hamlet(0.7, 0.15))
				v.base = 0.002
			default: // island
				v.hot[0].sigma = 0.25
				v.hot = append(v.hot, hamlet(0.5, 0.2))
				v.base = 0.01
				// A fishing hamlet on every other island of the village.
				for _, q := range v.quads {
					if c.land[q] != c.land[v.seed] && !slices.ContainsFunc(v.hot, func(h hotspot) bool {
						return c.land[l.quadAt(h.at)] == c.land[q]
					}) {
						v.hot = append(v.hot, hotspot{l.centroid(q), 1.5, 0.2})
					}
				}
			}
		}
	}
}

// buildPopulation rasterizes the villages' populations.
func (c *county) buildPopulation() *popGrid {
	l := c.lat
	minX, minY := int64(math.MaxInt64), int64(math.MaxInt64)
	maxX, maxY := int64(math.MinInt64), int64(math.MinInt64)
	for q, lab := range c.land {
		if lab == sea {
			continue
		}
		for _, k := range l.corners(q) {
			minX, maxX = min(minX, l.vx[k]), max(maxX, l.vx[k])
			minY, maxY = min(minY, l.vy[k]), max(maxY, l.vy[k])
		}
	}
	g := &popGrid{
		colW: int(floorDiv(minX*cellsPerDegree, 1e6)),
		rowN: int(ceilDiv(maxY*cellsPerDegree, 1e6)),
	}
	g.width = int(ceilDiv(maxX*cellsPerDegree, 1e6)) - g.colW
	g.height = g.rowN - int(floorDiv(minY*cellsPerDegree, 1e6))
	n := g.width * g.height
	g.vil = make([]int32, n)
	g.total, g.a60, g.a017 = make([]float32, n), make([]float32, n), make([]float32, n)
	cells := make([][]int, len(c.vils))
	for row := 0; row < g.height; row++ {
		for col := 0; col < g.width; col++ {
			i := row*g.width + col
			g.vil[i] = -1
			q := l.quadAt(g.center(col, row))
			if q < 0 || c.vilOf[q] < 0 {
				continue
			}
			g.vil[i] = int32(c.vilOf[q])
			cells[c.vilOf[q]] = append(cells[c.vilOf[q]], i)
		}
	}
	for vi := range c.vils {
		v := &c.vils[vi]
		w := make([]float64, len(cells[vi]))
		var sum float64
		for k, i := range cells[vi] {
			p := g.center(i%g.width, i/g.width)
			x := v.base
			for _, h := range v.hot {
				d := distKm(p, h.at) / h.sigma
				x += h.amp * math.Exp(-d*d/2)
			}
			w[k] = x
			sum += x
		}
		if len(w) == 0 {
			panic("village " + v.code + " has no population cells")
		}
		for k, i := range cells[vi] {
			tot := v.pop * w[k] / sum
			g.total[i] = float32(tot)
			g.a60[i] = float32(tot * v.s60)
			g.a017[i] = float32(tot * v.s017)
		}
	}
	return g
}

// bandSums returns the grid totals per band, and per township.
func (g *popGrid) sums(c *county) (all [3]float64, byTown [][3]float64) {
	byTown = make([][3]float64, len(c.towns))
	for i, v := range g.vil {
		if v < 0 {
			continue
		}
		t := c.vils[v].town
		for b, band := range [][]float32{g.total, g.a60, g.a017} {
			all[b] += float64(band[i])
			byTown[t][b] += float64(band[i])
		}
	}
	return all, byTown
}
