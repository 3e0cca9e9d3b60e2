package tiles_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles"
	"fangyuan/tiles/pmtiles"
	"fangyuan/tiles/tilestest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// countyTile is the tile at zoom z holding the demo county's centre.
func countyTile(t testing.TB, env *tilestest.Env, z int) maptile.Tile {
	t.Helper()
	var lon, lat float64
	err := env.Pool.QueryRow(context.Background(),
		`SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL) s`).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	return maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
}

func tilePath(layer string, tl maptile.Tile, query string) string {
	p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y)
	if query != "" {
		p += "?" + query
	}
	return p
}

// decode fetches a tile (asking for gzip) and decodes it.
func decode(t testing.TB, env *tilestest.Env, path string) (mvt.Layers, *http.Response, []byte) {
	t.Helper()
	resp, body := env.Get(t, path, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("%s: headers %v", path, resp.Header)
	}
	layers, err := mvt.UnmarshalGzipped(body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return layers, resp, body
}

func doneRun(t testing.TB, env *tilestest.Env, kind string) int64 {
	t.Helper()
	var id int64
	if err := env.Pool.QueryRow(context.Background(), `SELECT max(id) FROM coverage_run WHERE kind = $1 AND status = 'done'`, kind).Scan(&id); err != nil {
		t.Fatalf("no finished %s run: %v", kind, err)
	}
	return id
}

func TestTiles(t *testing.T) {
	env := tilestest.Demo(t)
	ctx := context.Background()
	run := doneRun(t, env, "eldercare_center")

	var townships, flagged int
	_ = env.Pool.QueryRow(ctx, `SELECT count(*) FROM admin_unit WHERE level = 4 AND parent_code = '339901000000' AND valid_to IS NULL`).Scan(&townships)
	_ = env.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE cardinality(flags) > 0) FROM coverage_run_unit WHERE run_id = $1 AND level = 4`, run).Scan(&flagged)
	if townships != 13 {
		t.Fatalf("demo townships: %d", townships)
	}
	z8 := countyTile(t, env, 8)

	t.Run("township", func(t *testing.T) {
		ls, _, _ := decode(t, env, tilePath("township", z8, ""))
		if len(ls) != 1 || ls[0].Name != "township" {
			t.Fatalf("layers %v", ls)
		}
		n := 0
		for _, f := range ls[0].Features {
			if strings.HasPrefix(fmt.Sprint(f.Properties["code"]), "339901") {
				n++
			}
			if _, ok := f.Geometry.(orb.Polygon); !ok {
				if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
					t.Errorf("township geometry %T", f.Geometry)
				}
			}
		}
		if n != townships { // the county fits in one z8 tile (checked by the size of the demo county)
			t.Errorf("z8 tile holds %d of %d demo townships", n, townships)
		}
	})
	t.Run("coverage", func(t *testing.T) {
		ls, _, _ := decode(t, env, tilePath("coverage", z8, fmt.Sprint("run=", run)))
		if len(ls) != 1 || len(ls[0].Features) != townships {
			t.Fatalf("coverage features: %v", len(ls[0].Features))
		}
		nf := 0
		for _, f := range ls[0].Features {
			p := f.Properties
			for _, k := range []string{"code", "name", "population", "covered", "share", "facilities", "flags", "flagged"} {
				if _, ok := p[k]; !ok {
					t.Errorf("coverage feature without %s: %v", k, p)
				}
			}
			if p["flagged"] == true {
				nf++
				if p["flags"] == "" || p["rank"] == nil {
					t.Errorf("flagged without flags or rank: %v", p)
				}
			}
		}
		if nf != flagged {
			t.Errorf("flagged in tile %d, in the run %d", nf, flagged)
		}
	})
	t.Run("facilities", func(t *testing.T) {
		want := inTile(t, env, "facility WHERE kind = 'eldercare_center'", z8)
		ls, _, _ := decode(t, env, tilePath("facilities", z8, "kind=eldercare_center"))
		if len(ls[0].Features) != want || want == 0 {
			t.Fatalf("facilities: %d in tile, %d in the database", len(ls[0].Features), want)
		}
		for _, f := range ls[0].Features {
			if f.Properties["kind"] != "eldercare_center" || f.Properties["name"] == nil || f.Properties["status"] == nil {
				t.Fatalf("facility properties %v", f.Properties)
			}
		}
	})
	t.Run("roads", func(t *testing.T) {
		want := inTile(t, env, "road", z8)
		ls, _, _ := decode(t, env, tilePath("roads", z8, ""))
		if len(ls[0].Features) != want {
			t.Fatalf("roads: %d in tile, %d in the database", len(ls[0].Features), want)
		}
	})
	t.Run("cells", func(t *testing.T) {
		for _, z := range []int{8, 12, 14} {
			tl := countyTile(t, env, z)
			ls, _, _ := decode(t, env, tilePath("cells", tl, fmt.Sprint("run=", run)))
			if len(ls[0].Features) == 0 || len(ls[0].Features) > 64*64+200 {
				t.Fatalf("z%d cells: %d features", z, len(ls[0].Features))
			}
			f := ls[0].Features[0]
			if f.Properties["population"] == nil || f.Properties["share"] == nil {
				t.Fatalf("cell properties %v", f.Properties)
			}
			t.Logf("z%d: %d cell features", z, len(ls[0].Features))
		}
	})
	t.Run("errors", func(t *testing.T) {
		for path, want := range map[string]int{
			"/tiles/township/23/0/0.mvt":            400,
			"/tiles/township/-1/0/0.mvt":            400,
			"/tiles/township/3/8/0.mvt":             400,
			"/tiles/township/3/0/8.mvt":             400,
			"/tiles/township/3/-1/0.mvt":            400,
			"/tiles/township/3/a/0.mvt":             400,
			"/tiles/nosuch/3/0/0.mvt":               404,
			"/tiles/nosuch.json":                    404,
			"/tiles/coverage/3/0/0.mvt":             400, // run missing
			"/tiles/coverage/3/0/0.mvt?run=x":       400,
			"/tiles/coverage/3/0/0.mvt?run=999999":  404,
			"/tiles/facilities/3/0/0.mvt?kind=Bad!": 400,
		} {
			resp, body := env.Get(t, path)
			if resp.StatusCode != want || !strings.Contains(resp.Header.Get("Content-Type"), "json") || !strings.Contains(string(body), `"error"`) {
				t.Errorf("%s: %d %s %s (want %d, JSON)", path, resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
			}
		}
	})
	t.Run("etag", func(t *testing.T) {
		p := tilePath("township", z8, "")
		_, resp, _ := decode(t, env, p)
		etag := resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("X-Tile-Cache") != "hit" { // made by the subtest above
			t.Fatalf("etag %q cache %q", etag, resp.Header.Get("X-Tile-Cache"))
		}
		r2, _ := env.Get(t, p, "If-None-Match", etag)
		if r2.StatusCode != http.StatusNotModified {
			t.Fatalf("If-None-Match: %d", r2.StatusCode)
		}
		// without gzip the same tile, uncompressed
		req, _ := http.NewRequest("GET", env.URL+p, nil)
		req.Header.Set("Accept-Encoding", "identity")
		r3, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		r3.Body.Close()
		if r3.Header.Get("Content-Encoding") != "" || r3.StatusCode != 200 {
			t.Fatalf("identity: %d %v", r3.StatusCode, r3.Header)
		}
	})
	t.Run("invalidation", func(t *testing.T) {
		p := tilePath("facilities", z8, "kind=eldercare_center")
		before, _, _ := decode(t, env, p)
		c := z8.Center()
		if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, geom) VALUES ('eldercare_center', 'TILE-TEST', '瓦片测试中心', ST_SetSRID(ST_MakePoint($1, $2), 4326))`, c[0], c[1]); err != nil {
			t.Fatal(err)
		}
		after, resp, _ := decode(t, env, p)
		if resp.Header.Get("X-Tile-Cache") != "miss" || len(after[0].Features) != len(before[0].Features)+1 {
			t.Fatalf("after an insert: %d features (before %d), cache %s", len(after[0].Features), len(before[0].Features), resp.Header.Get("X-Tile-Cache"))
		}
		// a new coverage run shows in its own tiles at once
		if _, err := env.Pool.Exec(ctx, `UPDATE coverage_run_unit SET share = 0.123 WHERE run_id = $1 AND level = 4`, run); err != nil {
			t.Fatal(err)
		}
		ls, _, _ := decode(t, env, tilePath("coverage", z8, fmt.Sprint("run=", run)))
		if ls[0].Features[0].Properties["share"] != 0.123 {
			t.Fatalf("coverage tile not refreshed: %v", ls[0].Features[0].Properties)
		}
	})
	t.Run("statement_timeout", func(t *testing.T) {
		// a tile query's batch is one implicit transaction: the local timeout holds for it
		conn, err := env.Pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		b := &pgx.Batch{}
		b.Queue(`SELECT set_config('statement_timeout', '1234', true)`)
		var inside, after string
		b.Queue(`SELECT current_setting('statement_timeout')`).QueryRow(func(r pgx.Row) error { return r.Scan(&inside) })
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		_ = conn.QueryRow(ctx, `SELECT current_setting('statement_timeout')`).Scan(&after)
		if inside != "1234ms" || after == "1234ms" {
			t.Fatalf("statement_timeout inside the batch %q, after %q", inside, after)
		}
	})
	t.Run("ogrinfo", func(t *testing.T) { ogrCheck(t, env, z8, run) })
	t.Run("tilejson+style", func(t *testing.T) {
		resp, body := env.Get(t, fmt.Sprint("/tiles/coverage.json?run=", run))
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"tilejson":"3.0.0"`) || !strings.Contains(string(body), "/tiles/coverage/{z}/{x}/{y}.mvt?run=") {
			t.Fatalf("tilejson: %d %s", resp.StatusCode, body)
		}
		resp, body = env.Get(t, fmt.Sprint("/tiles/style.json?run=", run, "&kind=eldercare_center"))
		// glyphs only from this server (no font CDN); labels in its font stack
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"coverage-fill"`) || strings.Contains(string(body), "http://"+"fonts") ||
			!strings.Contains(string(body), `"glyphs":"`+env.URL+`/fonts/{fontstack}/{range}.pbf"`) || !strings.Contains(string(body), `"text-font":["Fangyuan Sans"]`) {
			t.Fatalf("style: %d %s", resp.StatusCode, body)
		}
	})
}

