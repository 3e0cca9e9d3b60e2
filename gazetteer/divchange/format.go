package divchange

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"fangyuan/gazetteer"
)

// Sheet names of the report workbook.
const (
	SheetChanges = "变更 changes"
	SheetPending = "待定 pending"
)

var kindLabels = map[Kind]string{
	Recoded: "recoded 改代码", Renamed: "renamed 更名", Reparented: "reparented 改隶属", Merged: "merged 合并",
	Split: "split 拆分", Retired: "retired 撤销", New: "new 新设",
}

var changeHeader = []string{"report_id", "valid_from", "kind", "level", "old_code", "new_code", "old_name", "new_name", "old_parent", "new_parent", "ambiguous", "note"}

var pendingHeader = []string{"report_id", "entity", "id", "field", "code", "candidates", "reason", "label"}

func levelName(l int) string { return gazetteer.Level(l).String() }

func changeRecord(r *Report, c Change) []string {
	return []string{fmt.Sprint(r.ID), r.ValidFrom, string(c.Kind), levelName(c.Level), c.OldCode, c.NewCode, c.OldName, c.NewName,
		c.OldParent, c.NewParent, fmt.Sprint(c.Ambiguous), c.Note}
}

func pendingRecord(r *Report, p Pending) []string {
	return []string{fmt.Sprint(r.ID), p.Entity, fmt.Sprint(p.ID), p.Field, p.Code, strings.Join(p.Candidates, " "), p.Reason, p.Label}
}

// WriteCSV writes the change rows of the reports (UTF-8 with a BOM, for Excel).
func WriteCSV(w io.Writer, reports []*Report) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(changeHeader)
	for _, r := range reports {
		for _, c := range r.Changes {
			_ = cw.Write(changeRecord(r, c))
		}
	}
	cw.Flush()
	return cw.Error()
}

// WritePendingCSV writes the pending records of a report.
func WritePendingCSV(w io.Writer, r *Report) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(pendingHeader)
	for _, p := range r.Pending {
		_ = cw.Write(pendingRecord(r, p))
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the reports as a workbook: the change rows, and the pending records of
// the reports that carry them.
func WriteXLSX(w io.Writer, reports []*Report) error {
	f := excelize.NewFile()
	defer f.Close()
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetChanges); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetPending); err != nil {
		return err
	}
	write := func(sheet string, head []string, rows [][]string) error {
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return err
		}
		hr := make([]any, len(head))
		for i, h := range head {
			hr[i] = excelize.Cell{StyleID: header, Value: h}
		}
		if err := sw.SetRow("A1", hr); err != nil {
			return err
		}
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v
			}
			if err := sw.SetRow(cell, vals); err != nil {
				return err
			}
		}
		return sw.Flush()
	}
	var crows, prows [][]string
	for _, r := range reports {
		for _, c := range r.Changes {
			crows = append(crows, changeRecord(r, c))
		}
		for _, p := range r.Pending {
			prows = append(prows, pendingRecord(r, p))
		}
	}
	if err := write(SheetChanges, changeHeader, crows); err != nil {
		return err
	}
	if err := write(SheetPending, pendingHeader, prows); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// WriteText prints the report for a person: the counts, every change, the records that
// follow and those that wait.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	what := fmt.Sprintf("report %d", r.ID)
	if r.DryRun {
		what = "dry run, nothing written"
	}
	fmt.Fprintf(&b, "division changes valid from %s, %s (%s), provinces %s\n", r.ValidFrom, r.Source, what, strings.Join(r.Provinces, ","))
	if r.Empty() {
		b.WriteString("no changes: the gazetteer already holds this table\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("units:")
	for _, k := range []Kind{New, Retired, Renamed, Reparented, Recoded, Merged, Split} {
		fmt.Fprintf(&b, " %d %s,", r.Summary.Changes[k], k)
	}
	fmt.Fprintf(&b, " %d old→new mapping rows\n", r.Summary.Mapping)
	b.WriteString("records that follow:")
	for _, e := range Entities {
		fmt.Fprintf(&b, " %d %s,", r.Summary.Moved[e], e)
	}
	b.WriteString("\nrecords that wait for a decision:")
	for _, e := range Entities {
		fmt.Fprintf(&b, " %d %s,", r.Summary.Pending[e], e)
	}
	b.WriteString("\n\n")
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "%-18s %-10s %s\n", kindLabels[c.Kind], levelName(c.Level), describe(c))
	}
	if len(r.Pending) > 0 {
		fmt.Fprintf(&b, "\npending (%d): decide where these belong\n", len(r.Pending))
		for _, p := range r.Pending {
			fmt.Fprintf(&b, "%s %d %s (%s=%s): %s; candidates %s\n", p.Entity, p.ID, p.Label, p.Field, p.Code, p.Reason, strings.Join(p.Candidates, " "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describe(c Change) string {
	var s string
	switch c.Kind {
	case New:
		s = fmt.Sprintf("%s %s (under %s)", c.NewCode, c.NewName, c.NewParent)
	case Retired:
		s = fmt.Sprintf("%s %s (was under %s)", c.OldCode, c.OldName, c.OldParent)
	case Renamed:
		s = fmt.Sprintf("%s → %s: %s → %s", c.OldCode, c.NewCode, c.OldName, c.NewName)
	case Reparented:
		s = fmt.Sprintf("%s → %s %s: parent %s → %s", c.OldCode, c.NewCode, c.NewName, c.OldParent, c.NewParent)
	default:
		s = fmt.Sprintf("%s %s → %s %s", c.OldCode, c.OldName, c.NewCode, c.NewName)
	}
	if c.Ambiguous {
		s += " [ambiguous]"
	}
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	return s
}
