package housenumber

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const township = "339901001000"

// fixture: a county and a township (lon 120–120.008, lat 27.99–28.01) and an east–west
// road along 28°N from 120.000 to 120.010 drawn eastwards, numbered from its first vertex
// with odd numbers on the left (north).
func fixture(t *testing.T) (*pgxpool.Pool, *httptest.Server, int64) {
	t.Helper()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom) VALUES
		 ('339901000000', 3, '县', '澄川县', '339900000000', '2000-01-01', ST_Multi(ST_MakeEnvelope(119.9, 27.9, 120.1, 28.1, 4326))),
		 ('339901001000', 4, '镇', '城关镇', '339901000000', '2000-01-01', ST_Multi(ST_MakeEnvelope(120.0, 27.99, 120.008, 28.01, 4326)))`,
		`INSERT INTO road (name, admin_code, kind, geom, numbering_origin, odd_side) VALUES
		 ('人民路', '339901001000', 'primary', ST_GeomFromText('LINESTRING(120 28, 120.01 28)', 4326), 'start', 'left')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var road int64
	if err := pool.QueryRow(ctx, `SELECT id FROM road WHERE name = '人民路'`).Scan(&road); err != nil {
		t.Fatal(err)
	}
	as := auth.NewStore(pool)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as}, api.NewMetrics(prometheus.NewRegistry()))
	rt.Handle(NewStore(pool).Routes(func(c string) (string, error) { return c, nil })...)
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return pool, srv, road
}

func token(t *testing.T, pool *pgxpool.Pool, name string, role auth.Role) string {
	t.Helper()
	secret, _, err := auth.NewStore(pool).CreateToken(dbtest.CLI(), name, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func call(t *testing.T, srv *httptest.Server, tok, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// pointAt is the point alongM metres east of 120°E on 28°N, offsetM north (negative: south).
func pointAt(alongM, offsetM float64) (float64, float64) {
	return 120 + alongM/mLon28, 28 + offsetM/mLat28
}

func TestConcurrentAssignOneWins(t *testing.T) {
	pool, srv, road := fixture(t)
	a, b := token(t, pool, "zhao.names", auth.NamesEditor), token(t, pool, "qian.names", auth.NamesEditor)
	for i := 0; i < 5; i++ {
		lon, lat := pointAt(100+float64(i)*30, 15)
		body := map[string]any{"road_id": road, "number": 101 + 2*i, "lon": lon, "lat": lat}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		start := make(chan struct{})
		for j, tok := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[j] = call(t, srv, tok, "POST", "/api/housenumbers", body, nil)
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != http.StatusCreated || codes[1] != http.StatusConflict {
			t.Fatalf("round %d: codes %v, want one 201 and one 409", i, codes)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM house_number`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("rows %d (%v), want 5", n, err)
	}
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE entity = 'house_number' AND action = 'create'`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("audit rows %d (%v), want 5", n, err)
	}
	// A planner may not assign; no token: 401.
	lon, lat := pointAt(500, 15)
	if c := call(t, srv, token(t, pool, "sun.plan", auth.Planner), "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": 1, "lon": lon, "lat": lat}, nil); c != http.StatusForbidden {
		t.Fatalf("planner: %d", c)
	}
	if c := call(t, srv, "", "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": 1, "lon": lon, "lat": lat}, nil); c != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", c)
	}
	if c := call(t, srv, a, "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": 1, "suffix": "戊", "lon": lon, "lat": lat}, nil); c != http.StatusBadRequest {
		t.Fatalf("bad suffix: %d", c)
	}
}

type houseOut struct {
	ID      int64  `json:"id"`
	Number  int    `json:"number"`
	Suffix  string `json:"suffix"`
	Status  string `json:"status"`
	Version int    `json:"version"`
	Pred    *int64 `json:"predecessor_id"`
	Address string `json:"address"`
}

