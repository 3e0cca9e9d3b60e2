package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"

	"fangyuan/coverage"
)

// CSVHeader is the fixed part of the CSV header; capacity columns (beds,
// beds_needed, ...) follow for kinds with capacity ratios.
var CSVHeader = []string{
	"code", "name", "layer_population", "covered_population", "share", "facilities", "flags",
	"uncovered_population", "not_operating", "county", "gap_rank",
}

// WriteCSV writes one row per township: code, name, layer population, covered
// population, share, operating facilities inside, flags (separated by ";"),
// then uncovered population, facilities not operating, county code and rank
// in the gap list (empty when not flagged), and the capacity columns. UTF-8
// with a byte-order mark, so that Excel opens Chinese names correctly.
func WriteCSV(w io.Writer, res *coverage.Result) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes
	header := append(append([]string{}, CSVHeader...), capacityColumns(res.Standard)...)
	if res.Compare != "" {
		// The second measure beside the run's: e.g. straight_covered_population and
		// straight_only_population (counted by the radius, not reached in time).
		header = append(header, res.Compare+"_covered_population", res.Compare+"_only_population")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	ranks := gapRanks(res)
	for _, u := range res.Townships {
		rank := ""
		if r, ok := ranks[string(u.Level)+"/"+u.Code]; ok {
			rank = strconv.Itoa(r)
		}
		rec := []string{
			u.Code, u.Name,
			strconv.FormatInt(persons(u.Population), 10),
			strconv.FormatInt(persons(u.Covered), 10),
			strconv.FormatFloat(share(u.Share), 'f', 4, 64),
			strconv.Itoa(u.Facilities),
			flags(u.Flags),
			strconv.FormatInt(persons(u.Uncovered), 10),
			strconv.Itoa(u.NotOperating),
			countyOf(u),
			rank,
		}
		for _, v := range capacityValues(u) {
			rec = append(rec, strconv.FormatInt(v.(int64), 10))
		}
		if res.Compare != "" {
			var c coverage.UnitCompare
			if u.Compare != nil {
				c = *u.Compare
			}
			rec = append(rec, strconv.FormatInt(persons(c.Covered), 10), strconv.FormatInt(persons(c.OnlyCompare), 10))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
