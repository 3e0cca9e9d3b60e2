package glyphs

import "math"

// SDF parameters, the conventions of MapLibre's glyphs (and of TinySDF, which MapLibre
// uses for glyphs it draws itself): a 24 px em, a 3 px border around each glyph, distances
// up to Radius pixels encoded, and the outline at 255·(1−Cutoff).
const (
	EmPixels = 24
	Buffer   = 3
	Radius   = 8.0
	Cutoff   = 0.25
)

// inf stands for "no such pixel in the image"; large enough that no real squared distance
// reaches it, small enough that sums of it stay finite.
const inf = 1e20

// edt1D computes in d the squared Euclidean distance transform of the sampled function f
// of length n: d[q] = min over p of (q−p)² + f[p], by the lower envelope of the parabolas
// rooted at each p (Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled
// Functions", 2012). v holds the roots of the envelope's parabolas, z the boundaries
// between them; both are scratch of length n and n+1.
func edt1D(f, d []float64, v []int, z []float64, n int) {
	k := 0
	v[0] = 0
	z[0], z[1] = -inf, inf
	for q := 1; q < n; q++ {
		fq := f[q] + float64(q*q)
		// where q's parabola crosses that of the envelope's last root; z[0] = −inf ends the loop
		s := (fq - f[v[k]] - float64(v[k]*v[k])) / float64(2*(q-v[k]))
		for s <= z[k] {
			k--
			s = (fq - f[v[k]] - float64(v[k]*v[k])) / float64(2*(q-v[k]))
		}
		k++
		v[k] = q
		z[k] = s
		z[k+1] = inf
	}
	k = 0
	for q := 0; q < n; q++ {
		for z[k+1] < float64(q) {
			k++
		}
		dq := float64(q - v[k])
		d[q] = dq*dq + f[v[k]]
	}
}

// edt2D replaces grid (w×h, row-major) by its 2-D squared distance transform: the 1-D
// transform along every column, then along every row (the squared distance separates).
func edt2D(grid []float64, w, h int, s *scratch) {
	s.grow(max(w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			s.f[y] = grid[y*w+x]
		}
		edt1D(s.f, s.d, s.v, s.z, h)
		for y := 0; y < h; y++ {
			grid[y*w+x] = s.d[y]
		}
	}
	for y := 0; y < h; y++ {
		row := grid[y*w : (y+1)*w]
		copy(s.f, row)
		edt1D(s.f, s.d, s.v, s.z, w)
		copy(row, s.d[:w])
	}
}

type scratch struct {
	f, d, z      []float64
	v            []int
	outer, inner []float64
}

func (s *scratch) grow(n int) {
	if len(s.f) < n {
		s.f, s.d, s.z, s.v = make([]float64, n), make([]float64, n), make([]float64, n+1), make([]int, n)
	}
}

// sdf turns a coverage image (alpha 0–255, w×h) into the signed distance field MapLibre
// reads: 255 − 255·(d/Radius + Cutoff), clamped to a byte, where d is the distance in
// pixels from the pixel's centre to the outline, negative inside. A partly covered pixel
// counts as lying 0.5 − coverage pixels outside the outline (the TinySDF estimate).
func sdf(alpha []byte, w, h int, s *scratch) []byte {
	n := w * h
	if cap(s.outer) < n {
		s.outer, s.inner = make([]float64, n), make([]float64, n)
	}
	outer, inner := s.outer[:n], s.inner[:n]
	for i, a := range alpha {
		switch a {
		case 255:
			outer[i], inner[i] = 0, inf
		case 0:
			outer[i], inner[i] = inf, 0
		default:
			d := 0.5 - float64(a)/255
			outer[i], inner[i] = max(d, 0)*max(d, 0), min(d, 0)*min(d, 0)
		}
	}
	edt2D(outer, w, h, s)
	edt2D(inner, w, h, s)
	out := make([]byte, n)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/Radius+Cutoff))
		out[i] = byte(min(max(v, 0), 255))
	}
	return out
}
