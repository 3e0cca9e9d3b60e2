// Package access computes capacity-aware spatial accessibility (可及性) with
// the enhanced two-step floating catchment area method (E2SFCA, Luo & Qi 2009):
// how many beds (or any capacity field) per person of the kind's population
// layer each grid cell can reach, with distance decay, on straight-line or
// travel-time distances; per township the population-weighted mean and the
// minimum, and the shortfall against the kind's capacity ratio.
//
// # Formula
//
// With P_k the layer population of cell k inside the region (the cell's value
// times the share of its area inside the townships, as coverage.Run counts
// it), S_j the capacity of operating facility j, d the distance from a
// facility to a cell centre and d0 the catchment (the kind's radius, or its
// travel minutes):
//
//	step 1, per facility j:  R_j = S_j / Σ_{k: d_kj ≤ d0} W(d_kj) P_k   (0 when nobody is in reach)
//	step 2, per cell i:      A_i = Σ_{j: d_ij ≤ d0} W(d_ij) R_j
//
// Decay W is Gaussian, W(d) = (e^{-½(d/d0)²} − e^{-½}) / (1 − e^{-½}), or step
// zones (Luo & Qi's 1.00 / 0.68 / 0.22 over the thirds of d0 by default).
// Every capacity placed is shared out: Σ_i P_i A_i = Σ_j S_j over facilities
// with someone in reach.
//
// Per township, over the cells of its zone weighted by the share of each cell
// inside it: Mean = Σ f P A / Σ f P; Min is the least A over populated cells
// with at least a millionth of their area inside (MinCellFrac). Need is the
// kind's ratio per person (beds 3.6 per 100 → 0.036); Shortfall =
// max(Need − Mean, 0) × Population (beds missing for the township's mean to
// meet the ratio); BelowNeed is the population in cells whose A < Need.
//
// The PostGIS formulation of the same formula (geography ST_DWithin and
// ST_Distance over cell-centre points) is in access_test.go; the package
// equals it within 10⁻⁶ relative on the demo data and on random inputs.
package access

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/geo"
)

// MinCellFrac is the least share of a cell's area inside a township for the
// cell to count for the township's minimum accessibility.
const MinCellFrac = 1e-6

// ErrBadOptions wraps bad decay, measure or field options.
var ErrBadOptions = errors.New("bad accessibility options")

// Decay is a distance-decay function on [0, D0].
type Decay struct {
	// Kind is "gaussian" or "step".
	Kind string
	// Zones (step): upper bounds of the zones as fractions of D0, increasing,
	// the last 1; Weights the weight of each zone. Empty: LuoQiZones.
	Zones, Weights []float64
}

// LuoQiZones and LuoQiWeights are the three equal step zones of Luo & Qi (2009).
var (
	LuoQiZones   = []float64{1.0 / 3, 2.0 / 3, 1}
	LuoQiWeights = []float64{1.00, 0.68, 0.22}
)

var gaussEdge = math.Exp(-0.5)

// ParseDecay returns the decay named s ("gaussian", "step" or "" for gaussian).
func ParseDecay(s string) (Decay, error) {
	switch s {
	case "", "gaussian":
		return Decay{Kind: "gaussian"}, nil
	case "step":
		return Decay{Kind: "step", Zones: LuoQiZones, Weights: LuoQiWeights}, nil
	}
	return Decay{}, fmt.Errorf("%w: decay %q must be gaussian or step", ErrBadOptions, s)
}

func (dc Decay) validate() (Decay, error) {
	switch dc.Kind {
	case "gaussian":
		return dc, nil
	case "step":
		if len(dc.Zones) == 0 && len(dc.Weights) == 0 {
			dc.Zones, dc.Weights = LuoQiZones, LuoQiWeights
		}
		if len(dc.Zones) != len(dc.Weights) || len(dc.Zones) == 0 {
			return dc, fmt.Errorf("%w: step decay: %d zones and %d weights (want as many, at least one)", ErrBadOptions, len(dc.Zones), len(dc.Weights))
		}
		prev := 0.0
		for i, z := range dc.Zones {
			if !(z > prev) {
				return dc, fmt.Errorf("%w: step decay: zone bound %d (%v) must be greater than %v", ErrBadOptions, i+1, z, prev)
			}
			if !(dc.Weights[i] >= 0 && dc.Weights[i] <= 1) {
				return dc, fmt.Errorf("%w: step decay: weight %d (%v) must be in [0, 1]", ErrBadOptions, i+1, dc.Weights[i])
			}
			prev = z
		}
		if math.Abs(prev-1) > 1e-12 {
			return dc, fmt.Errorf("%w: step decay: the last zone bound is %v, want 1 (the catchment)", ErrBadOptions, prev)
		}
		return dc, nil
	}
	return dc, fmt.Errorf("%w: decay %q must be gaussian or step", ErrBadOptions, dc.Kind)
}

// weight returns W(d) for d ≤ d0 (d0 > 0).
func (dc *Decay) weight(d, d0 float64) float64 {
	if dc.Kind == "gaussian" {
		x := d / d0
		return (math.Exp(-0.5*x*x) - gaussEdge) / (1 - gaussEdge)
	}
	x := d / d0
	for i, z := range dc.Zones {
		if x <= z {
			return dc.Weights[i]
		}
	}
	return dc.Weights[len(dc.Weights)-1]
}

// gaussTable holds e^{-q/2} at q = k/gaussN, k = 0 … gaussN+1, for linear
// interpolation: the error is at most (1/gaussN)²/8 × ¼ < 10⁻¹¹.
const gaussN = 1 << 16

var gaussTable = func() []float64 {
	t := make([]float64, gaussN+2)
	for k := range t {
		t[k] = math.Exp(-0.5 * float64(k) / gaussN)
	}
	return t
}()

// weights sets ws[k] = W(d[k]) for distances d ≤ d0.
func (dc *Decay) weights(ws, d []float64, d0 float64) {
	if dc.Kind == "gaussian" {
		inv := 1 / (d0 * d0)
		norm := 1 / (1 - gaussEdge)
		for k, x := range d {
			q := min(x*x*inv, 1) * gaussN
			i := int(q)
			fr := q - float64(i)
			e := gaussTable[i] + fr*(gaussTable[i+1]-gaussTable[i])
			ws[k] = max(e-gaussEdge, 0) * norm
		}
		return
	}
	for k, x := range d {
		ws[k] = dc.weight(x, d0)
	}
}

// Describe names the decay for reports.
func (dc Decay) Describe() string {
	if dc.Kind == "gaussian" {
		return "Gaussian decay (e^{-½(d/d0)²} − e^{-½}) / (1 − e^{-½})"
	}
	var b strings.Builder
	b.WriteString("step decay")
	lo := 0.0
	for i, z := range dc.Zones {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %.3g–%.3g d0: %.2f", lo, z, dc.Weights[i])
		lo = z
	}
	return b.String()
}

// Distances gives, for every source, the cells of a frame within the
// catchment and their distance (metres or seconds).
type Distances interface {
	// Visit calls fn(w, src, start, d) for every source src and run of
	// consecutive frame cells start, start+1, … (index r*W + c, one row) with
	// their distances d[k] ≤ Limit() (d is reused after fn returns). Calls
	// with the same w (0 ≤ w < workers) are sequential.
	Visit(ctx context.Context, f coverage.Frame, sources []orb.Point, workers int, fn func(w, src, start int, d []float64)) error
	// Owned reports whether Visit makes all calls for one cell from one worker.
	Owned() bool
	Limit() float64
	Unit() string // "m" or "s"
	Describe() string
}

