package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/geo"
	"fangyuan/geo/topology"
	"fangyuan/importers"
	"fangyuan/internal/auth"
)

const boundariesRoundUsage = `boundaries <lines|round|team|package|findings|summary|markers-check> [flags]

  lines derive --level township --within 339901 [--tolerance 30]   lines from the unit polygons in the database
               (geo/topology, as "boundaries derive" on a file: same ids and names)

  round create --name 第五轮 --year 2026 [--unit 339901] [--lines L1,L2] [--status open]
  round list
  round show R
  team create --round R --name 第一组 [--leader 李明] --lines L1,L2
  package --round R --team T -o DIR [--crs wgs84|gcj02]
  findings --round R [--team T] [--crs wgs84|gcj02] [--skip-invalid] [--reject-file F] FILE.geojson|FILE.csv
  summary --round R -o summary.xlsx
  markers-check [--tolerance 30] [--max-offset 50]

R and T are a round's or team's id or name. Lines are named by their id (ext_id).`

// cmdBoundariesRound runs the inspection-round subcommands of `fangyuan boundaries`
// (round, team, package, findings, summary, markers-check). handled is false for any other
// subcommand, which the caller dispatches itself (derive, check).
func cmdBoundariesRound(ctx context.Context, sub string, args []string, stdout io.Writer) (handled bool, err error) {
	switch sub {
	case "lines", "round", "team", "package", "findings", "summary", "markers-check":
	default:
		return false, nil
	}
	ctx = auth.CLIContext(ctx)
	fs := newFlags("boundaries "+sub, boundariesRoundUsage)
	var (
		name      = fs.String("name", "", "round or team: its name")
		year      = fs.Int("year", 0, "round: the year")
		unit      = fs.String("unit", "", "round: every line with a side in this unit (division code)")
		lines     = fs.String("lines", "", "round or team: line ids, comma-separated")
		status    = fs.String("status", "", "round: planned, open or closed (default open)")
		leader    = fs.String("leader", "", "team: its leader")
		roundRef  = fs.String("round", "", "the round (id or name)")
		teamRef   = fs.String("team", "", "the team (id or name)")
		out       = fs.String("o", "", "package: output directory; summary: the XLSX file")
		crsName   = fs.String("crs", "wgs84", "package/findings: wgs84 or gcj02")
		skip      = fs.Bool("skip-invalid", false, "findings: apply the good rows, write the bad ones to the reject file")
		rejects   = fs.String("reject-file", "", "findings: where rejected rows go (default FILE.rejects.csv)")
		encoding  = fs.String("encoding", "", "findings: utf-8, gbk or gb18030 (default: detected)")
		tolerance = fs.Float64("tolerance", 0, "markers-check: metres from a three-unit junction; lines derive: the snapping tolerance (default 30)")
		maxOffset = fs.Float64("max-offset", 0, "markers-check: metres from the line (default 50)")
		level     = fs.String("level", "", "lines derive: province|prefecture|county|township|village")
		within    = fs.String("within", "", "lines derive: the parent unit (division code)")
	)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return true, err
	}
	crs, err := geo.ParseCRS(*crsName)
	if err != nil || (crs != geo.WGS84 && crs != geo.GCJ02) {
		return true, fmt.Errorf("%w: --crs must be wgs84 or gcj02", errUsage)
	}
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	pool, err := openDB(ctx)
	if err != nil {
		return true, err
	}
	defer pool.Close()
	store := boundary.NewStore(pool)
	printJSON := func(v any) error {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	round := func() (boundary.Round, error) {
		if *roundRef == "" {
			return boundary.Round{}, fmt.Errorf("%w: --round is required", errUsage)
		}
		return store.Round(ctx, *roundRef)
	}
	action := ""
	if len(pos) > 0 {
		action = pos[0]
	}
	switch sub {
	case "lines":
		if action != "derive" || *level == "" || *within == "" {
			return true, fmt.Errorf("%w: boundaries lines derive --level L --within CODE", errUsage)
		}
		lv, err := gazetteer.ParseLevel(*level)
		if err != nil {
			return true, fmt.Errorf("%w: --level: %v", errUsage, err)
		}
		_, prefix, err := boundary.UnitCode(*within)
		if err != nil {
			return true, fmt.Errorf("%w: --within: %v", errUsage, err)
		}
		sum := importers.Summary{What: "boundary lines (derived)", Source: "db:" + lv.String() + "/" + prefix}
		var findings []topology.Finding
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			res, err := store.DeriveLines(ctx, tx, boundary.DeriveOptions{Level: int(lv), UnitPrefix: prefix, ToleranceM: *tolerance}, sum.Source)
			if err != nil {
				return err
			}
			problems, ch := res.Problems, res.Changes
			findings = res.Findings
			if len(problems) > 0 {
				var msgs []string
				for _, p := range problems {
					msgs = append(msgs, fmt.Sprintf("line %d: %s: %s", p.Index, p.Field, p.Reason))
				}
				return fmt.Errorf("%d derived line(s) cannot be stored; nothing was written:\n  %s", len(problems), strings.Join(msgs, "\n  "))
			}
			sum.Changes = ch
			return auth.Record(ctx, tx, auth.Entry{Action: "derive", Entity: "boundary_line", Key: sum.Source, Detail: sum})
		})
		if err != nil {
			return true, err
		}
		fmt.Fprintln(stdout, sum)
		if len(findings) > 0 {
			fmt.Fprintf(stdout, "left over (not lines): %s; run `fangyuan boundaries check --db --level %s --within %s` for them\n", countKinds(findings), lv, prefix)
			for _, f := range findings {
				fmt.Fprintf(stdout, "  %s %s %.0f m²\n", f.Kind, strings.Join(f.Codes, ","), f.AreaM2)
			}
		}
		return true, nil
	case "round":
		switch action {
		case "create":
			in := boundary.RoundInput{Name: *name, Year: *year, Lines: split(*lines), Status: *status}
			if *unit != "" {
				if in.ScopeUnit, in.UnitPrefix, err = boundary.UnitCode(*unit); err != nil {
					return true, fmt.Errorf("%w: --unit: %v", errUsage, err)
				}
			}
			r, err := store.CreateRound(ctx, in)
			if err != nil {
				return true, err
			}
			fmt.Fprintf(stdout, "round %d %s (%d): %d lines\n", r.ID, r.Name, r.Year, r.Lines)
			return true, nil
		case "list":
			rs, err := store.Rounds(ctx)
			if err != nil {
				return true, err
			}
			for _, r := range rs {
				fmt.Fprintf(stdout, "%d\t%s\t%d\t%s\t%d lines\n", r.ID, r.Name, r.Year, r.Status, r.Lines)
			}
			return true, nil
		case "show":
			if len(pos) != 2 {
				return true, fmt.Errorf("%w: boundaries round show R", errUsage)
			}
			r, err := store.Round(ctx, pos[1])
			if err != nil {
				return true, err
			}
			return true, printJSON(r)
		}
		return true, fmt.Errorf("%w: boundaries round create|list|show\nusage: fangyuan %s", errUsage, boundariesRoundUsage)
	case "team":
		if action != "create" {
			return true, fmt.Errorf("%w: boundaries team create ...\nusage: fangyuan %s", errUsage, boundariesRoundUsage)
		}
		r, err := round()
		if err != nil {
			return true, err
		}
		t, err := store.CreateTeam(ctx, r.ID, boundary.TeamInput{Name: *name, Leader: *leader, Lines: split(*lines)})
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "team %d %s of %s: %d lines, %d markers\n", t.ID, t.Name, r.Name, t.Lines, t.Markers)
		return true, nil
	case "package":
		if *out == "" || *teamRef == "" {
			return true, fmt.Errorf("%w: boundaries package --round R --team T -o DIR", errUsage)
		}
		r, err := round()
		if err != nil {
			return true, err
		}
		teamID, err := store.TeamID(ctx, r.ID, *teamRef)
		if err != nil {
			return true, err
		}
		man, err := store.WritePackage(ctx, r.ID, teamID, crs, *out)
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "package %d for %s %s (%s): %d lines, %d markers, %d previous findings in %s\n",
			man.PackageID, r.Name, man.Team.Name, man.CRS, man.Counts["lines"], man.Counts["markers"], man.Counts["findings"], *out)
		for _, f := range man.Files {
			fmt.Fprintf(stdout, "  %s  %s  %d bytes\n", f.SHA256, f.Name, f.Bytes)
		}
		return true, nil
	case "findings":
		if len(pos) != 1 {
			return true, fmt.Errorf("%w: boundaries findings --round R FILE", errUsage)
		}
		if _, err := os.Stat(pos[0]); err != nil {
			return true, err
		}
		r, err := round()
		if err != nil {
			return true, err
		}
		opts := importers.FindingOptions{RoundID: r.ID, CRS: crs,
			Options: importers.Options{SkipInvalid: *skip, RejectFile: *rejects, Encoding: *encoding, Log: os.Stderr}}
		if opts.RejectFile == "" {
			opts.RejectFile = pos[0] + ".rejects.csv"
		}
		if *teamRef != "" {
			if opts.TeamID, err = store.TeamID(ctx, r.ID, *teamRef); err != nil {
				return true, err
			}
		}
		sum, err := importers.Findings(ctx, pool, importers.HostFS{}, pos[0], opts)
		if err != nil {
			return true, err
		}
		fmt.Fprintln(stdout, sum)
		return true, nil
	case "summary":
		if *out == "" {
			return true, fmt.Errorf("%w: boundaries summary --round R -o summary.xlsx", errUsage)
		}
		r, err := round()
		if err != nil {
			return true, err
		}
		f, err := os.Create(*out)
		if err != nil {
			return true, err
		}
		if err := store.WriteSummaryXLSX(ctx, f, r.ID); err != nil {
			f.Close()
			return true, err
		}
		if err := f.Close(); err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "summary of %s written to %s\n", r.Name, *out)
		return true, nil
	case "markers-check":
		probs, err := store.CheckMarkers(ctx, boundary.CheckOptions{JunctionTolerance: *tolerance, MaxOffset: *maxOffset})
		if err != nil {
			return true, err
		}
		for _, p := range probs {
			kind := "warning"
			if p.Reject {
				kind = "error"
			}
			fmt.Fprintf(stdout, "%s: marker %s (line %s): %s: %s\n", kind, p.Number, p.Line, p.Field, p.Reason)
		}
		fmt.Fprintf(stdout, "%d problem(s)\n", len(probs))
		return true, nil
	}
	return false, nil
}
