package plan

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Formats Write knows.
var Formats = []string{"table", "json", "csv"}

// Write writes res as format: table (for a terminal), json or csv.
func Write(w io.Writer, format string, res *Result) error {
	switch format {
	case "table", "":
		return WriteTable(w, res)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "csv":
		return WriteCSV(w, res)
	}
	return fmt.Errorf("format %q: want table, json or csv", format)
}

// CSVHeader is the header of WriteCSV.
var CSVHeader = []string{"rank", "id", "label", "lon", "lat", "township", "township_name", "added_population", "for_township", "by_township"}

// WriteCSV writes one row per suggested site; by_township lists
// code:population pairs separated by ";", most first. UTF-8 with a
// byte-order mark, so that Excel opens Chinese names correctly.
func WriteCSV(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, s := range res.Sites {
		parts := make([]string, len(s.ByTownship))
		for i, b := range s.ByTownship {
			parts[i] = b.Code + ":" + strconv.FormatFloat(b.Added, 'f', 1, 64)
		}
		row := []string{strconv.Itoa(s.Rank), s.ID, s.Label, strconv.FormatFloat(s.Lon, 'f', 6, 64), strconv.FormatFloat(s.Lat, 'f', 6, 64),
			s.Township, s.TownshipName, strconv.FormatFloat(s.Added, 'f', 1, 64), s.For, strings.Join(parts, ";")}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteTable writes a summary and the sites as an aligned text table.
func WriteTable(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	pct := func(a, b float64) float64 {
		if b == 0 {
			return 100
		}
		return 100 * a / b
	}
	fmt.Fprintf(bw, "%s %s · %s · %s · target %.0f %% · candidates: %s (%d)\n", res.Kind, res.KindName, res.Mode, res.Reach, 100*res.Target, res.CandidateSource, res.Candidates)
	fmt.Fprintf(bw, "population %s; covered %s (%.1f %%) now, %s (%.1f %%) with the %d sites below\n",
		count(res.Population), count(res.CoveredBefore), pct(res.CoveredBefore, res.Population),
		count(res.CoveredAfter), pct(res.CoveredAfter, res.Population), len(res.Sites))
	fmt.Fprintf(bw, "%4s  %-24s %11s %10s  %-28s %9s  %s\n", "rank", "site", "lon", "lat", "township", "adds", "by township")
	for _, s := range res.Sites {
		var parts []string
		for i, b := range s.ByTownship {
			if i == 4 {
				parts = append(parts, fmt.Sprintf("… %d more", len(s.ByTownship)-4))
				break
			}
			parts = append(parts, fmt.Sprintf("%s %s %s", b.Code, b.Name, count(b.Added)))
		}
		label := s.ID
		if s.Label != "" && s.Label != s.ID {
			label += " " + s.Label
		}
		if s.For != "" {
			label += " (for " + s.For + ")"
		}
		fmt.Fprintf(bw, "%4d  %-24s %11.6f %10.6f  %-28s %9s  %s\n", s.Rank, label, s.Lon, s.Lat,
			strings.TrimSpace(s.Township+" "+s.TownshipName), count(s.Added), strings.Join(parts, "; "))
	}
	below := 0
	for _, t := range res.Townships {
		if !t.MeetsAfter {
			below++
		}
	}
	fmt.Fprintf(bw, "townships below target: %d of %d now", countBelow(res), len(res.Townships))
	fmt.Fprintf(bw, ", %d with the sites\n", below)
	for _, n := range res.Notes {
		fmt.Fprintf(bw, "note: %s\n", n)
	}
	return bw.Flush()
}

func countBelow(res *Result) int {
	n := 0
	for _, t := range res.Townships {
		if !t.MeetsBefore {
			n++
		}
	}
	return n
}

// count formats a population as a whole number with thousands separators.
func count(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(max(n, -n), 10)
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
