package runs

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"

	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/internal/api"
)

// MinuteClasses are the upper bounds (minutes) of the colours of the minutes
// image, and MinuteColors their colours (RGBA); cells beyond the last class
// that a facility reaches take the last colour.
var (
	MinuteClasses = []float32{5, 10, 15, 20, 30, 45, 60}
	MinuteColors  = []color.NRGBA{
		{0x1a, 0x98, 0x50, 0xd0}, {0x66, 0xbd, 0x63, 0xd0}, {0xa6, 0xd9, 0x6a, 0xd0}, {0xfe, 0xe0, 0x8b, 0xd0},
		{0xfd, 0xae, 0x61, 0xd0}, {0xf4, 0x6d, 0x43, 0xd0}, {0xd7, 0x30, 0x27, 0xd0}, {0xa5, 0x00, 0x26, 0xd0},
	}
)

// MaxMinutesImageCells bounds the minutes image (a county or a prefecture; a
// province is better read from the GeoTIFF).
const MaxMinutesImageCells = 40_000_000

func (s *Service) minutesGrid(r *http.Request) (*geo.Grid, Run, error) {
	run, err := s.finished(r)
	if err != nil {
		return nil, run, err
	}
	g, err := s.Minutes(r.Context(), run.ID)
	if errors.Is(err, ErrNotTravel) {
		return nil, run, api.Conflict("coverage run %d: %v", run.ID, err)
	}
	return g, run, err
}

// handleMinutesTIFF serves the per-cell travel time of a travel-time run as a
// float32 GeoTIFF (EPSG:4326, the grid's cells, -1 where no facility reaches).
func (s *Service) handleMinutesTIFF(w http.ResponseWriter, r *http.Request) error {
	if err := api.ExtendDeadlines(w, downloadTimeout); err != nil {
		return err
	}
	g, run, err := s.minutesGrid(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/tiff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="coverage-%d-%s-minutes.tif"`, run.ID, run.Kind))
	return geotiff.Write(w, g, geotiff.WriteOptions{})
}

// handleMinutesPNG serves the per-cell travel time as a PNG over the grid's
// extent (one pixel per cell, north up; colours MinuteClasses/MinuteColors,
// transparent where no facility reaches), for the map at high zoom; the
// extent is in the X-Fangyuan-Bounds header (west,south,east,north).
func (s *Service) handleMinutesPNG(w http.ResponseWriter, r *http.Request) error {
	g, _, err := s.minutesGrid(r)
	if err != nil {
		return err
	}
	if g.Width*g.Height > MaxMinutesImageCells {
		return api.Conflict("the grid has %d cells, more than the %d of a minutes image; download minutes.tif", g.Width*g.Height, MaxMinutesImageCells)
	}
	img := image.NewNRGBA(image.Rect(0, 0, g.Width, g.Height))
	data := g.Bands[0].Data
	for i, v := range data {
		if v < 0 {
			continue
		}
		c := MinuteColors[len(MinuteColors)-1]
		for k, ub := range MinuteClasses {
			if v < ub {
				c = MinuteColors[k]
				break
			}
		}
		img.SetNRGBA(i%g.Width, i/g.Width, c)
	}
	b := g.Bounds()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("X-Fangyuan-Bounds", fmt.Sprintf("%.9f,%.9f,%.9f,%.9f", b.Min[0], b.Min[1], b.Max[0], b.Max[1]))
	w.Header().Set("Access-Control-Expose-Headers", "X-Fangyuan-Bounds")
	return png.Encode(w, img)
}
