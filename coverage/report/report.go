// Package report writes coverage results as files planners hand on: CSV (one
// row per township, UTF-8 with a BOM so that Excel shows Chinese), GeoJSON
// (township polygons with their figures, for QGIS or the web map) and XLSX
// (townships, ranked gaps, facilities, villages, counties and notes).
//
// Populations are kept as floats in the engine and rounded to whole persons
// only here; shares are written as fractions (0.8734) in CSV and GeoJSON and as
// percentages in XLSX.
package report

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"fangyuan/coverage"
)

// Formats are the output formats.
var Formats = []string{"csv", "geojson", "xlsx"}

// FormatOf returns the format named by a file's extension, or "".
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv"
	case ".geojson", ".json":
		return "geojson"
	case ".xlsx":
		return "xlsx"
	}
	return ""
}

// Write writes res in format (csv, geojson or xlsx).
func Write(w io.Writer, format string, res *coverage.Result) error {
	switch format {
	case "csv":
		return WriteCSV(w, res)
	case "geojson":
		return WriteGeoJSON(w, res)
	case "xlsx":
		return WriteXLSX(w, res)
	}
	return fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats, ", "))
}

// persons rounds a population to whole persons.
func persons(v float64) int64 { return int64(math.Round(v)) }

// share rounds a share to 4 decimals.
func share(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// flags joins flags for a single text field.
func flags(f []string) string { return strings.Join(f, ";") }

// gapRanks maps "level/code" to the unit's rank in the gap list.
func gapRanks(res *coverage.Result) map[string]int {
	m := make(map[string]int, len(res.Gaps))
	for _, g := range res.Gaps {
		m[string(g.Level)+"/"+g.Code] = g.Rank
	}
	return m
}

// capacityColumns are the column names of a kind's capacity ratios: for each
// ratio the field and what it needs.
func capacityColumns(std coverage.Standard) []string {
	var cols []string
	for _, r := range std.Capacity {
		cols = append(cols, r.Field, r.Field+"_needed")
	}
	return cols
}

func capacityValues(u coverage.UnitResult) []any {
	var v []any
	for _, c := range u.Capacity {
		v = append(v, persons(c.Have), persons(math.Ceil(c.Need-1e-9)))
	}
	return v
}

// countyOf is the county code of a township (its Parent).
func countyOf(u coverage.UnitResult) string { return u.Parent }
