package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Facility statuses; only operating facilities count for coverage.
const (
	StatusOperating = "operating"
	StatusPlanned   = "planned"
	StatusClosed    = "closed"
)

// Facility is one facility of the kind under study.
type Facility struct {
	ID, Name string
	Location orb.Point // WGS84
	Status   string    // operating, planned or closed ("" = operating)
	// Beds, NursingBeds, DementiaBeds are nil when unknown.
	Beds, NursingBeds, DementiaBeds *int
	Source                          string // where it was read ("file.csv:12"), for messages
}

func (f *Facility) field(name string) (float64, bool) {
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

// Input is one coverage run: a kind's standard, a population grid, the
// townships (and optionally villages and county names) and the facilities.
type Input struct {
	Standard Standard
	// Layer is the grid band to count; "" means Standard.Layer.
	Layer     string
	Grid      *geo.Grid
	Townships []Unit
	Villages  []Unit // optional: presence and service rules at village level
	Counties  []Unit // optional: county names by code (geometry unused)
	// Prefectures are optional prefecture (地级市) names by code, 4 or 12 digits
	// (geometry unused), for kinds with a prefecture presence rule.
	Prefectures []Unit
	// Facilities of the kind; planned and closed ones are listed but do not count.
	Facilities []Facility
	// Reach decides which cells facilities reach; nil: Straight{Standard.RadiusM}.
	Reach Reach
	// Compare, when not nil, is a second measure reported beside Reach per
	// township (e.g. the straight line beside travel time); CompareName names
	// it in reports ("straight").
	Compare     Reach
	CompareName string
	// Region, when not nil, is the prepared Townships and Villages on Grid (from
	// PrepareRegion); Townships and Villages above are then ignored.
	Region  *Region
	Workers int // 0: GOMAXPROCS
}

// Flags of a unit.
const (
	FlagNoFacility        = "NO_FACILITY"        // fails its presence rule (fewer facilities than the minimum)
	FlagCountyNoFacility  = "COUNTY_NO_FACILITY" // township whose county fails a county presence rule
	FlagVillageGaps       = "VILLAGE_GAPS"       // township with villages that fail a village rule
	FlagNotServed         = "NOT_SERVED"         // village whose centre is not reached
	FlagBelowTarget       = "BELOW_TARGET"       // township whose covered share of the layer is below the target
	FlagCapacityShortfall = "CAPACITY_SHORTFALL" // a capacity ratio is not met
	// FlagTooMany: more facilities than the presence rule's maximum (e.g. 3
	// regional child-welfare facilities in a prefecture that may have 1–2).
	FlagTooMany = "TOO_MANY"
	// FlagPrefectureNoFacility: township whose prefecture fails a prefecture
	// presence rule (fewer facilities than the minimum).
	FlagPrefectureNoFacility = "PREFECTURE_NO_FACILITY"
	// FlagVillageShare: township or county where fewer than the share-of-villages
	// target of its villages and communities are served.
	FlagVillageShare = "VILLAGE_SHARE"
)

// UnitResult is the result for one township, village or county.
type UnitResult struct {
	Level      Level
	Code, Name string
	Parent     string // county code of a township, township code of a village
	// Population is the layer population inside the unit (cells split by area);
	// Covered the part living in reached cells; Uncovered the rest.
	Population, Covered, Uncovered float64
	// Share is Covered/Population (1 when the unit has no population).
	Share float64
	// Facilities counts the operating facilities inside; NotOperating the planned
	// and closed ones.
	Facilities, NotOperating int
	// Served (villages): whether the cell holding the village centre is reached.
	Served *bool
	// VillageGaps (townships): how many of its villages are flagged.
	VillageGaps int
	Capacity    []Capacity
	Flags       []string
	// Villages (townships, counties, prefectures of a kind with a share-of-villages
	// target): its villages and communities, urban and rural, and how many are served.
	Villages *VillageTally `json:",omitempty"`
	// Compare (townships, when the run has a second measure): the population
	// the second measure covers, and the part of it the run's reach does not
	// (for travel beside straight: people a radius counts as served whom no
	// road reaches in time).
	Compare *UnitCompare `json:",omitempty"`
}

// UnitCompare is a township under the run's second measure.
type UnitCompare struct {
	Covered, OnlyCompare float64
}

// Capacity is one capacity ratio evaluated for a unit.
type Capacity struct {
	Ratio Ratio
	Have  float64 // sum of the field over operating facilities inside
	Need  float64 // what the ratio asks for
	Met   bool
	// Unknown counts operating facilities without a value for the field.
	Unknown int
}

// FacilityResult is the result for one facility.
type FacilityResult struct {
	Facility
	Counted      bool   // operating: counts for coverage
	Township     string // code of the township containing it, "" when outside every township
	TownshipName string
	// Catchment is the layer population (inside the region) in the cells it reaches;
	// Nearest the part of it for which it is the nearest reaching facility.
	// Nearest sums to the region's covered population over all facilities.
	Catchment, Nearest float64
}

// Gap is one flagged unit in the ranked list.
type Gap struct {
	Rank int
	UnitResult
	Detail string
}

// Result is the outcome of a run.
type Result struct {
	Standard  Standard
	Layer     string
	Reach     string // what the reach measures
	Target    float64
	Townships []UnitResult
	Villages  []UnitResult
	Counties  []UnitResult
	// Prefectures (地级市, by the first 4 digits of the township codes) are
	// evaluated for kinds with a prefecture presence rule only.
	Prefectures []UnitResult `json:",omitempty"`
	// Facilities in input order; Outside lists the indices of those outside every township.
	Facilities []FacilityResult
	Outside    []int
	Gaps       []Gap
	// Population is the layer total inside the region (the sum of the townships);
	// Covered its reached part. GridTotal is the layer total of the grid cells in
	// the townships' bounding box (Frame).
	Population, Covered, GridTotal float64
	// Operating, Planned, Closed count the facilities by status.
	Operating, Planned, Closed int
	Notes                      []string
	Frame                      Frame
	// Compare names the second measure ("" when none) and describes it;
	// CoveredCompare and OnlyCompare are its region totals (see UnitCompare).
	Compare, CompareReach       string
	CoveredCompare, OnlyCompare float64
	// Cells is the run's reach over Frame (per-cell nearest facility and cost).
	Cells *Reached `json:"-"`
	// Region is the prepared region the run used (township geometries for maps).
	Region *Region
}

// Run computes coverage for in.
func Run(ctx context.Context, in Input) (*Result, error) {
	std := in.Standard
	if std.ID == "" {
		return nil, fmt.Errorf("coverage: no standard given")
	}
	if std.TargetShare <= 0 || std.TargetShare > 1 {
		return nil, fmt.Errorf("coverage: %s: target share %v must be in (0, 1]", std.ID, std.TargetShare)
	}
	if in.Grid == nil {
		return nil, fmt.Errorf("%w: no population grid", ErrNoLayer)
	}
	if err := in.Grid.Validate(); err != nil {
		return nil, err
	}
	layer := in.Layer
	if layer == "" {
		layer = std.Layer
	}
	band, ok := in.Grid.Band(layer)
	if !ok {
		names := make([]string, len(in.Grid.Bands))
		for i, b := range in.Grid.Bands {
			names[i] = b.Name
		}
		return nil, fmt.Errorf("%w: the grid has no band %q (it has %s); name the bands with --band %s=N, or pick another layer",
			ErrNoLayer, layer, strings.Join(names, ", "), layer)
	}
	if err := checkFacilities(in.Facilities); err != nil {
		return nil, err
	}
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	reg := in.Region
	if reg == nil {
		var err error
		if reg, err = PrepareRegion(ctx, in.Grid, in.Townships, in.Villages, workers); err != nil {
			return nil, err
		}
	} else if reg.gridW != in.Grid.Width || reg.gridH != in.Grid.Height || reg.Frame.West != in.Grid.West || reg.Frame.North != in.Grid.North || reg.Frame.DX != in.Grid.DX || reg.Frame.DY != in.Grid.DY {
		return nil, fmt.Errorf("coverage: the prepared region belongs to another grid")
	}
	reach := in.Reach
	if reach == nil {
		reach = Straight{Radius: std.RadiusM}
	}
	e := &engine{in: in, std: std, reg: reg, f: reg.Frame, band: band, grid: in.Grid, workers: workers}
	res := &Result{Standard: std, Layer: layer, Reach: reach.Describe(), Target: std.TargetShare, Frame: reg.Frame, Region: reg}

	if err := e.population(ctx); err != nil {
		return nil, err
	}
	// Sources: the operating facilities.
	var sources []orb.Point
	var srcFac []int
	for i, f := range in.Facilities {
		switch statusOf(f) {
		case StatusOperating:
			res.Operating++
			sources = append(sources, f.Location)
			srcFac = append(srcFac, i)
		case StatusPlanned:
			res.Planned++
		case StatusClosed:
			res.Closed++
		}
	}
	reached, err := reach.Reach(ctx, ReachRequest{Frame: e.f, Sources: sources, Weight: e.weight, Workers: workers})
	if err != nil {
		return nil, err
	}
	if len(reached.Nearest) != e.f.Len() || len(reached.Catchment) != len(sources) {
		return nil, fmt.Errorf("coverage: reach %s returned %d cells and %d catchments, want %d and %d",
			reach.Describe(), len(reached.Nearest), len(reached.Catchment), e.f.Len(), len(sources))
	}
	e.nearest = reached.Nearest
	res.Cells = reached
	if in.Compare != nil {
		alt, err := in.Compare.Reach(ctx, ReachRequest{Frame: e.f, Sources: sources, Workers: workers})
		if err != nil {
			return nil, err
		}
		if len(alt.Nearest) != e.f.Len() {
			return nil, fmt.Errorf("coverage: compare reach %s returned %d cells, want %d", in.Compare.Describe(), len(alt.Nearest), e.f.Len())
		}
		e.alt = alt.Nearest
		res.Compare, res.CompareReach = cmp.Or(in.CompareName, "compare"), in.Compare.Describe()
	}

	// Facilities: where they are, what they reach.
	nearestPop := e.nearestSums(len(sources))
	res.Facilities = make([]FacilityResult, len(in.Facilities))
	fTownship := make([]int, len(in.Facilities))
	fVillage := make([]int, len(in.Facilities))
	const chunk = 256
	if err := parallelEach(ctx, (len(in.Facilities)+chunk-1)/chunk, workers, func(k int) {
		for i := k * chunk; i < min((k+1)*chunk, len(in.Facilities)); i++ {
			fTownship[i] = reg.Locate(in.Facilities[i].Location)
			fVillage[i] = -1
			if len(reg.Villages) > 0 {
				fVillage[i] = reg.LocateVillage(in.Facilities[i].Location)
			}
		}
	}); err != nil {
		return nil, err
	}
	for i, f := range in.Facilities {
		fr := FacilityResult{Facility: f, Counted: statusOf(f) == StatusOperating}
		fr.Status = statusOf(f)
		if t := fTownship[i]; t >= 0 {
			fr.Township, fr.TownshipName = reg.Townships[t].Code, reg.Townships[t].Name
		} else {
			res.Outside = append(res.Outside, i)
		}
		res.Facilities[i] = fr
	}
	for k, i := range srcFac {
		res.Facilities[i].Catchment = reached.Catchment[k]
		res.Facilities[i].Nearest = nearestPop[k]
	}

	// Townships.
	res.Townships = make([]UnitResult, len(reg.Townships))
	if err := parallelEach(ctx, len(reg.Townships), workers, func(i int) {
		t := reg.Townships[i]
		u := UnitResult{Level: LevelTownship, Code: t.Code, Name: t.Name, Parent: reg.counties[reg.townshipCounty[i]].code}
		u.Population, u.Covered = e.sums(&reg.tZones[i])
		if e.alt != nil {
			var c UnitCompare
			c.Covered, c.OnlyCompare = e.altSums(&reg.tZones[i])
			u.Compare = &c
		}
		res.Townships[i] = u
	}); err != nil {
		return nil, err
	}
	tFacs := make([][]int, len(reg.Townships))
	for i, t := range fTownship {
		if t >= 0 {
			tFacs[t] = append(tFacs[t], i)
		}
	}
	for i := range res.Townships {
		e.finishUnit(&res.Townships[i], tFacs[i])
		res.Population += res.Townships[i].Population
		res.Covered += res.Townships[i].Covered
		if c := res.Townships[i].Compare; c != nil {
			res.CoveredCompare += c.Covered
			res.OnlyCompare += c.OnlyCompare
		}
	}

	// Villages.
	if len(reg.Villages) > 0 {
		res.Villages = make([]UnitResult, len(reg.Villages))
		vFacs := make([][]int, len(reg.Villages))
		for i, v := range fVillage {
			if v >= 0 {
				vFacs[v] = append(vFacs[v], i)
			}
		}
		if err := parallelEach(ctx, len(reg.Villages), workers, func(i int) {
			v := reg.Villages[i]
			u := UnitResult{Level: LevelVillage, Code: v.Code, Name: v.Name}
			if t := reg.villageTownship[i]; t >= 0 {
				u.Parent = reg.Townships[t].Code
			}
			u.Population, u.Covered = e.sums(&reg.vZones[i])
			served := false
			if c, r, ok := e.f.Cell(reg.villageCenter[i]); ok {
				served = e.nearest[r*e.f.W+c] >= 0
			}
			u.Served = &served
			res.Villages[i] = u
		}); err != nil {
			return nil, err
		}
		for i := range res.Villages {
			e.finishUnit(&res.Villages[i], vFacs[i])
			if len(res.Villages[i].Flags) > 0 {
				if t := reg.villageTownship[i]; t >= 0 {
					res.Townships[t].VillageGaps++
				}
			}
		}
		for i := range res.Townships {
			if res.Townships[i].VillageGaps > 0 {
				res.Townships[i].Flags = append(res.Townships[i].Flags, FlagVillageGaps)
			}
		}
		if std.Presence.VillageShare != nil {
			tally := make([]VillageTally, len(res.Townships))
			for i, v := range res.Villages {
				t := reg.villageTownship[i]
				if t < 0 {
					continue // outside every township: no township or county to count it for
				}
				served := v.Served != nil && *v.Served
				if VillageIsUrban(v.Name) {
					tally[t].Urban++
					if served {
						tally[t].UrbanServed++
					}
				} else {
					tally[t].Rural++
					if served {
						tally[t].RuralServed++
					}
				}
			}
			for i := range res.Townships {
				res.Townships[i].Villages = &tally[i]
				e.villageShare(&res.Townships[i])
			}
		}
	}

	// Counties: sums of their townships.
	names := map[string]string{}
	for _, c := range in.Counties {
		names[countyCode(c.Code)] = c.Name
		names[c.Code] = c.Name
	}
	for _, cg := range reg.counties {
		u := UnitResult{Level: LevelCounty, Code: cg.code, Name: names[cg.code]}
		if u.Code == "" {
			u.Name = "(townships without county codes)"
		}
		var facs []int
		for _, t := range cg.townships {
			u.Population += res.Townships[t].Population
			u.Covered += res.Townships[t].Covered
			facs = append(facs, tFacs[t]...)
			addTally(&u, res.Townships[t].Villages)
		}
		e.finishUnit(&u, facs)
		res.Counties = append(res.Counties, u)
	}
	// Prefectures (地级市): sums of their counties' townships, for a prefecture rule.
	if std.Presence.Level == LevelPrefecture {
		e.prefectures(res, in, tFacs)
	}
	if std.Presence.Level == LevelCounty && std.Presence.Min > 0 {
		for k, cg := range reg.counties {
			if slices.Contains(res.Counties[k].Flags, FlagNoFacility) {
				for _, t := range cg.townships {
					res.Townships[t].Flags = append(res.Townships[t].Flags, FlagCountyNoFacility)
				}
			}
		}
	}
	for i := range res.Townships {
		sortFlags(res.Townships[i].Flags)
	}
	res.GridTotal = e.frameTotal()
	res.Gaps = rankGaps(res, std)
	res.Notes = e.notes(res, reach)
	return res, nil
}

func statusOf(f Facility) string {
	if f.Status == "" {
		return StatusOperating
	}
	return f.Status
}

func checkFacilities(fs []Facility) error {
	for i, f := range fs {
		where := f.Source
		if where == "" {
			where = fmt.Sprintf("facility %d", i+1)
		}
		switch statusOf(f) {
		case StatusOperating, StatusPlanned, StatusClosed:
		default:
			return fmt.Errorf("%w: %s (%s): status %q is not one of operating, planned, closed", ErrBadFacility, where, f.ID, f.Status)
		}
		p := f.Location
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
			return fmt.Errorf("%w: %s (%s): location %v is not WGS84 lon/lat", ErrBadFacility, where, f.ID, p)
		}
	}
	return nil
}

