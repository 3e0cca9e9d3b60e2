package geo

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in   string
		want CRS
		err  bool
	}{
		{"wgs84", WGS84, false},
		{"WGS84", WGS84, false},
		{"WGS-84", WGS84, false},
		{"EPSG:4326", WGS84, false},
		{"epsg:4326", WGS84, false},
		{" cgcs2000 ", CGCS2000, false},
		{"CGCS2000", CGCS2000, false},
		{"EPSG:4490", CGCS2000, false},
		{"gcj02", GCJ02, false},
		{"GCJ-02", GCJ02, false},
		{"bd09", BD09, false},
		{"BD09", BD09, false},
		{"bd09ll", BD09, false},
		{"", 0, true},
		{"mars", 0, true},
		{"EPSG:3857", 0, true},
		{"bd09mc", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseCRS(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseCRS(%q) = %v, want error", tc.in, got)
				continue
			}
			for _, valid := range []string{"wgs84", "cgcs2000", "gcj02", "bd09", "EPSG:4326", "EPSG:4490"} {
				if !strings.Contains(err.Error(), valid) {
					t.Errorf("ParseCRS(%q) error %q does not list %s", tc.in, err, valid)
				}
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseCRS(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseCRS(got.String()); err != nil || back != got {
			t.Errorf("ParseCRS(%v.String()) = %v, %v", got, back, err)
		}
	}
}

// Published reference points. Distances are checked on the ellipsoid (m).
//
// [eviltransform]: test vectors of github.com/googollee/eviltransform
// (go/transform_test.go, python/test.py, javascript/test.js: the same
// WGS84/GCJ-02 pairs for Shanghai, Shenzhen and Beijing, given to ~1e-14°).
// Its TESTS_bd (BD-09 → WGS84) vectors are not used: they were produced by an
// old version that wrote sin(y·π) where Baidu's formula has sin(y·π·3000/180),
// and are 10–40 m off the formula every other implementation uses.
//
// [coordtransform]: github.com/wandergis/coordtransform test/app.js, the
// results printed for the input (116.404, 39.915) under each conversion. Its
// bd09togcj02 is Baidu's one-step approximate inverse (5 cm from the exact
// inverse here) and its gcj02towgs84 the one-step approximation
// gcj − Δ(gcj) (6 cm here, up to a few metres elsewhere).
//
// [aliyun]: Alibaba Cloud address purification API documentation,
// "坐标系转换 TransferCoord" response example,
// https://help.aliyun.com/zh/address-purification/addrpapi/developer-reference/coordinate-system-conversion
// — GCJ02 120.026268,30.279164 ↔ BD09 120.032768,30.285238 ↔ WGS84/CGCS2000
// 120.021519,30.281543, rounded to 1e-6° (≤ 0.08 m). Its WGS84 value is the
// one-step approximation gcj − Δ(gcj) too (checked below: 4 cm from it), which
// is 1.7 m from the exact inverse at that spot.
var crsRefs = []struct {
	name     string
	src      string
	from, to CRS
	in, want orb.Point
	tol      float64 // metres
}{
	{"shanghai wgs→gcj", "eviltransform", WGS84, GCJ02, orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}, 0.001},
	{"shenzhen wgs→gcj", "eviltransform", WGS84, GCJ02, orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}, 0.001},
	{"beijing wgs→gcj", "eviltransform", WGS84, GCJ02, orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}, 0.001},
	{"shanghai gcj→wgs", "eviltransform", GCJ02, WGS84, orb.Point{121.531541859215, 31.17530398364597}, orb.Point{121.5272106, 31.1774276}, 0.001},
	{"shenzhen gcj→wgs", "eviltransform", GCJ02, WGS84, orb.Point{113.9171764808363, 22.540796131694766}, orb.Point{113.912316, 22.543847}, 0.001},
	{"beijing gcj→wgs", "eviltransform", GCJ02, WGS84, orb.Point{116.38404722455657, 39.91334545536069}, orb.Point{116.377817, 39.911954}, 0.001},
	{"tiananmen wgs→gcj", "coordtransform", WGS84, GCJ02, orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}, 0.001},
	{"tiananmen gcj→bd", "coordtransform", GCJ02, BD09, orb.Point{116.404, 39.915}, orb.Point{116.41036949371029, 39.92133699351021}, 0.001},
	{"tiananmen bd→gcj (source approximate)", "coordtransform", BD09, GCJ02, orb.Point{116.404, 39.915}, orb.Point{116.39762729119315, 39.90865673957631}, 0.1},
	{"tiananmen gcj→wgs (source approximate)", "coordtransform", GCJ02, WGS84, orb.Point{116.404, 39.915}, orb.Point{116.39775550083061, 39.91359571849836}, 0.1},
	{"hangzhou gcj→bd", "aliyun", GCJ02, BD09, orb.Point{120.026268, 30.279164}, orb.Point{120.032768, 30.285238}, 0.1},
	{"hangzhou bd→gcj", "aliyun", BD09, GCJ02, orb.Point{120.032768, 30.285238}, orb.Point{120.026268, 30.279164}, 0.1},
}

func convert(p orb.Point, from, to CRS) orb.Point { return to.FromWGS84(from.ToWGS84(p)) }

