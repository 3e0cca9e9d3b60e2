package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// aptCommand is what a non-root user is told to run.
var aptCommand = "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y " + strings.Join(aptPackages, " ")

// errPortInUse marks a start that failed because another program holds the port.
var errPortInUse = errors.New("port in use")

// ensurePackages installs PostgreSQL 15 and PostGIS 3 with apt-get when they are missing.
func ensurePackages(ctx context.Context, log io.Writer) error {
	missing := missingFiles()
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("PostgreSQL 15 + PostGIS 3 are not installed (missing %s): install them with\n\t%s\nand run this again",
			strings.Join(missing, ", "), aptCommand)
	}
	fmt.Fprintf(log, "installing %s with apt-get (missing %s)\n", strings.Join(aptPackages, " "), strings.Join(missing, ", "))
	install := append([]string{"install", "-y", "--no-install-recommends"}, aptPackages...)
	if err := aptGet(ctx, log, install...); err != nil {
		fmt.Fprintf(log, "apt-get install failed (%v); running apt-get update and trying again\n", err)
		if err := aptGet(ctx, log, "update"); err != nil {
			return fmt.Errorf("apt-get update: %w (check the network and /etc/apt/sources.list, then run `fangyuan db up` again)", err)
		}
		if err := aptGet(ctx, log, install...); err != nil {
			return fmt.Errorf("apt-get install %s: %w (the apt-get output above says why)", strings.Join(aptPackages, " "), err)
		}
	}
	if missing := missingFiles(); len(missing) > 0 {
		return fmt.Errorf("apt-get installed %s but %s is still missing: install PostgreSQL 15 + PostGIS 3 by hand (%s)",
			strings.Join(aptPackages, " "), strings.Join(missing, ", "), aptCommand)
	}
	return nil
}

func missingFiles() []string {
	var missing []string
	for _, f := range []string{filepath.Join(BinDir, "initdb"), PostGISControl} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	return missing
}

func aptGet(ctx context.Context, log io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = log, log
	// Package scripts may start daemons that keep our pipes open: do not wait for them.
	cmd.WaitDelay = 10 * time.Second
	return cmd.Run()
}

// account is the OS account that owns the data directory and runs the server.
type account struct {
	name     string
	uid, gid int
	gids     map[int]bool
}

// serverAccount is postgres when running as root (the server refuses to run as root), and
// the current user otherwise.
func serverAccount() (*account, error) {
	var u *user.User
	var err error
	if os.Geteuid() == 0 {
		u, err = user.Lookup(serverOS)
		if err != nil {
			return nil, fmt.Errorf("look up the %s account: %w (it comes with the postgresql-15 package: apt-get install --reinstall postgresql-common)", serverOS, err)
		}
	} else {
		u, err = user.Current()
		if err != nil {
			return nil, fmt.Errorf("look up the current user: %w", err)
		}
	}
	a := &account{name: u.Username, gids: map[int]bool{}}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("account %s: uid %q: %w", u.Username, u.Uid, err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("account %s: gid %q: %w", u.Username, u.Gid, err)
	}
	a.gids[a.gid] = true
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil {
				a.gids[g] = true
			}
		}
	}
	return a, nil
}

// canTraverse reports whether the account may search every directory from / down to dir
// (ACLs are ignored).
func (a *account) canTraverse(dir string) bool {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return false
		}
		sys, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		perm := fi.Mode().Perm()
		var bit fs.FileMode
		switch {
		case int(sys.Uid) == a.uid:
			bit = 0o100
		case a.gids[int(sys.Gid)]:
			bit = 0o010
		default:
			bit = 0o001
		}
		if perm&bit == 0 {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}

