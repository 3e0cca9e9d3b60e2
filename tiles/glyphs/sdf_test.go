package glyphs

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteEDT is the squared distance transform by definition: for every pixel, the least
// (dx² + dy² + f) over all pixels.
func bruteEDT(f []float64, w, h int) []float64 {
	out := make([]float64, len(f))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			best := math.Inf(1)
			for qy := 0; qy < h; qy++ {
				for qx := 0; qx < w; qx++ {
					dx, dy := float64(x-qx), float64(y-qy)
					best = min(best, dx*dx+dy*dy+f[qy*w+qx])
				}
			}
			out[y*w+x] = best
		}
	}
	return out
}

func TestEDTMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11)) // fixed seed
	var s scratch
	for trial := 0; trial < 60; trial++ {
		w, h := 1+rng.IntN(23), 1+rng.IntN(23)
		grid := make([]float64, w*h)
		for i := range grid {
			switch rng.IntN(4) {
			case 0:
				grid[i] = 0
			case 1:
				grid[i] = rng.Float64() * 0.25 // a partly covered pixel's offset²
			default:
				grid[i] = inf
			}
		}
		if trial == 0 { // a single seed pixel in the corner
			for i := range grid {
				grid[i] = inf
			}
			grid[0] = 0
		}
		want := bruteEDT(grid, w, h)
		got := append([]float64(nil), grid...)
		edt2D(got, w, h, &s)
		for i := range got {
			if want[i] >= inf/2 && got[i] >= inf/2 {
				continue // no seed in the grid at all
			}
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("trial %d (%d×%d) pixel (%d,%d): %g, brute force %g", trial, w, h, i%w, i/w, got[i], want[i])
			}
		}
	}
}

func TestSDFValues(t *testing.T) {
	// A 9×9 image with a filled 3×3 square in the middle: centre pixel 2 px from the
	// nearest uncovered pixel centre (inside), corner pixel (0,0) at distance √(3²+3²)
	// from the square's corner pixel (outside).
	const w = 9
	alpha := make([]byte, w*w)
	for y := 3; y < 6; y++ {
		for x := 3; x < 6; x++ {
			alpha[y*w+x] = 255
		}
	}
	var s scratch
	out := sdf(alpha, w, w, &s)
	val := func(d float64) byte { return byte(math.Max(0, math.Min(255, math.Round(255-255*(d/Radius+Cutoff))))) }
	// inside: the centre's nearest outside pixel is 2 away; outside pixels next to the
	// square are 1 from it.
	for _, c := range []struct {
		x, y int
		d    float64
	}{{4, 4, -2}, {3, 3, -1}, {2, 4, 1}, {0, 0, math.Sqrt(18)}, {8, 4, 3}} {
		if got, want := out[c.y*w+c.x], val(c.d); got != want {
			t.Errorf("pixel (%d,%d): %d, want %d (distance %.3f)", c.x, c.y, got, want, c.d)
		}
	}
}
