package coverage

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"fangyuan/geo"
	"fangyuan/internal/testenv"
)

// hostFS opens host paths (like importers.HostFS, which this package cannot
// import: importers imports coverage).
type hostFS struct{}

func (hostFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }

// demoFiles is the demo data shared by the tests (read once).
type demoFiles struct {
	dir                         string
	grid                        *geo.Grid
	townships, villages, county []Unit
}

var (
	demoOnce sync.Once
	demo     demoFiles
	demoErr  error
)

func loadDemo(t testing.TB) *demoFiles {
	t.Helper()
	root := testenv.RepoRoot(t)
	demoOnce.Do(func() {
		d := demoFiles{dir: filepath.Join(root, "data", "demo")}
		fsys := hostFS{}
		if d.grid, demoErr = LoadPopulation(filepath.Join(d.dir, "population.tif"), nil); demoErr != nil {
			return
		}
		if d.townships, demoErr = LoadUnits(fsys, filepath.Join(d.dir, "boundaries", "townships.geojson"), "townships", UnitFileOptions{}); demoErr != nil {
			return
		}
		if d.villages, demoErr = LoadUnits(fsys, filepath.Join(d.dir, "boundaries", "villages.geojson"), "villages", UnitFileOptions{}); demoErr != nil {
			return
		}
		if d.county, demoErr = LoadUnits(fsys, filepath.Join(d.dir, "boundaries", "county.geojson"), "counties", UnitFileOptions{}); demoErr != nil {
			return
		}
		demo = d
	})
	if demoErr != nil {
		t.Fatalf("demo data: %v", demoErr)
	}
	return &demo
}

func demoFacilities(t testing.TB, d *demoFiles, kind string) []Facility {
	t.Helper()
	fs, err := LoadFacilities(hostFS{}, filepath.Join(d.dir, "facilities", kind+".csv"), FacilityFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
