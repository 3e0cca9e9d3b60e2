package gazetteer_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
)

// varyNational gives the national table the cases the in-memory lookup must reproduce
// besides nationalDivisionsT's renamed villages: official pinyin (one set to ""), aliases,
// edited versions, geometry, units retired without a successor (closed versions only) and
// a retired township whose villages stay (their chain stops below it).
func varyNational(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE admin_unit SET pinyin = 'Ceshi ' || code, aliases = ARRAY['别名' || code], version = version + 2
		 WHERE valid_to IS NULL AND code::bigint % 997 = 3`,
		`UPDATE admin_unit SET pinyin = '' WHERE valid_to IS NULL AND code::bigint % 997 = 5`,
		`UPDATE admin_unit SET geom = ST_Multi(ST_MakeEnvelope(100 + (code::bigint % 30), 25, 100.5 + (code::bigint % 30), 25.5, 4326))
		 WHERE level <= 3 AND code::bigint % 7 = 0 AND valid_to IS NULL`,
		`UPDATE admin_unit SET valid_to = '2024-03-01'
		 WHERE level = 5 AND valid_to IS NULL AND valid_from < '2024-03-01' AND code::bigint % 1009 = 11`,
		`UPDATE admin_unit SET valid_to = '2024-03-01'
		 WHERE code = (SELECT min(code) FROM admin_unit WHERE level = 4 AND valid_to IS NULL AND code LIKE '33%')`,
		`ANALYZE admin_unit`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestDivisionLookupFromMemory: at national size (665k codes with history), GET
// /api/divisions/{code} answered from the in-memory gazetteer (gazetteer/addr's snapshot,
// the wiring of internal/app) gives byte for byte the answer of the PostGIS query, over
// random codes (fixed seed) in every short form, dates before, inside and after version
// changes, and every code that has more than one version.
func TestDivisionLookupFromMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the national division tables (665k rows); CI runs it in full")
	}
	pool, codes := nationalDivisionsT(t)
	varyNational(t, pool)
	ctx := context.Background()
	data, err := snapshot.Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	memStore, sqlStore := gazetteer.NewStore(pool), gazetteer.NewStore(pool)
	memStore.SetUnitSource(addr.NewStaticService(&addr.State{Data: data}))
	memRouter, sqlRouter := api.NewRouter(log, nil, nil), api.NewRouter(log, nil, nil)
	memRouter.Handle(memStore.Routes()...)
	sqlRouter.Handle(sqlStore.Routes()...)

	days := []string{"2023-06-29", "2023-06-30", "2024-01-01", "2024-02-29", "2024-03-01", "2024-06-29", "2024-06-30", "2025-01-01"}
	var urls []string
	rng := rand.New(rand.NewPCG(2026, 1201))
	for range 4000 {
		code := codes[rng.IntN(len(codes))]
		if rng.IntN(3) == 0 { // the short form: 33, 3311, 331102, 331102001
			c12, lvl, err := gazetteer.PadCode(code)
			if err != nil {
				t.Fatal(err)
			}
			code = gazetteer.ShortCode(c12, lvl)
		}
		urls = append(urls, "/api/divisions/"+code+"?asOf="+days[rng.IntN(len(days))])
	}
	rows, err := pool.Query(ctx, `SELECT code FROM admin_unit GROUP BY code HAVING count(*) > 1
		UNION SELECT code FROM admin_unit WHERE valid_to IS NOT NULL
		UNION SELECT code FROM admin_unit WHERE parent_code IN (SELECT code FROM admin_unit WHERE level = 4 AND valid_to = '2024-03-01')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		history = append(history, c)
	}
	rows.Close()
	if len(history) < 1000 {
		t.Fatalf("%d codes with history, want the renamed and retired ones (≥ 1000)", len(history))
	}
	for _, c := range history {
		for _, d := range []string{"2024-02-29", "2024-03-01", "2024-06-29", "2024-06-30"} {
			urls = append(urls, "/api/divisions/"+c+"?asOf="+d)
		}
	}

	var found, notFound, closed, withPinyin, emptyPinyin, withGeom, aliases, chains int
	chainLen := map[int]int{}
	for _, u := range urls {
		mem, sql := httptest.NewRecorder(), httptest.NewRecorder()
		for _, x := range []struct {
			rt *api.Router
			w  *httptest.ResponseRecorder
		}{{memRouter, mem}, {sqlRouter, sql}} {
			req := httptest.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("X-Request-Id", "same-request") // error bodies carry it
			x.rt.ServeHTTP(x.w, req)
		}
		if mem.Code != sql.Code || mem.Body.String() != sql.Body.String() || mem.Header().Get("Content-Type") != sql.Header().Get("Content-Type") {
			t.Fatalf("GET %s\nfrom memory: %d %s\nfrom PostGIS: %d %s", u, mem.Code, mem.Body, sql.Code, sql.Body)
		}
		switch sql.Code {
		case http.StatusOK:
			found++
		case http.StatusNotFound:
			notFound++
			continue
		default:
			t.Fatalf("GET %s: %d %s", u, sql.Code, sql.Body)
		}
		var d gazetteer.Division
		if err := json.Unmarshal(sql.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if d.ValidTo != nil {
			closed++
		}
		if d.Pinyin != nil {
			withPinyin++
			if *d.Pinyin == "" {
				emptyPinyin++
			}
		}
		if d.HasGeometry {
			withGeom++
		}
		if len(d.Aliases) > 0 {
			aliases++
		}
		if len(d.Chain) > 0 {
			chains++
		}
		chainLen[int(d.Level)*10+len(d.Chain)]++
	}
	t.Logf("%d lookups: %d found (%d closed versions, %d with pinyin, %d empty pinyin, %d with geometry, %d with aliases, %d with a chain), %d not found",
		len(urls), found, closed, withPinyin, emptyPinyin, withGeom, aliases, chains, notFound)
	// The sample reaches every case.
	for what, n := range map[string]int{"not found": notFound, "closed version": closed, "pinyin": withPinyin,
		"empty pinyin": emptyPinyin, "geometry": withGeom, "aliases": aliases, "chain": chains,
		"village with a chain cut at a retired township": chainLen[5*10+3]} {
		if n == 0 {
			t.Errorf("no lookup reached the case %q", what)
		}
	}
	// Every unit found was answered from memory; only the misses went to PostGIS.
	if mem, sql := memStore.LookupCounts(); mem != uint64(found) || sql != uint64(notFound) {
		t.Errorf("lookups from memory %d, PostGIS %d; want %d and %d", mem, sql, found, notFound)
	}
}
