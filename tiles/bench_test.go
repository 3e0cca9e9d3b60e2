package tiles_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles"
	"fangyuan/tiles/tilestest"
)

// noCache stores nothing: every Get makes the tile (uncached, with the epoch check and gzip).
type noCache struct{}

func (noCache) Get(string) (tiles.Tile, bool) { return tiles.Tile{}, false }
func (noCache) Set(string, tiles.Tile)        {}
func (noCache) Purge()                        {}

type benchSet struct {
	name   string
	pool   *pgxpool.Pool
	run    int64
	bound  orb.Bound
	cells  tiles.CellSource
	cached *tiles.Server
	nocach *tiles.Server
}

// sampleTiles picks up to n tiles at zoom z evenly over b.
func sampleTiles(b orb.Bound, z int, n int) []maptile.Tile {
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
	var all []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			all = append(all, maptile.New(x, y, maptile.Zoom(z)))
		}
	}
	if len(all) <= n {
		return all
	}
	out := make([]maptile.Tile, 0, n)
	step := float64(len(all)) / float64(n)
	for i := 0; i < n; i++ {
		out = append(out, all[int(float64(i)*step+step/2)])
	}
	return out
}

type benchResult struct {
	set, layer, mode string
	z                int
	tilesPerSec, p99 float64
	bytes            float64
}

// measure runs every job four times per iteration on GOMAXPROCS workers; tiles/s and p99 in ms.
func measure(b *testing.B, jobs []func() (int, error)) (rate, p99, avgBytes float64) {
	workers := runtime.GOMAXPROCS(0)
	var mu sync.Mutex
	var lat []float64
	var total int
	var errs []error
	start := time.Now()
	for it := 0; it < b.N; it++ {
		ch := make(chan func() (int, error))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for job := range ch {
					t0 := time.Now()
					n, err := job()
					d := time.Since(t0)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					}
					lat = append(lat, float64(d.Microseconds())/1000)
					total += n
					mu.Unlock()
				}
			}()
		}
		for range 4 { // four passes over the tiles per iteration
			for _, j := range jobs {
				ch <- j
			}
		}
		close(ch)
		wg.Wait()
	}
	el := time.Since(start)
	if len(errs) > 0 {
		b.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0, 0
	}
	p99 = lat[min(len(lat)-1, int(math.Ceil(0.99*float64(len(lat))))-1)]
	return float64(len(lat)) / el.Seconds(), p99, float64(total) / float64(len(lat))
}

