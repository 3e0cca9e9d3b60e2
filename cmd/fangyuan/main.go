// Command fangyuan is the Fangyuan (方圆) service: a gazetteer of divisions, place names,
// roads and house numbers, and a coverage analyser for civil-affairs facilities, on PostGIS.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/internal/api"
	"fangyuan/internal/db"
	"fangyuan/internal/pgcluster"
)

const usage = `fangyuan — 方圆: civil-affairs gazetteer and facility coverage service

Usage:
  fangyuan serve  [--listen ADDR] [--reads open|token] [--demo]   run the HTTP service
                  [--read-url URL]                               reads from a streaming replica
  fangyuan db     up|down|status|url|psql|replica [args]          the project-local PostGIS cluster
  fangyuan migrate                                                 apply the schema migrations
  fangyuan import divisions|boundaries|facilities|roads|population|placenames|housenumbers|
                  osm|boundary-lines|markers|demo ...              load data (see fangyuan import -h)
  fangyuan coverage --kind K --townships T.geojson --facilities F.csv --population P.tif -o OUT.xlsx
                                                                   gap report from files, no database
  fangyuan coverage standards                                      print the default service standards
  fangyuan plan suggest --kind K --k 10 --grid P.tif --townships T.geojson --facilities F.csv
                                                                   suggested sites (选址建议) from files
  fangyuan boundaries derive|check --level L FILE -o OUT.geojson   boundary lines (界线) and topology
                                                                   checks from files, no database
  fangyuan boundaries check --db --level L --within CODE -o OUT    the checks on the database
  fangyuan boundaries lines|round|team|package|findings|summary|markers-check ...
                                                                   界线联检 inspection rounds on the database
  fangyuan token  create|list|revoke ...                           API tokens
  fangyuan plates issue|sheet --road ID [-o sheet.pdf]             数字门牌 digital plates of a road
  fangyuan housenumbers suggest|check ...                          门牌: suggest a number, validation report
  fangyuan version

Environment:
  FANGYUAN_DATABASE_URL  any PostGIS 3 database (default: the local cluster of fangyuan db up)
  FANGYUAN_HOME          state directory of the local cluster (default ./.fangyuan)
`

// errUsage marks errors whose message is usage text (exit status 2).
var errUsage = errors.New("usage")

// errHelpShown stops a subcommand after -h printed its help (exit status 0).
var errHelpShown = errors.New("help shown")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Logs (one line per HTTP request) go through a buffer flushed every 200 ms: a write
	// system call per request halved the reverse-geocoding throughput.
	logw := api.NewBufferedWriter(os.Stderr, 200*time.Millisecond)
	slog.SetDefault(slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo})))
	err := run(ctx, os.Args[1:], os.Stdout)
	_ = logw.Close()
	if err != nil && !errors.Is(err, errHelpShown) {
		fmt.Fprintln(os.Stderr, "fangyuan:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("%w: no subcommand", errUsage)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:])
	case "db":
		return cmdDB(ctx, args[1:])
	case "migrate":
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		applied, newest, err := db.SchemaVersion(ctx, pool)
		if err == nil {
			fmt.Fprintf(stdout, "schema version %d/%d\n", applied, newest)
		}
		return err
	case "import":
		return cmdImport(ctx, args[1:], stdout)
	case "coverage":
		return cmdCoverage(ctx, args[1:], stdout)
	case "boundaries":
		return cmdBoundaries(ctx, args[1:], stdout)
	case "plan":
		return cmdPlan(ctx, args[1:], stdout)
	case "housenumbers":
		return cmdHouseNumbers(ctx, args[1:], stdout)
	case "token":
		return cmdToken(ctx, args[1:], stdout)
	case "plates":
		return cmdPlates(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "fangyuan", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
}

// version is the module version the binary was built as.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	// With VCS stamping (make build) this is a pseudo-version naming the commit, e.g.
	// v0.0.0-20261124175404-386dbb6c32fd+dirty.
	return info.Main.Version
}

// fangyuanHome is the state directory of the local cluster.
func fangyuanHome() string {
	if h := os.Getenv("FANGYUAN_HOME"); h != "" {
		return h
	}
	abs, err := filepath.Abs(".fangyuan")
	if err != nil {
		return ".fangyuan"
	}
	return abs
}

// databaseURL is FANGYUAN_DATABASE_URL or the local cluster's URL.
func databaseURL(ctx context.Context) (string, error) {
	if u := os.Getenv("FANGYUAN_DATABASE_URL"); u != "" {
		return u, nil
	}
	c := pgcluster.Open(fangyuanHome())
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	if !st.Running {
		return "", fmt.Errorf("no database: the local cluster in %s is not running; start it with `fangyuan db up` (or set FANGYUAN_DATABASE_URL)", fangyuanHome())
	}
	return c.URL()
}

// openDB connects and brings the schema up to date.
func openDB(ctx context.Context) (*pgxpool.Pool, error) {
	url, err := databaseURL(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := db.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: fangyuan %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps -h and bad flags to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelpShown
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