// Input is one accessibility computation.
type Input struct {
	Standard coverage.Standard
	// Layer is the grid band of the population; "" means Standard.Layer.
	Layer string
	Grid  *geo.Grid
	// Region is the prepared townships on Grid (coverage.PrepareRegion).
	Region *coverage.Region
	// Facilities of the kind; only operating ones count.
	Facilities []coverage.Facility
	Distances  Distances
	Decay      Decay
	// Field is the capacity field (beds, nursing_beds, dementia_beds); "" means
	// the field of the kind's first per-person capacity ratio.
	Field   string
	Workers int
}

// Township is the accessibility of one township.
type Township struct {
	Code, Name string
	// Population is the layer population inside (cells split by area).
	Population float64
	// Mean is the population-weighted mean accessibility (capacity per person);
	// Min the least over its populated cells (MinCellFrac); both 0 without population.
	Mean, Min float64
	// Need is the kind's ratio per person (0 when the kind has none for Field).
	Need float64
	// Shortfall is max(Need − Mean, 0) × Population, in capacity units (beds).
	Shortfall float64
	// BelowNeed is the population in cells whose accessibility is below Need.
	BelowNeed float64
	// Short: Mean < Need.
	Short bool
}

// FacilityResult is step 1 for one operating facility.
type FacilityResult struct {
	ID, Name string
	Location orb.Point
	Capacity float64 // S_j (0 when unknown)
	Known    bool    // the facility gives a value for the field
	Demand   float64 // Σ W(d) P within the catchment
	Ratio    float64 // R_j = Capacity / Demand (0 when Demand is 0)
}

// Result is the outcome of Compute.
type Result struct {
	Kind, Layer, Field string
	Decay, Measure     string // descriptions
	Unit               string // of distances
	Limit              float64
	Need               float64 // per person; 0: the kind has no ratio for Field
	Townships          []Township
	Facilities         []FacilityResult
	// Population, Capacity (of facilities with someone in reach), Mean over the region.
	Population, Capacity, Mean, Shortfall float64
	Notes                                 []string
	// Frame and Cells: A_i per frame cell (float64), Inside: the cell's share inside the region.
	Frame  coverage.Frame
	Cells  []float64 `json:"-"`
	Inside []float32 `json:"-"`
	demand []float64 // P_k per frame cell
}

// MaxKeptPairs bounds the (facility, cell) weights kept between the steps
// (4 bytes each): 2²⁸, 1 GiB.
const MaxKeptPairs = 1 << 28

// maxKept is MaxKeptPairs (tests lower it to take the other path).
var maxKept int64 = MaxKeptPairs

type keptRun struct{ src, start, n int32 }

type keptRuns struct {
	runs []keptRun
	w    []float32
}

// capacity returns the value of field name of f.
func capacity(f *coverage.Facility, name string) (float64, bool) {
	var p *int
	switch name {
	case "beds":
		p = f.Beds
	case "nursing_beds":
		p = f.NursingBeds
	case "dementia_beds":
		p = f.DementiaBeds
	}
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}

// FieldFor returns the capacity field to use for std ("" asks for the
// default: the field of the first per-person ratio) and the need per person.
func FieldFor(std coverage.Standard, field string) (string, float64, error) {
	if field == "" {
		for _, r := range std.Capacity {
			if r.ShareOf == "" && r.Per > 0 {
				field = r.Field
				break
			}
		}
		if field == "" {
			return "", 0, fmt.Errorf("%w: field: kind %s has no per-person capacity ratio in the standards; name a capacity field (%s)", ErrBadOptions, std.ID, strings.Join(coverage.CapacityFields, ", "))
		}
	}
	known := false
	for _, f := range coverage.CapacityFields {
		known = known || f == field
	}
	if !known {
		return "", 0, fmt.Errorf("%w: field: %q is not a capacity field (%s)", ErrBadOptions, field, strings.Join(coverage.CapacityFields, ", "))
	}
	need := 0.0
	for _, r := range std.Capacity {
		if r.Field == field && r.ShareOf == "" && r.Per > 0 {
			need = r.Min / r.Per
			break
		}
	}
	return field, need, nil
}

