package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage/facility"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/plate"
	"fangyuan/geo"
)

// DemoSnapshot is the cut-off date of the division codes shipped as demo data.
var DemoSnapshot = time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)

// The demo population grid's name and year.
const (
	DemoGridName = "fangyuan-demo"
	DemoGridYear = 2023
)

// LoadDemo loads the demo data set (package data, directory demo/) through the same
// importers a user runs: the real Zhejiang division codes, the synthetic demo county with
// its boundaries, roads, place names, population grid and facilities. It is idempotent.
func LoadDemo(ctx context.Context, pool *pgxpool.Pool, demo fs.FS, log io.Writer) error {
	opts := Options{Log: log}
	report := func(s Summary, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", s.Source, err)
		}
		if log != nil {
			fmt.Fprintln(log, s)
		}
		return nil
	}
	for _, dir := range []string{"demo/divisions/zhejiang-2023", "demo/divisions/fangyuan-demo"} {
		if err := report(Divisions(ctx, pool, demo, dir, DivisionOptions{Options: opts, ValidFrom: DemoSnapshot})); err != nil {
			return err
		}
	}
	for _, b := range []struct {
		file  string
		level gazetteer.Level
	}{
		{"demo/boundaries/county.geojson", gazetteer.County},
		{"demo/boundaries/townships.geojson", gazetteer.Township},
		{"demo/boundaries/villages.geojson", gazetteer.Village},
	} {
		if err := report(Boundaries(ctx, pool, demo, b.file, BoundaryOptions{Options: opts, Level: b.level, CodeField: "code", NameField: "name"})); err != nil {
			return err
		}
	}
	if err := report(Roads(ctx, pool, demo, "demo/roads.geojson", opts)); err != nil {
		return err
	}
	// 路网: the demo's road network with the ferry to 大鳌岛, for travel-time coverage.
	if err := report(OSMFS(ctx, pool, demo, "demo/network.osm", opts)); err != nil {
		return err
	}
	if err := report(PlaceNames(ctx, pool, demo, "demo/placenames.csv", opts)); err != nil {
		return err
	}
	if err := report(Population(ctx, pool, demo, "demo/population.tif", PopulationOptions{Options: opts, Name: DemoGridName, Year: DemoGridYear})); err != nil {
		return err
	}
	for _, k := range facility.KindsOf(nil) {
		name := "demo/facilities/" + k.ID + ".csv"
		if _, err := fs.Stat(demo, name); errors.Is(err, fs.ErrNotExist) {
			continue // a kind the demo has no facilities of
		}
		if err := report(Facilities(ctx, pool, demo, "demo/facilities/"+k.ID+".csv", FacilityOptions{Options: opts, Kind: k.ID, CRS: geo.WGS84})); err != nil {
			return err
		}
	}
	// 门牌 house numbers along the demo roads (with the planted errors of data/demo/README.md).
	if err := report(HouseNumbers(ctx, pool, demo, "demo/housenumbers.csv", opts)); err != nil {
		return err
	}
	// 数字门牌: plates for every second active house number (none before there are any).
	n, err := plate.NewStore(pool, "").IssueDemo(ctx)
	if err != nil {
		return fmt.Errorf("demo plates: %w", err)
	}
	if log != nil && n > 0 {
		fmt.Fprintf(log, "demo plates: %d issued and installed\n", n)
	}
	return nil
}
