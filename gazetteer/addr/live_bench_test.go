package addr_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fangyuan/gazetteer/addr"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// heapSampler records the peak heap in use (HeapAlloc: live data and garbage not yet
// collected, an upper bound) while it runs.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak atomic.Uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() float64 {
	close(h.stop)
	h.done.Wait()
	return float64(h.peak.Load()) / (1 << 20)
}

// BenchmarkLiveNational: edit-to-searchable latency of the live index at national size
// (the 2023 division table, 665 k units, and 1.6 M house numbers on 20,000 roads, all in
// PostGIS), against the full rebuild measured in the same run. 100 edits of five kinds,
// each committed alone: a house number added, one retired, a place name added, a village
// renamed, a road renamed. The latency runs from the commit's return to the moment the
// edit answers (or, for a retirement, stops answering) on the Service's current State;
// the service is woken by NOTIFY only (polling off). Heap: after GC with the state built,
// the peak during the full rebuild and during the 100 updates, and after GC at the end.
func BenchmarkLiveNational(b *testing.B) {
	dir, err := testenv.DivisionDir()
	if err != nil {
		b.Fatal(err)
	}
	pool := dbtest.Pool(b)
	ctx := dbtest.CLI()
	t0 := time.Now()
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
		b.Fatal(err)
	}
	// 20,000 roads named after villages (X路 in X's township), 80 numbers each.
	if _, err := pool.Exec(ctx, `
WITH v AS (SELECT code, parent_code, name, row_number() OVER (ORDER BY code) AS n FROM admin_unit WHERE level = 5 AND valid_to IS NULL)
INSERT INTO road (name, admin_code, geom, source)
SELECT regexp_replace(name, '(村民委员会|居民委员会|村委会|居委会)$', '') || '路', parent_code,
  ST_SetSRID(ST_MakeLine(ST_MakePoint(100 + (n % 1000) / 1000.0, 30 + (n / 1000) / 1000.0),
                         ST_MakePoint(100.0008 + (n % 1000) / 1000.0, 30 + (n / 1000) / 1000.0)), 4326), 'bench'
FROM v WHERE n % 31 = 0 ORDER BY n LIMIT 20000
ON CONFLICT DO NOTHING`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
INSERT INTO house_number (road_id, number, admin_code, geom, valid_from)
SELECT r.id, k, r.admin_code, ST_LineInterpolatePoint(r.geom, k / 81.0), '2020-01-01'
FROM road r, generate_series(1, 80) k WHERE r.source = 'bench'`); err != nil {
		b.Fatal(err)
	}
	var nRoads, nHouses int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM road), (SELECT count(*) FROM house_number)`).Scan(&nRoads, &nHouses); err != nil {
		b.Fatal(err)
	}
	b.Logf("national divisions imported, %d roads and %d house numbers inserted in %v", nRoads, nHouses, time.Since(t0).Round(time.Second))

	// What the change-log triggers cost a bulk statement: 100,000 place names inserted
	// with the triggers and with them disabled (session_replication_role = replica).
	bulk := func(disable bool) time.Duration {
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if disable {
			if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
				b.Logf("triggers cannot be disabled here (%v): no baseline for the bulk insert", err)
				return 0
			}
		}
		t := time.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO place_name (category, name) SELECT '213', '批量' || g FROM generate_series(1, 100000) g`); err != nil {
			b.Fatal(err)
		}
		return time.Since(t)
	}
	withTrig, without := bulk(false), bulk(true)
	withTrig2, without2 := bulk(false), bulk(true)

	heap0 := heapMB()
	t0 = time.Now()
	svc, err := addr.NewService(context.Background(), pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	firstBuild := time.Since(t0)
	steady := heapMB() - heap0
	writeHeapProfile(b)
	units, _, houses, _ := svc.Current().Data.Counts()
	_ = units
	_ = houses

	// The baseline: a full rebuild (what every change did before), with its heap peak.
	hs := sampleHeap()
	a0 := totalAlloc()
	t0 = time.Now()
	if err := svc.Reload(context.Background()); err != nil {
		b.Fatal(err)
	}
	rebuild := time.Since(t0)
	rebuildAlloc := totalAlloc() - a0
	rebuildPeak := hs.Stop() - heap0
	afterRebuild := heapMB() - heap0

	// Fixtures for the edits, from the tables (a fixed seed picks them).
	type road struct {
		id   int64
		name string
	}
	var roads []road
	rows, err := pool.Query(ctx, `SELECT id, name FROM road WHERE source = 'bench' ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var r road
		if err := rows.Scan(&r.id, &r.name); err != nil {
			b.Fatal(err)
		}
		roads = append(roads, r)
	}
	rows.Close()
	var villages []string
	rows, err = pool.Query(ctx, `SELECT code FROM admin_unit WHERE level = 5 AND valid_to IS NULL ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			b.Fatal(err)
		}
		villages = append(villages, c)
	}
	rows.Close()
	rng := rand.New(rand.NewPCG(14, 9))
	rng.Shuffle(len(roads), func(i, j int) { roads[i], roads[j] = roads[j], roads[i] })
	rng.Shuffle(len(villages), func(i, j int) { villages[i], villages[j] = villages[j], villages[i] })

	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc.Poll = time.Hour // NOTIFY only
	go svc.Watch(wctx)
	time.Sleep(500 * time.Millisecond) // let LISTEN start

	const edits = 100
	kinds := []string{"house number added", "house number retired", "place name added", "village renamed", "road renamed"}
	lat := map[string][]time.Duration{}
	var all []time.Duration
	var applyMS []float64
	beforeUpdates := heapMB() - heap0
	b.ResetTimer()
	hs = sampleHeap()
	a0 = totalAlloc()
	for i := 0; i < edits; i++ {
		kind := kinds[i%len(kinds)]
		var (
			q       string
			typ     string
			want    string
			id      int64 // for house numbers: the row (road names repeat across townships)
			present = true
			sql     string
			args    []any
		)
		r := roads[i]
		switch i % len(kinds) {
		case 0:
			sql = `INSERT INTO house_number (road_id, number, admin_code, geom, valid_from)
SELECT id, 81, admin_code, ST_EndPoint(geom), '2020-01-01' FROM road WHERE id = $1 RETURNING id`
			args = []any{r.id}
			q, typ, want = r.name+"81号", "address", r.name+"81号"
		case 1:
			sql = `UPDATE house_number SET status = 'retired', retired_on = valid_from, valid_to = valid_from WHERE road_id = $1 AND number = 40 RETURNING id`
			args = []any{r.id}
			q, typ, want, present = r.name+"40号", "address", r.name+"40号", false
		case 2:
			want = fmt.Sprintf("实时测试%03d园", i)
			sql = `INSERT INTO place_name (category, name, admin_code, geom) SELECT '213', $1, admin_code, ST_StartPoint(geom) FROM road WHERE id = $2`
			args = []any{want, r.id}
			q, typ = want, "place"
		case 3:
			want = fmt.Sprintf("实时改名%03d村委会", i)
			sql = `UPDATE admin_unit SET name = $1, version = version + 1 WHERE code = $2 AND valid_to IS NULL`
			args = []any{want, villages[i]}
			q, typ = want, "division"
		case 4:
			want = fmt.Sprintf("实时改名%03d路", i)
			sql = `UPDATE road SET name = $1 WHERE id = $2`
			args = []any{want, r.id}
			q, typ = want, "road"
		}
		if typ == "address" {
			if err := pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
				b.Fatal(err)
			}
		} else if _, err := pool.Exec(ctx, sql, args...); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		visible := func() bool {
			hs := hits(svc.Current(), q)
			if id != 0 {
				return hasID(hs, typ, id)
			}
			return hasHit(hs, typ, want)
		}
		for visible() != present {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("edit %d (%s): %q not visible after 30 s", i, kind, q)
			}
			time.Sleep(time.Millisecond)
		}
		d := time.Since(start)
		lat[kind] = append(lat[kind], d)
		all = append(all, d)
		applyMS = append(applyMS, svc.Current().UpdateMS)
	}
	b.StopTimer()
	updatesAlloc := totalAlloc() - a0 // the updates, and the test's own searches
	updatePeak := hs.Stop() - heap0
	cancel()
	st := svc.Current()
	if st.Data.Updated() == 0 {
		b.Fatal("the edits were not applied in place")
	}
	after := heapMB() - heap0
	pct := func(ds []time.Duration, f float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[int(f*float64(len(s)-1)+0.5)]
	}
	slices.Sort(applyMS)
	b.ReportMetric(float64(pct(all, 0.5).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(pct(all, 0.99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(rebuild.Seconds()*1000, "rebuild_ms")
	b.ReportMetric(steady, "steady_MB")
	b.ReportMetric(updatePeak, "update_peak_MB")
	b.ReportMetric(rebuildPeak, "rebuild_peak_MB")
	var per []string
	for _, k := range kinds {
		per = append(per, fmt.Sprintf("%s p50 %v max %v", k, pct(lat[k], 0.5).Round(time.Millisecond), pct(lat[k], 1).Round(time.Millisecond)))
	}
	b.Logf("commit → searchable over %d edits: p50 %v, p99 %v, max %v (update itself p50 %.1f ms, p99 %.1f ms); %v",
		edits, pct(all, 0.5).Round(time.Microsecond), pct(all, 0.99).Round(time.Microsecond), pct(all, 1).Round(time.Microsecond),
		applyMS[len(applyMS)/2], applyMS[int(0.99*float64(len(applyMS)-1)+0.5)], per)
	b.Logf("baseline full rebuild (Reload): %v = %.0f× the p50 latency; first build %v", rebuild.Round(time.Millisecond),
		float64(rebuild)/float64(pct(all, 0.5)), firstBuild.Round(time.Millisecond))
	b.Logf("heap MB (state only; live after GC / peak HeapAlloc incl. garbage): steady %.0f; rebuild peak %.0f, after it %.0f; before the updates %.0f, peak during them %.0f, after them %.0f",
		steady, rebuildPeak, afterRebuild, beforeUpdates, updatePeak, after)
	b.Logf("allocated MB: full rebuild %.0f; %d updates + the test's polling searches %.0f (%.1f per edit); bulk insert of 100k rows with change-log triggers %v, %v, without %v, %v",
		rebuildAlloc, edits, updatesAlloc, updatesAlloc/edits, withTrig.Round(time.Millisecond), withTrig2.Round(time.Millisecond), without.Round(time.Millisecond), without2.Round(time.Millisecond))
	runtime.KeepAlive(st)
}

// writeHeapProfile writes a heap profile (after GC) of the built state to the file named
// by FANGYUAN_HEAPPROFILE, when set (go tool pprof -sample_index=inuse_space).
func writeHeapProfile(b *testing.B) {
	p := os.Getenv("FANGYUAN_HEAPPROFILE")
	if p == "" {
		return
	}
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

func totalAlloc() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.TotalAlloc) / (1 << 20)
}
