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

	"fangyuan/coverage"
	"fangyuan/coverage/facility"
	"fangyuan/gazetteer"
	"fangyuan/geo"
	"fangyuan/importers/parse"
)

// BoundaryOptions control a boundary import.
type BoundaryOptions struct {
	Options
	Level     gazetteer.Level
	CodeField string // property with the division code; empty: detected (code, adcode, 区划代码 ...)
	NameField string
}

// Boundaries attaches polygons from a GeoJSON or Shapefile to the current divisions of a
// level. Invalid polygons are repaired (ST_MakeValid) and reported. Features whose code
// matches no division of that level are listed and fail the import unless SkipInvalid.
func Boundaries(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts BoundaryOptions) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "boundaries (" + opts.Level.String() + ")", Source: name}
	phase(opts.Options, "reading %s", name)
	res, err := parse.ReadBoundaries(fsys, name, parse.BoundaryOptions{CodeField: opts.CodeField, NameField: opts.NameField, Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Features) + len(res.Rejects)
	rejects := res.Rejects
	feats := make([]gazetteer.BoundaryInput, 0, len(res.Features))
	byIndex := map[int]parse.BoundaryFeature{}
	for _, f := range res.Features {
		code, lvl, err := gazetteer.PadCode(f.Code)
		if err == nil && lvl != opts.Level {
			err = fmt.Errorf("code %s is a %s code, not %s", f.Code, lvl, opts.Level)
		}
		if err != nil {
			rejects = append(rejects, featureReject(res.Source, f.Index, f.Props, "code", err.Error()))
			continue
		}
		byIndex[f.Index] = f
		feats = append(feats, gazetteer.BoundaryInput{Index: f.Index, Code: code, Geometry: f.Geometry})
	}
	gz := gazetteer.NewStore(pool)
	var problems []gazetteer.BoundaryProblem
	// The unmatched features are known only inside the transaction: a failing import
	// rolls back, so nothing is written.
	err = inTx(ctx, pool, "admin_unit.geom", &sum, func(tx pgx.Tx) error {
		if err := handleRejects(opts.Options, res.Fields, rejects, &sum); err != nil {
			return err
		}
		var err error
		phase(opts.Options, "writing %d boundaries", len(feats))
		sum.Changes, problems, err = gz.ImportBoundaries(ctx, tx, opts.Level, feats, name)
		if err != nil {
			return err
		}
		var unmatched []parse.Reject
		for _, p := range problems {
			f := byIndex[p.Index]
			switch {
			case p.Unmatched:
				unmatched = append(unmatched, featureReject(res.Source, p.Index, f.Props, "code",
					fmt.Sprintf("no current %s with code %s", opts.Level, f.Code)))
			case p.Empty:
				unmatched = append(unmatched, featureReject(res.Source, p.Index, f.Props, "geometry", "empty after repair"))
			case p.Repaired != "":
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s:feature %d (%s): invalid geometry repaired: %s", name, p.Index, f.Code, p.Repaired))
			}
		}
		if len(unmatched) > 0 {
			if err := handleRejects(opts.Options, res.Fields, append(rejects, unmatched...), &sum); err != nil {
				return err
			}
		}
		n, err := facility.AssignAdminCodes(ctx, tx)
		if n > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d facilities got their admin code from these boundaries", n))
		}
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// featureReject makes a reject for feature index with its properties as the raw record.
func featureReject(src parse.Source, index int, props map[string]string, field, reason string) parse.Reject {
	raw := make([]string, len(src.Fields))
	for i, f := range src.Fields {
		raw[i] = props[f]
	}
	return parse.Reject{Err: parse.Error{File: src.Path, Feature: index, Field: field, Reason: reason}, Raw: raw}
}

// FacilityOptions control a facility import.
type FacilityOptions struct {
	Options
	Kind string
	CRS  geo.CRS
	// Standards are the service standards in force: Kind must be one of their
	// kinds. nil: the built-in standards.
	Standards *coverage.Standards
}

// Facilities imports facilities of one kind from CSV (lon/lat columns) or GeoJSON points,
// converting GCJ-02/BD-09 coordinates to WGS84 and assigning admin codes by point in
// polygon where boundaries exist.
func Facilities(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts FacilityOptions) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "facilities (" + opts.Kind + ")", Source: name}
	if _, err := facility.KindByID(opts.Standards, opts.Kind); err != nil {
		return sum, err
	}
	phase(opts.Options, "reading %s", name)
	res, err := parse.ReadFacilities(fsys, name, parse.FacilityOptions{CRS: opts.CRS, Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Rows) + len(res.Rejects)
	rejects := res.Rejects
	rows := make([]facility.Input, 0, len(res.Rows))
	for _, r := range res.Rows {
		in := facility.Input{Line: r.Line, ExtID: r.ID, Name: r.Name, Beds: r.Beds, NursingBeds: r.NursingBeds, DementiaBeds: r.DementiaBeds,
			Status: r.Status, Lon: r.Lon, Lat: r.Lat, Address: r.Address}
		if r.AdminCode != "" {
			code, _, err := gazetteer.PadCode(r.AdminCode)
			if err != nil {
				rejects = append(rejects, parse.Reject{Err: parse.Error{File: name, Line: r.Line, Field: "admin_code", Reason: err.Error()}, Raw: nil})
				continue
			}
			in.AdminCode = code
		}
		rows = append(rows, in)
	}
	// An admin code in the file must name a current division.
	rows, rejects, err = knownAdminCodes(ctx, pool, name, rows, rejects)
	if err != nil {
		return sum, err
	}
	if err := handleRejects(opts.Options, res.Fields, rejects, &sum); err != nil {
		return sum, err
	}
	phase(opts.Options, "writing %d facilities", len(rows))
	store := facility.NewStore(pool).WithStandards(opts.Standards)
	err = inTx(ctx, pool, "facility", &sum, func(tx pgx.Tx) error {
		ir, err := store.Import(ctx, tx, opts.Kind, rows, name)
		sum.Changes = ir.Changes
		if len(ir.Outside) > 0 {
			lines := make([]string, len(ir.Outside))
			for i, l := range ir.Outside {
				lines[i] = strconv.Itoa(l)
			}
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d facilities lie outside every imported boundary (lines %s); imported without an admin code", len(ir.Outside), strings.Join(lines, ", ")))
		}
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// Roads imports roads with their numbering rules from GeoJSON or a Shapefile, upserting by
// (admin code, name).
func Roads(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "roads", Source: name}
	phase(opts, "reading %s", name)
	res, err := parse.ReadRoads(fsys, name, parse.RoadOptions{Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Features) + len(res.Rejects)
	rejects := res.Rejects
	roads := make([]gazetteer.RoadInput, 0, len(res.Features))
	for _, f := range res.Features {
		in := gazetteer.RoadInput{Name: f.Name, Kind: f.Kind, NumberingOrigin: f.NumberingOrigin, OddSide: f.OddSide, OneSided: f.OneSided, Geometry: f.Geometry}
		if f.AdminCode != "" {
			code, _, err := gazetteer.PadCode(f.AdminCode)
			if err != nil {
				rejects = append(rejects, featureReject(res.Source, f.Index, f.Props, "admin_code", err.Error()))
				continue
			}
			in.AdminCode = code
		}
		roads = append(roads, in)
	}
	if err := handleRejects(opts, res.Fields, rejects, &sum); err != nil {
		return sum, err
	}
	phase(opts, "writing %d roads", len(roads))
	gz := gazetteer.NewStore(pool)
	err = inTx(ctx, pool, "road", &sum, func(tx pgx.Tx) error {
		ch, err := gz.ImportRoads(ctx, tx, roads, name)
		sum.Changes = ch
		return err
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// knownAdminCodes moves the rows whose admin code names no current division to rejects.
func knownAdminCodes(ctx context.Context, pool *pgxpool.Pool, name string, rows []facility.Input, rejects []parse.Reject) ([]facility.Input, []parse.Reject, error) {
	var codes []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.AdminCode != "" && !seen[r.AdminCode] {
			seen[r.AdminCode] = true
			codes = append(codes, r.AdminCode)
		}
	}
	if len(codes) == 0 {
		return rows, rejects, nil
	}
	unknown, err := facility.UnknownAdminCodes(ctx, pool, codes)
	if err != nil || len(unknown) == 0 {
		return rows, rejects, err
	}
	bad := map[string]bool{}
	for _, c := range unknown {
		bad[c] = true
	}
	kept := rows[:0]
	for _, r := range rows {
		if bad[r.AdminCode] {
			rejects = append(rejects, parse.Reject{Err: parse.Error{File: name, Line: r.Line, Field: "admin_code",
				Reason: fmt.Sprintf("%s names no current division (import the divisions first, or leave it empty to assign it from the boundaries)", r.AdminCode)}})
			continue
		}
		kept = append(kept, r)
	}
	return kept, rejects, nil
}
