package geotiff

import (
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleType is a GDAL data type a fixture's source raster is written in.
type sampleType struct {
	gdal string // VRT dataType
	size int
	put  func(b []byte, v float64)
	// value returns the sample value of cell i of band b.
	value func(b, i int) float64
}

var sampleTypes = map[string]sampleType{
	"Byte": {"Byte", 1, func(b []byte, v float64) { b[0] = byte(v) },
		func(b, i int) float64 { return float64((i*7 + b*31) % 255) }},
	"Int8": {"Byte", 1, func(b []byte, v float64) { b[0] = byte(int8(v)) },
		func(b, i int) float64 { return float64((i*7+b*31)%255 - 127) }},
	"UInt16": {"UInt16", 2, func(b []byte, v float64) { binary.LittleEndian.PutUint16(b, uint16(v)) },
		func(b, i int) float64 { return float64((i*977 + b*4099) % 65535) }},
	"Int16": {"Int16", 2, func(b []byte, v float64) { binary.LittleEndian.PutUint16(b, uint16(int16(v))) },
		func(b, i int) float64 { return float64((i*977+b*4099)%65535 - 32767) }},
	"UInt32": {"UInt32", 4, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, uint32(v)) },
		func(b, i int) float64 { return float64((uint64(i)*2654435761 + uint64(b)*12345) % 4294967295) }},
	"Int32": {"Int32", 4, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, uint32(int32(v))) },
		func(b, i int) float64 {
			return float64(int64((uint64(i)*2654435761+uint64(b)*12345)%4294967295) - 2147483647)
		}},
	"Float32": {"Float32", 4, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v))) },
		func(b, i int) float64 { return float64(float32(float64(i-300)*1.37 + float64(b)*1000.25)) }},
	"Float64": {"Float64", 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) },
		func(b, i int) float64 {
			if i == 7 {
				return 1e39 // beyond float32: clamps to MaxFloat32, as GDAL does
			}
			return float64(i-300)*1.3700000001 + float64(b)*1e6 + 1e-9*float64(i)
		}},
}

var fixtureNames = []string{"total", "age0to17", "age60plus", "人口 & <more>"}

// fixture describes a GeoTIFF produced by gdal_translate from raw samples.
type fixture struct {
	name   string
	typ    string
	bands  int
	w, h   int
	co     []string // creation options
	extra  []string // other gdal_translate arguments
	srs    string   // default EPSG:4326
	gt     string   // default "119.0, 0.01, 0, 29.5, 0, -0.0125"
	nodata string   // "" for none
	names  bool     // give the bands descriptions
	sparse bool     // make the first 16×16 block nodata (for SPARSE_OK)
	// gdalBug: GDAL 3.6 cannot read back what it wrote (big-endian files
	// with the floating-point predictor decode to other values in GDAL too),
	// so only agreement with GDAL's decoding is checked.
	gdalBug bool
}

