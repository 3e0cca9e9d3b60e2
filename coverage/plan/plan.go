// Package plan suggests sites for new facilities of a kind (选址建议) on the
// coverage engine's terms: a grid cell is covered when its centre lies within
// the kind's radius (geodesic, WGS84; coverage.Straight) of an operating
// facility or a suggested site, and a cell cut by a township boundary gives
// each township its area share of the cell's population.
//
// Three questions, one greedy machinery (Church & ReVelle's maximal covering
// location problem and its partial-cover variant):
//
//   - ModeMaxCover: the k sites that add the most covered population given the
//     existing operating facilities;
//   - ModeFewest: the fewest sites so that every township meets the kind's target
//     share (a submodular cover: greedy on the deficit each site closes, then
//     sites that turned redundant are dropped);
//   - ModePerTownship: for each township failing its presence rule
//     (NO_FACILITY), the best candidate inside it (the most people it adds in
//     that township, then overall), each measured against the existing
//     facilities alone.
//
// Candidates are populated cells (capped, see Input.MaxCandidates), village
// centres, or a given list. The greedy uses lazy evaluation (CELF, Leskovec et
// al. 2007): marginal gains only shrink as sites are added, so a candidate's
// last gain is an upper bound and most candidates are never re-evaluated. The
// result equals the plain greedy's (same gains, ties to the earlier candidate).
// Every suggestion says how many people it adds and in which townships.
package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/network"
	"fangyuan/geo"
)

// Mode is the question a plan answers.
type Mode string

// Modes.
const (
	ModeMaxCover    Mode = "max_cover"    // k sites adding the most covered people
	ModeFewest      Mode = "fewest"       // fewest sites so every township meets its target
	ModePerTownship Mode = "per_township" // best site inside each township failing its presence rule
)

// Candidate sources.
const (
	FromCells    = "cells"    // centres of populated cells
	FromVillages = "villages" // village centres (Input.Villages)
	FromList     = "list"     // Input.List
)

// DefaultMaxCandidates caps the populated cells offered as candidates.
const DefaultMaxCandidates = 25_000

// MaxK bounds k.
const MaxK = 10_000

// ErrBadInput wraps errors in the plan's parameters.
var ErrBadInput = errors.New("bad plan input")

// Candidate is a possible site.
type Candidate struct {
	ID, Label string
	Location  orb.Point // WGS84
	Source    string    // where it was read ("file.csv:12"), for messages
}

// Input is one plan.
type Input struct {
	Standard coverage.Standard
	Layer    string // grid band; "": Standard.Layer
	Grid     *geo.Grid
	// Townships (and Villages, for FromVillages) with their boundaries; or a
	// prepared Region on Grid, then they are ignored.
	Townships, Villages []coverage.Unit
	Region              *coverage.Region
	// Facilities of the kind; operating ones count as existing coverage.
	Facilities []coverage.Facility
	Mode       Mode
	// K is the number of sites (ModeMaxCover, required); for ModeFewest an
	// optional cap (0: none).
	K int
	// Candidates is FromCells (default), FromVillages or FromList (List).
	Candidates string
	List       []Candidate
	// MaxCandidates caps populated-cell candidates (0: DefaultMaxCandidates):
	// beyond it the grid is cut into blocks of b×b cells, b the smallest that
	// keeps the count under the cap (by bisection), and each block offers its
	// most populated cell.
	MaxCandidates int
	Workers       int // 0: GOMAXPROCS
	// Travel, when set, judges coverage by travel time over the road network
	// (the kind's minutes; network.Travel): the existing facilities' coverage and
	// every candidate's reach alike. Nil: the straight-line radius.
	Travel *network.Travel
}

// TownshipAdd is the population a site adds in one township.
type TownshipAdd struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Added float64 `json:"added"`
}

// Site is one suggested site.
type Site struct {
	Rank  int     `json:"rank"`
	ID    string  `json:"id"`
	Label string  `json:"label"`
	Lon   float64 `json:"lon"`
	Lat   float64 `json:"lat"`
	// Township holding the site ("" outside every township).
	Township     string `json:"township"`
	TownshipName string `json:"township_name"`
	// Added is the population the site newly covers: beyond the existing
	// facilities and the sites ranked before it (ModePerTownship: beyond the
	// existing facilities alone). ByTownship splits it, most first.
	Added      float64       `json:"added"`
	ByTownship []TownshipAdd `json:"by_township"`
	// For is, in ModePerTownship, the township the site was chosen for.
	For string `json:"for,omitempty"`
}

