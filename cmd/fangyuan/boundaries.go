package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/paulmach/orb/geojson"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/geo/topology"
	"fangyuan/importers"
	"fangyuan/importers/parse"
)

const boundariesUsage = `boundaries <command> [flags] FILE

  derive --level county [--code-field code] [--name-field name] [--tolerance 30] FILE -o lines.geojson
         boundary lines (界线) between neighbouring units, from a GeoJSON or Shapefile of
         division polygons, no database: one feature per pair of neighbours with id, name,
         left_code, right_code, level, length_m (geodesic, metres)
  check  --level county [--code-field code] [--parents P.geojson] [--tolerance 30] FILE -o problems.geojson
         topology problems: gaps, overlaps, slivers between the units, and with --parents
         units outside their parent and parents their units do not cover; each feature
         has kind (gap|overlap|sliver|outside_parent|uncovered), codes, area_m2
  check  --db --level township --within 339901 [--tolerance 30] -o problems.geojson
         the same on the unit polygons in the database, against their parents (the level above)

Common flags: --encoding utf-8|gbk|gb18030 (default: detected), --min-area M2 (drop smaller
findings; default tolerance²), --min-sliver M2 (default 10·tolerance²). Output is RFC 7946
GeoJSON (WGS84, outer rings counter-clockwise, no crs member); "-o -" writes to standard output.`

// cmdBoundaries dispatches `fangyuan boundaries <command>`.
func cmdBoundaries(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: fangyuan %s", errUsage, boundariesUsage)
	}
	// Inspection rounds, field packages and findings (on the database): boundaries_round.go.
	if handled, err := cmdBoundariesRound(ctx, args[0], args[1:], stdout); handled {
		return err
	}
	switch args[0] {
	case "derive":
		return cmdBoundariesDerive(ctx, args[1:], stdout)
	case "check":
		return cmdBoundariesCheck(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "Usage: fangyuan "+boundariesUsage+"\n\nOn the database:\n\n  fangyuan "+boundariesRoundUsage)
		return nil
	}
	return fmt.Errorf("%w: unknown boundaries command %q\nusage: fangyuan %s", errUsage, args[0], boundariesUsage)
}

// boundaryFlags are the flags derive and check share.
type boundaryFlags struct {
	level, codeField, nameField, parentField, encoding, out string
	tolerance, minArea, minSliver                           float64
	parentsFile                                             string
	db                                                      bool // check: on the database
	within                                                  string
	lv                                                      gazetteer.Level
}

func (b *boundaryFlags) register(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
}) {
	fs.StringVar(&b.level, "level", "", "level of the units: province|prefecture|county|township|village")
	fs.StringVar(&b.codeField, "code-field", "", "the property holding the division code (default: detected)")
	fs.StringVar(&b.nameField, "name-field", "", "the property holding the name (default: detected)")
	fs.StringVar(&b.parentField, "parent-field", "", "the property holding the parent's code (default: parent_code when present, else the code prefix)")
	fs.StringVar(&b.encoding, "encoding", "", "text encoding: utf-8, gbk or gb18030 (default: detected)")
	fs.StringVar(&b.out, "o", "", "output GeoJSON file (- for standard output)")
	fs.Float64Var(&b.tolerance, "tolerance", topology.DefaultToleranceM, "snapping tolerance in metres")
	fs.Float64Var(&b.minArea, "min-area", 0, "drop findings smaller than this many m² (default tolerance²)")
	fs.Float64Var(&b.minSliver, "min-sliver", 0, "drop slivers smaller than this many m² (default 10·tolerance²)")
}

