package coverage

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Incremental keeps a coverage run's per-cell state so that what-if edits of
// the facility set (add, move, close, change beds) update the township,
// village and county results by touching only the cells of the catchments that
// change: per cell it holds how many operating facilities reach it, and per
// unit its covered population. When a cell's count goes from 0 to 1 (or 1 to
// 0), the units it lies in gain (or lose) its population; everything else
// (facility counts, capacity, flags, gaps) is rebuilt from those sums, which is
// proportional to the number of units and facilities, not cells.
//
// The results equal those of Run on the same facilities (sums to rounding: a
// unit's covered population is the base run's sum plus the edits' deltas; a
// unit whose populated cells are all reached, or none, gets exactly its
// population, or 0). Only the straight-line reach is supported; Compare must be
// nil. FacilityResult.Nearest is not maintained (0); Catchment is.
type Incremental struct {
	e      *engine
	reach  Straight
	counts []uint16 // per frame cell: operating facilities reaching it
	t, v   unitIndex
	// Facilities by ID, as last set.
	facs  map[string]*incFacility
	order []string // IDs in input order
	// Village centre cells (-1 outside the frame).
	vCenter  []int
	gridTot  float64
	Touched  int // cells visited by the last Set (catchments removed and added)
	Flipped  int // cells whose reached state changed in the last Set
	facility []Facility
	// lastCatchment is the weight of the last catchment added.
	lastCatchment float64
}

type incFacility struct {
	f         Facility
	operating bool
	township  int
	village   int
	catchment float64
}

// unitIndex maps cells to the units (townships or villages) they lie in, with
// the fraction of the cell inside, and holds each unit's sums.
type unitIndex struct {
	// cell is, per frame cell, the unit it lies wholly in (one run), -1 when in
	// none, -2 when it is split or shared: then multi holds the entries.
	cell  []int32
	multi map[int32][]unitEntry
	// Per unit: layer population (fixed), covered population, and the number of
	// populated cell entries and of reached ones.
	pop, covered       []float64
	entries, reachedIn []int32
}

type unitEntry struct {
	unit int32
	frac float64 // 1 for a run cell
}

// NewIncremental prepares in (as for Run) and computes the base state of its
// facilities. in.Reach must be nil or a Straight.
func NewIncremental(ctx context.Context, in Input) (*Incremental, error) {
	std := in.Standard
	if std.ID == "" {
		return nil, fmt.Errorf("coverage: no standard given")
	}
	if std.TargetShare <= 0 || std.TargetShare > 1 {
		return nil, fmt.Errorf("coverage: %s: target share %v must be in (0, 1]", std.ID, std.TargetShare)
	}
	if in.Compare != nil {
		return nil, fmt.Errorf("coverage: what-if scenarios do not support a second measure (Compare)")
	}
	reach := Straight{Radius: std.RadiusM}
	switch r := in.Reach.(type) {
	case nil:
	case Straight:
		reach = r
	default:
		return nil, fmt.Errorf("coverage: what-if scenarios support the straight-line reach only, not %s", in.Reach.Describe())
	}
	if !(reach.Radius > 0 && reach.Radius <= MaxRadius) {
		return nil, fmt.Errorf("straight-line reach: radius %v m must be in (0, %d]", reach.Radius, MaxRadius)
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
		return nil, fmt.Errorf("%w: the grid has no band %q", ErrNoLayer, layer)
	}
	in.Layer = layer
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
		in.Region = reg
	}
	in.Reach = reach
	e := &engine{in: in, std: std, reg: reg, f: reg.Frame, band: band, grid: in.Grid, workers: workers}
	if err := e.population(ctx); err != nil {
		return nil, err
	}
	x := &Incremental{e: e, reach: reach, counts: make([]uint16, e.f.Len()), facs: map[string]*incFacility{}}
	x.t = newUnitIndex(e, reg.tZones)
	if len(reg.Villages) > 0 {
		x.v = newUnitIndex(e, reg.vZones)
		x.vCenter = make([]int, len(reg.Villages))
		for i := range reg.Villages {
			x.vCenter[i] = -1
			if c, r, ok := e.f.Cell(reg.villageCenter[i]); ok {
				x.vCenter[i] = r*e.f.W + c
			}
		}
	}
	x.gridTot = e.frameTotal()
	if err := x.Set(ctx, in.Facilities); err != nil {
		return nil, err
	}
	return x, nil
}

