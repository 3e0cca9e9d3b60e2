package geotiff

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fangyuan/geo"
)

// benchGrid is a population-like float32 grid of w×h cells: smooth density
// with noise, half the cells empty, a nodata "sea" in one corner.
func benchGrid(w, h int) *geo.Grid {
	g := &geo.Grid{West: 118, North: 31.5, DX: 1.0 / 1200, DY: 1.0 / 1200, Width: w, Height: h, HasNoData: true, NoData: -200}
	d := make([]float32, w*h)
	seed := uint32(12345)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if x+y < w/8 {
				d[i] = -200
				continue
			}
			seed = seed*1664525 + 1013904223
			noise := float64(seed>>8) / (1 << 24)
			v := 50*math.Sin(float64(x)/37)*math.Cos(float64(y)/23) + 30*math.Sin(float64(x)/11+float64(y)/13)
			if v < 5 {
				v = 0
			}
			d[i] = float32(v * (0.5 + noise))
		}
	}
	g.Bands = []geo.Band{{Name: "total", Data: d}}
	return g
}

// BenchmarkRead reads a 10 M-cell float32 deflate GeoTIFF (3200×3125). The
// product needs such a grid loaded in ≤ 2 s. As a baseline measured in the
// same run, it reports GDAL's time to decode the same file
// (gdalinfo -stats, one process, including its start-up) and the ratio.
//
//	go test -run '^$' -bench BenchmarkRead -benchtime 5x ./geo/geotiff/
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	g := benchGrid(3200, 3125)
	cases := []struct {
		name string
		opts WriteOptions
		gdal []string // when set, GDAL rewrites the file with these options
	}{
		{"strips-deflate", WriteOptions{}, nil},
		{"tiles-deflate-pred3", WriteOptions{TileSize: 256, Predictor: PredictorFloat}, nil},
		{"gdal-tiles-deflate-pred3", WriteOptions{}, []string{"-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3", "-co", "TILED=YES"}},
		{"gdal-strips-lzw-pred2", WriteOptions{}, []string{"-co", "COMPRESS=LZW", "-co", "PREDICTOR=2"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(dir, tc.name+".tif")
			if err := WriteFile(path, g, tc.opts); err != nil {
				b.Fatal(err)
			}
			if tc.gdal != nil {
				requireGDAL(b)
				src := path + ".src.tif"
				if err := os.Rename(path, src); err != nil {
					b.Fatal(err)
				}
				runGDAL(b, "", "gdal_translate", append(append([]string{"-q"}, tc.gdal...), src, path)...)
			}
			st, _ := os.Stat(path)
			gdalTime := gdalDecodeTime(b, path)
			b.ResetTimer()
			for b.Loop() {
				got, err := ReadFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if got.Width*got.Height != 10_000_000 {
					b.Fatal("wrong size")
				}
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(st.Size())/1e6, "MB")
			b.ReportMetric(float64(gdalTime.Milliseconds()), "gdal-ms")
			b.ReportMetric(float64(perOp)/float64(gdalTime), "x-gdal")
		})
	}
}

// gdalDecodeTime times GDAL decoding every cell of path (best of three).
func gdalDecodeTime(b *testing.B, path string) time.Duration {
	requireGDAL(b)
	best := time.Duration(math.MaxInt64)
	for i := 0; i < 3; i++ {
		cmd := exec.Command("gdalinfo", "-stats", "-nomd", "-norat", "-noct", path)
		cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("gdalinfo -stats: %v\n%s", err, out)
		}
		best = min(best, time.Since(start))
	}
	return best
}