// Compute runs E2SFCA for in.
func Compute(ctx context.Context, in Input) (*Result, error) {
	if in.Grid == nil || in.Region == nil {
		return nil, fmt.Errorf("access: a grid and a prepared region are required")
	}
	if in.Distances == nil {
		return nil, fmt.Errorf("access: no distances given")
	}
	d0 := in.Distances.Limit()
	if !(d0 > 0) || math.IsInf(d0, 0) {
		return nil, fmt.Errorf("%w: catchment %v must be positive", ErrBadOptions, d0)
	}
	decay, err := in.Decay.validate()
	if err != nil {
		return nil, err
	}
	field, need, err := FieldFor(in.Standard, in.Field)
	if err != nil {
		return nil, err
	}
	layer := in.Layer
	if layer == "" {
		layer = in.Standard.Layer
	}
	band, ok := in.Grid.Band(layer)
	if !ok {
		return nil, fmt.Errorf("%w: the grid has no band %q", coverage.ErrNoLayer, layer)
	}
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	reg := in.Region
	f := reg.Frame
	n := f.Len()
	res := &Result{Kind: in.Standard.ID, Layer: layer, Field: field, Decay: decay.Describe(), Measure: in.Distances.Describe(),
		Unit: in.Distances.Unit(), Limit: d0, Need: need, Frame: f}

	// Population per frame cell and the share of each cell inside the region.
	pop := make([]float32, n)
	inside := make([]float32, n)
	for i := range reg.Townships {
		z := reg.ZoneOfTownship(i)
		for _, run := range z.Runs {
			s := inside[int(run.Row)*f.W+int(run.Col):][:run.N]
			for k := range s {
				s[k]++
			}
		}
		for _, p := range z.Parts {
			inside[int(p.Row)*f.W+int(p.Col)] += float32(p.Frac)
		}
	}
	gw := in.Grid.Width
	var bad []string
	nbad := 0
	for r := range f.H {
		row := band.Data[(f.Row0+r)*gw+f.Col0:][:f.W]
		for c, v := range row {
			i := r*f.W + c
			if inside[i] == 0 || in.Grid.IsNoData(v) {
				continue
			}
			if !(v >= 0) || math.IsInf(float64(v), 1) {
				nbad++
				if len(bad) < 5 {
					p := f.Center(c, r)
					bad = append(bad, fmt.Sprintf("cell col %d row %d (%.5f°E %.5f°N) is %v", f.Col0+c, f.Row0+r, p[0], p[1], v))
				}
				continue
			}
			pop[i] = v
		}
	}
	if nbad > 0 {
		return nil, fmt.Errorf("%w: band %s has %d cells inside the townships that are NaN, infinite or negative: %s", coverage.ErrBadPopulation, band.Name, nbad, strings.Join(bad, "; "))
	}
	demandW := make([]float64, n) // P_k: population inside the region
	for i, p := range pop {
		demandW[i] = float64(p) * float64(min(inside[i], 1))
	}

	// Operating facilities and their capacity.
	var sources []orb.Point
	unknown := 0
	for i := range in.Facilities {
		fc := &in.Facilities[i]
		if fc.Status != "" && fc.Status != coverage.StatusOperating {
			continue
		}
		if math.IsNaN(fc.Location[0]) || math.IsNaN(fc.Location[1]) || math.Abs(fc.Location[0]) > 180 || math.Abs(fc.Location[1]) > 90 {
			return nil, fmt.Errorf("%w: %s (%s): location %v is not WGS84 lon/lat", coverage.ErrBadFacility, fc.Source, fc.ID, fc.Location)
		}
		s, known := capacity(fc, field)
		if !known {
			unknown++
		}
		if s < 0 {
			return nil, fmt.Errorf("%w: %s (%s): %s %v is negative", coverage.ErrBadFacility, fc.Source, fc.ID, field, s)
		}
		res.Facilities = append(res.Facilities, FacilityResult{ID: fc.ID, Name: fc.Name, Location: fc.Location, Capacity: s, Known: known})
		sources = append(sources, fc.Location)
	}

	// Step 1: demand per facility (per-worker partial sums).
	partial := make([][]float64, workers)
	for w := range partial {
		partial[w] = make([]float64, len(sources))
	}
	wbuf := make([][]float64, workers)
	weights := func(w int, d []float64) []float64 {
		if cap(wbuf[w]) < len(d) {
			wbuf[w] = make([]float64, len(d)*2)
		}
		ws := wbuf[w][:len(d)]
		decay.weights(ws, d, d0)
		return ws
	}
	// With distances whose cells are owned by one worker, step 1 keeps each
	// worker's runs and weights for step 2, up to MaxKeptPairs in all; beyond,
	// step 2 computes them again. Both steps use the weights rounded to
	// float32 (6·10⁻⁸ relative) as kept.
	owned := in.Distances.Owned() && n <= math.MaxInt32
	kept := make([]keptRuns, workers)
	var pairs atomic.Int64
	if err := in.Distances.Visit(ctx, f, sources, workers, func(w, src, start int, d []float64) {
		ws := weights(w, d)
		if owned {
			// The weights both steps use: rounded as kept.
			for k, x := range ws {
				ws[k] = float64(float32(x))
			}
		}
		dem := demandW[start : start+len(d)]
		var sum float64
		for k, x := range ws {
			sum += x * dem[k]
		}
		partial[w][src] += sum
		if owned && pairs.Add(int64(len(d))) <= maxKept {
			kr := &kept[w]
			kr.runs = append(kr.runs, keptRun{src: int32(src), start: int32(start), n: int32(len(d))})
			for _, x := range ws {
				kr.w = append(kr.w, float32(x))
			}
		}
	}); err != nil {
		return nil, err
	}
	if !owned || pairs.Load() > maxKept {
		kept = nil
	}
	ratio := make([]float64, len(sources))
	for j := range res.Facilities {
		fr := &res.Facilities[j]
		for w := range partial {
			fr.Demand += partial[w][j]
		}
		if fr.Demand > 0 {
			fr.Ratio = fr.Capacity / fr.Demand
			res.Capacity += fr.Capacity
		}
		ratio[j] = fr.Ratio
	}

	// Step 2: accessibility per cell: plain adds when each cell is visited by
	// one worker, else atomic adds on the bits.
	cells := make([]float64, n)
	if kept != nil {
		var wg sync.WaitGroup
		for w := range kept {
			wg.Add(1)
			go func() {
				defer wg.Done()
				kr := &kept[w]
				off := 0
				for _, run := range kr.runs {
					ws := kr.w[off : off+int(run.n)]
					off += int(run.n)
					r := ratio[run.src]
					if r == 0 {
						continue
					}
					out := cells[run.start : int(run.start)+len(ws)]
					for k, x := range ws {
						out[k] += float64(x) * r
					}
				}
				kr.runs, kr.w = nil, nil
			}()
		}
		wg.Wait()
	} else if in.Distances.Owned() {
		if err := in.Distances.Visit(ctx, f, sources, workers, func(w, src, start int, d []float64) {
			r := ratio[src]
			if r == 0 {
				return
			}
			ws := weights(w, d)
			if owned { // as step 1 rounded them
				for k, x := range ws {
					ws[k] = float64(float32(x))
				}
			}
			out := cells[start : start+len(d)]
			for k, x := range ws {
				out[k] += x * r
			}
		}); err != nil {
			return nil, err
		}
	} else {
		// A cell is reached from sources of several workers, in an order that
		// depends on scheduling: the sums are kept in fixed point, int64 units
		// of bound/2⁶² with bound = Σ R_j (no A_i exceeds it, W ≤ 1), whose
		// adds commute, so a run gives the same bits whatever the order and the
		// number of workers (float adds differed in the last bits between runs).
		// Each add rounds by at most bound·2⁻⁶³.
		var bound float64
		for _, r := range ratio {
			bound += r
		}
		if bound > 0 {
			scale := math.Ldexp(1, 62) / bound
			acc := make([]atomic.Int64, n)
			if err := in.Distances.Visit(ctx, f, sources, workers, func(w, src, start int, d []float64) {
				r := ratio[src]
				if r == 0 {
					return
				}
				for k, x := range weights(w, d) {
					acc[start+k].Add(int64(math.Round(x * r * scale)))
				}
			}); err != nil {
				return nil, err
			}
			for i := range cells {
				cells[i] = float64(acc[i].Load()) / scale
			}
		}
	}
	res.Cells, res.Inside, res.demand = cells, inside, demandW

	// Townships.
	res.Townships = make([]Township, len(reg.Townships))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reg.Townships) {
					return
				}
				res.Townships[i] = township(reg, i, f, pop, cells, need)
			}
		}()
	}
	wg.Wait()
	var acc float64
	for _, t := range res.Townships {
		res.Population += t.Population
		acc += t.Mean * t.Population
		res.Shortfall += t.Shortfall
	}
	if res.Population > 0 {
		res.Mean = acc / res.Population
	}
	res.Notes = notes(res, in, unknown, decay)
	return res, nil
}

