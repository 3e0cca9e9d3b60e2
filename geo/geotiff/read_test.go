package geotiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"fangyuan/geo"
)

// writeWith writes testGrid(w, h, nb) with a hook editing the tags.
func writeWith(t testing.TB, w, h, nb int, opts WriteOptions, hook func(*tagSet)) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, testGrid(w, h, nb, -9999), opts, hook); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readBytes(b []byte) error {
	_, err := Read(bytes.NewReader(b), int64(len(b)))
	return err
}

func geoKeyHook(keys []uint16, ascii string) func(*tagSet) {
	return func(t *tagSet) {
		dir := append([]uint16{1, 1, 0, uint16(len(keys) / 4)}, keys...)
		t.shorts(tagGeoKeyDirectory, dir)
		if ascii == "" {
			delete(t.m, tagGeoASCIIParams)
		} else {
			t.ascii(tagGeoASCIIParams, ascii)
		}
	}
}

func TestReadEdgeCases(t *testing.T) {
	base := testGrid(37, 23, 2, -9999)
	tests := []struct {
		name  string
		opts  WriteOptions
		hook  func(*tagSet)
		check func(t *testing.T, err error, g *geo.Grid)
	}{
		{"model transformation north-up", WriteOptions{}, func(ts *tagSet) {
			delete(ts.m, tagModelPixelScale)
			delete(ts.m, tagModelTiepoint)
			ts.doubles(tagModelTransformation, []float64{base.DX, 0, 0, base.West, 0, -base.DY, 0, base.North, 0, 0, 0, 0, 0, 0, 0, 1})
		}, wantCorner(base.West, base.North)},
		{"model transformation rotated", WriteOptions{}, func(ts *tagSet) {
			delete(ts.m, tagModelPixelScale)
			delete(ts.m, tagModelTiepoint)
			ts.doubles(tagModelTransformation, []float64{base.DX, 0.001, 0, base.West, 0.001, -base.DY, 0, base.North, 0, 0, 0, 0, 0, 0, 0, 1})
		}, wantErr(ErrUnsupported, "rotated or sheared grid")},
		{"tiepoint not at origin", WriteOptions{}, func(ts *tagSet) {
			ts.doubles(tagModelTiepoint, []float64{10, 4, 0, base.West + 10*base.DX, base.North - 4*base.DY, 0})
		}, wantCorner(base.West, base.North)},
		{"pixel is point", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 4326}, ""),
			wantCorner(base.West-base.DX/2, base.North+base.DY/2)},
		{"old deflate code 32946", WriteOptions{Predictor: PredictorFloat}, func(ts *tagSet) {
			ts.shorts(tagCompression, []uint16{compDeflateOld})
		}, wantCorner(base.West, base.North)},
		{"ground control points", WriteOptions{}, func(ts *tagSet) {
			delete(ts.m, tagModelPixelScale)
			ts.doubles(tagModelTiepoint, []float64{0, 0, 0, 119, 29, 0, 36, 0, 0, 119.4, 29, 0, 0, 22, 0, 119, 28.7, 0})
		}, wantErr(ErrUnsupported, "3 ground control points")},
		{"not georeferenced", WriteOptions{}, func(ts *tagSet) {
			delete(ts.m, tagModelPixelScale)
			delete(ts.m, tagModelTiepoint)
		}, wantErr(ErrUnsupported, "not georeferenced")},
		{"no geokeys", WriteOptions{}, func(ts *tagSet) {
			delete(ts.m, tagGeoKeyDirectory)
		}, wantErr(ErrUnsupported, "no coordinate system")},
		{"user-defined WGS84 datum", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2048, 0, 1, 32767, 2050, 0, 1, 6326}, ""),
			wantCorner(base.West, base.North)},
		{"user-defined CGCS2000 datum", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2048, 0, 1, 32767, 2050, 0, 1, 1043}, ""),
			wantCorner(base.West, base.North)},
		{"WGS 84 citation only", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2049, 34737, 7, 0}, "WGS 84|"),
			wantCorner(base.West, base.North)},
		{"user-defined Krasovsky datum", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2048, 0, 1, 32767, 2050, 0, 1, 6214}, ""),
			wantErr(ErrUnsupported, "is not WGS84 or CGCS2000")},
		{"projected model", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 1, 3072, 0, 1, 32650}, ""),
			wantErr(ErrUnsupported, "projected coordinate system EPSG:32650: population grids must be EPSG:4326 lon/lat; reproject first: gdalwarp -t_srs EPSG:4326 in.tif out.tif")},
		{"geographic with stray linear units", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2048, 0, 1, 4326, 3076, 0, 1, 9001}, ""),
			wantCorner(base.West, base.North)},
		{"user-defined model with projection keys", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 32767, 2048, 0, 1, 4326, 3076, 0, 1, 9001}, ""),
			wantErr(ErrUnsupported, "reproject first")},
		{"grads", WriteOptions{}, geoKeyHook([]uint16{1024, 0, 1, 2, 2048, 0, 1, 4326, 2054, 0, 1, 9105}, ""),
			wantErr(ErrUnsupported, "not degrees")},
		{"unknown compression", WriteOptions{}, func(ts *tagSet) {
			ts.shorts(tagCompression, []uint16{compJPEG})
		}, wantErr(ErrUnsupported, "compression JPEG: convert with gdal_translate -co COMPRESS=DEFLATE in.tif out.tif")},
		{"float predictor on integers", WriteOptions{Predictor: PredictorFloat}, func(ts *tagSet) {
			ts.shorts(tagSampleFormat, []uint16{sfUint, sfUint})
		}, wantErr(ErrFormat, "floating-point predictor on integer samples")},
		{"mixed sample formats", WriteOptions{}, func(ts *tagSet) {
			ts.shorts(tagSampleFormat, []uint16{sfFloat, sfInt})
		}, wantErr(ErrUnsupported, "SampleFormat differs between bands")},
		{"strip count mismatch", WriteOptions{RowsPerStrip: 5}, func(ts *tagSet) {
			ts.long(tagRowsPerStrip, 4)
		}, wantErr(ErrFormat, "strip offsets")},
		{"bad nodata", WriteOptions{}, func(ts *tagSet) {
			ts.ascii(tagGDALNoData, "none")
		}, wantErr(ErrFormat, `GDAL_NODATA "none"`)},
		{"duplicate band names", WriteOptions{}, func(ts *tagSet) {
			ts.ascii(tagGDALMetadata, `<GDALMetadata><Item name="DESCRIPTION" sample="0" role="description">x</Item><Item name="DESCRIPTION" sample="1" role="description">x</Item></GDALMetadata>`)
		}, wantNames("x", "band2")},
		{"broken metadata xml", WriteOptions{}, func(ts *tagSet) {
			ts.ascii(tagGDALMetadata, `<GDALMetadata><Item name=`)
		}, wantNames("band1", "band2")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := writeWith(t, 37, 23, 2, tc.opts, tc.hook)
			g, err := Read(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				for bi := range base.Bands {
					for i, v := range base.Bands[bi].Data {
						if !sameFloat32(g.Bands[bi].Data[i], v) {
							t.Fatalf("band %d cell %d: %v, want %v", bi+1, i, g.Bands[bi].Data[i], v)
						}
					}
				}
			}
			tc.check(t, err, g)
		})
	}
}

