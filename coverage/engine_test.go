package coverage

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

func runDemo(t *testing.T, kind string, villages bool) *Result {
	t.Helper()
	d := loadDemo(t)
	std, err := DefaultStandards().Kind(kind)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Standard: std, Grid: d.grid, Townships: d.townships, Counties: d.county, Facilities: demoFacilities(t, d, kind)}
	if villages {
		in.Villages = d.villages
	}
	res, err := Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func township(t *testing.T, res *Result, name string) UnitResult {
	t.Helper()
	for _, u := range res.Townships {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("no township %s", name)
	return UnitResult{}
}

// TestTotalsAddUp: townships that tile the whole grid add up to the grid
// total; on the demo, the townships add up to the grid total inside the
// county (the county polygon's own zone), and the facilities' nearest
// populations add up to the covered population.
func TestTotalsAddUp(t *testing.T) {
	ctx := context.Background()
	cell := 1.0 / 1200
	spec := synthSpec{
		seed: 42, west: 120, north: 29, cell: cell, width: 240, height: 210,
		x0: 120, y0: 29 - 210*cell, bw: 240 * cell / 6, bh: 210 * cell / 5, nbx: 6, nby: 5, k: 9,
		townships: 30, enclaves: 4, twoPart: 2, meanPop: 20, empty: 0.1, facilities: 15, notOperating: 0.2,
	}
	d := synthesize(spec)
	std := Standard{ID: "t", Layer: "total", Presence: Presence{Level: LevelTownship, Min: 1}, RadiusM: 1500, TargetShare: 0.9}
	res, err := Run(ctx, Input{Standard: std, Grid: d.grid, Townships: d.townships, Facilities: d.facilities})
	if err != nil {
		t.Fatal(err)
	}
	var grid float64
	for _, v := range d.grid.Bands[0].Data {
		grid += float64(v)
	}
	if math.Abs(res.Population-grid) > 1e-6*grid || math.Abs(res.GridTotal-grid) > 1e-6*grid {
		t.Errorf("tiling of the whole grid: townships add up to %.4f, grid total %.4f (reported %.4f)", res.Population, grid, res.GridTotal)
	}
	checkNearestSums(t, res)

	dm := loadDemo(t)
	res = runDemo(t, "eldercare_center", false)
	reg, err := PrepareRegion(ctx, dm.grid, dm.county, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{reg: reg, f: reg.Frame, grid: dm.grid, band: &dm.grid.Bands[1], workers: 1}
	if dm.grid.Bands[1].Name != "age60plus" {
		t.Fatalf("band 2 is %s", dm.grid.Bands[1].Name)
	}
	if err := e.population(ctx); err != nil {
		t.Fatal(err)
	}
	e.nearest = make([]int32, e.f.Len())
	county, _ := e.sums(&reg.tZones[0])
	if math.Abs(res.Population-county) > 0.5 {
		t.Errorf("demo: townships add up to %.3f, the county's zone holds %.3f", res.Population, county)
	}
	checkNearestSums(t, res)
}

func checkNearestSums(t *testing.T, res *Result) {
	t.Helper()
	var near float64
	for _, f := range res.Facilities {
		near += f.Nearest
		if !f.Counted && (f.Nearest != 0 || f.Catchment != 0) {
			t.Errorf("facility %s is not operating but reaches people", f.ID)
		}
		if f.Nearest > f.Catchment+1e-6 {
			t.Errorf("facility %s: nearest %.3f > catchment %.3f", f.ID, f.Nearest, f.Catchment)
		}
	}
	if math.Abs(near-res.Covered) > 1e-3*max(1, res.Covered) {
		t.Errorf("nearest populations add up to %.3f, covered is %.3f", near, res.Covered)
	}
}

// TestDemoGaps: the deliberate gaps of the demo data (data/demo/README.md).
func TestDemoGaps(t *testing.T) {
	res := runDemo(t, "eldercare_center", false)
	if u := township(t, res, "枫渡镇"); !slices.Contains(u.Flags, FlagNoFacility) || u.Facilities != 0 {
		t.Errorf("枫渡镇: %v, %d facilities; want NO_FACILITY", u.Flags, u.Facilities)
	}
	for _, name := range []string{"雾岭乡", "岚峰乡", "云岫乡"} {
		u := township(t, res, name)
		if u.Facilities != 1 || slices.Contains(u.Flags, FlagNoFacility) || !slices.Contains(u.Flags, FlagBelowTarget) || u.Share > 0.2 {
			t.Errorf("%s: %v, %d facilities, share %.2f; want a center but most people beyond 2 km", name, u.Flags, u.Facilities, u.Share)
		}
	}
	for i := 1; i < len(res.Gaps); i++ {
		if math.Round(res.Gaps[i].Uncovered) > math.Round(res.Gaps[i-1].Uncovered) {
			t.Errorf("gaps not ranked by uncovered population: %d after %d", i+1, i)
		}
	}

	res = runDemo(t, "eco_burial", true)
	if u := township(t, res, "鳌屿乡"); !slices.Contains(u.Flags, FlagNoFacility) || u.Covered > 0 {
		t.Errorf("鳌屿乡: %v, covered %.0f; want NO_FACILITY and nobody reached", u.Flags, u.Covered)
	}
	notServed := map[string]bool{}
	for _, v := range res.Villages {
		if slices.Contains(v.Flags, FlagNotServed) {
			notServed[v.Code] = true
		}
	}
	// The README lists the villages whose seat (not in the files) is beyond 5 km;
	// the engine takes each village's interior point, which may differ at the margin.
	readme := strings.Fields("339901200200 339901200202 339901200207 339901201201 339901201202 339901201203 339901201206 339901202200 339901202201 339901202203 339901203001 339901203200 339901203201 339901203202 339901203203")
	for _, c := range readme {
		if !notServed[c] {
			t.Errorf("village %s is served; the demo README says it is beyond 5 km", c)
		}
	}
	if len(notServed) > len(readme)+1 {
		t.Errorf("%d villages not served, the README lists %d", len(notServed), len(readme))
	}

	res = runDemo(t, "daycare_center", true)
	noDaycare := 0
	for _, v := range res.Villages {
		if slices.Contains(v.Flags, FlagNoFacility) {
			noDaycare++
		}
	}
	if noDaycare != 44 {
		t.Errorf("%d villages without an operating day-care center, the README says 44", noDaycare)
	}
	closed := 0
	for _, f := range res.Facilities {
		if f.Status == StatusClosed {
			closed++
			if f.Counted {
				t.Errorf("closed facility %s counts", f.ID)
			}
		}
	}
	if closed != 1 || res.Closed != 1 {
		t.Errorf("closed facilities: %d listed, %d counted; want 1", closed, res.Closed)
	}

	res = runDemo(t, "eldercare_institution", false)
	if len(res.Counties) != 1 {
		t.Fatalf("%d counties", len(res.Counties))
	}
	c := res.Counties[0]
	if c.Name != "方圆县（虚构）" || !slices.Contains(c.Flags, FlagCapacityShortfall) {
		t.Errorf("county %s %s: %v; want CAPACITY_SHORTFALL", c.Code, c.Name, c.Flags)
	}
	for _, cp := range c.Capacity {
		switch cp.Ratio.Field {
		case "beds":
			if cp.Have != 2866 || cp.Met || math.Abs(cp.Need-0.036*c.Population) > 1e-6 {
				t.Errorf("county beds %v of %v needed, met %v; want 2866 < 3.6 per 100", cp.Have, cp.Need, cp.Met)
			}
		case "nursing_beds", "dementia_beds":
			if !cp.Met {
				t.Errorf("county %s not met: %v of %v (the README says it is)", cp.Ratio.Field, cp.Have, cp.Need)
			}
		}
	}
	if res.Planned != 1 {
		t.Errorf("%d planned institutions, want 1 (玉澜颐养园)", res.Planned)
	}
	res = runDemo(t, "child_welfare", false)
	if len(res.Gaps) != 0 {
		t.Errorf("child welfare: the county has one within 50 km of everyone, but gaps %v", res.Gaps)
	}
}

// writeTemp writes a file into a temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadInput: every bad input gets an error that says what and where, or
// (facilities outside, no facilities) a result that says so.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	d := loadDemo(t)
	std, _ := DefaultStandards().Kind("eldercare_center")
	facs := demoFacilities(t, d, "eldercare_center")
	withBand := func(mod func(g *geo.Grid)) *geo.Grid {
		g := *d.grid
		g.Bands = slices.Clone(g.Bands)
		for i := range g.Bands {
			g.Bands[i].Data = slices.Clone(g.Bands[i].Data)
		}
		mod(&g)
		return &g
	}
	// A cell inside 鹤鸣街道.
	var inside int
	{
		c, r, _ := d.grid.Cell(InteriorPoint(d.townships[0].Geometry))
		inside = r*d.grid.Width + c
	}
	for _, tt := range []struct {
		name string
		in   Input
		err  error
		msg  []string
	}{
		{"grid not overlapping the region", Input{Grid: withBand(func(g *geo.Grid) { g.West += 3 })},
			ErrNoOverlap, []string{"does not overlap", "the grid covers lon 122.5933", "the townships lon 119.5940"}},
		{"NaN population", Input{Grid: withBand(func(g *geo.Grid) { g.Bands[1].Data[inside] = float32(math.NaN()) })},
			ErrBadPopulation, []string{"age60plus", "1 cells", "is NaN", "declares no nodata", "°E"}},
		{"negative population", Input{Grid: withBand(func(g *geo.Grid) { g.Bands[1].Data[inside] = -3; g.Bands[1].Data[inside+1] = -1 })},
			ErrBadPopulation, []string{"2 cells", "-3: negative"}},
		{"missing layer", Input{Layer: "age80plus"}, ErrNoLayer, []string{`no band "age80plus"`, "total, age60plus, age0_17", "--band age80plus=N"}},
		{"township without code", Input{Townships: []Unit{{Name: "无码乡", Geometry: d.townships[0].Geometry}}},
			ErrBadUnit, []string{"township 1 (无码乡) has no code"}},
		{"duplicate township codes", Input{Townships: []Unit{d.townships[0], d.townships[0]}}, ErrBadUnit, []string{"appears twice"}},
		{"no townships", Input{Townships: []Unit{}}, ErrNoTownships, nil},
		{"bad facility status", Input{Facilities: []Facility{{ID: "X", Location: orb.Point{120, 28}, Status: "demolished", Source: "f.csv:3"}}},
			ErrBadFacility, []string{"f.csv:3", `"demolished"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Standard = std
			if in.Grid == nil {
				in.Grid = d.grid
			}
			if in.Townships == nil {
				in.Townships = d.townships
			}
			if in.Facilities == nil {
				in.Facilities = facs
			}
			_, err := Run(ctx, in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not say %q", err, m)
				}
			}
		})
	}

	t.Run("NaN as declared nodata counts as nobody", func(t *testing.T) {
		g := withBand(func(g *geo.Grid) {
			g.HasNoData, g.NoData = true, math.NaN()
			g.Bands[1].Data[inside] = float32(math.NaN())
		})
		if _, err := Run(ctx, Input{Standard: std, Grid: g, Townships: d.townships, Facilities: facs}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("grid covering part of the region", func(t *testing.T) {
		half := *d.grid
		half.Width = d.grid.Width / 2
		half.Bands = nil
		for _, b := range d.grid.Bands {
			data := make([]float32, 0, half.Width*half.Height)
			for r := range half.Height {
				data = append(data, b.Data[r*d.grid.Width:][:half.Width]...)
			}
			half.Bands = append(half.Bands, geo.Band{Name: b.Name, Data: data})
		}
		res, err := Run(ctx, Input{Standard: std, Grid: &half, Townships: d.townships, Facilities: facs})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res.Notes, func(n string) bool {
			return strings.Contains(n, "of the townships' area lies outside the population grid")
		}) {
			t.Errorf("notes do not say the grid covers part of the region: %v", res.Notes)
		}
	})

	t.Run("facilities outside every township", func(t *testing.T) {
		out := append(slices.Clone(facs),
			Facility{ID: "OUT-1", Name: "海上", Location: orb.Point{120.3, 28.3}},
			Facility{ID: "OUT-2", Name: "邻县", Location: orb.Point{119.5, 28.2}, Status: StatusPlanned})
		res, err := Run(ctx, Input{Standard: std, Grid: d.grid, Townships: d.townships, Facilities: out})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Outside) != 2 || res.Facilities[res.Outside[0]].ID != "OUT-1" || res.Facilities[res.Outside[1]].ID != "OUT-2" {
			t.Fatalf("outside: %v", res.Outside)
		}
		if !slices.ContainsFunc(res.Notes, func(n string) bool {
			return strings.Contains(n, "outside every township") && strings.Contains(n, "OUT-1, OUT-2")
		}) {
			t.Errorf("notes do not list them: %v", res.Notes)
		}
	})

	t.Run("no facilities: every township flagged", func(t *testing.T) {
		for _, kind := range DefaultStandards().Kinds {
			res, err := Run(ctx, Input{Standard: kind, Grid: d.grid, Townships: d.townships, Facilities: nil})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range res.Townships {
				if len(u.Flags) == 0 || u.Covered != 0 {
					t.Errorf("%s: township %s not flagged (%v), covered %.0f", kind.ID, u.Name, u.Flags, u.Covered)
				}
			}
			if len(res.Gaps) < len(res.Townships) {
				t.Errorf("%s: %d gaps for %d townships", kind.ID, len(res.Gaps), len(res.Townships))
			}
			if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "no operating") }) {
				t.Errorf("%s: notes do not say there is no operating facility: %v", kind.ID, res.Notes)
			}
		}
	})

	t.Run("unknown kind", func(t *testing.T) {
		_, err := DefaultStandards().Kind("nursing_home")
		if !errors.Is(err, ErrUnknownKind) || !strings.Contains(err.Error(), "eldercare_center, daycare_center") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("band names", func(t *testing.T) {
		g := &geo.Grid{West: 120, North: 28, DX: 0.01, DY: 0.01, Width: 1, Height: 1, Bands: []geo.Band{{Name: "band1", Data: []float32{1}}}}
		if err := NameBands(g, nil); err != nil || g.Bands[0].Name != "total" {
			t.Errorf("single band: %v %s", err, g.Bands[0].Name)
		}
		g3 := withBand(func(*geo.Grid) {})
		if err := NameBands(g3, []BandName{{"total", 2}}); err != nil || g3.Bands[1].Name != "total" || g3.Bands[0].Name != "band1" {
			t.Errorf("rename: %v %v", err, []string{g3.Bands[0].Name, g3.Bands[1].Name})
		}
		if err := NameBands(g3, []BandName{{"x", 4}}); !errors.Is(err, ErrNoLayer) || !strings.Contains(err.Error(), "3 band") {
			t.Errorf("band 4 of 3: %v", err)
		}
		for _, s := range []string{"age60plus", "=2", "Age=2", "x=0", "x=y"} {
			if _, err := ParseBandName(s); err == nil {
				t.Errorf("ParseBandName(%q): no error", s)
			}
		}
		if bn, err := ParseBandName(" age60plus = 2 "); err != nil || bn != (BandName{"age60plus", 2}) {
			t.Errorf("ParseBandName: %v %v", bn, err)
		}
	})
}

func TestPreparedRegionReuse(t *testing.T) {
	ctx := context.Background()
	d := loadDemo(t)
	reg, err := PrepareRegion(ctx, d.grid, d.townships, d.villages, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range demoKinds(d) {
		a, err := Run(ctx, Input{Standard: k, Grid: d.grid, Region: reg, Facilities: demoFacilities(t, d, k.ID)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(ctx, Input{Standard: k, Grid: d.grid, Townships: d.townships, Villages: d.villages, Facilities: demoFacilities(t, d, k.ID), Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Townships {
			if a.Townships[i].Covered != b.Townships[i].Covered || !slices.Equal(a.Townships[i].Flags, b.Townships[i].Flags) {
				t.Errorf("%s %s: prepared %v %v, fresh single-worker %v %v", k.ID, a.Townships[i].Code,
					a.Townships[i].Covered, a.Townships[i].Flags, b.Townships[i].Covered, b.Townships[i].Flags)
			}
		}
	}
	other := *d.grid
	other.DX *= 2
	if _, err := Run(ctx, Input{Standard: DefaultStandards().Kinds[0], Grid: &other, Region: reg}); err == nil {
		t.Error("a region prepared for another grid was accepted")
	}
}
