package pgtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestDatabasesAreDistinct(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if a == b {
		t.Fatalf("two calls returned the same URL %s", a)
	}
	ca, cb := connect(t, a), connect(t, b)
	var na, nb string
	if err := ca.QueryRow(ctx, "SELECT current_database()").Scan(&na); err != nil {
		t.Fatal(err)
	}
	if err := cb.QueryRow(ctx, "SELECT current_database()").Scan(&nb); err != nil {
		t.Fatal(err)
	}
	if na == nb {
		t.Errorf("both URLs open database %s", na)
	}
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table of database a visible in b: %d, %v", n, err)
	}
	// Fresh and empty: no user tables, no extensions but plpgsql.
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'").Scan(&n); err != nil || n != 0 {
		t.Errorf("new database has %d extensions (%v), want none", n, err)
	}
}

func TestPostGIS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDatabase(t))
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatalf("CREATE EXTENSION postgis: %v", err)
	}
	var full string
	if err := conn.QueryRow(ctx, "SELECT postgis_full_version()").Scan(&full); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full, `POSTGIS="3.`) {
		t.Errorf("postgis_full_version() = %s, want PostGIS 3", full)
	}
	var d float64
	// Lishui to Hangzhou, geodesic on WGS84: about 190 km.
	err := conn.QueryRow(ctx, "SELECT ST_Distance('SRID=4326;POINT(119.92 28.45)'::geography, 'SRID=4326;POINT(120.15 30.27)'::geography)").Scan(&d)
	if err != nil || d < 180e3 || d > 210e3 {
		t.Errorf("geodesic distance = %v m (%v)", d, err)
	}
}

func TestUTF8Locale(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t, pgtest.NewDatabase(t))
	var enc, ctype, collate string
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_encoding'), current_setting('lc_ctype'), current_setting('lc_collate')").Scan(&enc, &ctype, &collate); err != nil {
		t.Fatal(err)
	}
	if enc != "UTF8" || ctype != "C.UTF-8" || collate != "C.UTF-8" {
		t.Errorf("encoding, lc_ctype, lc_collate = %s, %s, %s; want UTF8, C.UTF-8, C.UTF-8", enc, ctype, collate)
	}
	if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Fatal(err)
	}
	// With lc_ctype C, pg_trgm sees no characters in Chinese text: {} and similarity 0.
	var trgm []string
	var sim float64
	if err := conn.QueryRow(ctx, "SELECT show_trgm('莲都'), similarity('丽水市莲都区', '莲都区')").Scan(&trgm, &sim); err != nil {
		t.Fatal(err)
	}
	if len(trgm) != 3 || sim <= 0 {
		t.Errorf("show_trgm('莲都') = %q, similarity = %v: pg_trgm dropped the Chinese characters", trgm, sim)
	}
}

// The database is dropped when its test ends, even with a connection left open.
func TestDroppedAtCleanup(t *testing.T) {
	var url string
	var leaked *pgx.Conn
	ok := t.Run("inner", func(t *testing.T) {
		url = pgtest.NewDatabase(t)
		var err error
		if leaked, err = pgx.Connect(t.Context(), url); err != nil {
			t.Fatal(err)
		}
	})
	if !ok {
		t.FailNow()
	}
	defer leaked.Close(context.Background())
	conn, err := pgx.Connect(t.Context(), url)
	if err == nil {
		conn.Close(t.Context())
		t.Fatal("database still exists after its test ended")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		t.Errorf("connect to a dropped database: %v, want invalid_catalog_name (3D000)", err)
	}
}
