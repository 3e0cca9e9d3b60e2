package inputs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/geo"
	"fangyuan/importers"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadFiles: every bad input file gets an error that names the file, the row or
// feature, the field and the fix, and nothing is computed from it.
func TestBadFiles(t *testing.T) {
	t.Run("township file without codes", func(t *testing.T) {
		p := writeTemp(t, "t.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"甲镇"},"geometry":{"type":"Polygon","coordinates":[[[120,28],[120.1,28],[120.1,28.1],[120,28]]]}}]}`)
		_, err := inputs.LoadUnits(importers.HostFS{}, p, "townships", inputs.UnitFileOptions{})
		if !errors.Is(err, coverage.ErrBadUnit) || !strings.Contains(err.Error(), "t.geojson") || !strings.Contains(err.Error(), "--code-field") {
			t.Errorf("error %v", err)
		}
		p = writeTemp(t, "t.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"","name":"甲镇"},"geometry":{"type":"Polygon","coordinates":[[[120,28],[120.1,28],[120.1,28.1],[120,28]]]}}]}`)
		_, err = inputs.LoadUnits(importers.HostFS{}, p, "townships", inputs.UnitFileOptions{})
		if !errors.Is(err, coverage.ErrBadUnit) || !strings.Contains(err.Error(), "feature 1") || !strings.Contains(err.Error(), "code: empty") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("bad facility rows", func(t *testing.T) {
		p := writeTemp(t, "f.csv", "id,name,lon,lat,status\nA,甲,120.01,28.2,operating\nB,乙,abc,28.2,operating\nC,丙,120.02,28.2,gone\n")
		_, err := inputs.LoadFacilities(importers.HostFS{}, p, inputs.FacilityFileOptions{})
		if !errors.Is(err, coverage.ErrBadFacility) || !strings.Contains(err.Error(), "f.csv:3: lon") || !strings.Contains(err.Error(), "f.csv:4: status") || !strings.Contains(err.Error(), "2 of 3 rows") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("facilities from GeoJSON, Baidu coordinates", func(t *testing.T) {
		p := writeTemp(t, "f.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"G1","name":"甲","beds":"30","status":"规划"},"geometry":{"type":"Point","coordinates":[120.0265,28.2533]}}]}`)
		fs, err := inputs.LoadFacilities(importers.HostFS{}, p, inputs.FacilityFileOptions{CRS: geo.BD09})
		if err != nil {
			t.Fatal(err)
		}
		want := geo.BD09ToWGS84(orb.Point{120.0265, 28.2533})
		if len(fs) != 1 || fs[0].Location != want || fs[0].Status != coverage.StatusPlanned || *fs[0].Beds != 30 || !strings.HasSuffix(fs[0].Source, "f.geojson:2") {
			t.Errorf("%+v (want location %v)", fs, want)
		}
	})

}
