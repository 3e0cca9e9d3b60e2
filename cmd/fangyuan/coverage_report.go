package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/report"
	"fangyuan/coverage/runs"
)

const coverageReportUsage = `coverage report --run ID --county CODE -o OUT.pdf|OUT.xlsx [--standards FILE]

Writes the printable county report (打印报告) of a finished coverage run in the database:
the PDF has a map of the county's townships coloured by covered share (with facilities,
legend and scale bar), the gap ranking, the suggested sites and the standards applied; the
XLSX has the same tables. From files, without a database: fangyuan coverage ... --county CODE
-o OUT.pdf.

  --run ID          the coverage run (fangyuan serve: POST /api/coverage/runs)
  --county CODE     the county, 6 or 12 digits (e.g. 339901)
  --standards FILE  the service standards in force (for the version printed; default built in)
  -o OUT            .pdf or .xlsx`

// cmdCoverageReport runs `fangyuan coverage report`.
func cmdCoverageReport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("coverage report", coverageReportUsage)
	var (
		id        = fs.Int64("run", 0, "coverage run id")
		county    = fs.String("county", "", "county code")
		out       = fs.String("o", "", "output file (.pdf or .xlsx)")
		standards = fs.String("standards", os.Getenv("FANGYUAN_STANDARDS"), "service standards file (default: built in)")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q\nusage: fangyuan %s", errUsage, fs.Arg(0), coverageReportUsage)
	}
	if *id <= 0 || *county == "" || *out == "" {
		return fmt.Errorf("%w: --run ID, --county CODE and -o FILE are required\nusage: fangyuan %s", errUsage, coverageReportUsage)
	}
	format, err := countyFormat(*out, "")
	if err != nil {
		return err
	}
	stds := coverage.DefaultStandards()
	if *standards != "" {
		if stds, err = coverage.LoadStandards(*standards); err != nil {
			return err
		}
	}
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := runs.ReadCountyReport(ctx, pool, stds, *id, *county, nil)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("no coverage run %d", *id)
	}
	if err != nil {
		return fmt.Errorf("coverage run %d: %w", *id, err)
	}
	if err := writeCountyReport(*out, format, c); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, county %s %s, run %d, %d townships, %d gaps)\n", *out, format, c.Code, c.Name, *id, len(c.Townships), len(c.Gaps))
	return nil
}

// countyFormat is the county report format of out: pdf or xlsx.
func countyFormat(out, format string) (string, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
	}
	if format != "pdf" && format != "xlsx" {
		return "", fmt.Errorf("%w: a county report is .pdf or .xlsx, not %q", errUsage, out)
	}
	if out == "-" {
		return "", fmt.Errorf("%w: a county report cannot go to standard output: give -o FILE.%s", errUsage, format)
	}
	return format, nil
}

func writeCountyReport(out, format string, c *report.County) error {
	return writeFileAtomic(out, func(w io.Writer) error {
		if format == "pdf" {
			return report.WriteCountyPDF(w, c)
		}
		return report.WriteCountyXLSX(w, c)
	})
}

// fileCountyReport is the county report of a run from files: the townships'
// boundaries are the run's own.
func fileCountyReport(res *coverage.Result, county string, version int) (*report.County, error) {
	geoms := map[string]orb.MultiPolygon{}
	if res.Region != nil {
		for _, u := range res.Region.Townships {
			geoms[u.Code] = u.Geometry
		}
	}
	return report.NewCounty(res, county, geoms, nil, report.Meta{RunDate: time.Now().Format(time.DateOnly), StandardsVersion: version})
}