// engine holds the per-run arrays over the frame.
type engine struct {
	in      Input
	std     Standard
	reg     *Region
	f       Frame
	grid    *geo.Grid
	band    *geo.Band
	workers int
	pop     []float32 // layer value per frame cell (0 outside the region and for nodata)
	weight  []float32 // pop × share of the cell inside the region
	nearest []int32
	alt     []int32 // the second measure's nearest (Input.Compare), or nil
	// weightTotal is the layer population inside the union of the townships.
	weightTotal float64
}

// population fills pop (the band over the frame, nodata as 0) and weight (pop
// times the share of the cell inside the region), and rejects NaN, infinite
// and negative values in cells of the region.
func (e *engine) population(ctx context.Context) error {
	n := e.f.Len()
	e.pop = make([]float32, n)
	e.weight = make([]float32, n) // first the region fraction, then the weight
	gw := e.grid.Width
	// 1. The band over the frame; bad values become 0 here and are reported
	// below if they lie in the region.
	parallelRange(e.f.H, e.workers, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			src := e.band.Data[(e.f.Row0+r)*gw+e.f.Col0:][:e.f.W]
			dst := e.pop[r*e.f.W:][:e.f.W]
			for c, v := range src {
				if !(v > 0) || math.IsInf(float64(v), 1) || e.grid.IsNoData(v) {
					v = 0
				}
				dst[c] = v
			}
		}
	})
	// 2. The share of each cell inside the region (townships may share cells).
	for zi := range e.reg.tZones {
		if zi%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		z := &e.reg.tZones[zi]
		for _, run := range z.Runs {
			w := e.weight[int(run.Row)*e.f.W+int(run.Col):][:run.N]
			for k := range w {
				w[k]++
			}
		}
		for _, p := range z.Parts {
			e.weight[int(p.Row)*e.f.W+int(p.Col)] += float32(p.Frac)
		}
	}
	// 3. Bad values in the region, and the weights.
	type bad struct {
		i int
		v float32
	}
	bads := make([][]bad, e.workers)
	counts := make([]int, e.workers)
	totals := make([]float64, e.workers)
	parallelRange(e.f.H, e.workers, func(w, lo, hi int) {
		for r := lo; r < hi; r++ {
			src := e.band.Data[(e.f.Row0+r)*gw+e.f.Col0:][:e.f.W]
			for c := range e.f.W {
				i := r*e.f.W + c
				fr := e.weight[i]
				if fr == 0 {
					continue
				}
				if v := src[c]; !(v >= 0) || math.IsInf(float64(v), 1) {
					if !e.grid.IsNoData(v) {
						counts[w]++
						if len(bads[w]) < 5 {
							bads[w] = append(bads[w], bad{i, v})
						}
					}
				}
				e.weight[i] = e.pop[i] * min(fr, 1)
				totals[w] += float64(e.weight[i])
			}
		}
	})
	e.weightTotal = 0
	for _, t := range totals {
		e.weightTotal += t
	}
	nbad := 0
	var first []bad
	for w := range e.workers {
		nbad += counts[w]
		first = append(first, bads[w]...)
	}
	if nbad == 0 {
		return nil
	}
	var b strings.Builder
	for k, x := range first[:min(len(first), 5)] {
		if k > 0 {
			b.WriteString("; ")
		}
		c, r := x.i%e.f.W, x.i/e.f.W
		p := e.f.Center(c, r)
		what := "negative"
		switch {
		case x.v != x.v:
			what = "NaN"
			if !e.grid.HasNoData {
				what += " (the grid declares no nodata value)"
			}
		case math.IsInf(float64(x.v), 1):
			what = "infinite"
		}
		fmt.Fprintf(&b, "cell col %d row %d (%.5f°E %.5f°N) is %v: %s", e.f.Col0+c, e.f.Row0+r, p[0], p[1], x.v, what)
	}
	return fmt.Errorf("%w: band %s has %d cells inside the townships that are NaN, infinite or negative: %s; population must be a count ≥ 0 (mark missing cells with a nodata value)",
		ErrBadPopulation, e.band.Name, nbad, b.String())
}

