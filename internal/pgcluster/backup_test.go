package pgcluster_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgcluster"
	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// tableSums computes, independently of the package, the row count and an md5 over the
// text of every row (sorted) of every ordinary table outside the system schemas that no
// extension owns, keyed by schema.table.
func tableSums(t *testing.T, url string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range []string{"SET TimeZone = 'UTC'", "SET extra_float_digits = 1", "SET statement_timeout = 0"} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		  AND c.oid NOT IN (SELECT objid FROM pg_depend WHERE deptype = 'e' AND classid = 'pg_class'::regclass)`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, tbl := range tables {
		var n int64
		var sum string
		q := `SELECT count(*), coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text COLLATE "C")), '-') FROM ` + tbl + ` x`
		if err := conn.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		sums[tbl] = strconv.FormatInt(n, 10) + " " + sum
	}
	return sums
}

func compareSums(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: table %s missing", what, k)
		} else if g != w {
			t.Errorf("%s: table %s: %s, want %s", what, k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected table %s", what, k)
		}
	}
}

func poolURL(p *pgxpool.Pool) string { return p.Config().ConnString() }

func TestBackupRestore(t *testing.T) {
	ctx := dbtest.CLI()
	src := dbtest.Pool(t)
	if err := importers.LoadDemo(ctx, src, data.Demo, nil); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	// Rows with characters that need quoting, NULLs and time stamps in another zone.
	if _, err := src.Exec(ctx, `CREATE TABLE backup_extra (id int PRIMARY KEY, s text, at timestamptz, g geometry(Point, 4326), f float8)`); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exec(ctx, `INSERT INTO backup_extra VALUES
		(1, E'方圆县\t"quoted", \\back''slash\n', '2026-12-02 10:00:00.123456+08', ST_SetSRID(ST_MakePoint(119.123456789012, 28.1), 4326), 0.1),
		(2, NULL, NULL, NULL, 1e-300), (3, '', '1970-01-01 00:00:00+00', ST_GeomFromText('POINT EMPTY', 4326), 'NaN')`); err != nil {
		t.Fatal(err)
	}
	srcURL := poolURL(src)
	want := tableSums(t, srcURL)
	if !strings.Contains(want["public.admin_unit"], " ") || strings.HasPrefix(want["public.admin_unit"], "0 ") {
		t.Fatalf("source has no divisions: %v", want["public.admin_unit"])
	}

	file := filepath.Join(t.TempDir(), "fangyuan.backup")
	var log bytes.Buffer
	m, err := pgcluster.Backup(ctx, srcURL, file, &log)
	if err != nil {
		t.Fatalf("Backup: %v\n%s", err, log.String())
	}
	applied, newest, err := db.SchemaVersion(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != int(applied) || m.BinaryMigrations != int(newest) {
		t.Errorf("manifest schema %d/%d, database %d/%d", m.SchemaVersion, m.BinaryMigrations, applied, newest)
	}
	// The manifest's counts are the test's counts.
	if len(m.Tables) != len(want) {
		t.Errorf("manifest has %d tables, the database %d", len(m.Tables), len(want))
	}
	for _, tc := range m.Tables {
		w := want[tc.Schema+"."+tc.Name]
		if !strings.HasPrefix(w, strconv.FormatInt(tc.Rows, 10)+" ") {
			t.Errorf("manifest %s.%s: %d rows, the database %s", tc.Schema, tc.Name, tc.Rows, w)
		}
	}
	if !strings.Contains(log.String(), "backup: wrote") {
		t.Errorf("no progress on the log:\n%s", log.String())
	}

	// Into an empty database: identical counts and checksums.
	dst := pgtest.NewDatabase(t)
	log.Reset()
	res, err := pgcluster.Restore(ctx, file, dst, pgcluster.RestoreOptions{Log: &log})
	if err != nil {
		t.Fatalf("Restore: %v\n%s", err, log.String())
	}
	if res.Migrated != 0 {
		t.Errorf("a backup of the current schema was migrated to %d", res.Migrated)
	}
	compareSums(t, "restored", want, tableSums(t, dst))

	// A second restore into the now non-empty database is refused, naming tables.
	_, err = pgcluster.Restore(ctx, file, dst, pgcluster.RestoreOptions{})
	if !errors.Is(err, pgcluster.ErrNotEmpty) || !strings.Contains(err.Error(), "public.admin_unit") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore into a non-empty database: %v; want ErrNotEmpty naming public.admin_unit and --force", err)
	}
	// With --force it replaces everything, also tables the backup does not have.
	dconn, err := pgx.Connect(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer dconn.Close(ctx)
	if _, err := dconn.Exec(ctx, `CREATE TABLE stray (x int); INSERT INTO stray VALUES (1); DELETE FROM backup_extra WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgcluster.Restore(ctx, file, dst, pgcluster.RestoreOptions{Force: true}); err != nil {
		t.Fatalf("Restore --force: %v", err)
	}
	compareSums(t, "restored with --force", want, tableSums(t, dst))

	// A damaged dump is refused before the target is touched.
	dst2 := pgtest.NewDatabase(t)
	bad := corrupt(t, file)
	if _, err := pgcluster.Restore(ctx, bad, dst2, pgcluster.RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("restore of a damaged backup: %v, want damaged", err)
	}
	if got := tableSums(t, dst2); len(got) != 0 {
		t.Errorf("a refused restore left tables: %v", got)
	}

	// A manifest whose count disagrees with the dump fails the check after loading, and
	// the transaction leaves nothing behind.
	lying := rewriteManifest(t, file, func(m *pgcluster.Manifest) {
		for i := range m.Tables {
			if m.Tables[i].Name == "backup_extra" {
				m.Tables[i].Rows++
			}
		}
	})
	_, err = pgcluster.Restore(ctx, lying, dst2, pgcluster.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "public.backup_extra: 3 rows") || !strings.Contains(err.Error(), "nothing") {
		t.Errorf("restore with a wrong manifest count: %v, want the check to fail naming public.backup_extra", err)
	}
	if got := tableSums(t, dst2); len(got) != 0 {
		t.Errorf("a failed restore left %d tables", len(got))
	}
}

