// Package pgcluster manages a project-local PostgreSQL 15 + PostGIS 3 cluster: the
// zero-setup database behind `fangyuan db up|down|status|url|psql`, and the throwaway
// cluster that internal/pgtest starts for tests.
//
// Layout (all recorded in <home>/cluster.json, mode 0600):
//
//	<home>/cluster.json   port, data dir, socket dir, log file, generated password
//	<home>/postgres.log   server log (appended; the server writes to an inherited fd)
//	<home>/data           data directory, owned by the account that runs the server
//	<home>/run            unix socket directory (mode 0700)
//
// When the process runs as root the server runs as the `postgres` account. If that account
// cannot traverse <home> (for example a home under /root), the data and socket directories
// move to /var/lib/fangyuan/<hash of home>. If the socket path would be longer than a unix
// socket allows, the socket directory moves to /tmp/fangyuan-<hash of home>.
//
// Authentication: the server listens on 127.0.0.1 only; the one role, `fangyuan`
// (superuser, the initdb bootstrap user), logs in with scram-sha-256 using a random
// password generated at creation; the unix socket also needs the password and lives in a
// directory only the server account can enter.
package pgcluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults of the local cluster.
const (
	// DefaultPort is the first port tried when a cluster is created.
	DefaultPort = 54329
	// User is the superuser role the cluster is created with.
	User = "fangyuan"
	// Database is the application database Up creates.
	Database = "fangyuan"

	// BinDir holds the PostgreSQL 15 programs (Debian layout).
	BinDir = "/usr/lib/postgresql/15/bin"
	// PostGISControl is the file whose presence shows PostGIS 3 is installed for PostgreSQL 15.
	PostGISControl = "/usr/share/postgresql/15/extension/postgis.control"

	stateFile   = "cluster.json"
	logFileName = "postgres.log"
	lockFile    = ".lock"
	confFile    = "fangyuan.conf" // written into the data dir at every start
	relocBase   = "/var/lib/fangyuan"
	maxSockPath = 107 // sun_path is 108 bytes including the NUL
	serverOS    = "postgres"
)

// aptPackages are the Debian packages Up installs when PostgreSQL or PostGIS is missing.
var aptPackages = []string{"postgresql-15", "postgresql-15-postgis-3"}

// Options tune a cluster when it is created; they are recorded in cluster.json and later
// Opens keep them. The zero value is the project-local development cluster.
type Options struct {
	// Port is the first port tried when the cluster is created; the next free one is taken
	// when it is busy. Zero means DefaultPort.
	Port int
	// Throwaway makes a disposable cluster for tests: initdb --no-sync; fsync,
	// synchronous_commit and full_page_writes off (a crash of the machine loses data);
	// and a new free port is chosen at each start when the recorded one is busy.
	Throwaway bool
}

// Cluster is a handle on the cluster kept in one home directory. Methods may be called
// from several processes: Up, Down and Destroy take a file lock in home.
type Cluster struct {
	home    string
	homeErr error
	opts    Options
}

// Status describes a cluster.
type Status struct {
	Home      string // the state directory
	Exists    bool   // initdb has completed
	Running   bool   // the postmaster is alive
	PID       int    // postmaster PID when running
	Port      int    // TCP port on 127.0.0.1
	DataDir   string
	SocketDir string
	LogFile   string
	Version   string // server_version when running, else the data directory's major version
	StalePID  bool   // postmaster.pid names a process that is not this cluster's server
	// Replication, when running (see replication):
	Role             string   // "primary" or "standby" (pg_is_in_recovery)
	LSN              string   // primary: the current WAL position; standby: the last replayed
	Upstream         string   // standby: the primary it receives from (host:port), "" when not connected
	Receiver         string   // standby: the WAL receiver's state (streaming, …), "" when none runs
	ReplayAgeSeconds *float64 // standby: seconds since the last replayed transaction committed on the primary (nil: none yet)
	Standbys         []string // primary: the standbys connected (application name, state)
	Archive          string   // archive_mode (on, off, always)
}

// state is the content of cluster.json.
type state struct {
	Port        int               `json:"port"`
	DataDir     string            `json:"data_dir"`
	SocketDir   string            `json:"socket_dir"`
	LogFile     string            `json:"log_file"`
	User        string            `json:"user"`
	Password    string            `json:"password"`
	Database    string            `json:"database"`
	OSUser      string            `json:"os_user"` // account that owns the data dir and runs the server
	OSUID       int               `json:"os_uid"`
	OSGID       int               `json:"os_gid"`
	Throwaway   bool              `json:"throwaway,omitempty"`
	Settings    map[string]string `json:"settings,omitempty"` // extra postgresql.conf settings
	Initialized bool              `json:"initialized"`
	Created     time.Time         `json:"created"`
}

