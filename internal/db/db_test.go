package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrateIdempotent(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	applied, newest, err := db.SchemaVersion(ctx, pool)
	if err != nil || applied != newest || applied < 1 {
		t.Fatalf("version applied=%d newest=%d err=%v", applied, newest, err)
	}
}

// The constraints keep bad data out even when a client bypasses the API.
func TestConstraints(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	mustExec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec(`INSERT INTO admin_unit (code, level, kind, name, valid_from) VALUES ('330000000000', 1, '省', '浙江省', '2023-06-30')`)
	bad := []struct{ name, sql string }{
		{"code format", `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from) VALUES ('33010', 2, '地级市', 'x', '330000000000', '2023-06-30')`},
		{"level/code mismatch", `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from) VALUES ('330100000000', 3, '县', 'x', '330000000000', '2023-06-30')`},
		{"two active units per code", `INSERT INTO admin_unit (code, level, kind, name, valid_from) VALUES ('330000000000', 1, '省', '浙江', '2024-01-01')`},
		{"overlapping validity", `INSERT INTO admin_unit (code, level, kind, name, valid_from, valid_to) VALUES ('330000000000', 1, '省', '浙江', '2020-01-01', '2024-01-01')`},
		{"province with parent", `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from) VALUES ('340000000000', 1, '省', '安徽省', '330000000000', '2023-06-30')`},
		{"invalid geometry", `UPDATE admin_unit SET geom = ST_Multi(ST_GeomFromText('POLYGON((0 0,1 1,1 0,0 1,0 0))', 4326)) WHERE code = '330000000000'`},
		{"wrong SRID", `UPDATE admin_unit SET geom = ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 3857)) WHERE code = '330000000000'`},
		{"empty name", `INSERT INTO admin_unit (code, level, kind, name, valid_from) VALUES ('340000000000', 1, '省', '', '2023-06-30')`},
		{"nursing beds over beds", `INSERT INTO facility (kind, ext_id, name, beds, nursing_beds, geom) VALUES ('eldercare_institution', 'a', 'x', 10, 11, ST_SetSRID(ST_MakePoint(120, 30), 4326))`},
		{"negative beds", `INSERT INTO facility (kind, ext_id, name, beds, geom) VALUES ('eldercare_institution', 'a', 'x', -1, ST_SetSRID(ST_MakePoint(120, 30), 4326))`},
		{"unknown role", `INSERT INTO app_user (name, role) VALUES ('a', 'root')`},
	}
	for _, tt := range bad {
		if _, err := pool.Exec(ctx, tt.sql); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	// A later version after the first one closed is fine.
	mustExec(`UPDATE admin_unit SET valid_to = '2024-01-01' WHERE code = '330000000000'`)
	mustExec(`INSERT INTO admin_unit (code, level, kind, name, valid_from) VALUES ('330000000000', 1, '省', '浙江省', '2024-01-01')`)
	// lc_ctype must be UTF-8 or pg_trgm drops Chinese characters.
	var n int
	if err := pool.QueryRow(ctx, `SELECT array_length(show_trgm('浙江省'), 1)`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("pg_trgm on Chinese text: %d trigrams, err %v (database lc_ctype must be UTF-8)", n, err)
	}
}

// Every statement runs under the pool's statement timeout (default 30 s, or the URL's);
// a context from WithStatementTimeout gets its own, and the connection goes back to the
// pool's afterwards.
func TestStatementTimeout(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	show := func(ctx context.Context, pool *pgxpool.Pool) string {
		t.Helper()
		var v string
		if err := pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	one := url + sep + "pool_max_conns=1" // one connection: every query reuses it
	pool, err := db.Connect(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := show(ctx, pool); got != "30s" {
		t.Fatalf("default statement_timeout %q, want 30s", got)
	}
	long := db.WithStatementTimeout(ctx, 10*time.Minute)
	if got := show(long, pool); got != "10min" {
		t.Fatalf("WithStatementTimeout(10m): %q", got)
	}
	err = pgx.BeginFunc(long, pool, func(tx pgx.Tx) error {
		var v string
		if err := tx.QueryRow(ctx, `SHOW statement_timeout`).Scan(&v); err != nil || v != "10min" {
			return fmt.Errorf("in a transaction: %q %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := show(ctx, pool); got != "30s" {
		t.Fatalf("after long work the connection kept %q, want the pool's 30s", got)
	}

	// Migrations (tern runs RESET ALL) leave the connection with the timeout the pool
	// expects of it.
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if got := show(db.WithStatementTimeout(ctx, db.LongStatementTimeout), pool); got != "30min" {
		t.Fatalf("long work after a migration: %q, want 30min", got)
	}
	if got := show(ctx, pool); got != "30s" {
		t.Fatalf("after a migration: %q, want 30s", got)
	}

	// A statement over the timeout is cancelled by the server (57014).
	short, err := db.ConnectWith(ctx, one, db.Options{StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	_, err = short.Exec(ctx, `SELECT pg_sleep(2)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("pg_sleep(2) under a 200 ms timeout: %v, want 57014 query_canceled", err)
	}
	if _, err := short.Exec(db.WithStatementTimeout(ctx, 5*time.Second), `SELECT pg_sleep(0.5)`); err != nil {
		t.Fatalf("pg_sleep(0.5) under an extended timeout: %v", err)
	}

	// The URL may set it.
	fromURL, err := db.Connect(ctx, url+sep+"statement_timeout=1234")
	if err != nil {
		t.Fatal(err)
	}
	defer fromURL.Close()
	if got := show(ctx, fromURL); got != "1234ms" {
		t.Fatalf("statement_timeout=1234 in the URL: %q", got)
	}
}
