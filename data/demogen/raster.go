package main

import (
	"bytes"

	"fangyuan/geo"
	"fangyuan/geo/geotiff"
)

// populationGrid is the population raster as a geo.Grid: three float32
// bands, persons per cell, no nodata (0 outside the county and at sea).
func (d *demo) populationGrid() *geo.Grid {
	g := d.pop
	return &geo.Grid{
		West: g.west(), North: g.north(),
		DX: 1.0 / cellsPerDegree, DY: 1.0 / cellsPerDegree,
		Width: g.width, Height: g.height,
		Bands: []geo.Band{
			{Name: "total", Data: g.total},
			{Name: "age60plus", Data: g.a60},
			{Name: "age0_17", Data: g.a017},
		},
	}
}

// populationTIFF encodes the grid as a deflate-compressed GeoTIFF.
func (d *demo) populationTIFF() ([]byte, error) {
	var b bytes.Buffer
	err := geotiff.Write(&b, d.populationGrid(), geotiff.WriteOptions{
		Compression: geotiff.Deflate,
		Level:       9,
		Predictor:   geotiff.PredictorFloat,
	})
	return b.Bytes(), err
}