// Township is a township before and after the suggested sites are built.
type Township struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Population    float64 `json:"population"`
	CoveredBefore float64 `json:"covered_before"`
	CoveredAfter  float64 `json:"covered_after"`
	ShareBefore   float64 `json:"share_before"`
	ShareAfter    float64 `json:"share_after"`
	MeetsBefore   bool    `json:"meets_target_before"`
	MeetsAfter    bool    `json:"meets_target_after"`
	// Flags are the township's flags before (coverage.Run).
	Flags []string `json:"flags"`
	// Sites counts the suggested sites inside it.
	Sites int `json:"sites"`
}

// Result is a plan's answer.
type Result struct {
	Kind     string  `json:"kind"`
	KindName string  `json:"kind_name"`
	Mode     Mode    `json:"mode"`
	K        int     `json:"k"`
	Layer    string  `json:"layer"`
	Reach    string  `json:"reach"`
	RadiusM  float64 `json:"radius_m"`
	Target   float64 `json:"target"`
	// CandidateSource and Candidates: where the candidates came from and how many.
	CandidateSource string `json:"candidate_source"`
	Candidates      int    `json:"candidates"`
	// Population is the layer inside the townships; CoveredBefore by the
	// existing facilities, CoveredAfter with every suggested site too.
	Population    float64    `json:"population"`
	CoveredBefore float64    `json:"covered_before"`
	CoveredAfter  float64    `json:"covered_after"`
	Sites         []Site     `json:"sites"`
	Townships     []Township `json:"townships"`
	// Unmet lists townships the plan cannot fix: below target whatever is
	// built from the candidates (ModeFewest), or failing their presence rule
	// with no candidate inside (ModePerTownship).
	Unmet []string `json:"unmet,omitempty"`
	// Evaluations counts marginal-gain evaluations (lazy greedy's work).
	Evaluations int      `json:"evaluations"`
	Notes       []string `json:"notes,omitempty"`
}

