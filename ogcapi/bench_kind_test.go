package ogcapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

// BenchmarkFacilityKindPage: the first page (1,000 features) of a kind whose ids all
// follow another kind's 500,000 rows, and a page in its middle, through HTTP (with the
// capped numberMatched count), against the keyset statements in PostGIS in the same run:
// the one the collection used before (ORDER BY id: the planner may read the primary key in
// id order and filter by kind), as a custom and as a cached prepared plan, and the current
// one ((kind, id) > ($1, $2) AND kind <= $1 ORDER BY kind, id, planned per execution: a
// range of the (kind, id) index of migration 015). Run: go test -run '^$' -bench FacilityKindPage -benchtime 1x ./ogcapi/
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
	// The keyset statements without the JSON properties: the previous one (ORDER BY id),
	// planned per execution and as a prepared statement (pgx caches it; PostgreSQL moves to
	// a generic plan after five executions), and the current one (a (kind, id) range).
	const (
		oldSQL = `SELECT f.id::text, ST_AsGeoJSON(f.geom, 9)::text FROM facility f WHERE f.kind = $1 AND f.id > $2 ORDER BY f.id LIMIT 1001`
		newSQL = `SELECT f.id::text, ST_AsGeoJSON(f.geom, 9)::text FROM facility f WHERE (f.kind, f.id) > ($1, $2) AND f.kind <= $1 ORDER BY f.kind, f.id LIMIT 1001`
	)
	variants := []struct {
		name string
		sql  string
		mode []any
	}{
		{"ORDER BY id, custom plan", oldSQL, []any{pgx.QueryExecModeExec}},
		{"ORDER BY id, prepared", oldSQL, nil},
		{"(kind, id) range, custom plan", newSQL, []any{pgx.QueryExecModeExec}},
	}
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
			web := []time.Duration{}
			sql := make([][]time.Duration, len(variants))
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
				if s >= 1 { // one warm-up round
					web = append(web, time.Since(t0))
				}
				for v, vr := range variants {
					t0 = time.Now()
					r, err := env.Pool.Query(ctx, vr.sql, append(append([]any{}, vr.mode...), "eldercare_center", after)...)
					if err != nil {
						b.Fatal(err)
					}
					got := 0
					for r.Next() {
						got++
					}
					r.Close()
					if r.Err() != nil || got != size+1 {
						b.Fatalf("%s: %d rows, %v", vr.name, got, r.Err())
					}
					if s >= 1 {
						sql[v] = append(sql[v], time.Since(t0))
					}
				}
			}
			line := fmt.Sprintf("page at %6d of a kind behind 500,000 rows of another: HTTP p50 %6.1f ms p99 %6.1f ms", at, ms(pctOf(web, .5)), ms(pctOf(web, .99)))
			for v, vr := range variants {
				line += fmt.Sprintf(" | %s p50 %6.1f ms p99 %6.1f ms", vr.name, ms(pctOf(sql[v], .5)), ms(pctOf(sql[v], .99)))
			}
			b.Log(line)
			b.Logf("  ratio p50, current keyset statement / previous one prepared: %.3f", ms(pctOf(sql[2], .5))/ms(pctOf(sql[1], .5)))
		}
	}
}

// pctOf is the p-quantile of d.
func pctOf(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
