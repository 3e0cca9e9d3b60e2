package divchange_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// BenchmarkYearlyUpdateNational times the yearly update at national size: the 2023 table
// (665 k units) in the database, the synthetic next year of nextYear (its changes are in
// Zhejiang, the rest of the country is unchanged but compared). Baseline: re-importing the
// 2023 table with the plain division import (read, stage by COPY, classify against the
// current units in PostGIS, every row unchanged), measured in the same run.
//
//	go test -run '^$' -bench YearlyUpdateNational -benchtime 1x -timeout 30m -v ./gazetteer/divchange/
func BenchmarkYearlyUpdateNational(b *testing.B) {
	pool := dbtest.Pool(b)
	ctx := dbtest.CLI()
	src := testenv.DivisionData(b)
	start := time.Now()
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, src, importers.DivisionOptions{ValidFrom: y2023}); err != nil {
		b.Fatal(err)
	}
	b.Logf("first load of the national table: %.1f s", time.Since(start).Seconds())
	w := readWorld(b, src)
	same := b.TempDir()
	w.write(b, same)
	tr, _ := nextYear(b, w)
	next := b.TempDir()
	w.write(b, next)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		base, err := importers.Divisions(ctx, pool, importers.HostFS{}, src, importers.DivisionOptions{ValidFrom: y2023})
		if err != nil || base.Inserted+base.Updated != 0 {
			b.Fatalf("baseline re-import: %v %v", base, err)
		}
		baseline := time.Since(t0)
		// the generator's unchanged copy of the national table: no change anywhere
		t0 = time.Now()
		empty, err := update(ctx, pool, same, y2024, true)
		if err != nil || !empty.Empty() {
			b.Fatalf("unchanged national table: %v %d changes", err, len(empty.Changes))
		}
		unchanged := time.Since(t0)
		b.StartTimer()
		t0 = time.Now()
		dry, err := importers.DivisionChanges(ctx, pool, importers.HostFS{}, next, importers.DivisionChangeOptions{
			DivisionOptions: importers.DivisionOptions{ValidFrom: y2024, Options: importers.Options{Log: stamped{}}}, DryRun: true})
		if err != nil {
			b.Fatal(err)
		}
		dryRun := time.Since(t0)
		if len(dry.Changes) != len(tr.rows) {
			b.Fatalf("dry run: %d rows, want %d", len(dry.Changes), len(tr.rows))
		}
		t0 = time.Now()
		applied, err := importers.DivisionChanges(ctx, pool, importers.HostFS{}, next, importers.DivisionChangeOptions{
			DivisionOptions: importers.DivisionOptions{ValidFrom: y2024, Options: importers.Options{Log: stamped{}}}})
		if err != nil {
			b.Fatal(err)
		}
		apply := time.Since(t0)
		b.StopTimer()
		b.Logf("national: %d report rows; baseline re-import (unchanged) %.2f s; dry run of an unchanged table %.2f s (%.2f× baseline); "+
			"dry run %.2f s (%.2f× baseline); apply %.2f s (%.2f× baseline)",
			len(applied.Changes), baseline.Seconds(), unchanged.Seconds(), unchanged.Seconds()/baseline.Seconds(),
			dryRun.Seconds(), dryRun.Seconds()/baseline.Seconds(), apply.Seconds(), apply.Seconds()/baseline.Seconds())
		b.ReportMetric(dryRun.Seconds(), "dryrun-s")
		b.ReportMetric(apply.Seconds(), "apply-s")
		b.ReportMetric(baseline.Seconds(), "baseline-s")
		if i+1 < b.N {
			b.Fatal("run with -benchtime 1x: the update can be applied once")
		}
	}
}

// stamped writes the phases of an update with the wall time, for the benchmark log.
type stamped struct{}

func (stamped) Write(p []byte) (int, error) {
	fmt.Fprintf(os.Stderr, "%s %s", time.Now().UTC().Format("15:04:05.000"), p)
	return len(p), nil
}