// sums returns the layer population of a zone and its reached part.
func (e *engine) sums(z *Zone) (pop, covered float64) {
	W := e.f.W
	for _, run := range z.Runs {
		i := int(run.Row)*W + int(run.Col)
		ps := e.pop[i : i+int(run.N)]
		ns := e.nearest[i : i+int(run.N)]
		var p, c float64
		for k, v := range ps {
			p += float64(v)
			if ns[k] >= 0 {
				c += float64(v)
			}
		}
		pop += p
		covered += c
	}
	for _, part := range z.Parts {
		i := int(part.Row)*W + int(part.Col)
		v := float64(e.pop[i]) * part.Frac
		pop += v
		if e.nearest[i] >= 0 {
			covered += v
		}
	}
	return pop, covered
}

// altSums returns the population of a zone the second measure reaches, and
// the part of it the run's reach does not.
func (e *engine) altSums(z *Zone) (covered, only float64) {
	W := e.f.W
	add := func(i int, v float64) {
		if e.alt[i] >= 0 {
			covered += v
			if e.nearest[i] < 0 {
				only += v
			}
		}
	}
	for _, run := range z.Runs {
		i := int(run.Row)*W + int(run.Col)
		for k := range int(run.N) {
			add(i+k, float64(e.pop[i+k]))
		}
	}
	for _, part := range z.Parts {
		i := int(part.Row)*W + int(part.Col)
		add(i, float64(e.pop[i])*part.Frac)
	}
	return covered, only
}

