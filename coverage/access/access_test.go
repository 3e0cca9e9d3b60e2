package access

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/geo"
	"fangyuan/importers"
	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The PostGIS formulation of E2SFCA, written independently of the package:
// populated cells as polygons and centre points, the share of each cell in
// each township by ST_Intersection areas (planar degrees, the coverage cell
// rule), demand P_k = pop × min(Σ shares, 1), facility–cell pairs by geography
// ST_DWithin, their distance by geography ST_Distance (spheroid), the decay in
// SQL, R_j per facility, A_i per cell, and per township the weighted mean, the
// minimum over cells with at least MinCellFrac of their area inside, and the
// population below the need.
const (
	sqlSchema = `
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE cell_raw (idx bigint, pop float8, x0 float8, y0 float8, x1 float8, y1 float8, cx float8, cy float8);
CREATE TABLE township (code text PRIMARY KEY, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE TABLE facility (id text PRIMARY KEY, geog geography(Point, 4326) NOT NULL, cap float8 NOT NULL);`

	sqlCells = `
CREATE TABLE cell AS
SELECT idx, pop, ST_MakeEnvelope(x0, y0, x1, y1, 4326) AS geom,
       ST_SetSRID(ST_MakePoint(cx, cy), 4326)::geography AS center
FROM cell_raw;
CREATE INDEX ON cell USING gist (geom);
CREATE INDEX ON cell USING gist (center);
CREATE INDEX ON township USING gist (geom);
CREATE INDEX ON facility USING gist (geog);
ANALYZE cell; ANALYZE township; ANALYZE facility;`

	// $1 d0 (metres), $2 decay (gaussian | step), $3 need per person.
	sqlE2SFCA = `
WITH frac AS (
    SELECT t.code, c.idx, c.pop,
           CASE WHEN ST_Within(c.geom, t.geom) THEN 1.0
                ELSE ST_Area(ST_Intersection(c.geom, t.geom)) / ST_Area(c.geom) END AS f
    FROM township t JOIN cell c ON ST_Intersects(c.geom, t.geom)
), inside AS (
    SELECT idx, max(pop) * least(sum(f), 1.0) AS p FROM frac GROUP BY idx
), dist AS (
    SELECT f.id, f.cap, i.idx, i.p, ST_Distance(f.geog, c.center) AS d
    FROM facility f JOIN cell c ON ST_DWithin(f.geog, c.center, $1::float8)
    JOIN inside i ON i.idx = c.idx
), pair AS (
    SELECT id, cap, idx, p,
           CASE WHEN $2::text = 'gaussian' THEN (exp(-0.5 * (d / $1::float8)^2) - exp(-0.5)) / (1 - exp(-0.5))
                WHEN d <= $1::float8 / 3 THEN 1.00
                WHEN d <= 2 * $1::float8 / 3 THEN 0.68
                ELSE 0.22 END AS w
    FROM dist
), ratio AS (
    SELECT id, CASE WHEN sum(w * p) > 0 THEN max(cap) / sum(w * p) ELSE 0 END AS r FROM pair GROUP BY id
), acc AS (
    SELECT pr.idx, sum(pr.w * r.r) AS a FROM pair pr JOIN ratio r USING (id) GROUP BY pr.idx
)
SELECT fr.code,
       sum(fr.pop * fr.f) AS population,
       sum(fr.pop * fr.f * coalesce(a.a, 0)) / sum(fr.pop * fr.f) AS mean,
       coalesce(min(coalesce(a.a, 0)) FILTER (WHERE fr.f >= 1e-6), 0) AS min,
       coalesce(sum(fr.pop * fr.f) FILTER (WHERE coalesce(a.a, 0) < $3::float8), 0) AS below
FROM frac fr LEFT JOIN acc a ON a.idx = fr.idx
WHERE fr.pop > 0
GROUP BY fr.code`
)

type sqlTownship struct{ pop, mean, min, below float64 }

type sqlDB struct{ conn *pgx.Conn }

func newSQL(t testing.TB) *sqlDB {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, sqlSchema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return &sqlDB{conn}
}