// township sums cells over township i's zone.
func township(reg *coverage.Region, i int, f coverage.Frame, pop []float32, cells []float64, need float64) Township {
	u := reg.Townships[i]
	t := Township{Code: u.Code, Name: u.Name, Need: need, Min: math.Inf(1)}
	z := reg.ZoneOfTownship(i)
	var acc float64
	add := func(k int, frac float64) {
		p := float64(pop[k])
		if p <= 0 {
			return
		}
		a := cells[k]
		t.Population += frac * p
		acc += frac * p * a
		if frac >= MinCellFrac && a < t.Min {
			t.Min = a
		}
		if a < need {
			t.BelowNeed += frac * p
		}
	}
	for _, run := range z.Runs {
		k := int(run.Row)*f.W + int(run.Col)
		for j := range int(run.N) {
			add(k+j, 1)
		}
	}
	for _, p := range z.Parts {
		add(int(p.Row)*f.W+int(p.Col), p.Frac)
	}
	if t.Population > 0 {
		t.Mean = acc / t.Population
	}
	if math.IsInf(t.Min, 1) {
		t.Min = 0
	}
	if need > 0 && t.Mean < need {
		t.Short = true
		t.Shortfall = (need - t.Mean) * t.Population
	}
	return t
}

func notes(res *Result, in Input, unknown int, decay Decay) []string {
	var out []string
	out = append(out, fmt.Sprintf("E2SFCA (Luo & Qi 2009): %s per person of layer %s reachable from each cell; %s; catchment d0 = %g %s (%s)",
		res.Field, res.Layer, decay.Describe(), res.Limit, res.Unit, res.Measure))
	if unknown > 0 {
		out = append(out, fmt.Sprintf("%d operating facilities give no %s: counted as 0", unknown, res.Field))
	}
	idle := 0
	for _, fr := range res.Facilities {
		if fr.Demand == 0 && fr.Capacity > 0 {
			idle++
		}
	}
	if idle > 0 {
		out = append(out, fmt.Sprintf("%d facilities reach nobody of the layer inside the townships: their capacity is not shared out", idle))
	}
	if len(res.Facilities) == 0 {
		out = append(out, fmt.Sprintf("no operating %s: accessibility is 0 everywhere", res.Kind))
	}
	if res.Need == 0 {
		out = append(out, fmt.Sprintf("the standards give kind %s no per-person ratio for %s: no shortfall is computed", res.Kind, res.Field))
	}
	return out
}