// inTile counts the rows of a table whose geometry meets the tile (with its 64/4096 buffer).
func inTile(t testing.TB, env *tilestest.Env, from string, tl maptile.Tile) int {
	t.Helper()
	where := " WHERE "
	if strings.Contains(from, " WHERE ") {
		where = " AND "
	}
	var n int
	err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM `+from+where+
		`ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => 0.015625), 4326))`, int(tl.Z), int(tl.X), int(tl.Y)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ogrCheck decodes tiles with GDAL's MVT driver, an independent decoder.
func ogrCheck(t *testing.T, env *tilestest.Env, z8 maptile.Tile, run int64) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo not found: install gdal-bin (apt-get install -y gdal-bin, or make deps)")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		layer, query string
		want         []string
	}{
		{"township", "", []string{"Feature Count: 13", "code: String", "name: String", "level: Integer", "Geometry: Multi Polygon"}},
		{"coverage", fmt.Sprint("run=", run), []string{"Feature Count: 13", "share: Real", "flags: String", "flagged: Integer(Boolean)", "population: Real", "rank: Integer"}},
		{"facilities", "", []string{"Geometry: Point", fmt.Sprintf("Feature Count: %d", inTile(t, env, "facility", z8)), "kind: String", "status: String"}},
		{"roads", "", []string{"Geometry: Line String", fmt.Sprintf("Feature Count: %d", inTile(t, env, "road", z8)), "name: String"}},
		{"cells", fmt.Sprint("run=", run), []string{"Geometry: Polygon", "share: Real", "population: Real"}},
	} {
		resp, raw := env.Get(t, tilePath(c.layer, z8, c.query)) // Go's client un-gzips
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", c.layer, resp.StatusCode)
		}
		// GDAL reads z/x/y from the path of a tile file named like a tile pyramid
		p := filepath.Join(dir, c.layer, fmt.Sprint(z8.Z), fmt.Sprint(z8.X), fmt.Sprint(z8.Y)+".pbf")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ogrinfo", "-ro", "-so", "-al", p).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", c.layer, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("ogrinfo %s: no %q in\n%s", c.layer, w, out)
			}
		}
		if !strings.Contains(string(out), "Layer name: "+c.layer) {
			t.Errorf("ogrinfo %s: layer name missing in\n%s", c.layer, out)
		}
	}
}

// TestZhejiangSize keeps every layer's tiles under 500 KB at low zoom on Zhejiang-size data.
func TestZhejiangSize(t *testing.T) {
	pool := dbtest.Pool(t)
	run := loadZhejiang(t, pool)
	env := tilestest.Serve(t, pool, false)
	ts, err := tiles.New(pool, tiles.Config{Cells: newZhejiangCells()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, z := range []int{5, 6, 7} {
		center := maptile.At(orb.Point{120.4, 29.1}, maptile.Zoom(z))
		for _, layer := range tiles.LayerOrder {
			param := ""
			if tiles.Layers[layer].Param == "run" {
				param = fmt.Sprint(run)
			}
			start := time.Now()
			tl, _, err := ts.Get(ctx, tiles.Request{Layer: layer, Z: z, X: int(center.X), Y: int(center.Y), Param: param})
			if err != nil {
				t.Fatalf("%s z%d: %v", layer, z, err)
			}
			t.Logf("z%d %-15s %7d bytes (%6d gzip) in %v", z, layer, tl.Size, len(tl.Gzip), time.Since(start).Round(time.Millisecond))
			if tl.Size > 500<<10 {
				t.Errorf("%s z%d: %d bytes, over 500 KB", layer, z, tl.Size)
			}
		}
	}
	// and through HTTP, gzip-compressed
	tl := maptile.At(orb.Point{120.4, 29.1}, 5)
	ls, _, body := decode(t, env, tilePath("coverage", tl, fmt.Sprint("run=", run)))
	if len(ls[0].Features) < 1000 || len(body) > 100<<10 {
		t.Errorf("z5 coverage over HTTP: %d features, %d bytes gzip", len(ls[0].Features), len(body))
	}
}

// A local raster PMTiles archive serves as the basemap, offline.
func TestBasemapPMTiles(t *testing.T) {
	dir := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\nfake tile")
	path := filepath.Join(dir, "base.pmtiles")
	h := pmtiles.Header{TileType: pmtiles.TypePNG, MinZoom: 0, MaxZoom: 3, MinLon: 118, MinLat: 27, MaxLon: 123, MaxLat: 31.5}
	if err := pmtiles.WriteFile(path, h, map[[3]uint32][]byte{{0, 0, 0}: png, {1, 1, 0}: png, {3, 6, 3}: png}); err != nil {
		t.Fatal(err)
	}
	pool := dbtest.Pool(t)
	env := tilestest.ServeWith(t, pool, false, path)
	resp, body := env.Get(t, "/tiles/basemap/3/6/3")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || string(body) != string(png) {
		t.Fatalf("basemap tile: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := env.Get(t, "/tiles/basemap/3/0/0"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("missing basemap tile: %d", resp.StatusCode)
	}
	if resp, _ := env.Get(t, "/tiles/basemap/3/9/0"); resp.StatusCode != 400 {
		t.Fatalf("bad basemap tile: %d", resp.StatusCode)
	}
	_, body = env.Get(t, "/tiles/style.json")
	if !strings.Contains(string(body), `"basemap"`) || !strings.Contains(string(body), env.URL+"/tiles/basemap/{z}/{x}/{y}") {
		t.Fatalf("style without the basemap: %s", body)
	}
	// no basemap configured: 404; a file that is not an archive: an error at start
	plain := tilestest.Serve(t, pool, false)
	if resp, _ := plain.Get(t, "/tiles/basemap/0/0/0"); resp.StatusCode != 404 {
		t.Fatalf("no basemap: %d", resp.StatusCode)
	}
	bad := filepath.Join(dir, "bad.pmtiles")
	os.WriteFile(bad, []byte("not an archive, not at all, really not one; padding padding padding padding padding padding padding padding padding padding"), 0o644)
	if _, err := tiles.New(pool, tiles.Config{Basemap: bad}); err == nil || !strings.Contains(err.Error(), "PMTiles") {
		t.Fatalf("bad basemap file: %v", err)
	}
}