// parse parses args (flags before or after FILE) and checks them.
func (b *boundaryFlags) parse(name string, args []string) (string, topology.Options, error) {
	fs := newFlags("boundaries "+name, boundariesUsage)
	b.register(fs)
	var parents string
	if name == "check" {
		fs.StringVar(&parents, "parents", "", "the parent units' polygons (GeoJSON or Shapefile), for outside_parent and uncovered")
		fs.BoolVar(&b.db, "db", false, "check the unit polygons in the database (with --within) instead of a FILE")
		fs.StringVar(&b.within, "within", "", "--db: the units within this division code")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", topology.Options{}, err
	}
	b.parentsFile = parents
	var opt topology.Options
	switch {
	case b.db && (len(pos) != 0 || b.within == "" || parents != "" || b.codeField != "" || b.nameField != "" || b.parentField != "" || b.encoding != ""):
		return "", opt, fmt.Errorf("%w: --db takes --level, --within, --tolerance, --min-area, --min-sliver and -o, no FILE\nusage: fangyuan %s", errUsage, boundariesUsage)
	case !b.db && b.within != "":
		return "", opt, fmt.Errorf("%w: --within needs --db\nusage: fangyuan %s", errUsage, boundariesUsage)
	case !b.db && len(pos) != 1:
		return "", opt, fmt.Errorf("%w: want one FILE, got %d\nusage: fangyuan %s", errUsage, len(pos), boundariesUsage)
	case b.level == "":
		return "", opt, fmt.Errorf("%w: --level is required\nusage: fangyuan %s", errUsage, boundariesUsage)
	case b.out == "":
		return "", opt, fmt.Errorf("%w: -o is required\nusage: fangyuan %s", errUsage, boundariesUsage)
	case !(b.tolerance > 0) || math.IsInf(b.tolerance, 0):
		return "", opt, fmt.Errorf("%w: --tolerance %v: want a positive number of metres", errUsage, b.tolerance)
	case b.minArea < 0 || b.minSliver < 0:
		return "", opt, fmt.Errorf("%w: --min-area and --min-sliver are m², not negative", errUsage)
	}
	lv, err := gazetteer.ParseLevel(b.level)
	if err != nil {
		return "", opt, fmt.Errorf("%w: --level: %v", errUsage, err)
	}
	opt = topology.Options{Level: lv.String(), ToleranceM: b.tolerance, MinAreaM2: b.minArea, MinSliverM2: b.minSliver}
	b.lv = lv
	if b.db {
		return "", opt, nil
	}
	return pos[0], opt, nil
}

