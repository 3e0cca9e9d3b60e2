package locate_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"fangyuan/gazetteer/locate"
	"fangyuan/internal/api"
)

// BenchmarkHTTPReverse: GET /api/reverse over loopback TCP through the service's router
// (request id, recovery, logging middleware), driven by a keep-alive load generator in the
// same process (it shares the 2 cores with the server). "quiet" has request logs at a level
// that is off; "logged" writes every request line as the server does (Info, through the
// buffered writer, into a file). Reports requests per second and latency percentiles.
func BenchmarkHTTPReverse(b *testing.B) {
	_, ix := demo(b)
	b.Run("quiet", func(b *testing.B) {
		benchHTTPReverse(b, ix, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))
	})
	b.Run("logged", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		w := api.NewBufferedWriter(f, 200*time.Millisecond)
		defer w.Close()
		benchHTTPReverse(b, ix, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
	})
}

func benchHTTPReverse(b *testing.B, ix *locate.Index, log *slog.Logger) {
	rt := api.NewRouter(log, nil, nil)
	rt.Handle(locate.Routes(func() *locate.Index { return ix })...)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	pts := benchPoints(4096)
	urls := make([]string, len(pts))
	for i, p := range pts {
		urls[i] = fmt.Sprintf("%s/api/reverse?lon=%.6f&lat=%.6f", srv.URL, p[0], p[1])
	}
	const workers = 32
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	dur := 3 * time.Second
	b.ResetTimer()
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs int
	)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var local []time.Duration
			bad := 0
			for i := w; time.Since(start) < dur; i += workers {
				t0 := time.Now()
				resp, err := client.Get(urls[i%len(urls)])
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad++
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			errs += bad
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if errs > 0 {
		b.Fatalf("%d failed requests", errs)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p := func(f float64) float64 { return float64(lats[int(f*float64(len(lats)-1))].Microseconds()) / 1000 }
	rps := float64(len(lats)) / elapsed.Seconds()
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(p(0.5), "p50_ms")
	b.ReportMetric(p(0.99), "p99_ms")
	b.Logf("%d requests in %v with %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms", len(lats), elapsed.Round(time.Millisecond), workers, rps, p(0.5), p(0.99), p(1))
}
