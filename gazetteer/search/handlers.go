package search

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
)

// MaxQueryBytes is the longest q accepted.
const MaxQueryBytes = 400

// ParseQuery reads and checks the search parameters of r. The /api/search route itself is
// served by package addr, which reads multi-level queries as addresses first.
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
