package importers

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/geo"
	"fangyuan/importers/parse"
)

// BoundaryLines stores official (or derived) boundary lines from GeoJSON or a Shapefile
// with left/right codes, upserting by line id (the id property, else the name). Codes that
// are no current division fail the import (or go to the reject file).
func BoundaryLines(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts Options, origin string) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "boundary lines", Source: name}
	if origin == "" {
		origin = boundary.OriginImported
	}
	phase(opts, "reading %s", name)
	res, err := parse.ReadBoundaryLines(fsys, name, parse.LineOptions{Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Features) + len(res.Rejects)
	rejects := res.Rejects
	var lines []boundary.LineInput
	byIndex := map[int]parse.LineFeature{}
	for _, f := range res.Features {
		left, ll, err := gazetteer.PadCode(f.LeftCode)
		if err != nil {
			rejects = append(rejects, lineReject(res, f.Index, "left_code", err.Error()))
			continue
		}
		right, rl, err := gazetteer.PadCode(f.RightCode)
		if err != nil {
			rejects = append(rejects, lineReject(res, f.Index, "right_code", err.Error()))
			continue
		}
		if ll != rl {
			rejects = append(rejects, lineReject(res, f.Index, "right_code", fmt.Sprintf("a %s code beside a %s code: a line separates two units of one level", rl, ll)))
			continue
		}
		level := ll
		if f.Level != "" {
			lv, err := parseLevelWord(f.Level)
			if err != nil {
				rejects = append(rejects, lineReject(res, f.Index, "level", err.Error()))
				continue
			}
			if lv != ll {
				rejects = append(rejects, lineReject(res, f.Index, "level", fmt.Sprintf("%s, but the codes are %s codes", lv, ll)))
				continue
			}
		}
		byIndex[f.Index] = f
		lines = append(lines, boundary.LineInput{Index: f.Index, ExtID: f.ID, Name: f.Name, LeftCode: left, RightCode: right, Level: int(level), Geometry: f.Geometry})
	}
	store := boundary.NewStore(pool)
	// Every problem, from the file and from the database, is reported at once; a failing
	// import rolls back.
	err = inTx(ctx, pool, "boundary_line", &sum, func(tx pgx.Tx) error {
		phase(opts, "writing %d boundary lines", len(lines))
		ch, problems, err := store.ImportLines(ctx, tx, lines, origin, name)
		if err != nil {
			return err
		}
		sum.Changes = ch
		more := append([]parse.Reject(nil), rejects...)
		for _, p := range problems {
			more = append(more, lineReject(res, p.Index, p.Field, p.Reason+" ("+byIndex[p.Index].LeftCode+"/"+byIndex[p.Index].RightCode+")"))
		}
		return handleRejects(opts, res.Fields, sortRejects(more), &sum)
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// parseLevelWord accepts a level name (county), its number (3) or 县级-style words.
func parseLevelWord(s string) (gazetteer.Level, error) {
	switch s {
	case "1", "省级":
		return gazetteer.Province, nil
	case "2", "地级", "市级":
		return gazetteer.Prefecture, nil
	case "3", "县级":
		return gazetteer.County, nil
	case "4", "乡级", "乡镇级":
		return gazetteer.Township, nil
	case "5", "村级":
		return gazetteer.Village, nil
	}
	return gazetteer.ParseLevel(s)
}

func lineReject(res parse.LineResult, index int, field, reason string) parse.Reject {
	return parse.Reject{Err: parse.Error{File: res.Path, Feature: index, Field: field, Reason: reason}}
}

// MarkerOptions control a marker import.
type MarkerOptions struct {
	Options
	CRS    geo.CRS
	Checks boundary.CheckOptions
}

// Markers imports boundary markers (界桩) from CSV (UTF-8/GBK) or GeoJSON, upserting by
// number. A three-way marker not where three units meet, or one naming an unknown line,
// fails the import (or goes to the reject file); markers far from their line are warnings.
func Markers(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts MarkerOptions) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "boundary markers", Source: name}
	phase(opts.Options, "reading %s", name)
	res, err := parse.ReadMarkers(fsys, name, parse.MarkerOptions{CRS: opts.CRS, Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Rows) + len(res.Rejects)
	rows := make([]boundary.MarkerInput, len(res.Rows))
	byIdx := map[int]parse.MarkerRow{}
	for i, r := range res.Rows {
		idx := i + 1
		byIdx[idx] = r
		rows[i] = boundary.MarkerInput{Index: idx, Number: r.Number, LineRef: r.LineRef, Kind: r.Kind, Condition: r.Condition,
			Lon: r.Lon, Lat: r.Lat, Photos: r.Photos, InstalledOn: r.InstalledOn, LastInspected: r.LastInspected, Notes: r.Notes}
	}
	store := boundary.NewStore(pool)
	err = inTx(ctx, pool, "boundary_marker", &sum, func(tx pgx.Tx) error {
		phase(opts.Options, "writing %d markers", len(rows))
		ch, problems, err := store.ImportMarkers(ctx, tx, rows, name, opts.Checks)
		if err != nil {
			return err
		}
		sum.Changes = ch
		more := append([]parse.Reject(nil), res.Rejects...)
		for _, p := range problems {
			r := byIdx[p.Index]
			e := parse.Error{File: name, Line: r.Line, Feature: r.Feature, Field: p.Field, Reason: fmt.Sprintf("marker %s: %s", p.Number, p.Reason)}
			if p.Reject {
				more = append(more, parse.Reject{Err: e})
			} else {
				sum.Warnings = append(sum.Warnings, e.Error())
			}
		}
		return handleRejects(opts.Options, res.Fields, sortRejects(more), &sum)
	})
	sum.Duration = time.Since(start)
	return sum, err
}

// FindingOptions control a findings import.
type FindingOptions struct {
	Options
	RoundID int64
	TeamID  int64 // 0: each marker's team from the round's assignments
	CRS     geo.CRS
}

// FindingsSummary is what a findings import did.
type FindingsSummary struct {
	Summary
	Skipped int `json:"skipped"`
	boundary.FindingsResult
}

func (s FindingsSummary) String() string {
	out := fmt.Sprintf("findings from %s: %d read, %d applied, %d unchanged, %d conflicts, %d not visited, %d rejected",
		s.Source, s.Read, s.Applied, s.Unchanged, len(s.Conflicts), s.Skipped, s.Rejected)
	if s.Encoding != "" {
		out += " (" + s.Encoding + ")"
	}
	for _, c := range s.Conflicts {
		rec := ""
		if c.Recorded {
			rec = " (already recorded)"
		}
		out += fmt.Sprintf("\n  conflict: marker %s changed since the package was exported (team had version %d, now %d, changed %s); not overwritten%s",
			c.Number, c.BaseVersion, c.CurrentVersion, c.ChangedAt.UTC().Format(time.RFC3339), rec)
	}
	if s.RejectFile != "" {
		out += "\n  rejected rows written to " + s.RejectFile
	}
	return out
}

// Findings validates a findings file (GeoJSON or CSV) with file:line:field errors and
// applies it to the round in one transaction.
func Findings(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string, opts FindingOptions) (FindingsSummary, error) {
	start := time.Now()
	sum := FindingsSummary{Summary: Summary{What: "findings", Source: name}}
	res, err := parse.ReadFindings(fsys, name, parse.FindingOptions{CRS: opts.CRS, Encoding: opts.Encoding})
	if err != nil {
		return sum, err
	}
	sum.Encoding = res.Encoding
	sum.Read = len(res.Rows) + len(res.Rejects) + res.Skipped
	sum.Skipped = res.Skipped
	rows := make([]boundary.FindingInput, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = boundary.FindingInput{Line: r.Line, Feature: r.Feature, Number: r.Number, Condition: r.Condition, HasPoint: r.HasPoint,
			Lon: r.Lon, Lat: r.Lat, Notes: r.Notes, Photos: r.Photos, Inspector: r.Inspector, InspectedOn: r.InspectedOn, Version: r.Version}
	}
	store := boundary.NewStore(pool)
	err = inTx(ctx, pool, "inspection_finding", &sum.Summary, func(tx pgx.Tx) error {
		fr, problems, err := store.ImportFindings(ctx, tx, opts.RoundID, opts.TeamID, rows, name)
		if err != nil {
			return err
		}
		sum.FindingsResult = fr
		sum.Updated, sum.Unchanged = fr.Applied, fr.Unchanged
		more := append([]parse.Reject(nil), res.Rejects...)
		for _, p := range problems {
			more = append(more, parse.Reject{Err: parse.Error{File: name, Line: p.Line, Feature: p.Feature, Field: p.Field, Reason: p.Reason}})
		}
		return handleRejects(opts.Options, res.Fields, sortRejects(more), &sum.Summary)
	})
	sum.Duration = time.Since(start)
	return sum, err
}