// rewriteManifest copies a backup with its manifest changed by edit.
func rewriteManifest(t *testing.T, file string, edit func(*pgcluster.Manifest)) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "edited.backup")
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tr, tw := tar.NewReader(f), tar.NewWriter(o)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			var m pgcluster.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(&m)
			if b, err = json.Marshal(&m); err != nil {
				t.Fatal(err)
			}
			h.Size = int64(len(b))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corrupt copies the backup with one byte of the dump changed.
func corrupt(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("PGDMP")) // the custom format's magic
	if i < 0 {
		t.Fatal("no PGDMP in the backup")
	}
	b[i+200] ^= 0xff
	out := filepath.Join(t.TempDir(), "bad.backup")
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// A backup of a newer schema is refused; one of an older schema is migrated up.
func TestRestoreSchemaVersion(t *testing.T) {
	ctx := context.Background()
	newest, err := pgcluster.BinaryMigrations()
	if err != nil {
		t.Fatal(err)
	}

	// Newer: a database whose version table says one more than the binary has.
	src := dbtest.Pool(t)
	if _, err := src.Exec(ctx, "UPDATE fangyuan_schema_version SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "newer.backup")
	if _, err := pgcluster.Backup(ctx, poolURL(src), file, nil); err != nil {
		t.Fatal(err)
	}
	dst := pgtest.NewDatabase(t)
	_, err = pgcluster.Restore(ctx, file, dst, pgcluster.RestoreOptions{})
	if !errors.Is(err, pgcluster.ErrSchemaTooNew) || !strings.Contains(err.Error(), strconv.Itoa(newest+1)) {
		t.Errorf("restore of a newer schema: %v; want ErrSchemaTooNew naming version %d", err, newest+1)
	}
	if got := tableSums(t, dst); len(got) != 0 {
		t.Errorf("a refused restore left tables: %v", got)
	}

	// Older: a database migrated to newest-1 only.
	oldURL := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, oldURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	mig, err := migrate.NewMigrator(ctx, conn, "fangyuan_schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := mig.LoadMigrations(db.Migrations()); err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := mig.MigrateTo(mctx, int32(newest-1)); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "older.backup")
	m, err := pgcluster.Backup(ctx, oldURL, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != newest-1 {
		t.Fatalf("older backup has schema version %d, want %d", m.SchemaVersion, newest-1)
	}
	dst = pgtest.NewDatabase(t)
	res, err := pgcluster.Restore(ctx, file, dst, pgcluster.RestoreOptions{})
	if err != nil {
		t.Fatalf("restore of an older schema: %v", err)
	}
	if res.Migrated != newest {
		t.Errorf("Migrated = %d, want %d", res.Migrated, newest)
	}
	dconn, err := pgx.Connect(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer dconn.Close(ctx)
	var v int
	if err := dconn.QueryRow(ctx, "SELECT version FROM fangyuan_schema_version").Scan(&v); err != nil || v != newest {
		t.Errorf("restored database at schema version %d (%v), want %d", v, err, newest)
	}
}
