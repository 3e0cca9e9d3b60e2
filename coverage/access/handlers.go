package access

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"fangyuan/coverage/runs"
	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/internal/api"
	"fangyuan/internal/limits"
)

// Service serves accessibility over the stored data (through coverage/runs'
// loaders and caches). It keeps the last few results, so the table, the
// GeoTIFF and the map image of one query compute once.
type Service struct {
	runs  *runs.Service
	mu    sync.Mutex
	cache []cached
}

type cached struct {
	key string
	res *Result
}

const cacheSize = 2 // a province result holds ≈ 650 MB of per-cell arrays

// NewService returns the accessibility endpoints over rs.
func NewService(rs *runs.Service) *Service { return &Service{runs: rs} }

var queryParams = []api.Param{
	{Name: "kind", In: "query", Type: "string", Description: "facility kind with a capacity field (e.g. eldercare_institution)", Example: "eldercare_institution"},
	{Name: "decay", In: "query", Type: "string", Enum: []string{"gaussian", "step"}, Description: "distance decay; default gaussian; step is Luo & Qi's 1.00/0.68/0.22 over thirds of the catchment"},
	{Name: "measure", In: "query", Type: "string", Enum: []string{"straight", "travel"}, Description: "straight-line radius (default) or travel time over the stored road network"},
	{Name: "field", In: "query", Type: "string", Enum: []string{"beds", "nursing_beds", "dementia_beds"}, Description: "capacity field; default the kind's first per-person ratio"},
}

// Routes are the accessibility endpoints.
func (s *Service) Routes() []api.Route {
	withFormat := append(append([]api.Param{}, queryParams...), api.Param{Name: "format", In: "query", Type: "string", Enum: []string{"json", "csv"}, Description: "json (default) or csv (UTF-8 with BOM)"})
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/coverage/access", Tag: "coverage",
			Summary:     "Capacity-aware accessibility (可及性, E2SFCA): beds per person reachable, per township mean and minimum, shortfall against the kind's ratio",
			Description: "Enhanced two-step floating catchment area (Luo & Qi 2009) on the newest grid, today's townships and the kind's operating facilities; computed on request and kept for the next few requests.",
			Params:      withFormat, Produces: []string{"application/json", "text/csv"}, Handler: s.handleTable},
		{Method: http.MethodGet, Path: "/api/coverage/access.tif", Tag: "coverage",
			Summary: "Per-cell accessibility as GeoTIFF (float32 capacity per person, -1 outside the townships)",
			Params:  queryParams, Produces: []string{"image/tiff"}, Handler: s.handleTIFF},
		{Method: http.MethodGet, Path: "/api/coverage/access.png", Tag: "coverage",
			Summary: "Per-cell accessibility as a coloured PNG over the townships' frame, classes of the need ratio (extent in X-Fangyuan-Bounds)",
			Params:  queryParams, Produces: []string{"image/png"}, Handler: s.handlePNG},
	}
}

