package ogcapi_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"fangyuan/internal/db/dbtest"
	"fangyuan/tiles/tilestest"
)

// BenchmarkPaging: a page of 1,000 features of a 1,000,000-row collection at page 1, 100
// and 1,000, through HTTP (keyset: after=<id>, with the capped numberMatched count and
// GeoJSON encoding), against the baseline SELECT … ORDER BY id LIMIT 1000 OFFSET … in
// PostGIS (the same columns and GeoJSON geometry, no HTTP) measured in the same run,
// interleaved. Run: go test -run '^$' -bench Paging -benchtime 1x ./ogcapi/
//
// PG_FEATURESERV may name a pg_featureserv binary (not part of this repository): it is then
// started on loopback over the same database and its items page with limit and offset
// (it has no next links or numberMatched) is measured beside, interleaved too.
func BenchmarkPaging(b *testing.B) {
	ctx := context.Background()
	env := tilestest.Serve(b, dbtest.Pool(b), false)
	const rows, size, samples = 1_000_000, 1000, 40
	start := time.Now()
	if _, err := env.Pool.Exec(ctx, `INSERT INTO facility (kind, ext_id, name, status, geom, address, admin_code)
		SELECT 'eco_burial', 'B-' || i, '安葬点' || i, 'operating', ST_SetSRID(ST_MakePoint(118 + (i % 1000) * 0.004, 27 + (i / 1000) * 0.004), 4326), '某路' || i || '号', '339901001001'
		FROM generate_series(1, $1) i`, rows); err != nil {
		b.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `VACUUM ANALYZE facility`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d rows in %v", rows, time.Since(start).Round(time.Millisecond))
	pgfs := startFeatureserv(b, env)
	const baseline = `SELECT f.id::text, ST_AsGeoJSON(f.geom, 9)::text, json_build_object('ext_id', f.ext_id, 'name', f.name, 'status', f.status,
		'beds', f.beds, 'nursing_beds', f.nursing_beds, 'dementia_beds', f.dementia_beds, 'address', f.address, 'admin_code', f.admin_code,
		'source', f.source, 'version', f.version, 'updated_at', f.updated_at)::text, f.version
		FROM facility f WHERE f.kind = 'eco_burial' ORDER BY f.id LIMIT 1000 OFFSET $1`
	pct := func(d []time.Duration, p float64) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}
	for i := 0; i < b.N; i++ {
		for _, page := range []int{1, 100, 1000} {
			offset := (page - 1) * size
			path := fmt.Sprintf("/ogc/collections/facilities-eco_burial/items?limit=%d", size)
			if page > 1 {
				var after int64
				if err := env.Pool.QueryRow(ctx, `SELECT id FROM facility WHERE kind = 'eco_burial' ORDER BY id OFFSET $1 LIMIT 1`, offset-1).Scan(&after); err != nil {
					b.Fatal(err)
				}
				path += fmt.Sprintf("&after=%d", after)
			}
			var web, sql, fs []time.Duration
			n := samples
			if page >= 1000 {
				n = samples / 4 // each OFFSET sample takes seconds there
			}
			for s := 0; s < n+2; s++ {
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
				r, err := env.Pool.Query(ctx, baseline, offset)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for r.Next() {
					got++
				}
				r.Close()
				if r.Err() != nil || got != size {
					b.Fatalf("baseline: %d rows, %v", got, r.Err())
				}
				ds := time.Since(t0)
				if pgfs != "" {
					t0 = time.Now()
					resp, err := http.Get(fmt.Sprintf("%s/collections/public.facility/items.json?limit=%d&offset=%d", pgfs, size, offset))
					if err != nil {
						b.Fatal(err)
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || n < size*100 {
						b.Fatalf("pg_featureserv: %d, %d bytes", resp.StatusCode, n)
					}
					if s >= 2 {
						fs = append(fs, time.Since(t0))
					}
				}
				if s >= 2 { // two warm-up rounds
					web = append(web, d)
					sql = append(sql, ds)
				}
			}
			b.Logf("page %4d (offset %7d): HTTP keyset p50 %6.1f ms p99 %6.1f ms | PostGIS LIMIT/OFFSET p50 %6.1f ms p99 %6.1f ms | ratio p50 %.2f",
				page, offset, ms(pct(web, .5)), ms(pct(web, .99)), ms(pct(sql, .5)), ms(pct(sql, .99)), ms(pct(web, .5))/ms(pct(sql, .5)))
			if pgfs != "" {
				b.Logf("page %4d (offset %7d): pg_featureserv limit/offset p50 %6.1f ms p99 %6.1f ms | ratio ours/pg_featureserv p50 %.2f",
					page, offset, ms(pct(fs, .5)), ms(pct(fs, .99)), ms(pct(web, .5))/ms(pct(fs, .5)))
			}
			b.ReportMetric(ms(pct(web, .5)), fmt.Sprintf("ms-p50-http-page%d", page))
			b.ReportMetric(ms(pct(sql, .5)), fmt.Sprintf("ms-p50-offset-page%d", page))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startFeatureserv starts the pg_featureserv binary named by PG_FEATURESERV on a loopback
// port over env's database and returns its base URL, or "" when the variable is unset.
func startFeatureserv(b *testing.B, env *tilestest.Env) string {
	bin := os.Getenv("PG_FEATURESERV")
	if bin == "" {
		return ""
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin)
	cmd.Dir = b.TempDir()
	cmd.Env = append(os.Environ(), "DATABASE_URL="+env.Pool.Config().ConnString(), "PGFS_SERVER_HTTPHOST=127.0.0.1",
		fmt.Sprintf("PGFS_SERVER_HTTPPORT=%d", port), "PGFS_PAGING_LIMITMAX=10000", "PGFS_SERVER_WRITETIMEOUTSEC=120")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		b.Fatalf("pg_featureserv: %v", err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(base + "/collections.json"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				b.Logf("pg_featureserv (%s) at %s", bin, base)
				return base
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("pg_featureserv did not start:\n%s", log.String())
	return ""
}
