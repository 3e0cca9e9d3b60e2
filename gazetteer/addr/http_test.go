package addr_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"fangyuan/gazetteer/addr"
	"fangyuan/internal/api"
	"fangyuan/internal/db/dbtest"
)

func router(t testing.TB) http.Handler {
	_, st := demo(t)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	return rt
}

func get(h http.Handler, target string) (int, map[string]any, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body, rec.Body.String()
}

func TestHTTPBadParameters(t *testing.T) {
	h := router(t)
	tests := []struct{ target, field string }{
		{"/api/reverse?lon=200&lat=28", "lon"},
		{"/api/reverse?lon=120&lat=-91", "lat"},
		{"/api/reverse?lon=abc&lat=28", "lon"},
		{"/api/reverse?lon=NaN&lat=28", "lon"},
		{"/api/reverse?lat=28", "lon"},
		{"/api/reverse?lon=120&lat=28&asOf=2023-13-01", "asOf"},
		{"/api/reverse?lon=120&lat=28&asOf=yesterday", "asOf"},
		{"/api/search?q=丽水&level=planet", "level"},
		{"/api/search?q=", "q"},
		{"/api/search?q=丽水&within=33x", "within"},
		{"/api/search?q=丽水&within=123", "within"},
		{"/api/search?q=丽水&limit=0", "limit"},
		{"/api/search?q=丽水&asOf=2023/06/30", "asOf"},
		{"/api/search?q=" + strings.Repeat("丽", 200), "q"},
		{"/api/parse", "q"},
		{"/api/geocode?q=丽水&asOf=0000-01-01", "asOf"},
	}
	for _, tt := range tests {
		code, body, raw := get(h, tt.target)
		e, _ := body["error"].(map[string]any)
		if code != http.StatusBadRequest || e == nil || e["field"] != tt.field || e["message"] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.target, code, raw, tt.field)
		}
	}
}

func TestHTTPAnswers(t *testing.T) {
	h := router(t)
	code, body, raw := get(h, "/api/reverse?lon=120.009331&lat=28.248869")
	if code != 200 || len(body["divisions"].([]any)) != 5 || body["road"] == nil {
		t.Fatalf("reverse: %d %s", code, raw)
	}
	code, body, raw = get(h, "/api/search?q="+url.QueryEscape("鹤鸣")+"&level=township")
	hits, _ := body["hits"].([]any)
	if code != 200 || len(hits) == 0 || hits[0].(map[string]any)["code"] != "339901001000" {
		t.Fatalf("search: %d %s", code, raw)
	}
	code, body, raw = get(h, "/api/geocode?q="+url.QueryEscape("方圆县鹤鸣街道人民路132号"))
	if code != 200 || body["precision"] != addr.PrecisionRoadNum || body["status"] != "ok" {
		t.Fatalf("geocode: %d %s", code, raw)
	}
	code, body, raw = get(h, "/api/parse?q="+url.QueryEscape("丽水莲都紫金街道"))
	if code != 200 || body["code"] != "331102001000" {
		t.Fatalf("parse: %d %s", code, raw)
	}

	// Batches: CSV in, one JSON line per row out, with a status each.
	csvBody := "id,address\n1,方圆县鹤鸣街道人民路132号\n2,丽水莲都\n3,\n4,火星基地\n"
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/geocode/batch", strings.NewReader(csvBody))
	req.Header.Set("Content-Type", "text/csv")
	h.ServeHTTP(rec, req)
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if rec.Code != 200 || len(lines) != 4 || !strings.Contains(lines[0], `"status":"ok"`) || !strings.Contains(lines[1], `"status":"no_point"`) ||
		!strings.Contains(lines[2], `"status":"error"`) || !strings.Contains(lines[3], `"status":"not_found"`) {
		t.Fatalf("geocode batch: %d\n%s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/api/reverse/batch", strings.NewReader("{\"id\":\"a\",\"lon\":120.0,\"lat\":28.25}\n{\"lon\":500,\"lat\":1}\nnot json\n"))
	req.Header.Set("Content-Type", "application/x-ndjson")
	h.ServeHTTP(rec, req)
	lines = strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if rec.Code != 200 || len(lines) != 3 || !strings.Contains(lines[0], `"status":"ok"`) || !strings.Contains(lines[1], `lon`) || !strings.Contains(lines[2], `"status":"error"`) {
		t.Fatalf("reverse batch: %d\n%s", rec.Code, rec.Body.String())
	}
}

// The indexes follow the database without a restart: a new unit inserted after start is
// found once the NOTIFY has been handled.
func TestRefreshOnChange(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, kind, name, valid_from) VALUES ('970000000000', 1, '省', '甲测试省', '2000-01-01')`); err != nil {
		t.Fatal(err)
	}
	svc, err := addr.NewService(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go svc.Watch(ctx)
	time.Sleep(300 * time.Millisecond) // let LISTEN start
	first := svc.Current()
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from,  geom) VALUES
  ('970100000000', 2, '地级市', '乙测试市', '970000000000', '2000-01-01', ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))', 4326))`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		st := svc.Current()
		if st != first && st.Data.At("970100000000", today) >= 0 {
			if d := st.Locate.Deepest([2]float64{0.5, 0.5}, today); d < 0 || st.Data.Units[d].Code != "970100000000" {
				t.Fatalf("reverse after refresh: %d", d)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the indexes were not rebuilt after the insert")
}
