package addr_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/search"
)

// FuzzParse: the parser and geocoder never panic and answer in bounded time on any text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"浙江省丽水市莲都区紫金街道天宁社区", "方圆县鹤鸣街道人民路八十八号之一3幢2单元501室", "丽水莲都",
		"１２３号", "人民路12号附3-501", "一百零二号", "零零零零零零零零零零号", "之一之二附附", "路路路路路路号号号", "\xff\xfe", "城关镇城关镇城关镇",
		strings.Repeat("村", 300), "lishui", "３３１１０２", "(（【】）)", "十十十十十号"} {
		f.Add(s)
	}
	_, st := demo(f)
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		p := addr.Parse(st.Search, s, today)
		g := addr.Geocode(st.Search, st.Locate, s, today)
		hits := addr.Search(st.Search, search.Query{Text: s, Day: today, Limit: 10})
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q took %v", s, d)
		}
		if p.Confidence < 0 || p.Confidence > 1 || g.Confidence < 0 || g.Confidence > 1 {
			t.Fatalf("%q: confidence %v %v", s, p.Confidence, g.Confidence)
		}
		if len(hits) > 10 {
			t.Fatalf("%q: %d hits", s, len(hits))
		}
		if !utf8.ValidString(p.Normalized) {
			t.Fatalf("%q: normalized %q not UTF-8", s, p.Normalized)
		}
	})
}

// FuzzQueryParameters: any query string gets 200 or a JSON 400, never a 500 or a panic.
func FuzzQueryParameters(f *testing.F) {
	for _, s := range []string{"q=丽水&level=county&within=33&asOf=2023-06-30&limit=5", "lon=120&lat=28.2&asOf=2024-01-01", "q=%ff%fe", "lon=1e309&lat=1",
		"limit=-1&q=a", "within=000000000000&q=x", "level=村&q=新", "asOf=9999-99-99&q=a", "q=" + strings.Repeat("x", 500)} {
		f.Add("/api/search", s)
		f.Add("/api/reverse", s)
		f.Add("/api/parse", s)
		f.Add("/api/geocode", s)
	}
	h := router(f)
	f.Fuzz(func(t *testing.T, path, query string) {
		switch path {
		case "/api/search", "/api/reverse", "/api/parse", "/api/geocode":
		default:
			path = "/api/search"
		}
		req, err := http.NewRequest(http.MethodGet, "http://x"+path, nil)
		if err != nil {
			return
		}
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s?%s took %v", path, query, d)
		}
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("%s?%s: %d %s", path, query, rec.Code, rec.Body.String())
		}
		if rec.Code == 400 && !strings.Contains(rec.Body.String(), `"bad_request"`) {
			t.Fatalf("%s?%s: 400 without a JSON reason: %s", path, query, rec.Body.String())
		}
	})
}