// Open returns the cluster kept in home (normally $FANGYUAN_HOME or ./.fangyuan). Nothing
// is touched until a method is called.
func Open(home string) *Cluster { return OpenWith(home, Options{}) }

// OpenWith is Open with options for a cluster that does not exist yet.
func OpenWith(home string, opts Options) *Cluster {
	abs, err := filepath.Abs(home)
	if err != nil {
		err = fmt.Errorf("cluster home %q: %w", home, err)
	}
	return &Cluster{home: abs, homeErr: err, opts: opts}
}

// Home returns the absolute state directory.
func (c *Cluster) Home() string { return c.home }

// Up makes sure the cluster exists, runs and has the fangyuan database: it installs the
// packages when they are missing (as root), runs initdb once, starts the server (also after
// a reboot or a crash that left a stale postmaster.pid) and creates the database. On a
// cluster that is already running it only reports so. Progress goes to log (may be nil).
func (c *Cluster) Up(ctx context.Context, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if c.homeErr != nil {
		return c.homeErr
	}
	if err := ensurePackages(ctx, log); err != nil {
		return err
	}
	if err := os.MkdirAll(c.home, 0o755); err != nil {
		return fmt.Errorf("create cluster home: %w (set FANGYUAN_HOME to a writable directory)", err)
	}
	unlock, err := lockDir(c.home)
	if err != nil {
		return err
	}
	defer unlock()

	st, err := c.load()
	if errors.Is(err, fs.ErrNotExist) {
		st, err = c.newState(log)
	}
	if err != nil {
		return err
	}
	if !st.Initialized {
		if err := c.initdb(ctx, st, log); err != nil {
			return err
		}
	} else if _, err := os.Stat(filepath.Join(st.DataDir, "PG_VERSION")); err != nil {
		return fmt.Errorf("the data directory of the cluster in %s is gone or unreadable (%w): to start over with an empty cluster, delete %s and run `fangyuan db up` again",
			c.home, err, c.statePath())
	}
	p, err := postmaster(st.DataDir)
	if err != nil {
		return err
	}
	if p.running {
		fmt.Fprintf(log, "PostgreSQL is already running on 127.0.0.1:%d (pid %d, data %s)\n", st.Port, p.pid, st.DataDir)
	} else {
		if p.stale {
			fmt.Fprintf(log, "removing stale postmaster.pid (pid %d is not this cluster's server)\n", p.pid)
			if err := removeStale(st); err != nil {
				return err
			}
		}
		if err := c.start(ctx, st, log); err != nil {
			return err
		}
	}
	return ensureDatabase(ctx, st, log)
}

// Down stops the server (fast shutdown: sessions are ended, no data is lost). Stopping a
// cluster that is not running is not an error.
func (c *Cluster) Down(ctx context.Context) error {
	st, err := c.mustLoad()
	if err != nil {
		return err
	}
	unlock, err := lockDir(c.home)
	if err != nil {
		return err
	}
	defer unlock()
	return stop(ctx, st, "fast")
}

// Destroy stops the server at once and deletes everything the cluster created: the data
// directory, the socket directory, the log and cluster.json. Other files in home stay.
func (c *Cluster) Destroy(ctx context.Context) error {
	st, err := c.load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	unlock, err := lockDir(c.home)
	if err != nil {
		return err
	}
	defer unlock()
	if err := stop(ctx, st, "immediate"); err != nil {
		return err
	}
	var errs []error
	for _, dir := range []string{st.DataDir, st.SocketDir} {
		if dir != "" {
			errs = append(errs, os.RemoveAll(dir))
		}
	}
	// The relocated base (/var/lib/fangyuan/<hash>) is ours alone.
	if base := filepath.Dir(st.DataDir); filepath.Dir(base) == relocBase {
		errs = append(errs, os.RemoveAll(base))
		os.Remove(relocBase) // only when no other cluster is kept there
	}
	for _, f := range []string{st.LogFile, filepath.Join(c.home, stateFile), filepath.Join(c.home, lockFile)} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy cluster in %s: %w", c.home, err)
	}
	return nil
}

// Status reports whether the cluster exists and runs. A home without a cluster is not an
// error: Exists is false.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	s := Status{Home: c.home}
	if c.homeErr != nil {
		return s, c.homeErr
	}
	st, err := c.load()
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.Port, s.DataDir, s.SocketDir, s.LogFile = st.Port, st.DataDir, st.SocketDir, st.LogFile
	if v, err := os.ReadFile(filepath.Join(st.DataDir, "PG_VERSION")); err == nil && st.Initialized {
		s.Exists = true
		s.Version = string(trimSpace(v))
	}
	if !s.Exists {
		return s, nil
	}
	p, err := postmaster(st.DataDir)
	if err != nil {
		return s, err
	}
	s.Running, s.StalePID = p.running, p.stale
	if p.running {
		s.PID = p.pid
		if v, err := serverVersion(ctx, st); err == nil {
			s.Version = v
		}
		if err := replication(ctx, st, &s); err != nil {
			return s, err
		}
	}
	return s, nil
}

