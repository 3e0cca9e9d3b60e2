// Package pgtest gives tests a real PostgreSQL 15 + PostGIS 3: one fresh, empty UTF-8
// database per call to NewDatabase, dropped when the test ends.
//
// The databases live on a throwaway cluster that the first NewDatabase of a test process
// starts with internal/pgcluster (the code behind `fangyuan db up`, with fsync off) in a
// temporary home, installing PostgreSQL and PostGIS with apt-get when running as root and
// they are missing. When FANGYUAN_TEST_DATABASE_URL is set to an admin URL of any
// PostgreSQL server with PostGIS 3 (a superuser, or a role with CREATEDB), the databases
// are made there instead and no cluster is started.
//
// Every package that uses NewDatabase should have
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Main stops and deletes the throwaway cluster when the tests are done. Without it, a
// watchdog process (started with the cluster, waiting on a pipe from the test process)
// removes the cluster when the test process exits, also when it is killed or panics; Main
// is still the supported path, because it cleans up before the test binary reports and
// reports a failed cleanup.
//
// When PostGIS cannot be had, NewDatabase fails the test with the reason and the fix; it
// never skips.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/pgcluster"
)

// EnvURL names the environment variable with an admin URL of an existing PostGIS server.
const EnvURL = "FANGYUAN_TEST_DATABASE_URL"

// server is where this process creates its test databases.
type server struct {
	admin   string // URL of the maintenance database, as a role that may create databases
	cluster *pgcluster.Cluster
	home    string // temporary home of the throwaway cluster
	reaper  *exec.Cmd
	pipe    *os.File // write end of the reaper's stdin: closes when this process exits
	err     error
}

// The one throwaway server of this test process, started by the first NewDatabase.
var (
	once   sync.Once
	shared server
)

// Main runs the tests, then stops and deletes the throwaway cluster, and exits with the
// tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// NewDatabase returns the URL of a new empty database (UTF8, lc_ctype and lc_collate
// C.UTF-8, random name) and drops it, closing any connection left open, when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	once.Do(startShared)
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	name := "fytest_" + randomHex(8)
	conn, err := pgx.Connect(ctx, shared.admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(shared.admin), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, createDatabaseSQL(name)); err != nil {
		t.Fatalf("pgtest: %v (the server needs the C.UTF-8 locale and a role allowed to create databases)", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, shared.admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(shared.admin, name)
}

func createDatabaseSQL(name string) string {
	return "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() +
		" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
}

// startShared fills shared: from EnvURL, or by starting a throwaway cluster.
func startShared() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // apt-get may run
	defer cancel()
	if admin := os.Getenv(EnvURL); admin != "" {
		shared.admin = admin
		if err := checkPostGIS(ctx, admin); err != nil {
			shared.err = fmt.Errorf("%s=%s: %w; or unset %s to let pgtest start its own cluster",
				EnvURL, redact(admin), err, EnvURL)
		}
		return
	}
	if err := startCluster(ctx); err != nil {
		shared.err = fmt.Errorf("start a throwaway PostgreSQL + PostGIS cluster: %w\nfix: as root, apt-get install -y postgresql-15 postgresql-15-postgis-3 (pgtest does this itself when it runs as root), or set %s to an admin URL of a PostgreSQL server with PostGIS 3",
			err, EnvURL)
		return
	}
	if err := checkPostGIS(ctx, shared.admin); err != nil {
		shared.err = fmt.Errorf("throwaway cluster in %s: %w", shared.home, err)
	}
}

func startCluster(ctx context.Context) error {
	home, err := os.MkdirTemp("", "fangyuan-pgtest-")
	if err != nil {
		return fmt.Errorf("temporary home: %w", err)
	}
	// Let the postgres account (when we are root) reach the data directory inside.
	if err := os.Chmod(home, 0o755); err != nil {
		os.RemoveAll(home)
		return fmt.Errorf("temporary home: %w", err)
	}
	shared.home = home
	// A random first port keeps parallel test processes from racing for the same one.
	shared.cluster = pgcluster.OpenWith(home, pgcluster.Options{Throwaway: true, Port: 55000 + mathrand.IntN(4000)})

	var log bytes.Buffer
	err = shared.cluster.Up(ctx, &log)
	if err == nil {
		err = startReaper(ctx)
	}
	if err == nil {
		var u string
		u, err = shared.cluster.URL()
		shared.admin = withDatabase(u, "postgres")
	}
	if err != nil {
		if serr := stopShared(); serr != nil {
			err = errors.Join(err, serr)
		}
		return fmt.Errorf("%w\n%s", err, lastLines(log.String(), 30))
	}
	return nil
}

// startReaper starts a watchdog in its own session that waits for this process to exit (its
// stdin is a pipe whose only writer is this process), then stops the server and deletes the
// cluster. It covers tests without Main, and processes that are killed or time out.
func startReaper(ctx context.Context) error {
	cmd, w, err := reaper(ctx, shared.cluster, shared.home)
	if err != nil {
		return err
	}
	shared.reaper, shared.pipe = cmd, w
	return nil
}

// reaper starts the watchdog of cluster c kept in home; closing (or losing) w sets it off.
func reaper(ctx context.Context, c *pgcluster.Cluster, home string) (*exec.Cmd, *os.File, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("watchdog: %w", err)
	}
	defer r.Close()
	const script = `read _
if [ -e "$1/postmaster.pid" ]; then
	pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
	kill -QUIT "${pid:-$2}" 2>/dev/null
	i=0
	while [ -e "$1/postmaster.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
fi
rm -rf "$1" "$3" "$4" "$5"`
	// $2 is the postmaster's pid at start; postmaster.pid names the current one (a test may
	// restart the server). $5 is the data directory's parent: the temporary home, or the
	// directory under /var/lib/fangyuan that pgcluster chose when postgres cannot reach
	// the home.
	cmd := exec.Command("/bin/sh", "-c", script, "pgtest-watchdog",
		st.DataDir, strconv.Itoa(st.PID), st.SocketDir, home, filepath.Dir(st.DataDir))
	cmd.Stdin = r // stdout and stderr go to /dev/null: go test must not wait for them
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("watchdog: %w", err)
	}
	return cmd, w, nil
}

// stopShared deletes the throwaway cluster, if this process started one.
func stopShared() error {
	if shared.cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := shared.cluster.Destroy(ctx)
	if rerr := os.RemoveAll(shared.home); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if shared.reaper != nil {
		shared.reaper.Process.Kill()
		shared.reaper.Wait()
		shared.pipe.Close()
	}
	shared.cluster, shared.reaper, shared.pipe = nil, nil, nil
	if err != nil {
		return fmt.Errorf("delete throwaway cluster in %s: %w", shared.home, err)
	}
	return nil
}

// checkPostGIS makes sure PostGIS 3 can be created on the server.
func checkPostGIS(ctx context.Context, admin string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w\nfix: check the URL (an admin role that may create databases) and that the server runs", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	err = conn.QueryRow(ctx, "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'").Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return errors.New("PostGIS is not installed on the server\nfix: install PostGIS 3 there (Debian: apt-get install postgresql-NN-postgis-3)")
	}
	if err != nil {
		return fmt.Errorf("look up PostGIS: %w", err)
	}
	if !strings.HasPrefix(v, "3.") {
		return fmt.Errorf("the server has PostGIS %s, want 3\nfix: install PostGIS 3 there", v)
	}
	return nil
}

// withDatabase returns the URL u pointing at database db.
func withDatabase(u, db string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + db
	p.RawPath = ""
	return p.String()
}

// redact hides the password of a URL for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
