package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/housenumber"
)

const houseNumbersUsage = `housenumbers suggest --road ID --lon X --lat Y     suggest the number of a new building (JSON)
       fangyuan housenumbers check --within CODE [-o report.xlsx|report.geojson|report.json]
                                                         validation report of the house numbers within a division`

// cmdHouseNumbers is `fangyuan housenumbers suggest|check`.
func cmdHouseNumbers(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: fangyuan %s", errUsage, houseNumbersUsage)
	}
	switch args[0] {
	case "suggest":
		fs := newFlags("housenumbers suggest", houseNumbersUsage)
		road := fs.Int64("road", 0, "road id")
		lon := fs.Float64("lon", 0, "longitude (WGS84)")
		lat := fs.Float64("lat", 0, "latitude (WGS84)")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *road <= 0 || *lon < -180 || *lon > 180 || *lat < -90 || *lat > 90 || (*lon == 0 && *lat == 0) {
			return fmt.Errorf("%w: suggest needs --road ID --lon X --lat Y", errUsage)
		}
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		sg, err := housenumber.NewStore(pool).Suggest(ctx, *road, orb.Point{*lon, *lat})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(sg)
	case "check":
		fs := newFlags("housenumbers check", houseNumbersUsage)
		within := fs.String("within", "", "division code (township, county …)")
		out := fs.String("o", "", "output file: .xlsx, .geojson or .json (default: JSON on stdout)")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *within == "" {
			return fmt.Errorf("%w: check needs --within CODE", errUsage)
		}
		code, lvl, err := gazetteer.PadCode(*within)
		if err != nil {
			return fmt.Errorf("%w: --within: %v", errUsage, err)
		}
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		rep, err := housenumber.NewStore(pool).Check(ctx, gazetteer.ShortCode(code, lvl))
		if err != nil {
			return err
		}
		rep.Within = *within
		w := stdout
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		switch {
		case strings.HasSuffix(*out, ".xlsx"):
			err = housenumber.WriteXLSX(w, rep)
		case strings.HasSuffix(*out, ".geojson"):
			err = json.NewEncoder(w).Encode(rep.GeoJSON())
		default:
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			err = enc.Encode(rep)
		}
		if err == nil && *out != "" {
			fmt.Fprintf(stdout, "%d house numbers checked, %d findings; written to %s\n", rep.Numbers, len(rep.Findings), *out)
		}
		return err
	}
	return fmt.Errorf("%w: unknown housenumbers command %q\nusage: fangyuan %s", errUsage, args[0], houseNumbersUsage)
}
