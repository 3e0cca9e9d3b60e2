package access

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/geo"
)

// provinceInput is a Zhejiang-sized input like coverage's BenchmarkCoverageProvince:
// a 3″ grid over 118–123°E, 27–31.5°N (6000 × 5400 cells), 1,354 townships of
// 0.08° × 0.08° (jittered shared boundaries, 8 lattice steps a side) in a blob
// around the middle, lognormal population by township (≈ 80 % of the cells
// populated), and n eldercare institutions with 20–500 beds.
func provinceInput(n int) (*geo.Grid, []coverage.Unit, []coverage.Facility) {
	rng := rand.New(rand.NewPCG(20261202, 14))
	cell := 1.0 / 1200
	const west, north, width, height = 118.0, 31.5, 6000, 5400
	const x0, y0, bw, bh, nbx, nby, k = 118.02, 27.02, 0.08, 0.08, 62, 55, 8
	nx, ny := nbx*k+1, nby*k+1
	sx, sy := bw/k, bh/k
	vert := make([]orb.Point, nx*ny)
	for j := range ny {
		for i := range nx {
			jx, jy := (rng.Float64()-0.5)*0.6*sx, (rng.Float64()-0.5)*0.6*sy
			if i == 0 || i == nx-1 {
				jx = 0
			}
			if j == 0 || j == ny-1 {
				jy = 0
			}
			vert[j*nx+i] = orb.Point{math.Round((x0+float64(i)*sx+jx)*1e6) / 1e6, math.Round((y0+float64(j)*sy+jy)*1e6) / 1e6}
		}
	}
	v := func(i, j int) orb.Point { return vert[j*nx+i] }
	type blk struct {
		bx, by int
		d      float64
	}
	var blocks []blk
	for by := range nby {
		for bx := range nbx {
			dx := (float64(bx) + 0.5 - nbx/2.0) / nbx
			dy := (float64(by) + 0.5 - nby/2.0) / nby
			blocks = append(blocks, blk{bx, by, math.Hypot(dx, dy*1.2) * (0.75 + 0.5*rng.Float64())})
		}
	}
	slices.SortFunc(blocks, func(a, b blk) int { return cmp.Compare(a.d, b.d) })
	blocks = blocks[:1354]
	slices.SortFunc(blocks, func(a, b blk) int { return cmp.Or(cmp.Compare(a.by, b.by), cmp.Compare(a.bx, b.bx)) })
	density := map[[2]int]float64{}
	var towns []coverage.Unit
	for i, b := range blocks {
		i0, j0, i1, j1 := b.bx*k, b.by*k, b.bx*k+k, b.by*k+k
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
		towns = append(towns, coverage.Unit{Code: fmt.Sprintf("3399%02d%03d", i/1000, i%1000+1), Name: fmt.Sprintf("合成乡镇%d", i+1), Geometry: orb.MultiPolygon{{r}}})
		density[[2]int{b.bx, b.by}] = math.Exp(rng.NormFloat64()*0.8 - 0.32)
	}
	data := make([]float32, width*height)
	for r := range height {
		lat := north - (float64(r)+0.5)*cell
		by := int(math.Floor((lat - y0) / bh))
		for c := range width {
			lon := west + (float64(c)+0.5)*cell
			d, ok := density[[2]int{int(math.Floor((lon - x0) / bw)), by}]
			if !ok || rng.Float64() < 0.2 {
				continue
			}
			data[r*width+c] = float32(math.Round(d*2*rng.Float64()*100) / 100)
		}
	}
	g := &geo.Grid{West: west, North: north, DX: cell, DY: cell, Width: width, Height: height, Bands: []geo.Band{{Name: "age60plus", Data: data}}}
	var facs []coverage.Facility
	for i := range n {
		b := blocks[rng.IntN(len(blocks))]
		beds := 20 + rng.IntN(480)
		p := orb.Point{x0 + (float64(b.bx)+0.1+0.8*rng.Float64())*bw, y0 + (float64(b.by)+0.1+0.8*rng.Float64())*bh}
		facs = append(facs, coverage.Facility{ID: fmt.Sprintf("I-%05d", i+1), Location: orb.Point{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}, Beds: &beds})
	}
	return g, towns, facs
}

