package importers

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/geojson"

	"fangyuan/gazetteer/placename"
	"fangyuan/importers/parse"
)

// aliasSeparators split an aliases cell: 简称A;简称B, A、B, A，B.
var aliasSeparators = func(r rune) bool { return strings.ContainsRune(";；、,，|", r) }

// PlaceNames imports place names (地名) from a census export: CSV (points from lon/lat
// or 经度/纬度 columns), GeoJSON or a Shapefile, upserting by (division, category, name).
// Each row's admin code must name a current division (without one, the division whose
// boundary covers the geometry is used). New names get a naming act; changed ones are
// audited with before/after.
func PlaceNames(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "place names", Source: name}
	phase(opts, "reading %s", name)
	res, err := parse.ReadPlaceNames(fsys, name, parse.PlaceNameOptions{Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Rows) + len(res.Rejects)
	rejects := res.Rejects
	store := placename.NewStore(pool)
	type pending struct {
		in  placename.Input
		row parse.PlaceNameRow
	}
	var rows []pending
	reject := func(r parse.PlaceNameRow, field, format string, args ...any) {
		rejects = append(rejects, parse.Reject{Err: parse.Error{File: name, Line: r.Line, Feature: r.Index, Field: field, Reason: fmt.Sprintf(format, args...)}, Raw: r.Raw})
	}
	for _, r := range res.Rows {
		v := r.Values
		in := placename.Input{Line: r.Line, Name: v["name"], Pinyin: v["pinyin"], Category: v["category"], AdminCode: v["admin_code"],
			Aliases: strings.FieldsFunc(v["aliases"], aliasSeparators), Origin: v["origin"], Meaning: v["meaning"], History: v["history"],
			HeritageLevel: v["heritage_level"], HeritageList: v["heritage_list"], ApprovalNo: v["approval_no"], ApprovedOn: v["approved_on"]}
		if in.Line == 0 {
			in.Line = r.Index
		}
		if e := in.Normalize(); e != nil {
			reject(r, e.Field, "%s", e.Reason)
			continue
		}
		in.Geometry = r.Geometry
		if in.AdminCode == "" {
			if in.Geometry == nil {
				reject(r, "admin_code", "empty, and no geometry to find the division by")
				continue
			}
			gj, err := geojson.NewGeometry(in.Geometry).MarshalJSON()
			if err != nil {
				reject(r, "geometry", "%v", err)
				continue
			}
			code, err := store.AdminCodeAt(ctx, gj)
			if err != nil {
				return sum, err
			}
			if code == "" {
				reject(r, "admin_code", "empty, and the geometry lies in no division's boundary")
				continue
			}
			in.AdminCode = code
		}
		rows = append(rows, pending{in, r})
	}
	// Admin codes must name current divisions; the key must be unique in the file.
	var codes []string
	seenCode := map[string]bool{}
	for _, p := range rows {
		if !seenCode[p.in.AdminCode] {
			seenCode[p.in.AdminCode] = true
			codes = append(codes, p.in.AdminCode)
		}
	}
	current, err := placename.CurrentCodes(ctx, pool, codes)
	if err != nil {
		return sum, err
	}
	first := map[[3]string]int{}
	inputs := make([]placename.Input, 0, len(rows))
	for _, p := range rows {
		if !current[p.in.AdminCode] {
			reject(p.row, "admin_code", "%s names no current division", p.in.AdminCode)
			continue
		}
		k := [3]string{p.in.AdminCode, p.in.Category, p.in.Name}
		if at, dup := first[k]; dup {
			reject(p.row, "name", "%s (category %s, %s) is already at %s %d of this file", p.in.Name, p.in.Category, p.in.AdminCode, where(res.Format), at)
			continue
		}
		first[k] = p.in.Line
		inputs = append(inputs, p.in)
	}
	if err := handleRejects(opts, res.Fields, sortRejects(rejects), &sum); err != nil {
		return sum, err
	}
	phase(opts, "writing %d place names", len(inputs))
	err = inTx(ctx, pool, "place_name", &sum, func(tx pgx.Tx) error {
		ir, err := store.Import(ctx, tx, inputs, name)
		sum.Changes = ir.Changes
		if len(ir.Repaired) > 0 {
			ls := make([]string, len(ir.Repaired))
			for i, l := range ir.Repaired {
				ls[i] = strconv.Itoa(l)
			}
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d invalid geometries repaired (ST_MakeValid): %s %s", len(ir.Repaired), where(res.Format), strings.Join(ls, ", ")))
		}
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}

func where(format string) string {
	if format == parse.FormatShapefile {
		return "feature"
	}
	return "line"
}
