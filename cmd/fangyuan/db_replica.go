package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/internal/db"
	"fangyuan/internal/pgcluster"
)

const dbReplicaUsage = `db replica --primary URL [--home DIR] [--port N] [--slot NAME|-]

Creates a streaming standby (只读副本) of the primary at URL in DIR with pg_basebackup -R
and starts it on 127.0.0.1 (read-only, hot_standby); serve reads from it with
fangyuan serve --read-url URL-OF-THE-STANDBY (printed at the end). Run again on the same
DIR to start a stopped standby.`

// cmdDBReplica implements `fangyuan db replica`.
func cmdDBReplica(ctx context.Context, args []string) error {
	fs := newFlags("db replica", dbReplicaUsage)
	primary := fs.String("primary", os.Getenv("FANGYUAN_PRIMARY_URL"), "URL of the primary, e.g. the output of `fangyuan db url` there (env FANGYUAN_PRIMARY_URL)")
	home := fs.String("home", ".fangyuan-replica", "state directory of the standby (not the primary's FANGYUAN_HOME)")
	port := fs.Int("port", 0, "first TCP port tried for the standby (default: the first free one from 54329)")
	slot := fs.String("slot", "", "replication slot on the primary (default fangyuan_<hash of --home>; - for none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *primary == "" {
		return fmt.Errorf("%w: db replica needs --primary URL (the primary's `fangyuan db url`)", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: db replica takes no arguments, got %q", errUsage, fs.Args())
	}
	c := pgcluster.Open(*home)
	if c.Home() == pgcluster.Open(fangyuanHome()).Home() {
		if _, err := pgcluster.Open(fangyuanHome()).URL(); err == nil {
			return fmt.Errorf("%w: --home %s holds the local primary cluster (FANGYUAN_HOME): give the standby a directory of its own", errUsage, c.Home())
		}
	}
	if err := c.Replica(ctx, *primary, pgcluster.ReplicaOptions{Options: pgcluster.Options{Port: *port}, Slot: *slot}, os.Stderr); err != nil {
		return fmt.Errorf("db replica: %w", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		return fmt.Errorf("db replica: %w", err)
	}
	u, err := c.URL()
	if err != nil {
		return fmt.Errorf("db replica: %w", err)
	}
	fmt.Printf("standby PostgreSQL %s is streaming on 127.0.0.1:%d (data %s)\nread URL: %s\n", st.Version, st.Port, st.DataDir, u)
	return nil
}

// openReadDB opens the pool on the replica of --read-url ("" : none). The replica gets
// its schema from the primary: it is checked, not migrated.
func openReadDB(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, nil
	}
	pool, err := db.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--read-url: %w", err)
	}
	// The primary was just migrated: give the replica a moment to replay that.
	deadline := time.Now().Add(15 * time.Second)
	for {
		applied, newest, err := db.SchemaVersion(ctx, pool)
		if err == nil && applied == newest {
			return pool, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			if err != nil {
				return nil, fmt.Errorf("--read-url: %w", err)
			}
			return nil, fmt.Errorf("--read-url: the replica's schema is at version %d of %d after 15 s: is it a streaming replica of this primary (fangyuan db replica)?", applied, newest)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
