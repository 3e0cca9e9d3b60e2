package report

import (
	"fmt"
	"io"
	"math"

	"github.com/xuri/excelize/v2"

	"fangyuan/coverage"
)

// Sheet names of the workbook.
const (
	SheetTownships  = "乡镇 townships"
	SheetGaps       = "缺口排名 gaps"
	SheetFacilities = "设施 facilities"
	SheetVillages   = "村 villages"
	SheetCounties   = "县 counties"
	SheetNotes      = "说明 notes"
)

type xlsxStyles struct {
	header, count, percent, text int
}

// WriteXLSX writes a workbook with the sheets townships (one row per township),
// gaps (every flagged unit, ranked by uncovered population), facilities (every
// facility with its township, whether it counts, and the population it
// reaches), villages and counties (when the run has them) and notes (the run's
// parameters and remarks).
func WriteXLSX(w io.Writer, res *coverage.Result) error {
	f := excelize.NewFile()
	defer f.Close()
	var st xlsxStyles
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return err
	}
	if st.count, err = f.NewStyle(&excelize.Style{NumFmt: 3}); err != nil { // #,##0
		return err
	}
	if st.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return err
	}
	if st.text, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: false}}); err != nil {
		return err
	}
	ranks := gapRanks(res)
	capHeader := func() []string {
		var h []string
		for _, r := range res.Standard.Capacity {
			h = append(h, r.Field+" 现有 have", r.Field+" 需要 needed ("+r.String()+")")
		}
		return h
	}

	unitSheet := func(name string, units []coverage.UnitResult, parentHeader string, withCapacity, withServed bool) error {
		header := []string{"代码 code", "名称 name", parentHeader, "人口 population (" + res.Layer + ")", "覆盖人口 covered", "未覆盖 uncovered",
			"覆盖率 share", "设施 facilities", "非运营 not operating", "标记 flags", "缺口排名 gap rank"}
		if withServed {
			header = append(header, "中心覆盖 centre reached")
		}
		if withCapacity {
			header = append(header, capHeader()...)
		}
		compare := res.Compare != "" && name == SheetTownships
		if compare {
			// Both measures side by side: the run's (e.g. travel time) is covered/share above.
			header = append(header, res.Compare+" 覆盖人口 covered", res.Compare+" 覆盖率 share", "仅"+res.Compare+"覆盖 "+res.Compare+" only (not reached by the run's measure)")
		}
		rows := make([][]any, len(units))
		for i, u := range units {
			var rank any
			if r, ok := ranks[string(u.Level)+"/"+u.Code]; ok {
				rank = r
			}
			row := []any{u.Code, u.Name, u.Parent, cnt(st, u.Population), cnt(st, u.Covered), cnt(st, u.Uncovered),
				pct(st, u.Share), u.Facilities, u.NotOperating, flags(u.Flags), rank}
			if withServed {
				served := ""
				if u.Served != nil {
					served = map[bool]string{true: "是 yes", false: "否 no"}[*u.Served]
				}
				row = append(row, served)
			}
			if withCapacity {
				for _, c := range u.Capacity {
					row = append(row, cnt(st, c.Have), cnt(st, math.Ceil(c.Need-1e-9)))
				}
			}
			if compare {
				var c coverage.UnitCompare
				if u.Compare != nil {
					c = *u.Compare
				}
				sh := 1.0
				if u.Population > 0 {
					sh = c.Covered / u.Population
				}
				row = append(row, cnt(st, c.Covered), pct(st, sh), cnt(st, c.OnlyCompare))
			}
			rows[i] = row
		}
		return writeSheet(f, name, header, rows, st)
	}

	// Townships first: it becomes the first sheet (Sheet1 is renamed).
	if err := f.SetSheetName("Sheet1", SheetTownships); err != nil {
		return err
	}
	if err := unitSheet(SheetTownships, res.Townships, "县 county", len(res.Standard.Capacity) > 0, false); err != nil {
		return err
	}

	gapHeader := []string{"排名 rank", "级别 level", "代码 code", "名称 name", "上级 parent", "未覆盖 uncovered", "人口 population", "覆盖率 share",
		"设施 facilities", "标记 flags", "说明 detail"}
	gapRows := make([][]any, len(res.Gaps))
	for i, g := range res.Gaps {
		gapRows[i] = []any{g.Rank, levelName(g.Level), g.Code, g.Name, g.Parent, cnt(st, g.Uncovered), cnt(st, g.Population), pct(st, g.Share),
			g.Facilities, flags(g.Flags), g.Detail}
	}
	if err := writeSheet(f, SheetGaps, gapHeader, gapRows, st); err != nil {
		return err
	}

	facHeader := []string{"编号 id", "名称 name", "状态 status", "计入 counted", "经度 lon", "纬度 lat", "乡镇代码 township", "乡镇 township name",
		"服务范围人口 catchment population", "最近人口 nearest population", "床位 beds", "护理型床位 nursing beds", "认知症床位 dementia beds", "备注 note", "来源 source"}
	facRows := make([][]any, len(res.Facilities))
	for i, fr := range res.Facilities {
		note := ""
		switch {
		case fr.Township == "" && !fr.Counted:
			note = "不在任何乡镇内，且非运营 outside every township; not operating: not counted"
		case fr.Township == "":
			note = "不在任何乡镇内 outside every township (still reaches cells inside)"
		case !fr.Counted:
			note = "非运营，不计入 not operating: not counted"
		}
		var catch, near any
		if fr.Counted {
			catch, near = cnt(st, fr.Catchment), cnt(st, fr.Nearest)
		}
		facRows[i] = []any{fr.ID, fr.Name, fr.Status, map[bool]string{true: "是 yes", false: "否 no"}[fr.Counted], fr.Location[0], fr.Location[1],
			fr.Township, fr.TownshipName, catch, near, intOrNil(fr.Beds), intOrNil(fr.NursingBeds), intOrNil(fr.DementiaBeds), note, fr.Source}
	}
	if err := writeSheet(f, SheetFacilities, facHeader, facRows, st); err != nil {
		return err
	}
	if len(res.Villages) > 0 {
		if err := unitSheet(SheetVillages, res.Villages, "乡镇 township", false, true); err != nil {
			return err
		}
	}
	if len(res.Counties) > 0 {
		if err := unitSheet(SheetCounties, res.Counties, "", len(res.Standard.Capacity) > 0, false); err != nil {
			return err
		}
	}

	notes := [][]any{
		{"设施类型 kind", res.Standard.ID + " " + res.Standard.Name},
		{"人口图层 layer", res.Layer},
		{"服务范围 reach", res.Reach},
		{"覆盖目标 target share", pct(st, res.Target)},
		{"存在规则 presence rule", fmt.Sprintf("≥ %d per %s", res.Standard.Presence.Min, res.Standard.Presence.Level)},
		{"区域人口 population in the region", cnt(st, res.Population)},
		{"覆盖人口 covered", cnt(st, res.Covered)},
		{"栅格总人口 grid total", cnt(st, res.GridTotal)},
		{"设施 facilities", fmt.Sprintf("%d operating, %d planned, %d closed; %d outside every township", res.Operating, res.Planned, res.Closed, len(res.Outside))},
	}
	if res.Compare != "" {
		notes = append(notes, []any{"对比口径 second measure", res.Compare + ": " + res.CompareReach},
			[]any{res.Compare + " 覆盖人口 covered", cnt(st, res.CoveredCompare)},
			[]any{"仅" + res.Compare + "覆盖 " + res.Compare + " only", cnt(st, res.OnlyCompare)})
	}
	if res.Standard.Presence.VillagesServed {
		notes = append(notes, []any{"村覆盖规则 village rule", "every village's centre reached"})
	}
	for _, r := range res.Standard.Capacity {
		notes = append(notes, []any{"容量标准 capacity", r.String()})
	}
	for i, n := range res.Notes {
		notes = append(notes, []any{fmt.Sprintf("说明 note %d", i+1), n})
	}
	return finishXLSX(f, w, notes, st)
}

