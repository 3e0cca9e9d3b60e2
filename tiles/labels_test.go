package tiles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

// TestLabels: the house-number layer (门牌) draws the current numbers with their plate
// labels and follows edits at once; the style's labels use the server's own glyphs.
func TestLabels(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	env := tilestest.Serve(t, pool, false)

	var road int64
	var roadName, admin string
	var lon, lat float64
	err := pool.QueryRow(ctx, `SELECT id, name, admin_code::text, ST_X(p), ST_Y(p)
FROM (SELECT id, name, admin_code, ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5) p FROM road WHERE name = '人民路' ORDER BY id LIMIT 1) r`).
		Scan(&road, &roadName, &admin, &lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	insert := func(number int, suffix, unit, status string, retired bool, dx float64) {
		t.Helper()
		validTo := "NULL"
		if retired {
			validTo = "current_date"
		}
		_, err := pool.Exec(ctx, `INSERT INTO house_number (road_id, number, suffix, unit, admin_code, geom, status, valid_to)
VALUES ($1, $2, $3, $4, $5, ST_SetSRID(ST_MakePoint($6, $7), 4326), $8, `+validTo+`)`, road, number, suffix, unit, admin, lon+dx, lat, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	// numbers far above the demo's, beside the demo numbers of the road
	insert(9012, "", "", "active", false, 0)
	insert(9012, "", "1单元", "active", false, 0) // a unit of the same building: the same point, one label
	insert(9012, "之一", "", "active", false, 0.00005)
	insert(9013, "甲", "", "planned", false, -0.00005)
	insert(9014, "", "", "retired", true, 0.0001) // retired: not drawn

	tl := maptile.At(orb.Point{lon, lat}, 16)
	// what PostGIS says the tile holds: current numbers, one per road, number, suffix and building
	want := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(DISTINCT (road_id, number, suffix, building)) FROM house_number
WHERE valid_to IS NULL AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => 0.015625), 4326))`, int(tl.Z), int(tl.X), int(tl.Y)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var cache string // X-Tile-Cache of the last labels()
	labels := func() map[string]int {
		ls, resp, _ := decode(t, env, tilePath("house_numbers", tl, ""))
		cache = resp.Header.Get("X-Tile-Cache")
		out := map[string]int{}
		n := 0
		for _, l := range ls {
			for _, f := range l.Features {
				out[fmt.Sprint(f.Properties["label"], "/", f.Properties["status"])]++
				n++
			}
		}
		if w := want(); n != w {
			t.Errorf("%d house numbers in the tile, PostGIS has %d", n, w)
		}
		return out
	}
	got := labels()
	for _, l := range []string{"9012号/active", "9012号之一/active", "甲9013号/planned"} {
		if got[l] != 1 {
			t.Errorf("label %s drawn %d times, want once (%v)", l, got[l], got)
		}
	}
	if got["9014号/retired"] != 0 {
		t.Errorf("a retired number is drawn")
	}
	// The tile is cached until house_number changes (its change counter, migration 024).
	if labels(); cache != "hit" {
		t.Errorf("the same tile again: cache %q, want hit", cache)
	}
	insert(9015, "", "", "active", false, -0.0001)
	if got := labels(); got["9015号/active"] != 1 || cache != "miss" {
		t.Fatalf("a new number is not drawn at once (cache %q): %v", cache, got)
	}
	if _, err := pool.Exec(ctx, `UPDATE house_number SET valid_to = current_date, status = 'retired' WHERE road_id = $1 AND number = 9015`, road); err != nil {
		t.Fatal(err)
	}
	if got := labels(); got["9015号/active"] != 0 || cache != "miss" {
		t.Fatalf("a retired number is still drawn (cache %q): %v", cache, got)
	}
	// below the layer's zoom: nothing
	if resp, _ := env.Get(t, tilePath("house_numbers", maptile.At(orb.Point{lon, lat}, 12), "")); resp.StatusCode != 204 {
		t.Fatalf("house numbers at z12: %d", resp.StatusCode)
	}

	// The style: glyphs from this server, labels in its font stack.
	_, body := env.Get(t, "/tiles/style.json")
	var style struct {
		Glyphs string `json:"glyphs"`
		Layers []struct {
			ID     string         `json:"id"`
			Type   string         `json:"type"`
			Source string         `json:"source"`
			Layout map[string]any `json:"layout"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(body, &style); err != nil {
		t.Fatal(err)
	}
	if style.Glyphs != env.URL+"/fonts/{fontstack}/{range}.pbf" {
		t.Fatalf("glyphs %q", style.Glyphs)
	}
	found := map[string]bool{}
	for _, l := range style.Layers {
		if l.Type != "symbol" {
			continue
		}
		found[l.ID] = true
		if fmt.Sprint(l.Layout["text-font"]) != "[Fangyuan Sans]" {
			t.Errorf("%s: text-font %v", l.ID, l.Layout["text-font"])
		}
		if l.ID == "road-names" && (l.Source != "roads" || l.Layout["symbol-placement"] != "line") {
			t.Errorf("road-names: source %s, placement %v", l.Source, l.Layout["symbol-placement"])
		}
		if l.ID == "house-number-labels" && l.Source != "house_numbers" {
			t.Errorf("house-number-labels: source %s", l.Source)
		}
	}
	if !found["road-names"] || !found["house-number-labels"] {
		t.Fatalf("label layers %v", found)
	}
	// The glyphs URL answers for the range holding the road name's first character.
	r := []rune(roadName)[0]
	start := int(r) / 256 * 256
	u := strings.NewReplacer("{fontstack}", url.PathEscape("Fangyuan Sans"), "{range}", fmt.Sprintf("%d-%d", start, start+255)).Replace(style.Glyphs)
	resp, pbf := env.Get(t, strings.TrimPrefix(u, env.URL))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" || len(pbf) < 10000 {
		t.Fatalf("%s: %d %s, %d bytes", u, resp.StatusCode, resp.Header.Get("Content-Type"), len(pbf))
	}
}
