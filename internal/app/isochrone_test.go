package app_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"fangyuan/coverage/network"
	"fangyuan/importers/parse"
	"fangyuan/internal/app"
	"fangyuan/internal/db/dbtest"
)

// The hand network on the equator (as coverage/network's reach test):
//
//	mainland road  lon 0.00 → 0.02  residential (2,226 m)
//	ferry          lon 0.02 → 0.04  route=ferry, duration 10 min (+ the walk profile's 20 min wait)
//	island A road  lon 0.04 → 0.05  footway
//	island B road  lon 0.08 → 0.09  footway (no ferry)
//
// An eldercare center (walk, 4 km/h, access walk ≤ 500 m: the default standards) stands
// on the mainland road's west end (0, 0).
//
// 15 minutes = 1,000 m of walking. Along the road the facility reaches x ≤ 1,000 m with
// 1,000 − x m left, so the isochrone is the union of the discs of radius
// min(500, 1000 − x) around (x, 0), 0 ≤ x ≤ 1000. A disc at x > 500 lies inside the
// disc at 500 (centres x − 500 apart, radius 500 − (x − 500)), so the union is the
// stadium of radius 500 around the segment [0, 500]:
// area 500·1000 + π·500² = 1,285,398 m², and a point is inside iff its distance to
// the segment is ≤ 500 m.
//
// 90 minutes: the ferry's island end is reached after 2,226 m of walking (2,004 s),
// 600 s of crossing and 1,200 s of wait = 3,804 s; 1,596 s (1,773 m) remain, more than
// island A's 1,113 m, whose far end still has 594 s (660 m, capped at 500) to spare:
// island A's road gets the full 500 m stadium too. Island B has no ferry: nothing.
const (
	isoDegLon = 6378137 * math.Pi / 180
	isoDegLat = 110574.2727
)

func isoWay(id int64, hw string, nodes []int64, lons ...float64) parse.OSMWay {
	w := parse.OSMWay{ID: id, Highway: hw, Nodes: nodes, Foot: true, Motor: true}
	for _, x := range lons {
		w.Points = append(w.Points, orb.Point{x, 0})
	}
	return w
}

func TestIsochroneByHand(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	var facID int64
	if err := pool.QueryRow(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom)
		VALUES ('eldercare_center', 'ISO-1', '赤道居家养老服务中心', 'operating', ST_SetSRID(ST_MakePoint(0, 0), 4326)) RETURNING id`).Scan(&facID); err != nil {
		t.Fatal(err)
	}
	srv, _ := serve(t, pool, app.Config{})
	iso := func(q string) answer {
		return do(t, "GET", fmt.Sprintf("%s/api/facilities/%d/isochrone%s", srv.URL, facID, q), "", "")
	}

	// No network stored yet: 409 with a JSON error.
	if a := iso(""); a.status != 409 || errorCode(a.body) == "" {
		t.Fatalf("isochrone without a network: %d %s", a.status, a.body)
	}
	ferry := isoWay(2, "", []int64{2, 3}, 0.02, 0.04)
	ferry.Highway, ferry.Ferry, ferry.DurationS = "", true, 600
	nw, err := network.FromOSM([]parse.OSMWay{
		isoWay(1, "residential", []int64{1, 10, 2}, 0, 0.01, 0.02),
		ferry,
		isoWay(3, "footway", []int64{3, 4}, 0.04, 0.05),
		isoWay(4, "footway", []int64{5, 6}, 0.08, 0.09),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { _, err := network.Replace(ctx, tx, nw, "hand"); return err }); err != nil {
		t.Fatal(err)
	}

	// Bad input: 4xx with a JSON error naming the field.
	for _, c := range []struct {
		path   string
		status int
	}{
		{fmt.Sprintf("/api/facilities/%d/isochrone?minutes=0", facID), 400},
		{fmt.Sprintf("/api/facilities/%d/isochrone?minutes=-5", facID), 400},
		{fmt.Sprintf("/api/facilities/%d/isochrone?minutes=abc", facID), 400},
		{fmt.Sprintf("/api/facilities/%d/isochrone?minutes=241", facID), 400},
		{fmt.Sprintf("/api/facilities/%d/isochrone?minutes=NaN", facID), 400},
		{"/api/facilities/abc/isochrone", 400},
		{"/api/facilities/0/isochrone", 400},
		{"/api/facilities/999999/isochrone", 404},
	} {
		if a := do(t, "GET", srv.URL+c.path, "", ""); a.status != c.status || errorCode(a.body) == "" {
			t.Errorf("GET %s: %d %s, want %d with a JSON error", c.path, a.status, a.body, c.status)
		}
	}

	// contains asks PostGIS whether the isochrone holds the point (metres east, north of the facility).
	type probe struct {
		x, y float64 // metres
		in   bool
	}
	check := func(minutes string, wantArea float64, probes []probe) {
		a := iso("?minutes=" + minutes)
		if a.status != 200 {
			t.Fatalf("isochrone %s min: %d %s", minutes, a.status, a.body)
		}
		var area float64
		if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_GeomFromGeoJSON($1::json->'geometry')::geography)`, string(a.body)).Scan(&area); err != nil {
			t.Fatal(err)
		}
		// The buffers are polygons of 32 sides a circle (inside the circles): ≤ 0.7 % less area.
		if !(area <= wantArea*1.001 && area >= wantArea*0.99) {
			t.Errorf("isochrone %s min: area %.0f m², want %.0f m² (−1 %%)", minutes, area, wantArea)
		}
		for _, p := range probes {
			var in bool
			if err := pool.QueryRow(ctx, `SELECT ST_Intersects(ST_GeomFromGeoJSON($1::json->'geometry'), ST_SetSRID(ST_MakePoint($2, $3), 4326))`,
				string(a.body), p.x/isoDegLon, p.y/isoDegLat).Scan(&in); err != nil {
				t.Fatal(err)
			}
			if in != p.in {
				t.Errorf("isochrone %s min: point %.0f m east, %.0f m north: inside %v, want %v", minutes, p.x, p.y, in, p.in)
			}
		}
	}
	stadium := 500*1000 + math.Pi*500*500
	check("15", stadium, []probe{
		{0, 0, true}, {-480, 0, true}, {-530, 0, false}, // the disc around the facility
		{250, 480, true}, {250, 520, false}, {250, -480, true}, {250, -520, false}, // the stadium's sides
		{990, 0, true}, {1010, 0, false}, // the far end: 500 + 500
		{800, 380, true}, {800, 420, false}, // distance to (500, 0): 500 at y = 400
		{2226, 0, false}, // the ferry pier
	})
	// 90 minutes: the mainland road (2,226 m) and island A (1,113 m), each a 500 m stadium.
	island := 0.04 * isoDegLon
	check("90", (2*2226.4+2*1113.2)*500+2*math.Pi*500*500, []probe{
		{2226 + 480, 0, true}, {2226 + 520, 0, false}, // beyond the mainland pier, over the sea
		{island + 500, 480, true}, {island - 480, 0, true}, {island - 520, 0, false},
		{0.085 * isoDegLon, 0, false}, // island B: no ferry
	})
}
