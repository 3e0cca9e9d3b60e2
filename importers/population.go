package importers

import (
	"bytes"
	"context"
	"fangyuan/internal/limits"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/coverage/popgrid"
	"fangyuan/geo/geotiff"
)

// PopulationOptions control a population grid import.
type PopulationOptions struct {
	Options
	Name  string
	Year  int
	Bands []coverage.BandName // total=1, age60plus=2 ...; a single-band file is "total"
}

// Population stores a population GeoTIFF (EPSG:4326/4490, float or integer bands) as the
// grid (name, year). NaN or negative values are refused with the cell that holds them.
func Population(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts PopulationOptions) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "population grid " + opts.Name, Source: name}
	if opts.Name == "" || opts.Year == 0 {
		return sum, fmt.Errorf("population: a name and a year are required")
	}
	if reason := limits.Text(opts.Name, limits.Name); reason != "" {
		return sum, fmt.Errorf("population: name %s", reason)
	}
	phase(opts.Options, "reading %s", name)
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return sum, err
	}
	g, err := geotiff.Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	if err := coverage.NameBands(g, opts.Bands); err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	for _, b := range g.Bands {
		for i, v := range b.Data {
			if g.IsNoData(v) {
				continue
			}
			if v != v || v < 0 {
				c, r := i%g.Width, i/g.Width
				p := g.CellCenter(c, r)
				return sum, fmt.Errorf("%s: band %s: cell (col %d, row %d) at %.5f,%.5f holds %v; population must be a number ≥ 0 (or nodata)", name, b.Name, c, r, p[0], p[1], v)
			}
		}
	}
	sum.Read = g.Width * g.Height
	phase(opts.Options, "writing %d×%d cells × %d bands", g.Width, g.Height, len(g.Bands))
	store := popgrid.NewStore(pool)
	err = inTx(ctx, pool, "population_grid", &sum, func(tx pgx.Tx) error {
		res, err := store.Import(ctx, tx, opts.Name, opts.Year, g, name)
		switch {
		case res.Inserted:
			sum.Inserted = 1
		case res.Updated:
			sum.Updated = 1
		case res.Unchanged:
			sum.Unchanged = 1
		}
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}
