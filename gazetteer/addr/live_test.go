package addr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/data"
	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

// liveService is the demo data in a database of the test's own (it is edited) and a
// Service over it that is not watching: the test applies the change log itself.
func liveService(t *testing.T) (*pgxpool.Pool, *addr.Service) {
	t.Helper()
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	// The demo loader dates house numbers from the day it runs (the column default): give
	// them a fixed day before the test's query day, so no verdict follows the wall clock.
	exec(t, pool, `UPDATE house_number SET valid_from = '2023-06-30' WHERE valid_from > '2023-06-30'`)
	svc, err := addr.NewService(context.Background(), pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return pool, svc
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// update applies the change log and fails unless it was applied in place.
func update(t *testing.T, svc *addr.Service) *addr.State {
	t.Helper()
	before := svc.Current()
	changed, err := svc.Update(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := svc.Current()
	if !changed || st == before {
		t.Fatal("the change log named no change")
	}
	if st.Built != before.Built {
		t.Fatal("the indexes were rebuilt, not updated in place")
	}
	return st
}

func hits(st *addr.State, q string) []search.Hit {
	return addr.Search(st.Search, search.Query{Text: q, Day: today, Limit: 10})
}

func hasHit(hs []search.Hit, typ, name string) bool {
	for _, h := range hs {
		if h.Type == typ && h.Name == name {
			return true
		}
	}
	return false
}

func hasID(hs []search.Hit, typ string, id int64) bool {
	for _, h := range hs {
		if h.Type == typ && h.ID == id {
			return true
		}
	}
	return false
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameAsRebuild compares the updated State with indexes built afresh from the same
// tables: search and geocoding for every query, reverse geocoding for every point, and
// the division lookup of every code.
func sameAsRebuild(t *testing.T, pool *pgxpool.Pool, st *addr.State, queries []string, pts []orb.Point, codes []string) {
	t.Helper()
	fresh, err := addr.Build(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	fu, fr, fh, fp := fresh.Data.Counts()
	lu, lr, lh, lp := st.Data.Counts()
	if [4]int{fu, fr, fh, fp} != [4]int{lu, lr, lh, lp} {
		t.Errorf("counts: updated %v, rebuilt %v", [4]int{lu, lr, lh, lp}, [4]int{fu, fr, fh, fp})
	}
	bad := 0
	for _, q := range queries {
		if a, b := js(hits(st, q)), js(hits(fresh, q)); a != b {
			bad++
			if bad <= 5 {
				t.Errorf("search %q:\nupdated %s\nrebuilt %s", q, a, b)
			}
		}
		if a, b := js(addr.Geocode(st.Search, st.Locate, q, today)), js(addr.Geocode(fresh.Search, fresh.Locate, q, today)); a != b {
			bad++
			if bad <= 5 {
				t.Errorf("geocode %q:\nupdated %s\nrebuilt %s", q, a, b)
			}
		}
	}
	for _, p := range pts {
		if a, b := js(st.Locate.Reverse(p, today)), js(fresh.Locate.Reverse(p, today)); a != b {
			bad++
			if bad <= 5 {
				t.Errorf("reverse %v:\nupdated %s\nrebuilt %s", p, a, b)
			}
		}
	}
	for _, c := range codes {
		if a, b := js(addr.DivisionAt(st.Data, c, today)), js(addr.DivisionAt(fresh.Data, c, today)); a != b {
			bad++
			if bad <= 5 {
				t.Errorf("division %s:\nupdated %s\nrebuilt %s", c, a, b)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d answers differ from a rebuild", bad, 2*len(queries)+len(pts)+len(codes))
	}
}

// comparison is the fixed set of queries and points compared with a rebuild: names and
// prefixes of the county's divisions, roads, place names and addresses (from the tables),
// the edited names, and the points of divisions, house numbers and place names.
type comparison struct {
	queries []string
	pts     []orb.Point
	codes   []string
}

func loadComparison(t *testing.T, pool *pgxpool.Pool, extra ...string) comparison {
	t.Helper()
	ctx := context.Background()
	var c comparison
	rows, err := pool.Query(ctx, `
(SELECT name, pinyin_draft, code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM admin_unit
 WHERE code LIKE '339901%' AND geom IS NOT NULL AND valid_to IS NULL ORDER BY code LIMIT 60)
UNION ALL
(SELECT name, pinyin_draft, '', ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM place_name
 WHERE geom IS NOT NULL ORDER BY id LIMIT 40)
UNION ALL
(SELECT r.name || h.number || '号', '', '', ST_X(h.geom), ST_Y(h.geom) FROM house_number h JOIN road r ON r.id = h.road_id
 ORDER BY h.id LIMIT 200)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			name, draft, code string
			x, y              float64
		)
		if err := rows.Scan(&name, &draft, &code, &x, &y); err != nil {
			t.Fatal(err)
		}
		rs := []rune(name)
		c.queries = append(c.queries, name, string(rs[:1]), string(rs[:min(2, len(rs))]), strings.ReplaceAll(draft, " ", ""))
		c.pts = append(c.pts, orb.Point{x, y})
		if code != "" {
			c.codes = append(c.codes, code)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = pool.Query(ctx, `SELECT name FROM road ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		c.queries = append(c.queries, name, name+"1号", "方圆县"+name+"2号")
	}
	rows.Close()
	c.queries = append(c.queries, extra...)
	slices.Sort(c.queries)
	c.queries = slices.Compact(c.queries)
	return c
}

// TestLiveEdits makes an edit of every kind, applies it in place and checks it is
// searchable, geocodable and reverse-geocodable with the old entry gone, and that every
// answer equals one of indexes rebuilt from the tables.
func TestLiveEdits(t *testing.T) {
	pool, svc := liveService(t)
	ctx := context.Background()
	var (
		town, townName string
		tx, ty         float64
	)
	if err := pool.QueryRow(ctx, `SELECT code, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM admin_unit
WHERE level = 4 AND code LIKE '339901%' AND geom IS NOT NULL AND valid_to IS NULL ORDER BY code LIMIT 1`).Scan(&town, &townName, &tx, &ty); err != nil {
		t.Fatal(err)
	}
	var (
		oldHouse           int64
		oldRoad            string
		oldNum             int
		ohx, ohy           float64
		oldPlace           int64
		oldPlaceName       string
		opx, opy           float64
		newTown            = "新凤测试街道"
		newRoad, newRoad2  = "测试新路", "测试改名路"
		newPlace, renamedP = "测试花园", "改名测试家园"
	)
	if err := pool.QueryRow(ctx, `SELECT h.id, r.name, h.number, ST_X(h.geom), ST_Y(h.geom) FROM house_number h JOIN road r ON r.id = h.road_id
WHERE h.status <> 'retired' AND h.suffix = '' AND h.building = '' ORDER BY h.id LIMIT 1 OFFSET 10`).Scan(&oldHouse, &oldRoad, &oldNum, &ohx, &ohy); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT id, name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM place_name
WHERE status <> 'retired' AND geom IS NOT NULL ORDER BY id LIMIT 1 OFFSET 3`).Scan(&oldPlace, &oldPlaceName, &opx, &opy); err != nil {
		t.Fatal(err)
	}
	oldAddr := fmt.Sprintf("%s%d号", oldRoad, oldNum)
	cmp := loadComparison(t, pool, townName, newTown, newRoad, newRoad2, newRoad+"8号", newRoad2+"8号", newPlace, renamedP,
		oldPlaceName, oldAddr, "测试", "新凤", "改名")
	st0 := svc.Current()
	if !hasHit(hits(st0, townName), "division", townName) || !hasID(hits(st0, oldAddr), "address", oldHouse) || !hasID(hits(st0, oldPlaceName), "place", oldPlace) {
		t.Fatal("the demo data lacks the units the test edits")
	}

	t.Run("division rename", func(t *testing.T) {
		exec(t, pool, `UPDATE admin_unit SET name = $2, aliases = array_append(aliases, name), version = version + 1
WHERE code = $1 AND valid_to IS NULL`, town, newTown)
		st := update(t, svc)
		if hs := hits(st, newTown); !hasHit(hs, "division", newTown) {
			t.Fatalf("%s not found: %s", newTown, js(hs))
		}
		if hs := hits(st, townName); hasHit(hs, "division", townName) {
			t.Fatalf("the old name still answers as the unit's name: %s", js(hs))
		}
		a := st.Locate.Reverse(orb.Point{tx, ty}, today)
		found := false
		for _, d := range a.Divisions {
			if d.Code == town {
				found = d.Name == newTown
			}
		}
		if !found {
			t.Fatalf("reverse: %s", js(a))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})

	// A road through the township's interior point, and house number 8 on it, 11 m north.
	line := fmt.Sprintf("LINESTRING(%f %f, %f %f)", tx-0.002, ty, tx+0.002, ty)
	var roadID, houseID int64
	hx, hy := tx+0.0005, ty+0.0001
	t.Run("road add", func(t *testing.T) {
		if err := pool.QueryRow(ctx, `INSERT INTO road (name, admin_code, geom) VALUES ($1, $2, ST_GeomFromText($3, 4326)) RETURNING id`,
			newRoad, town, line).Scan(&roadID); err != nil {
			t.Fatal(err)
		}
		st := update(t, svc)
		if hs := hits(st, newRoad); !hasID(hs, "road", roadID) {
			t.Fatalf("%s not found: %s", newRoad, js(hs))
		}
		if a := st.Locate.Reverse(orb.Point{tx + 0.001, ty}, today); a.Road == nil || a.Road.ID != roadID {
			t.Fatalf("reverse on the new road: %s", js(a))
		}
		if g := addr.Geocode(st.Search, st.Locate, newRoad, today); g.Precision != addr.PrecisionRoad {
			t.Fatalf("geocode %s: %s", newRoad, js(g))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	t.Run("house number add", func(t *testing.T) {
		if err := pool.QueryRow(ctx, `INSERT INTO house_number (road_id, number, admin_code, geom, valid_from)
VALUES ($1, 8, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), '2020-01-01') RETURNING id`, roadID, town, hx, hy).Scan(&houseID); err != nil {
			t.Fatal(err)
		}
		st := update(t, svc)
		if hs := hits(st, newRoad+"8号"); !hasID(hs, "address", houseID) {
			t.Fatalf("%s8号 not found: %s", newRoad, js(hs))
		}
		g := addr.Geocode(st.Search, st.Locate, newRoad+"8号", today)
		if g.Precision != addr.PrecisionHouse || g.Point == nil || *g.Point != (orb.Point{hx, hy}) {
			t.Fatalf("geocode: %s", js(g))
		}
		if a := st.Locate.Reverse(orb.Point{hx, hy}, today); a.House == nil || a.House.ID != houseID || a.House.Address != newRoad+"8号" {
			t.Fatalf("reverse: %s", js(a))
		}
		cmp.pts = append(cmp.pts, orb.Point{hx, hy}, orb.Point{tx + 0.001, ty})
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	t.Run("house number retire", func(t *testing.T) {
		exec(t, pool, `UPDATE house_number SET status = 'retired', retired_on = valid_from, valid_to = valid_from WHERE id = $1`, oldHouse)
		st := update(t, svc)
		if hs := hits(st, oldAddr); hasID(hs, "address", oldHouse) {
			t.Fatalf("retired %s still found: %s", oldAddr, js(hs))
		}
		if g := addr.Geocode(st.Search, st.Locate, oldAddr, today); g.Precision == addr.PrecisionHouse {
			t.Fatalf("retired %s geocoded as a record: %s", oldAddr, js(g))
		}
		if a := st.Locate.Reverse(orb.Point{ohx, ohy}, today); a.House != nil && a.House.ID == oldHouse {
			t.Fatalf("reverse names the retired number: %s", js(a))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	var placeID int64
	px, py := tx-0.001, ty-0.0003
	t.Run("place name add", func(t *testing.T) {
		if err := pool.QueryRow(ctx, `INSERT INTO place_name (category, name, admin_code, geom) VALUES ('213', $1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326)) RETURNING id`,
			newPlace, town, px, py).Scan(&placeID); err != nil {
			t.Fatal(err)
		}
		st := update(t, svc)
		if hs := hits(st, newPlace); !hasID(hs, "place", placeID) {
			t.Fatalf("%s not found: %s", newPlace, js(hs))
		}
		if g := addr.Geocode(st.Search, st.Locate, newPlace, today); g.Precision != addr.PrecisionPlace || *g.Point != (orb.Point{px, py}) {
			t.Fatalf("geocode %s: %s", newPlace, js(g))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	t.Run("place name rename", func(t *testing.T) {
		exec(t, pool, `UPDATE place_name SET name = $2, version = version + 1 WHERE id = $1`, oldPlace, renamedP)
		st := update(t, svc)
		if hs := hits(st, renamedP); !hasID(hs, "place", oldPlace) {
			t.Fatalf("%s not found: %s", renamedP, js(hs))
		}
		if hs := hits(st, oldPlaceName); hasHit(hs, "place", oldPlaceName) {
			t.Fatalf("old name %s still found: %s", oldPlaceName, js(hs))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	t.Run("road rename", func(t *testing.T) {
		exec(t, pool, `UPDATE road SET name = $2 WHERE id = $1`, roadID, newRoad2)
		st := update(t, svc)
		if hs := hits(st, newRoad2+"8号"); !hasID(hs, "address", houseID) {
			t.Fatalf("%s8号 not found: %s", newRoad2, js(hs))
		}
		if hs := hits(st, newRoad+"8号"); hasID(hs, "address", houseID) || hasHit(hs, "road", newRoad) {
			t.Fatalf("the old road name still answers: %s", js(hs))
		}
		if a := st.Locate.Reverse(orb.Point{hx, hy}, today); a.House == nil || a.House.Address != newRoad2+"8号" || a.Road.Name != newRoad2 {
			t.Fatalf("reverse: %s", js(a))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
	t.Run("division versions and a new village", func(t *testing.T) {
		// What an import of a later year does: close the version and insert the renamed one
		// (old name as an alias), and add a village under it (the township's importance in
		// search counts its children).
		exec(t, pool, `WITH closed AS (UPDATE admin_unit SET valid_to = '2025-01-01' WHERE code = $1 AND valid_to IS NULL RETURNING *)
INSERT INTO admin_unit (code, level, kind, name, parent_code, aliases, valid_from, geom)
SELECT code, level, kind, '二版测试街道', parent_code, array_append(aliases, name), '2025-01-01', geom FROM closed`, town)
		exec(t, pool, `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from)
VALUES (left($1, 9) || '991', 5, '村委会', '测试新村村委会', $1, '2025-01-01')`, town)
		st := update(t, svc)
		if hs := hits(st, "二版测试"); !hasHit(hs, "division", "二版测试街道") {
			t.Fatalf("not found: %s", js(hs))
		}
		if hs := hits(st, "测试新村"); !hasHit(hs, "division", "测试新村村委会") {
			t.Fatalf("new village not found: %s", js(hs))
		}
		sameAsRebuild(t, pool, st, append(cmp.queries, "二版测试街道", "测试新村", "新凤测试", "二版"), cmp.pts, append(cmp.codes, town[:9]+"991"))
	})
	t.Run("deletes", func(t *testing.T) {
		exec(t, pool, `DELETE FROM house_number WHERE id = $1`, houseID)
		exec(t, pool, `DELETE FROM road WHERE id = $1`, roadID)
		exec(t, pool, `DELETE FROM place_name WHERE id = $1`, placeID)
		st := update(t, svc)
		if hs := hits(st, newRoad2); hasID(hs, "road", roadID) || hasID(hits(st, newPlace), "place", placeID) {
			t.Fatalf("deleted rows still found: %s", js(hs))
		}
		if a := st.Locate.Reverse(orb.Point{hx, hy}, today); (a.House != nil && a.House.ID == houseID) || (a.Road != nil && a.Road.ID == roadID) {
			t.Fatalf("reverse names deleted rows: %s", js(a))
		}
		sameAsRebuild(t, pool, st, cmp.queries, cmp.pts, cmp.codes)
	})
}

// TestLiveLateCommit: a transaction that wrote first but commits after a later one is not
// skipped (the change log is read by transaction, not by the highest seq seen).
func TestLiveLateCommit(t *testing.T) {
	pool, svc := liveService(t)
	ctx := context.Background()
	early, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback(ctx)
	if _, err := early.Exec(ctx, `INSERT INTO place_name (category, name, admin_code) VALUES ('213', '早写晚交小区', '339901001000')`); err != nil {
		t.Fatal(err)
	}
	exec(t, pool, `INSERT INTO place_name (category, name, admin_code) VALUES ('213', '晚写早交小区', '339901001000')`)
	st := update(t, svc)
	if !hasHit(hits(st, "晚写早交小区"), "place", "晚写早交小区") || hasHit(hits(st, "早写晚交小区"), "place", "早写晚交小区") {
		t.Fatal("before the early transaction commits only the later one is visible")
	}
	if err := early.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st = update(t, svc)
	if !hasHit(hits(st, "早写晚交小区"), "place", "早写晚交小区") {
		t.Fatal("the late commit was skipped")
	}
	if changed, err := svc.Update(ctx); err != nil || changed {
		t.Fatalf("a change applied twice: %v %v", changed, err)
	}
}

// TestLiveBulkRebuilds: a statement changing more than 20,000 rows is logged as one
// reload, and the service rebuilds (the count comes from the table).
func TestLiveBulkRebuilds(t *testing.T) {
	pool, svc := liveService(t)
	ctx := context.Background()
	before := svc.Current()
	var seq int64
	if err := pool.QueryRow(ctx, `SELECT max(seq) FROM gazetteer_change`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	exec(t, pool, `INSERT INTO house_number (road_id, number, admin_code, geom, valid_from)
SELECT (SELECT min(id) FROM road), 10000 + g, '339901001000', ST_SetSRID(ST_MakePoint(120 + g * 1e-6, 28.2), 4326), '2020-01-01'
FROM generate_series(1, 20001) g`)
	var logged int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM gazetteer_change WHERE tbl = 'house_number' AND seq > $1 AND op = 'reload'
  AND NOT EXISTS (SELECT FROM gazetteer_change WHERE seq > $1 AND op <> 'reload')`, seq).Scan(&logged); err != nil || logged != 1 {
		t.Fatalf("change-log rows for the bulk insert: %d %v", logged, err)
	}
	if _, err := svc.Update(ctx); err != nil {
		t.Fatal(err)
	}
	st := svc.Current()
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM house_number WHERE status <> 'retired'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if st.Built == before.Built || st.Data.Updated() != 0 || len(st.Data.Houses) != n {
		t.Fatalf("not rebuilt: %d house numbers in memory, %d in the table", len(st.Data.Houses), n)
	}
	// A small change after the rebuild is applied in place again.
	exec(t, pool, `INSERT INTO place_name (category, name, admin_code) VALUES ('213', '重建之后小区', '339901001000')`)
	if st = update(t, svc); !hasHit(hits(st, "重建之后小区"), "place", "重建之后小区") {
		t.Fatal("not found after the rebuild")
	}
}

// TestLiveWatchConcurrent: readers search, geocode and reverse-geocode without pause
// while Watch applies a stream of edits committed one by one (run with -race). Every
// reader sees the house numbers appear in commit order, never disappear, and every edit
// becomes searchable; the NOTIFY wakes the service (polling is off).
func TestLiveWatchConcurrent(t *testing.T) {
	pool, svc := liveService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc.Poll = time.Hour
	go svc.Watch(ctx)
	time.Sleep(300 * time.Millisecond) // let LISTEN start
	var roadID int64
	if err := pool.QueryRow(ctx, `INSERT INTO road (name, admin_code, geom) VALUES ('并发测试路', '339901001000',
  ST_GeomFromText('LINESTRING(120.05 28.3, 120.06 28.3)', 4326)) RETURNING id`).Scan(&roadID); err != nil {
		t.Fatal(err)
	}
	const edits = 30
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			seen := 0
			for !stop.Load() {
				st := svc.Current()
				n := 0 // numbers 1..n are visible; n+1.. are not
				for k := 1; k <= edits; k++ {
					if !hasHit(hits(st, fmt.Sprintf("并发测试路%d号", k)), "address", fmt.Sprintf("并发测试路%d号", k)) {
						break
					}
					n = k
				}
				if n < seen {
					errs <- fmt.Sprintf("reader %d: %d numbers visible after %d", r, n, seen)
					return
				}
				seen = n
				_ = st.Locate.Reverse(orb.Point{120.055, 28.3001}, today)
				_ = addr.Geocode(st.Search, st.Locate, "并发测试路1号", today)
			}
		}(r)
	}
	var lat []time.Duration
	var applyMS []float64
	for k := 1; k <= edits; k++ {
		exec(t, pool, `INSERT INTO house_number (road_id, number, admin_code, geom, valid_from)
VALUES ($1, $2::int, '339901001000', ST_SetSRID(ST_MakePoint(120.05 + $2::int * 0.0001, 28.3001), 4326), '2020-01-01')`, roadID, k)
		t0 := time.Now()
		q := fmt.Sprintf("并发测试路%d号", k)
		for !hasHit(hits(svc.Current(), q), "address", q) {
			if time.Since(t0) > 10*time.Second {
				t.Fatalf("%s not searchable 10 s after its commit", q)
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
		applyMS = append(applyMS, svc.Current().UpdateMS)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	slices.Sort(lat)
	slices.Sort(applyMS)
	t.Logf("commit to searchable (demo size, NOTIFY, %d edits, 4 readers busy): p50 %v max %v; update itself p50 %.1f ms max %.1f ms",
		edits, lat[len(lat)/2], lat[len(lat)-1], applyMS[len(applyMS)/2], applyMS[len(applyMS)-1])
	if st := svc.Current(); !hasHit(hits(st, "并发测试路"), "road", "并发测试路") {
		t.Fatal("the road is not searchable")
	}
}

// TestLiveGenerationCatchesUp: a store that counts its edit only after an Update already
// applied it (the edit commits, the service applies it, then the store's generation
// moves) still sees the State reach its generation at the next Update, which finds
// nothing new in the log: otherwise GET /api/divisions/{code} would go to PostGIS forever.
func TestLiveGenerationCatchesUp(t *testing.T) {
	pool, svc := liveService(t)
	ctx := context.Background()
	var gen atomic.Uint64
	svc.SetWriteGeneration(gen.Load)
	exec(t, pool, `UPDATE admin_unit SET pinyin = 'Fangyuan Xian' WHERE code = '339901000000' AND valid_to IS NULL`)
	st := update(t, svc) // applies the edit with the generation read before it moved
	if st.Gen != 0 {
		t.Fatalf("generation %d before the store counted its edit", st.Gen)
	}
	gen.Add(1) // the store counts its committed edit
	changed, err := svc.Update(ctx)
	if err != nil || changed {
		t.Fatalf("nothing new in the log, yet changed=%v err=%v", changed, err)
	}
	if got := svc.Current().Gen; got != 1 {
		t.Fatalf("State generation %d, want 1: the State holds every edit the store counted", got)
	}
	if svc.Current().Data != st.Data {
		t.Fatal("the State's data was replaced although nothing changed")
	}
}

// TestChangeLogPrune: PruneChanges deletes the change-log rows older than the retention
// and keeps the recent ones; a retention not above MaxCursorAge is refused; a reader whose
// cursor is older than MaxCursorAge rebuilds rather than reading on past pruned rows, and
// applies edits in place again after that.
func TestChangeLogPrune(t *testing.T) {
	pool, svc := liveService(t)
	ctx := context.Background()
	exec(t, pool, `INSERT INTO place_name (category, name, admin_code) VALUES ('213', '旧日志小区', '339901001000')`)
	update(t, svc)
	var total, old int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM gazetteer_change`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// Age all but the newest row by 8 days.
	exec(t, pool, `UPDATE gazetteer_change SET at = at - interval '8 days' WHERE seq < (SELECT max(seq) FROM gazetteer_change)`)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM gazetteer_change WHERE at < now() - interval '7 days'`).Scan(&old); err != nil || old == 0 || old != total-1 {
		t.Fatalf("test data: %d of %d rows aged (%v)", old, total, err)
	}
	if _, err := snapshot.PruneChanges(ctx, pool, time.Hour); err == nil {
		t.Error("a retention of 1 h (below MaxCursorAge) was accepted")
	}
	n, err := snapshot.PruneChanges(ctx, pool, snapshot.ChangeRetention)
	if err != nil {
		t.Fatal(err)
	}
	var left int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM gazetteer_change`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if n != old || left != total-old {
		t.Fatalf("pruned %d rows (want %d), %d left (want %d)", n, old, left, total-old)
	}
	// Edits after the prune are applied in place.
	before := svc.Current().Built
	exec(t, pool, `INSERT INTO place_name (category, name, admin_code) VALUES ('213', '剪后小区', '339901001000')`)
	if st := update(t, svc); !hasHit(hits(st, "剪后小区"), "place", "剪后小区") || st.Built != before {
		t.Fatal("an edit after the prune was not applied in place")
	}
	// A cursor read more than MaxCursorAge ago asks for a rebuild.
	cur, err := snapshot.StartCursor(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _, err := snapshot.ReadChanges(ctx, pool, cur, 100)
	if err != nil || fresh.Reload {
		t.Fatalf("a fresh cursor: reload %v (%v)", fresh.Reload, err)
	}
	cur.Read = cur.Read.Add(-snapshot.MaxCursorAge - time.Minute)
	stale, next, err := snapshot.ReadChanges(ctx, pool, cur, 100)
	if err != nil || !stale.Reload {
		t.Fatalf("a cursor %v old: reload %v (%v)", snapshot.MaxCursorAge+time.Minute, stale.Reload, err)
	}
	if !next.Read.After(cur.Read) {
		t.Fatalf("the cursor after a read keeps the old read time %v", next.Read)
	}
}
