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
// population, or 0). The reach is the straight line or a CatchmentReach (travel
// time: network.Travel); Compare must be nil. FacilityResult.Nearest is not
// maintained (0); Catchment is.
type Incremental struct {
	e      *engine
	reach  Straight       // the straight-line reach, when travel is nil
	travel CatchmentReach // else: each facility's catchment by its own search
	counts []uint16       // per frame cell: operating facilities reaching it
	t, v   unitIndex
	// Facilities by ID, and in input order, as last set.
	facs map[string]*incFacility
	list []*incFacility
	// Village centre cells (-1 outside the frame).
	vCenter  []int
	gridTot  float64
	Touched  int // cells visited by the last Set (catchments removed and added)
	Flipped  int // cells whose reached state changed in the last Set
	facility []Facility
	// lastCatchment is the weight of the last catchment added.
	lastCatchment float64
	ctx           context.Context // of the Set in progress (travel-time catchments)
}

// CatchmentReach is a Reach that can list the cells one facility reaches (the
// cells Reach marks for it alone), for what-if scenarios: network.Travel.
type CatchmentReach interface {
	Reach
	Catchment(ctx context.Context, f Frame, p orb.Point, fn func(cell int)) error
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
	cell []int32
	// multi maps a split cell to offset<<16 | count in flat (no pointers: the
	// garbage collector need not scan it).
	multi map[int32]uint64
	flat  []unitEntry
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
	var travel CatchmentReach
	switch r := in.Reach.(type) {
	case nil:
	case Straight:
		reach = r
	case CatchmentReach:
		travel = r
	default:
		return nil, fmt.Errorf("coverage: what-if scenarios support the straight-line reach and travel time, not %s", in.Reach.Describe())
	}
	if travel == nil && !(reach.Radius > 0 && reach.Radius <= MaxRadius) {
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
	if travel != nil {
		in.Reach = travel
	}
	e := &engine{in: in, std: std, reg: reg, f: reg.Frame, band: band, grid: in.Grid, workers: workers}
	if err := e.population(ctx); err != nil {
		return nil, err
	}
	x := &Incremental{e: e, reach: reach, travel: travel, counts: make([]uint16, e.f.Len()), facs: map[string]*incFacility{}}
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
		cell: make([]int32, e.f.Len()),
		pop:  make([]float64, len(zones)), covered: make([]float64, len(zones)),
		entries: make([]int32, len(zones)), reachedIn: make([]int32, len(zones)),
	}
	for i := range u.cell {
		u.cell[i] = -1
	}
	// First the entries of split cells as lists, then packed flat.
	lists := map[int32][]unitEntry{}
	add := func(i int, z int32, frac float64, whole bool) {
		switch c := u.cell[i]; {
		case c == -1 && whole:
			u.cell[i] = z
		case c == -1:
			u.cell[i] = -2
			lists[int32(i)] = []unitEntry{{z, frac}}
		case c >= 0:
			u.cell[i] = -2
			lists[int32(i)] = []unitEntry{{c, 1}, {z, frac}}
		default:
			lists[int32(i)] = append(lists[int32(i)], unitEntry{z, frac})
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
	keys := make([]int32, 0, len(lists))
	for k := range lists {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	u.multi = make(map[int32]uint64, len(keys))
	for _, k := range keys {
		l := lists[k]
		u.multi[k] = uint64(len(u.flat))<<16 | uint64(len(l))
		u.flat = append(u.flat, l...)
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
		m := u.multi[int32(i)]
		for _, en := range u.flat[m>>16:][:m&0xffff] {
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
// Set keeps fs: the caller must not change it afterwards.
// When fs keeps the previous facilities in their order (changed or not) and
// appends new ones, the difference is found position by position; otherwise by ID.
func (x *Incremental) Set(ctx context.Context, fs []Facility) error {
	x.ctx = ctx
	if err := checkFacilities(fs); err != nil {
		return err
	}
	for i := range fs {
		if fs[i].ID == "" {
			return fmt.Errorf("%w: %s: a what-if scenario needs an ID for every facility", ErrBadFacility, where(&fs[i], i))
		}
	}
	x.Touched, x.Flipped = 0, 0
	same := 0
	for same < min(len(fs), len(x.list)) && fs[same].ID == x.list[same].f.ID {
		same++
	}
	tail := map[string]bool{}
	fast := same == len(x.list)
	for i := same; fast && i < len(fs); i++ {
		id := fs[i].ID
		fast = !tail[id] && x.facs[id] == nil
		tail[id] = true
	}
	if !fast {
		return x.setByID(ctx, fs)
	}
	list := make([]*incFacility, len(fs))
	for i := range same {
		if err := x.update(x.list[i], &fs[i]); err != nil {
			return err
		}
		list[i] = x.list[i]
	}
	for i := same; i < len(fs); i++ {
		st, err := x.add(&fs[i])
		if err != nil {
			return err
		}
		list[i] = st
	}
	x.list = list
	x.facility = fs
	return ctx.Err()
}

// setByID is Set matching the facilities by ID.
func (x *Incremental) setByID(ctx context.Context, fs []Facility) error {
	next := make(map[string]*Facility, len(fs))
	for i := range fs {
		f := &fs[i]
		if _, dup := next[f.ID]; dup {
			return fmt.Errorf("%w: %s: facility ID %q appears twice", ErrBadFacility, where(f, i), f.ID)
		}
		next[f.ID] = f
	}
	// Remove the facilities that go away, in the previous order (the deltas are
	// summed deterministically).
	for _, old := range x.list {
		if _, ok := next[old.f.ID]; ok {
			continue
		}
		if old.operating {
			if err := x.catchment(old.f.Location, -1); err != nil {
				return err
			}
		}
		delete(x.facs, old.f.ID)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	list := make([]*incFacility, len(fs))
	for i := range fs {
		if old := x.facs[fs[i].ID]; old != nil {
			if err := x.update(old, &fs[i]); err != nil {
				return err
			}
			list[i] = old
			continue
		}
		st, err := x.add(&fs[i])
		if err != nil {
			return err
		}
		list[i] = st
	}
	x.list = list
	x.facility = fs
	return ctx.Err()
}

// add counts a new facility.
func (x *Incremental) add(nf *Facility) (*incFacility, error) {
	reg := x.e.reg
	st := &incFacility{f: *nf, operating: statusOf(*nf) == StatusOperating, township: reg.Locate(nf.Location), village: -1}
	if len(reg.Villages) > 0 {
		st.village = reg.LocateVillage(nf.Location)
	}
	if st.operating {
		if err := x.catchment(nf.Location, +1); err != nil {
			return nil, err
		}
		st.catchment = x.lastCatchment
	}
	x.facs[nf.ID] = st
	return st, nil
}

// update changes a counted facility into nf (same ID): a new location or
// operating state moves its catchment.
func (x *Incremental) update(st *incFacility, nf *Facility) error {
	operating := statusOf(*nf) == StatusOperating
	if nf.Location == st.f.Location && operating == st.operating {
		st.f = *nf
		return nil
	}
	if st.operating {
		if err := x.catchment(st.f.Location, -1); err != nil {
			return err
		}
	}
	reg := x.e.reg
	if nf.Location != st.f.Location {
		st.township = reg.Locate(nf.Location)
		if len(reg.Villages) > 0 {
			st.village = reg.LocateVillage(nf.Location)
		}
	}
	st.f, st.operating, st.catchment = *nf, operating, 0
	if operating {
		if err := x.catchment(nf.Location, +1); err != nil {
			return err
		}
		st.catchment = x.lastCatchment
	}
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
	if x.travel != nil {
		var sum float64
		var err error
		if cerr := x.travel.Catchment(x.ctx, f, p, func(i int) {
			if err == nil {
				sum += float64(e.weight[i])
				err = x.mark(i, sign)
			}
		}); cerr != nil {
			return cerr
		}
		x.lastCatchment = sum
		return err
	}
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
			sum += float64(e.weight[i])
			if err := x.mark(i, sign); err != nil {
				return err
			}
		}
	}
	x.lastCatchment = sum
	return nil
}

// active is the reach in use.
func (x *Incremental) active() Reach {
	if x.travel != nil {
		return x.travel
	}
	return x.reach
}

// mark counts one facility more (sign +1) or less (-1) reaching cell i, and
// moves the cell's population in or out of its units when it flips.
func (x *Incremental) mark(i, sign int) error {
	e := x.e
	x.Touched++
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
	res := &Result{Standard: std, Layer: e.in.Layer, Reach: x.active().Describe(), Target: std.TargetShare, Frame: reg.Frame, Region: reg, GridTotal: x.gridTot}
	res.Facilities = make([]FacilityResult, len(x.facility))
	fTownship := make([]int, len(x.facility))
	fVillage := make([]int, len(x.facility))
	for i, st := range x.list {
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
	res.Notes = e.notes(res, x.active())
	return res
}

// Input returns the input the current state corresponds to (the facilities as
// last set, the prepared region): Run on it gives the same results.
func (x *Incremental) Input() Input {
	in := x.e.in
	in.Facilities = slices.Clone(x.facility)
	return in
}