// nearestSums returns, per source, the weight of the cells it is nearest for.
func (e *engine) nearestSums(nsrc int) []float64 {
	parts := make([][]float64, e.workers)
	var wg sync.WaitGroup
	n := e.f.Len()
	for w := range e.workers {
		acc := make([]float64, nsrc)
		parts[w] = acc
		lo, hi := w*n/e.workers, (w+1)*n/e.workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if k := e.nearest[i]; k >= 0 {
					acc[k] += float64(e.weight[i])
				}
			}
		}()
	}
	wg.Wait()
	out := make([]float64, nsrc)
	for _, p := range parts {
		for i, v := range p {
			out[i] += v
		}
	}
	return out
}

// frameTotal is the layer total of the grid cells in the frame (the
// townships' bounding box): nodata, NaN, infinite and negative cells count 0.
func (e *engine) frameTotal() float64 {
	parts := make([]float64, e.workers)
	parallelRange(e.f.H, e.workers, func(w, lo, hi int) {
		var t float64
		for r := lo; r < hi; r++ {
			row := e.band.Data[(e.f.Row0+r)*e.grid.Width+e.f.Col0:][:e.f.W]
			for _, v := range row {
				if v > 0 && !math.IsInf(float64(v), 1) && !e.grid.IsNoData(v) {
					t += float64(v)
				}
			}
		}
		parts[w] = t
	})
	var t float64
	for _, p := range parts {
		t += p
	}
	return t
}