// URL returns postgres://fangyuan:PASSWORD@127.0.0.1:PORT/fangyuan?sslmode=disable. It does
// not check that the server runs.
func (c *Cluster) URL() (string, error) {
	st, err := c.mustLoad()
	if err != nil {
		return "", err
	}
	return st.url(st.Database), nil
}

// PSQL runs psql against the fangyuan database with args appended (for example
// []string{"-c", "SELECT 1"}); psql's exit status comes back as an *exec.ExitError.
func (c *Cluster) PSQL(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	st, err := c.mustLoad()
	if err != nil {
		return err
	}
	p, err := postmaster(st.DataDir)
	if err != nil {
		return err
	}
	if !p.running {
		return fmt.Errorf("PostgreSQL in %s is not running: start it with `fangyuan db up`", c.home)
	}
	return runPSQL(ctx, st, args, stdin, stdout, stderr)
}

// url is the TCP URL of database db.
func (st *state) url(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(st.User, st.Password),
		Host:     "127.0.0.1:" + strconv.Itoa(st.Port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func (c *Cluster) statePath() string { return filepath.Join(c.home, stateFile) }

// load reads cluster.json; the error wraps fs.ErrNotExist when there is none.
func (c *Cluster) load() (*state, error) {
	if c.homeErr != nil {
		return nil, c.homeErr
	}
	b, err := os.ReadFile(c.statePath())
	if err != nil {
		return nil, fmt.Errorf("read cluster state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read cluster state %s: %w (delete the file and the data directory to start over)", c.statePath(), err)
	}
	if st.Port == 0 || st.DataDir == "" || st.Password == "" {
		return nil, fmt.Errorf("cluster state %s is incomplete (delete it and the data directory to start over)", c.statePath())
	}
	return &st, nil
}

// mustLoad is load for commands that need an initialized cluster.
func (c *Cluster) mustLoad() (*state, error) {
	st, err := c.load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no PostgreSQL cluster in %s (create it with `fangyuan db up`): %w", c.home, err)
	}
	if err != nil {
		return nil, err
	}
	if !st.Initialized {
		return nil, fmt.Errorf("the PostgreSQL cluster in %s was never completely created: run `fangyuan db up`", c.home)
	}
	return st, nil
}

func (c *Cluster) save(st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cluster state: %w", err)
	}
	tmp, err := os.CreateTemp(c.home, stateFile+".*")
	if err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write cluster state: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write cluster state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.statePath()); err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	return nil
}

// newState chooses the server account, directories, port and password of a new cluster
// and records them.
func (c *Cluster) newState(log io.Writer) (*state, error) {
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return nil, fmt.Errorf("generate password: %w", err)
	}
	st := &state{
		User:      User,
		Password:  hex.EncodeToString(pw),
		Database:  Database,
		OSUser:    acct.name,
		OSUID:     acct.uid,
		OSGID:     acct.gid,
		Throwaway: c.opts.Throwaway,
		LogFile:   filepath.Join(c.home, logFileName),
		Created:   time.Now().UTC().Truncate(time.Second),
	}
	if c.opts.Throwaway {
		st.Settings = map[string]string{
			"fsync":              "off",
			"synchronous_commit": "off",
			"full_page_writes":   "off",
		}
	}

	base := c.home
	if acct.uid != os.Geteuid() && !acct.canTraverse(c.home) {
		base = filepath.Join(relocBase, shortHash(c.home))
		fmt.Fprintf(log, "%s cannot reach %s; keeping the data directory in %s\n", acct.name, c.home, base)
	}
	st.DataDir = filepath.Join(base, "data")
	st.SocketDir = filepath.Join(base, "run")

	first := c.opts.Port
	if first == 0 {
		first = DefaultPort
	}
	if st.Port, err = freePort(first); err != nil {
		return nil, err
	}
	// unix_socket_directories is a comma-separated list: keep odd paths out of it.
	if len(st.SocketDir)+len("/.s.PGSQL.65535") > maxSockPath || strings.ContainsAny(st.SocketDir, ",\"' \t\n") {
		st.SocketDir = filepath.Join("/tmp", "fangyuan-"+shortHash(c.home)) // reachable by the server account, unlike some $TMPDIR
	}
	if err := c.save(st); err != nil {
		return nil, err
	}
	return st, nil
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
