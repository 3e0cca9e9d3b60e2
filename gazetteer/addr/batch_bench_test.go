package addr_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fangyuan/gazetteer/addr"
	"fangyuan/internal/api"
)

// BenchmarkBatchGeocode: POST /api/geocode/batch with 100,000 CSV rows (the demo facilities'
// street addresses, cycled, 1 % rows without an address) over loopback TCP, through the
// service's router with request logs off, client in the same process on the same cores. The
// time runs from the first byte sent to the last answer line read; every answer is counted.
//
// Baselines measured in the same run:
//   - in-process: the same 100,000 rows through addr.Geocode, no HTTP, one goroutine and
//     GOMAXPROCS goroutines (the batch handler computes with GOMAXPROCS workers), run after
//     each batch so that both see the same load;
//   - per-row GET /api/geocode for the first 5,000 rows, 8 keep-alive connections.
func BenchmarkBatchGeocode(b *testing.B) {
	_, st := demo(b)
	in := geocodeInput(b, batchRows)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})), nil, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	client := srv.Client()

	// The addresses, as the handler reads them from the CSV.
	addrs := make([]string, 0, batchRows)
	for _, line := range strings.Split(strings.TrimSuffix(string(in.csv), "\n"), "\n")[1:] {
		addrs = append(addrs, line[strings.LastIndexByte(line, ',')+1:])
	}
	if len(addrs) != batchRows {
		b.Fatalf("%d addresses", len(addrs))
	}

	// Baseline 1, interleaved with the batches (the shared machine's load drifts): the same
	// rows in-process, one goroutine, then GOMAXPROCS goroutines.
	workers := runtime.GOMAXPROCS(0)
	var seq, par time.Duration
	inProcess := func() {
		t0 := time.Now()
		for _, a := range addrs {
			if a != "" {
				addr.Geocode(st.Search, st.Locate, a, today)
			}
		}
		seq += time.Since(t0)
		t0 = time.Now()
		var wg sync.WaitGroup
		for k := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := k; i < len(addrs); i += workers {
					if addrs[i] != "" {
						addr.Geocode(st.Search, st.Locate, addrs[i], today)
					}
				}
			}()
		}
		wg.Wait()
		par += time.Since(t0)
	}

	// Peak heap while batches run, above the heap before (which holds the indexes and the
	// request body): sampled every 5 ms.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc
	var peak uint64
	var sampling atomic.Bool // only while a batch runs
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if sampling.Load() {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}()

	b.ResetTimer()
	var batch time.Duration
	for range b.N {
		runtime.GC()
		sampling.Store(true)
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/geocode/batch", bytes.NewReader(in.csv))
		req.Header.Set("Content-Type", "text/csv")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, ok := 0, 0
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			n++
			if bytes.Contains(sc.Bytes(), []byte(`"status":"ok"`)) {
				ok++
			}
		}
		resp.Body.Close()
		batch += time.Since(t0)
		sampling.Store(false)
		if resp.StatusCode != 200 || n != batchRows || sc.Err() != nil {
			b.Fatalf("HTTP %d, %d lines, %v", resp.StatusCode, n, sc.Err())
		}
		if ok < batchRows*9/10 {
			b.Fatalf("only %d of %d rows ok", ok, n)
		}
		inProcess()
	}
	b.StopTimer()
	close(stop)
	<-sampled
	peakMB := float64(peak-min(peak, heap0)) / (1 << 20)
	batchRate := float64(batchRows*b.N) / batch.Seconds()
	seqRate := float64(batchRows*b.N) / seq.Seconds()
	parRate := float64(batchRows*b.N) / par.Seconds()

	// Baseline 2: one GET /api/geocode per row, first 5,000 rows, 8 connections.
	const single, conns = 5000, 8
	urls := make([]string, 0, single)
	for _, a := range addrs[:single] {
		if a != "" {
			urls = append(urls, srv.URL+"/api/geocode?q="+url.QueryEscape(a))
		}
	}
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	gets := &http.Client{Transport: tr}
	var failed sync.Map
	var wg sync.WaitGroup
	t0 := time.Now()
	for k := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < len(urls); i += conns {
				resp, err := gets.Get(urls[i])
				if err != nil {
					failed.Store(i, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Store(i, resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	getRate := float64(len(urls)) / time.Since(t0).Seconds()
	failed.Range(func(k, v any) bool { b.Fatalf("GET %s: %v", urls[k.(int)], v); return false })

	b.ReportMetric(batchRate, "batch_rows/s")
	b.ReportMetric(peakMB, "peak_heap_MB")
	b.ReportMetric(seqRate, "inproc_1g_rows/s")
	b.ReportMetric(parRate, "inproc_par_rows/s")
	b.ReportMetric(getRate, "get_rows/s")
	b.ReportMetric(batchRate/parRate, "batch/inproc_par")
	b.ReportMetric(batchRate/getRate, "batch/get")
	b.Log(fmt.Sprintf("%d rows (%.1f MB CSV) x %d: batch over HTTP %.0f rows/s (%.2f s per batch); in-process addr.Geocode one goroutine %.0f rows/s, %d goroutines %.0f rows/s; "+
		"GET /api/geocode per row (%d rows, %d connections) %.0f rows/s; batch/in-process(1) %.2f, batch/in-process(%d) %.2f, batch/GET %.2f; peak heap during batches %.0f MB above the %.0f MB before",
		batchRows, float64(len(in.csv))/1e6, b.N, batchRate, batch.Seconds()/float64(b.N), seqRate, workers, parRate, len(urls), conns, getRate,
		batchRate/seqRate, workers, batchRate/parRate, batchRate/getRate, peakMB, float64(heap0)/(1<<20)))
}