// finishUnit fills share, facilities, capacity and flags of u from the
// facilities inside it (indices into the input).
func (e *engine) finishUnit(u *UnitResult, facs []int) {
	std := e.std
	u.Uncovered = max(u.Population-u.Covered, 0)
	u.Share = 1
	if u.Population > 0 {
		u.Share = u.Covered / u.Population
	}
	var operating []*Facility
	for _, i := range facs {
		f := &e.in.Facilities[i]
		if statusOf(*f) == StatusOperating {
			u.Facilities++
			operating = append(operating, f)
		} else {
			u.NotOperating++
		}
	}
	if std.Presence.Level == u.Level && u.Facilities < std.Presence.Min {
		u.Flags = append(u.Flags, FlagNoFacility)
	}
	if std.Presence.Level == u.Level && std.Presence.Max > 0 && u.Facilities > std.Presence.Max {
		u.Flags = append(u.Flags, FlagTooMany)
	}
	if u.Level != LevelTownship {
		e.villageShare(u) // townships: once their villages are counted
	}
	if u.Level == LevelTownship && std.Presence.Level == LevelVillage && u.Facilities == 0 && std.Presence.Min > 0 {
		u.Flags = append(u.Flags, FlagNoFacility)
	}
	if u.Level == LevelVillage && std.Presence.VillagesServed && u.Served != nil && !*u.Served {
		u.Flags = append(u.Flags, FlagNotServed)
	}
	// The coverage target is a township rule (DESIGN.md); counties and villages
	// report their share without a flag.
	if u.Level == LevelTownship && u.Population > 0 && u.Share < std.TargetShare {
		u.Flags = append(u.Flags, FlagBelowTarget)
	}
	if u.Level != LevelVillage && len(std.Capacity) > 0 {
		short := false
		for _, r := range std.Capacity {
			c := Capacity{Ratio: r}
			var base float64
			for _, f := range operating {
				v, ok := f.field(r.Field)
				if !ok {
					c.Unknown++
				}
				c.Have += v
				if r.ShareOf != "" {
					b, _ := f.field(r.ShareOf)
					base += b
				}
			}
			if r.ShareOf != "" {
				c.Need = r.Min * base
			} else {
				c.Need = r.Min * u.Population / r.Per
			}
			c.Met = c.Have >= c.Need-1e-9
			short = short || !c.Met
			u.Capacity = append(u.Capacity, c)
		}
		if short {
			u.Flags = append(u.Flags, FlagCapacityShortfall)
		}
	}
	sortFlags(u.Flags)
}