func TestRenumberKeepsLineage(t *testing.T) {
	pool, srv, road := fixture(t)
	ed := token(t, pool, "zhao.names", auth.NamesEditor)
	lon, lat := pointAt(100, 15)
	var h houseOut
	if c := call(t, srv, ed, "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": 12, "lon": lon, "lat": lat, "status": "planned", "approval_no": "澄地〔2026〕1号"}, &h); c != 201 {
		t.Fatalf("assign: %d", c)
	}
	if h.Status != "planned" || h.Address != "人民路12号" {
		t.Fatalf("assigned %+v", h)
	}
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/activate", h.ID), map[string]any{"version": h.Version}, &h); c != 200 || h.Status != "active" {
		t.Fatalf("activate: %d %+v", c, h)
	}
	var rn struct {
		Pred houseOut `json:"predecessor"`
		New  houseOut `json:"house_number"`
	}
	// A stale version: 409.
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/renumber", h.ID), map[string]any{"version": h.Version - 1, "number": 14}, nil); c != http.StatusConflict {
		t.Fatalf("stale renumber: %d", c)
	}
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/renumber", h.ID), map[string]any{"version": h.Version, "number": 14}, &rn); c != 201 {
		t.Fatalf("renumber: %d", c)
	}
	first, second := h.ID, rn.New.ID
	if rn.Pred.Status != "retired" || rn.Pred.Number != 12 || rn.New.Number != 14 || rn.New.Pred == nil || *rn.New.Pred != first {
		t.Fatalf("renumbered: %+v", rn)
	}
	// Move the new number (same number, new point): a third id.
	lon2, lat2 := pointAt(110, 15)
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/renumber", second), map[string]any{"version": rn.New.Version, "lon": lon2, "lat": lat2}, &rn); c != 201 {
		t.Fatalf("move: %d", c)
	}
	third := rn.New.ID
	if rn.New.Number != 14 {
		t.Fatalf("moved: %+v", rn.New)
	}
	var got struct {
		House houseOut   `json:"house_number"`
		Pred  []houseOut `json:"predecessors"`
		Succ  []houseOut `json:"successors"`
	}
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/housenumbers/%d", first), nil, &got); c != 200 {
		t.Fatal(c)
	}
	if got.House.Number != 12 || got.House.Status != "retired" || len(got.Pred) != 0 || len(got.Succ) != 2 || got.Succ[0].ID != second || got.Succ[1].ID != third {
		t.Fatalf("lineage of the first: %+v", got)
	}
	if call(t, srv, "", "GET", fmt.Sprintf("/api/housenumbers/%d", third), nil, &got); len(got.Pred) != 2 || got.Pred[0].ID != first || got.Pred[1].ID != second || len(got.Succ) != 0 {
		t.Fatalf("lineage of the third: %+v", got)
	}
	// Independent: the rows as stored.
	var chain []int64
	rows, _ := pool.Query(context.Background(), `SELECT id FROM house_number WHERE predecessor_id IS NOT NULL ORDER BY id`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		chain = append(chain, id)
	}
	if !slices.Equal(chain, []int64{second, third}) {
		t.Fatalf("rows with predecessors: %v", chain)
	}
	var active int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM house_number WHERE status = 'active'`).Scan(&active)
	if active != 1 {
		t.Fatalf("%d active numbers, want 1", active)
	}
	// Retire the last; retiring again is a 409.
	var ret houseOut
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/retire", third), map[string]any{"version": rn.New.Version}, &ret); c != 200 || ret.Status != "retired" {
		t.Fatalf("retire: %d %+v", c, ret)
	}
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/retire", third), map[string]any{"version": ret.Version}, nil); c != http.StatusConflict {
		t.Fatalf("retire twice: %d", c)
	}
	// The retired number 14 may be assigned again (a new id).
	if c := call(t, srv, ed, "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": 14, "lon": lon2, "lat": lat2}, &h); c != 201 || h.ID == third {
		t.Fatalf("reassign 14: %d %+v", c, h)
	}
}

func TestRuleEndpointAndSuggest(t *testing.T) {
	pool, srv, road := fixture(t)
	ed := token(t, pool, "zhao.names", auth.NamesEditor)
	var rd struct {
		Version int  `json:"version"`
		Rule    Rule `json:"rule"`
	}
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/roads/%d/numbers", road), nil, &struct{ Road any }{&rd}); c != 200 || !rd.Rule.Override || rd.Rule.Origin != "start" {
		t.Fatalf("numbers: %d %+v", c, rd)
	}
	// Beijing (the default): the road is drawn eastwards, so numbers start at its east
	// (last) vertex and, walking west, the north side is the right.
	if c := call(t, srv, ed, "PUT", fmt.Sprintf("/api/roads/%d/rule", road), map[string]any{"version": rd.Version, "follow_default": true}, &rd); c != 200 {
		t.Fatalf("rule: %d", c)
	}
	if rd.Rule.Override || rd.Rule.Preset != "beijing" || rd.Rule.Origin != "end" || rd.Rule.OddSide != "right" {
		t.Fatalf("beijing rule: %+v", rd.Rule)
	}
	var origin, side string
	pool.QueryRow(context.Background(), `SELECT numbering_origin, odd_side FROM road WHERE id = $1`, road).Scan(&origin, &side)
	if origin != "end" || side != "right" {
		t.Fatalf("stored columns %s %s", origin, side)
	}
	if c := call(t, srv, ed, "PUT", fmt.Sprintf("/api/roads/%d/rule", road), map[string]any{"version": rd.Version - 1, "origin": "start", "odd_side": "left"}, nil); c != http.StatusConflict {
		t.Fatalf("stale rule: %d", c)
	}
	if c := call(t, srv, ed, "PUT", fmt.Sprintf("/api/roads/%d/rule", road), map[string]any{"version": rd.Version, "preset": "nonesuch"}, nil); c != http.StatusBadRequest {
		t.Fatalf("unknown preset: %d", c)
	}
	// A point 98.36 m east of the first vertex, north: 885.2 m from the east end, on the
	// right walking west (odd): pair 60 → 119.
	lon, lat := pointAt(98.36, 15)
	var sg Suggestion
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/roads/%d/suggest?lon=%f&lat=%f", road, lon, lat), nil, &sg); c != 200 || sg.Number != 119 || sg.Suffix != "" || sg.Side != "right" {
		t.Fatalf("suggest: %d %+v", c, sg)
	}
	// Metric override, step 1, odd on the left from the first vertex: 98 → odd 99.
	call(t, srv, ed, "PUT", fmt.Sprintf("/api/roads/%d/rule", road), map[string]any{"version": rd.Version, "origin": "start", "odd_side": "left", "metric": true, "step_m": 1}, &rd)
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/roads/%d/suggest?lon=%f&lat=%f", road, lon, lat), nil, &sg); c != 200 || sg.Number != 99 {
		t.Fatalf("metric suggest: %d %+v", c, sg)
	}
	// Assign without a number takes the suggestion; the same point again gets the next
	// free one: 99 is now the lower neighbour at the same position, so 101.
	var h houseOut
	if c := call(t, srv, ed, "POST", "/api/housenumbers", map[string]any{"road_id": road, "lon": lon, "lat": lat}, &h); c != 201 || h.Number != 99 {
		t.Fatalf("assign suggested: %d %+v", c, h)
	}
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/roads/%d/suggest?lon=%f&lat=%f", road, lon, lat), nil, &sg); c != 200 || sg.Number != 101 || sg.Lower == nil || sg.Lower.Number != 99 {
		t.Fatalf("suggest next to 99: %d %+v", c, sg)
	}
	if c := call(t, srv, "", "GET", fmt.Sprintf("/api/roads/%d/suggest?lon=500&lat=1", road), nil, nil); c != 400 {
		t.Fatalf("bad lon: %d", c)
	}
	if c := call(t, srv, "", "GET", "/api/roads/999999/suggest?lon=120&lat=28", nil, nil); c != 404 {
		t.Fatalf("unknown road: %d", c)
	}
}

// TestCheckFindsPlanted plants one error of each kind among clean numbers and expects the
// report to name exactly those.
func TestCheckFindsPlanted(t *testing.T) {
	pool, srv, road := fixture(t)
	ctx := context.Background()
	ins := func(n int, building string, along, offset float64) int64 {
		lon, lat := pointAt(along, offset)
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO house_number (road_id, number, building, geom) VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326)) RETURNING id`,
			road, n, building, lon, lat).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Clean: odd 1–79 on the north (left) and even 2–40 on the south, one pair per 15 m.
	for k := 0; k < 40; k++ {
		ins(2*k+1, "", 7.5+15*float64(k), 15)
	}
	for k := 0; k < 20; k++ {
		ins(2*k+2, "", 7.5+15*float64(k), -15)
	}
	want := map[int64]string{
		ins(201, "", 100, 15):    OutOfOrder,  // between 13 and 15
		ins(5, "2", 37.5, 50):    Duplicate,   // 35 m north of 5
		ins(70, "", 307.5, -15):  LargeGap,    // 14 numbers missing after 40
		ins(72, "", 322.5, -100): FarFromRoad, // 100 m off
		ins(100, "", 700, 15):    WrongSide,   // even on the odd side
		ins(81, "", 900, 15):     OutsideTown, // east of the township (120.008°E is 786.9 m)
	}
	// Independent: PostGIS agrees on the distance and the township of the planted points.
	var far, outside int
	pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ST_Distance(h.geom::geography, r.geom::geography) > 60),
	  count(*) FILTER (WHERE NOT ST_Covers(u.geom, h.geom)) FROM house_number h JOIN road r ON r.id = h.road_id
	  JOIN admin_unit u ON u.code = r.admin_code`).Scan(&far, &outside)
	if far != 1 || outside != 1 {
		t.Fatalf("PostGIS: %d far, %d outside; the fixture is wrong", far, outside)
	}
	var rep Report
	if c := call(t, srv, "", "GET", "/api/housenumbers/check?within=339901001", nil, &rep); c != 200 {
		t.Fatalf("check: %d", c)
	}
	got := map[int64]string{}
	for _, f := range rep.Findings {
		if got[f.HouseID] != "" {
			t.Errorf("house %d found twice: %s and %s", f.HouseID, got[f.HouseID], f.Kind)
		}
		got[f.HouseID] = f.Kind
	}
	if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
		t.Fatalf("findings %v, want %v (%+v)", sorted(got), sorted(want), rep.Findings)
	}
	if rep.Numbers != 66 || len(rep.Roads) != 1 || rep.Townships[township][WrongSide] != 1 {
		t.Fatalf("summary: %d numbers, %+v %+v", rep.Numbers, rep.Roads, rep.Townships)
	}
	var fc struct {
		Features []map[string]any `json:"features"`
	}
	if c := call(t, srv, "", "GET", "/api/housenumbers/check.geojson?within=339901001", nil, &fc); c != 200 || len(fc.Features) != 6 {
		t.Fatalf("geojson: %d, %d features", c, len(fc.Features))
	}
	resp, err := http.Get(srv.URL + "/api/housenumbers/check?within=339901001&format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	x, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, _ := x.GetRows(SheetFindings)
	if len(rows) != 7 {
		t.Fatalf("xlsx: %d rows, want header + 6", len(rows))
	}
	if c := call(t, srv, "", "GET", "/api/housenumbers/check", nil, nil); c != 400 {
		t.Fatalf("no within: %d", c)
	}
}

func sorted(m map[int64]string) []string {
	var out []string
	for id, k := range m {
		out = append(out, fmt.Sprintf("%d:%s", id, k))
	}
	sort.Strings(out)
	return out
}

func dbtestPool(b *testing.B) *pgxpool.Pool { return dbtest.Pool(b) }