// Suggest answers in.
func Suggest(ctx context.Context, in Input) (*Result, error) {
	p, err := prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	var picks []pick
	switch in.Mode {
	case ModeMaxCover:
		picks = p.maxCover(ctx, in.K)
	case ModeFewest:
		picks = p.greedy(ctx, in.K, true)
		picks = p.prune(picks)
	case ModePerTownship:
		picks = p.perTownship()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.result(in, picks), nil
}

// pick is a chosen candidate and, for ModePerTownship, the township it is for.
type pick struct {
	cand int
	For  int
}

func checkInput(in *Input) error {
	switch in.Mode {
	case ModeMaxCover:
		if in.K < 1 || in.K > MaxK {
			return fmt.Errorf("%w: k: %d must be in [1, %d] for mode %s", ErrBadInput, in.K, MaxK, in.Mode)
		}
	case ModeFewest, ModePerTownship:
		if in.K < 0 || in.K > MaxK {
			return fmt.Errorf("%w: k: %d must be in [0, %d] (0: no cap)", ErrBadInput, in.K, MaxK)
		}
	case "":
		return fmt.Errorf("%w: mode: required: max_cover, fewest or per_township", ErrBadInput)
	default:
		return fmt.Errorf("%w: mode: %q must be max_cover, fewest or per_township", ErrBadInput, in.Mode)
	}
	if in.Candidates == "" {
		in.Candidates = FromCells
		if len(in.List) > 0 {
			in.Candidates = FromList
		}
	}
	switch in.Candidates {
	case FromCells:
	case FromVillages:
		if len(in.Villages) == 0 && (in.Region == nil || len(in.Region.Villages) == 0) {
			return fmt.Errorf("%w: candidates: villages needs village boundaries (--villages)", ErrBadInput)
		}
	case FromList:
		if len(in.List) == 0 {
			return fmt.Errorf("%w: candidates: the candidate list is empty", ErrBadInput)
		}
		for i, c := range in.List {
			where := cmp.Or(c.Source, fmt.Sprintf("candidate %d", i+1))
			q := c.Location
			if math.IsNaN(q[0]) || math.IsNaN(q[1]) || math.Abs(q[0]) > 180 || math.Abs(q[1]) > 90 {
				return fmt.Errorf("%w: %s (%s): location %v is not WGS84 lon/lat", ErrBadInput, where, c.ID, q)
			}
		}
	default:
		return fmt.Errorf("%w: candidates: %q must be cells, villages or list", ErrBadInput, in.Candidates)
	}
	if in.MaxCandidates < 0 {
		return fmt.Errorf("%w: max candidates %d must be ≥ 0", ErrBadInput, in.MaxCandidates)
	}
	if !(in.Standard.RadiusM > 0 && in.Standard.RadiusM <= coverage.MaxRadius) {
		return fmt.Errorf("%w: radius %v m must be in (0, %d]", ErrBadInput, in.Standard.RadiusM, coverage.MaxRadius)
	}
	return nil
}

// problem is a plan's prepared instance: the demand (uncovered populated
// cell parts) and each candidate's reach into it.
type problem struct {
	in      Input
	base    *coverage.Result
	reg     *coverage.Region
	workers int
	cands   []Candidate
	candT   []int // township of each candidate, or -1
	// Demand: one entry per frame cell that is not covered by the existing
	// facilities and has population in some township; dVal its population
	// (summed over townships), dTown its township, or -1-k when it is split
	// among townships (splits[k] holds the shares).
	dVal   []float64
	dTown  []int32
	splits [][]share
	// reach[c] lists the demand entries candidate c covers.
	reach     [][]int32
	reachDesc string // what the reach measures (coverage.Reach.Describe)
	// need is, per township, the covered population it lacks to meet the target.
	need        []float64
	evaluations int
	notes       []string
}

type share struct {
	t int32
	v float64
}

func prepare(ctx context.Context, in Input) (*problem, error) {
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	reg := in.Region
	if reg == nil {
		if in.Grid == nil {
			return nil, fmt.Errorf("%w: no population grid", coverage.ErrNoLayer)
		}
		var err error
		if reg, err = coverage.PrepareRegion(ctx, in.Grid, in.Townships, in.Villages, workers); err != nil {
			return nil, err
		}
	}
	var reach coverage.Reach = coverage.Straight{Radius: in.Standard.RadiusM}
	if in.Travel != nil {
		reach = *in.Travel
	}
	base, err := coverage.Run(ctx, coverage.Input{Standard: in.Standard, Layer: in.Layer, Grid: in.Grid, Region: reg,
		Facilities: in.Facilities, Reach: reach, Workers: workers})
	if err != nil {
		return nil, err
	}
	band, _ := in.Grid.Band(base.Layer)
	p := &problem{in: in, base: base, reg: reg, workers: workers}
	f := reg.Frame
	nearest := base.Cells.Nearest
	// The layer over the frame (0 for nodata and bad values, as the engine
	// counts them), and the demand's size for the allocation.
	pops := make([]float32, f.Len())
	uncovered := make([]int, f.H)
	_ = parallelChunks(ctx, f.H, workers, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			src := band.Data[(f.Row0+r)*in.Grid.Width+f.Col0:][:f.W]
			dst := pops[r*f.W:][:f.W]
			n := 0
			for c, v := range src {
				if !(v > 0) || math.IsInf(float64(v), 1) || in.Grid.IsNoData(v) {
					continue
				}
				dst[c] = v
				if nearest[r*f.W+c] < 0 {
					n++
				}
			}
			uncovered[r] = n
		}
	})
	size := 0
	for _, n := range uncovered {
		size += n
	}
	p.dVal = make([]float64, 0, size)
	p.dTown = make([]int32, 0, size)
	demandOf := make([]int32, f.Len())
	for i := range demandOf {
		demandOf[i] = -1
	}
	add := func(i int, t int32, frac float64) {
		if nearest[i] >= 0 {
			return
		}
		v := float64(pops[i]) * frac
		if v <= 0 {
			return
		}
		d := demandOf[i]
		if d < 0 {
			demandOf[i] = int32(len(p.dVal))
			p.dVal = append(p.dVal, v)
			p.dTown = append(p.dTown, t)
			return
		}
		if p.dTown[d] >= 0 {
			p.splits = append(p.splits, []share{{p.dTown[d], p.dVal[d]}})
			p.dTown[d] = int32(-len(p.splits))
		}
		k := -1 - p.dTown[d]
		p.splits[k] = append(p.splits[k], share{t, v})
		p.dVal[d] += v
	}
	for t, z := range reg.TownshipZones() {
		for _, run := range z.Runs {
			i0 := int(run.Row)*f.W + int(run.Col)
			for i := i0; i < i0+int(run.N); i++ {
				if pops[i] > 0 && nearest[i] < 0 {
					add(i, int32(t), 1)
				}
			}
		}
		for _, part := range z.Parts {
			add(int(part.Row)*f.W+int(part.Col), int32(t), part.Frac)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.need = make([]float64, len(base.Townships))
	for t, u := range base.Townships {
		if u.Population > 0 {
			p.need[t] = in.Standard.TargetShare*u.Population - u.Covered
		}
	}
	if err := p.candidates(ctx, pops); err != nil {
		return nil, err
	}
	// Each candidate's reach into the demand.
	p.reach = make([][]int32, len(p.cands))
	p.candT = make([]int, len(p.cands))
	R := in.Standard.RadiusM
	if in.Travel != nil {
		// The cells each candidate reaches in time: one bounded search per
		// candidate (each candidate's cells come from one worker).
		pts := make([]orb.Point, len(p.cands))
		for c := range p.cands {
			pts[c] = p.cands[c].Location
		}
		if err := in.Travel.EachCost(ctx, f, pts, workers, func(_, c, cell int, _ float64) {
			if d := demandOf[cell]; d >= 0 {
				p.reach[c] = append(p.reach[c], d)
			}
		}); err != nil {
			return nil, err
		}
		for c := range p.cands {
			slices.Sort(p.reach[c])
			p.reach[c] = slices.Compact(p.reach[c])
			p.candT[c] = reg.Locate(p.cands[c].Location)
		}
	} else {
		err = parallelChunks(ctx, len(p.cands), workers, func(lo, hi int) {
			var list []int32
			for c := lo; c < hi; c++ {
				list = list[:0]
				coverage.DiscCells(f, p.cands[c].Location, R, func(i int) {
					if d := demandOf[i]; d >= 0 {
						list = append(list, d)
					}
				})
				p.reach[c] = slices.Clone(list)
				p.candT[c] = reg.Locate(p.cands[c].Location)
			}
		})
		if err != nil {
			return nil, err
		}
		if in.Standard.Travel != nil {
			p.notes = append(p.notes, fmt.Sprintf("sites are judged by the straight-line radius (%g m); reach travel judges them by the kind's travel time (%g min by %s) over the road network",
				R, in.Standard.Travel.Minutes, in.Standard.Travel.Mode))
		}
	}
	p.reachDesc = reach.Describe()
	return p, nil
}

// candidates fills p.cands.
func (p *problem) candidates(ctx context.Context, pops []float32) error {
	in := p.in
	switch in.Candidates {
	case FromList:
		p.cands = slices.Clone(in.List)
		for i := range p.cands {
			p.cands[i].ID = cmp.Or(p.cands[i].ID, fmt.Sprintf("C%d", i+1))
			p.cands[i].Label = cmp.Or(p.cands[i].Label, p.cands[i].ID)
		}
	case FromVillages:
		centres := p.reg.VillageCenters()
		for i, v := range p.reg.Villages {
			q := centres[i]
			if math.IsNaN(q[0]) {
				continue
			}
			p.cands = append(p.cands, Candidate{ID: v.Code, Label: v.Name + "中心", Location: q})
		}
		if len(p.cands) == 0 {
			return fmt.Errorf("%w: candidates: no village has a centre", ErrBadInput)
		}
	case FromCells:
		f := p.reg.Frame
		// Populated cells of the region: cells some township zone touches with
		// population (per_township: of the townships failing their presence rule).
		vals := make([]float32, f.Len())
		for t, z := range p.reg.TownshipZones() {
			if in.Mode == ModePerTownship && !slices.Contains(p.base.Townships[t].Flags, coverage.FlagNoFacility) {
				continue
			}
			for _, run := range z.Runs {
				i0 := int(run.Row)*f.W + int(run.Col)
				copy(vals[i0:i0+int(run.N)], pops[i0:i0+int(run.N)])
			}
			for _, part := range z.Parts {
				i := int(part.Row)*f.W + int(part.Col)
				vals[i] = pops[i]
			}
		}
		n := 0
		for _, v := range vals {
			if v > 0 {
				n++
			}
		}
		limit := cmp.Or(in.MaxCandidates, DefaultMaxCandidates)
		// The block size b: the smallest whose populated blocks fit under the
		// cap, found by bisection between ⌊√(n/limit)⌋ (at most n/b² blocks
		// are populated) and the size whose blocks all fit.
		b := max(1, int(math.Sqrt(float64(n)/float64(limit))))
		cells := blockMax(f, vals, b)
		if len(cells) > limit {
			lo, hi := b, b+1 // count(lo) > limit
			for ((f.W+hi-1)/hi)*((f.H+hi-1)/hi) > limit {
				hi++
			}
			best := blockMax(f, vals, hi)
			for hi-lo > 1 {
				mid := (lo + hi) / 2
				if c := blockMax(f, vals, mid); len(c) > limit {
					lo = mid
				} else {
					hi, best = mid, c
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			b, cells = hi, best
		}
		if b > 1 {
			p.notes = append(p.notes, fmt.Sprintf("%d populated cells; candidates are the most populated cell of each %d×%d block (%d candidates, cap %d)", n, b, b, len(cells), limit))
		}
		for _, i := range cells {
			c, r := i%f.W, i/f.W
			p.cands = append(p.cands, Candidate{ID: fmt.Sprintf("cell-%d-%d", f.Col0+c, f.Row0+r),
				Label: fmt.Sprintf("格网 %d,%d", f.Col0+c, f.Row0+r), Location: f.Center(c, r)})
		}
		if len(p.cands) == 0 && in.Mode != ModePerTownship {
			return fmt.Errorf("%w: candidates: no populated cell in the townships", ErrBadInput)
		}
	}
	return nil
}

// blockMax returns, for each b×b block of the frame (from its top-left), the
// index of its most populated cell (the first on ties), for blocks with one;
// in index order of the blocks.
func blockMax(f coverage.Frame, vals []float32, b int) []int {
	bw, bh := (f.W+b-1)/b, (f.H+b-1)/b
	best := make([]int32, bw*bh)
	for i := range best {
		best[i] = -1
	}
	colBlock := make([]int32, f.W)
	for c := range colBlock {
		colBlock[c] = int32(c / b)
	}
	for r := range f.H {
		row := vals[r*f.W : (r+1)*f.W]
		blocks := best[(r/b)*bw:][:bw]
		base := int32(r * f.W)
		for c, v := range row {
			if v <= 0 {
				continue
			}
			k := colBlock[c]
			if j := blocks[k]; j < 0 || v > vals[j] {
				blocks[k] = base + int32(c)
			}
		}
	}
	var out []int
	for _, j := range best {
		if j >= 0 {
			out = append(out, int(j))
		}
	}
	return out
}

// result builds the answer from the picks.
func (p *problem) result(in Input, picks []pick) *Result {
	std := in.Standard
	res := &Result{Kind: std.ID, KindName: std.Name, Mode: in.Mode, K: in.K, Layer: p.base.Layer,
		Reach: p.reachDesc, RadiusM: std.RadiusM, Target: std.TargetShare,
		CandidateSource: cmp.Or(in.Candidates, FromCells), Candidates: len(p.cands), Population: p.base.Population,
		CoveredBefore: p.base.Covered, Evaluations: p.evaluations, Notes: p.notes}
	res.Sites = []Site{}
	towns := p.base.Townships
	after := make([]float64, len(towns))
	covered := make([]bool, len(p.dVal))
	acc := newAccum(len(towns))
	for k, pk := range picks {
		acc.reset()
		for _, d := range p.reach[pk.cand] {
			if in.Mode == ModePerTownship {
				// Measured against the existing facilities alone: every demand
				// entry is uncovered by them.
				p.attribute(d, acc)
				if !covered[d] {
					covered[d] = true
					p.attributeTo(d, after)
				}
			} else if !covered[d] {
				covered[d] = true
				p.attribute(d, acc)
			}
		}
		c := p.cands[pk.cand]
		s := Site{Rank: k + 1, ID: c.ID, Label: c.Label, Lon: c.Location[0], Lat: c.Location[1], ByTownship: []TownshipAdd{}}
		if t := p.candT[pk.cand]; t >= 0 {
			s.Township, s.TownshipName = towns[t].Code, towns[t].Name
		}
		if pk.For >= 0 {
			s.For = towns[pk.For].Code
		}
		for _, t := range acc.touched {
			v := acc.v[t]
			s.Added += v
			if in.Mode != ModePerTownship {
				after[t] += v
			}
			s.ByTownship = append(s.ByTownship, TownshipAdd{Code: towns[t].Code, Name: towns[t].Name, Added: v})
		}
		slices.SortFunc(s.ByTownship, func(a, b TownshipAdd) int {
			return cmp.Or(cmp.Compare(b.Added, a.Added), strings.Compare(a.Code, b.Code))
		})
		res.Sites = append(res.Sites, s)
	}
	siteCount := make([]int, len(towns))
	for _, pk := range picks {
		if t := p.candT[pk.cand]; t >= 0 {
			siteCount[t]++
		}
	}
	res.CoveredAfter = res.CoveredBefore
	for t, u := range towns {
		tw := Township{Code: u.Code, Name: u.Name, Population: u.Population, CoveredBefore: u.Covered,
			CoveredAfter: u.Covered + after[t], ShareBefore: 1, ShareAfter: 1, Flags: u.Flags, Sites: siteCount[t]}
		if tw.Flags == nil {
			tw.Flags = []string{}
		}
		res.CoveredAfter += after[t]
		if u.Population > 0 {
			tw.ShareBefore, tw.ShareAfter = tw.CoveredBefore/u.Population, tw.CoveredAfter/u.Population
		}
		tw.MeetsBefore = !(u.Population > 0 && tw.ShareBefore < std.TargetShare)
		tw.MeetsAfter = !(u.Population > 0 && p.need[t]-after[t] > needTol(u.Population))
		res.Townships = append(res.Townships, tw)
	}
	switch in.Mode {
	case ModeFewest:
		for t, tw := range res.Townships {
			if !tw.MeetsAfter {
				res.Unmet = append(res.Unmet, towns[t].Code)
			}
		}
		if len(res.Unmet) > 0 {
			why := "no candidate adds more"
			if in.K > 0 && len(picks) == in.K {
				why = fmt.Sprintf("the cap of %d sites is reached", in.K)
			}
			res.Notes = append(res.Notes, fmt.Sprintf("%d townships stay below the %.0f %% target (%s): %s", len(res.Unmet), 100*std.TargetShare, why, strings.Join(res.Unmet, ", ")))
		}
	case ModePerTownship:
		got := map[int]bool{}
		for _, pk := range picks {
			got[pk.For] = true
		}
		for t, u := range towns {
			if slices.Contains(u.Flags, coverage.FlagNoFacility) && !got[t] {
				res.Unmet = append(res.Unmet, u.Code)
			}
		}
		if len(res.Unmet) > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("townships failing the presence rule with no candidate inside: %s", strings.Join(res.Unmet, ", ")))
		}
		if std.Presence.Min > 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("the presence rule asks for %d per %s: one site per township is suggested", std.Presence.Min, std.Presence.Level))
		}
	case ModeMaxCover:
		if len(picks) < in.K {
			res.Notes = append(res.Notes, fmt.Sprintf("only %d sites add anyone: every candidate's reach is covered after them", len(picks)))
		}
	}
	return res
}

// needTol is how far below its target a township may stay (rounding).
func needTol(pop float64) float64 { return 1e-9 * max(pop, 1) }
