package topology_test

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"fangyuan/geo/topology"
)

// tiling generates a deterministic irregular tiling of rows×cols units in
// a brick pattern (rows offset by half a unit, so three units meet at each
// junction, as in real division maps), each edge a wiggly polyline of 20–50
// vertices shared exactly by the two units it separates; about 200
// vertices per unit. Units are about 8.8 km across (a township), starting
// at 118°E 27°N. Codes are 9 digits: county (3 digits from the 4×4 block)
// + unit; Parent is the county code.
func tiling(rows, cols int) []topology.Unit {
	const (
		lon0, lat0 = 118.0, 27.0
		dlon, dlat = 0.0903, 0.0793
	)
	h := func(parts ...int) uint64 {
		f := fnv.New64a()
		for _, p := range parts {
			fmt.Fprintf(f, "%d,", p)
		}
		return f.Sum64()
	}
	// node at (x2/2, y) in cell units, jittered
	node := func(x2, y int) orb.Point {
		r := rand.New(rand.NewPCG(h(1, x2, y), 7))
		x := float64(x2)/2 + (r.Float64()-0.5)*0.3
		yy := float64(y) + (r.Float64()-0.5)*0.3
		return orb.Point{lon0 + x*dlon, lat0 + yy*dlat}
	}
	// edge from node a to node b, keyed so both units get the same points
	edge := func(key uint64, a, b orb.Point) []orb.Point {
		r := rand.New(rand.NewPCG(key, 11))
		k := 20 + r.IntN(31)
		nx, ny := -(b[1] - a[1]), b[0]-a[0] // normal (degrees, fine for a wiggle)
		amp := [3]float64{(r.Float64() - 0.5) * 0.12, (r.Float64() - 0.5) * 0.06, (r.Float64() - 0.5) * 0.03}
		ph := [3]float64{r.Float64() * 6.28, r.Float64() * 6.28, r.Float64() * 6.28}
		pts := make([]orb.Point, 0, k+2)
		pts = append(pts, a)
		for i := 1; i <= k; i++ {
			t := float64(i) / float64(k+1)
			w := 0.0
			for j := 0; j < 3; j++ {
				w += amp[j] * math.Sin(math.Pi*t*float64(j+1)) * math.Cos(ph[j]*(1-t))
			}
			w += (r.Float64() - 0.5) * 0.004
			pts = append(pts, orb.Point{a[0] + t*(b[0]-a[0]) + w*nx, a[1] + t*(b[1]-a[1]) + w*ny})
		}
		return append(pts, b)
	}
	// path from (x2a, y) to (x2b, y) along a horizontal line, or vertical
	hedge := func(x2, y int) []orb.Point { // from half-node x2 to x2+1 on line y
		return edge(h(2, x2, y), node(x2, y), node(x2+1, y))
	}
	vedge := func(x2, y int) []orb.Point { // from (x2, y) to (x2, y+1)
		return edge(h(3, x2, y), node(x2, y), node(x2, y+1))
	}
	rev := func(p []orb.Point) []orb.Point {
		out := make([]orb.Point, len(p))
		for i := range p {
			out[i] = p[len(p)-1-i]
		}
		return out
	}
	var units []topology.Unit
	for r := 0; r < rows; r++ {
		off := r % 2 // in half units
		for c := 0; c < cols; c++ {
			x2 := 2*c + off
			var ring orb.Ring
			appendPath := func(p []orb.Point) {
				if len(ring) > 0 {
					p = p[1:]
				}
				ring = append(ring, p...)
			}
			appendPath(hedge(x2, r))
			appendPath(hedge(x2+1, r))
			appendPath(vedge(x2+2, r))
			appendPath(rev(hedge(x2+1, r+1)))
			appendPath(rev(hedge(x2, r+1)))
			appendPath(rev(vedge(x2, r)))
			county := 100 + (r/4)*((cols+3)/4) + c/4
			units = append(units, topology.Unit{
				Code:   fmt.Sprintf("%03d%06d", county, r*cols+c),
				Name:   fmt.Sprintf("第%d行%d列乡", r+1, c+1),
				Parent: fmt.Sprintf("%03d", county),
				Geom:   orb.MultiPolygon{{ring}},
			})
		}
	}
	return units
}
