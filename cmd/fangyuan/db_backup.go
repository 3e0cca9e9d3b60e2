package main

// fangyuan db backup|restore|basebackup|recover and db up --archive: backups (备份),
// continuous WAL archiving (WAL 归档) and point-in-time recovery (时间点恢复).

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"fangyuan/internal/pgcluster"
)

// parseInterleaved parses flags that may come before or after the positional arguments
// (fangyuan db restore FILE --force) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// backupDatabaseURL is --db, else FANGYUAN_DATABASE_URL, else the local cluster's URL.
func backupDatabaseURL(ctx context.Context, flagURL string) (string, error) {
	if flagURL != "" {
		return flagURL, nil
	}
	return databaseURL(ctx)
}

// cmdDBBackup implements fangyuan db backup|restore|basebackup|recover.
func cmdDBBackup(ctx context.Context, cmd string, args []string) error {
	switch cmd {
	case "backup":
		fs := newFlags("db backup", "db backup -o FILE [--db URL]")
		out := fs.String("o", "", "backup file to write (tar: manifest.json + pg_dump custom format)")
		dbURL := fs.String("db", "", "database URL (default: FANGYUAN_DATABASE_URL, else the local cluster)")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if *out == "" || len(pos) > 0 {
			fs.Usage()
			return fmt.Errorf("%w: fangyuan db backup needs -o FILE and no other arguments", errUsage)
		}
		u, err := backupDatabaseURL(ctx, *dbURL)
		if err != nil {
			return fmt.Errorf("db backup: %w", err)
		}
		m, err := pgcluster.Backup(ctx, u, *out, os.Stderr)
		if err != nil {
			return fmt.Errorf("db backup: %w", err)
		}
		var rows int64
		for _, t := range m.Tables {
			rows += t.Rows
		}
		fmt.Printf("backup %s: database %s, schema version %d, %d tables, %d rows, taken %s\n",
			*out, m.Database, m.SchemaVersion, len(m.Tables), rows, m.Created.Format(time.RFC3339))
		return nil

	case "restore":
		fs := newFlags("db restore", "db restore FILE [--db URL] [--force]")
		dbURL := fs.String("db", "", "database URL (default: FANGYUAN_DATABASE_URL, else the local cluster)")
		force := fs.Bool("force", false, "replace the contents of a database that is not empty")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("%w: fangyuan db restore needs one backup FILE", errUsage)
		}
		u, err := backupDatabaseURL(ctx, *dbURL)
		if err != nil {
			return fmt.Errorf("db restore: %w", err)
		}
		res, err := pgcluster.Restore(ctx, pos[0], u, pgcluster.RestoreOptions{Force: *force, Log: os.Stderr})
		if err != nil {
			return fmt.Errorf("db %w", err)
		}
		fmt.Printf("restored %s: %d tables, %d rows verified against the manifest, schema version %d",
			pos[0], len(res.Manifest.Tables), res.Rows, res.Manifest.SchemaVersion)
		if res.Migrated > 0 {
			fmt.Printf(", migrated to %d", res.Migrated)
		}
		fmt.Println()
		return nil

	case "basebackup":
		fs := newFlags("db basebackup", "db basebackup --archive DIR")
		archive := fs.String("archive", "", "archive directory (the one of fangyuan db up --archive)")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if *archive == "" || len(pos) > 0 {
			fs.Usage()
			return fmt.Errorf("%w: fangyuan db basebackup needs --archive DIR", errUsage)
		}
		b, err := pgcluster.Open(fangyuanHome()).BaseBackup(ctx, *archive, os.Stderr)
		if err != nil {
			return fmt.Errorf("db basebackup: %w", err)
		}
		fmt.Printf("base backup %s in %s (recovery targets after %s)\n", b.ID, b.Dir, b.Stop.Format(time.RFC3339))
		return nil

	case "recover":
		fs := newFlags("db recover", "db recover --to TIME --archive DIR [--home H]")
		to := fs.String("to", "", "recovery target time, e.g. '2026-12-02T10:30:00+08:00' (no zone: UTC)")
		archive := fs.String("archive", "", "archive directory (the one of fangyuan db up --archive)")
		home := fs.String("home", "", "cluster home to recover into (default: FANGYUAN_HOME, else ./.fangyuan)")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return err
		}
		if *to == "" || *archive == "" || len(pos) > 0 {
			fs.Usage()
			return fmt.Errorf("%w: fangyuan db recover needs --to TIME and --archive DIR", errUsage)
		}
		target, err := pgcluster.ParseTarget(*to)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		h := *home
		if h == "" {
			h = fangyuanHome()
		}
		res, err := pgcluster.Open(h).Recover(ctx, *archive, target, os.Stderr)
		if err != nil {
			return fmt.Errorf("db recover: %w", err)
		}
		fmt.Printf("recovered to %s from base backup %s; promoted on timeline %s", target.UTC().Format(time.RFC3339Nano), res.Base.ID, res.Timeline)
		if res.OldData != "" {
			fmt.Printf("; the previous data directory is kept in %s", res.OldData)
		}
		fmt.Println()
		return nil
	}
	return fmt.Errorf("%w: unknown db command %q", errUsage, cmd)
}

// cmdDBUpArchive implements fangyuan db up --archive DIR.
func cmdDBUpArchive(ctx context.Context, args []string) error {
	fs := newFlags("db up", "db up [--archive DIR]")
	archive := fs.String("archive", "", "turn on continuous WAL archiving into DIR and take a first base backup there")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *archive == "" || len(pos) > 0 {
		fs.Usage()
		return fmt.Errorf("%w: fangyuan db up takes only --archive DIR", errUsage)
	}
	c := pgcluster.Open(fangyuanHome())
	if err := c.EnableArchive(ctx, *archive, os.Stderr); err != nil {
		return fmt.Errorf("db up: %w", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		return fmt.Errorf("db up: %w", err)
	}
	fmt.Printf("PostgreSQL %s is running on 127.0.0.1:%d, database fangyuan, archiving WAL into %s\n", st.Version, st.Port, *archive)
	return nil
}