// make writes the fixture's raw bands and VRT, runs gdal_translate, and
// returns the GeoTIFF's path and the expected values (as float32).
func (f fixture) make(t *testing.T) (string, [][]float32) {
	t.Helper()
	dir := t.TempDir()
	st := sampleTypes[f.typ]
	srs := f.srs
	if srs == "" {
		srs = "EPSG:4326"
	}
	gt := f.gt
	if gt == "" {
		gt = "119.0, 0.01, 0, 29.5, 0, -0.0125"
	}
	var nd float64
	if f.nodata != "" {
		nd, _ = parseNoData(f.nodata)
	}
	var vrt strings.Builder
	fmt.Fprintf(&vrt, "<VRTDataset rasterXSize=\"%d\" rasterYSize=\"%d\">\n", f.w, f.h)
	if srs != "none" {
		fmt.Fprintf(&vrt, "  <SRS dataAxisToSRSAxisMapping=\"2,1\">%s</SRS>\n", srs)
	}
	fmt.Fprintf(&vrt, "  <GeoTransform>%s</GeoTransform>\n", gt)
	want := make([][]float32, f.bands)
	for b := 0; b < f.bands; b++ {
		n := f.w * f.h
		raw := make([]byte, n*st.size)
		want[b] = make([]float32, n)
		for i := 0; i < n; i++ {
			v := st.value(b, i)
			if f.nodata != "" && (i%17 == 3 || (f.sparse && i%f.w < 16 && i/f.w < 16)) {
				v = nd
			}
			st.put(raw[i*st.size:], v)
			want[b][i] = toFloat32(v)
		}
		name := fmt.Sprintf("b%d.raw", b+1)
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&vrt, "  <VRTRasterBand dataType=\"%s\" band=\"%d\" subClass=\"VRTRawRasterBand\">\n", st.gdal, b+1)
		if f.names {
			vrt.WriteString("    <Description>")
			xml.EscapeText(&vrt, []byte(fixtureNames[b%4]))
			vrt.WriteString("</Description>\n")
		}
		if f.nodata != "" {
			fmt.Fprintf(&vrt, "    <NoDataValue>%s</NoDataValue>\n", f.nodata)
		}
		fmt.Fprintf(&vrt, "    <SourceFilename relativetoVRT=\"1\">%s</SourceFilename>\n", name)
		fmt.Fprintf(&vrt, "    <ImageOffset>0</ImageOffset><PixelOffset>%d</PixelOffset><LineOffset>%d</LineOffset><ByteOrder>LSB</ByteOrder>\n", st.size, st.size*f.w)
		vrt.WriteString("  </VRTRasterBand>\n")
	}
	vrt.WriteString("</VRTDataset>\n")
	vrtPath := filepath.Join(dir, "in.vrt")
	if err := os.WriteFile(vrtPath, []byte(vrt.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tif")
	args := []string{"-q"}
	for _, co := range f.co {
		args = append(args, "-co", co)
	}
	args = append(args, f.extra...)
	args = append(args, vrtPath, out)
	runGDAL(t, "", "gdal_translate", args...)
	return out, want
}

func TestReadGDALFixtures(t *testing.T) {
	requireGDAL(t)
	var fixtures []fixture
	// Every sample type × the main layouts and compressions.
	for _, typ := range []string{"Byte", "Int8", "UInt16", "Int16", "UInt32", "Int32", "Float32", "Float64"} {
		nd := map[string]string{"Byte": "255", "Int8": "-128", "UInt16": "65535", "Int16": "-32768", "UInt32": "4294967295",
			"Int32": "-2147483648", "Float32": "-3.4028234663852886e+38", "Float64": "nan"}[typ]
		var sb []string
		if typ == "Int8" {
			sb = []string{"PIXELTYPE=SIGNEDBYTE"}
		}
		co := func(opts ...string) []string { return append(append([]string(nil), sb...), opts...) }
		fixtures = append(fixtures,
			fixture{name: typ + "/strips-none", typ: typ, bands: 1, w: 37, h: 23, co: co("BLOCKYSIZE=5"), nodata: nd},
			fixture{name: typ + "/strips-deflate-band", typ: typ, bands: 3, w: 37, h: 23, co: co("COMPRESS=DEFLATE", "INTERLEAVE=BAND", "BLOCKYSIZE=4"), names: true},
			fixture{name: typ + "/tiles-deflate-pred2-pixel", typ: typ, bands: 3, w: 37, h: 23, co: co("COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "INTERLEAVE=PIXEL"), names: true, nodata: nd},
			fixture{name: typ + "/strips-lzw-pred2-pixel", typ: typ, bands: 2, w: 37, h: 23, co: co("COMPRESS=LZW", "PREDICTOR=2", "INTERLEAVE=PIXEL", "BLOCKYSIZE=7"), nodata: nd},
			fixture{name: typ + "/tiles-lzw-band-bigendian", typ: typ, bands: 2, w: 37, h: 23, co: co("COMPRESS=LZW", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=32", "INTERLEAVE=BAND", "ENDIANNESS=BIG"), names: true},
			fixture{name: typ + "/bigtiff-packbits", typ: typ, bands: 2, w: 37, h: 23, co: co("BIGTIFF=YES", "COMPRESS=PACKBITS", "INTERLEAVE=PIXEL")},
		)
		if typ == "Float32" || typ == "Float64" {
			fixtures = append(fixtures,
				fixture{name: typ + "/tiles-deflate-pred3-band", typ: typ, bands: 3, w: 37, h: 23, co: []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "INTERLEAVE=BAND"}, names: true, nodata: nd},
				fixture{name: typ + "/strips-lzw-pred3-pixel", typ: typ, bands: 3, w: 37, h: 23, co: []string{"COMPRESS=LZW", "PREDICTOR=3", "INTERLEAVE=PIXEL", "BLOCKYSIZE=3"}, nodata: nd},
				fixture{name: typ + "/strips-deflate-pred3-pixel-bigendian", typ: typ, bands: 2, w: 37, h: 23, co: []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=PIXEL", "ENDIANNESS=BIG"}, gdalBug: true},
			)
		}
	}
	fixtures = append(fixtures,
		fixture{name: "pixel-is-point", typ: "Float32", bands: 1, w: 30, h: 20, co: []string{"COMPRESS=DEFLATE"}, extra: []string{"-mo", "AREA_OR_POINT=Point"}},
		fixture{name: "pixel-is-point-cgcs2000", typ: "Float32", bands: 2, w: 30, h: 20, srs: "EPSG:4490", extra: []string{"-mo", "AREA_OR_POINT=Point"}, names: true},
		fixture{name: "cgcs2000", typ: "Float32", bands: 1, w: 30, h: 20, srs: "EPSG:4490", co: []string{"COMPRESS=LZW"}},
		fixture{name: "wgs84-wkt-user-defined", typ: "Float32", bands: 1, w: 30, h: 20,
			srs: `GEOGCS["my WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`},
		fixture{name: "sparse", typ: "Float32", bands: 2, w: 40, h: 40, co: []string{"SPARSE_OK=TRUE", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE"}, nodata: "-9999", sparse: true},
		fixture{name: "single-strip-uncompressed", typ: "Float32", bands: 4, w: 50, h: 9, names: true, co: []string{"BLOCKYSIZE=9", "INTERLEAVE=BAND"}},
		fixture{name: "global-1deg", typ: "Float32", bands: 1, w: 360, h: 180, gt: "-180, 1, 0, 90, 0, -1", co: []string{"COMPRESS=DEFLATE", "PREDICTOR=3", "TILED=YES"}},
		fixture{name: "fine-30arcsec", typ: "Float32", bands: 1, w: 120, h: 90, gt: "119.5, 0.008333333333333333, 0, 28.75, 0, -0.008333333333333333", co: []string{"COMPRESS=DEFLATE"}, nodata: "-200"},
	)

	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			path, want := f.make(t)
			g, err := ReadFile(path)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if err := g.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(g.Bands) != f.bands {
				t.Fatalf("%d bands, want %d", len(g.Bands), f.bands)
			}
			for b := range want {
				if f.gdalBug {
					break
				}
				bad := 0
				for i := range want[b] {
					if !sameFloat32(g.Bands[b].Data[i], want[b][i]) {
						if bad < 3 {
							t.Errorf("band %d cell %d: read %v, written %v", b+1, i, g.Bands[b].Data[i], want[b][i])
						}
						bad++
					}
				}
			}
			if f.names {
				for b := range g.Bands {
					if g.Bands[b].Name != fixtureNames[b%4] {
						t.Errorf("band %d named %q, want %q", b+1, g.Bands[b].Name, fixtureNames[b%4])
					}
				}
			} else if g.Bands[0].Name != "band1" {
				t.Errorf("band 1 named %q, want the default band1", g.Bands[0].Name)
			}
			if f.nodata != "" && !g.HasNoData {
				t.Errorf("nodata %s not read", f.nodata)
			}
			if f.nodata != "" && !g.IsNoData(g.Bands[0].Data[3]) {
				t.Errorf("cell 3 holds %v, IsNoData false (nodata %v)", g.Bands[0].Data[3], g.NoData)
			}
			checkAgainstGDAL(t, path, g, f.typ != "Int8")
		})
	}
}

// Files this package refuses, each with a message that says what to do.
func TestReadGDALRejects(t *testing.T) {
	requireGDAL(t)
	tests := []struct {
		f    fixture
		is   error
		want string
	}{
		{fixture{name: "mollweide", srs: "ESRI:54009", gt: "1000000, 100, 0, 4000000, 0, -100"}, ErrUnsupported, `projected coordinate system "World_Mollweide": population grids must be EPSG:4326 lon/lat; reproject first: gdalwarp -t_srs EPSG:4326 in.tif out.tif`},
		{fixture{name: "utm50n", srs: "EPSG:32650", gt: "500000, 100, 0, 3300000, 0, -100"}, ErrUnsupported, "projected coordinate system EPSG:32650"},
		{fixture{name: "cgcs2000-gk", srs: "EPSG:4549", gt: "500000, 100, 0, 3300000, 0, -100"}, ErrUnsupported, "reproject first: gdalwarp -t_srs EPSG:4326 in.tif out.tif"},
		{fixture{name: "beijing1954", srs: "EPSG:4214"}, ErrUnsupported, "EPSG:4214"},
		{fixture{name: "xian1980", srs: "EPSG:4610"}, ErrUnsupported, "is not WGS84"},
		{fixture{name: "rotated", gt: "119.0, 0.01, 0.001, 29.5, 0.001, -0.0125"}, ErrUnsupported, "rotated"},
		{fixture{name: "south-up", gt: "119.0, 0.01, 0, 29.0, 0, 0.0125"}, ErrUnsupported, "north-up"},
		{fixture{name: "no-crs", srs: "none"}, ErrUnsupported, "coordinate system"},
		{fixture{name: "zstd", co: []string{"COMPRESS=ZSTD"}}, ErrUnsupported, "compression ZSTD: convert with gdal_translate -co COMPRESS=DEFLATE"},
		{fixture{name: "lerc", co: []string{"COMPRESS=LERC"}}, ErrUnsupported, "compression LERC"},
		{fixture{name: "nbits12", typ: "Byte", co: []string{"NBITS=12"}, extra: []string{"-ot", "UInt16"}}, ErrUnsupported, "12-bit samples"},
	}
	for _, tc := range tests {
		t.Run(tc.f.name, func(t *testing.T) {
			t.Parallel()
			f := tc.f
			if f.typ == "" {
				f.typ = "Float32"
			}
			f.bands, f.w, f.h = 1, 20, 10
			path, _ := f.make(t)
			_, err := ReadFile(path)
			if err == nil {
				t.Fatalf("ReadFile succeeded, want an error containing %q", tc.want)
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadFile error %q, want %v containing %q", err, tc.is, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
