package report

import (
	"fmt"
	"io"
	"math"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the county report workbook (besides SheetTownships and SheetGaps).
const (
	SheetSites     = "建议选址 sites"
	SheetStandards = "适用标准 standards"
)

func countyStyles(f *excelize.File) (xlsxStyles, error) {
	var st xlsxStyles
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return st, err
	}
	if st.count, err = f.NewStyle(&excelize.Style{NumFmt: 3}); err != nil { // #,##0
		return st, err
	}
	if st.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return st, err
	}
	return st, nil
}

// WriteCountyXLSX writes the tables of the county report as a workbook: the
// county's townships, its ranked gaps, the suggested sites and the standards
// applied (with the run's notes).
func WriteCountyXLSX(w io.Writer, c *County) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := countyStyles(f)
	if err != nil {
		return err
	}
	res := c.Result
	if err := f.SetSheetName("Sheet1", SheetTownships); err != nil {
		return err
	}
	ranks := gapRanks(res)
	header := []string{"代码 code", "名称 name", "县 county", "人口 population (" + res.Layer + ")", "覆盖人口 covered", "未覆盖 uncovered",
		"覆盖率 share", "设施 facilities", "非运营 not operating", "标记 flags", "缺口排名 gap rank"}
	for _, r := range res.Standard.Capacity {
		header = append(header, r.Field+" 现有 have", r.Field+" 需要 needed ("+r.String()+")")
	}
	var rows [][]any
	for _, u := range c.Townships {
		var rank any
		if r, ok := ranks[string(u.Level)+"/"+u.Code]; ok {
			rank = r
		}
		row := []any{u.Code, u.Name, u.Parent, cnt(st, u.Population), cnt(st, u.Covered), cnt(st, u.Uncovered), pct(st, u.Share),
			u.Facilities, u.NotOperating, flags(u.Flags), rank}
		for _, cp := range u.Capacity {
			row = append(row, cnt(st, cp.Have), cnt(st, math.Ceil(cp.Need-1e-9)))
		}
		rows = append(rows, row)
	}
	if err := writeSheet(f, SheetTownships, header, rows, st); err != nil {
		return err
	}

	rows = nil
	for _, g := range c.Gaps {
		rows = append(rows, []any{g.Rank, levelName(g.Level), g.Code, g.Name, g.Parent, cnt(st, g.Uncovered), cnt(st, g.Population), pct(st, g.Share),
			g.Facilities, flags(g.Flags), g.Detail})
	}
	if err := writeSheet(f, SheetGaps, []string{"排名 rank", "级别 level", "代码 code", "名称 name", "上级 parent", "未覆盖 uncovered", "人口 population",
		"覆盖率 share", "设施 facilities", "标记 flags", "说明 detail"}, rows, st); err != nil {
		return err
	}

	rows = nil
	for _, s := range c.Sites {
		rows = append(rows, []any{s.Label, s.TownshipCode, s.TownshipName, s.Lon, s.Lat, cnt(st, s.Added)})
	}
	if len(rows) == 0 {
		rows = append(rows, []any{"无建议选址 / no suggestions"})
	}
	if err := writeSheet(f, SheetSites, []string{"编号 label", "乡镇代码 township", "乡镇 township name", "经度 lon", "纬度 lat", "新增覆盖 adds covered"}, rows, st); err != nil {
		return err
	}

	rows = [][]any{{"县 county", c.Code + " " + c.Name}}
	if c.Meta.RunID > 0 {
		rows = append(rows, []any{"运行 run", c.Meta.RunID})
	}
	if c.Meta.RunDate != "" {
		rows = append(rows, []any{"运行日期 run date", c.Meta.RunDate})
	}
	if c.Meta.AsOf != "" {
		rows = append(rows, []any{"边界日期 boundaries as of", c.Meta.AsOf})
	}
	for _, s := range c.Standards() {
		rows = append(rows, []any{s[0], s[1]})
	}
	for i, n := range res.Notes {
		rows = append(rows, []any{fmt.Sprintf("说明 note %d", i+1), n})
	}
	if err := writeSheet(f, SheetStandards, []string{"项目 item", "内容 value"}, rows, st); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}
