package glyphs_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/math/fixed"

	"fangyuan/tiles/glyphs"
)

// BenchmarkGlyphs renders every CJK Unified Ideographs range (U+4E00–U+9FFF, 82 ranges of
// 256) through the HTTP endpoint, cold and then from the cache, and reports the cache's
// memory. Baseline, in the same run: drawing the same glyphs' coverage masks with
// x/image/font/opentype (what any text rendering costs, without the distance transform).
//
//	go test -run '^$' -bench Glyphs -benchtime 1x ./tiles/glyphs
func BenchmarkGlyphs(b *testing.B) {
	const lo, hi = 0x4E00, 0x9FFF
	var ranges []int
	for s := lo; s <= hi; s += 256 {
		ranges = append(ranges, s)
	}
	for i := 0; i < b.N; i++ {
		// baseline: coverage masks only
		cjk := refFace(b, glyphs.DefaultFont[1])
		bcpu0 := cpuTime()
		t0 := time.Now()
		masks := 0
		for r := rune(lo); r <= hi; r++ {
			if _, _, _, _, ok := cjk.Glyph(fixed.P(0, 0), r); ok {
				masks++
			}
		}
		base := time.Since(t0)
		baseCPU := cpuTime() - bcpu0

		s := glyphs.New(glyphs.Config{CacheBytes: 64 << 20})
		if _, err := s.Font(); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// the route's handler through the router would add logging; call the API directly
			start, err := glyphs.ParseRange(r.URL.Query().Get("r"))
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			e, _, err := s.Range(r.Context(), start)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Write(e)
		}))
		fetch := func(start int) int {
			resp, err := http.Get(fmt.Sprintf("%s/?r=%d-%d", srv.URL, start, start+255))
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("range %d: %d", start, resp.StatusCode)
			}
			return int(n)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		cpu0 := cpuTime()
		t0 = time.Now()
		var slowest time.Duration
		payload := 0
		for _, st := range ranges {
			t1 := time.Now()
			payload += fetch(st)
			slowest = max(slowest, time.Since(t1))
		}
		cold := time.Since(t0)
		coldCPU := cpuTime() - cpu0
		runtime.GC()
		runtime.ReadMemStats(&after)
		t0 = time.Now()
		for _, st := range ranges {
			fetch(st)
		}
		warm := time.Since(t0)
		srv.Close()
		n := float64(len(ranges))
		rendered, renderTime := s.Stats()
		b.ReportMetric(float64(cold.Milliseconds())/n, "ms/range-cold")
		b.ReportMetric(float64(warm.Microseconds())/n/1000, "ms/range-cached")
		b.ReportMetric(float64(s.CacheBytes())/(1<<20), "MiB-cache")
		fmt.Fprintf(os.Stderr, "glyphs: %d CJK ranges (%d glyphs), %d rendered in %v\n", len(ranges), masks, rendered, renderTime.Round(time.Millisecond))
		fmt.Fprintf(os.Stderr, "  cold (render + encode + HTTP): %.1f ms/range, slowest %.1f ms, total %v\n", float64(cold.Microseconds())/n/1000, float64(slowest.Microseconds())/1000, cold.Round(time.Millisecond))
		fmt.Fprintf(os.Stderr, "  cold CPU time (user+sys of the process): %.1f ms/range\n", float64(coldCPU.Microseconds())/n/1000)
		fmt.Fprintf(os.Stderr, "  render only: %.1f ms/range\n", float64(renderTime.Microseconds())/float64(rendered)/1000)
		fmt.Fprintf(os.Stderr, "  baseline, coverage masks only (x/image/font/opentype): %.1f ms/range wall, %.1f ms/range CPU; ratio cold/baseline %.1f× wall, %.1f× CPU\n",
			float64(base.Microseconds())/n/1000, float64(baseCPU.Microseconds())/n/1000, float64(cold)/float64(base), float64(coldCPU)/float64(baseCPU))
		fmt.Fprintf(os.Stderr, "  cached: %.2f ms/range (%.0f× faster than cold)\n", float64(warm.Microseconds())/n/1000, float64(cold)/float64(warm))
		fmt.Fprintf(os.Stderr, "  cache: %d ranges, %.1f MiB accounted (%.1f MiB payload); heap grew %.1f MiB\n", s.CachedRanges(), float64(s.CacheBytes())/(1<<20), float64(payload)/(1<<20), (float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20))
	}
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
