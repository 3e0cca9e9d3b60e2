package coverage

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Reach decides, for every cell of a frame, which facility reaches it and at
// what cost. The straight-line reach (Straight) is the first implementation; a
// road-network reach (travel time over roads and ferries) plugs in here with the
// same contract, and the engine does not change.
//
// A cell is reached by a facility when the cell's centre is within the
// facility's catchment. Reach fills, per cell, the nearest (cheapest) facility
// that reaches it and its cost, and per facility the sum of Weight over every
// cell the facility reaches (cells reached by several facilities count for each).
type Reach interface {
	Reach(ctx context.Context, req ReachRequest) (*Reached, error)
	// Describe says what the reach measures, for reports: "straight line ≤ 2000 m".
	Describe() string
}

// ReachRequest is the input of a Reach.
type ReachRequest struct {
	Frame   Frame
	Sources []orb.Point // the facilities that count (operating), WGS84
	// Weight has one value per cell of Frame (population inside the region);
	// catchment sums are taken over it. It may be nil (sums are then 0).
	Weight  []float32
	Workers int // 0: GOMAXPROCS
}

// Reached is the output of a Reach.
type Reached struct {
	// Nearest is, per cell of the frame, the index in Sources of the cheapest
	// source that reaches the cell, or -1. Ties go to the lower index.
	Nearest []int32
	// Cost is, per cell, the cost from Nearest (Unit); +Inf where not reached.
	Cost []float32
	Unit string // "m" (metres) or "s" (seconds)
	// Catchment is, per source, the sum of Weight over the cells it reaches.
	Catchment []float64
}

// Straight reaches every cell whose centre lies within Radius metres of a
// facility, geodesic distance on the WGS84 ellipsoid (the rule of PostGIS
// ST_DWithin on geography).
type Straight struct {
	Radius float64 // metres, 0 < Radius ≤ MaxRadius
}

// Describe implements Reach.
func (s Straight) Describe() string {
	return fmt.Sprintf("straight line ≤ %g m (geodesic, WGS84)", s.Radius)
}

// distSlack bounds the error (metres) of the mid-latitude distance used to
// classify cells at distance d from a facility at latitude lat: the local
// ellipsoidal metric taken at the mean latitude is off by about
// (0.013 + 0.05·tan²φ)·d³/a² (measured over latitudes 0–85° and distances up to
// 300 km, reach_test.go); the slack is several times that plus 10 µm (float rounding). Cells whose
// approximate distance is within it of the radius are decided by the exact
// geodesic distance (geo.Distance, Vincenty).
func distSlack(d, lat float64) float64 {
	const a2 = geo.EarthA * geo.EarthA
	phi := min(math.Abs(lat)+d/100_000, 89) * math.Pi / 180
	t := math.Tan(phi)
	return (0.1+0.3*t*t)*d*d*d/a2 + 1e-5
}

