package geotiff

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"fangyuan/geo"
)

// testGrid returns a w×h grid of nb bands with population-like values, some
// nodata cells, and names that need escaping.
func testGrid(w, h, nb int, nodata float64) *geo.Grid {
	g := &geo.Grid{West: 119.25, North: 28.75, DX: 0.01, DY: 0.0125, Width: w, Height: h, HasNoData: true, NoData: nodata}
	names := []string{"total", "age0to17", "age60plus", "人口 & <五>", `quote "q"`}
	for b := 0; b < nb; b++ {
		d := make([]float32, w*h)
		for i := range d {
			x, y := float64(i%w), float64(i/w)
			d[i] = float32(math.Max(0, 100*math.Sin(x/7+float64(b))*math.Cos(y/5)) + float64(b)*0.25)
			if i%23 == 5 {
				d[i] = float32(nodata)
			}
		}
		g.Bands = append(g.Bands, geo.Band{Name: names[b%len(names)], Data: d})
	}
	return g
}

var writeOptionCases = []struct {
	name string
	opts WriteOptions
}{
	{"default", WriteOptions{}},
	{"none", WriteOptions{Compression: NoCompression}},
	{"pixel", WriteOptions{Interleave: InterleavePixel}},
	{"pixel-float-predictor", WriteOptions{Interleave: InterleavePixel, Predictor: PredictorFloat}},
	{"band-horizontal-predictor", WriteOptions{Predictor: PredictorHorizontal, Level: 9}},
	{"tiled", WriteOptions{TileSize: 16}},
	{"tiled-pixel-float-predictor", WriteOptions{TileSize: 32, Interleave: InterleavePixel, Predictor: PredictorFloat, Level: 1}},
	{"tiled-none-pixel", WriteOptions{TileSize: 16, Compression: NoCompression, Interleave: InterleavePixel}},
	{"strips-of-3", WriteOptions{RowsPerStrip: 3, Predictor: PredictorFloat}},
	{"one-strip", WriteOptions{RowsPerStrip: 1000}},
}