func newUnitIndex(e *engine, zones []Zone) unitIndex {
	W := e.f.W
	u := unitIndex{
		cell: make([]int32, e.f.Len()), multi: map[int32][]unitEntry{},
		pop: make([]float64, len(zones)), covered: make([]float64, len(zones)),
		entries: make([]int32, len(zones)), reachedIn: make([]int32, len(zones)),
	}
	for i := range u.cell {
		u.cell[i] = -1
	}
	add := func(i int, z int32, frac float64, whole bool) {
		switch c := u.cell[i]; {
		case c == -1 && whole:
			u.cell[i] = z
		case c == -1:
			u.cell[i] = -2
			u.multi[int32(i)] = []unitEntry{{z, frac}}
		case c >= 0:
			u.cell[i] = -2
			u.multi[int32(i)] = []unitEntry{{c, 1}, {z, frac}}
		default:
			u.multi[int32(i)] = append(u.multi[int32(i)], unitEntry{z, frac})
		}
	}
	for zi := range zones {
		z := &zones[zi]
		var p float64
		for _, run := range z.Runs {
			i := int(run.Row)*W + int(run.Col)
			var s float64
			for k := range int(run.N) {
				add(i+k, int32(zi), 1, true)
				v := e.pop[i+k]
				s += float64(v)
				if v > 0 {
					u.entries[zi]++
				}
			}
			p += s
		}
		for _, part := range z.Parts {
			i := int(part.Row)*W + int(part.Col)
			add(i, int32(zi), part.Frac, false)
			v := float64(e.pop[i]) * part.Frac
			p += v
			if v > 0 {
				u.entries[zi]++
			}
		}
		u.pop[zi] = p // the same order of sums as engine.sums
	}
	return u
}

// flip adds (sign +1) or removes (sign -1) cell i's population from the units it lies in.
func (u *unitIndex) flip(e *engine, i int, sign float64) {
	if u.cell == nil {
		return
	}
	v := float64(e.pop[i])
	switch c := u.cell[i]; {
	case c == -1:
	case c >= 0:
		u.covered[c] += sign * v
		if v > 0 {
			u.reachedIn[c] += int32(sign)
		}
	default:
		for _, en := range u.multi[int32(i)] {
			w := v * en.frac
			u.covered[en.unit] += sign * w
			if w > 0 {
				u.reachedIn[en.unit] += int32(sign)
			}
		}
	}
}

// coveredOf is unit k's covered population: exact at the extremes.
func (u *unitIndex) coveredOf(k int) float64 {
	switch u.reachedIn[k] {
	case 0:
		return 0
	case u.entries[k]:
		return u.pop[k]
	}
	return u.covered[k]
}