// Reach implements Reach.
//
// Rows of the frame are cut into bands, and the bands shared among workers;
// each band takes the facilities whose catchment overlaps it, and for each
// facility and row the span of cells whose centres can be within the radius
// (closed form from the local metric), so that the cost is proportional to the
// cells reached. Only cells within distSlack of the radius need the exact
// geodesic distance.
func (s Straight) Reach(ctx context.Context, req ReachRequest) (*Reached, error) {
	if !(s.Radius > 0 && s.Radius <= MaxRadius) {
		return nil, fmt.Errorf("straight-line reach: radius %v m must be in (0, %d]", s.Radius, MaxRadius)
	}
	f := req.Frame
	n := f.Len()
	if req.Weight != nil && len(req.Weight) != n {
		return nil, fmt.Errorf("straight-line reach: %d weights for %d cells", len(req.Weight), n)
	}
	workers := req.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := &Reached{
		Nearest:   make([]int32, n),
		Cost:      make([]float32, n),
		Unit:      "m",
		Catchment: make([]float64, len(req.Sources)),
	}
	parallelRange(n, workers, func(_, lo, hi int) {
		inf := float32(math.Inf(1))
		for i := lo; i < hi; i++ {
			out.Nearest[i] = -1
			out.Cost[i] = inf
		}
	})

	R := s.Radius
	// Row span of every source (rows whose centre latitude can be within R).
	type span struct {
		r0, r1 int
		slack  float64
	}
	spans := make([]span, len(req.Sources))
	for i, p := range req.Sources {
		slack := distSlack(R, p[1])
		_, my := geo.MetresPerDegree(p[1])
		dlat := (R+slack)/my*1.01 + f.DY
		r0 := int(math.Ceil((f.North-(p[1]+dlat))/f.DY-0.5)) - f.Row0
		r1 := int(math.Floor((f.North-(p[1]-dlat))/f.DY-0.5)) - f.Row0
		spans[i] = span{max(r0, 0), min(r1, f.H-1), slack}
	}

	// Bands of rows, several per worker for balance.
	nb := min(f.H, workers*8)
	if nb == 0 {
		return out, nil
	}
	type band struct{ r0, r1 int }
	bands := make([]band, nb)
	for b := range nb {
		bands[b] = band{b * f.H / nb, (b+1)*f.H/nb - 1}
	}
	tasks := make(chan band, nb)
	for _, b := range bands {
		tasks <- b
	}
	close(tasks)
	partial := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		catch := make([]float64, len(req.Sources))
		partial[w] = catch
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range tasks {
				if ctx.Err() != nil {
					return
				}
				for si, p := range req.Sources {
					sp := spans[si]
					lo, hi := max(sp.r0, b.r0), min(sp.r1, b.r1)
					for r := lo; r <= hi; r++ {
						catch[si] += s.row(out, req.Weight, f, r, int32(si), p, sp.slack)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, c := range partial {
		for i, v := range c {
			out.Catchment[i] += v
		}
	}
	return out, nil
}

// row marks the cells of window row r reached by source si at p and returns
// the sum of their weights.
func (s Straight) row(out *Reached, weight []float32, f Frame, r int, si int32, p orb.Point, slack float64) float64 {
	R := s.Radius
	lat := f.North - (float64(f.Row0+r)+0.5)*f.DY
	mx, my := geo.MetresPerDegree((lat + p[1]) / 2)
	dy := (lat - p[1]) * my
	if math.Abs(dy) > R+slack {
		return 0
	}
	half := math.Sqrt((R+slack)*(R+slack)-dy*dy) / mx // degrees of longitude
	c0 := int(math.Ceil((p[0]-half-f.West)/f.DX-0.5)) - f.Col0
	c1 := int(math.Floor((p[0]+half-f.West)/f.DX-0.5)) - f.Col0
	c0, c1 = max(c0, 0), min(c1, f.W-1)
	var sum float64
	base := r * f.W
	inner := R - slack
	for c := c0; c <= c1; c++ {
		lon := f.West + (float64(f.Col0+c)+0.5)*f.DX
		dx := (lon - p[0]) * mx
		d := math.Sqrt(dx*dx + dy*dy)
		if d > inner {
			if d > R+slack {
				continue
			}
			d = geo.Distance(p, orb.Point{lon, lat})
			if d > R {
				continue
			}
		}
		i := base + c
		if weight != nil {
			sum += float64(weight[i])
		}
		if d32 := float32(d); d32 < out.Cost[i] || (d32 == out.Cost[i] && si < out.Nearest[i]) {
			out.Cost[i] = d32
			out.Nearest[i] = si
		}
	}
	return sum
}

// parallelRange calls fn(w, lo, hi) on about equal parts [lo, hi) of [0, n),
// part w on its own goroutine (w < workers), and waits. Small ranges run as
// one part.
func parallelRange(n, workers int, fn func(w, lo, hi int)) {
	if workers <= 1 || n < 1<<12 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}
