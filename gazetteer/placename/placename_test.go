package placename_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/placename"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// divisions inserts a small tree: 浙江省 › 方圆示范市 › 方圆县 (339901, two townships,
// a village) and a second county 339902, with a square boundary for 青岚镇.
func divisions(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom) VALUES
 ('330000000000', 1, '省', '浙江省', NULL, '2023-06-30', NULL),
 ('339900000000', 2, '地级市', '方圆示范市', '330000000000', '2023-06-30', NULL),
 ('339901000000', 3, '县', '方圆县', '339900000000', '2023-06-30', NULL),
 ('339902000000', 3, '县', '圆方县', '339900000000', '2023-06-30', NULL),
 ('339901101000', 4, '镇', '青岚镇', '339901000000', '2023-06-30',
   ST_Multi(ST_MakeEnvelope(119.80, 28.37, 119.84, 28.40, 4326))),
 ('339901102000', 4, '镇', '枫渡镇', '339901000000', '2023-06-30', NULL),
 ('339901101201', 5, '村委会', '塘岩村委会', '339901101000', '2023-06-30', NULL),
 ('339902101000', 4, '镇', '方桥镇', '339902000000', '2023-06-30', NULL)`)
	if err != nil {
		t.Fatal(err)
	}
}

type client struct {
	t     *testing.T
	h     http.Handler
	token string
}

// rawJSON is a request body sent as written.
type rawJSON string

func jsonBody(t *testing.T, s string) rawJSON {
	t.Helper()
	if !json.Valid([]byte(s)) {
		t.Fatalf("not JSON: %s", s)
	}
	return rawJSON(s)
}

func (c client) do(method, target string, body any) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if raw, ok := body.(rawJSON); ok {
		rd = strings.NewReader(string(raw))
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		c.t.Fatalf("%s %s: %d, not JSON: %s", method, target, rec.Code, rec.Body)
	}
	return rec.Code, out, rec.Header()
}

// setup returns the pool and a names-editor and a planner client on the place-name routes
// behind the real token guard.
func setup(t *testing.T) (*pgxpool.Pool, client, client) {
	pool := dbtest.Pool(t)
	divisions(t, pool)
	as := auth.NewStore(pool)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as, Reads: auth.ReadsOpen}, nil)
	rt.Handle(placename.NewStore(pool).Routes()...)
	ne, _, err := as.CreateToken(dbtest.CLI(), "zhao.names", auth.NamesEditor, 0)
	if err != nil {
		t.Fatal(err)
	}
	pl, _, err := as.CreateToken(dbtest.CLI(), "li.planner", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pool, client{t, rt, ne}, client{t, rt, pl}
}

func props(f map[string]any) map[string]any { p, _ := f["properties"].(map[string]any); return p }

func errField(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestCreateEditRenameRetire(t *testing.T) {
	pool, ed, planner := setup(t)
	create := map[string]any{"name": "青石古镇", "pinyin": "Qingshi Guzhen", "category": "271", "admin_code": "339901101",
		"lon": 119.82, "lat": 28.38, "origin": "因镇内多青石板街而得名。", "meaning": "青石铺就的古镇。", "history": "唐代设市。",
		"heritage_level": "provincial", "heritage_list": "千年古镇", "approval_no": "方民地〔2015〕3号", "approved_on": "2015-04-01"}
	if code, body, _ := planner.do(http.MethodPost, "/api/placenames", create); code != http.StatusForbidden {
		t.Fatalf("planner may create: %d %v", code, body)
	}
	if code, _, _ := (client{t, ed.h, ""}).do(http.MethodPost, "/api/placenames", create); code != http.StatusUnauthorized {
		t.Fatalf("anonymous create: %d", code)
	}
	code, f, hdr := ed.do(http.MethodPost, "/api/placenames", create)
	if code != http.StatusCreated || hdr.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("create: %d %s %v", code, hdr.Get("Content-Type"), f)
	}
	id := int64(f["id"].(float64))
	p := props(f)
	if p["admin_code"] != "339901101000" || p["heritage"] != true || p["pinyin_draft"] != "qing shi gu zhen" || p["version"] != 1.0 {
		t.Fatalf("created %v", p)
	}
	path := "/api/placenames/" + strconv.FormatInt(id, 10)

	// Edit with the version read: ok; with the old one again: 409.
	edit := map[string]any{"version": 1, "name": "青石古镇", "pinyin": "Qingshi Guzhen", "category": "271", "admin_code": "339901101",
		"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{119.81, 28.37}, {119.83, 28.37}, {119.83, 28.39}, {119.81, 28.37}}}},
		"history":  "唐代设市，宋为镇。", "heritage_level": "provincial", "heritage_list": "千年古镇"}
	code, f, _ = ed.do(http.MethodPut, path, edit)
	if code != http.StatusOK || props(f)["version"] != 2.0 || props(f)["history"] != "唐代设市，宋为镇。" || f["geometry"].(map[string]any)["type"] != "Polygon" {
		t.Fatalf("edit: %d %v", code, f)
	}
	if code, body, _ := ed.do(http.MethodPut, path, edit); code != http.StatusConflict {
		t.Fatalf("stale edit: %d %v", code, body)
	}
	edit["version"], edit["name"] = 2, "青石新镇"
	if code, body, _ := ed.do(http.MethodPut, path, edit); code != http.StatusBadRequest || errField(body) != "name" {
		t.Fatalf("rename through PUT: %d %v", code, body)
	}

	// Rename: the old name and pinyin go to the history.
	rename := map[string]any{"version": 2, "new_name": "青石镇古街", "new_pinyin": "Qingshizhen Gujie", "approval_no": "方民地〔2024〕7号", "approved_on": "2024-03-01"}
	code, f, _ = ed.do(http.MethodPost, path+"/rename", rename)
	if code != http.StatusOK || props(f)["name"] != "青石镇古街" || props(f)["version"] != 3.0 {
		t.Fatalf("rename: %d %v", code, f)
	}
	if code, _, _ := ed.do(http.MethodPost, path+"/rename", rename); code != http.StatusConflict {
		t.Fatalf("stale rename: %d", code)
	}
	code, f, _ = ed.do(http.MethodGet, path, nil)
	former, _ := props(f)["former"].([]any)
	acts, _ := props(f)["acts"].([]any)
	if code != 200 || len(former) != 1 || len(acts) != 2 {
		t.Fatalf("get: %d former %v acts %v", code, former, acts)
	}
	fm := former[0].(map[string]any)
	if fm["name"] != "青石古镇" || fm["pinyin"] != "Qingshi Guzhen" || fm["until"] != "2024-03-01" || fm["approval_no"] != "方民地〔2024〕7号" {
		t.Errorf("former name %v", fm)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name WHERE id = $1 AND historical_names @> '[{"name":"青石古镇","to":"2024-03-01"}]'`, id); n != 1 {
		t.Error("old name not in historical_names (the search index reads it)")
	}

	// Retire; a retired name is out of the default list and cannot be edited.
	if code, body, _ := ed.do(http.MethodPost, path+"/retire", map[string]any{"version": 3, "date": "2024-06-30"}); code != 400 || errField(body) != "approval_no" {
		t.Fatalf("retire without approval: %d %v", code, body)
	}
	code, f, _ = ed.do(http.MethodPost, path+"/retire", map[string]any{"version": 3, "approval_no": "方民地〔2024〕9号", "date": "2024-06-30"})
	if code != 200 || props(f)["status"] != "retired" || props(f)["retired_on"] != "2024-06-30" {
		t.Fatalf("retire: %d %v", code, f)
	}
	if code, _, _ := ed.do(http.MethodPost, path+"/retire", map[string]any{"version": 4, "approval_no": "x", "date": "2024-07-01"}); code != http.StatusConflict {
		t.Fatalf("second retire: %d", code)
	}
	_, fc, _ := ed.do(http.MethodGet, "/api/placenames?within=339901", nil)
	if fc["total"] != 0.0 {
		t.Errorf("retired name listed: %v", fc)
	}
	_, fc, _ = ed.do(http.MethodGet, "/api/placenames?within=339901&status=retired", nil)
	if fc["total"] != 1.0 {
		t.Errorf("status=retired: %v", fc)
	}
	// Every write audited with its actor.
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'place_name' AND entity_key = $1 AND actor = 'zhao.names'
		AND action IN ('create', 'update', 'rename', 'retire')`, strconv.FormatInt(id, 10)); n != 4 {
		t.Errorf("%d audit entries, want 4", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name_history WHERE place_name_id = $1 AND act = 'retire' AND approval_no = '方民地〔2024〕9号'`, id); n != 1 {
		t.Error("retiring act not recorded")
	}
}

