package pgcluster

// Logical backups (备份) of the fangyuan database: `fangyuan db backup` and `fangyuan db
// restore`.
//
// A backup file is a tar archive of two members:
//
//	manifest.json   format, schema version, server version, per-table row counts and checksums
//	fangyuan.dump   pg_dump custom format (-Fc)
//
// The counts, the checksums and the dump are taken from one snapshot: a SERIALIZABLE READ
// ONLY DEFERRABLE transaction exports its snapshot, computes the checksums and stays open
// while pg_dump --snapshot reads the same data. A restore runs the whole dump and then the
// check of every table's count and checksum in one transaction: a mismatch rolls everything
// back, and a failed restore leaves the target as it was.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/db"
)

// BackupFormat names the layout of a backup file; Restore refuses others.
const BackupFormat = "fangyuan-backup/1"

const (
	manifestName = "manifest.json"
	dumpName     = "fangyuan.dump"
	versionTable = "fangyuan_schema_version" // tern's version table (internal/db)
)

// Manifest describes a backup file.
type Manifest struct {
	Format           string       `json:"format"`
	Created          time.Time    `json:"created"` // the server's clock when the snapshot was taken
	Database         string       `json:"database"`
	ServerVersion    string       `json:"server_version"`
	SchemaVersion    int          `json:"schema_version"`    // applied migrations (tern's version table)
	BinaryMigrations int          `json:"binary_migrations"` // migrations the writing binary knows
	Tables           []TableCheck `json:"tables"`
	DumpBytes        int64        `json:"dump_bytes"`
	DumpSHA256       string       `json:"dump_sha256"`
}

