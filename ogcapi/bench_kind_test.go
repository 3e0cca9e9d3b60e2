package ogcapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

// BenchmarkFacilityKindPage: the first page (1,000 features) of a kind whose ids all
// follow another kind's 500,000 rows, and a page in its middle, through HTTP (ORDER BY
// kind, id on the (kind, id) index of migration 015), against the statement the
// collection used before, SELECT … WHERE kind = $1 AND id > $2 ORDER BY id LIMIT 1001, in
// PostGIS in the same run (the planner reads the primary key in id order and filters by
// kind). Run: go test -run '^$' -bench FacilityKindPage -benchtime 1x ./ogcapi/
func BenchmarkFacilityKindPage(b *testing.B) {
	ctx := context.Background()
	env := tilestest.Serve(b, dbtest.Pool(b), false)
	const rows, size, samples = 500_000, 1000, 15
	for _, k := range []string{"eco_burial", "eldercare_center"} {
		if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom)
			SELECT $1, 'K-' || i, '设施' || i, 'operating', ST_SetSRID(ST_MakePoint(118 + (i % 1000) * 0.004, 27 + (i / 1000) * 0.004), 4326)
			FROM generate_series(1, $2) i`, k, rows); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := env.Pool.Exec(ctx, `VACUUM ANALYZE facility`); err != nil {
		b.Fatal(err)
	}
	const old = `SELECT f.id::text, ST_AsGeoJSON(f.geom, 9)::text FROM facility f WHERE f.kind = $1 AND f.id > $2 ORDER BY f.id LIMIT 1001`
	for i := 0; i < b.N; i++ {
		for _, at := range []int{0, rows / 2} {
			var after int64
			if at > 0 {
				if err := env.Pool.QueryRow(ctx, `SELECT id FROM facility WHERE kind = 'eldercare_center' ORDER BY id OFFSET $1 LIMIT 1`, at-1).Scan(&after); err != nil {
					b.Fatal(err)
				}
			}
			path := fmt.Sprintf("/ogc/collections/facilities-eldercare_center/items?limit=%d", size)
			if after > 0 {
				path += fmt.Sprintf("&after=%d", after)
			}
			var web, sql []time.Duration
			for s := 0; s < samples+1; s++ {
				t0 := time.Now()
				resp, err := http.Get(env.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < size*100 {
					b.Fatalf("%s: %d, %d bytes", path, resp.StatusCode, n)
				}
				d := time.Since(t0)
				t0 = time.Now()
				r, err := env.Pool.Query(ctx, old, "eldercare_center", after)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for r.Next() {
					got++
				}
				r.Close()
				if r.Err() != nil || got != size+1 {
					b.Fatalf("baseline: %d rows, %v", got, r.Err())
				}
				if s >= 1 { // one warm-up round
					web = append(web, d)
					sql = append(sql, time.Since(t0))
				}
			}
			b.Logf("kind after 500k rows of another, page at %6d: HTTP (kind, id) p50 %6.1f ms p99 %6.1f ms | PostGIS ORDER BY id p50 %6.1f ms p99 %6.1f ms | ratio p50 %.3f",
				at, ms(pctOf(web, .5)), ms(pctOf(web, .99)), ms(pctOf(sql, .5)), ms(pctOf(sql, .99)), ms(pctOf(web, .5))/ms(pctOf(sql, .5)))
		}
	}
}

// pctOf is the p-quantile of d.
func pctOf(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
