// Package db opens the PostGIS connection pool and applies the embedded schema migrations.
package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files (NNN_name.sql, tern format).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

const versionTable = "fangyuan_schema_version"

// DefaultStatementTimeout bounds every statement of a pool that Connect opens, unless the
// URL sets statement_timeout itself (…?statement_timeout=60000, milliseconds) or
// Options.StatementTimeout says otherwise. Work that legitimately takes longer (imports,
// coverage runs, migrations) asks for more with WithStatementTimeout.
const DefaultStatementTimeout = 30 * time.Second

// LongStatementTimeout is the statement timeout of imports and migrations.
const LongStatementTimeout = 30 * time.Minute

// Options tune Connect.
type Options struct {
	// StatementTimeout of every statement; 0 means the URL's statement_timeout, else
	// DefaultStatementTimeout. A negative value means none.
	StatementTimeout time.Duration
}

type timeoutKey struct{}

// WithStatementTimeout returns a context under which the statements of a pool opened by
// Connect run with statement timeout d instead of the pool's (0: none). It holds for
// everything that acquires a connection with the context: pool.Query, pool.Exec,
// pgx.BeginFunc and the statements of that transaction.
func WithStatementTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

// timeouts remembers, for each connection that was given a timeout other than the pool's,
// the one it has, so that the next acquisition sets the one it needs.
type timeouts struct {
	def string // the pool's statement_timeout, in milliseconds
	mu  sync.Mutex
	set map[*pgx.Conn]string
}

func millis(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// prepare runs before a connection is handed out: it sets the statement timeout the
// context asks for when the connection has another one.
func (t *timeouts) prepare(ctx context.Context, c *pgx.Conn) (bool, error) {
	want := t.def
	if d, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		want = millis(d)
	}
	t.mu.Lock()
	have, ok := t.set[c]
	t.mu.Unlock()
	if !ok {
		have = t.def
	}
	if have == want {
		return true, nil
	}
	if _, err := c.Exec(ctx, "SELECT set_config('statement_timeout', $1, false)", want); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil // a broken connection: take another
	}
	t.mu.Lock()
	if want == t.def {
		delete(t.set, c)
	} else {
		t.set[c] = want
	}
	t.mu.Unlock()
	return true, nil
}

func (t *timeouts) forget(c *pgx.Conn) {
	t.mu.Lock()
	delete(t.set, c)
	t.mu.Unlock()
}

// Connect opens a pool to url, checks that the server answers and that PostGIS 3 is available.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return ConnectWith(ctx, url, Options{})
}

// ConnectWith is Connect with options.
func ConnectWith(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "fangyuan"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	switch _, inURL := cfg.ConnConfig.RuntimeParams["statement_timeout"]; {
	case opts.StatementTimeout != 0:
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = millis(opts.StatementTimeout)
	case !inURL:
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = millis(DefaultStatementTimeout)
	}
	// The URL's value goes to the server as written (60000, 60s, 1min); the server checks it.
	def := cfg.ConnConfig.RuntimeParams["statement_timeout"]
	t := &timeouts{def: def, set: map[*pgx.Conn]string{}}
	cfg.PrepareConn = t.prepare
	cfg.BeforeClose = t.forget
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %w (start the local cluster with `fangyuan db up`, or set FANGYUAN_DATABASE_URL)", redact(cfg.ConnConfig), err)
	}
	return pool, nil
}

func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Migrate brings the schema to the newest embedded version. It is idempotent and safe to
// run from several processes at once (tern takes an advisory lock).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	// An index built on national tables, or waiting for another process's migration.
	ctx = WithStatementTimeout(ctx, LongStatementTimeout)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	// tern runs RESET ALL after each migration; give the connection back with the timeout
	// the pool recorded for it (the one ctx asked for), or it would serve later work with
	// the wrong one.
	if pool.Config().PrepareConn != nil { // a pool of ConnectWith, which tracks the timeouts
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT set_config('statement_timeout', $1, false)", millis(LongStatementTimeout))
	}
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(Migrations()); err != nil {
		return fmt.Errorf("migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		var pgErr migrate.MigrationPgError
		if errors.As(err, &pgErr) {
			return fmt.Errorf("migrate: %s: %w", pgErr.MigrationName, err)
		}
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion reports the applied and the newest embedded migration versions.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (applied, newest int32, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return 0, 0, err
	}
	if err := m.LoadMigrations(Migrations()); err != nil {
		return 0, 0, err
	}
	applied, err = m.GetCurrentVersion(ctx)
	return applied, int32(len(m.Migrations)), err
}

// Changes counts what a bulk write did to the rows it was given.
type Changes struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Retired   int `json:"retired,omitempty"`
}

// Add returns the sum of c and o.
func (c Changes) Add(o Changes) Changes {
	return Changes{c.Inserted + o.Inserted, c.Updated + o.Updated, c.Unchanged + o.Unchanged, c.Retired + o.Retired}
}

// Querier is what CountOps needs: a pgx.Tx, a conn or a pool.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CountOps runs a query returning (op, count) rows, op being insert, update or same, as
// the diff tables of the bulk imports do, and returns them as Changes.
func CountOps(ctx context.Context, q Querier, sql string, args ...any) (Changes, error) {
	var ch Changes
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return ch, err
	}
	defer rows.Close()
	for rows.Next() {
		var op string
		var n int
		if err := rows.Scan(&op, &n); err != nil {
			return ch, err
		}
		switch op {
		case "insert":
			ch.Inserted = n
		case "update":
			ch.Updated = n
		case "same":
			ch.Unchanged = n
		default:
			return ch, fmt.Errorf("count ops: unknown op %q", op)
		}
	}
	return ch, rows.Err()
}
