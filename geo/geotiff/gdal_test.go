package geotiff

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fangyuan/geo"
)

// GDAL's command-line tools are the reference these tests compare with. They
// are required: a machine without them fails the tests instead of skipping.
func requireGDAL(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"gdal_translate", "gdalinfo", "gdallocationinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (%v): the GeoTIFF tests compare with GDAL; install it with: apt-get install gdal-bin", tool, err)
		}
	}
}

// runGDAL runs a GDAL tool and returns its stdout; stderr (warnings) is
// returned separately.
func runGDAL(t testing.TB, stdin string, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// gdalInfo is the part of `gdalinfo -json` the tests look at.
type gdalInfo struct {
	Size             []int     `json:"size"`
	GeoTransform     []float64 `json:"geoTransform"`
	CoordinateSystem struct {
		WKT string `json:"wkt"`
	} `json:"coordinateSystem"`
	Metadata map[string]map[string]string `json:"metadata"`
	Bands    []struct {
		Band        int             `json:"band"`
		Block       []int           `json:"block"`
		Type        string          `json:"type"`
		Description string          `json:"description"`
		NoData      json.RawMessage `json:"noDataValue"`
	} `json:"bands"`
}

func readGDALInfo(t testing.TB, path string) (gdalInfo, string) {
	t.Helper()
	out, stderr := runGDAL(t, "", "gdalinfo", "-json", path)
	var info gdalInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("gdalinfo -json %s: %v", path, err)
	}
	return info, stderr
}

// gdalValues decodes every band of path with GDAL, as Float32 (GDAL's own
// conversion), by translating to a raw ENVI file.
func gdalValues(t testing.TB, path string, bands, n int) [][]float32 {
	t.Helper()
	dump := filepath.Join(t.TempDir(), "dump.bin")
	runGDAL(t, "", "gdal_translate", "-q", "-of", "ENVI", "-ot", "Float32", "-co", "INTERLEAVE=BSQ", path, dump)
	raw, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*bands*n {
		t.Fatalf("GDAL dump has %d bytes, want %d", len(raw), 4*bands*n)
	}
	hdr, _ := os.ReadFile(strings.TrimSuffix(dump, ".bin") + ".hdr")
	var order binary.ByteOrder = binary.LittleEndian
	if strings.Contains(string(hdr), "byte order = 1") {
		order = binary.BigEndian
	}
	out := make([][]float32, bands)
	for b := range out {
		out[b] = make([]float32, n)
		for i := range out[b] {
			out[b][i] = math.Float32frombits(order.Uint32(raw[4*(b*n+i):]))
		}
	}
	return out
}

func sameFloat32(a, b float32) bool { return a == b || (a != a && b != b) }

// checkAgainstGDAL compares a grid read by this package with GDAL's view of
// the same file: size, geotransform, band names, nodata, every value, and a
// set of lon/lat lookups through gdallocationinfo -wgs84.
// With compareValues false (signed bytes, which GDAL 3.6 reports as
// unsigned) only the georeferencing and metadata are compared.
func checkAgainstGDAL(t *testing.T, path string, g *geo.Grid, compareValues bool) {
	t.Helper()
	info, _ := readGDALInfo(t, path)
	if len(info.Size) != 2 || info.Size[0] != g.Width || info.Size[1] != g.Height {
		t.Fatalf("size %d×%d, gdalinfo says %v", g.Width, g.Height, info.Size)
	}
	gt := info.GeoTransform
	want := []float64{g.West, g.DX, 0, g.North, 0, -g.DY}
	for i := range want {
		if math.Abs(gt[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Errorf("geotransform %v, gdalinfo says %v", want, gt)
			break
		}
	}
	if len(info.Bands) != len(g.Bands) {
		t.Fatalf("%d bands, gdalinfo says %d", len(g.Bands), len(info.Bands))
	}
	for b, ib := range info.Bands {
		wantName := ib.Description
		if wantName == "" {
			wantName = fmt.Sprintf("band%d", b+1)
		}
		if g.Bands[b].Name != wantName {
			t.Errorf("band %d name %q, gdalinfo description %q", b+1, g.Bands[b].Name, ib.Description)
		}
		if len(ib.NoData) == 0 {
			if g.HasNoData {
				t.Errorf("band %d: nodata %v, gdalinfo has none", b+1, g.NoData)
			}
			continue
		}
		var nd any
		_ = json.Unmarshal(ib.NoData, &nd)
		var ndv float64
		switch v := nd.(type) {
		case float64:
			ndv = v
		case string: // "NaN", "Infinity"
			ndv, _ = parseNoData(strings.TrimSuffix(strings.ToLower(v), "inity"))
		}
		if !g.HasNoData || !sameFloat32(toFloat32(ndv), float32(g.NoData)) {
			t.Errorf("band %d: nodata %v (has %v), gdalinfo says %s", b+1, g.NoData, g.HasNoData, ib.NoData)
		}
	}
	n := g.Width * g.Height
	if !compareValues {
		return
	}
	{
		ref := gdalValues(t, path, len(g.Bands), n)
		for b := range ref {
			bad := 0
			for i := range ref[b] {
				if !sameFloat32(ref[b][i], g.Bands[b].Data[i]) {
					if bad < 5 {
						t.Errorf("band %d cell (%d,%d): read %v, GDAL %v", b+1, i%g.Width, i/g.Width, g.Bands[b].Data[i], ref[b][i])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("band %d: %d of %d values differ from GDAL", b+1, bad, n)
			}
		}
	}

	// Lon/lat lookups: cell centres and points scattered inside cells.
	var pts []struct{ lon, lat float64 }
	var in strings.Builder
	for k := 0; k < 40; k++ {
		col := (k * 7919) % g.Width
		row := (k * 104729) % g.Height
		fx, fy := 0.5, 0.5
		if k%2 == 1 {
			fx, fy = 0.1+0.8*float64(k%5)/5, 0.15+0.7*float64(k%3)/3
		}
		lon := g.West + (float64(col)+fx)*g.DX
		lat := g.North - (float64(row)+fy)*g.DY
		pts = append(pts, struct{ lon, lat float64 }{lon, lat})
		fmt.Fprintf(&in, "%.12f %.12f\n", lon, lat)
	}
	out, _ := runGDAL(t, in.String(), "gdallocationinfo", "-valonly", "-wgs84", path)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(pts)*len(g.Bands) {
		t.Fatalf("gdallocationinfo printed %d lines for %d points × %d bands", len(lines), len(pts), len(g.Bands))
	}
	for k, p := range pts {
		col, row, ok := g.Cell([2]float64{p.lon, p.lat})
		if !ok {
			t.Fatalf("point %v,%v outside the grid", p.lon, p.lat)
		}
		for b := range g.Bands {
			s := strings.TrimSpace(lines[k*len(g.Bands)+b])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				v, err = parseNoData(s)
			}
			if err != nil {
				t.Fatalf("gdallocationinfo value %q: %v", s, err)
			}
			got := g.Bands[b].Data[row*g.Width+col]
			if !sameFloat32(got, toFloat32(v)) {
				t.Errorf("band %d at lon %.6f lat %.6f (cell %d,%d): read %v, gdallocationinfo %s", b+1, p.lon, p.lat, col, row, got, s)
			}
		}
	}
}