var flagOrder = []string{FlagNoFacility, FlagTooMany, FlagCountyNoFacility, FlagPrefectureNoFacility, FlagNotServed, FlagVillageGaps, FlagVillageShare, FlagBelowTarget, FlagCapacityShortfall}

func sortFlags(f []string) {
	slices.SortFunc(f, func(a, b string) int { return slices.Index(flagOrder, a) - slices.Index(flagOrder, b) })
}

// rankGaps lists every flagged unit, the most uncovered people first; ties go
// to more flags, then to the higher level, then to the code.
func rankGaps(res *Result, std Standard) []Gap {
	var gaps []Gap
	for _, list := range [][]UnitResult{res.Prefectures, res.Counties, res.Townships, res.Villages} {
		for _, u := range list {
			if len(u.Flags) > 0 {
				gaps = append(gaps, Gap{UnitResult: u, Detail: detail(u, std)})
			}
		}
	}
	lvl := map[Level]int{LevelPrefecture: -1, LevelCounty: 0, LevelTownship: 1, LevelVillage: 2}
	slices.SortStableFunc(gaps, func(a, b Gap) int {
		if c := cmp.Compare(math.Round(b.Uncovered), math.Round(a.Uncovered)); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.Flags), len(a.Flags)); c != 0 {
			return c
		}
		if c := cmp.Compare(lvl[a.Level], lvl[b.Level]); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	for i := range gaps {
		gaps[i].Rank = i + 1
	}
	return gaps
}

