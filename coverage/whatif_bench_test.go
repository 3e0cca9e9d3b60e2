package coverage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// BenchmarkWhatIfProvince: one what-if edit at province scale (the
// Zhejiang-sized synthetic input of BenchmarkCoverageProvince: 6000 × 5400
// cells, 1,364 townships, 25,000 eldercare centers, 2 km). Each of 30 edits
// (fixed seed: add a planned facility, move one, close one, change beds) is
// applied with Incremental.Set and the results assembled (Result); the
// baseline is a full Run on the prepared region with the edited facility set,
// measured in the same run, whose townships, flags and gaps the incremental
// result must equal. Target: an edit ≤ 50 ms.
func BenchmarkWhatIfProvince(b *testing.B) {
	ctx := context.Background()
	d := synthesize(provinceSynth())
	d.grid.Bands[0].Name = "age60plus"
	std, _ := DefaultStandards().Kind("eldercare_center")
	t0 := time.Now()
	reg, err := PrepareRegion(ctx, d.grid, d.townships, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	prep := time.Since(t0)
	in := Input{Standard: std, Grid: d.grid, Region: reg, Facilities: d.facilities}
	t0 = time.Now()
	x, err := NewIncremental(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(t0)
	rng := rand.New(rand.NewPCG(20261202, 4))
	fs := slices.Clone(d.facilities)
	bound := frameBound(reg.Frame)
	var edits []time.Duration
	var runs, sets, cpus []time.Duration
	touched, flipped, total := 0, 0, 0
	b.ResetTimer()
	for b.Loop() {
		edits, runs, sets, cpus = edits[:0], runs[:0], sets[:0], cpus[:0]
		for k := range 30 {
			var what string
			switch k % 4 {
			case 0:
				beds := 60
				p := orb.Point{bound.Min[0] + rng.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + rng.Float64()*(bound.Max[1]-bound.Min[1])}
				fs = append(fs, Facility{ID: fmt.Sprintf("PLAN-%d", total), Location: p, Beds: &beds})
				what = "add"
			case 1:
				i := rng.IntN(len(fs))
				fs[i].Location = orb.Point{fs[i].Location[0] + 0.01, fs[i].Location[1] - 0.005}
				what = "move"
			case 2:
				fs[rng.IntN(len(fs))].Status = StatusClosed
				what = "close"
			case 3:
				beds := 120
				fs[rng.IntN(len(fs))].Beds = &beds
				what = "beds"
			}
			next := slices.Clone(fs)
			c1 := cpuTime()
			t1 := time.Now()
			if err := x.Set(ctx, next); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			got := x.Result()
			edits = append(edits, time.Since(t1))
			sets = append(sets, t2.Sub(t1))
			cpus = append(cpus, cpuTime()-c1)
			touched += x.Touched
			flipped += x.Flipped
			total++
			if k%10 == 0 || k == 29 { // the full run as baseline and check
				in.Facilities = next
				runtime.GC()
				t1 = time.Now()
				want, err := Run(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				runs = append(runs, time.Since(t1))
				b.StopTimer()
				sameResult(b, fmt.Sprintf("edit %d (%s)", k, what), x, got, want)
				want = nil
				runtime.GC() // the baseline's garbage is not the next edit's
				b.StartTimer()
			}
		}
	}
	b.StopTimer()
	slices.Sort(edits)
	slices.Sort(runs)
	slices.Sort(sets)
	slices.Sort(cpus)
	med, worst := edits[len(edits)/2], edits[len(edits)-1]
	full := runs[len(runs)/2]
	b.ReportMetric(float64(med.Microseconds())/1e3, "edit-median-ms")
	b.ReportMetric(float64(worst.Microseconds())/1e3, "edit-max-ms")
	b.ReportMetric(full.Seconds()*1e3, "full-run-ms")
	b.ReportMetric(full.Seconds()/med.Seconds(), "speedup")
	b.ReportMetric(float64(cpus[len(cpus)/2].Microseconds())/1e3, "edit-cpu-median-ms")
	b.Logf("input: %d×%d grid, %d townships, %d facilities, radius %g m; prepare region %v, incremental state %v, GOMAXPROCS %d",
		d.grid.Width, d.grid.Height, len(d.townships), len(d.facilities), std.RadiusM, prep.Round(time.Millisecond), setup.Round(time.Millisecond), runtime.GOMAXPROCS(0))
	b.Logf("what-if edit (Set + Result) over %d edits: median %v, max %v; full Run on the prepared region (baseline, median of %d): %v; %.0f× faster; cells visited per edit %d, flipped %d; every checked result equal to the full run",
		len(edits), med.Round(time.Microsecond), worst.Round(time.Microsecond), len(runs), full.Round(time.Millisecond), full.Seconds()/med.Seconds(), touched/total, flipped/total)
	b.Logf("of which Set (the cells) median %v; process CPU time per edit (all threads, GC included) median %v, max %v; load average at the end %s",
		sets[len(sets)/2].Round(time.Microsecond), cpus[len(cpus)/2].Round(time.Microsecond), cpus[len(cpus)-1].Round(time.Microsecond), loadAvg())
	b.Logf("target: an edit ≤ 50 ms: %v (max %v)", worst <= 50*time.Millisecond, worst.Round(time.Microsecond))
}

// cpuTime is the process's CPU time so far (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the machine's 1-minute load average (/proc/loadavg), "?" when unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
