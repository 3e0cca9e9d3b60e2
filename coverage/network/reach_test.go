package network

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/importers/parse"
)

// Hand-computed network on the equator, where a degree of longitude is
// a·π/180 = 111319.49 m (a = 6378137 m) and one of latitude 110574.27 m
// (the meridian radius of curvature a(1−e²) at the equator, per degree):
//
//	mainland road  0.00 → 0.02  residential
//	ferry          0.02 → 0.04  route=ferry, duration 10 min (+20 min wait)
//	island A road  0.04 → 0.05  footway
//	island B road  0.08 → 0.09  footway (no ferry)
const (
	degLon = 6378137 * math.Pi / 180
	degLat = 110574.2727
)

func way(id int64, hw string, nodes []int64, lons []float64, tags ...string) parse.OSMWay {
	w := parse.OSMWay{ID: id, Highway: hw, Nodes: nodes, Foot: true, Motor: true}
	for _, x := range lons {
		w.Points = append(w.Points, orb.Point{x, 0})
	}
	return w
}

func handNetwork(t *testing.T) *Graph {
	ferry := way(2, "", []int64{2, 3}, []float64{0.02, 0.04})
	ferry.Ferry, ferry.DurationS = true, 600
	nw, err := FromOSM([]parse.OSMWay{
		way(1, "residential", []int64{1, 10, 2}, []float64{0, 0.01, 0.02}),
		ferry,
		way(3, "footway", []int64{3, 4}, []float64{0.04, 0.05}),
		way(4, "footway", []int64{5, 6}, []float64{0.08, 0.09}),
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(nw, Profile{Name: "walk", Walk: true, WalkKmh: 4, FerryKmh: 15, FerryWaitMin: 20, MaxAccessM: 200})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Cells of 0.001°, centres on the grid lines: row 2 on the equator, column c at longitude c·0.001.
var handFrame = coverage.Frame{West: -0.0005, North: 0.0025, DX: 0.001, DY: 0.001, W: 100, H: 5}

// expected travel time (s) from a facility at (lon0, 0) to the cell centre at
// (lon, lat), by hand: each walks straight to the nearest point of a road (at
// most 200 m, flat metric: degLon, degLat per degree), then along the roads at
// 4 km/h, the ferry taking 600 s + 1200 s wait.
func handCost(lon0, lon, lat float64) float64 {
	v := 4 / 3.6
	pieces := [][2]float64{{0, 0.02}, {0.04, 0.05}, {0.08, 0.09}}
	onRoad := func(x, y float64) (piece int, at, walk float64) {
		for i, p := range pieces {
			at := min(max(x, p[0]), p[1])
			w := math.Hypot((x-at)*degLon, y*degLat)
			if w <= 200 {
				return i, at, w
			}
		}
		return -1, 0, 0
	}
	p0, a, w0 := onRoad(lon0, 0)
	p1, b, w1 := onRoad(lon, lat)
	switch {
	case p0 < 0 || p1 < 0:
		return math.Inf(1)
	case p0 == p1:
		return (w0+w1)/v + math.Abs(b-a)*degLon/v
	case p0+p1 == 1: // mainland and island A, through the ferry
		if p0 == 1 {
			a, b = b, a
		}
		return (w0+w1)/v + (0.02-a)*degLon/v + 1800 + (b-0.04)*degLon/v
	}
	return math.Inf(1) // island B has no ferry
}

func TestTravelReachByHand(t *testing.T) {
	g := handNetwork(t)
	sources := []orb.Point{{0, 0}, {0.045, 0}}
	weight := make([]float32, handFrame.Len())
	for i := range weight {
		weight[i] = float32(1 + i%3)
	}
	minutes := 60.0
	got, err := Travel{Graph: g, Minutes: minutes}.Reach(context.Background(), coverage.ReachRequest{Frame: handFrame, Sources: sources, Weight: weight, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.Unit != "s" {
		t.Errorf("unit %q", got.Unit)
	}
	limit := minutes * 60
	catch := make([]float64, len(sources))
	reached := map[int]int{}
	for r := range handFrame.H {
		for c := range handFrame.W {
			i := r*handFrame.W + c
			lon, lat := float64(c)*0.001, float64(2-r)*0.001
			best, bi := math.Inf(1), -1
			for si, s := range sources {
				x := handCost(s[0], lon, lat)
				if x <= limit {
					catch[si] += float64(weight[i])
				}
				if x < best {
					best, bi = x, si
				}
			}
			if best > limit {
				best, bi = math.Inf(1), -1
			}
			if int(got.Nearest[i]) != bi || (bi >= 0 && math.Abs(float64(got.Cost[i])-best) > 0.05) {
				t.Errorf("cell (%d, %d) at %.3f,%.3f: got source %d in %.2f s, want %d in %.2f s", c, r, lon, lat, got.Nearest[i], got.Cost[i], bi, best)
			}
			reached[bi]++
		}
	}
	for si := range sources {
		if math.Abs(got.Catchment[si]-catch[si]) > 1e-9 {
			t.Errorf("catchment of source %d: got %v, want %v", si, got.Catchment[si], catch[si])
		}
	}
	// The test must exercise all cases: both sources nearest somewhere, and
	// unreached cells (island B, far rows).
	if reached[0] == 0 || reached[1] == 0 || reached[-1] == 0 {
		t.Errorf("reached per source: %v", reached)
	}
	// Island B (0.08–0.09) has no ferry: never reached.
	for c := 80; c <= 90; c++ {
		if got.Nearest[2*handFrame.W+c] != -1 {
			t.Errorf("island B cell %d reached", c)
		}
	}
}

// The ferry's crossing: a facility on the mainland reaches island A only after
// the walk, the 10-minute crossing and the 20-minute wait.
func TestFerryTimeAndWait(t *testing.T) {
	g := handNetwork(t)
	for _, tt := range []struct {
		minutes float64
		want    bool
	}{{70, false}, {75, true}} {
		got, err := Travel{Graph: g, Minutes: tt.minutes}.Reach(context.Background(), coverage.ReachRequest{Frame: handFrame, Sources: []orb.Point{{0, 0}}})
		if err != nil {
			t.Fatal(err)
		}
		// island A, lon 0.045: 0.02·degLon/v + 1800 + 0.005·degLon/v = 4362 s ≈ 72.7 min
		// (without the 20-minute wait it would be 52.7 min, within 70)
		i := 2*handFrame.W + 45
		if (got.Nearest[i] == 0) != tt.want {
			t.Errorf("%v min: island cell reached %v, want %v (cost %v)", tt.minutes, got.Nearest[i] == 0, tt.want, got.Cost[i])
		}
	}
}

// The travel-time raster opens in GDAL with the frame's georeferencing, and
// gdallocationinfo reads the hand-computed minutes at a few points.
func TestMinutesGeoTIFF(t *testing.T) {
	for _, tool := range []string{"gdalinfo", "gdallocationinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (gdal-bin): %v", tool, err)
		}
	}
	g := handNetwork(t)
	got, err := Travel{Graph: g, Minutes: 90}.Reach(context.Background(), coverage.ReachRequest{Frame: handFrame, Sources: []orb.Point{{0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "minutes.tif")
	if err := WriteMinutes(path, handFrame, got); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("gdalinfo", "-json", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Size         []int
		GeoTransform []float64
		Bands        []struct {
			Type        string
			NoDataValue float64
			Description string
		}
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	wantGT := []float64{-0.0005, 0.001, 0, 0.0025, 0, -0.001}
	if !slices.Equal(info.Size, []int{100, 5}) || len(info.GeoTransform) != 6 || len(info.Bands) != 1 ||
		info.Bands[0].Type != "Float32" || info.Bands[0].NoDataValue != MinutesNoData {
		t.Fatalf("gdalinfo: %+v", info)
	}
	for i := range wantGT {
		if math.Abs(info.GeoTransform[i]-wantGT[i]) > 1e-12 {
			t.Fatalf("geotransform %v, want %v", info.GeoTransform, wantGT)
		}
	}
	for _, p := range []struct{ lon, lat float64 }{{0, 0}, {0.01, 0}, {0.015, 0.001}, {0.045, 0}, {0.05, -0.001}, {0.085, 0}, {0.03, 0}, {0.01, 0.002}} {
		cmd := exec.Command("gdallocationinfo", "-valonly", "-wgs84", path, fmt.Sprint(p.lon), fmt.Sprint(p.lat))
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			t.Fatal(err)
		}
		want := handCost(0, p.lon, p.lat) / 60
		if want > 90 || math.IsInf(want, 1) {
			want = MinutesNoData
		}
		if math.Abs(v-want) > 1e-3 {
			t.Errorf("at %v,%v: gdallocationinfo %v min, want %v", p.lon, p.lat, v, want)
		}
	}
}