func gridsEqual(t *testing.T, got, want *geo.Grid) {
	t.Helper()
	if got.West != want.West || got.North != want.North || got.DX != want.DX || got.DY != want.DY ||
		got.Width != want.Width || got.Height != want.Height {
		t.Fatalf("georeferencing %v,%v %v×%v %d×%d, want %v,%v %v×%v %d×%d", got.West, got.North, got.DX, got.DY, got.Width, got.Height,
			want.West, want.North, want.DX, want.DY, want.Width, want.Height)
	}
	if got.HasNoData != want.HasNoData || (want.HasNoData && !sameFloat32(float32(got.NoData), float32(want.NoData))) {
		t.Errorf("nodata %v %v, want %v %v", got.HasNoData, got.NoData, want.HasNoData, want.NoData)
	}
	if len(got.Bands) != len(want.Bands) {
		t.Fatalf("%d bands, want %d", len(got.Bands), len(want.Bands))
	}
	for b := range want.Bands {
		if got.Bands[b].Name != want.Bands[b].Name {
			t.Errorf("band %d name %q, want %q", b+1, got.Bands[b].Name, want.Bands[b].Name)
		}
		for i, v := range want.Bands[b].Data {
			if !sameFloat32(got.Bands[b].Data[i], v) {
				t.Fatalf("band %d cell %d: %v, want %v", b+1, i, got.Bands[b].Data[i], v)
			}
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, tc := range writeOptionCases {
		for _, shape := range []struct{ w, h, nb int }{{37, 23, 3}, {1, 1, 1}, {64, 16, 1}, {20, 50, 5}} {
			for _, nd := range []float64{-9999, math.NaN()} {
				name := fmt.Sprintf("%s/%dx%dx%d/nodata=%v", tc.name, shape.w, shape.h, shape.nb, nd)
				t.Run(name, func(t *testing.T) {
					g := testGrid(shape.w, shape.h, shape.nb, nd)
					var buf bytes.Buffer
					if err := Write(&buf, g, tc.opts); err != nil {
						t.Fatal(err)
					}
					back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
					if err != nil {
						t.Fatal(err)
					}
					gridsEqual(t, back, g)
				})
			}
		}
	}
	// Without nodata.
	g := testGrid(10, 10, 2, 0)
	g.HasNoData = false
	var buf bytes.Buffer
	if err := Write(&buf, g, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	gridsEqual(t, back, g)
}

// Files written here, read by GDAL: no warnings, EPSG:4326, the same
// geotransform, band descriptions, nodata and every value.
func TestWriteGDALReadsIt(t *testing.T) {
	requireGDAL(t)
	for _, tc := range writeOptionCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := testGrid(37, 23, 5, -9999)
			path := filepath.Join(t.TempDir(), "w.tif")
			if err := WriteFile(path, g, tc.opts); err != nil {
				t.Fatal(err)
			}
			info, stderr := readGDALInfo(t, path)
			if strings.TrimSpace(stderr) != "" {
				t.Errorf("gdalinfo warnings:\n%s", stderr)
			}
			if !strings.Contains(info.CoordinateSystem.WKT, `ID["EPSG",4326]`) {
				t.Errorf("gdalinfo CRS is not EPSG:4326:\n%s", info.CoordinateSystem.WKT)
			}
			if got := info.Metadata[""]["AREA_OR_POINT"]; got != "Area" {
				t.Errorf("AREA_OR_POINT = %q, want Area", got)
			}
			is := info.Metadata["IMAGE_STRUCTURE"]
			wantComp := "DEFLATE"
			if tc.opts.Compression == NoCompression {
				wantComp = ""
			}
			if is["COMPRESSION"] != wantComp {
				t.Errorf("COMPRESSION = %q, want %q", is["COMPRESSION"], wantComp)
			}
			wantIL := "BAND"
			if tc.opts.Interleave == InterleavePixel {
				wantIL = "PIXEL"
			}
			if is["INTERLEAVE"] != wantIL {
				t.Errorf("INTERLEAVE = %q, want %q", is["INTERLEAVE"], wantIL)
			}
			wantPred := map[Predictor]string{PredictorNone: "", PredictorHorizontal: "2", PredictorFloat: "3"}[tc.opts.Predictor]
			if is["PREDICTOR"] != wantPred {
				t.Errorf("PREDICTOR = %q, want %q", is["PREDICTOR"], wantPred)
			}
			for _, b := range info.Bands {
				if b.Type != "Float32" {
					t.Errorf("band %d type %s", b.Band, b.Type)
				}
				if tc.opts.TileSize > 0 && (b.Block[0] != tc.opts.TileSize || b.Block[1] != tc.opts.TileSize) {
					t.Errorf("band %d block %v, want %d×%d tiles", b.Band, b.Block, tc.opts.TileSize, tc.opts.TileSize)
				}
			}
			// Compares names (descriptions), nodata, geotransform and every
			// value with GDAL's decoding and lon/lat lookups.
			checkAgainstGDAL(t, path, g, true)
			// And a GDAL round trip: GDAL rewrites the file, this package
			// reads GDAL's copy back.
			copyPath := filepath.Join(t.TempDir(), "gdal-copy.tif")
			runGDAL(t, "", "gdal_translate", "-q", "-co", "COMPRESS=LZW", "-co", "PREDICTOR=3", path, copyPath)
			back, err := ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			gridsEqual(t, back, g)
		})
	}
}

func TestWriteRejects(t *testing.T) {
	g := testGrid(10, 10, 1, -1)
	tests := []struct {
		name string
		g    *geo.Grid
		opts WriteOptions
		want string
	}{
		{"tile not multiple of 16", g, WriteOptions{TileSize: 20}, "multiple of 16"},
		{"bad level", g, WriteOptions{Level: 12}, "invalid options"},
		{"bad compression", g, WriteOptions{Compression: 7}, "unknown compression"},
		{"bad predictor", g, WriteOptions{Predictor: 9}, "unknown predictor"},
		{"invalid grid", &geo.Grid{Width: 2, Height: 2, DX: 1, DY: 1}, WriteOptions{}, "no bands"},
	}
	for _, tc := range tests {
		err := Write(&bytes.Buffer{}, tc.g, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Write error %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := Write(&bytes.Buffer{}, &geo.Grid{}, WriteOptions{}); !errors.Is(err, geo.ErrInvalidGrid) {
		t.Errorf("Write(empty grid) = %v, want geo.ErrInvalidGrid", err)
	}
}