func TestCRSReferencePoints(t *testing.T) {
	for _, tc := range crsRefs {
		t.Run(tc.name, func(t *testing.T) {
			var got orb.Point
			switch {
			case tc.from == WGS84 && tc.to == GCJ02:
				got = WGS84ToGCJ02(tc.in)
			case tc.from == GCJ02 && tc.to == WGS84:
				got = GCJ02ToWGS84(tc.in)
			case tc.from == GCJ02 && tc.to == BD09:
				got = GCJ02ToBD09(tc.in)
			case tc.from == BD09 && tc.to == GCJ02:
				got = BD09ToGCJ02(tc.in)
			default:
				t.Fatalf("no direct function for %v→%v", tc.from, tc.to)
			}
			if d := Distance(got, tc.want); d > tc.tol {
				t.Errorf("[%s] %v→%v %v = %.9f,%.9f, want %v: %.3f m off (tolerance %.3f m)", tc.src, tc.from, tc.to, tc.in, got[0], got[1], tc.want, d, tc.tol)
			}
			if via := convert(tc.in, tc.from, tc.to); via != got && Distance(via, got) > 1e-6 {
				t.Errorf("CRS methods disagree with direct functions: %v vs %v", via, got)
			}
		})
	}

	// [aliyun] WGS84: the source's one-step approximation, reproduced from
	// its own GCJ-02 input, and the exact inverse within a few metres of it.
	gcj, wgs := orb.Point{120.026268, 30.279164}, orb.Point{120.021519, 30.281543}
	dlon, dlat := gcjDelta(gcj[0], gcj[1])
	if d := Distance(orb.Point{gcj[0] - dlon, gcj[1] - dlat}, wgs); d > 0.1 {
		t.Errorf("[aliyun] one-step gcj→wgs is %.3f m from the documented WGS84 value", d)
	}
	exact := GCJ02ToWGS84(gcj)
	if d := Distance(exact, wgs); d > 2.5 {
		t.Errorf("[aliyun] exact gcj→wgs %v is %.3f m from the documented (approximate) WGS84 value", exact, d)
	}
	if d := Distance(WGS84ToGCJ02(exact), gcj); d > 1e-4 {
		t.Errorf("exact inverse does not reproduce the GCJ-02 input: %.6f m", d)
	}
	if d := Distance(BD09ToWGS84(orb.Point{120.032768, 30.285238}), exact); d > 0.1 {
		t.Errorf("[aliyun] bd→wgs is %.3f m from gcj→wgs", d)
	}
}

// Over a grid of points across China (and some random ones), every
// conversion round-trips to well under a centimetre.
func TestCRSRoundTripChina(t *testing.T) {
	var pts []orb.Point
	for lon := 73.5; lon <= 135; lon += 0.5 {
		for lat := 3.5; lat <= 53.5; lat += 0.5 {
			pts = append(pts, orb.Point{lon, lat})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		pts = append(pts, orb.Point{73 + 63*r.Float64(), 3 + 51*r.Float64()})
	}
	var maxGCJ, maxBD, maxBDG float64
	for _, p := range pts {
		g := WGS84ToGCJ02(p)
		if d := Distance(p, g); d < 1 || d > 1500 {
			t.Fatalf("GCJ-02 offset at %v is %.1f m: not a plausible GCJ-02 shift", p, d)
		}
		maxGCJ = math.Max(maxGCJ, Distance(GCJ02ToWGS84(g), p))
		maxBD = math.Max(maxBD, Distance(BD09ToWGS84(WGS84ToBD09(p)), p))
		maxBDG = math.Max(maxBDG, Distance(BD09ToGCJ02(GCJ02ToBD09(p)), p))
		for _, c := range []CRS{WGS84, CGCS2000, GCJ02, BD09} {
			if d := Distance(c.ToWGS84(c.FromWGS84(p)), p); d > 0.01 {
				t.Fatalf("%v round trip at %v: %.4f m", c, p, d)
			}
		}
	}
	t.Logf("%d points: max round-trip error wgs→gcj→wgs %.2e m, wgs→bd→wgs %.2e m, gcj→bd→gcj %.2e m", len(pts), maxGCJ, maxBD, maxBDG)
	for name, e := range map[string]float64{"wgs→gcj→wgs": maxGCJ, "wgs→bd→wgs": maxBD, "gcj→bd→gcj": maxBDG} {
		if e > 0.01 {
			t.Errorf("%s max round-trip error %.4f m, want < 1 cm", name, e)
		}
	}
}

func TestOutOfChina(t *testing.T) {
	tests := []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{120.15, 30.28}, false}, // Hangzhou
		{orb.Point{87.6, 43.8}, false},    // Urumqi
		{orb.Point{110.3, 20.0}, false},   // Haikou
		{orb.Point{2.35, 48.85}, true},    // Paris
		{orb.Point{-74, 40.7}, true},      // New York
		{orb.Point{140, 35.7}, true},      // Tokyo (east of the rectangle)
		{orb.Point{120, 0.5}, true},       // south of it
		{orb.Point{100, 56}, true},        // north of it
	}
	for _, tc := range tests {
		if got := OutOfChina(tc.p); got != tc.want {
			t.Errorf("OutOfChina(%v) = %v, want %v", tc.p, got, tc.want)
		}
		if tc.want {
			for name, f := range map[string]func(orb.Point) orb.Point{
				"WGS84ToGCJ02": WGS84ToGCJ02, "GCJ02ToWGS84": GCJ02ToWGS84, "GCJ02ToBD09": GCJ02ToBD09,
				"BD09ToGCJ02": BD09ToGCJ02, "WGS84ToBD09": WGS84ToBD09, "BD09ToWGS84": BD09ToWGS84,
			} {
				if got := f(tc.p); got != tc.p {
					t.Errorf("%s(%v) = %v, want unchanged outside China", name, tc.p, got)
				}
			}
		}
	}
	for _, c := range []CRS{WGS84, CGCS2000} {
		p := orb.Point{120.15, 30.28}
		if c.ToWGS84(p) != p || c.FromWGS84(p) != p {
			t.Errorf("%v is not the identity", c)
		}
	}
}