// result computes (or takes from the cache) the accessibility of the request's query.
func (s *Service) result(r *http.Request) (*Result, error) {
	q := r.URL.Query()
	kind, measure, field := strings.TrimSpace(q.Get("kind")), strings.TrimSpace(q.Get("measure")), strings.TrimSpace(q.Get("field"))
	for _, f := range [][2]string{{"kind", kind}, {"measure", measure}, {"field", field}, {"decay", q.Get("decay")}} {
		if err := api.CheckText(f[0], f[1], limits.Name); err != nil {
			return nil, err
		}
	}
	if kind == "" {
		return nil, api.BadRequest("kind", "required (GET /api/coverage/standards lists the kinds)")
	}
	decay, err := ParseDecay(strings.TrimSpace(q.Get("decay")))
	if err != nil {
		return nil, api.BadRequest("decay", "%q must be gaussian or step", q.Get("decay"))
	}
	switch measure {
	case "":
		measure = "straight"
	case "straight", "travel":
	default:
		return nil, api.BadRequest("measure", "%q must be straight or travel", measure)
	}
	std, err := s.runs.Standards().Kind(kind)
	if err != nil {
		return nil, api.BadRequest("kind", "%v", err)
	}
	if _, _, err := FieldFor(std, field); err != nil {
		return nil, api.BadRequest("field", "%s", strings.TrimPrefix(err.Error(), ErrBadOptions.Error()+": field: "))
	}
	in, err := s.runs.AccessInputs(r.Context(), kind, measure)
	if errors.Is(err, runs.ErrBadParams) {
		msg := strings.TrimPrefix(err.Error(), runs.ErrBadParams.Error()+": ")
		if rest, ok := strings.CutPrefix(msg, "reach: "); ok {
			return nil, api.BadRequest("measure", "%s", rest)
		}
		if rest, ok := strings.CutPrefix(msg, "kind: "); ok {
			return nil, api.BadRequest("kind", "%s", rest)
		}
		return nil, api.Conflict("%s", msg)
	}
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%s|%s|%s|%s", in.Key, kind, measure, decay.Kind, field)
	s.mu.Lock()
	for _, c := range s.cache {
		if c.key == key {
			s.mu.Unlock()
			return c.res, nil
		}
	}
	s.mu.Unlock()
	var dist Distances = Straight{Radius: in.Standard.RadiusM}
	if in.Travel != nil {
		dist = Travel{*in.Travel}
	}
	res, err := Compute(r.Context(), Input{Standard: in.Standard, Grid: in.Grid, Region: in.Region, Facilities: in.Facilities,
		Distances: dist, Decay: decay, Field: field})
	if errors.Is(err, ErrBadOptions) {
		return nil, api.BadRequest("field", "%s", err.Error())
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache = append([]cached{{key, res}}, s.cache[:min(len(s.cache), cacheSize-1)]...)
	s.mu.Unlock()
	return res, nil
}

func (s *Service) handleTable(w http.ResponseWriter, r *http.Request) error {
	if err := api.ExtendDeadlines(w, 2*time.Minute); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return api.BadRequest("format", "%q must be json or csv", format)
	}
	res, err := s.result(r)
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="access-%s-%s.csv"`, res.Kind, res.Field))
		return WriteCSV(w, res)
	}
	return api.WriteJSON(w, http.StatusOK, res)
}

// CSVHeader is the header of WriteCSV.
var CSVHeader = []string{"code", "name", "layer_population", "mean_per_person", "min_per_person", "need_per_person", "short", "shortfall", "population_below_need"}

// WriteCSV writes one row per township (UTF-8 with a byte-order mark, CRLF, as Excel reads it).
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
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
	for _, t := range res.Townships {
		if err := cw.Write([]string{t.Code, t.Name, g(t.Population), g(t.Mean), g(t.Min), g(t.Need), strconv.FormatBool(t.Short), g(t.Shortfall), g(t.BelowNeed)}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// NoData is the GeoTIFF value of cells outside the townships.
const NoData = -1

// Grid returns the per-cell accessibility over the result's frame as a
// float32 grid (band "access"), NoData outside the townships.
func (res *Result) Grid() *geo.Grid {
	f := res.Frame
	data := make([]float32, f.Len())
	for i, a := range res.Cells {
		if res.Inside[i] > 0 {
			data[i] = float32(a)
		} else {
			data[i] = NoData
		}
	}
	return &geo.Grid{West: f.West + float64(f.Col0)*f.DX, North: f.North - float64(f.Row0)*f.DY, DX: f.DX, DY: f.DY,
		Width: f.W, Height: f.H, Bands: []geo.Band{{Name: "access", Data: data}}, NoData: NoData, HasNoData: true}
}

func (s *Service) handleTIFF(w http.ResponseWriter, r *http.Request) error {
	if err := api.ExtendDeadlines(w, 5*time.Minute); err != nil {
		return err
	}
	res, err := s.result(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/tiff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="access-%s-%s.tif"`, res.Kind, res.Field))
	return geotiff.Write(w, res.Grid(), geotiff.WriteOptions{Compression: geotiff.Deflate})
}

// Classes of the map image: accessibility over need below each bound, and
// their colours (red: far below the ratio, green: above); kinds without a
// ratio use the region mean in place of the need.
var (
	ClassBounds = []float64{0.25, 0.5, 0.75, 1, 1.5}
	ClassColors = []color.NRGBA{
		{0xa5, 0x00, 0x26, 0xc0}, {0xf4, 0x6d, 0x43, 0xc0}, {0xfd, 0xae, 0x61, 0xc0},
		{0xfe, 0xe0, 0x8b, 0xc0}, {0xa6, 0xd9, 0x6a, 0xc0}, {0x1a, 0x98, 0x50, 0xc0},
	}
)

// MaxImageCells bounds the map image (a province is better read from the GeoTIFF).
const MaxImageCells = 40_000_000

// Image colours the result's cells by ClassBounds of the need (transparent
// outside the townships and where nobody lives).
func (res *Result) Image(pop func(i int) float32) *image.NRGBA {
	f := res.Frame
	ref := res.Need
	if ref <= 0 {
		ref = res.Mean
	}
	img := image.NewNRGBA(image.Rect(0, 0, f.W, f.H))
	for i, a := range res.Cells {
		if res.Inside[i] <= 0 || (pop != nil && !(pop(i) > 0)) {
			continue
		}
		c := ClassColors[len(ClassColors)-1]
		if ref > 0 {
			for k, b := range ClassBounds {
				if a < b*ref {
					c = ClassColors[k]
					break
				}
			}
		}
		img.SetNRGBA(i%f.W, i/f.W, c)
	}
	return img
}

func (s *Service) handlePNG(w http.ResponseWriter, r *http.Request) error {
	res, err := s.result(r)
	if err != nil {
		return err
	}
	f := res.Frame
	if f.Len() > MaxImageCells {
		return api.Conflict("the townships' frame has %d cells, more than the %d of a map image; download access.tif", f.Len(), MaxImageCells)
	}
	img := res.Image(func(i int) float32 { return float32(res.demand[i]) })
	west, north := f.West+float64(f.Col0)*f.DX, f.North-float64(f.Row0)*f.DY
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("X-Fangyuan-Bounds", fmt.Sprintf("%.9f,%.9f,%.9f,%.9f", west, north-float64(f.H)*f.DY, west+float64(f.W)*f.DX, north))
	w.Header().Set("Access-Control-Expose-Headers", "X-Fangyuan-Bounds")
	return png.Encode(w, img)
}
