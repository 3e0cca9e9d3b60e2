package locate

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/internal/rows"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
)

// Routes are the reverse-geocoding endpoints; current returns the index to answer from
// (it changes when the gazetteer changes).
func Routes(current func() *Index) []api.Route {
	h := handlers{current}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/reverse", Tag: "geocoding", Summary: "Reverse geocode: every division level covering a point, the nearest road and house number",
			Description: "Division levels come from boundaries (ST_Covers semantics: a point on a boundary is covered); levels without a boundary on record come from the covering unit's parents. The road answer gives the house number the road's numbering rule assigns at that point.",
			Params: []api.Param{
				{Name: "lon", In: "query", Type: "number", Required: true, Description: "WGS84 longitude, -180…180", Example: "119.95"},
				{Name: "lat", In: "query", Type: "number", Required: true, Description: "WGS84 latitude, -90…90", Example: "28.25"},
				{Name: "asOf", In: "query", Type: "string", Description: "date YYYY-MM-DD (default today)"},
			}, Handler: h.reverse},
		{Method: http.MethodPost, Path: "/api/reverse/batch", Tag: "geocoding", Summary: "Reverse geocode up to 100,000 points (CSV lon,lat[,id] or JSON lines), streamed back as JSON lines",
			Description: rows.Doc,
			Params:      []api.Param{{Name: "asOf", In: "query", Type: "string"}},
			Body:        "CSV with a header (lon,lat and optionally id) or JSON lines {\"id\":..,\"lon\":..,\"lat\":..}; the answer is one JSON line per row with row, id, status (ok|error) and the answer or error",
			Handler:     h.batch},
	}
}

type handlers struct{ current func() *Index }

// ParseLonLat checks a WGS84 coordinate pair; errors are 400s naming lon or lat.
func ParseLonLat(lonS, latS string) (orb.Point, error) {
	lon, err := parseCoord("lon", lonS, 180)
	if err != nil {
		return orb.Point{}, err
	}
	lat, err := parseCoord("lat", latS, 90)
	if err != nil {
		return orb.Point{}, err
	}
	return orb.Point{lon, lat}, nil
}

func parseCoord(name, s string, limit float64) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, api.BadRequest(name, "required")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, api.BadRequest(name, "must be a number, not %q", truncate(s))
	}
	if v < -limit || v > limit {
		return 0, api.BadRequest(name, "must be between %g and %g, not %g", -limit, limit, v)
	}
	return v, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func asOfDay(r *http.Request) (snapshot.Day, error) {
	t, err := api.QueryDate(r, "asOf")
	if err != nil {
		return 0, err
	}
	if !t.IsZero() && (t.Year() < 1900 || t.Year() > 2200) {
		return 0, api.BadRequest("asOf", "must be between 1900 and 2200")
	}
	return snapshot.DayOf(t), nil
}

func (h handlers) reverse(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pt, err := ParseLonLat(q.Get("lon"), q.Get("lat"))
	if err != nil {
		return err
	}
	day, err := asOfDay(r)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, h.current().Reverse(pt, day))
}

type batchLine struct {
	Row    int     `json:"row"`
	ID     string  `json:"id,omitempty"`
	Status string  `json:"status"`
	Error  string  `json:"error,omitempty"`
	Answer *Answer `json:"answer,omitempty"`
}

// batchItem is what a reverse batch keeps of each row until it is answered.
type batchItem struct {
	id  string
	pt  orb.Point
	err string
}

var (
	lonNames = []string{"lon", "lng", "longitude", "经度", "x"}
	latNames = []string{"lat", "latitude", "纬度", "y"}
	lonLat   = []rows.Columns{{What: "the longitude", Names: lonNames}, {What: "the latitude", Names: latNames}}
)

// batch reads and checks the whole body first (see package rows: too large, cut short or
// unsplittable bodies fail before any output), then answers every row.
func (h handlers) batch(w http.ResponseWriter, r *http.Request) error {
	day, err := asOfDay(r)
	if err != nil {
		return err
	}
	items, err := rows.Read(w, r, lonLat, func(row rows.Row) batchItem {
		it := batchItem{id: row.Get("id")}
		if row.Err != nil {
			it.err = row.Err.Error()
		} else if pt, err := ParseLonLat(row.Get(lonNames...), row.Get(latNames...)); err != nil {
			it.err = err.Error()
		} else {
			it.pt = pt
		}
		return it
	})
	if err != nil {
		return err
	}
	ix := h.current() // one index for the whole batch
	return rows.Stream(w, r, len(items), func(i int) batchLine {
		it := items[i]
		line := batchLine{Row: i + 1, ID: it.id}
		if it.err != "" {
			line.Status, line.Error = "error", it.err
			return line
		}
		a := ix.Reverse(it.pt, day)
		line.Status, line.Answer = "ok", &a
		return line
	})
}
