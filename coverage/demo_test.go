package coverage

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/importers/parse"
	"fangyuan/internal/testenv"
)

// The engine reads no files; its tests read the demo files with the parsers directly
// (coverage/inputs, the loaders a planner's command uses, imports this package).

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
		if d.grid, demoErr = geotiff.ReadFile(filepath.Join(d.dir, "population.tif")); demoErr != nil {
			return
		}
		if demoErr = NameBands(d.grid, nil); demoErr != nil {
			return
		}
		if d.townships, demoErr = demoUnits(filepath.Join(d.dir, "boundaries", "townships.geojson")); demoErr != nil {
			return
		}
		if d.villages, demoErr = demoUnits(filepath.Join(d.dir, "boundaries", "villages.geojson")); demoErr != nil {
			return
		}
		if d.county, demoErr = demoUnits(filepath.Join(d.dir, "boundaries", "county.geojson")); demoErr != nil {
			return
		}
		demo = d
	})
	if demoErr != nil {
		t.Fatalf("demo data: %v", demoErr)
	}
	return &demo
}

func demoUnits(path string) ([]Unit, error) {
	res, err := parse.ReadBoundaries(hostFS{}, path, parse.BoundaryOptions{})
	if err != nil {
		return nil, err
	}
	if len(res.Rejects) > 0 {
		return nil, fmt.Errorf("%s: %v", path, res.Rejects[0].Err)
	}
	units := make([]Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = Unit{Code: f.Code, Name: f.Name, Geometry: f.Geometry}
	}
	return units, nil
}

// demoKinds are the default kinds the demo has facilities of (the demo data has
// none of the kinds issue 14 added: elderly canteens, social-work stations,
// community service facilities, regional child welfare).
func demoKinds(d *demoFiles) []Standard {
	var out []Standard
	for _, k := range DefaultStandards().Kinds {
		if _, err := os.Stat(filepath.Join(d.dir, "facilities", k.ID+".csv")); err == nil {
			out = append(out, k)
		}
	}
	return out
}

func demoFacilities(t testing.TB, d *demoFiles, kind string) []Facility {
	t.Helper()
	path := filepath.Join(d.dir, "facilities", kind+".csv")
	res, err := parse.ReadFacilities(hostFS{}, path, parse.FacilityOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejects) > 0 {
		t.Fatalf("%s: %v", path, res.Rejects[0].Err)
	}
	out := make([]Facility, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = Facility{ID: r.ID, Name: r.Name, Location: orb.Point{r.Lon, r.Lat}, Status: r.Status,
			Beds: r.Beds, NursingBeds: r.NursingBeds, DementiaBeds: r.DementiaBeds}
	}
	return out
}