// BenchmarkTiles times tiles at z8, z12 and z14 on the demo county and on Zhejiang-size
// synthetic data: cached (warm LRU + the change-counter check), uncached (SQL + gzip),
// and the same ST_AsMVT SQL sent directly as the baseline, in the same run.
func BenchmarkTiles(b *testing.B) {
	ctx := context.Background()
	demo := tilestest.Demo(b)
	var demoRun int64
	if err := demo.Pool.QueryRow(ctx, `SELECT max(id) FROM coverage_run WHERE kind = 'eldercare_center' AND status = 'done'`).Scan(&demoRun); err != nil {
		b.Fatal(err)
	}
	var w, s, e, n float64
	if err := demo.Pool.QueryRow(ctx, `SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT geom::box2d::geometry g FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL) q`).Scan(&w, &s, &e, &n); err != nil {
		b.Fatal(err)
	}
	zjPool := dbtest.Pool(b)
	zjRun := loadZhejiang(b, zjPool)
	zjCells := newZhejiangCells()
	sets := []*benchSet{
		{name: "demo", pool: demo.Pool, run: demoRun, bound: orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}}, cells: demo.Runs},
		{name: "zhejiang", pool: zjPool, run: zjRun, bound: orb.Bound{Min: orb.Point{zjWest, zjSouth}, Max: orb.Point{zjWest + zjCols*zjDX, zjSouth + zjRows*zjDY}}, cells: zjCells},
	}
	var results []benchResult
	for _, set := range sets {
		var err error
		if set.cached, err = tiles.New(set.pool, tiles.Config{Cells: set.cells}); err != nil {
			b.Fatal(err)
		}
		if set.nocach, err = tiles.New(set.pool, tiles.Config{Cells: set.cells, Cache: noCache{}}); err != nil {
			b.Fatal(err)
		}
		for _, z := range []int{8, 12, 14} {
			tl := sampleTiles(set.bound, z, 64)
			for _, layer := range []string{"township", "coverage", "facilities", "roads", "cells"} {
				param := ""
				if tiles.Layers[layer].Param == "run" {
					param = fmt.Sprint(set.run)
				}
				modes := []string{"direct SQL", "uncached", "cached"}
				for _, mode := range modes {
					if mode == "direct SQL" && tiles.QuerySQL(layer) == "" {
						continue
					}
					var jobs []func() (int, error)
					for _, t := range tl {
						req := tiles.Request{Layer: layer, Z: int(t.Z), X: int(t.X), Y: int(t.Y), Param: param}
						switch mode {
						case "direct SQL":
							sql := tiles.QuerySQL(layer)
							param, err := tiles.QueryParam(layer, param)
							if err != nil {
								b.Fatal(err)
							}
							jobs = append(jobs, func() (int, error) {
								var raw []byte
								err := set.pool.QueryRow(ctx, sql, req.Z, req.X, req.Y, tiles.Tolerance(req.Z), tiles.FeatureCap(layer, req.Z), param).Scan(&raw)
								return len(raw), err
							})
						case "uncached":
							jobs = append(jobs, func() (int, error) {
								t, _, err := set.nocach.Get(ctx, req)
								return t.Size, err
							})
						case "cached":
							if _, _, err := set.cached.Get(ctx, req); err != nil { // warm
								b.Fatal(err)
							}
							jobs = append(jobs, func() (int, error) {
								t, hit, err := set.cached.Get(ctx, req)
								if err == nil && !hit {
									err = fmt.Errorf("cache miss on a warm tile %v", req)
								}
								return t.Size, err
							})
						}
					}
					var r benchResult
					b.Run(fmt.Sprintf("%s/z%d/%s/%s", set.name, z, layer, mode), func(b *testing.B) {
						rate, p99, bytes := measure(b, jobs)
						b.ReportMetric(rate, "tiles/s")
						b.ReportMetric(p99, "p99-ms")
						b.ReportMetric(0, "ns/op")
						r = benchResult{set.name, layer, mode, z, rate, p99, bytes}
					})
					results = append(results, r)
				}
			}
		}
	}
	// The table for docs/BENCHMARKS.md: tiles/s (p99 ms), and uncached vs direct SQL.
	out := os.Stdout
	fmt.Fprintf(out, "\n| data | z | layer | avg tile | direct ST_AsMVT SQL | uncached | cached | uncached ÷ direct |\n|---|---|---|---|---|---|---|---|\n")
	for i := 0; i < len(results); {
		j := i
		row := map[string]benchResult{}
		for j < len(results) && results[j].set == results[i].set && results[j].z == results[i].z && results[j].layer == results[i].layer {
			row[results[j].mode] = results[j]
			j++
		}
		cell := func(m string) string {
			r, ok := row[m]
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%.0f/s (p99 %.1f ms)", r.tilesPerSec, r.p99)
		}
		ratio := "— (in Go)"
		if d, ok := row["direct SQL"]; ok && d.tilesPerSec > 0 {
			ratio = fmt.Sprintf("%.2f×", row["uncached"].tilesPerSec/d.tilesPerSec)
		}
		r := results[i]
		fmt.Fprintf(out, "| %s | %d | %s | %.1f KB | %s | %s | %s | %s |\n", r.set, r.z, r.layer, row["uncached"].bytes/1024, cell("direct SQL"), cell("uncached"), cell("cached"), ratio)
		i = j
	}
}