// Set replaces the facility set by fs (IDs must be unique and non-empty) and
// updates the state: facilities removed, moved, closed or opened have their
// catchments removed and added; other changes (beds, names) touch no cells.
func (x *Incremental) Set(ctx context.Context, fs []Facility) error {
	if err := checkFacilities(fs); err != nil {
		return err
	}
	next := make(map[string]*Facility, len(fs))
	order := make([]string, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.ID == "" {
			return fmt.Errorf("%w: %s: a what-if scenario needs an ID for every facility", ErrBadFacility, where(f, i))
		}
		if _, dup := next[f.ID]; dup {
			return fmt.Errorf("%w: %s: facility ID %q appears twice", ErrBadFacility, where(f, i), f.ID)
		}
		next[f.ID] = f
		order = append(order, f.ID)
	}
	x.Touched, x.Flipped = 0, 0
	// Remove the catchments that go away or move.
	for _, id := range x.order { // input order: the deltas are summed deterministically
		old := x.facs[id]
		nf, ok := next[id]
		if ok && nf.Location == old.f.Location && (statusOf(*nf) == StatusOperating) == old.operating {
			continue
		}
		if old.operating {
			if err := x.catchment(old.f.Location, -1); err != nil {
				return err
			}
		}
		delete(x.facs, id)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Add the new ones; refresh the others' attributes.
	reg := x.e.reg
	for _, id := range order {
		nf := next[id]
		if old, ok := x.facs[id]; ok {
			old.f = *nf
			continue
		}
		st := &incFacility{f: *nf, operating: statusOf(*nf) == StatusOperating, township: reg.Locate(nf.Location), village: -1}
		if len(reg.Villages) > 0 {
			st.village = reg.LocateVillage(nf.Location)
		}
		if st.operating {
			if err := x.catchment(nf.Location, +1); err != nil {
				return err
			}
			st.catchment = x.lastCatchment
		}
		x.facs[id] = st
	}
	x.order = order
	x.facility = slices.Clone(fs)
	return nil
}

func where(f *Facility, i int) string {
	if f.Source != "" {
		return f.Source
	}
	return fmt.Sprintf("facility %d", i+1)
}

// catchment adds (sign +1) or removes (sign -1) the straight-line catchment of
// a facility at p: the cells Straight.Reach marks for it (the same test).
func (x *Incremental) catchment(p orb.Point, sign int) error {
	e := x.e
	f := e.f
	R := x.reach.Radius
	slack := distSlack(R, p[1])
	_, my := geo.MetresPerDegree(p[1])
	dlat := (R+slack)/my*1.01 + f.DY
	r0 := max(int(math.Ceil((f.North-(p[1]+dlat))/f.DY-0.5))-f.Row0, 0)
	r1 := min(int(math.Floor((f.North-(p[1]-dlat))/f.DY-0.5))-f.Row0, f.H-1)
	var sum float64
	for r := r0; r <= r1; r++ {
		lat := f.North - (float64(f.Row0+r)+0.5)*f.DY
		mx, my := geo.MetresPerDegree((lat + p[1]) / 2)
		dy := (lat - p[1]) * my
		if math.Abs(dy) > R+slack {
			continue
		}
		half := math.Sqrt((R+slack)*(R+slack)-dy*dy) / mx
		c0 := max(int(math.Ceil((p[0]-half-f.West)/f.DX-0.5))-f.Col0, 0)
		c1 := min(int(math.Floor((p[0]+half-f.West)/f.DX-0.5))-f.Col0, f.W-1)
		base := r * f.W
		inner := R - slack
		for c := c0; c <= c1; c++ {
			lon := f.West + (float64(f.Col0+c)+0.5)*f.DX
			dx := (lon - p[0]) * mx
			if d := math.Sqrt(dx*dx + dy*dy); d > inner {
				if d > R+slack || geo.Distance(p, orb.Point{lon, lat}) > R {
					continue
				}
			}
			i := base + c
			x.Touched++
			sum += float64(e.weight[i])
			n := x.counts[i]
			switch {
			case sign > 0 && n == math.MaxUint16:
				return fmt.Errorf("coverage: more than %d facilities reach one cell", math.MaxUint16)
			case sign > 0:
				x.counts[i] = n + 1
				if n == 0 {
					x.Flipped++
					x.t.flip(e, i, 1)
					x.v.flip(e, i, 1)
				}
			default:
				x.counts[i] = n - 1
				if n == 1 {
					x.Flipped++
					x.t.flip(e, i, -1)
					x.v.flip(e, i, -1)
				}
			}
		}
	}
	x.lastCatchment = sum
	return nil
}

// Reached reports whether frame cell i is reached by an operating facility.
func (x *Incremental) Reached(i int) bool { return x.counts[i] > 0 }

// Result assembles the current results (townships, villages, counties, gaps)
// from the kept sums, as Run does from its cells.
func (x *Incremental) Result() *Result {
	e := x.e
	reg := e.reg
	std := e.std
	e.in.Facilities = x.facility
	res := &Result{Standard: std, Layer: e.in.Layer, Reach: x.reach.Describe(), Target: std.TargetShare, Frame: reg.Frame, Region: reg, GridTotal: x.gridTot}
	res.Facilities = make([]FacilityResult, len(x.facility))
	fTownship := make([]int, len(x.facility))
	fVillage := make([]int, len(x.facility))
	for i, id := range x.order {
		st := x.facs[id]
		switch statusOf(st.f) {
		case StatusOperating:
			res.Operating++
		case StatusPlanned:
			res.Planned++
		case StatusClosed:
			res.Closed++
		}
		fr := FacilityResult{Facility: x.facility[i], Counted: st.operating}
		fr.Status = statusOf(st.f)
		if st.operating {
			fr.Catchment = st.catchment
		}
		fTownship[i], fVillage[i] = st.township, st.village
		if t := st.township; t >= 0 {
			fr.Township, fr.TownshipName = reg.Townships[t].Code, reg.Townships[t].Name
		} else {
			res.Outside = append(res.Outside, i)
		}
		res.Facilities[i] = fr
	}
	res.Townships = make([]UnitResult, len(reg.Townships))
	tFacs := make([][]int, len(reg.Townships))
	for i, t := range fTownship {
		if t >= 0 {
			tFacs[t] = append(tFacs[t], i)
		}
	}
	for i, t := range reg.Townships {
		u := UnitResult{Level: LevelTownship, Code: t.Code, Name: t.Name, Parent: reg.counties[reg.townshipCounty[i]].code}
		u.Population, u.Covered = x.t.pop[i], x.t.coveredOf(i)
		e.finishUnit(&u, tFacs[i])
		res.Townships[i] = u
		res.Population += u.Population
		res.Covered += u.Covered
	}
	if len(reg.Villages) > 0 {
		res.Villages = make([]UnitResult, len(reg.Villages))
		vFacs := make([][]int, len(reg.Villages))
		for i, v := range fVillage {
			if v >= 0 {
				vFacs[v] = append(vFacs[v], i)
			}
		}
		for i, v := range reg.Villages {
			u := UnitResult{Level: LevelVillage, Code: v.Code, Name: v.Name}
			if t := reg.villageTownship[i]; t >= 0 {
				u.Parent = reg.Townships[t].Code
			}
			u.Population, u.Covered = x.v.pop[i], x.v.coveredOf(i)
			served := x.vCenter[i] >= 0 && x.counts[x.vCenter[i]] > 0
			u.Served = &served
			e.finishUnit(&u, vFacs[i])
			res.Villages[i] = u
			if len(u.Flags) > 0 {
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
	}
	names := map[string]string{}
	for _, c := range e.in.Counties {
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
		}
		e.finishUnit(&u, facs)
		res.Counties = append(res.Counties, u)
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
	res.Gaps = rankGaps(res, std)
	res.Notes = e.notes(res, x.reach)
	return res
}

// Input returns the input the current state corresponds to (the facilities as
// last set, the prepared region): Run on it gives the same results.
func (x *Incremental) Input() Input {
	in := x.e.in
	in.Facilities = slices.Clone(x.facility)
	return in
}