// BenchmarkAccessProvince is E2SFCA at province size (1,500 institutions,
// Gaussian decay, 15 km geodesic), then, in the same run, a county-sized
// subset by the package and by the PostGIS SQL formulation (sqlE2SFCA), both
// times, the ratio and the agreement.
func BenchmarkAccessProvince(b *testing.B) {
	ctx := context.Background()
	t0 := time.Now()
	g, towns, facs := provinceInput(1500)
	populated := 0
	for _, v := range g.Bands[0].Data {
		if v > 0 {
			populated++
		}
	}
	std, _ := coverage.DefaultStandards().Kind("eldercare_institution")
	b.Logf("input: %d×%d grid, %d populated cells, %d townships, %d institutions, d0 %g m (generated in %v)",
		g.Width, g.Height, populated, len(towns), len(facs), std.RadiusM, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	prep := time.Since(t0)
	dc, _ := ParseDecay("gaussian")
	var res *Result
	var full, cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		if res, err = Compute(ctx, Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: Straight{Radius: std.RadiusM}, Decay: dc}); err != nil {
			b.Fatal(err)
		}
		full = time.Since(t0)
		cpu = cpuTime() - c0
	}
	b.StopTimer()
	short := 0
	for _, t := range res.Townships {
		if t.Short {
			short++
		}
	}
	b.ReportMetric(full.Seconds(), "province-s")
	b.ReportMetric(cpu.Seconds(), "province-cpu-s")
	b.Logf("province: E2SFCA %v wall, %v CPU (process user+sys; load average %s), region prepared once before: %v, GOMAXPROCS %d; mean %.4f beds per person (need %.3f), %d of %d townships short, shortfall %.0f beds",
		full.Round(time.Millisecond), cpu.Round(time.Millisecond), loadAvg(), prep.Round(time.Millisecond), runtime.GOMAXPROCS(0), res.Mean, res.Need, short, len(res.Townships), res.Shortfall)

	// County-sized subset: the 8 townships nearest the middle, the
	// institutions within d0 of their extent.
	mid := reg.Frame.Center(reg.Frame.W/2, reg.Frame.H/2)
	sub := slices.Clone(towns)
	dist := func(u coverage.Unit) float64 {
		c := u.Geometry.Bound().Center()
		return math.Hypot(c[0]-mid[0], c[1]-mid[1])
	}
	slices.SortFunc(sub, func(a, c coverage.Unit) int {
		return cmp.Or(cmp.Compare(dist(a), dist(c)), cmp.Compare(a.Code, c.Code))
	})
	sub = sub[:8]
	bound := sub[0].Geometry.Bound()
	for _, u := range sub[1:] {
		bound = bound.Union(u.Geometry.Bound())
	}
	padLat := std.RadiusM / 110_000 * 1.1
	padLon := padLat / math.Cos(bound.Center()[1]*math.Pi/180)
	pad := orb.Bound{Min: orb.Point{bound.Min[0] - padLon, bound.Min[1] - padLat}, Max: orb.Point{bound.Max[0] + padLon, bound.Max[1] + padLat}}
	var subFacs []coverage.Facility
	for _, f := range facs {
		if pad.Contains(f.Location) {
			subFacs = append(subFacs, f)
		}
	}
	subReg, err := coverage.PrepareRegion(ctx, g, sub, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	var ours time.Duration
	var subRes *Result
	for i := range 5 {
		t0 := time.Now()
		r, err := Compute(ctx, Input{Standard: std, Grid: g, Region: subReg, Facilities: subFacs, Distances: Straight{Radius: std.RadiusM}, Decay: dc})
		if err != nil {
			b.Fatal(err)
		}
		if dt := time.Since(t0); i == 0 || dt < ours {
			ours = dt
		}
		subRes = r
	}
	db := newSQL(b)
	t0 = time.Now()
	if err := db.load(ctx, g, "age60plus", subReg.Frame, sub, subFacs, "beds"); err != nil {
		b.Fatal(err)
	}
	load := time.Since(t0)
	t0 = time.Now()
	want, err := db.e2sfca(ctx, std.RadiusM, "gaussian", subRes.Need)
	if err != nil {
		b.Fatal(err)
	}
	sqlTime := time.Since(t0)
	worst := 0.0
	for _, u := range subRes.Townships {
		w := want[u.Code]
		worst = max(worst, relDiff(u.Mean, w.mean), relDiff(u.Min, w.min))
	}
	if worst > relTol {
		b.Errorf("subset: package and PostGIS differ by %.2g relative", worst)
	}
	var pgVersion, postgisVersion string
	if err := db.conn.QueryRow(ctx, `SELECT current_setting('server_version'), postgis_lib_version()`).Scan(&pgVersion, &postgisVersion); err != nil {
		b.Fatal(err)
	}
	subCells := 0
	f := subReg.Frame
	for r := range f.H {
		for c := range f.W {
			if g.Bands[0].Data[(f.Row0+r)*g.Width+f.Col0+c] > 0 {
				subCells++
			}
		}
	}
	ratio := sqlTime.Seconds() / ours.Seconds()
	b.ReportMetric(ours.Seconds()*1e3, "subset-ms")
	b.ReportMetric(sqlTime.Seconds(), "subset-postgis-s")
	b.ReportMetric(ratio, "speedup")
	b.Logf("county subset: %d townships, %d populated cells in their frame, %d institutions; PostgreSQL %s + PostGIS %s SQL %v (loading %v not counted), package %v (best of 5): %.0f× faster; largest relative difference of mean and min %.2g",
		len(sub), subCells, len(subFacs), pgVersion, postgisVersion, sqlTime.Round(time.Millisecond), load.Round(time.Millisecond), ours.Round(time.Millisecond), ratio, worst)
	b.Logf("target: province ≤ 10 s: %v (%v wall, %v CPU on 2 cores)", full <= 10*time.Second, full.Round(time.Millisecond), cpu.Round(time.Millisecond))
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
