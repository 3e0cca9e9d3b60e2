package addr_test

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

// withSyntheticAddresses returns a copy of d with n synthetic house numbers on n/80 synthetic
// roads named after villages (X路 in X's township), numbered 1–80: the size of one
// prefecture's address database (1.6 M). They exist only in memory.
func withSyntheticAddresses(d *snapshot.Data, n int) *snapshot.Data {
	out := *d
	out.Roads = append([]snapshot.Road(nil), d.Roads...)
	out.RoadByID = map[int64]int32{}
	for i, r := range out.Roads {
		out.RoadByID[r.ID] = int32(i)
	}
	out.Houses = append([]snapshot.House(nil), d.Houses...)
	roads := n / 80
	id := int64(1 << 40)
	for i := 0; i < len(d.Units) && roads > 0; i += 7 {
		u := &d.Units[i]
		if u.Level != 5 || u.To != snapshot.Forever {
			continue
		}
		roads--
		id++
		base := shortest(u.Name)
		line := orb.LineString{{100 + float64(i%1000)/1000, 30 + float64(i/1000)/1000}, {100.001 + float64(i%1000)/1000, 30 + float64(i/1000)/1000}}
		out.RoadByID[id] = int32(len(out.Roads))
		out.Roads = append(out.Roads, snapshot.Road{ID: id, Name: base + "路", AdminCode: u.Parent, Line: line, Draft: ""})
		for k := 1; k <= 80; k++ {
			out.Houses = append(out.Houses, snapshot.House{ID: id<<8 | int64(k), RoadID: id, Number: k, AdminCode: u.Parent,
				Point: line[0], From: 0, To: snapshot.Forever})
		}
	}
	return &out
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// searchQueries is a mix of what people type: names without suffix, 1–2 character
// prefixes, full pinyin, initials, typos, multi-level text and address prefixes.
func searchQueries(d *snapshot.Data, n int) []string {
	rng := rand.New(rand.NewPCG(5, 6))
	var qs []string
	han := []rune("东南西北中上下新大小")
	for len(qs) < n {
		u := &d.Units[rng.IntN(len(d.Units))]
		rs := []rune(shortest(u.Name))
		switch len(qs) % 8 {
		case 0:
			qs = append(qs, string(rs))
		case 1:
			qs = append(qs, string(rs[:1]))
		case 2:
			qs = append(qs, string(rs[:min(2, len(rs))]))
		case 3:
			qs = append(qs, strings.ReplaceAll(u.Draft, " ", ""))
		case 4:
			qs = append(qs, u.Initials)
		case 5:
			if len(rs) >= 3 {
				rs[1] = han[rng.IntN(len(han))]
			}
			qs = append(qs, string(rs))
		case 6:
			if p := d.At(u.Parent, snapshot.Forever-1); p >= 0 {
				qs = append(qs, shortest(d.Units[p].Name)+string(rs))
			}
		case 7:
			qs = append(qs, string(rs)+"路"+strconv.Itoa(1+rng.IntN(80)))
		}
	}
	return qs
}

// BenchmarkSearchNational: search latency (p50/p99/max) over the national division table
// (665k units, every version) plus 1.6 M synthetic addresses, the build time and the
// memory the indexes take.
func BenchmarkSearchNational(b *testing.B) {
	_, st, _ := national(b)
	stateMB := heapMB() // the national snapshot, its search and reverse indexes (and little else)
	d := withSyntheticAddresses(st.Data, 1_600_000)
	before := heapMB()
	start := time.Now()
	ix := search.New(d)
	build := time.Since(start)
	after := heapMB()
	day := nationalDay
	qs := searchQueries(d, 4000)
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N*len(qs))
	for i := 0; i < b.N; i++ {
		for _, q := range qs {
			t0 := time.Now()
			_ = addr.Search(ix, search.Query{Text: q, Day: day, Limit: 10})
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50_ms")
	b.ReportMetric(p(0.99), "p99_ms")
	b.ReportMetric(p(1), "max_ms")
	b.ReportMetric(after-before, "index_MB")
	b.ReportMetric(build.Seconds(), "build_s")
	st2 := ix.Stats()
	b.Logf("%d units + %d addresses: %d entries, %d keys; built in %v, %.0f MB; %d queries p50 %.2f ms p99 %.2f ms max %.2f ms",
		len(d.Units), len(d.Houses), st2.Entries, st2.Keys, build.Round(time.Millisecond), after-before, len(lat), p(0.5), p(0.99), p(1))
	b.ReportMetric(stateMB, "national_state_MB")
	b.Logf("process heap with the national snapshot + search + reverse indexes (no synthetic addresses): %.0f MB", stateMB)
	runtime.KeepAlive(ix)
}

// BenchmarkParseNational: address parsing latency against the national dictionary over
// the accuracy corpus (each run parses every item once).
func BenchmarkParseNational(b *testing.B) {
	_, st, _ := national(b)
	day := nationalDay
	items := buildCorpus(st.Data, nil, day)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, it := range items {
			t0 := time.Now()
			_ = addr.Parse(st.Search, it.query, day)
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50_ms")
	b.ReportMetric(p(0.99), "p99_ms")
	b.Logf("%d parses: p50 %.3f ms p99 %.3f ms max %.3f ms", len(lat), p(0.5), p(0.99), p(1))
}