// readUnits reads division polygons; any rejected feature is an error.
func (b *boundaryFlags) readUnits(path string) ([]topology.Unit, error) {
	res, err := parse.ReadBoundaries(importers.HostFS{}, path, parse.BoundaryOptions{CodeField: b.codeField, NameField: b.nameField, Encoding: b.encoding})
	if err != nil {
		return nil, err
	}
	if n := len(res.Rejects); n > 0 {
		msgs := make([]string, 0, 5)
		for i, r := range res.Rejects {
			if i == 5 {
				msgs = append(msgs, fmt.Sprintf("... and %d more", n-5))
				break
			}
			msgs = append(msgs, r.Err.Error())
		}
		return nil, fmt.Errorf("%d bad feature(s):\n  %s", n, strings.Join(msgs, "\n  "))
	}
	if len(res.Features) == 0 {
		return nil, fmt.Errorf("%s: no features", path)
	}
	parentField := b.parentField
	if parentField != "" && !contains(res.Fields, parentField) {
		return nil, fmt.Errorf("%s: no field %q (fields: %s)", path, parentField, strings.Join(res.Fields, ", "))
	}
	if parentField == "" && contains(res.Fields, "parent_code") {
		parentField = "parent_code"
	}
	units := make([]topology.Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = topology.Unit{Code: f.Code, Name: f.Name, Geom: f.Geometry}
		if parentField != "" {
			units[i].Parent = strings.TrimSpace(f.Props[parentField])
		}
	}
	return units, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func cmdBoundariesDerive(_ context.Context, args []string, stdout io.Writer) error {
	var b boundaryFlags
	file, opt, err := b.parse("derive", args)
	if err != nil {
		return err
	}
	units, err := b.readUnits(file)
	if err != nil {
		return err
	}
	lines, findings, err := topology.Derive(units, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fc := geojson.NewFeatureCollection()
	for _, l := range lines {
		f := geojson.NewFeature(l.Geom)
		f.Properties = geojson.Properties{
			"id": l.ID, "name": l.Name, "left_code": l.LeftCode, "right_code": l.RightCode,
			"left_name": l.LeftName, "right_name": l.RightName, "level": l.Level,
			"length_m": math.Round(l.LengthM*100) / 100, "pieces": len(l.Geom),
		}
		fc.Append(f)
	}
	var total float64
	for _, l := range lines {
		total += l.LengthM
	}
	summary := b.summaryWriter(stdout)
	if err := b.write(fc, stdout); err != nil {
		return err
	}
	fmt.Fprintf(summary, "%d units, %d boundary lines, %.1f km\n", len(units), len(lines), total/1000)
	if len(findings) > 0 {
		fmt.Fprintf(summary, "left over (not lines): %s; run `fangyuan boundaries check` for them\n", countKinds(findings))
	}
	b.wrote(summary)
	return nil
}

func cmdBoundariesCheck(ctx context.Context, args []string, stdout io.Writer) error {
	var b boundaryFlags
	file, opt, err := b.parse("check", args)
	if err != nil {
		return err
	}
	if b.db {
		return cmdBoundariesCheckDB(ctx, &b, opt, stdout)
	}
	units, err := b.readUnits(file)
	if err != nil {
		return err
	}
	var parents []topology.Unit
	if b.parentsFile != "" {
		pb := b
		pb.codeField, pb.nameField, pb.parentField = "", "", ""
		if parents, err = pb.readUnits(b.parentsFile); err != nil {
			return err
		}
	}
	findings, err := topology.Check(units, parents, opt)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return b.writeFindings(findings, len(units), opt, stdout)
}

// cmdBoundariesCheckDB: `boundaries check --db --level L --within CODE`, topology.Check on
// the current unit polygons in the database against their parents.
func cmdBoundariesCheckDB(ctx context.Context, b *boundaryFlags, opt topology.Options, stdout io.Writer) error {
	_, prefix, err := boundary.UnitCode(b.within)
	if err != nil {
		return fmt.Errorf("%w: --within: %v", errUsage, err)
	}
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := boundary.NewStore(pool)
	findings, n, err := store.CheckTopology(ctx, boundary.DeriveOptions{Level: int(b.lv), UnitPrefix: prefix, ToleranceM: opt.ToleranceM, MinAreaM2: opt.MinAreaM2, MinSliverM2: opt.MinSliverM2})
	if err != nil {
		return err
	}
	return b.writeFindings(findings, n, opt, stdout)
}

func (b *boundaryFlags) writeFindings(findings []topology.Finding, units int, opt topology.Options, stdout io.Writer) error {
	fc := geojson.NewFeatureCollection()
	for _, fd := range findings {
		f := geojson.NewFeature(fd.Geom)
		f.Properties = geojson.Properties{
			"kind": fd.Kind, "codes": fd.Codes, "level": opt.Level,
			"area_m2": math.Round(fd.AreaM2*10) / 10, "width_m": math.Round(fd.WidthM*10) / 10,
		}
		if fd.Of != "" {
			f.Properties["of"] = fd.Of
		}
		fc.Append(f)
	}
	summary := b.summaryWriter(stdout)
	if err := b.write(fc, stdout); err != nil {
		return err
	}
	if len(findings) == 0 {
		fmt.Fprintf(summary, "%d units: no topology problems\n", units)
	} else {
		fmt.Fprintf(summary, "%d units: %s\n", units, countKinds(findings))
	}
	b.wrote(summary)
	return nil
}

func countKinds(fs []topology.Finding) string {
	n := map[string]int{}
	for _, f := range fs {
		n[f.Kind]++
	}
	var parts []string
	for _, k := range []string{topology.KindOverlap, topology.KindGap, topology.KindSliver, topology.KindOutsideParent, topology.KindUncovered} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func (b *boundaryFlags) summaryWriter(stdout io.Writer) io.Writer {
	if b.out == "-" {
		return io.Discard
	}
	return stdout
}

func (b *boundaryFlags) write(fc *geojson.FeatureCollection, stdout io.Writer) error {
	enc := func(w io.Writer) error {
		data, err := json.Marshal(fc)
		if err != nil {
			return err
		}
		_, err = w.Write(append(data, '\n'))
		return err
	}
	if b.out == "-" {
		return enc(stdout)
	}
	return writeFileAtomic(b.out, enc)
}

func (b *boundaryFlags) wrote(summary io.Writer) {
	if b.out != "-" {
		fmt.Fprintf(summary, "wrote %s\n", b.out)
	}
}
