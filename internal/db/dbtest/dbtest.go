// Package dbtest gives tests a fresh, migrated PostGIS database on the throwaway cluster of
// internal/pgtest. Use dbtest.Main in TestMain.
package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/pgtest"
)

// Main runs the tests of a package and stops the throwaway cluster afterwards.
func Main(m *testing.M) { pgtest.Main(m) }

// Pool returns a pool on a fresh database with the schema applied; it is closed and
// dropped when the test ends. A missing PostGIS fails the test, never skips it.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	// Tests check answers against heavy PostGIS baselines on a shared, slow machine: their
	// statements get the long timeout of imports, not the 30 s of requests
	// (internal/db's TestStatementTimeout checks the default).
	pool, err := db.ConnectWith(ctx, url, db.Options{StatementTimeout: db.LongStatementTimeout})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return pool
}

// CLI returns a context that acts as a command-line user (admin, audited as cli:<user>).
func CLI() context.Context { return auth.WithPrincipal(context.Background(), auth.CLI()) }
