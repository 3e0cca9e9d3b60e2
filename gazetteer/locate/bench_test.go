package locate_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func benchPoints(n int) []orb.Point {
	rng := rand.New(rand.NewPCG(7, 8))
	pts := make([]orb.Point, n)
	for i := range pts { // the demo county's extent
		pts[i] = orb.Point{119.60 + 0.6*rng.Float64(), 28.0 + 0.5*rng.Float64()}
	}
	return pts
}

// BenchmarkCovering: admin-chain lookups per second on one core from the in-memory index,
// against the same lookups as PostGIS ST_Covers queries (admin_code_at-style, one query
// per point over the pool) measured in the same run; reports the ratio.
func BenchmarkCovering(b *testing.B) {
	pool, ix := demo(b)
	pts := benchPoints(4096)
	var out [6]int32
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ix.Covering(pts[i&4095], today, &out)
	}
	mem := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()

	ctx := context.Background()
	const q = `SELECT array_agg(a.code ORDER BY a.level) FROM admin_unit a
WHERE a.valid_to IS NULL AND a.geom IS NOT NULL AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`
	n := 1000
	start = time.Now()
	for i := 0; i < n; i++ {
		var codes []string
		p := pts[i&4095]
		if err := pool.QueryRow(ctx, q, p[0], p[1]).Scan(&codes); err != nil {
			b.Fatal(err)
		}
	}
	pg := float64(n) / time.Since(start).Seconds()
	b.ReportMetric(mem, "lookups/s")
	b.ReportMetric(pg, "postgis_lookups/s")
	b.ReportMetric(mem/pg, "x_postgis")
	b.Logf("GOMAXPROCS=%d in-memory %.0f lookups/s, PostGIS %.0f lookups/s, ratio %.0f×", runtime.GOMAXPROCS(0), mem, pg, mem/pg)
}

// BenchmarkCoveringInside: the same, only for points inside a village (five levels found,
// two to three polygon tests each).
func BenchmarkCoveringInside(b *testing.B) {
	_, ix := demo(b)
	var pts []orb.Point
	var out [6]int32
	for _, p := range benchPoints(20000) {
		if ix.Covering(p, today, &out) >= 3 && out[5] >= 0 {
			pts = append(pts, p)
		}
	}
	pts = pts[:4096]
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ix.Covering(pts[i&4095], today, &out)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
}

// BenchmarkReverse is the full reverse answer (levels, nearest road, house number).
func BenchmarkReverse(b *testing.B) {
	_, ix := demo(b)
	pts := benchPoints(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = ix.Reverse(pts[i&4095], today)
	}
}
