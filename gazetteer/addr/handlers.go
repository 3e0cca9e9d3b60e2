package addr

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"fangyuan/gazetteer/internal/rows"
	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
)

// Search runs q on ix, reading a query that names several levels as an address (丽水莲都,
// 丽水 莲都 紫金街道): when the parser resolves at least two written division levels from
// the whole text, the deepest is the first hit (match "address"), ahead of the index's
// own ranking.
func Search(ix *search.Index, q search.Query) []search.Hit {
	hits := ix.Search(q)
	if !search.HasHan(q.Text) {
		return hits
	}
	u, ok := addressUnit(ix, q.Text, q.Day)
	if !ok {
		return hits
	}
	h := ix.UnitHit(u, q.Day)
	if (q.Level != 0 && h.Level != q.Level) || !strings.HasPrefix(h.Code, q.Within) {
		return hits
	}
	h.Match, h.Matched = "address", q.Text
	out := []search.Hit{h}
	for _, x := range hits {
		if x.Type != "division" || x.Code != h.Code {
			out = append(out, x)
		}
	}
	if len(out) > max(q.Limit, 1) {
		out = out[:max(q.Limit, 1)]
	}
	return out
}

// addressUnit is the unit a multi-level query names: the parser resolves the whole text
// to divisions only, at least two of them written (not inferred).
func addressUnit(ix *search.Index, text string, day snapshot.Day) (int32, bool) {
	p := Parse(ix, text, day)
	if p.unit < 0 || p.Unparsed != "" || p.Road != nil || p.Number != 0 || p.POI != "" {
		return -1, false
	}
	written := 0
	for _, c := range []*Component{p.Province, p.Prefecture, p.County, p.Township, p.Village} {
		if c != nil && c.Match != "inferred" {
			written++
		}
	}
	return p.unit, written >= 2
}

// Routes are all the gazetteer's in-memory endpoints: search, parse, geocode (single and
// batch), reverse (single and batch) and the index status.
func (s *Service) Routes() []api.Route {
	out := []api.Route{{Method: http.MethodGet, Path: "/api/search", Tag: "search",
		Summary: "Search and autocomplete divisions, roads and place names (Chinese, pinyin, initials, aliases, old names, typos)",
		Description: "Ranked by how exactly the text matches (exact name > name without suffix/alias/old name > prefix > substring > one-character typo), then level (province first) and importance. " +
			"A query naming several levels (丽水莲都) is read as an address first. Each hit carries its admin chain with codes; a hit found by an old name carries was_name.",
		Params: []api.Param{
			{Name: "q", In: "query", Type: "string", Required: true, Example: "lishui"},
			{Name: "level", In: "query", Type: "string", Enum: []string{"province", "prefecture", "county", "township", "village"}},
			{Name: "within", In: "query", Type: "string", Description: "division code (2–12 digits): results inside it", Example: "33"},
			{Name: "asOf", In: "query", Type: "string", Description: "date YYYY-MM-DD (default today)"},
			{Name: "limit", In: "query", Type: "integer", Description: "1–100, default 10"},
		},
		Handler: s.handleSearch}}
	out = append(out, locate.Routes(func() *locate.Index { return s.Current().Locate })...)
	asOf := api.Param{Name: "asOf", In: "query", Type: "string", Description: "date YYYY-MM-DD (default today): divisions valid that day"}
	q := api.Param{Name: "q", In: "query", Type: "string", Required: true, Example: "丽水莲都紫金街道天宁社区"}
	return append(out,
		api.Route{Method: http.MethodGet, Path: "/api/parse", Tag: "geocoding", Summary: "Parse a Chinese address into components resolved against the divisions",
			Description: "Tolerates omitted levels and suffixes (丽水莲都 = 丽水市莲都区), full-width digits, Chinese numerals (八十八号), spaces and punctuation, old names and one-character typos below a written unit. Repeated names (城关镇) are told apart by the levels around them; confidence drops with guesses and ties.",
			Params:      []api.Param{q, asOf}, Handler: s.handleParse},
		api.Route{Method: http.MethodGet, Path: "/api/geocode", Tag: "geocoding", Summary: "Geocode an address: best point, its precision and the matched components",
			Params: []api.Param{q, asOf}, Handler: s.handleGeocode},
		api.Route{Method: http.MethodPost, Path: "/api/geocode/batch", Tag: "geocoding", Summary: "Geocode up to 100,000 addresses (CSV with an address column, or JSON lines), streamed back as JSON lines",
			Description: rows.Doc,
			Params:      []api.Param{asOf},
			Body:        "CSV with a header holding address (or q / 地址) and optionally id, or JSON lines {\"id\":..,\"address\":..}; the answer is one JSON line per row: row, id, status (ok|no_point|not_found|error), point, precision, confidence, code",
			Handler:     s.handleGeocodeBatch},
		api.Route{Method: http.MethodGet, Path: "/api/gazetteer/index", Tag: "geocoding", Summary: "State of the in-memory gazetteer indexes (size, build time)",
			Handler: s.handleIndex},
	)
}