func wantCorner(west, north float64) func(*testing.T, error, *geo.Grid) {
	return func(t *testing.T, err error, g *geo.Grid) {
		t.Helper()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if math.Abs(g.West-west) > 1e-12 || math.Abs(g.North-north) > 1e-12 {
			t.Errorf("corner %v,%v, want %v,%v", g.West, g.North, west, north)
		}
	}
}

func wantErr(is error, text string) func(*testing.T, error, *geo.Grid) {
	return func(t *testing.T, err error, _ *geo.Grid) {
		t.Helper()
		if err == nil || !errors.Is(err, is) || !strings.Contains(err.Error(), text) {
			t.Errorf("Read error %v, want %v containing %q", err, is, text)
		}
	}
}

func wantNames(names ...string) func(*testing.T, error, *geo.Grid) {
	return func(t *testing.T, err error, g *geo.Grid) {
		t.Helper()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		for i, n := range names {
			if g.Bands[i].Name != n {
				t.Errorf("band %d named %q, want %q", i+1, g.Bands[i].Name, n)
			}
		}
	}
}

// Truncated files fail with ErrFormat, at every length.
func TestReadTruncated(t *testing.T) {
	for _, opts := range []WriteOptions{{}, {TileSize: 16, Interleave: InterleavePixel, Predictor: PredictorFloat}, {Compression: NoCompression}} {
		b := writeWith(t, 37, 23, 2, opts, nil)
		for n := 0; n < len(b); n++ {
			if n > 600 && n%37 != 0 && n < len(b)-64 {
				continue // every byte of the header and IFD, then a sample
			}
			err := readBytes(b[:n])
			if err == nil {
				t.Fatalf("%+v: file truncated to %d of %d bytes read without error", opts, n, len(b))
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%+v: truncated to %d bytes: %v is not ErrFormat", opts, n, err)
			}
		}
	}
	if err := readBytes([]byte("GIF89a.....")); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "not a TIFF file") {
		t.Errorf("GIF: %v", err)
	}
}

// Random corruption never panics (the fuzz target explores further).
func TestReadCorrupt(t *testing.T) {
	seeds := fuzzSeeds(t)
	r := rand.New(rand.NewPCG(7, 8))
	for k := 0; k < 3000; k++ {
		b := append([]byte(nil), seeds[k%len(seeds)]...)
		for j := 0; j < 1+r.IntN(4); j++ {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		_ = readBytes(b) // must not panic
	}
}

func TestUnpackBits(t *testing.T) {
	// The example of Apple Technical Note TN1023.
	src := []byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA}
	want := []byte{0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
		0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}
	dst := make([]byte, len(want))
	if err := unpackBits(dst, src); err != nil || !bytes.Equal(dst, want) {
		t.Errorf("unpackBits = %x, %v; want %x", dst, err, want)
	}
	if err := unpackBits(make([]byte, 30), src); !errors.Is(err, ErrFormat) {
		t.Errorf("short input: %v", err)
	}
}

func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08},
		{0x3555, 0.33325195}, {0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range tests {
		if got := halfToFloat32(tc.h); got != tc.want {
			t.Errorf("halfToFloat32(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if v := halfToFloat32(0x7e00); v == v {
		t.Errorf("halfToFloat32(NaN) = %v", v)
	}
}

// Predictor round trips on random rows, both byte orders and strides.
func TestPredictorsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, stride := range []int{1, 2, 3} {
		row := make([]byte, 4*stride*29)
		for i := range row {
			row[i] = byte(r.IntN(256))
		}
		tmp := make([]byte, len(row))
		got := append([]byte(nil), row...)
		floatDiff(got, tmp, 4, stride)
		floatAcc(got, tmp, 4, stride, binary.LittleEndian)
		if !bytes.Equal(got, row) {
			t.Errorf("float predictor stride %d does not round-trip", stride)
		}
		got = append(got[:0], row...)
		horizontalDiff32(got, stride)
		horizontalAcc(got, 4, stride, binary.LittleEndian)
		if !bytes.Equal(got, row) {
			t.Errorf("horizontal predictor stride %d does not round-trip", stride)
		}
	}
}
