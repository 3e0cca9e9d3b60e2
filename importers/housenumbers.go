package importers

import (
	"context"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/importers/parse"
)

// HouseNumbers imports house numbers (门牌) from CSV (UTF-8/GBK), GeoJSON or a Shapefile.
// Each row is matched to a road by name within its township (the admin_code column, else
// the township its point lies in), else to the nearest road within 500 m with a warning.
// Rows are copied (COPY) into a temporary table and written by set-based statements in
// one transaction: numbers on record with the same road, number, suffix and sub-address
// are updated (or unchanged), the others inserted. A row with no road, or repeating an
// earlier row, is rejected with its line like a bad value.
func HouseNumbers(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "house numbers", Source: name}
	phase(opts, "reading %s", name)
	res, err := parse.ReadHouseNumbers(fsys, name, parse.HouseNumberOptions{Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Rows) + len(res.Rejects)
	rejects := res.Rejects
	rows := make([]housenumber.ImportRow, 0, len(res.Rows))
	kept := make([]int32, 0, len(res.Rows)) // index into res.Rows of each row
	for i := range res.Rows {
		r := &res.Rows[i]
		in := housenumber.ImportRow{Line: r.Line, Road: r.Road, Number: r.Number, Suffix: r.Suffix, Building: r.Building,
			Unit: r.Unit, Room: r.Room, Status: r.Status, ValidFrom: r.ValidFrom, Lon: r.Lon, Lat: r.Lat}
		if r.AdminCode != "" {
			code, _, err := gazetteer.PadCode(r.AdminCode)
			if err != nil {
				rejects = append(rejects, parse.Reject{Err: parse.Error{File: name, Line: r.Line, Field: "admin_code", Reason: err.Error()}, Raw: r.Raw})
				continue
			}
			in.AdminCode = code
		}
		rows = append(rows, in)
		kept = append(kept, int32(i))
	}
	if err := handleRejects(opts, res.Fields, rejects, &sum); err != nil {
		return sum, err
	}
	phase(opts, "matching %d house numbers to roads", len(rows))
	err = inTx(ctx, pool, "house_number", &sum, func(tx pgx.Tx) error {
		im := housenumber.NewImporter(tx)
		im.Log = func(format string, args ...any) { phase(opts, "  "+format, args...) }
		problems, err := im.Match(ctx, rows)
		if err != nil {
			return err
		}
		for _, p := range problems {
			r := &res.Rows[kept[p.Index]]
			rejects = append(rejects, parse.Reject{Err: parse.Error{File: name, Line: r.Line, Field: p.Field, Reason: p.Reason}, Raw: r.Raw})
		}
		if len(problems) > 0 {
			if err := handleRejects(opts, res.Fields, rejects, &sum); err != nil {
				return err
			}
		}
		sum.Warnings = append(sum.Warnings, im.Warnings...)
		phase(opts, "writing house numbers")
		sum.Changes, err = im.Write(ctx, name)
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}
