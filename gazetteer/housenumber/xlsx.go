package housenumber

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// Sheet names of the validation workbook.
const (
	SheetFindings = "问题 findings"
	SheetRoads    = "道路 roads"
)

// WriteXLSX writes the report as a workbook: one row per finding, one per road.
func WriteXLSX(w io.Writer, rep *Report) error {
	f := excelize.NewFile()
	defer f.Close()
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", SheetFindings); err != nil {
		return err
	}
	if _, err := f.NewSheet(SheetRoads); err != nil {
		return err
	}
	write := func(sheet string, rows [][]any) error {
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				return err
			}
		}
		end, _ := excelize.CoordinatesToCellName(len(rows[0]), 1)
		return f.SetCellStyle(sheet, "A1", end, header)
	}
	rows := [][]any{{"问题 kind", "门牌 id", "道路 road id", "道路 road", "区划 admin code", "号 number", "后缀 suffix", "经度 lon", "纬度 lat", "沿路 along m", "侧 side", "说明 detail"}}
	for _, x := range rep.Findings {
		rows = append(rows, []any{x.Kind, x.HouseID, x.RoadID, x.Road, x.AdminCode, x.Number, x.Suffix, x.Lon, x.Lat, x.AlongM, x.Side, x.Detail})
	}
	if err := write(SheetFindings, rows); err != nil {
		return err
	}
	kinds := []string{WrongSide, OutOfOrder, Duplicate, LargeGap, FarFromRoad, OutsideTown}
	rows = [][]any{{"道路 road id", "道路 road", "区划 admin code", "门牌数 numbers"}}
	for _, k := range kinds {
		rows[0] = append(rows[0], k)
	}
	for _, r := range rep.Roads {
		row := []any{r.RoadID, r.Road, r.AdminCode, r.Numbers}
		for _, k := range kinds {
			row = append(row, r.Findings[k])
		}
		rows = append(rows, row)
	}
	if err := write(SheetRoads, rows); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// GeoJSON renders the offenders as a FeatureCollection (one feature per finding).
func (rep *Report) GeoJSON() map[string]any {
	feats := make([]any, len(rep.Findings))
	for i, x := range rep.Findings {
		feats[i] = map[string]any{"type": "Feature", "id": x.HouseID,
			"geometry":   map[string]any{"type": "Point", "coordinates": []float64{x.Lon, x.Lat}},
			"properties": x}
	}
	return map[string]any{"type": "FeatureCollection", "features": feats, "numbers": rep.Numbers}
}
