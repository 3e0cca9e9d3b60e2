package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/coverage/network"
	"fangyuan/coverage/report"
	"fangyuan/geo"
	"fangyuan/importers"
)

const coverageUsage = `coverage --kind KIND --townships T.geojson --facilities F.csv|F.geojson --population P.tif -o OUT.xlsx|.csv|.geojson
       coverage standards            (print the default service standards, to copy and edit)
       coverage report --run ID --county CODE -o OUT.pdf|.xlsx   (a run in the database)
       coverage access --kind K ...  (capacity-aware accessibility, E2SFCA; see coverage access -h)

Computes, from files alone (no database), which townships fail the service standard of a
facility kind, by how much, and who is left out: per township the layer population, the
covered population and share, the operating facilities inside, capacity against the ratio,
flags (NO_FACILITY, BELOW_TARGET, CAPACITY_SHORTFALL, ...) and a ranked list of gaps.

A grid cell counts as covered when its centre lies within the radius (geodesic, WGS84) of an
operating facility (planned and closed ones are listed but do not count); a cell cut by a
township boundary is split by area.

  --kind K              facility kind of the standards (built in: eldercare_center, daycare_center,
                        eldercare_institution, childrens_home, child_welfare, eco_burial, funeral_venue,
                        funeral_home, elderly_canteen, social_work_station, community_service,
                        regional_child_welfare; a --standards file may define others)
  --townships FILE      township boundaries, GeoJSON or Shapefile, with division codes
  --facilities FILE     facilities, CSV (id,name,lon,lat[,beds,...,status]) or GeoJSON points,
                        the layout of "fangyuan import facilities"
  --population FILE     population GeoTIFF, EPSG:4326; bands named by the file, a single band is
                        "total"; --band NAME=N (repeatable) names band N
  --layer L             population layer (default: the kind's: age60plus, age0_17 or total)
  --radius M            catchment radius in metres (default: the kind's standard)
  --reach R             straight (radius, the default) or travel (the kind's travel minutes over
                        roads and ferries, profiles from the standards file; needs --network)
  --network FILE        road network: OpenStreetMap .osm.pbf or .osm (highway=* ways, route=ferry),
                        or the bureau's lines, .geojson or .shp (see fangyuan import network); the
                        CSV then also gives the straight-line measure per township
                        (straight_covered_population, straight_only_population)
  --minutes-tif FILE    with --reach travel: per-cell travel time in minutes (GeoTIFF, float32,
                        -1 where no facility reaches)
  --villages FILE       village boundaries, for village presence and service rules
  --counties FILE       county boundaries, for county names (counties group townships by code)
  --standards FILE      service standards file (default: the built-in DESIGN.md table)
  --crs C               facilities' coordinates: wgs84, cgcs2000, gcj02 (Amap), bd09 (Baidu)
  --format F            csv, geojson or xlsx (default: from the -o extension)
  --county CODE         write the county report (打印报告) of this county instead: -o OUT.pdf
                        (map, gap ranking, standards) or OUT.xlsx (its tables); see coverage report
  -o OUT                output file ("-" writes csv or geojson to standard output)`

// coverageBands collects repeated --band NAME=N flags.
type coverageBands []coverage.BandName

func (b *coverageBands) String() string { return fmt.Sprint(*b) }

func (b *coverageBands) Set(s string) error {
	bn, err := coverage.ParseBandName(s)
	if err != nil {
		return err
	}
	*b = append(*b, bn)
	return nil
}