// detail explains a unit's flags in a sentence a planner can hand on.
func detail(u UnitResult, std Standard) string {
	var parts []string
	name := std.Name
	if name == "" {
		name = std.ID
	}
	for _, f := range u.Flags {
		switch f {
		case FlagNoFacility:
			parts = append(parts, fmt.Sprintf("%d operating %s, at least %d required per %s (无%s)", u.Facilities, std.ID, std.Presence.Min, std.Presence.Level, name))
		case FlagTooMany:
			parts = append(parts, fmt.Sprintf("%d operating %s, at most %d allowed per %s (%s过多)", u.Facilities, std.ID, std.Presence.Max, std.Presence.Level, name))
		case FlagPrefectureNoFacility:
			parts = append(parts, fmt.Sprintf("prefecture %s has fewer than %d operating %s", prefectureCode(u.Code), std.Presence.Min, std.ID))
		case FlagVillageShare:
			if t := u.Villages; t != nil {
				parts = append(parts, fmt.Sprintf("%d of %d villages and communities served (urban %d/%d, rural %d/%d) < target %s (村社区覆盖率不足)",
					t.UrbanServed+t.RuralServed, t.Urban+t.Rural, t.UrbanServed, t.Urban, t.RuralServed, t.Rural, std.Presence.VillageShare))
			}
		case FlagCountyNoFacility:
			parts = append(parts, fmt.Sprintf("county %s has no operating %s", u.Parent, std.ID))
		case FlagNotServed:
			parts = append(parts, "village centre not reached (村未覆盖)")
		case FlagVillageGaps:
			parts = append(parts, fmt.Sprintf("%d villages flagged", u.VillageGaps))
		case FlagBelowTarget:
			parts = append(parts, fmt.Sprintf("%.1f %% covered < %.0f %% target: %s people not reached", 100*u.Share, 100*std.TargetShare, fmtInt(u.Uncovered)))
		case FlagCapacityShortfall:
			for _, c := range u.Capacity {
				if !c.Met {
					parts = append(parts, fmt.Sprintf("%s %s < %s needed (%s)", c.Ratio.Field, fmtInt(c.Have), fmtInt(math.Ceil(c.Need-1e-9)), c.Ratio))
				}
			}
		}
	}
	return strings.Join(parts, "; ")
}