func TestCreateBadInput(t *testing.T) {
	pool, ed, _ := setup(t)
	base := func() map[string]any {
		return map[string]any{"name": "好名", "category": "212", "admin_code": "339901101201", "lon": 119.82, "lat": 28.38}
	}
	tests := []struct {
		field string
		set   map[string]any
	}{
		{"name", map[string]any{"name": strings.Repeat("名", 201)}},
		{"name", map[string]any{"name": "好\u0000名"}},
		{"name", map[string]any{"name": "  "}},
		{"origin", map[string]any{"origin": strings.Repeat("来", 4001)}},
		{"meaning", map[string]any{"meaning": "含\u0000义"}},
		{"history", map[string]any{"history": strings.Repeat("史", 4001)}},
		{"category", map[string]any{"category": "9999"}},
		{"category", map[string]any{"category": "21a"}},
		{"admin_code", map[string]any{"admin_code": "339909"}},
		{"admin_code", map[string]any{"admin_code": "33990x"}},
		{"lat", map[string]any{"lat": 95}},
		{"geometry", map[string]any{"lon": nil, "lat": nil, "geometry": map[string]any{"type": "Point", "coordinates": []float64{200, 28}}}},
		{"heritage_list", map[string]any{"heritage_level": "national"}},
		{"heritage_level", map[string]any{"heritage_level": "world", "heritage_list": "千年古镇"}},
		{"approved_on", map[string]any{"approved_on": "2024-13-01"}},
		{"status", map[string]any{"status": "retired"}},
	}
	for _, tt := range tests {
		b := base()
		for k, v := range tt.set {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		code, body, _ := ed.do(http.MethodPost, "/api/placenames", b)
		if code != http.StatusBadRequest || errField(body) != tt.field {
			t.Errorf("%v: %d %v, want 400 naming %s", tt.set, code, body, tt.field)
		}
	}
	// No admin code: the division whose boundary covers the point.
	b := base()
	delete(b, "admin_code")
	code, f, _ := ed.do(http.MethodPost, "/api/placenames", b)
	if code != http.StatusCreated || props(f)["admin_code"] != "339901101000" {
		t.Fatalf("admin code from the boundary: %d %v", code, f)
	}
	// The same name, category and division twice: 409.
	if code, body, _ := ed.do(http.MethodPost, "/api/placenames", b); code != http.StatusConflict {
		t.Errorf("duplicate: %d %v", code, body)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name`); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
}

// fixture inserts the place names the list and check tests compare with.
func fixture(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	s := placename.NewStore(pool)
	ids := map[string]int64{}
	for _, in := range []placename.Input{
		{Name: "塘岩下宅", Category: "212", AdminCode: "339901101201", GeoJSON: []byte(`{"type":"Point","coordinates":[119.81,28.38]}`)},
		{Name: "青龙山", Pinyin: "Qinglong Shan", Category: "111", AdminCode: "339901102000", GeoJSON: []byte(`{"type":"Point","coordinates":[119.90,28.20]}`)},
		{Name: "白云湖", Category: "122", AdminCode: "339901101000", GeoJSON: []byte(`{"type":"Polygon","coordinates":[[[119.80,28.37],[119.81,28.37],[119.81,28.38],[119.80,28.37]]]}`)},
		{Name: "上宅", Category: "212", AdminCode: "339902101000"}, // the other county
		{Name: "枫林小区", Category: "213", AdminCode: "339901102000", Aliases: []string{"老枫林"}, GeoJSON: []byte(`{"type":"Point","coordinates":[119.85,28.23]}`)},
	} {
		if e := in.Normalize(); e != nil {
			t.Fatal(e)
		}
		p, err := s.Create(dbtest.CLI(), in)
		if err != nil {
			t.Fatal(err)
		}
		ids[in.Name] = p.ID
	}
	return ids
}

func TestList(t *testing.T) {
	pool, ed, _ := setup(t)
	fixture(t, pool)
	tests := []struct {
		query string
		want  []string
	}{
		{"within=339901", []string{"青龙山", "枫林小区", "白云湖", "塘岩下宅"}},
		{"within=339901101", []string{"白云湖", "塘岩下宅"}},
		{"within=3399", []string{"青龙山", "枫林小区", "白云湖", "塘岩下宅", "上宅"}},
		{"category=21", []string{"枫林小区", "塘岩下宅", "上宅"}},
		{"category=111", []string{"青龙山"}},
		{"q=" + url.QueryEscape("宅"), []string{"塘岩下宅", "上宅"}},
		{"q=qinglong", []string{"青龙山"}},
		{"q=tangyan", []string{"塘岩下宅"}},
		{"q=" + url.QueryEscape("老枫林"), []string{"枫林小区"}},
		{"bbox=119.79,28.36,119.82,28.39", []string{"白云湖", "塘岩下宅"}},
	}
	for _, tt := range tests {
		code, fc, hdr := ed.do(http.MethodGet, "/api/placenames?"+tt.query, nil)
		if code != 200 || hdr.Get("Content-Type") != "application/geo+json" || fc["type"] != "FeatureCollection" {
			t.Fatalf("%s: %d %v", tt.query, code, fc)
		}
		var got []string
		for _, f := range fc["features"].([]any) {
			got = append(got, props(f.(map[string]any))["name"].(string))
		}
		if strings.Join(sorted(got), ",") != strings.Join(sorted(tt.want), ",") {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, bad := range []struct{ q, field string }{{"within=33x", "within"}, {"category=abc", "category"}, {"bbox=1,2,3", "bbox"}, {"status=gone", "status"}, {"limit=0", "limit"}} {
		if code, body, _ := ed.do(http.MethodGet, "/api/placenames?"+bad.q, nil); code != 400 || errField(body) != bad.field {
			t.Errorf("%s: %d %v", bad.q, code, body)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestNameCheck(t *testing.T) {
	pool, ed, _ := setup(t)
	ids := fixture(t, pool)
	type want struct {
		kind string
		id   int64
		word string
	}
	tests := []struct {
		name, category, within string
		want                   []want
	}{
		// the same name, same category, same county (within a village of it)
		{"塘岩下宅", "212", "339901101201", []want{{placename.FindingDuplicate, ids["塘岩下宅"], ""}}},
		// 唐 táng 言 yán 夏 xià 宅 zhái: reads tang yan xia zhai
		{"唐言夏宅", "212", "339901", []want{{placename.FindingHomophone, ids["塘岩下宅"], ""}}},
		// against the official pinyin Qinglong Shan: 清 qīng 龙 lóng 山 shān
		{"清龙山", "111", "339901102", []want{{placename.FindingHomophone, ids["青龙山"], ""}}},
		// one substitution; one deletion
		{"塘岩上宅", "212", "339901", []want{{placename.FindingNearDuplicate, ids["塘岩下宅"], ""}}},
		{"枫林小", "213", "339901", []want{{placename.FindingNearDuplicate, ids["枫林小区"], ""}}},
		// disallowed words, with a near-duplicate of the other county's 上宅 only when it is in scope
		{"皇家上宅", "212", "339901", []want{{placename.FindingDisallowed, 0, "皇家"}}},
		{"维多利亚小区", "213", "", []want{{placename.FindingDisallowed, 0, "维多利亚"}}},
		// other category: no finding; other county: no finding
		{"塘岩下宅", "111", "339901", nil},
		{"上宅", "212", "339901", nil},
		{"上宅", "212", "339902101", []want{{placename.FindingDuplicate, ids["上宅"], ""}}},
		// a clean name
		{"松风里", "212", "339901", nil},
	}
	for _, tt := range tests {
		q := url.Values{"name": {tt.name}}
		if tt.category != "" {
			q.Set("category", tt.category)
		}
		if tt.within != "" {
			q.Set("within", tt.within)
		}
		code, body, _ := ed.do(http.MethodGet, "/api/placenames/check?"+q.Encode(), nil)
		if code != 200 {
			t.Fatalf("%v: %d %v", q, code, body)
		}
		fs, _ := body["findings"].([]any)
		if len(fs) != len(tt.want) || body["ok"] != (len(tt.want) == 0) {
			t.Errorf("%s (%s, %s): findings %v, want %v", tt.name, tt.category, tt.within, fs, tt.want)
			continue
		}
		for i, w := range tt.want {
			f := fs[i].(map[string]any)
			id, _ := f["id"].(float64)
			if f["kind"] != w.kind || int64(id) != w.id || (w.word != "" && f["word"] != w.word) {
				t.Errorf("%s: finding %d = %v, want %+v", tt.name, i, f, w)
			}
			if w.id != 0 && (f["name"] == "" || f["admin_code"] == "" || f["category"] == "") {
				t.Errorf("%s: finding %d does not name the record: %v", tt.name, i, f)
			}
		}
	}
	for _, bad := range []struct{ q, field string }{{"", "name"}, {"name=x&within=3x", "within"}, {"name=x&category=9", "category"},
		{"name=" + url.QueryEscape("a\x00b"), "name"}} {
		if code, body, _ := ed.do(http.MethodGet, "/api/placenames/check?"+bad.q, nil); code != 400 || errField(body) != bad.field {
			t.Errorf("check %s: %d %v", bad.q, code, body)
		}
	}
	// The word list is configurable.
	s := placename.NewStore(pool)
	s.SetWords([]string{"松风"})
	res, err := s.Check(context.Background(), placename.CheckQuery{Name: "松风里", Category: "212", Within: "339901"})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].Word != "松风" {
		t.Errorf("custom words: %+v %v", res, err)
	}
}

// TestGeocodeImportedPlace imports a census CSV and geocodes a compound's name through
// /api/geocode: the answer is the point in the file.
func TestGeocodeImportedPlace(t *testing.T) {
	pool := dbtest.Pool(t)
	divisions(t, pool)
	dir := t.TempDir()
	csv := "标准名称,罗马字母拼写,类别代码,行政区划代码,经度,纬度\n" +
		"青石花园,Qingshi Huayuan,213,339901101201,119.823456,28.381234\n" +
		"枫渡中心小学,,242,339901102,119.851111,28.232222\n"
	if err := writeFile(dir+"/p.csv", csv); err != nil {
		t.Fatal(err)
	}
	if _, err := importers.PlaceNames(dbtest.CLI(), pool, importers.HostFS{}, dir+"/p.csv", importers.Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := addr.Build(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	c := client{t, rt, ""}
	for _, tt := range []struct {
		q        string
		lon, lat float64
		code     string
	}{
		{"青石花园", 119.823456, 28.381234, "339901101201"},
		{"方圆县青石花园", 119.823456, 28.381234, "339901101201"},
		{"方圆县枫渡镇枫渡中心小学", 119.851111, 28.232222, "339901102000"},
	} {
		code, body, _ := c.do(http.MethodGet, "/api/geocode?q="+url.QueryEscape(tt.q), nil)
		pt, _ := body["point"].([]any)
		if code != 200 || body["status"] != "ok" || body["precision"] != addr.PrecisionPlace || len(pt) != 2 ||
			pt[0] != tt.lon || pt[1] != tt.lat || body["code"] != tt.code {
			t.Errorf("geocode %s: %d %v", tt.q, code, body)
		}
	}
	// Search finds it by pinyin, as a place.
	code, body, _ := c.do(http.MethodGet, "/api/search?q=qingshihuayuan", nil)
	hits, _ := body["hits"].([]any)
	if code != 200 || len(hits) == 0 || hits[0].(map[string]any)["type"] != "place" || hits[0].(map[string]any)["name"] != "青石花园" {
		t.Errorf("search: %d %v", code, body)
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }
