package network

import (
	"fmt"
	"math"

	"fangyuan/coverage"
	"fangyuan/geo"
	"fangyuan/geo/geotiff"
)

// MinutesNoData marks cells no facility reaches in a travel-time raster.
const MinutesNoData = -1

// MinutesGrid is the per-cell travel time of r (Unit "s") over frame f in
// minutes, one float32 band "minutes", MinutesNoData where not reached.
func MinutesGrid(f coverage.Frame, r *coverage.Reached) (*geo.Grid, error) {
	if r.Unit != "s" {
		return nil, fmt.Errorf("travel-time raster: the reach measures %q, not seconds", r.Unit)
	}
	if len(r.Cost) != f.Len() {
		return nil, fmt.Errorf("travel-time raster: %d costs for %d cells", len(r.Cost), f.Len())
	}
	data := make([]float32, f.Len())
	for i, c := range r.Cost {
		if r.Nearest[i] < 0 || math.IsInf(float64(c), 1) {
			data[i] = MinutesNoData
		} else {
			data[i] = c / 60
		}
	}
	return &geo.Grid{
		West: f.West + float64(f.Col0)*f.DX, North: f.North - float64(f.Row0)*f.DY, DX: f.DX, DY: f.DY,
		Width: f.W, Height: f.H, Bands: []geo.Band{{Name: "minutes", Data: data}},
		NoData: MinutesNoData, HasNoData: true,
	}, nil
}

// WriteMinutes writes the travel-time raster of r over f as a GeoTIFF (EPSG:4326).
func WriteMinutes(path string, f coverage.Frame, r *coverage.Reached) error {
	g, err := MinutesGrid(f, r)
	if err != nil {
		return err
	}
	return geotiff.WriteFile(path, g, geotiff.WriteOptions{})
}
