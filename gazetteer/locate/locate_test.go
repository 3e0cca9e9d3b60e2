package locate_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/data"
	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// demo loads the embedded demo data into a fresh database, once per test binary for the
// read-only tests.
var demoOnce struct {
	sync.Once
	pool *pgxpool.Pool
	ix   *locate.Index
	err  error
}

func demo(t testing.TB) (*pgxpool.Pool, *locate.Index) {
	t.Helper()
	demoOnce.Do(func() {
		// A database that outlives single tests: made through a throwaway testing.T-like
		// holder is not possible, so the first caller's database is kept for the binary.
		demoOnce.pool = dbtest.Pool(keep{t})
		if demoOnce.err = importers.LoadDemo(dbtest.CLI(), demoOnce.pool, data.Demo, nil); demoOnce.err != nil {
			return
		}
		d, err := snapshot.Load(context.Background(), demoOnce.pool)
		if err != nil {
			demoOnce.err = err
			return
		}
		demoOnce.ix = locate.New(d)
	})
	if demoOnce.err != nil {
		t.Fatal(demoOnce.err)
	}
	return demoOnce.pool, demoOnce.ix
}

// keep is a testing.TB whose cleanups never run (the database lives until the throwaway
// cluster is removed by dbtest.Main).
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

// today is a fixed day after the demo snapshot (2023-06-30): verdicts never follow the wall clock.
var today = snapshot.DayOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))

