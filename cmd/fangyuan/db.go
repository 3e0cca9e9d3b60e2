package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"fangyuan/internal/pgcluster"
)

const dbUsage = `usage: fangyuan db <command>

Manages the project-local PostgreSQL 15 + PostGIS cluster kept in $FANGYUAN_HOME
(default: .fangyuan in the current directory).

commands:
  up                 install (as root, when missing), create and start the cluster, and
                     create the fangyuan database; does nothing when it already runs
  down               stop the cluster
  status             show whether the cluster exists and runs, its port, data directory and
                     role (primary with its standbys, or standby with its primary and replay)
  url                print the database URL (postgres://fangyuan:...@127.0.0.1:PORT/fangyuan)
  psql [args...]     run psql on the fangyuan database, e.g. fangyuan db psql -c 'SELECT 1'
  replica --primary URL [--home DIR]
                     create and start a streaming standby of the primary (pg_basebackup -R)
  up --archive DIR   also archive the WAL continuously into DIR (and take a first base backup)
  backup -o FILE [--db URL]            consistent pg_dump + manifest (schema version, checksums)
  restore FILE [--db URL] [--force]    into an empty database (--force: replace), verified
  basebackup --archive DIR             take a base backup into the archive
  recover --to TIME --archive DIR [--home H]   point-in-time recovery of the local cluster`

// cmdDB implements `fangyuan db up|down|status|url|psql [psql args...]`.
func cmdDB(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, dbUsage)
		return fmt.Errorf("%w: missing db command", errUsage)
	}
	cmd, rest := args[0], args[1:]
	if cmd == "up" && len(rest) > 0 {
		return cmdDBUpArchive(ctx, rest)
	}
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Println(dbUsage)
		return nil
	case "up", "down", "status", "url":
		if len(rest) > 0 {
			fmt.Fprintln(os.Stderr, dbUsage)
			return fmt.Errorf("%w: fangyuan db %s takes no arguments, got %q", errUsage, cmd, strings.Join(rest, " "))
		}
	case "psql":
	case "replica":
		return cmdDBReplica(ctx, rest)
	case "backup", "restore", "basebackup", "recover":
		return cmdDBBackup(ctx, cmd, rest)
	default:
		fmt.Fprintln(os.Stderr, dbUsage)
		return fmt.Errorf("%w: unknown db command %q", errUsage, cmd)
	}

	// FANGYUAN_HOME, or .fangyuan in the current directory.
	c := pgcluster.Open(fangyuanHome())

	switch cmd {
	case "up":
		if err := c.Up(ctx, os.Stderr); err != nil {
			return fmt.Errorf("db up: %w", err)
		}
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("db up: %w", err)
		}
		fmt.Printf("PostgreSQL %s is running on 127.0.0.1:%d, database fangyuan (URL: fangyuan db url)\n", st.Version, st.Port)
		return nil
	case "down":
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("db down: %w", err)
		}
		if !st.Exists {
			fmt.Printf("no cluster in %s\n", st.Home)
			return nil
		}
		if !st.Running {
			fmt.Println("PostgreSQL is not running")
			return nil
		}
		if err := c.Down(ctx); err != nil {
			return fmt.Errorf("db down: %w", err)
		}
		fmt.Println("PostgreSQL stopped")
		return nil
	case "status":
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("db status: %w", err)
		}
		printStatus(st)
		return nil
	case "url":
		u, err := c.URL()
		if err != nil {
			return fmt.Errorf("db url: %w", err)
		}
		fmt.Println(u)
		return nil
	default: // psql
		if err := c.PSQL(ctx, rest, os.Stdin, os.Stdout, os.Stderr); err != nil {
			return fmt.Errorf("db psql: %w", err)
		}
		return nil
	}
}

func printStatus(st pgcluster.Status) {
	if !st.Exists {
		fmt.Printf("cluster:  none in %s (create it with: fangyuan db up)\n", st.Home)
		return
	}
	state := "stopped (start it with: fangyuan db up)"
	if st.Running {
		state = fmt.Sprintf("running (pid %d)", st.PID)
	} else if st.StalePID {
		state = "stopped, stale postmaster.pid (fangyuan db up removes it)"
	}
	fmt.Printf("cluster:  %s\n", st.Home)
	fmt.Printf("state:    %s\n", state)
	fmt.Printf("version:  PostgreSQL %s\n", st.Version)
	fmt.Printf("listen:   127.0.0.1:%d\n", st.Port)
	fmt.Printf("data:     %s\n", st.DataDir)
	fmt.Printf("socket:   %s\n", st.SocketDir)
	fmt.Printf("log:      %s\n", st.LogFile)
	switch st.Role {
	case "standby":
		from := "no primary connected"
		if st.Upstream != "" {
			from = "primary " + st.Upstream
		}
		if st.Receiver != "" {
			from += ", " + st.Receiver
		}
		replayed := "replayed " + st.LSN
		if a := st.ReplayAgeSeconds; a != nil {
			replayed += fmt.Sprintf(", last transaction committed %.1f s ago", *a)
		}
		fmt.Printf("role:     standby (%s; %s)\n", from, replayed)
	case "primary":
		sb := "no standby connected"
		if len(st.Standbys) > 0 {
			sb = fmt.Sprintf("%d standby: %s", len(st.Standbys), strings.Join(st.Standbys, ", "))
		}
		fmt.Printf("role:     primary (WAL at %s; %s; archive_mode %s)\n", st.LSN, sb, st.Archive)
	}
}
