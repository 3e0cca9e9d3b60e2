package ogcapi_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fangyuan/tiles/tilestest"
)

func gdal(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(cmd.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_USE_CACHE=NO")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// countingProxy serves env through a proxy that counts the items requests carrying a
// keyset cursor (the links are built from the Host header, so GDAL follows them here).
func countingProxy(t *testing.T, env *tilestest.Env) (string, *atomic.Int64) {
	target, _ := url.Parse(env.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/items") && r.URL.Query().Has("after") {
			pages.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &pages
}

// TestGDAL reads the service with GDAL's OGR OAPIF driver: the layer list, a
// collection's features and attributes over several pages, and an ogr2ogr copy of more
// than 10,000 features to a GeoPackage while another client inserts rows.
func TestGDAL(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo (gdal-bin) is required: apt-get install gdal-bin")
	}
	env := tilestest.Demo(t)
	ctx := context.Background()

	t.Run("layers", func(t *testing.T) {
		out := gdal(t, "ogrinfo", "-ro", "-q", "OAPIF:"+env.URL+"/ogc")
		got := regexp.MustCompile(`(?m)^\d+: (\S+)`).FindAllStringSubmatch(out, -1)
		var names []string
		for _, m := range got {
			names = append(names, m[1])
		}
		want := []string{"divisions-province", "divisions-prefecture", "divisions-county", "divisions-township", "divisions-village", "roads"}
		rows, err := env.Pool.Query(ctx, `SELECT 'facilities-' || k FROM unnest(ARRAY['eldercare_center','daycare_center','eldercare_institution','childrens_home','child_welfare','eco_burial','funeral_venue','funeral_home','elderly_canteen','social_work_station','community_service','regional_child_welfare']) k
			UNION ALL (SELECT 'coverage-run-' || id FROM coverage_run WHERE status = 'done' ORDER BY id DESC)`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			want = append(want, s)
		}
		want = append(want, "placenames", "housenumbers", "boundary-lines", "boundary-markers")
		if !slices.Equal(names, want) {
			t.Errorf("ogrinfo lists\n%v\nwant\n%v", names, want)
		}
	})

	t.Run("features-and-paging", func(t *testing.T) {
		base, pages := countingProxy(t, env)
		const layer = "facilities-eldercare_institution"
		out := gdal(t, "ogrinfo", "-ro", "-al", "-oo", "PAGE_SIZE=5", "OAPIF:"+base+"/ogc", layer)
		rows, err := env.Pool.Query(ctx, `SELECT id, name, coalesce(beds::text, ''), ST_X(geom), ST_Y(geom) FROM facility WHERE kind = 'eldercare_institution' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		type fac struct {
			name, beds string
			lon, lat   float64
		}
		var want []fac
		for rows.Next() {
			var f fac
			var id int64
			if err := rows.Scan(&id, &f.name, &f.beds, &f.lon, &f.lat); err != nil {
				t.Fatal(err)
			}
			want = append(want, f)
		}
		if len(want) <= 5 {
			t.Fatalf("only %d features: paging with PAGE_SIZE=5 is not exercised", len(want))
		}
		if !strings.Contains(out, fmt.Sprintf("Feature Count: %d\n", len(want))) {
			t.Errorf("ogrinfo does not report %d features", len(want))
		}
		var got []fac
		var cur *fac
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "OGRFeature("):
				got = append(got, fac{})
				cur = &got[len(got)-1]
			case cur == nil:
			case strings.HasPrefix(line, "name (String) = "):
				cur.name = strings.TrimPrefix(line, "name (String) = ")
			case strings.HasPrefix(line, "beds (Integer) = "):
				cur.beds = strings.TrimPrefix(line, "beds (Integer) = ")
			case strings.HasPrefix(line, "POINT ("):
				fmt.Sscanf(line, "POINT (%g %g)", &cur.lon, &cur.lat)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("GDAL read %d features, SQL says %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.name != w.name || g.beds != w.beds || fmt.Sprintf("%.6f %.6f", g.lon, g.lat) != fmt.Sprintf("%.6f %.6f", w.lon, w.lat) {
				t.Errorf("feature %d: GDAL %+v, SQL %+v", i, g, w)
			}
		}
		if n, min := pages.Load(), int64((len(want)-1)/5); n < min {
			t.Errorf("GDAL followed %d next links, want at least %d", n, min)
		}
	})

	t.Run("ogr2ogr-gpkg-while-inserting", func(t *testing.T) {
		const n = 12000
		if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, geom)
			SELECT 'eco_burial', 'BULK-' || i, '安葬点' || i, ST_SetSRID(ST_MakePoint(119.5 + (i % 100) * 0.005, 28 + (i / 100) * 0.003), 4326)
			FROM generate_series(1, $1) i`, n); err != nil {
			t.Fatal(err)
		}
		var before []string
		rows, err := env.Pool.Query(ctx, `SELECT ext_id FROM facility WHERE kind = 'eco_burial' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			before = append(before, s)
		}
		if len(before) <= 10000 {
			t.Fatalf("%d features", len(before))
		}
		base, pages := countingProxy(t, env)
		// Another client inserts rows (and deletes some it inserted) during the copy.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var inserted atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			// At most 300 rows, one every 5 ms (a fast inserter would keep the copy chasing
			// new rows at the end of the keyset).
			for i := 0; i < 300; i++ {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, geom) VALUES ('eco_burial', $1, '并发新增', ST_SetSRID(ST_MakePoint(119.8, 28.2), 4326))`, fmt.Sprintf("LIVE-%d", i)); err != nil {
					t.Error(err)
					return
				}
				inserted.Add(1)
			}
		}()
		gpkg := filepath.Join(t.TempDir(), "copy.gpkg")
		start := time.Now()
		gdal(t, "ogr2ogr", "-f", "GPKG", "-oo", "PAGE_SIZE=1000", gpkg, "OAPIF:"+base+"/ogc", "facilities-eco_burial")
		took := time.Since(start)
		close(stop)
		wg.Wait()
		if inserted.Load() == 0 {
			t.Fatal("no rows were inserted during the copy")
		}
		out := gdal(t, "ogr2ogr", "-f", "CSV", "/vsistdout/", gpkg, "-sql", `SELECT ext_id FROM "facilities-eco_burial"`)
		cr := csv.NewReader(strings.NewReader(out))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, r := range recs[1:] {
			count[r[0]]++
		}
		for id, c := range count {
			if c != 1 {
				t.Errorf("%s copied %d times", id, c)
			}
		}
		for _, id := range before {
			if count[id] != 1 {
				t.Errorf("%s (present before the copy) copied %d times", id, count[id])
			}
		}
		if p := pages.Load(); p < int64(len(before)/1000) {
			t.Errorf("GDAL followed %d next links for %d features", p, len(before))
		}
		t.Logf("copied %d features (%d present before, %d inserted during the copy) over %d next links in %v", len(recs)-1, len(before), inserted.Load(), pages.Load(), took.Round(time.Millisecond))
	})
}
