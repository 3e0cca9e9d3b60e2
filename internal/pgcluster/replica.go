package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReplicaOptions tune Replica.
type ReplicaOptions struct {
	// Options of the new local cluster (port, throwaway).
	Options
	// Slot is the physical replication slot created on the primary for the standby, so the
	// primary keeps the WAL the standby has not received yet. "" means
	// fangyuan_<hash of the standby's home>; "-" means no slot (the standby may then fall
	// behind for good when the primary recycles WAL it still needs).
	Slot string
}

// ReplicaSlot is the default replication slot name of a standby kept in home.
func ReplicaSlot(home string) string {
	abs, err := filepath.Abs(home)
	if err != nil {
		abs = home
	}
	return "fangyuan_" + shortHash(abs)
}

// Replica creates, in this cluster's (empty) home, a streaming standby of the PostgreSQL
// server at primaryURL (postgres://user:password@host:port/db): pg_basebackup -R copies
// the primary's data directory and writes standby.signal and primary_conninfo, and the
// standby starts read-only (hot_standby) on its own port of 127.0.0.1, following the
// primary. The primary must allow replication: wal_level replica (or logical), a free
// WAL sender (max_wal_senders), a role with REPLICATION (or superuser), and a pg_hba.conf
// line for the replication pseudo-database; a cluster made by `fangyuan db up` has all of
// them. What is missing is reported with the setting to change. When the home already
// holds a cluster, Replica only starts it (as Up does).
func (c *Cluster) Replica(ctx context.Context, primaryURL string, opts ReplicaOptions, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if c.homeErr != nil {
		return c.homeErr
	}
	if _, err := c.load(); err == nil {
		fmt.Fprintf(log, "%s already holds a cluster: starting it\n", c.home)
		return c.Up(ctx, log)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	pu, err := parsePrimary(primaryURL)
	if err != nil {
		return err
	}
	if err := ensurePackages(ctx, log); err != nil {
		return err
	}
	if err := CheckPrimary(ctx, primaryURL); err != nil {
		return err
	}
	if err := os.MkdirAll(c.home, 0o755); err != nil {
		return fmt.Errorf("create cluster home: %w", err)
	}
	unlock, err := lockDir(c.home)
	if err != nil {
		return err
	}
	defer unlock()

	c.opts = opts.Options
	st, err := c.newState(log)
	if err != nil {
		return err
	}
	// The standby's roles and passwords are the primary's: log in as the primary's user.
	st.User, st.Password, st.Database = pu.user, pu.password, pu.database
	// Reads on the standby are not cancelled by the replay of a vacuum on the primary.
	if st.Settings == nil {
		st.Settings = map[string]string{}
	}
	st.Settings["hot_standby_feedback"] = "on"
	if err := c.save(st); err != nil {
		return err
	}
	slot := opts.Slot
	if slot == "" {
		slot = ReplicaSlot(c.home)
	}
	if err := c.basebackup(ctx, st, pu, slot, log); err != nil {
		// Nothing of value was made: leave the home as it was.
		os.RemoveAll(st.DataDir)
		os.Remove(c.statePath())
		return err
	}
	st.Initialized = true
	if err := c.save(st); err != nil {
		return err
	}
	if err := c.start(ctx, st, log); err != nil {
		return err
	}
	return waitStreaming(ctx, st, 60*time.Second)
}

// primaryURL is the parsed --primary URL.
type primaryURL struct {
	host, port, user, password, database string
}

func parsePrimary(raw string) (*primaryURL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("primary URL %q: want postgres://USER:PASSWORD@HOST:PORT/DATABASE (fangyuan db url prints it for a local cluster)", redactURL(raw))
	}
	p := &primaryURL{host: u.Hostname(), port: u.Port(), user: u.User.Username(), database: strings.TrimPrefix(u.Path, "/")}
	p.password, _ = u.User.Password()
	if p.port == "" {
		p.port = "5432"
	}
	if p.database == "" {
		p.database = Database
	}
	if p.user == "" || p.password == "" {
		return nil, fmt.Errorf("primary URL %s: needs the user and password of a role allowed to replicate (REPLICATION or superuser), e.g. the URL `fangyuan db url` prints", redactURL(raw))
	}
	return p, nil
}

