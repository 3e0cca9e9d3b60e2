package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"fangyuan/coverage/inputs"
	"fangyuan/coverage/plan"
	"fangyuan/geo"
	"fangyuan/importers"
)

const planUsage = `plan suggest --kind KIND --k 10 --grid P.tif --townships T.geojson --facilities F.csv [--candidates FILE|cells|villages] [--mode M]

Suggests sites for new facilities of a kind (选址建议) from files alone (no database):
  --mode max_cover      the k sites that add the most covered people (maximal covering), the default
  --mode fewest         the fewest sites so that every township meets the kind's target share
                        (--k caps them; 0: no cap)
  --mode per_township   for each township failing its presence rule (NO_FACILITY), the best site
                        inside it (most people added there), each against the existing facilities
A cell counts as covered when its centre lies within the kind's radius (geodesic, WGS84) of an
operating facility or a suggested site; cells cut by a boundary are split by area, as in
"fangyuan coverage". With --reach travel --network FILE a cell counts as covered when it is
reached within the kind's travel minutes over the roads instead (walking to and from the
nearest road; existing facilities and sites alike). Each site says how many people it adds
and in which townships.

  --kind K              facility kind (see fangyuan coverage standards)
  --k N                 number of sites (max_cover), cap (fewest, per_township; 0: none)
  --grid FILE           population GeoTIFF, EPSG:4326 (--population is the same); --band NAME=N
  --townships FILE      township boundaries, GeoJSON or Shapefile, with division codes
  --facilities FILE     existing facilities, CSV or GeoJSON (operating ones count)
  --candidates C        cells (populated cells, the default), villages (village centres, needs
                        --villages) or a file of sites, CSV (id,name,lon,lat) or GeoJSON points
  --max-candidates N    cap on populated-cell candidates (default 25000; beyond it each block of
                        b×b cells offers its most populated cell)
  --villages FILE       village boundaries (for --candidates villages)
  --reach R             straight (the radius, the default) or travel (the kind's travel minutes)
  --network FILE        road network for --reach travel: .osm.pbf, .osm, or the bureau's .geojson/.shp
  --layer L, --radius M, --standards FILE, --crs C, --code-field F, --name-field F, --encoding E
                        as for fangyuan coverage (--crs applies to facilities and candidates)
  --format F            table (default), json or csv
  -o OUT                output file (default: standard output)`

// cmdPlan runs `fangyuan plan`.
func cmdPlan(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "suggest" {
		return fmt.Errorf("%w: want fangyuan plan suggest ...\nusage: fangyuan %s", errUsage, planUsage)
	}
	fs := newFlags("plan suggest", planUsage)
	var bands coverageBands
	var (
		kind       = fs.String("kind", "", "facility kind")
		k          = fs.Int("k", 0, "number of sites")
		mode       = fs.String("mode", string(plan.ModeMaxCover), "max_cover, fewest or per_township")
		grid       = fs.String("grid", "", "population GeoTIFF")
		population = fs.String("population", "", "population GeoTIFF (same as --grid)")
		townships  = fs.String("townships", "", "township boundaries (GeoJSON or Shapefile)")
		facilities = fs.String("facilities", "", "existing facilities (CSV or GeoJSON)")
		candidates = fs.String("candidates", plan.FromCells, "cells, villages or a CSV/GeoJSON file of sites")
		maxCand    = fs.Int("max-candidates", 0, "cap on populated-cell candidates (default 25000)")
		villages   = fs.String("villages", "", "village boundaries")
		layer      = fs.String("layer", "", "population layer (default: the kind's)")
		radius     = fs.Float64("radius", 0, "catchment radius in metres (default: the kind's)")
		standards  = fs.String("standards", "", "service standards file (default: built in)")
		crs        = fs.String("crs", "wgs84", "coordinates of facilities and candidates: wgs84, cgcs2000, gcj02, bd09")
		codeField  = fs.String("code-field", "", "boundaries: the property holding the division code")
		nameField  = fs.String("name-field", "", "boundaries: the property holding the name")
		encoding   = fs.String("encoding", "", "text encoding of the inputs: utf-8, gbk or gb18030")
		format     = fs.String("format", "table", "table, json or csv")
		out        = fs.String("o", "-", "output file")
		reachFlag  = fs.String("reach", "straight", "straight or travel")
		netFile    = fs.String("network", "", "road network for --reach travel")
	)
	fs.Var(&bands, "band", "NAME=N: name band N of the population file (repeatable)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q\nusage: fangyuan %s", errUsage, fs.Arg(0), planUsage)
	}
	if *grid == "" {
		*grid = *population
	}
	for _, req := range []struct{ name, val string }{{"kind", *kind}, {"grid", *grid}, {"townships", *townships}, {"facilities", *facilities}} {
		if req.val == "" {
			return fmt.Errorf("%w: --%s is required\nusage: fangyuan %s", errUsage, req.name, planUsage)
		}
	}
	if !slices.Contains(plan.Formats, *format) {
		return fmt.Errorf("%w: --format %q: want %s", errUsage, *format, strings.Join(plan.Formats, ", "))
	}
	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return fmt.Errorf("%w: --crs: %v", errUsage, err)
	}
	stds, std, err := kindStandard(*standards, *kind, *radius)
	if err != nil {
		return err
	}
	switch {
	case *reachFlag != "straight" && *reachFlag != "travel":
		return fmt.Errorf("%w: --reach %q: want straight or travel", errUsage, *reachFlag)
	case (*reachFlag == "travel") != (*netFile != ""):
		return fmt.Errorf("%w: --reach travel and --network FILE (.osm.pbf, .osm, .geojson or .shp) go together", errUsage)
	}
	host := importers.HostFS{}
	uopts := inputs.UnitFileOptions{CodeField: *codeField, NameField: *nameField, Encoding: *encoding}
	in := plan.Input{Standard: std, Layer: *layer, Mode: plan.Mode(*mode), K: *k, MaxCandidates: *maxCand}
	if in.Townships, err = inputs.LoadUnits(host, *townships, "townships", uopts); err != nil {
		return err
	}
	if *villages != "" {
		if in.Villages, err = inputs.LoadUnits(host, *villages, "villages", uopts); err != nil {
			return err
		}
	}
	fopts := inputs.FacilityFileOptions{CRS: c, Encoding: *encoding}
	if in.Facilities, err = inputs.LoadFacilities(host, *facilities, fopts); err != nil {
		return err
	}
	switch *candidates {
	case plan.FromCells, plan.FromVillages:
		in.Candidates = *candidates
	default:
		sites, err := inputs.LoadFacilities(host, *candidates, fopts)
		if err != nil {
			return fmt.Errorf("candidates: %w", err)
		}
		in.Candidates = plan.FromList
		for _, s := range sites {
			in.List = append(in.List, plan.Candidate{ID: s.ID, Label: s.Name, Location: s.Location, Source: s.Source})
		}
	}
	if in.Grid, err = inputs.LoadPopulation(*grid, bands); err != nil {
		return err
	}
	if *reachFlag == "travel" {
		tr, err := travelFromFile(ctx, *netFile, stds, std)
		if err != nil {
			return err
		}
		in.Travel = &tr
	}
	res, err := plan.Suggest(ctx, in)
	if err != nil {
		return err
	}
	if *out == "-" {
		return plan.Write(stdout, *format, res)
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error { return plan.Write(w, *format, res) }); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%s): %d sites adding %s people\n", *out, *format, len(res.Sites), count(res.CoveredAfter-res.CoveredBefore))
	return nil
}
