package rows

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkRead100k: Read of 100,000 CSV rows (id, a 45-byte Chinese address) keeping what
// the geocoding batch keeps of each row; reports rows/s and the heap the kept rows hold
// after a GC (the memory a batch holds between reading and answering), against the body size.
func BenchmarkRead100k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,address\n")
	for i := 1; i <= MaxRows; i++ {
		fmt.Fprintf(&sb, "%d,方圆县（虚构）鹤鸣街道解放街%d号\n", i, i%500)
	}
	body := sb.String()
	type item struct{ id, text, err string }
	var kept []item
	var before, after runtime.MemStats
	b.ResetTimer()
	for range b.N {
		kept = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		var err error
		kept, err = Read(httptest.NewRecorder(), req, nil, func(r Row) item { return item{id: r.Get("id"), text: r.Get("address")} })
		if err != nil || len(kept) != MaxRows {
			b.Fatal(len(kept), err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.StopTimer()
	b.ReportMetric(float64(MaxRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "kept_MB")
	b.ReportMetric(float64(len(body))/(1<<20), "body_MB")
	runtime.KeepAlive(kept)
}