// TableCheck is the row count and checksum of one table. The checksum is the sum, as an
// exact decimal, of the first 64 bits of the md5 of every row's text form (TimeZone UTC,
// DateStyle ISO): it does not depend on the order of the rows and needs no sort (a sorted
// string_agg of the md5s took 38 s on the national admin_unit table, the sum 7.8 s).
type TableCheck struct {
	Schema   string `json:"schema"`
	Name     string `json:"name"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

func (t TableCheck) qualified() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

// Sessions that compute checksums fix the settings that change a row's text form.
var checksumSettings = []string{
	"SET LOCAL TimeZone = 'UTC'",
	"SET LOCAL DateStyle = 'ISO, YMD'",
	"SET LOCAL IntervalStyle = 'postgres'",
	"SET LOCAL extra_float_digits = 1",
	"SET LOCAL bytea_output = 'hex'",
}

// checksumQuery returns count and checksum of table (a sanitized qualified name).
func checksumQuery(table string) string {
	return `SELECT count(*), coalesce(sum(('x' || left(md5(ROW(fy_row_.*)::text), 16))::bit(64)::bigint::numeric), 0)::text
	FROM ` + table + ` AS fy_row_`
}

// userTablesSQL lists the ordinary tables outside the system schemas that no extension
// owns (PostGIS's spatial_ref_sys belongs to the extension and comes back with it).
const userTablesSQL = `
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2`

// BinaryMigrations is the number of schema migrations compiled into this binary.
func BinaryMigrations() (int, error) {
	files, err := fs.Glob(db.Migrations(), "*.sql")
	if err != nil {
		return 0, fmt.Errorf("embedded migrations: %w", err)
	}
	return len(files), nil
}

// Backup writes a backup of the database at dbURL to out (replaced atomically). Progress
// goes to log (may be nil).
func Backup(ctx context.Context, dbURL, out string, log io.Writer) (*Manifest, error) {
	if log == nil {
		log = io.Discard
	}
	newest, err := BinaryMigrations()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("backup: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly, DeferrableMode: pgx.Deferrable})
	if err != nil {
		return nil, fmt.Errorf("backup: begin snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, s := range checksumSettings {
		if _, err := tx.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("backup: %s: %w", s, err)
		}
	}
	m := &Manifest{Format: BackupFormat, BinaryMigrations: newest}
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot(), clock_timestamp(), current_database(), current_setting('server_version')").
		Scan(&snapshot, &m.Created, &m.Database, &m.ServerVersion); err != nil {
		return nil, fmt.Errorf("backup: export snapshot: %w", err)
	}
	m.Created = m.Created.UTC()
	var hasVersion bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "public."+versionTable).Scan(&hasVersion); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if !hasVersion {
		return nil, fmt.Errorf("backup: database %s has no %s table: it is not a fangyuan database (run `fangyuan migrate` first)", m.Database, versionTable)
	}
	if err := tx.QueryRow(ctx, "SELECT version FROM public."+versionTable).Scan(&m.SchemaVersion); err != nil {
		return nil, fmt.Errorf("backup: read the schema version: %w", err)
	}
	fmt.Fprintf(log, "backup: database %s, schema version %d, PostgreSQL %s, snapshot %s\n", m.Database, m.SchemaVersion, m.ServerVersion, snapshot)

	if m.Tables, err = checksums(ctx, tx, log, "backup"); err != nil {
		return nil, err
	}

	dir := filepath.Dir(out)
	tmpDump, err := os.CreateTemp(dir, ".fangyuan-dump-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tmpDump.Close()
	defer os.Remove(tmpDump.Name())
	fmt.Fprintf(log, "backup: pg_dump (custom format) of the same snapshot\n")
	libURL, opts := libpqURL(dbURL)
	cmd, err := clientCmd(ctx, "pg_dump", opts, "--format=custom", "--snapshot="+snapshot, "--file="+tmpDump.Name(), "--dbname="+libURL)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(log, &stderr)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("backup: pg_dump: %w\n%s", err, tail(stderr.String(), 15))
	}
	if err := tx.Rollback(ctx); err != nil { // the snapshot is no longer needed
		return nil, fmt.Errorf("backup: end snapshot: %w", err)
	}

	// The tar: manifest first, so a restore learns the schema version before anything else.
	f, err := os.Open(tmpDump.Name())
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if m.DumpBytes, err = io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("backup: read dump: %w", err)
	}
	m.DumpSHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backup: manifest: %w", err)
	}
	mj = append(mj, '\n')

	tmpOut, err := os.CreateTemp(dir, ".fangyuan-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmpOut.Name())
	bw := bufio.NewWriterSize(tmpOut, 1<<20)
	tw := tar.NewWriter(bw)
	err = writeMember(tw, manifestName, m.Created, int64(len(mj)), bytes.NewReader(mj))
	if err == nil {
		err = writeMember(tw, dumpName, m.Created, m.DumpBytes, f)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmpOut.Sync()
	}
	if cerr := tmpOut.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmpOut.Name(), 0o600) // the dump holds password hashes of API tokens
	}
	if err == nil {
		err = os.Rename(tmpOut.Name(), out)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", out, err)
	}
	var rows int64
	for _, t := range m.Tables {
		rows += t.Rows
	}
	fmt.Fprintf(log, "backup: wrote %s (%d tables, %d rows, dump %.1f MiB)\n", out, len(m.Tables), rows, float64(m.DumpBytes)/(1<<20))
	return m, nil
}

func writeMember(tw *tar.Writer, name string, mtime time.Time, size int64, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d bytes, expected %d", name, n, size)
	}
	return err
}

// checksums computes count and checksum of every user table in tx.
func checksums(ctx context.Context, tx pgx.Tx, log io.Writer, what string) ([]TableCheck, error) {
	rows, err := tx.Query(ctx, userTablesSQL)
	if err != nil {
		return nil, fmt.Errorf("%s: list tables: %w", what, err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TableCheck, error) {
		var t TableCheck
		err := r.Scan(&t.Schema, &t.Name)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list tables: %w", what, err)
	}
	for i := range tables {
		t := &tables[i]
		if err := tx.QueryRow(ctx, checksumQuery(t.qualified())).Scan(&t.Rows, &t.Checksum); err != nil {
			return nil, fmt.Errorf("%s: checksum of %s: %w", what, t.qualified(), err)
		}
		fmt.Fprintf(log, "%s: %-40s %10d rows  %s\n", what, t.Schema+"."+t.Name, t.Rows, t.Checksum)
	}
	return tables, nil
}

// ReadManifest reads the manifest of a backup file.
func ReadManifest(file string) (*Manifest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	defer f.Close()
	m, _, err := readManifest(file, tar.NewReader(bufio.NewReader(f)))
	return m, err
}

func readManifest(file string, tr *tar.Reader) (*Manifest, *tar.Header, error) {
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return nil, nil, fmt.Errorf("%s: not a fangyuan backup (the first member of the tar must be %s): %v", file, manifestName, err)
	}
	b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", file, manifestName, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", file, manifestName, err)
	}
	if m.Format != BackupFormat {
		return nil, nil, fmt.Errorf("%s: %s: format %q, this binary reads %q", file, manifestName, m.Format, BackupFormat)
	}
	return &m, h, nil
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force replaces a database that is not empty: every schema of it is dropped (in the
	// restore's transaction) before the dump is loaded.
	Force bool
	Log   io.Writer
}

// RestoreResult reports a restore.
type RestoreResult struct {
	Manifest *Manifest
	Rows     int64 // rows verified
	Migrated int   // schema version after the migrations run for an older dump (0: none run)
}

// ErrNotEmpty marks a restore refused because the target database has tables.
var ErrNotEmpty = errors.New("database is not empty")

// ErrSchemaTooNew marks a backup written by a newer schema than this binary knows.
var ErrSchemaTooNew = errors.New("backup schema is newer than this binary")

// Restore loads the backup file into the database at dbURL: into an empty database, or
// over a non-empty one with Force. A backup of an older schema is migrated up afterwards;
// one newer than the binary is refused. The row counts and checksums of every table are
// checked against the manifest before the restore commits.
func Restore(ctx context.Context, file, dbURL string, opts RestoreOptions) (*RestoreResult, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	newest, err := BinaryMigrations()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	m, _, err := readManifest(file, tr)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(log, "restore: %s: database %s of %s, schema version %d, %d tables\n", file, m.Database, m.Created.Format(time.RFC3339), m.SchemaVersion, len(m.Tables))
	if m.SchemaVersion > newest {
		return nil, fmt.Errorf("restore: %s: %w: the backup has schema version %d, this fangyuan binary knows migrations up to %d: restore it with the newer fangyuan that wrote it",
			file, ErrSchemaTooNew, m.SchemaVersion, newest)
	}

	// Extract and verify the dump before touching the target.
	h, err := tr.Next()
	if err != nil || h.Name != dumpName {
		return nil, fmt.Errorf("restore: %s: second member must be %s: %v", file, dumpName, err)
	}
	tmp, err := os.CreateTemp("", "fangyuan-restore-*.dump")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), tr)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("restore: %s: extract %s: %w", file, dumpName, err)
	}
	if n != m.DumpBytes || hex.EncodeToString(sum.Sum(nil)) != m.DumpSHA256 {
		return nil, fmt.Errorf("restore: %s: %s is damaged: %d bytes, sha256 %s; the manifest says %d bytes, sha256 %s",
			file, dumpName, n, hex.EncodeToString(sum.Sum(nil)), m.DumpBytes, m.DumpSHA256)
	}

	// The target must be empty unless forced.
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("restore: connect: %w", err)
	}
	var target string
	found, err := func() ([]string, error) {
		defer conn.Close(context.WithoutCancel(ctx))
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&target); err != nil {
			return nil, err
		}
		rows, err := conn.Query(ctx, userTablesSQL)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var s, t string
			err := r.Scan(&s, &t)
			return s + "." + t, err
		})
	}()
	if err != nil {
		return nil, fmt.Errorf("restore: inspect the target database: %w", err)
	}
	if len(found) > 0 && !opts.Force {
		names := found
		if len(names) > 10 {
			names = append(names[:10:10], fmt.Sprintf("and %d more", len(found)-10))
		}
		return nil, fmt.Errorf("restore: %w: database %s has %d tables (%s): restore into an empty database, or pass --force to replace everything in it",
			ErrNotEmpty, target, len(found), strings.Join(names, ", "))
	}

	var script bytes.Buffer // before the dump
	script.WriteString("\\set ON_ERROR_STOP on\n")
	if len(found) > 0 {
		fmt.Fprintf(log, "restore: --force: dropping the %d tables and every schema of database %s first (in the same transaction)\n", len(found), target)
		script.WriteString(dropAllSQL)
	}
	var check bytes.Buffer // after the dump
	check.WriteString(strings.Join(checksumSettings, ";\n") + ";\n")
	check.WriteString(verifySQL(m.Tables))

	libURL, libOpts := libpqURL(dbURL)
	dump, err := clientCmd(ctx, "pg_restore", libOpts, "--no-owner", "--no-acl", "--file=-", tmp.Name())
	if err != nil {
		return nil, err
	}
	var dumpErr bytes.Buffer
	dump.Stderr = &dumpErr
	dumpOut, err := dump.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	psql, err := clientCmd(ctx, "psql", libOpts, "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--file=-", "--dbname="+libURL)
	if err != nil {
		return nil, err
	}
	psql.Stdin = io.MultiReader(&script, dumpOut, &check)
	var psqlOut bytes.Buffer
	psql.Stdout, psql.Stderr = &psqlOut, &psqlOut
	fmt.Fprintf(log, "restore: loading %s into database %s (one transaction)\n", dumpName, target)
	if err := dump.Start(); err != nil {
		return nil, fmt.Errorf("restore: pg_restore: %w", err)
	}
	perr := psql.Run()
	derr := dump.Wait()
	if perr != nil {
		return nil, fmt.Errorf("restore: nothing was changed in database %s: psql: %w\n%s", target, perr, tail(psqlOut.String(), 15))
	}
	if derr != nil {
		// psql committed a script pg_restore did not finish: impossible with the verification
		// at the end, but say so rather than claim success.
		return nil, fmt.Errorf("restore: pg_restore: %w\n%s", derr, tail(dumpErr.String(), 15))
	}
	res := &RestoreResult{Manifest: m}
	for _, t := range m.Tables {
		res.Rows += t.Rows
	}
	fmt.Fprintf(log, "restore: verified %d tables, %d rows: counts and checksums match the manifest\n", len(m.Tables), res.Rows)

	if m.SchemaVersion < newest {
		fmt.Fprintf(log, "restore: the backup has schema version %d; migrating up to %d\n", m.SchemaVersion, newest)
		pool, err := db.ConnectWith(ctx, dbURL, db.Options{StatementTimeout: db.LongStatementTimeout})
		if err != nil {
			return res, fmt.Errorf("restore: restored, but migrating failed: %w", err)
		}
		defer pool.Close()
		if err := db.Migrate(ctx, pool); err != nil {
			return res, fmt.Errorf("restore: restored schema version %d, but migrating failed: %w", m.SchemaVersion, err)
		}
		res.Migrated = newest
	}
	return res, nil
}

// dropAllSQL empties a database for restore --force: every schema but the system ones goes
// (with the extensions and tables in them), and an empty public schema is made as
// PostgreSQL 15 creates it.
const dropAllSQL = `DO $fy$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $fy$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
`

// verifySQL is a DO block that raises an error (rolling the restore back) unless every
// table has the manifest's count and checksum.
func verifySQL(tables []TableCheck) string {
	var b strings.Builder
	b.WriteString("DO $fy$\nDECLARE n bigint; h text; bad text := '';\nBEGIN\n")
	for _, t := range tables {
		q := checksumQuery(t.qualified())
		fmt.Fprintf(&b, "  EXECUTE %s INTO n, h;\n", quoteLiteral(q))
		fmt.Fprintf(&b, "  IF n IS DISTINCT FROM %d OR h IS DISTINCT FROM %s THEN bad := bad || format(E'\\n  %%s: %%s rows, checksum %%s; the backup has %d rows, checksum %s', %s, n, h); END IF;\n",
			t.Rows, quoteLiteral(t.Checksum), t.Rows, t.Checksum, quoteLiteral(t.Schema+"."+t.Name))
	}
	b.WriteString("  IF bad <> '' THEN RAISE EXCEPTION 'restore check failed, nothing restored:%', bad; END IF;\nEND $fy$;\n")
	return b.String()
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings on).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// clientCmd runs a PostgreSQL client program (pg_dump, pg_restore, psql, pg_basebackup)
// as the current user, with options (-c name=value ...) in PGOPTIONS.
func clientCmd(ctx context.Context, prog, options string, args ...string) (*exec.Cmd, error) {
	path := filepath.Join(BinDir, prog)
	if _, err := os.Stat(path); err != nil {
		if path, err = exec.LookPath(prog); err != nil {
			return nil, fmt.Errorf("%s not found in %s or PATH: install postgresql-client-15", prog, BinDir)
		}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(cleanEnv(), "PGAPPNAME=fangyuan-"+prog, "PGOPTIONS=-c statement_timeout=0 "+options)
	cmd.WaitDelay = 10 * time.Second
	return cmd, nil
}

// libpqParams are the URL query parameters libpq understands; pgx also accepts run-time
// settings there (?statement_timeout=…), which libpq refuses: those go to PGOPTIONS.
var libpqParams = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true,
	"keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
	"tcp_user_timeout": true, "sslmode": true, "sslcompression": true, "sslcert": true,
	"sslkey": true, "sslpassword": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true,
	"sslsni": true, "requirepeer": true, "ssl_min_protocol_version": true,
	"ssl_max_protocol_version": true, "gssencmode": true, "krbsrvname": true, "gsslib": true,
	"service": true, "target_session_attrs": true,
}

// libpqURL splits a pgx URL into one libpq accepts and the run-time settings for PGOPTIONS.
func libpqURL(s string) (string, string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return s, "" // a keyword/value string: libpq's own format
	}
	q := u.Query()
	var opts []string
	for k, vs := range q {
		if !libpqParams[k] {
			for _, v := range vs {
				opts = append(opts, "-c "+k+"="+strings.ReplaceAll(v, " ", `\ `))
			}
			q.Del(k)
		}
	}
	sort.Strings(opts)
	u.RawQuery = q.Encode()
	return u.String(), strings.Join(opts, " ")
}
