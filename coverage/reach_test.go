package coverage

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// TestDistSlackBound checks the error bound of the mid-latitude distance that
// Straight uses to classify cells: over latitudes 0–85° and distances up to
// MaxRadius it must stay below half of distSlack.
func TestDistSlackBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	worst := 0.0
	for i := range 40000 {
		lat0 := rng.Float64() * 85
		if i%2 == 1 {
			lat0 = -lat0
		}
		d := MaxRadius * math.Pow(rng.Float64(), 3)
		p0 := orb.Point{100 + rng.Float64(), lat0}
		p := geo.Destination(p0, rng.Float64()*360, d)
		exact := geo.Distance(p0, p)
		mx, my := geo.MetresPerDegree((lat0 + p[1]) / 2)
		approx := math.Hypot((p[0]-p0[0])*mx, (p[1]-lat0)*my)
		err := math.Abs(approx - exact)
		if err > distSlack(exact, lat0)/2 {
			t.Fatalf("at %v, %v m: mid-latitude distance off by %v m, more than half the slack %v m", p0, exact, err, distSlack(exact, lat0))
		}
		worst = max(worst, err/distSlack(exact, lat0))
	}
	t.Logf("worst error / slack = %.3f", worst)
}

// bruteReach is the definition: every cell against every source with geo.Distance.
func bruteReach(f Frame, sources []orb.Point, radius float64, weight []float32) ([]int32, []float64) {
	nearest := make([]int32, f.Len())
	catch := make([]float64, len(sources))
	for r := range f.H {
		for c := range f.W {
			i := r*f.W + c
			nearest[i] = -1
			best := math.Inf(1)
			for k, s := range sources {
				d := geo.Distance(s, f.Center(c, r))
				if d <= radius {
					catch[k] += float64(weight[i])
					if d < best {
						best, nearest[i] = d, int32(k)
					}
				}
			}
		}
	}
	return nearest, catch
}

func TestStraightMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name     string
		f        Frame
		radius   float64
		nsources int
	}{
		{"3 arc-seconds, 1 km", Frame{West: 119.6, North: 28.45, DX: 1.0 / 1200, DY: 1.0 / 1200, Col0: 10, Row0: 20, W: 90, H: 70}, 1000, 12},
		{"3 arc-seconds, 2 km", Frame{West: 119.6, North: 28.45, DX: 1.0 / 1200, DY: 1.0 / 1200, W: 120, H: 100}, 2000, 8},
		{"30 arc-seconds, 50 km", Frame{West: 119, North: 29, DX: 1.0 / 120, DY: 1.0 / 120, W: 150, H: 130}, 50000, 4},
		{"northern, coarse, 15 km", Frame{West: 126, North: 53.5, DX: 0.01, DY: 0.01, W: 120, H: 90}, 15000, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			var sources []orb.Point
			for range tt.nsources {
				// Some sources off the frame: they still reach cells on it.
				sources = append(sources, orb.Point{
					f.West + (float64(f.Col0)-10+rng.Float64()*float64(f.W+20))*f.DX,
					f.North - (float64(f.Row0)-10+rng.Float64()*float64(f.H+20))*f.DY,
				})
			}
			// A source exactly on a cell centre and one exactly radius from a centre.
			c := f.Center(f.W/2, f.H/2)
			sources = append(sources, c, geo.Destination(f.Center(f.W/3, f.H/3), 75, tt.radius))
			weight := make([]float32, f.Len())
			for i := range weight {
				weight[i] = float32(rng.IntN(100))
			}
			got, err := Straight{Radius: tt.radius}.Reach(context.Background(), ReachRequest{Frame: f, Sources: sources, Weight: weight, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			wantNearest, wantCatch := bruteReach(f, sources, tt.radius, weight)
			reached := 0
			for i := range wantNearest {
				if got.Nearest[i] != wantNearest[i] {
					t.Fatalf("cell %d (%v): nearest %d, want %d", i, f.Center(i%f.W, i/f.W), got.Nearest[i], wantNearest[i])
				}
				if k := wantNearest[i]; k >= 0 {
					reached++
					d := geo.Distance(sources[k], f.Center(i%f.W, i/f.W))
					if math.Abs(float64(got.Cost[i])-d) > distSlack(d, sources[k][1])+1e-7*d { // approximate inside the slack
						t.Errorf("cell %d: cost %v, want %v", i, got.Cost[i], d)
					}
				} else if !math.IsInf(float64(got.Cost[i]), 1) {
					t.Errorf("cell %d: unreached but cost %v", i, got.Cost[i])
				}
			}
			for k := range wantCatch {
				if math.Abs(got.Catchment[k]-wantCatch[k]) > 1e-6 {
					t.Errorf("source %d: catchment %v, want %v", k, got.Catchment[k], wantCatch[k])
				}
			}
			if reached == 0 {
				t.Error("nothing reached: the test does not test")
			}
		})
	}
}

func TestStraightBadRadius(t *testing.T) {
	for _, r := range []float64{0, -5, MaxRadius + 1, math.NaN()} {
		if _, err := (Straight{Radius: r}).Reach(context.Background(), ReachRequest{Frame: unitFrame}); err == nil {
			t.Errorf("radius %v: no error", r)
		}
	}
}