func finishXLSX(f *excelize.File, w io.Writer, notes [][]any, st xlsxStyles) error {
	if err := writeSheet(f, SheetNotes, []string{"项目 item", "内容 value"}, notes, st); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

func levelName(l coverage.Level) string {
	switch l {
	case coverage.LevelCounty:
		return "县 county"
	case coverage.LevelTownship:
		return "乡镇 township"
	case coverage.LevelVillage:
		return "村 village"
	case coverage.LevelPrefecture:
		return "地级市 prefecture"
	}
	return string(l)
}

func cnt(st xlsxStyles, v float64) excelize.Cell {
	return excelize.Cell{StyleID: st.count, Value: persons(v)}
}

func pct(st xlsxStyles, v float64) excelize.Cell {
	return excelize.Cell{StyleID: st.percent, Value: share(v)}
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// writeSheet streams a sheet with a bold, frozen header row and an autofilter.
func writeSheet(f *excelize.File, name string, header []string, rows [][]any, st xlsxStyles) error {
	if idx, _ := f.GetSheetIndex(name); idx < 0 {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i := range header {
		width := 14.0
		if i < 2 {
			width = 18
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hr := make([]any, len(header))
	for i, h := range header {
		hr[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := sw.SetRow("A1", hr); err != nil {
		return err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	last, _ := excelize.CoordinatesToCellName(len(header), len(rows)+1)
	return f.AutoFilter(name, "A1:"+last, nil)
}
