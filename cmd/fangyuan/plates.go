package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"fangyuan/gazetteer/plate"
	"fangyuan/internal/auth"
)

const platesUsage = `plates issue --road ID [--date YYYY-MM-DD] [--public-url URL] | plates sheet --road ID [-o sheet.pdf|sheet.svg] [--public-url URL]`

// cmdPlates issues the 数字门牌 digital plates of a road's active house numbers, and
// writes a road's print sheet.
func cmdPlates(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: fangyuan %s", errUsage, platesUsage)
	}
	ctx = auth.CLIContext(ctx)
	sub := args[0]
	fs := newFlags("plates "+sub, platesUsage)
	road := fs.Int64("road", 0, "road id")
	date := fs.String("date", "", "date the plates are ordered (default today)")
	out := fs.String("o", "", "output file of the sheet: .pdf or .svg (default plates-road-ID.pdf)")
	publicURL := fs.String("public-url", cmp.Or(os.Getenv("FANGYUAN_PUBLIC_URL"), "http://localhost:8080"), "base URL the QR codes point to (env FANGYUAN_PUBLIC_URL)")
	if sub != "issue" && sub != "sheet" {
		return fmt.Errorf("%w: unknown plates subcommand %q: fangyuan %s", errUsage, sub, platesUsage)
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *road <= 0 {
		return fmt.Errorf("%w: --road ID is required (a positive road id; see GET /api/roads)", errUsage)
	}
	on := time.Now().UTC().Truncate(24 * time.Hour)
	if *date != "" {
		d, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			return fmt.Errorf("%w: --date must be YYYY-MM-DD, not %q", errUsage, *date)
		}
		on = d
	}
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := plate.NewStore(pool, *publicURL)
	if sub == "issue" {
		ids, err := st.IssueRoad(ctx, *road, on)
		if err != nil {
			return err
		}
		for _, id := range ids {
			fmt.Fprintf(stdout, "%s\t%s\n", id, st.URL(id))
		}
		fmt.Fprintf(stdout, "%d plates issued for road %d\n", len(ids), *road)
		return nil
	}
	name, plates, err := st.RoadPlates(ctx, *road)
	if err != nil {
		return err
	}
	if len(plates) == 0 {
		return fmt.Errorf("road %d (%s) has no plates that are not removed: issue them first (fangyuan plates issue --road %d)", *road, name, *road)
	}
	file := cmp.Or(*out, fmt.Sprintf("plates-road-%d.pdf", *road))
	var b bytes.Buffer
	switch {
	case len(file) > 4 && file[len(file)-4:] == ".svg":
		err = st.SheetSVG(&b, name, plates)
	case len(file) > 4 && file[len(file)-4:] == ".pdf":
		err = st.SheetPDF(&b, name, plates)
	default:
		return fmt.Errorf("%w: -o %s: the sheet is written as .pdf or .svg", errUsage, file)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d plates of %s\n", file, len(plates), name)
	return nil
}
