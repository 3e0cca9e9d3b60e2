package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/pgtest"
)

// fangyuan db backup and db restore from the command line, between two real databases.
func TestCLIBackupRestore(t *testing.T) {
	ctx := context.Background()
	src := pgtest.NewDatabase(t)
	t.Setenv("FANGYUAN_DATABASE_URL", src)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	if _, err := cli("migrate"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO numbering_preset (name, title) SELECT 'cli-backup-' || i, '测试' || i FROM generate_series(1, 7) i`); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM numbering_preset").Scan(&want); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "cli.backup")
	if _, err := cli("db", "backup"); !errors.Is(err, errUsage) {
		t.Errorf("db backup without -o: %v, want a usage error", err)
	}
	if _, err := cli("db", "backup", "-o", file); err != nil {
		t.Fatalf("db backup: %v", err)
	}
	dst := pgtest.NewDatabase(t)
	if _, err := cli("db", "restore", "--db", dst); !errors.Is(err, errUsage) {
		t.Errorf("db restore without a file: %v, want a usage error", err)
	}
	if _, err := cli("db", "restore", file, "--db", dst); err != nil {
		t.Fatalf("db restore: %v", err)
	}
	dconn, err := pgx.Connect(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer dconn.Close(ctx)
	var got int
	if err := dconn.QueryRow(ctx, "SELECT count(*) FROM numbering_preset").Scan(&got); err != nil || got != want {
		t.Errorf("restored numbering_preset has %d rows (%v), want %d", got, err, want)
	}
	// Non-empty now: refused without --force, accepted with it (flag before the file).
	if _, err := cli("db", "restore", file, "--db", dst); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second db restore: %v, want a refusal naming --force", err)
	}
	if _, err := cli("db", "restore", "--force", "--db", dst, file); err != nil {
		t.Errorf("db restore --force: %v", err)
	}
	if _, err := cli("db", "recover", "--archive", t.TempDir()); !errors.Is(err, errUsage) {
		t.Errorf("db recover without --to: %v, want a usage error", err)
	}
	if _, err := cli("db", "recover", "--to", "soon", "--archive", t.TempDir()); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "2026-12-02") {
		t.Errorf("db recover --to soon: %v, want a usage error with an example", err)
	}
}
