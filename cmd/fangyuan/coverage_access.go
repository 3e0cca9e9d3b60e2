package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"fangyuan/coverage"
	"fangyuan/coverage/access"
	"fangyuan/coverage/inputs"
	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/importers"
)

const coverageAccessUsage = `coverage access --kind KIND --townships T.geojson --facilities F.csv --population P.tif -o OUT.csv

Capacity-aware accessibility (可及性, E2SFCA, Luo & Qi 2009) from files alone: per grid cell
the capacity (beds) per person of the kind's layer reachable with distance decay; per
township the population-weighted mean, the minimum over populated cells, the kind's need
per person and the shortfall. CSV: code, name, layer_population, mean_per_person,
min_per_person, need_per_person, short, shortfall, population_below_need.

  --kind K              facility kind with a capacity ratio (eldercare_institution)
  --townships FILE      township boundaries, GeoJSON or Shapefile
  --facilities FILE     facilities, CSV or GeoJSON (beds, nursing_beds, dementia_beds columns)
  --population FILE     population GeoTIFF (EPSG:4326); --band NAME=N names band N
  --layer L             population layer (default: the kind's)
  --field F             capacity field: beds, nursing_beds, dementia_beds (default: the kind's ratio)
  --decay D             gaussian (default) or step (1.00 / 0.68 / 0.22 over thirds of the catchment)
  --radius M            catchment radius in metres (default: the kind's)
  --network FILE        road network (.osm.pbf, .osm, or the bureau's .geojson/.shp lines): travel time in the kind's minutes instead of the radius
  --standards FILE      service standards file (default: built in)
  --crs C               facilities' coordinates: wgs84, cgcs2000, gcj02, bd09
  --tif FILE            per-cell accessibility GeoTIFF (float32, -1 outside the townships)
  -o OUT                CSV output ("-": standard output)`

// cmdCoverageAccess runs `fangyuan coverage access`.
func cmdCoverageAccess(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("coverage access", coverageAccessUsage)
	var bands coverageBands
	var (
		kind       = fs.String("kind", "", "facility kind")
		townships  = fs.String("townships", "", "township boundaries")
		facilities = fs.String("facilities", "", "facilities")
		population = fs.String("population", "", "population GeoTIFF")
		layer      = fs.String("layer", "", "population layer")
		field      = fs.String("field", "", "capacity field")
		decay      = fs.String("decay", "gaussian", "gaussian or step")
		radius     = fs.Float64("radius", 0, "catchment radius in metres")
		netFile    = fs.String("network", "", "road network .osm.pbf (travel time)")
		standards  = fs.String("standards", "", "service standards file")
		crs        = fs.String("crs", "wgs84", "facilities' coordinates")
		tif        = fs.String("tif", "", "per-cell accessibility GeoTIFF")
		out        = fs.String("o", "", "CSV output")
	)
	fs.Var(&bands, "band", "NAME=N: name band N of the population file (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q\nusage: fangyuan %s", errUsage, fs.Arg(0), coverageAccessUsage)
	}
	for _, req := range []struct{ name, val string }{{"kind", *kind}, {"townships", *townships}, {"facilities", *facilities}, {"population", *population}, {"o", *out}} {
		if req.val == "" {
			return fmt.Errorf("%w: -%s is required\nusage: fangyuan %s", errUsage, req.name, coverageAccessUsage)
		}
	}
	dc, err := access.ParseDecay(*decay)
	if err != nil {
		return fmt.Errorf("%w: --decay: %v", errUsage, err)
	}
	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return fmt.Errorf("%w: --crs: %v", errUsage, err)
	}
	stds, std, err := kindStandard(*standards, *kind, *radius)
	if err != nil {
		return err
	}
	if _, _, err := access.FieldFor(std, *field); err != nil {
		return fmt.Errorf("%w: --field: %v", errUsage, err)
	}
	host := importers.HostFS{}
	towns, err := inputs.LoadUnits(host, *townships, "townships", inputs.UnitFileOptions{})
	if err != nil {
		return err
	}
	facs, err := inputs.LoadFacilities(host, *facilities, inputs.FacilityFileOptions{CRS: c})
	if err != nil {
		return err
	}
	g, err := inputs.LoadPopulation(*population, bands)
	if err != nil {
		return err
	}
	reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
	if err != nil {
		return err
	}
	var dist access.Distances = access.Straight{Radius: std.RadiusM}
	if *netFile != "" {
		tr, err := travelFromFile(ctx, *netFile, stds, std)
		if err != nil {
			return err
		}
		dist = access.Travel{Travel: tr}
	}
	res, err := access.Compute(ctx, access.Input{Standard: std, Layer: *layer, Grid: g, Region: reg, Facilities: facs, Distances: dist, Decay: dc, Field: *field})
	if err != nil {
		return err
	}
	summary := stdout
	if *out == "-" {
		summary = os.Stderr
		if err := access.WriteCSV(stdout, res); err != nil {
			return err
		}
	} else if err := writeFileAtomic(*out, func(w io.Writer) error { return access.WriteCSV(w, res) }); err != nil {
		return err
	}
	if *tif != "" {
		if err := writeFileAtomic(*tif, func(w io.Writer) error { return geotiff.Write(w, res.Grid(), geotiff.WriteOptions{}) }); err != nil {
			return err
		}
	}
	short := 0
	for _, t := range res.Townships {
		if t.Short {
			short++
		}
	}
	fmt.Fprintf(summary, "%s: %s per person of %s, %s, %s\n", res.Kind, res.Field, res.Layer, res.Decay, res.Measure)
	fmt.Fprintf(summary, "region mean %.5f (need %.5f); %d of %d townships short, shortfall %.0f %s\n", res.Mean, res.Need, short, len(res.Townships), res.Shortfall, res.Field)
	for _, n := range res.Notes[1:] {
		fmt.Fprintf(summary, "note: %s\n", n)
	}
	if *out != "-" {
		fmt.Fprintf(summary, "wrote %s\n", *out)
	}
	return nil
}