// postgisCovers returns, for each point, the codes of the current units covering it by level.
func postgisCovers(t testing.TB, pool *pgxpool.Pool, pts []orb.Point) []map[int]map[string]bool {
	t.Helper()
	lons, lats := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		lons[i], lats[i] = p[0], p[1]
	}
	rows, err := pool.Query(context.Background(), `
SELECT p.i, a.level, a.code
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(lon, lat, i)
JOIN admin_unit a ON a.valid_to IS NULL AND a.geom IS NOT NULL
  AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))`, lons, lats)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make([]map[int]map[string]bool, len(pts))
	for rows.Next() {
		var (
			i     int64
			level int16
			code  string
		)
		if err := rows.Scan(&i, &level, &code); err != nil {
			t.Fatal(err)
		}
		m := out[i-1]
		if m == nil {
			m = map[int]map[string]bool{}
			out[i-1] = m
		}
		if m[int(level)] == nil {
			m[int(level)] = map[string]bool{}
		}
		m[int(level)][code] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// boundaryPoints are points on and near the boundaries of every unit with geometry:
// vertices, edge midpoints, and points 1e-7° (≈1 cm) and 1e-9° either side of each
// sampled edge's midpoint.
func boundaryPoints(d *snapshot.Data, perRing int) []orb.Point {
	var pts []orb.Point
	for _, u := range d.Units {
		for _, poly := range u.Geom {
			for _, r := range poly {
				step := max(1, len(r)/perRing)
				for i := 0; i+1 < len(r); i += step {
					a, b := r[i], r[i+1]
					mid := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
					dx, dy := b[0]-a[0], b[1]-a[1]
					l := math.Hypot(dx, dy)
					pts = append(pts, a, mid)
					for _, off := range []float64{1e-7, -1e-7, 1e-9, -1e-9} {
						pts = append(pts, orb.Point{mid[0] - dy/l*off, mid[1] + dx/l*off})
					}
				}
			}
		}
	}
	return pts
}

func compare(t *testing.T, ix *locate.Index, pool *pgxpool.Pool, pts []orb.Point) (checked, onBoundary int) {
	t.Helper()
	want := postgisCovers(t, pool, pts)
	bad := 0
	for i, p := range pts {
		var got [6]int32
		ix.Covering(p, today, &got)
		for l := 1; l <= 5; l++ {
			w := want[i][l]
			if len(w) > 1 {
				onBoundary++
			}
			switch {
			case got[l] < 0 && len(w) == 0:
			case got[l] >= 0 && w[ix.Data().Units[got[l]].Code]:
			default:
				gotCode := "none"
				if got[l] >= 0 {
					gotCode = ix.Data().Units[got[l]].Code
				}
				if bad < 10 {
					t.Errorf("point %.12f,%.12f level %d: index says %s, PostGIS ST_Covers says %v", p[0], p[1], l, gotCode, keys(w))
				}
				bad++
			}
		}
		checked++
	}
	if bad > 0 {
		t.Errorf("%d level answers differ from PostGIS", bad)
	}
	return checked, onBoundary
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The in-memory index answers exactly as PostGIS ST_Covers on the demo county's
// boundaries (vertices, edges, ±1 cm and ±0.1 mm off them) and on random points.
func TestCoveringEqualsPostGIS(t *testing.T) {
	pool, ix := demo(t)
	pts := boundaryPoints(ix.Data(), 12)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		pts = append(pts, orb.Point{119.55 + 0.7*rng.Float64(), 27.95 + 0.6*rng.Float64()})
	}
	n, shared := compare(t, ix, pool, pts)
	t.Logf("%d points compared with PostGIS (%d level answers on a shared boundary)", n, shared)
	if shared == 0 {
		t.Error("no test point lay on a shared boundary")
	}
}

// Polygons with holes and several parts, made in the test: the hole's boundary is covered,
// its inside is not; later versions answer by date.
func TestCoveringHolesAndDates(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, valid_to, geom) VALUES
 ('980000000000', 1, '省', '测试省', NULL, '2000-01-01', NULL,
  ST_GeomFromText('MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0),(2 2,2 8,8 8,8 2,2 2)),((20 0,21 0,20.5 1,20 0)))', 4326)),
 ('980100000000', 2, '地级市', '旧测试市', '980000000000', '2000-01-01', '2020-01-01',
  ST_GeomFromText('MULTIPOLYGON(((0 0,5 0,5 10,0 10,0 0)))', 4326))`)
	if err != nil {
		t.Fatal(err)
	}
	d, err := snapshot.Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	ix := locate.New(d)
	pts := boundaryPoints(d, 100)
	for _, p := range []orb.Point{{5, 5}, {2, 5}, {1, 1}, {0, 0}, {10, 10}, {8, 8}, {2.0000001, 5}, {20.5, 0.5}, {20.75, 0.5}, {20.5, 1}, {30, 30}, {1.0 / 3, 1.0 / 3}} {
		pts = append(pts, p)
	}
	compare(t, ix, pool, pts)

	tests := []struct {
		pt   orb.Point
		day  string
		want []string // codes province first
	}{
		{orb.Point{1, 1}, "2010-06-01", []string{"980000000000", "980100000000"}},
		{orb.Point{1, 1}, "2021-06-01", []string{"980000000000"}},
		{orb.Point{6, 5}, "2010-06-01", nil},                                      // in the hole
		{orb.Point{2, 5}, "2010-06-01", []string{"980000000000", "980100000000"}}, // on the hole's edge
		{orb.Point{20.5, 0.5}, "2021-06-01", []string{"980000000000"}},
		{orb.Point{1, 1}, "1999-06-01", nil},
	}
	for _, tt := range tests {
		day0, _ := time.Parse(time.DateOnly, tt.day)
		a := ix.Reverse(tt.pt, snapshot.DayOf(day0))
		var got []string
		for _, dv := range a.Divisions {
			got = append(got, dv.Code)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%v on %s: %v, want %v", tt.pt, tt.day, got, tt.want)
		}
	}
}

// The demo facilities' addresses were numbered by the same rule the index uses: reverse
// geocoding a facility gives its road and, within one pair, its number.
func TestReverseFacilityAddresses(t *testing.T) {
	_, ix := demo(t)
	n, exact := 0, 0
	for _, f := range demoFacilities(t) {
		a := ix.Reverse(f.pt, today)
		if len(a.Divisions) != 5 || a.Divisions[0].Code != "330000000000" || a.Divisions[2].Code != "339901000000" {
			t.Fatalf("%s: divisions %+v", f.address, a.Divisions)
		}
		if a.Road == nil || !strings.Contains(f.address, a.Road.Name) {
			continue // not every facility is on a street, and a crossing road may be nearer
		}
		n++
		want, _ := strconv.Atoi(f.address[strings.Index(f.address, a.Road.Name)+len(a.Road.Name) : len(f.address)-len("号")])
		switch diff := a.Road.Number - want; {
		case diff == 0:
			exact++
		case diff%2 != 0 || diff < -2 || diff > 2:
			t.Errorf("%s at %v: number %d, want %d (±2, same parity)", f.address, f.pt, a.Road.Number, want)
		}
	}
	if n < 20 {
		t.Fatalf("only %d facilities matched to their road", n)
	}
	t.Logf("%d street facilities: %d numbers exact, the rest within one pair", n, exact)
}

type facility struct {
	address string
	pt      orb.Point
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
			if strings.HasSuffix(r[4], "号") {
				out = append(out, facility{address: r[4], pt: orb.Point{lon, lat}})
			}
		}
	}
	return out
}

// The numbering rule and its inverse agree: a number placed on a road reverse-geocodes to
// itself.
func TestPlaceNumberRoundTrip(t *testing.T) {
	_, ix := demo(t)
	d := ix.Data()
	checked := 0
	for ri := range d.Roads {
		top := ix.HighestNumber(int32(ri))
		for _, n := range []int{1, 2, 7, 10, 33, 58, top - 1, top} {
			if n < 1 || (d.Roads[ri].OneSided && n%2 == 0) {
				continue
			}
			pl := ix.PlaceNumber(int32(ri), n, "", today)
			if pl.Beyond {
				continue
			}
			rp, ok := ix.NearestRoad(pl.Point, 200)
			if !ok || rp.Road != int32(ri) {
				continue // another road passes nearer (crossings)
			}
			if got := locate.NumberAt(&d.Roads[ri], rp.AlongM, rp.Left); got != n {
				t.Errorf("%s %d号 placed at %v reads back as %d", d.Roads[ri].Name, n, pl.Point, got)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d numbers checked", checked)
	}
}
