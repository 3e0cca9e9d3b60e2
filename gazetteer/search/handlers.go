package search

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
)

// AddressHook reads a query as an address with several levels ("丽水莲都", "丽水 莲都
// 紫金街道") and returns the unit it names; ok is false when the query is not one.
type AddressHook func(ix *Index, text string, day snapshot.Day) (unit int32, ok bool)

// MaxQueryBytes is the longest q accepted.
const MaxQueryBytes = 400

// ParseQuery reads and checks the search parameters of r.
func ParseQuery(r *http.Request) (Query, error) {
	v := r.URL.Query()
	q := Query{Text: strings.TrimSpace(v.Get("q"))}
	switch {
	case q.Text == "":
		return q, api.BadRequest("q", "required: the text to search for")
	case len(q.Text) > MaxQueryBytes:
		return q, api.BadRequest("q", "too long: at most %d bytes", MaxQueryBytes)
	case !utf8.ValidString(q.Text):
		return q, api.BadRequest("q", "not valid UTF-8")
	}
	if s := v.Get("level"); s != "" {
		l, err := gazetteer.ParseLevel(s)
		if err != nil {
			return q, api.BadRequest("level", "%v", err)
		}
		q.Level = int(l)
	}
	if s := v.Get("within"); s != "" {
		code, lvl, err := gazetteer.PadCode(s)
		if err != nil {
			return q, api.BadRequest("within", "%v", err)
		}
		q.Within = gazetteer.ShortCode(code, lvl)
	}
	t, err := api.QueryDate(r, "asOf")
	if err != nil {
		return q, err
	}
	if !t.IsZero() && (t.Year() < 1900 || t.Year() > 2200) {
		return q, api.BadRequest("asOf", "must be between 1900 and 2200")
	}
	q.Day = snapshot.DayOf(t)
	if q.Limit, err = api.QueryInt(r, "limit", 10, 1, 100); err != nil {
		return q, err
	}
	return q, nil
}

// Routes is the search endpoint over the index current returns.
func Routes(current func() *Index, hook AddressHook) []api.Route {
	return []api.Route{{Method: http.MethodGet, Path: "/api/search", Tag: "search",
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
		Handler: func(w http.ResponseWriter, r *http.Request) error {
			q, err := ParseQuery(r)
			if err != nil {
				return err
			}
			ix := current()
			hits := ix.SearchWithHook(q, hook)
			return api.WriteJSON(w, http.StatusOK, map[string]any{"query": q.Text, "as_of": q.Day.String(), "hits": hits})
		}}}
}

// SearchWithHook runs q, putting the unit an address-like query names first.
func (ix *Index) SearchWithHook(q Query, hook AddressHook) []Hit {
	hits := ix.Search(q)
	if hook == nil || !HasHan(q.Text) {
		return hits
	}
	u, ok := hook(ix, q.Text, q.Day)
	if !ok {
		return hits
	}
	h := ix.unitHit(u, q.Day)
	if (q.Level != 0 && h.Level != q.Level) || !strings.HasPrefix(h.Code, q.Within) {
		return hits
	}
	h.Match, h.Matched = "address", q.Text
	out := []Hit{h}
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