// plural formats n with the singular or plural phrase.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// fmtInt formats a count rounded to a whole number with thousands separators.
func fmtInt(v float64) string {
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (e *engine) notes(res *Result, reach Reach) []string {
	std := e.std
	var notes []string
	notes = append(notes, fmt.Sprintf("cell rule: a grid cell counts as reached when its centre is within the catchment (%s) of at least one operating facility; a cell reached by several facilities counts once; a cell cut by a boundary is split by area (planar lon/lat)", reach.Describe()))
	if res.Planned+res.Closed > 0 {
		notes = append(notes, fmt.Sprintf("%s not operating (%d planned, %d closed): listed but not counted", plural(res.Planned+res.Closed, "facility is", "facilities are"), res.Planned, res.Closed))
	}
	if res.Operating == 0 {
		notes = append(notes, fmt.Sprintf("no operating %s in the input: nothing is reached, every township is flagged", std.ID))
	}
	if len(res.Outside) > 0 {
		ids := make([]string, 0, len(res.Outside))
		for _, i := range res.Outside {
			ids = append(ids, res.Facilities[i].ID)
		}
		notes = append(notes, fmt.Sprintf("%s outside every township (still counted for the cells they reach): %s", plural(len(res.Outside), "facility lies", "facilities lie"), strings.Join(ids, ", ")))
	}
	if out := e.reg.areaCells - e.reg.inGridCells; out > 1e-6*e.reg.areaCells {
		notes = append(notes, fmt.Sprintf("%.2f %% of the townships' area lies outside the population grid: no population is counted there", 100*out/e.reg.areaCells))
	}
	if len(e.reg.overlapUnits) > 0 {
		notes = append(notes, fmt.Sprintf("townships whose parts overlap themselves (counted once): %s", strings.Join(e.reg.overlapUnits, ", ")))
	}
	if d := res.Population - e.weightTotal; math.Abs(d) > 0.5 {
		notes = append(notes, fmt.Sprintf("townships overlap each other: their populations add up to %.0f more than the population inside their union", d))
	}
	if std.Presence.Level == LevelVillage || std.Presence.VillagesServed || std.Presence.VillageShare != nil {
		if len(e.reg.Villages) == 0 {
			notes = append(notes, "the village rule of this kind was not checked: no village boundaries given (--villages)")
		}
	}
	if rest := res.GridTotal - res.Population; rest > 0.5 {
		notes = append(notes, fmt.Sprintf("%s people on the grid within the townships' bounding box lie outside the townships (beyond the region, or in the outer part of cells cut by its boundary) and are not counted", fmtInt(rest)))
	}
	for _, c := range res.Counties {
		if c.Code == "" {
			notes = append(notes, "some township codes are not division codes: their county grouping is one pseudo-county")
			break
		}
	}
	return notes
}