// serverCmd runs a PostgreSQL program as the cluster's account: directly when we are that
// account, through runuser when we are root.
func serverCmd(ctx context.Context, st *state, prog string, args ...string) (*exec.Cmd, error) {
	path := filepath.Join(BinDir, prog)
	var cmd *exec.Cmd
	switch euid := os.Geteuid(); {
	case euid == st.OSUID:
		cmd = exec.CommandContext(ctx, path, args...)
	case euid == 0:
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			runuser = "/usr/sbin/runuser"
		}
		cmd = exec.CommandContext(ctx, runuser, append([]string{"-u", st.OSUser, "--", path}, args...)...)
	default:
		return nil, fmt.Errorf("the PostgreSQL cluster in %s belongs to the account %s (uid %d): run this as %s or as root",
			filepath.Dir(st.LogFile), st.OSUser, st.OSUID, st.OSUser)
	}
	cmd.Dir = "/" // the account may not be able to enter our working directory
	cmd.Env = cleanEnv()
	cmd.WaitDelay = 5 * time.Second
	return cmd, nil
}

// cleanEnv is our environment without the PG* variables, which would redirect the tools.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// chown gives path to the cluster's account when we are root.
func chown(path string, st *state) error {
	if os.Geteuid() != 0 || st.OSUID == 0 {
		return nil
	}
	if err := os.Lchown(path, st.OSUID, st.OSGID); err != nil {
		return fmt.Errorf("give %s to %s: %w", path, st.OSUser, err)
	}
	return nil
}

// initdb creates the data directory: UTF8, C.UTF-8, superuser fangyuan with the generated
// password, scram-sha-256 for every connection.
func (c *Cluster) initdb(ctx context.Context, st *state, log io.Writer) error {
	base := filepath.Dir(st.DataDir)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", base, err)
	}
	// A data directory from an initdb that never completed holds nothing of value.
	if err := os.RemoveAll(st.DataDir); err != nil {
		return fmt.Errorf("clear unfinished data directory: %w", err)
	}
	if err := os.Mkdir(st.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := chown(st.DataDir, st); err != nil {
		return err
	}

	pw, err := os.CreateTemp(base, ".pwfile-*")
	if err != nil {
		return fmt.Errorf("write initdb password file: %w", err)
	}
	defer os.Remove(pw.Name())
	_, err = pw.WriteString(st.Password + "\n")
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write initdb password file: %w", err)
	}
	if err := chown(pw.Name(), st); err != nil {
		return err
	}

	args := []string{
		"-D", st.DataDir,
		"--encoding=UTF8", "--locale=C.UTF-8",
		"--username=" + st.User, "--pwfile=" + pw.Name(),
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
		"--no-instructions",
	}
	if st.Throwaway {
		args = append(args, "--no-sync")
	}
	cmd, err := serverCmd(ctx, st, "initdb", args...)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(log, &out)
	cmd.Stderr = cmd.Stdout
	fmt.Fprintf(log, "creating the PostgreSQL cluster in %s (as %s)\n", st.DataDir, st.OSUser)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, tail(out.String(), 20))
	}

	conf, err := os.OpenFile(filepath.Join(st.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	_, err = fmt.Fprintf(conf, "\n# Port, addresses and socket directory, written by fangyuan from its cluster.json:\ninclude = '%s'\n", confFile)
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	st.Initialized = true
	return c.save(st)
}

// writeConf writes the settings from cluster.json into the data directory; postgresql.conf
// includes the file.
func writeConf(st *state) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by fangyuan at every start from cluster.json: edit that file instead.\n")
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(st.Port),
		"unix_socket_directories": st.SocketDir,
		"unix_socket_permissions": "0700",
	}
	for k, v := range st.Settings {
		settings[k] = v
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	path := filepath.Join(st.DataDir, confFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return chown(path, st)
}

// ensureSocketDir creates the private socket directory (again after a reboot cleared /tmp)
// and refuses one that someone else made.
func ensureSocketDir(st *state) error {
	dir := st.SocketDir
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("create socket directory: %w", err)
		}
		return chown(dir, st)
	}
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("socket directory %s is not a directory: remove it and run `fangyuan db up` again", dir)
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != st.OSUID {
		return fmt.Errorf("socket directory %s belongs to uid %d, not %s: remove it and run `fangyuan db up` again", dir, sys.Uid, st.OSUser)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("socket directory: %w", err)
		}
	}
	return nil
}