// cmdCoverage runs `fangyuan coverage`.
func cmdCoverage(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "access" {
		return cmdCoverageAccess(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "standards" {
		_, err := stdout.Write(coverage.DefaultStandardsJSON)
		return err
	}
	if len(args) > 0 && args[0] == "report" {
		return cmdCoverageReport(ctx, args[1:], stdout)
	}
	fs := newFlags("coverage", coverageUsage)
	var bands coverageBands
	var (
		kind       = fs.String("kind", "", "facility kind")
		townships  = fs.String("townships", "", "township boundaries (GeoJSON or Shapefile)")
		facilities = fs.String("facilities", "", "facilities (CSV or GeoJSON)")
		population = fs.String("population", "", "population GeoTIFF")
		layer      = fs.String("layer", "", "population layer (default: the kind's)")
		radius     = fs.Float64("radius", 0, "catchment radius in metres (default: the kind's)")
		villages   = fs.String("villages", "", "village boundaries (optional)")
		counties   = fs.String("counties", "", "county boundaries, for names (optional)")
		standards  = fs.String("standards", "", "service standards file (default: built in)")
		crs        = fs.String("crs", "wgs84", "facilities' coordinates: wgs84, cgcs2000, gcj02, bd09")
		codeField  = fs.String("code-field", "", "boundaries: the property holding the division code (default: detected)")
		nameField  = fs.String("name-field", "", "boundaries: the property holding the name (default: detected)")
		encoding   = fs.String("encoding", "", "text encoding of the inputs: utf-8, gbk or gb18030 (default: detected)")
		format     = fs.String("format", "", "output format: csv, geojson or xlsx (default: from -o)")
		out        = fs.String("o", "", "output file")
		reach      = fs.String("reach", "straight", "straight or travel")
		netFile    = fs.String("network", "", "road network .osm.pbf (for --reach travel)")
		minutesTif = fs.String("minutes-tif", "", "per-cell travel minutes GeoTIFF (with --reach travel)")
		county     = fs.String("county", "", "write the county report of this county (-o .pdf or .xlsx)")
	)
	fs.Var(&bands, "band", "NAME=N: name band N of the population file (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q\nusage: fangyuan %s", errUsage, fs.Arg(0), coverageUsage)
	}
	for _, req := range []struct{ name, val string }{{"kind", *kind}, {"townships", *townships}, {"facilities", *facilities}, {"population", *population}, {"o", *out}} {
		if req.val == "" {
			return fmt.Errorf("%w: -%s is required\nusage: fangyuan %s", errUsage, req.name, coverageUsage)
		}
	}
	f := *format
	countyMode := *county != "" || f == "pdf" || strings.EqualFold(filepath.Ext(*out), ".pdf")
	if countyMode {
		if *county == "" {
			return fmt.Errorf("%w: a PDF report is per county: give --county CODE", errUsage)
		}
		var err error
		if f, err = countyFormat(*out, f); err != nil {
			return err
		}
	}
	if f == "" {
		if f = report.FormatOf(*out); f == "" {
			return fmt.Errorf("%w: cannot tell the format from %q: give --format csv, geojson or xlsx", errUsage, *out)
		}
	}
	if report.FormatOf("x."+f) == "" && f != "json" && !countyMode {
		return fmt.Errorf("%w: --format %q: want csv, geojson or xlsx", errUsage, f)
	}
	if *out == "-" && f == "xlsx" {
		return fmt.Errorf("%w: xlsx cannot go to standard output: give -o FILE.xlsx", errUsage)
	}
	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return fmt.Errorf("%w: --crs: %v", errUsage, err)
	}

	stds, std, err := kindStandard(*standards, *kind, *radius)
	if err != nil {
		return err
	}

	if *reach != "straight" && *reach != "travel" {
		return fmt.Errorf("%w: --reach %q: want straight or travel", errUsage, *reach)
	}
	if (*reach == "travel") != (*netFile != "") {
		return fmt.Errorf("%w: --reach travel and --network FILE (.osm.pbf, .osm, .geojson or .shp) go together", errUsage)
	}
	if *minutesTif != "" && *reach != "travel" {
		return fmt.Errorf("%w: --minutes-tif needs --reach travel", errUsage)
	}
	host := importers.HostFS{}
	uopts := inputs.UnitFileOptions{CodeField: *codeField, NameField: *nameField, Encoding: *encoding}
	in := coverage.Input{Standard: std, Layer: *layer}
	if in.Townships, err = inputs.LoadUnits(host, *townships, "townships", uopts); err != nil {
		return err
	}
	if *villages != "" {
		if in.Villages, err = inputs.LoadUnits(host, *villages, "villages", uopts); err != nil {
			return err
		}
	}
	if *counties != "" {
		if in.Counties, err = inputs.LoadUnits(host, *counties, "counties", uopts); err != nil {
			return err
		}
	}
	if in.Facilities, err = inputs.LoadFacilities(host, *facilities, inputs.FacilityFileOptions{CRS: c, Encoding: *encoding}); err != nil {
		return err
	}
	if in.Grid, err = inputs.LoadPopulation(*population, bands); err != nil {
		return err
	}
	if *reach == "travel" {
		tr, err := travelFromFile(ctx, *netFile, stds, std)
		if err != nil {
			return err
		}
		in.Reach = tr
		in.Compare, in.CompareName = coverage.Straight{Radius: std.RadiusM}, "straight"
	}
	res, err := coverage.Run(ctx, in)
	if err != nil {
		return err
	}

	summary := stdout
	if countyMode {
		c, err := fileCountyReport(res, *county, stds.Version)
		if err != nil {
			return err
		}
		if err := writeCountyReport(*out, f, c); err != nil {
			return err
		}
	} else if *out == "-" {
		summary = os.Stderr
		if err := report.Write(stdout, f, res); err != nil {
			return err
		}
	} else if err := writeFileAtomic(*out, func(w io.Writer) error { return report.Write(w, f, res) }); err != nil {
		return err
	}
	if *minutesTif != "" {
		if err := network.WriteMinutes(*minutesTif, res.Frame, res.Cells); err != nil {
			return fmt.Errorf("%s: %w", *minutesTif, err)
		}
	}
	printCoverageSummary(summary, res)
	if *out != "-" {
		fmt.Fprintf(summary, "wrote %s (%s)\n", *out, f)
	}
	return nil
}

// writeFileAtomic writes path through a temporary file in the same directory,
// so that a failed run leaves no half-written report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func maxText(n int) string {
	if n <= 0 {
		return "any"
	}
	return fmt.Sprint(n)
}

