package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tempHome is a fresh cluster home the postgres account can reach (t.TempDir is 0700),
// removed with everything in it when the test ends.
func tempHome(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fangyuan-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, name)
}

// up runs Up and fails the test with its log on error.
func up(t *testing.T, c *Cluster) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log bytes.Buffer
	if err := c.Up(ctx, &log); err != nil {
		t.Fatalf("Up: %v\nlog:\n%s", err, log.String())
	}
	return log.String()
}

func destroyAtEnd(t *testing.T, c *Cluster) {
	t.Cleanup(func() {
		if err := c.Destroy(context.Background()); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
}

func connectURL(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ephemeralPort is a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func ephemeralPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	home := tempHome(t, ".fangyuan")
	// A free port, off the development cluster's: a fixed one collided when two clones ran
	// their tests at the same time (a second Up refuses a port in use, as it should).
	port := ephemeralPort(t)
	c := OpenWith(home, Options{Port: port})
	destroyAtEnd(t, c)

	start := time.Now()
	log := up(t, c)
	t.Logf("first Up: %v", time.Since(start))
	if !strings.Contains(log, "created database fangyuan") {
		t.Errorf("first Up log does not say the database was created:\n%s", log)
	}

	start = time.Now()
	log = up(t, c)
	t.Logf("second Up: %v", time.Since(start))
	if !strings.Contains(log, "already running") || strings.Contains(log, "starting") || strings.Contains(log, "created") {
		t.Errorf("second Up should only report the running server, got:\n%s", log)
	}

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if !st.Exists || !st.Running || st.PID <= 0 || st.Port != port || !strings.HasPrefix(st.Version, "15.") {
		t.Errorf("Status = %+v, want an existing running PostgreSQL 15", st)
	}
	if st.Home != home || st.LogFile != filepath.Join(home, "postgres.log") {
		t.Errorf("Status paths = %+v, want home %s", st, home)
	}
	if len(st.SocketDir)+len("/.s.PGSQL.65535") > maxSockPath {
		t.Errorf("socket dir %s too long", st.SocketDir)
	}
	fi, err := os.Stat(filepath.Join(home, "cluster.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cluster.json: %v, mode %v, want 0600", err, fi.Mode())
	}

	url, err := c.URL()
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	want := "postgres://fangyuan:"
	if !strings.HasPrefix(url, want) || !strings.HasSuffix(url, "@127.0.0.1:"+strconv.Itoa(st.Port)+"/fangyuan?sslmode=disable") {
		t.Errorf("URL = %s", url)
	}
	conn := connectURL(t, url)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		t.Fatalf("CREATE EXTENSION postgis: %v", err)
	}
	var full, ctype, collate string
	if err := conn.QueryRow(ctx, "SELECT postgis_full_version()").Scan(&full); err != nil {
		t.Fatalf("postgis_full_version: %v", err)
	}
	if !strings.Contains(full, `POSTGIS="3.`) {
		t.Errorf("postgis_full_version = %s, want PostGIS 3", full)
	}
	if err := conn.QueryRow(ctx, "SELECT datctype, datcollate FROM pg_database WHERE datname = current_database()").Scan(&ctype, &collate); err != nil {
		t.Fatal(err)
	}
	if ctype != "C.UTF-8" || collate != "C.UTF-8" {
		t.Errorf("lc_ctype, lc_collate = %q, %q; want C.UTF-8", ctype, collate)
	}
	// With a UTF-8 ctype pg_trgm keeps Chinese characters.
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
		t.Fatalf("CREATE EXTENSION pg_trgm: %v", err)
	}
	var sim float64
	if err := conn.QueryRow(ctx, "SELECT similarity('丽水市莲都区', '莲都区')").Scan(&sim); err != nil {
		t.Fatal(err)
	}
	if sim <= 0 {
		t.Errorf("similarity of Chinese strings = %v: pg_trgm dropped the characters", sim)
	}
	var super bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || !super {
		t.Errorf("role fangyuan superuser = %v (%v)", super, err)
	}
	conn.Close(ctx)

	// Only the password opens the server: a wrong one is refused.
	if bad, err := pgx.Connect(ctx, strings.Replace(url, "fangyuan:", "fangyuan:x", 1)); err == nil {
		bad.Close(ctx)
		t.Error("connected with a wrong password")
	}

	var out, errOut bytes.Buffer
	if err := c.PSQL(ctx, []string{"-At", "-c", "SELECT current_database() || ' ' || current_user"}, nil, &out, &errOut); err != nil {
		t.Fatalf("PSQL: %v\n%s", err, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != "fangyuan fangyuan" {
		t.Errorf("psql printed %q", got)
	}

	if err := c.Down(ctx); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Running || !st.Exists {
		t.Errorf("after Down: Status = %+v, %v; want existing, not running", st, err)
	}
	if err := c.Down(ctx); err != nil {
		t.Errorf("second Down: %v", err)
	}
	if err := c.PSQL(ctx, []string{"-c", "SELECT 1"}, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "fangyuan db up") {
		t.Errorf("PSQL on a stopped cluster: %v, want an error naming `fangyuan db up`", err)
	}

	// A stopped cluster starts again, also when postmaster.pid names a live process that
	// is not its server (a pid reused after a reboot).
	pidFile := filepath.Join(st.DataDir, "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"+st.DataDir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Status(ctx); st.Running || !st.StalePID {
		t.Errorf("with a stale postmaster.pid: Status = %+v, want not running, stale", st)
	}
	log = up(t, c)
	if !strings.Contains(log, "stale postmaster.pid") || !strings.Contains(log, "starting") {
		t.Errorf("Up after a stale postmaster.pid:\n%s", log)
	}
	if st, err := c.Status(ctx); err != nil || !st.Running {
		t.Errorf("after restart: Status = %+v, %v", st, err)
	}
	connectURL(t, url)
}

func TestNoCluster(t *testing.T) {
	home := tempHome(t, "empty")
	c := Open(home)
	st, err := c.Status(context.Background())
	if err != nil || st.Exists || st.Running {
		t.Errorf("Status of an empty home = %+v, %v; want not existing, no error", st, err)
	}
	if _, err := c.URL(); err == nil || !strings.Contains(err.Error(), "fangyuan db up") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("URL of an empty home: %v; want an error naming `fangyuan db up`", err)
	}
	if err := c.Down(context.Background()); err == nil {
		t.Error("Down of an empty home: no error")
	}
	if err := c.Destroy(context.Background()); err != nil {
		t.Errorf("Destroy of an empty home: %v", err)
	}
}

// A throwaway cluster in a deep home: the socket moves to a short directory, the fast
// settings apply, and a busy port is replaced at the next start.
func TestThrowawayLongHome(t *testing.T) {
	ctx := context.Background()
	home := tempHome(t, strings.Repeat("long-directory-name/", 6)+".fangyuan")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	c := OpenWith(home, Options{Port: 55900, Throwaway: true})
	destroyAtEnd(t, c)
	up(t, c)

	st, err := c.Status(ctx)
	if err != nil || !st.Running {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if strings.HasPrefix(st.SocketDir, home) || len(st.SocketDir)+len("/.s.PGSQL.65535") > maxSockPath {
		t.Errorf("socket dir %s: want a short directory outside the deep home", st.SocketDir)
	}
	url, _ := c.URL()
	conn := connectURL(t, url)
	for name, want := range map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "listen_addresses": "127.0.0.1"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", name, got, err, want)
		}
	}
	conn.Close(ctx)

	if err := c.Down(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(st.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	up(t, c)
	st2, err := c.Status(ctx)
	if err != nil || !st2.Running || st2.Port == st.Port {
		t.Errorf("restart with port %d busy: Status = %+v, %v; want running on another port", st.Port, st2, err)
	}

	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{st.DataDir, st.SocketDir, filepath.Join(home, "cluster.json")} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Destroy %s: %v, want gone", p, err)
		}
	}
}

// As root, a home the postgres account cannot enter keeps its data under /var/lib/fangyuan.
func TestRelocatedDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the data directory moves only when running as root")
	}
	ctx := context.Background()
	home := t.TempDir() // mode 0700: postgres cannot enter it
	c := OpenWith(home, Options{Port: 55950, Throwaway: true})
	destroyAtEnd(t, c)
	log := up(t, c)
	st, err := c.Status(ctx)
	if err != nil || !st.Running {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	base := filepath.Join(relocBase, shortHash(home))
	if st.DataDir != filepath.Join(base, "data") || !strings.Contains(log, base) {
		t.Errorf("data dir %s, want under %s; log:\n%s", st.DataDir, base, log)
	}
	if st.LogFile != filepath.Join(home, "postgres.log") {
		t.Errorf("log file %s, want in home", st.LogFile)
	}
	if fi, err := os.Stat(st.LogFile); err != nil || fi.Size() == 0 {
		t.Errorf("server log in home: %v (the server must write it through the inherited fd)", err)
	}
	url, _ := c.URL()
	connectURL(t, url).Close(ctx)
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(base); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Destroy %s: %v, want gone", base, err)
	}
}

func TestIsUTF8Locale(t *testing.T) {
	for l, want := range map[string]bool{"C.UTF-8": true, "en_US.utf8": true, "C": false, "POSIX": false, "zh_CN.GB18030": false} {
		if got := isUTF8Locale(l); got != want {
			t.Errorf("isUTF8Locale(%q) = %v, want %v", l, got, want)
		}
	}
}