// start starts the server with pg_ctl and waits until it accepts connections.
func (c *Cluster) start(ctx context.Context, st *state, log io.Writer) error {
	if err := ensureSocketDir(st); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if !portFree(st.Port) {
			if !st.Throwaway {
				return fmt.Errorf("port %d on 127.0.0.1 is used by another program: stop it, or set \"port\" in %s to a free port, then run `fangyuan db up` again",
					st.Port, c.statePath())
			}
			p, err := freePort(st.Port + 1)
			if err != nil {
				return err
			}
			st.Port = p
			if err := c.save(st); err != nil {
				return err
			}
		}
		if err := writeConf(st); err != nil {
			return err
		}
		fmt.Fprintf(log, "starting PostgreSQL on 127.0.0.1:%d (log %s)\n", st.Port, st.LogFile)
		err := pgctlStart(ctx, st)
		if err == nil {
			return nil
		}
		// Another process may have taken the port between the check and the bind.
		if st.Throwaway && attempt < 5 && errors.Is(err, errPortInUse) {
			continue
		}
		return err
	}
}

func pgctlStart(ctx context.Context, st *state) error {
	logf, err := os.OpenFile(st.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close()
	var offset int64
	if fi, err := logf.Stat(); err == nil {
		offset = fi.Size()
	}
	// Without -l the server writes to pg_ctl's stdout: this file, opened by us, so the log
	// can live in home even when the server account cannot enter it.
	cmd, err := serverCmd(ctx, st, "pg_ctl", "start", "-D", st.DataDir, "-w", "-t", "120")
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		msg := logSince(st.LogFile, offset)
		if strings.Contains(msg, "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return fmt.Errorf("start PostgreSQL: %w\n%s\n(full log: %s)", err, tail(msg, 15), st.LogFile)
	}
	return nil
}

// stop stops the server with pg_ctl in the given shutdown mode (fast or immediate).
func stop(ctx context.Context, st *state, mode string) error {
	p, err := postmaster(st.DataDir)
	if err != nil {
		return err
	}
	if !p.running {
		if p.stale {
			return removeStale(st)
		}
		return nil
	}
	cmd, err := serverCmd(ctx, st, "pg_ctl", "stop", "-D", st.DataDir, "-m", mode, "-w", "-t", "120")
	if err != nil {
		return err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop PostgreSQL (pid %d): %w\n%s", p.pid, err, tail(string(out), 10))
	}
	return nil
}

// proc describes postmaster.pid.
type proc struct {
	pid     int
	running bool // pid is this data directory's postmaster
	stale   bool // the file exists but names no live postmaster of this data directory
}

func postmaster(dataDir string) (proc, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return proc{}, nil
	}
	if err != nil {
		return proc{}, fmt.Errorf("read postmaster.pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return proc{stale: true}, nil
	}
	if isPostmasterOf(pid, dataDir) {
		return proc{pid: pid, running: true}, nil
	}
	return proc{pid: pid, stale: true}, nil
}

// isPostmasterOf reports whether pid is alive and is the server of dataDir: the postmaster's
// working directory is its data directory. A pid reused after a reboot fails the test.
func isPostmasterOf(pid int, dataDir string) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		// ESRCH: gone. EPERM: someone else's process, while our server runs as us (or we
		// are root, who gets no EPERM).
		return false
	}
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	switch {
	case err == nil:
		want, err := filepath.EvalSymlinks(dataDir)
		if err != nil {
			want = dataDir
		}
		return cwd == want || cwd == dataDir
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat("/proc/self"); err != nil {
			return true // no /proc: trust the pid
		}
		return false
	default:
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return err == nil && strings.TrimSpace(string(comm)) == "postgres"
	}
}

// removeStale deletes the lock files a dead server left behind.
func removeStale(st *state) error {
	files := []string{filepath.Join(st.DataDir, "postmaster.pid")}
	locks, _ := filepath.Glob(filepath.Join(st.SocketDir, ".s.PGSQL.*"))
	files = append(files, locks...)
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale lock file: %w", err)
		}
	}
	return nil
}