func (s *Service) handleSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := search.ParseQuery(r)
	if err != nil {
		return err
	}
	hits := Search(s.Current().Search, q)
	return api.WriteJSON(w, http.StatusOK, map[string]any{"query": q.Text, "as_of": q.Day.String(), "hits": hits})
}

func addrParam(r *http.Request) (string, snapshot.Day, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		return "", 0, api.BadRequest("q", "required: the address text")
	case len(q) > search.MaxQueryBytes:
		return "", 0, api.BadRequest("q", "too long: at most %d bytes", search.MaxQueryBytes)
	case !utf8.ValidString(q):
		return "", 0, api.BadRequest("q", "not valid UTF-8")
	}
	day, err := dayParam(r)
	return q, day, err
}

func dayParam(r *http.Request) (snapshot.Day, error) {
	t, err := api.QueryDate(r, "asOf")
	if err != nil {
		return 0, err
	}
	if !t.IsZero() && (t.Year() < 1900 || t.Year() > 2200) {
		return 0, api.BadRequest("asOf", "must be between 1900 and 2200")
	}
	return snapshot.DayOf(t), nil
}

func (s *Service) handleParse(w http.ResponseWriter, r *http.Request) error {
	q, day, err := addrParam(r)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, Parse(s.Current().Search, q, day))
}

func (s *Service) handleGeocode(w http.ResponseWriter, r *http.Request) error {
	q, day, err := addrParam(r)
	if err != nil {
		return err
	}
	st := s.Current()
	return api.WriteJSON(w, http.StatusOK, Geocode(st.Search, st.Locate, q, day))
}

type batchLine struct {
	Row        int         `json:"row"`
	ID         string      `json:"id,omitempty"`
	Status     string      `json:"status"`
	Error      string      `json:"error,omitempty"`
	Query      string      `json:"query,omitempty"`
	Point      *[2]float64 `json:"point,omitempty"`
	Precision  string      `json:"precision,omitempty"`
	Confidence float64     `json:"confidence"`
	Code       string      `json:"code,omitempty"`
}

// batchItem is what a geocoding batch keeps of each row until it is answered.
type batchItem struct{ id, text, err string }

var addressColumns = []rows.Columns{{What: "the address", Names: []string{"address", "addr", "q", "地址"}}}

// handleGeocodeBatch reads and checks the whole body first (see package rows: too large,
// cut short or unsplittable bodies fail before any output), then answers every row.
func (s *Service) handleGeocodeBatch(w http.ResponseWriter, r *http.Request) error {
	day, err := dayParam(r)
	if err != nil {
		return err
	}
	items, err := rows.Read(w, r, addressColumns, func(row rows.Row) batchItem {
		it := batchItem{id: row.Get("id")}
		text := row.Get(addressColumns[0].Names...)
		switch {
		case row.Err != nil:
			it.err = row.Err.Error()
		case text == "":
			it.err = "no address (columns address, addr, q or 地址)"
		case len(text) > search.MaxQueryBytes:
			it.err = fmt.Sprintf("address too long: at most %d bytes", search.MaxQueryBytes)
		case !utf8.ValidString(text):
			it.err = "address is not valid UTF-8"
		default:
			it.text = text
		}
		return it
	})
	if err != nil {
		return err
	}
	st := s.Current() // one state for the whole batch
	return rows.Stream(w, r, len(items), func(i int) batchLine {
		it := items[i]
		line := batchLine{Row: i + 1, ID: it.id}
		if it.err != "" {
			line.Status, line.Error = "error", it.err
			return line
		}
		g := Geocode(st.Search, st.Locate, it.text, day)
		line.Status, line.Query, line.Precision, line.Confidence, line.Code = g.Status, it.text, g.Precision, g.Confidence, g.Code
		if g.Point != nil {
			line.Point = (*[2]float64)(g.Point)
		}
		return line
	})
}

func (s *Service) handleIndex(w http.ResponseWriter, r *http.Request) error {
	st := s.Current()
	units, roads, houses, places := st.Data.Counts()
	out := map[string]any{
		"built_at": st.Built.UTC().Format("2006-01-02T15:04:05Z"), "build_ms": st.BuildMS, "heap_mb_after_build": int(st.HeapMB),
		"divisions": units, "roads": roads, "house_numbers": houses,
		"place_names": places, "search": st.Search.Stats(),
		"change_seq": st.Seq, "rows_updated_in_place": st.Data.Updated(),
	}
	if !st.Updated.IsZero() {
		out["updated_at"], out["update_ms"] = st.Updated.UTC().Format("2006-01-02T15:04:05.000Z"), st.UpdateMS
	}
	return api.WriteJSON(w, http.StatusOK, out)
}