func printCoverageSummary(w io.Writer, res *coverage.Result) {
	std := res.Standard
	pct := func(a, b float64) float64 {
		if b == 0 {
			return 100
		}
		return 100 * a / b
	}
	fmt.Fprintf(w, "%s %s · layer %s · %s · target %.0f %%\n", std.ID, std.Name, res.Layer, res.Reach, 100*res.Target)
	fmt.Fprintf(w, "%d townships: population %s, covered %s (%.1f %%), not covered %s\n", len(res.Townships),
		count(res.Population), count(res.Covered), pct(res.Covered, res.Population), count(res.Population-res.Covered))
	if res.Compare != "" {
		fmt.Fprintf(w, "%s (%s): covered %s (%.1f %%); of them not reached by %s: %s\n", res.Compare, res.CompareReach,
			count(res.CoveredCompare), pct(res.CoveredCompare, res.Population), res.Reach, count(res.OnlyCompare))
	}
	flagged := map[string]int{}
	nflagged := 0
	for _, t := range res.Townships {
		if len(t.Flags) > 0 {
			nflagged++
		}
		for _, f := range t.Flags {
			flagged[f]++
		}
	}
	var parts []string
	for _, f := range []string{coverage.FlagNoFacility, coverage.FlagTooMany, coverage.FlagCountyNoFacility, coverage.FlagPrefectureNoFacility,
		coverage.FlagVillageGaps, coverage.FlagVillageShare, coverage.FlagBelowTarget, coverage.FlagCapacityShortfall} {
		if flagged[f] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", f, flagged[f]))
		}
	}
	fmt.Fprintf(w, "flagged townships: %d of %d", nflagged, len(res.Townships))
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	for _, u := range res.Prefectures {
		fmt.Fprintf(w, "prefecture %s: %d operating (presence %d–%s per prefecture)", strings.TrimSpace(u.Code+" "+u.Name), u.Facilities, std.Presence.Min, maxText(std.Presence.Max))
		if len(u.Flags) > 0 {
			fmt.Fprintf(w, " %s", strings.Join(u.Flags, ","))
		}
		fmt.Fprintln(w)
	}
	if vs := std.Presence.VillageShare; vs != nil {
		for _, u := range res.Counties {
			if t := u.Villages; t != nil {
				fmt.Fprintf(w, "county %s: %d of %d villages and communities served (urban %d/%d, rural %d/%d; target %s)\n", u.Code,
					t.UrbanServed+t.RuralServed, t.Urban+t.Rural, t.UrbanServed, t.Urban, t.RuralServed, t.Rural, vs)
			}
		}
	}
	fmt.Fprintf(w, "facilities: %d operating, %d planned, %d closed (planned and closed do not count)\n", res.Operating, res.Planned, res.Closed)
	if len(res.Outside) > 0 {
		fmt.Fprintf(w, "outside every township (%d, still counted for the cells they reach):\n", len(res.Outside))
		for _, i := range res.Outside {
			fr := res.Facilities[i]
			fmt.Fprintf(w, "  %s %s (%.6f, %.6f) %s\n", fr.ID, fr.Name, fr.Location[0], fr.Location[1], fr.Source)
		}
	}
	if len(res.Gaps) > 0 {
		fmt.Fprintln(w, "largest gaps:")
		for _, g := range res.Gaps[:min(len(res.Gaps), 10)] {
			fmt.Fprintf(w, "  %2d. %s: %s\n", g.Rank, strings.TrimSpace(fmt.Sprintf("%s %s %s", g.Level, g.Code, g.Name)), g.Detail)
		}
	}
	for i, n := range res.Notes {
		if i == 0 {
			continue // the cell rule, said above
		}
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// count formats a population as a whole number with thousands separators.
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg && s != "0" {
		return "-" + b.String()
	}
	return b.String()
}

// kindStandard loads the standards file (the built-in standards when path is "")
// and returns them with kind's standard, its radius replaced by radius when
// radius is not 0 (the --standards, --kind and --radius flags of the commands on files).
func kindStandard(path, kind string, radius float64) (*coverage.Standards, coverage.Standard, error) {
	stds := coverage.DefaultStandards()
	if path != "" {
		var err error
		if stds, err = coverage.LoadStandards(path); err != nil {
			return nil, coverage.Standard{}, err
		}
	}
	std, err := stds.Kind(kind)
	if err != nil {
		return nil, coverage.Standard{}, err
	}
	if radius != 0 {
		if !(radius > 0 && radius <= coverage.MaxRadius) {
			return nil, coverage.Standard{}, fmt.Errorf("%w: --radius %v: want metres in (0, %d]", errUsage, radius, coverage.MaxRadius)
		}
		std.RadiusM = radius
	}
	return stds, std, nil
}

// travelFromFile is the travel-time reach of kind std over the road network in
// path (OpenStreetMap or the bureau's lines, network.ReadFile), with its
// travel mode's profile from stds.
func travelFromFile(ctx context.Context, path string, stds *coverage.Standards, std coverage.Standard) (network.Travel, error) {
	nw, err := network.ReadFile(ctx, path, nil)
	if err != nil {
		return network.Travel{}, err
	}
	return network.ForKind(nw, stds, std)
}
