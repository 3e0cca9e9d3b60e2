package addr_test

import (
	"context"
	"encoding/csv"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/data"
	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// keep is a testing.TB whose cleanups never run: the shared databases live until
// dbtest.Main removes the throwaway cluster.
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

var demoOnce struct {
	sync.Once
	pool *pgxpool.Pool
	st   *addr.State
	err  error
}

// demo is the embedded demo data (real Zhejiang codes + the fictional county 339901).
func demo(t testing.TB) (*pgxpool.Pool, *addr.State) {
	t.Helper()
	demoOnce.Do(func() {
		demoOnce.pool = dbtest.Pool(keep{t})
		if demoOnce.err = importers.LoadDemo(dbtest.CLI(), demoOnce.pool, data.Demo, nil); demoOnce.err != nil {
			return
		}
		demoOnce.st, demoOnce.err = addr.Build(context.Background(), demoOnce.pool)
	})
	if demoOnce.err != nil {
		t.Fatal(demoOnce.err)
	}
	return demoOnce.pool, demoOnce.st
}

// today is a fixed day after the demo snapshot (2023-06-30): verdicts never follow the wall clock.
var today = snapshot.DayOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))

type facility struct {
	name, address string
	pt            orb.Point
}

func demoFacilities(t testing.TB) []facility {
	var out []facility
	entries, err := fs.ReadDir(data.Demo, "demo/facilities")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(data.Demo, "demo/facilities/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			lon, _ := strconv.ParseFloat(r[2], 64)
			lat, _ := strconv.ParseFloat(r[3], 64)
			out = append(out, facility{name: r[1], address: r[4], pt: orb.Point{lon, lat}})
		}
	}
	return out
}

func metres(a, b orb.Point) float64 {
	return math.Hypot((a[0]-b[0])*98140, (a[1]-b[1])*110820)
}

// Geocoding the demo facilities' street addresses lands beside the facility: the demo
// numbered its buildings by the same rule (one pair per 15 m, 15 m off the centre line),
// and records house numbers by it (data/demo/housenumbers.csv).
func TestGeocodeDemoFacilities(t *testing.T) {
	_, st := demo(t)
	n := 0
	for _, f := range demoFacilities(t) {
		g := addr.Geocode(st.Search, st.Locate, f.address, today)
		if g.Status != "ok" || g.Point == nil {
			t.Errorf("%s: %s %+v", f.address, g.Status, g.Parsed)
			continue
		}
		if g.Parsed.County == nil || g.Parsed.County.Code != "339901000000" {
			t.Errorf("%s: county %+v", f.address, g.Parsed.County)
		}
		if g.Parsed.Road == nil { // a village house number (云苑社区43号): the village's point
			if g.Precision != "village" || st.Locate.Deepest(*g.Point, today) < 0 ||
				st.Data.Units[st.Locate.Deepest(*g.Point, today)].Code != g.Code {
				t.Errorf("%s: precision %s at %v, code %s", f.address, g.Precision, g.Point, g.Code)
			}
			continue
		}
		if strings.HasSuffix(f.address, "号") {
			n++
			if g.Precision != addr.PrecisionRoadNum && g.Precision != addr.PrecisionHouse { // the demo's 门牌 are on record
				t.Errorf("%s: precision %s, parsed %+v road %+v", f.address, g.Precision, g.Parsed, g.Parsed.Road)
				continue
			}
			if d := metres(*g.Point, f.pt); d > 20 {
				t.Errorf("%s: %.0f m from the facility", f.address, d)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d street addresses", n)
	}
}

func TestParseForms(t *testing.T) {
	_, st := demo(t)
	tests := []struct {
		in                       string
		code                     string // deepest division
		road                     string
		number                   int
		suffix, bldg, unit, room string
	}{
		{"浙江省丽水市莲都区", "331102000000", "", 0, "", "", "", ""},
		{"丽水莲都", "331102000000", "", 0, "", "", "", ""},
		{"丽水 莲都区", "331102000000", "", 0, "", "", "", ""},
		{"丽水市，莲都", "331102000000", "", 0, "", "", "", ""},
		{"莲都区紫金街道", "331102001000", "", 0, "", "", "", ""},
		{"方圆县鹤鸣街道人民路八十八号", "339901001000", "人民路", 88, "", "", "", ""},
		{"方圆县（虚构）鹤鸣街道人民路８８号之一３幢２单元５０１室", "339901001000", "人民路", 88, "之一", "3", "2", "501"},
		{"方圆县人民路12甲号", "339901001000", "人民路", 12, "甲", "", "", ""},
		{"方圆县鹤鸣街道人民路12号附3-501", "339901001000", "人民路", 12, "附", "3", "", "501"},
		{"人民路132号", "339901001000", "人民路", 132, "", "", "", ""},
	}
	for _, tt := range tests {
		p := addr.Parse(st.Search, tt.in, today)
		road := ""
		if p.Road != nil {
			road = p.Road.Text
		}
		if p.Code != tt.code || road != tt.road || p.Number != tt.number || p.Suffix != tt.suffix || p.Building != tt.bldg || p.Unit != tt.unit || p.Room != tt.room {
			t.Errorf("%s: code %s road %q number %d suffix %q building %q unit %q room %q (unparsed %q, poi %q), want %s %q %d %q %q %q %q",
				tt.in, p.Code, road, p.Number, p.Suffix, p.Building, p.Unit, p.Room, p.Unparsed, p.POI, tt.code, tt.road, tt.number, tt.suffix, tt.bldg, tt.unit, tt.room)
		}
	}
}