// CheckPrimary connects to the primary and reports, with the exact setting to change,
// what keeps it from serving a streaming standby.
func CheckPrimary(ctx context.Context, primaryURL string) error {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, primaryURL)
	if err != nil {
		return fmt.Errorf("connect to the primary %s: %w", redactURL(primaryURL), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var (
		walLevel         string
		senders, inUse   int
		canRepl, super   bool
		inRecovery       bool
		user             string
		replicationRules int
		hbaReadable      bool
	)
	err = conn.QueryRow(cctx, sqlCheckPrimary).Scan(&walLevel, &senders, &inUse, &canRepl, &super, &inRecovery, &user)
	if err != nil {
		return fmt.Errorf("check the primary: %w", err)
	}
	var problems []string
	if inRecovery {
		problems = append(problems, "the server is itself a standby (pg_is_in_recovery()): give the URL of the primary")
	}
	if walLevel != "replica" && walLevel != "logical" {
		problems = append(problems, fmt.Sprintf("wal_level is %q: run ALTER SYSTEM SET wal_level = 'replica' on the primary and restart it", walLevel))
	}
	if senders-inUse < 1 {
		problems = append(problems, fmt.Sprintf("max_wal_senders is %d with %d in use: run ALTER SYSTEM SET max_wal_senders = %d on the primary and restart it", senders, inUse, inUse+10))
	}
	if !canRepl {
		problems = append(problems, fmt.Sprintf("role %s may not replicate: run ALTER ROLE %s REPLICATION on the primary", user, pgx.Identifier{user}.Sanitize()))
	}
	if super {
		// pg_hba_file_rules is readable by superusers only.
		if err := conn.QueryRow(cctx, sqlReplicationRules).Scan(&replicationRules); err == nil {
			hbaReadable = true
		}
	}
	if hbaReadable && replicationRules == 0 {
		problems = append(problems, fmt.Sprintf("pg_hba.conf has no line for replication connections: add `host replication %s 127.0.0.1/32 scram-sha-256` (the standby's address) to the primary's pg_hba.conf and run SELECT pg_reload_conf()", user))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the primary %s cannot serve a standby:\n\t%s", redactURL(primaryURL), strings.Join(problems, "\n\t"))
	}
	return nil
}

const (
	sqlCheckPrimary = `
SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int,
  (SELECT count(*)::int FROM pg_stat_replication),
  (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user),
  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
  pg_is_in_recovery(), current_user`
	sqlReplicationRules = `
SELECT count(*)::int FROM pg_hba_file_rules
WHERE error IS NULL AND type <> 'local' AND 'replication' = ANY(database)`
	// The standby receives WAL from the primary.
	sqlStreaming = `SELECT count(*)::int FROM pg_stat_wal_receiver WHERE status = 'streaming'`
)

// basebackup runs pg_basebackup -R into the state's data directory, as the server account.
func (c *Cluster) basebackup(ctx context.Context, st *state, pu *primaryURL, slot string, log io.Writer) error {
	base := filepath.Dir(st.DataDir)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", base, err)
	}
	if err := os.RemoveAll(st.DataDir); err != nil {
		return fmt.Errorf("clear data directory: %w", err)
	}
	if err := os.Mkdir(st.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := chown(st.DataDir, st); err != nil {
		return err
	}
	// The password goes through the environment, not the command line (ps shows that);
	// -R writes it into primary_conninfo in the standby's postgresql.auto.conf (mode 0600).
	conninfo := fmt.Sprintf("host=%s port=%s user=%s application_name=%s",
		quoteConninfo(pu.host), quoteConninfo(pu.port), quoteConninfo(pu.user), quoteConninfo(filepath.Base(c.home)))
	args := []string{"-D", st.DataDir, "-d", conninfo, "-R", "-X", "stream", "-c", "fast", "--no-password"}
	if slot != "-" {
		args = append(args, "-C", "-S", slot)
	}
	if st.Throwaway {
		args = append(args, "--no-sync")
	}
	cmd, err := serverCmd(ctx, st, "pg_basebackup", args...)
	if err != nil {
		return err
	}
	cmd.Env = append(cmd.Env, "PGPASSWORD="+pu.password, "PGSSLMODE=disable")
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(log, &out)
	cmd.Stderr = cmd.Stdout
	fmt.Fprintf(log, "copying the primary %s:%s into %s with pg_basebackup (as %s)\n", pu.host, pu.port, st.DataDir, st.OSUser)
	if err := cmd.Run(); err != nil {
		msg := out.String()
		hint := ""
		switch {
		case strings.Contains(msg, "no pg_hba.conf entry for replication"):
			hint = fmt.Sprintf("\nfix: add `host replication %s <this machine's address>/32 scram-sha-256` to the primary's pg_hba.conf and run SELECT pg_reload_conf()", pu.user)
		case strings.Contains(msg, "already exists") && slot != "-":
			hint = fmt.Sprintf("\nfix: the primary already has a replication slot %s (from an earlier standby of this home): drop it on the primary with SELECT pg_drop_replication_slot('%s'), or choose another with --slot", slot, slot)
		}
		return fmt.Errorf("pg_basebackup: %w\n%s%s", err, tail(msg, 15), hint)
	}
	// postgresql.conf came from the primary and includes its fangyuan.conf, which start
	// rewrites with this cluster's port and socket; a primary not made by fangyuan has no
	// such include.
	confPath := filepath.Join(st.DataDir, "postgresql.conf")
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return fmt.Errorf("configure standby: %w", err)
	}
	if !bytes.Contains(conf, []byte("include = '"+confFile+"'")) {
		f, err := os.OpenFile(confPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("configure standby: %w", err)
		}
		_, err = fmt.Fprintf(f, "\n# Port, addresses and socket directory, written by fangyuan from its cluster.json:\ninclude = '%s'\n", confFile)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("configure standby: %w", err)
		}
	}
	return nil
}

// waitStreaming waits until the standby's WAL receiver streams from the primary.
func waitStreaming(ctx context.Context, st *state, wait time.Duration) error {
	conn, err := connect(ctx, st, st.Database, 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(wait)
	for {
		var n int
		if err := conn.QueryRow(ctx, sqlStreaming).Scan(&n); err != nil {
			return fmt.Errorf("standby status: %w", err)
		}
		if n > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the standby on 127.0.0.1:%d does not stream from the primary after %v (see %s)", st.Port, wait, st.LogFile)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// quoteConninfo quotes a libpq keyword value.
func quoteConninfo(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// redactURL hides the password of a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