// ensureDatabase creates the application database when it is missing.
func ensureDatabase(ctx context.Context, st *state, log io.Writer) error {
	conn, err := connect(ctx, st, "postgres", 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ctype string
	err = conn.QueryRow(ctx, "SELECT datctype FROM pg_database WHERE datname = $1", st.Database).Scan(&ctype)
	if errors.Is(err, pgx.ErrNoRows) {
		sql := "CREATE DATABASE " + pgx.Identifier{st.Database}.Sanitize() +
			" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("create database %s: %w", st.Database, err)
		}
		fmt.Fprintf(log, "created database %s (UTF8, C.UTF-8)\n", st.Database)
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up database %s: %w", st.Database, err)
	}
	if !isUTF8Locale(ctype) {
		fmt.Fprintf(log, "warning: database %s has lc_ctype %q: pg_trgm will drop Chinese characters; recreate it with LC_CTYPE 'C.UTF-8'\n", st.Database, ctype)
	}
	return nil
}

func isUTF8Locale(l string) bool {
	l = strings.ToLower(l)
	return strings.HasSuffix(l, ".utf8") || strings.HasSuffix(l, ".utf-8")
}

// connect opens a connection to database db, retrying for up to wait while the server is
// starting.
func connect(ctx context.Context, st *state, db string, wait time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, st.url(db))
		cancel()
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("connect to PostgreSQL on 127.0.0.1:%d: %w (server log: %s)", st.Port, err, st.LogFile)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func serverVersion(ctx context.Context, st *state) (string, error) {
	conn, err := connect(ctx, st, "postgres", 0)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("server version: %w", err)
	}
	return v, nil
}

// replication fills the replication part of a running cluster's status.
func replication(ctx context.Context, st *state, s *Status) error {
	conn, err := connect(ctx, st, "postgres", 0)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var standby bool
	var lsn, upstream, receiver *string
	var age *float64
	if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		  CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text,
		  (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1),
		  (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
		  CASE WHEN pg_is_in_recovery() THEN extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 END,
		  current_setting('archive_mode')`).Scan(&standby, &lsn, &upstream, &receiver, &age, &s.Archive); err != nil {
		return fmt.Errorf("replication status: %w", err)
	}
	s.Role, s.ReplayAgeSeconds = "primary", age
	if standby {
		s.Role = "standby"
	}
	deref := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	s.LSN, s.Upstream, s.Receiver = deref(lsn), deref(upstream), deref(receiver)
	rows, err := conn.Query(ctx, `SELECT coalesce(nullif(application_name, ''), client_addr::text, 'local') || ' (' || state || ')'
		FROM pg_stat_replication ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("replication status: %w", err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return err
		}
		s.Standbys = append(s.Standbys, r)
	}
	return rows.Err()
}

func runPSQL(ctx context.Context, st *state, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	psql := filepath.Join(BinDir, "psql")
	if _, err := os.Stat(psql); err != nil {
		if psql, err = exec.LookPath("psql"); err != nil {
			return fmt.Errorf("psql not found in %s or PATH: install postgresql-client-15", BinDir)
		}
	}
	cmd := exec.CommandContext(ctx, psql, args...)
	cmd.Env = append(cleanEnv(),
		"PGHOST=127.0.0.1",
		"PGPORT="+strconv.Itoa(st.Port),
		"PGUSER="+st.User,
		"PGPASSWORD="+st.Password,
		"PGDATABASE="+st.Database,
		"PGSSLMODE=disable",
		"PGAPPNAME=fangyuan-psql",
	)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("psql: %w", err)
	}
	return nil
}

// freePort returns the first port from first on that nothing listens on at 127.0.0.1.
func freePort(first int) (int, error) {
	last := min(first+200, 65535)
	for p := first; p <= last; p++ {
		if portFree(p) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free TCP port on 127.0.0.1 between %d and %d", first, last)
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// logSince reads the log from offset (at most the last 64 KiB).
func logSince(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 64<<10 {
		offset = fi.Size() - 64<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