// load stores the populated cells of band on frame f, the townships and the
// operating facilities with their capacity field (unknown: 0).
func (b *sqlDB) load(ctx context.Context, g *geo.Grid, band string, f coverage.Frame, townships []coverage.Unit, facs []coverage.Facility, field string) error {
	bd, ok := g.Band(band)
	if !ok {
		return fmt.Errorf("no band %s", band)
	}
	var rows [][]any
	for r := range f.H {
		for c := range f.W {
			v := bd.Data[(f.Row0+r)*g.Width+f.Col0+c]
			if !(v > 0) || g.IsNoData(v) {
				continue
			}
			cb := g.CellBounds(f.Col0+c, f.Row0+r)
			cc := g.CellCenter(f.Col0+c, f.Row0+r)
			rows = append(rows, []any{int64(r*f.W + c), float64(v), cb.Min[0], cb.Min[1], cb.Max[0], cb.Max[1], cc[0], cc[1]})
		}
	}
	if _, err := b.conn.CopyFrom(ctx, pgx.Identifier{"cell_raw"}, []string{"idx", "pop", "x0", "y0", "x1", "y1", "cx", "cy"}, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	for _, u := range townships {
		w, err := wkb.Marshal(u.Geometry)
		if err != nil {
			return err
		}
		if _, err := b.conn.Exec(ctx, `INSERT INTO township VALUES ($1, ST_Multi(ST_GeomFromWKB($2, 4326)))`, u.Code, w); err != nil {
			return fmt.Errorf("township %s: %w", u.Code, err)
		}
	}
	for _, fc := range facs {
		if fc.Status != "" && fc.Status != coverage.StatusOperating {
			continue
		}
		capv := 0.0
		var p *int
		switch field {
		case "beds":
			p = fc.Beds
		case "nursing_beds":
			p = fc.NursingBeds
		case "dementia_beds":
			p = fc.DementiaBeds
		}
		if p != nil {
			capv = float64(*p)
		}
		if _, err := b.conn.Exec(ctx, `INSERT INTO facility VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4)`, fc.ID, fc.Location[0], fc.Location[1], capv); err != nil {
			return fmt.Errorf("facility %s: %w", fc.ID, err)
		}
	}
	_, err := b.conn.Exec(ctx, sqlCells)
	return err
}

func (b *sqlDB) e2sfca(ctx context.Context, d0 float64, decay string, need float64) (map[string]sqlTownship, error) {
	rs, err := b.conn.Query(ctx, sqlE2SFCA, d0, decay, need)
	if err != nil {
		return nil, err
	}
	out := map[string]sqlTownship{}
	for rs.Next() {
		var code string
		var s sqlTownship
		if err := rs.Scan(&code, &s.pop, &s.mean, &s.min, &s.below); err != nil {
			return nil, err
		}
		out[code] = s
	}
	return out, rs.Err()
}

// relTol is the agreement asked of the package against the SQL formulation.
const relTol = 1e-6

func relDiff(got, want float64) float64 {
	d := math.Abs(got - want)
	if d == 0 {
		return 0
	}
	return d / math.Max(math.Abs(want), 1e-9)
}

// compare checks every township of res against the SQL rows; it returns the
// largest relative difference of mean and minimum.
func compare(t *testing.T, label string, res *Result, want map[string]sqlTownship) float64 {
	t.Helper()
	worst := 0.0
	nonzero := 0
	for _, u := range res.Townships {
		w := want[u.Code] // no populated cell: no SQL row, all zero
		if w.mean > 0 {
			nonzero++
		}
		for _, x := range [][3]any{{"population", u.Population, w.pop}, {"mean", u.Mean, w.mean}, {"min", u.Min, w.min}, {"below need", u.BelowNeed, w.below}} {
			got, exp := x[1].(float64), x[2].(float64)
			rd := relDiff(got, exp)
			if x[0] == "below need" || x[0] == "population" {
				// Populations are sums of exact fractions: absolute person tolerance.
				if math.Abs(got-exp) > 1e-6 {
					t.Errorf("%s: township %s: %s %.9g, PostGIS %.9g", label, u.Code, x[0], got, exp)
				}
				continue
			}
			worst = max(worst, rd)
			if rd > relTol {
				t.Errorf("%s: township %s: %s %.12g, PostGIS %.12g (relative %.2g)", label, u.Code, x[0], got, exp, rd)
			}
		}
	}
	if nonzero == 0 {
		t.Errorf("%s: no township has accessibility above 0: the comparison proves nothing", label)
	}
	return worst
}

func TestHandComputed(t *testing.T) {
	// Four cells in a row on the equator, 0.01° wide: along the equator the
	// geodesic distance is a·Δλ, so facility–cell distances are 0, 1113.19,
	// 2226.39 and 3339.58 m. Facility A (100 beds) at the centre of cell 0, B
	// (50 beds) at the centre of cell 3, catchment 3000 m.
	g := &geo.Grid{West: 0, North: 0.005, DX: 0.01, DY: 0.01, Width: 4, Height: 1,
		Bands: []geo.Band{{Name: "total", Data: []float32{10, 20, 30, 40}}}}
	sq := func(x0, x1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, -0.005}, {x1, -0.005}, {x1, 0.005}, {x0, 0.005}, {x0, -0.005}}}}
	}
	towns := []coverage.Unit{{Code: "T1", Geometry: sq(0, 0.02)}, {Code: "T2", Geometry: sq(0.02, 0.04)}}
	reg, err := coverage.PrepareRegion(context.Background(), g, towns, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, b := 100, 50
	facs := []coverage.Facility{
		{ID: "A", Location: orb.Point{0.005, 0}, Beds: &a},
		{ID: "B", Location: orb.Point{0.035, 0}, Beds: &b},
		{ID: "C", Location: orb.Point{0.015, 0}, Beds: &a, Status: coverage.StatusPlanned}, // does not count
	}
	std := coverage.Standard{ID: "k", Layer: "total", Capacity: []coverage.Ratio{{Field: "beds", Min: 250, Per: 100}}}
	run := func(decay string) *Result {
		dc, err := ParseDecay(decay)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compute(context.Background(), Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: Straight{Radius: 3000}, Decay: dc, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	check := func(label string, got, want float64) {
		t.Helper()
		// Weights are rounded to float32 (kept between the steps): 10⁻⁷ relative.
		if math.Abs(got-want) > 1e-7*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.15g, want %.15g", label, got, want)
		}
	}
	// Step: cell 1 is in A's second zone (0.68), cell 2 in its third (0.22), and back for B.
	ra, rb := 100/(10+20*0.68+30*0.22), 50/(40+30*0.68+20*0.22)
	cells := []float64{ra, 0.68*ra + 0.22*rb, 0.22*ra + 0.68*rb, rb}
	res := run("step")
	for i, want := range cells {
		check(fmt.Sprintf("step A_%d", i), res.Cells[i], want)
	}
	check("step R_A", res.Facilities[0].Ratio, ra)
	check("step R_B", res.Facilities[1].Ratio, rb)
	if len(res.Facilities) != 2 {
		t.Errorf("%d facilities counted, want 2 (C is planned)", len(res.Facilities))
	}
	t1, t2 := res.Townships[0], res.Townships[1]
	check("T1 mean", t1.Mean, (10*cells[0]+20*cells[1])/30)
	check("T1 min", t1.Min, cells[1])
	check("T2 mean", t2.Mean, (30*cells[2]+40*cells[3])/70)
	check("T2 min", t2.Min, cells[3])
	check("need", t1.Need, 2.5)
	check("T1 below need", t1.BelowNeed, 20) // cell 1: 2.42 < 2.5
	check("T2 below need", t2.BelowNeed, 70)
	if t1.Short || !t2.Short {
		t.Errorf("short: T1 %v T2 %v, want false true", t1.Short, t2.Short)
	}
	check("T2 shortfall", t2.Shortfall, (2.5-t2.Mean)*70)
	check("beds shared out", 10*cells[0]+20*cells[1]+30*cells[2]+40*cells[3], 150)

	// Gaussian with the equatorial distances.
	gw := func(d float64) float64 {
		return (math.Exp(-0.5*(d/3000)*(d/3000)) - math.Exp(-0.5)) / (1 - math.Exp(-0.5))
	}
	d1, d2 := geo.EarthA*0.01*math.Pi/180, geo.EarthA*0.02*math.Pi/180
	ra = 100 / (10 + 20*gw(d1) + 30*gw(d2))
	rb = 50 / (40 + 30*gw(d1) + 20*gw(d2))
	cells = []float64{ra, gw(d1)*ra + gw(d2)*rb, gw(d2)*ra + gw(d1)*rb, rb}
	res = run("gaussian")
	for i, want := range cells {
		if math.Abs(res.Cells[i]-want) > 1e-7*want {
			t.Errorf("gaussian A_%d = %.12g, want %.12g", i, res.Cells[i], want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := ParseDecay("linear"); err == nil {
		t.Error("decay linear accepted")
	}
	if _, err := (Decay{Kind: "step", Zones: []float64{0.5, 0.4, 1}, Weights: []float64{1, 0.5, 0.2}}).validate(); err == nil {
		t.Error("decreasing zones accepted")
	}
	std, _ := coverage.DefaultStandards().Kind("eldercare_center")
	if _, _, err := FieldFor(std, ""); err == nil {
		t.Error("kind without capacity ratio: no error for the default field")
	}
	inst, _ := coverage.DefaultStandards().Kind("eldercare_institution")
	if f, need, err := FieldFor(inst, ""); err != nil || f != "beds" || math.Abs(need-0.036) > 1e-15 {
		t.Errorf("FieldFor(eldercare_institution) = %q %v %v, want beds 0.036", f, need, err)
	}
	if _, _, err := FieldFor(inst, "chairs"); err == nil {
		t.Error("field chairs accepted")
	}
}

func TestDemoEqualsPostGIS(t *testing.T) {
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	dir := filepath.Join(root, "data", "demo")
	g, err := inputs.LoadPopulation(filepath.Join(dir, "population.tif"), nil)
	if err != nil {
		t.Fatal(err)
	}
	towns, err := inputs.LoadUnits(importers.HostFS{}, filepath.Join(dir, "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	facs, err := inputs.LoadFacilities(importers.HostFS{}, filepath.Join(dir, "facilities", "eldercare_institution.csv"), inputs.FacilityFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	std, err := coverage.DefaultStandards().Kind("eldercare_institution")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	db := newSQL(t)
	if err := db.load(ctx, g, std.Layer, reg.Frame, towns, facs, "beds"); err != nil {
		t.Fatal(err)
	}
	for _, decay := range []string{"gaussian", "step"} {
		dc, _ := ParseDecay(decay)
		res, err := Compute(ctx, Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: Straight{Radius: std.RadiusM}, Decay: dc})
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.e2sfca(ctx, std.RadiusM, decay, res.Need)
		if err != nil {
			t.Fatal(err)
		}
		worst := compare(t, "demo "+decay, res, want)
		t.Logf("demo %s: %d townships, region mean %.5f beds per person of %s (need %.3f), largest relative difference %.2g",
			decay, len(res.Townships), res.Mean, std.Layer, res.Need, worst)
		shared := 0.0
		for i, a := range res.Cells {
			shared += a * res.pop(i)
		}
		if relDiff(shared, res.Capacity) > 1e-9 {
			t.Errorf("demo %s: Σ P·A = %.6f, capacity in reach %.6f", decay, shared, res.Capacity)
		}
	}
}

// pop is the demand weight of frame cell i (test helper; the result keeps the
// share inside; the population is read back from the cells' sums).
func (r *Result) pop(i int) float64 { return r.demand[i] }

// randomCase is a random study area: a grid of 3″ cells, townships tiling a
// jittered lattice of blocks (shared vertices), facilities with beds.
type randomCase struct {
	grid   *geo.Grid
	towns  []coverage.Unit
	facs   []coverage.Facility
	radius float64
}

func randomInput(seed uint64) randomCase {
	rng := rand.New(rand.NewPCG(seed, 2026))
	cell := 1.0 / 1200
	w, h := 160+rng.IntN(80), 140+rng.IntN(80)
	west, north := 119.5+rng.Float64(), 28+rng.Float64()*3
	g := &geo.Grid{West: west, North: north, DX: cell, DY: cell, Width: w, Height: h}
	data := make([]float32, w*h)
	for i := range data {
		if rng.Float64() < 0.2 {
			continue
		}
		data[i] = float32(math.Round(rng.ExpFloat64()*8*100) / 100)
	}
	g.Bands = []geo.Band{{Name: "age60plus", Data: data}}
	// Lattice of nbx × nby blocks of k steps, inset from the grid edge by 3 cells.
	nbx, nby, k := 3+rng.IntN(3), 3+rng.IntN(3), 4
	x0, y0 := west+3*cell, north-float64(h-3)*cell
	bw, bh := float64(w-6)*cell/float64(nbx), float64(h-6)*cell/float64(nby)
	nx, ny := nbx*k+1, nby*k+1
	vert := make([]orb.Point, nx*ny)
	for j := range ny {
		for i := range nx {
			jx, jy := (rng.Float64()-0.5)*0.5*bw/float64(k), (rng.Float64()-0.5)*0.5*bh/float64(k)
			if i == 0 || i == nx-1 {
				jx = 0
			}
			if j == 0 || j == ny-1 {
				jy = 0
			}
			x := x0 + float64(i)*bw/float64(k) + jx
			y := y0 + float64(j)*bh/float64(k) + jy
			vert[j*nx+i] = orb.Point{math.Round(x*1e6) / 1e6, math.Round(y*1e6) / 1e6}
		}
	}
	v := func(i, j int) orb.Point { return vert[j*nx+i] }
	var towns []coverage.Unit
	for by := range nby {
		for bx := range nbx {
			i0, j0, i1, j1 := bx*k, by*k, bx*k+k, by*k+k
			var r orb.Ring
			for i := i0; i < i1; i++ {
				r = append(r, v(i, j0))
			}
			for j := j0; j < j1; j++ {
				r = append(r, v(i1, j))
			}
			for i := i1; i > i0; i-- {
				r = append(r, v(i, j1))
			}
			for j := j1; j > j0; j-- {
				r = append(r, v(i0, j))
			}
			r = append(r, r[0])
			towns = append(towns, coverage.Unit{Code: fmt.Sprintf("3301%02d%03d", seed%100, len(towns)+1), Name: fmt.Sprintf("随机乡镇%d", len(towns)+1), Geometry: orb.MultiPolygon{{r}}})
		}
	}
	var facs []coverage.Facility
	for i := range 8 + rng.IntN(25) {
		beds := 10 + rng.IntN(400)
		f := coverage.Facility{ID: fmt.Sprintf("R%03d", i+1),
			Location: orb.Point{math.Round((west+rng.Float64()*float64(w)*cell)*1e6) / 1e6, math.Round((north-rng.Float64()*float64(h)*cell)*1e6) / 1e6}}
		if rng.Float64() < 0.9 {
			f.Beds = &beds
		}
		if rng.Float64() < 0.1 {
			f.Status = coverage.StatusClosed
		}
		facs = append(facs, f)
	}
	return randomCase{grid: g, towns: towns, facs: facs, radius: 1500 + rng.Float64()*4000}
}

func TestRandomEqualsPostGIS(t *testing.T) {
	ctx := context.Background()
	std, _ := coverage.DefaultStandards().Kind("eldercare_institution")
	for seed := uint64(1); seed <= 4; seed++ {
		rc := randomInput(seed)
		reg, err := coverage.PrepareRegion(ctx, rc.grid, rc.towns, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		db := newSQL(t)
		if err := db.load(ctx, rc.grid, "age60plus", reg.Frame, rc.towns, rc.facs, "beds"); err != nil {
			t.Fatal(err)
		}
		decay := []string{"gaussian", "step"}[seed%2]
		dc, _ := ParseDecay(decay)
		res, err := Compute(ctx, Input{Standard: std, Grid: rc.grid, Region: reg, Facilities: rc.facs, Distances: Straight{Radius: rc.radius}, Decay: dc, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.e2sfca(ctx, rc.radius, decay, res.Need)
		if err != nil {
			t.Fatal(err)
		}
		worst := compare(t, fmt.Sprintf("seed %d %s", seed, decay), res, want)
		t.Logf("seed %d: %d townships, %d facilities, radius %.0f m, %s: largest relative difference %.2g", seed, len(rc.towns), len(rc.facs), rc.radius, decay, worst)
	}
}

// TestKeptWeightsPath: step 2 from the kept weights and step 2 computing them
// again (more pairs than maxKept) give the same cells, bit for bit.
func TestKeptWeightsPath(t *testing.T) {
	ctx := context.Background()
	std, _ := coverage.DefaultStandards().Kind("eldercare_institution")
	rc := randomInput(7)
	reg, err := coverage.PrepareRegion(ctx, rc.grid, rc.towns, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	run := func() *Result {
		dc, _ := ParseDecay("gaussian")
		res, err := Compute(ctx, Input{Standard: std, Grid: rc.grid, Region: reg, Facilities: rc.facs, Distances: Straight{Radius: rc.radius}, Decay: dc, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	kept := run()
	defer func(v int64) { maxKept = v }(maxKept)
	maxKept = 100
	again := run()
	nonzero := 0
	for i := range kept.Cells {
		if kept.Cells[i] != again.Cells[i] {
			t.Fatalf("cell %d: %v kept, %v computed again", i, kept.Cells[i], again.Cells[i])
		}
		if kept.Cells[i] > 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("no cell reached")
	}
}
