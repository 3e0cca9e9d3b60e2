package addr_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/db/dbtest"
)

// A change of house numbers alone is picked up by the cheap path (the divisions, roads and
// place names kept from the State before, the house numbers read anew), a change of any
// other table by the full rebuild; either way the new rows are searchable.
func TestRefreshHouseNumbersOnly(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := pool.Exec(ctx, `
INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from) VALUES
 ('970000000000', 1, '省', '甲测试省', NULL, '2000-01-01'),
 ('970100000000', 2, '地级市', '乙测试市', '970000000000', '2000-01-01'),
 ('970101000000', 3, '市辖区', '丙测试区', '970100000000', '2000-01-01'),
 ('970101001000', 4, '街道', '丁测试街道', '970101000000', '2000-01-01');
INSERT INTO road (name, admin_code, geom) VALUES ('测试路', '970101001000', ST_GeomFromText('LINESTRING(100 30, 100.01 30)', 4326))`); err != nil {
		t.Fatal(err)
	}
	svc, err := addr.NewService(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go svc.Watch(ctx)
	time.Sleep(300 * time.Millisecond) // let LISTEN start
	now := snapshot.DayOf(time.Time{})
	found := func(st *addr.State, text string) bool {
		for _, h := range st.Search.Search(search.Query{Text: text, Day: now}) {
			if h.Type == "address" && h.Name == text {
				return true
			}
		}
		return false
	}
	wait := func(prev *addr.State, ok func(*addr.State) bool) *addr.State {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if st := svc.Current(); st != prev && ok(st) {
				return st
			}
		}
		t.Fatal("the indexes were not rebuilt after the insert")
		return nil
	}

	first := svc.Current()
	if found(first, "测试路8号") {
		t.Fatal("found before the insert")
	}
	if _, err := pool.Exec(ctx, `INSERT INTO house_number (road_id, number, geom, valid_from, admin_code)
SELECT id, 8, ST_SetSRID(ST_MakePoint(100.005, 30.0001), 4326), '2000-01-01', '970101001000' FROM road WHERE name = '测试路'`); err != nil {
		t.Fatal(err)
	}
	st := wait(first, func(st *addr.State) bool { return found(st, "测试路8号") })
	if &st.Data.Units[0] != &first.Data.Units[0] || &st.Data.Roads[0] != &first.Data.Roads[0] {
		t.Error("a house-number change reloaded the divisions or roads")
	}
	if len(st.Data.Houses) != 1 || st.Data.Houses[0].Number != 8 || st.Locate == first.Locate {
		t.Errorf("houses %+v; locate index rebuilt: %v", st.Data.Houses, st.Locate != first.Locate)
	}
	if d := st.Search.Search(search.Query{Text: "丁测试街道", Day: now}); len(d) == 0 || d[0].Code != "970101001000" {
		t.Errorf("division search after the house reload: %+v", d)
	}

	// A road: the full rebuild (new division and road arrays), the house still found.
	if _, err := pool.Exec(ctx, `INSERT INTO road (name, admin_code, geom) VALUES ('第二测试路', '970101001000', ST_GeomFromText('LINESTRING(100 30.01, 100.01 30.01)', 4326))`); err != nil {
		t.Fatal(err)
	}
	st2 := wait(st, func(st *addr.State) bool { return len(st.Data.Roads) == 2 })
	if &st2.Data.Units[0] == &first.Data.Units[0] || !found(st2, "测试路8号") {
		t.Error("a road change did not rebuild everything")
	}
}
