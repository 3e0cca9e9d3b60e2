package pgcluster

// Continuous archiving (WAL 归档) and point-in-time recovery (时间点恢复) of the local
// cluster: `fangyuan db up --archive DIR`, `fangyuan db basebackup --archive DIR` and
// `fangyuan db recover --to TIME --archive DIR`.
//
// Archive layout:
//
//	DIR/wal/                     WAL segments, copied there by the server's archive_command
//	DIR/base/<UTC start time>/   one base backup (pg_basebackup -Ft -X stream):
//	    base.tar, pg_wal.tar, backup_manifest
//	    fangyuan-base.json       start and end (server clock), system identifier, and the
//	                             cluster's settings and password (mode 0600), so a recovery
//	                             into a new home can log in
//
// The archive holds the whole database: keep it as private as the data directory.

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

const (
	archiveWAL    = "wal"
	archiveBase   = "base"
	baseInfoFile  = "fangyuan-base.json"
	recoveryConf  = "fangyuan-recovery.conf"
	recoveryLine  = "include_if_exists = '" + recoveryConf + "'"
	archiveTimout = "300" // seconds: a quiet server still archives its WAL every 5 minutes
)

// BaseBackup describes one base backup in an archive.
type BaseBackup struct {
	ID               string    `json:"id"`
	Dir              string    `json:"-"`
	Start            time.Time `json:"start"` // server clock before pg_basebackup
	Stop             time.Time `json:"stop"`  // server clock after it: recovery targets must be later
	SystemIdentifier string    `json:"system_identifier"`
	ServerVersion    string    `json:"server_version"`
	Cluster          baseState `json:"cluster"`
}

// baseState is what a recovery into a home without a cluster needs of cluster.json.
type baseState struct {
	User      string            `json:"user"`
	Password  string            `json:"password"`
	Database  string            `json:"database"`
	Throwaway bool              `json:"throwaway,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
}

// archiveSettings are the postgresql.conf settings of continuous archiving into dir.
func archiveSettings(dir string) map[string]string {
	w := filepath.Join(dir, archiveWAL)
	// An existing file is success only when it is the same segment (a retry after a crash
	// between the copy and the server noting it); a new one is copied to a temporary name,
	// flushed, renamed, and the directory flushed, so a segment in the archive is complete.
	cmd := fmt.Sprintf(`if test -f '%[1]s/%%f'; then cmp -s %%p '%[1]s/%%f'; else cp %%p '%[1]s/%%f.tmp' && sync '%[1]s/%%f.tmp' && mv '%[1]s/%%f.tmp' '%[1]s/%%f' && sync '%[1]s'; fi`, w)
	return map[string]string{
		"archive_mode":    "on",
		"archive_command": cmd,
		"archive_timeout": archiveTimout,
	}
}

func restoreCommand(dir string) string {
	return fmt.Sprintf(`cp '%s/%%f' %%p`, filepath.Join(dir, archiveWAL))
}

// checkArchiveDir makes dir absolute and refuses characters the shell commands cannot carry.
func checkArchiveDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no archive directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("archive directory %q: %w", dir, err)
	}
	if strings.ContainsAny(abs, "'%\n\r\\") {
		return "", fmt.Errorf("archive directory %q: the path must not contain ' %% \\ or line breaks (it goes into archive_command)", abs)
	}
	return abs, nil
}

// EnableArchive starts the cluster (as Up does) with continuous WAL archiving into dir,
// restarting a running server when archive_mode must change, and takes a first base
// backup into dir when it has none. Progress goes to log (may be nil).
func (c *Cluster) EnableArchive(ctx context.Context, dir string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	dir, err := checkArchiveDir(dir)
	if err != nil {
		return err
	}
	if err := c.Up(ctx, log); err != nil {
		return err
	}
	if err := c.configureArchive(ctx, dir, log); err != nil {
		return err
	}
	bases, err := ListBaseBackups(dir)
	if err != nil {
		return err
	}
	if len(bases) > 0 {
		fmt.Fprintf(log, "archive %s has %d base backups, the latest %s: none taken now (take one with `fangyuan db basebackup --archive %s`)\n",
			dir, len(bases), bases[len(bases)-1].ID, dir)
		return nil
	}
	_, err = c.BaseBackup(ctx, dir, log)
	return err
}

func (c *Cluster) configureArchive(ctx context.Context, dir string, log io.Writer) error {
	unlock, err := lockDir(c.home)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := c.mustLoad()
	if err != nil {
		return err
	}
	walDir := filepath.Join(dir, archiveWAL)
	for _, d := range []string{dir, filepath.Join(dir, archiveBase)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create archive directory: %w", err)
		}
	}
	if err := os.Chmod(dir, 0o711); err != nil { // the server account passes through to wal/
		return fmt.Errorf("archive directory: %w", err)
	}
	if err := os.MkdirAll(walDir, 0o700); err != nil {
		return fmt.Errorf("create archive directory: %w", err)
	}
	if err := chown(walDir, st); err != nil {
		return err
	}
	if acct, err := serverAccount(); err == nil && acct.uid == st.OSUID && !acct.canTraverse(walDir) {
		return fmt.Errorf("the server account %s cannot reach %s: choose an archive directory outside private home directories", st.OSUser, walDir)
	}

	want := archiveSettings(dir)
	changed, modeChanged := false, false
	if st.Settings == nil {
		st.Settings = map[string]string{}
	}
	for k, v := range want {
		if st.Settings[k] != v {
			changed = true
			modeChanged = modeChanged || k == "archive_mode"
			st.Settings[k] = v
		}
	}
	if !changed {
		fmt.Fprintf(log, "WAL archiving into %s is already configured\n", walDir)
		return nil
	}
	if err := c.save(st); err != nil {
		return err
	}
	if modeChanged {
		fmt.Fprintf(log, "restarting PostgreSQL to turn on WAL archiving into %s\n", walDir)
		if err := stop(ctx, st, "fast"); err != nil {
			return err
		}
		return c.start(ctx, st, log)
	}
	if err := writeConf(st); err != nil {
		return err
	}
	conn, err := connect(ctx, st, "postgres", 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload configuration: %w", err)
	}
	fmt.Fprintf(log, "WAL archiving now goes to %s (configuration reloaded)\n", walDir)
	return nil
}

// BaseBackup takes a base backup of the running cluster into dir/base with pg_basebackup.
func (c *Cluster) BaseBackup(ctx context.Context, dir string, log io.Writer) (*BaseBackup, error) {
	if log == nil {
		log = io.Discard
	}
	dir, err := checkArchiveDir(dir)
	if err != nil {
		return nil, err
	}
	st, err := c.mustLoad()
	if err != nil {
		return nil, err
	}
	if st.Settings["archive_mode"] == "on" && st.Settings["archive_command"] != archiveSettings(dir)["archive_command"] {
		return nil, fmt.Errorf("the cluster in %s archives its WAL elsewhere, not into %s: take base backups into the archive of `fangyuan db up --archive` (cluster.json, archive_command)", c.home, filepath.Join(dir, archiveWAL))
	}
	if st.Settings["archive_mode"] != "on" {
		fmt.Fprintf(log, "warning: WAL archiving is off for this cluster: without `fangyuan db up --archive %s` the base backup can only be restored as it is, not rolled forward\n", dir)
	}
	conn, err := connect(ctx, st, "postgres", 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	b := &BaseBackup{Cluster: baseState{User: st.User, Password: st.Password, Database: st.Database, Throwaway: st.Throwaway, Settings: st.Settings}}
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp(), system_identifier::text, current_setting('server_version') FROM pg_control_system()").
		Scan(&b.Start, &b.SystemIdentifier, &b.ServerVersion); err != nil {
		return nil, fmt.Errorf("base backup: %w", err)
	}
	b.Start = b.Start.UTC()
	baseDir := filepath.Join(dir, archiveBase)
	if err := os.MkdirAll(baseDir, 0o700); err != nil {
		return nil, fmt.Errorf("base backup: %w", err)
	}
	b.ID = b.Start.Format("20060102T150405Z")
	for i := 2; ; i++ {
		if _, err := os.Stat(filepath.Join(baseDir, b.ID)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		b.ID = b.Start.Format("20060102T150405Z") + fmt.Sprintf("-%d", i)
	}
	partial := filepath.Join(baseDir, b.ID+".partial")
	os.RemoveAll(partial)
	fmt.Fprintf(log, "taking base backup %s into %s (pg_basebackup, tar format, WAL streamed)\n", b.ID, filepath.Join(baseDir, b.ID))
	libURL, _ := libpqURL(st.url("postgres"))
	cmd, err := clientCmd(ctx, "pg_basebackup", "", "--pgdata="+partial, "--format=tar", "--wal-method=stream",
		"--checkpoint=fast", "--verbose", "--dbname="+libURL)
	if err != nil {
		return nil, err
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = io.MultiWriter(log, &out), io.MultiWriter(log, &out)
	if err := cmd.Run(); err != nil {
		os.RemoveAll(partial)
		return nil, fmt.Errorf("pg_basebackup: %w\n%s", err, tail(out.String(), 15))
	}
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&b.Stop); err != nil {
		return nil, fmt.Errorf("base backup: %w", err)
	}
	b.Stop = b.Stop.UTC()
	j, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(partial, baseInfoFile), append(j, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("base backup: %w", err)
	}
	b.Dir = filepath.Join(baseDir, b.ID)
	if err := os.Rename(partial, b.Dir); err != nil {
		return nil, fmt.Errorf("base backup: %w", err)
	}
	fmt.Fprintf(log, "base backup %s done (%s – %s); recovery targets after %s can start from it\n",
		b.ID, b.Start.Format(time.RFC3339), b.Stop.Format(time.RFC3339), b.Stop.Format(time.RFC3339))
	return b, nil
}

// ListBaseBackups returns the complete base backups of an archive, oldest first.
func ListBaseBackups(dir string) ([]BaseBackup, error) {
	dir, err := checkArchiveDir(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, archiveBase))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", dir, err)
	}
	var out []BaseBackup
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".partial") {
			continue
		}
		d := filepath.Join(dir, archiveBase, e.Name())
		j, err := os.ReadFile(filepath.Join(d, baseInfoFile))
		if err != nil {
			continue // not finished, or not ours
		}
		var b BaseBackup
		if err := json.Unmarshal(j, &b); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(d, baseInfoFile), err)
		}
		b.Dir = d
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stop.Before(out[j].Stop) })
	return out, nil
}

// ParseTarget parses a recovery target time: RFC 3339 or PostgreSQL's
// "2026-12-02 10:30:00[.ffffff][+08[:00]]". A time without a zone is UTC.
func ParseTarget(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z07",
		"2006-01-02 15:04:05.999999999 Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("recovery target %q: want a time like 2026-12-02T10:30:00+08:00 or '2026-12-02 02:30:00' (UTC)", s)
}

// RecoverResult reports a point-in-time recovery.
type RecoverResult struct {
	Base     BaseBackup
	Target   time.Time
	OldData  string // the data directory before the recovery, kept aside ("" when there was none)
	Timeline string // the timeline the promoted server writes
}

// Recover restores the latest base backup of archive dir that ended before target into the
// cluster's data directory (the old one is stopped and moved aside), replays the archived
// WAL up to target and promotes the server. When the recovery fails the old data directory
// is put back and started. A home without a cluster gets one from the base backup.
func (c *Cluster) Recover(ctx context.Context, dir string, target time.Time, log io.Writer) (*RecoverResult, error) {
	if log == nil {
		log = io.Discard
	}
	dir, err := checkArchiveDir(dir)
	if err != nil {
		return nil, err
	}
	bases, err := ListBaseBackups(dir)
	if err != nil {
		return nil, err
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("archive %s has no base backup: take one with `fangyuan db basebackup --archive %s`", dir, dir)
	}
	var base *BaseBackup
	for i := range bases {
		if bases[i].Stop.Before(target) {
			base = &bases[i]
		}
	}
	if base == nil {
		return nil, fmt.Errorf("no base backup in %s ended before %s: the earliest (%s) ended at %s, so that is the earliest time this archive can recover to",
			dir, target.UTC().Format(time.RFC3339Nano), bases[0].ID, bases[0].Stop.Format(time.RFC3339Nano))
	}
	res := &RecoverResult{Base: *base, Target: target}
	fmt.Fprintf(log, "recovering to %s from base backup %s (ended %s) and the WAL in %s\n",
		target.UTC().Format(time.RFC3339Nano), base.ID, base.Stop.Format(time.RFC3339), filepath.Join(dir, archiveWAL))

	if c.homeErr != nil {
		return nil, c.homeErr
	}
	if err := ensurePackages(ctx, log); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.home, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster home: %w", err)
	}
	unlock, err := lockDir(c.home)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := c.load()
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "no cluster in %s: creating one from the base backup\n", c.home)
		c.opts.Throwaway = base.Cluster.Throwaway
		if st, err = c.newState(log); err != nil {
			return nil, err
		}
		st.User, st.Password, st.Database, st.Settings = base.Cluster.User, base.Cluster.Password, base.Cluster.Database, map[string]string{}
		// A cluster made from someone else's base backup (a restore drill, a new machine)
		// must not write its new timeline into that cluster's archive: archiving starts
		// only when asked for, with fangyuan db up --archive.
		for k, v := range base.Cluster.Settings {
			if !strings.HasPrefix(k, "archive_") {
				st.Settings[k] = v
			}
		}
		fmt.Fprintf(log, "WAL archiving is off for the new cluster: turn it on with `fangyuan db up --archive DIR` (a directory of its own)\n")
		if err := c.save(st); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if err := stop(ctx, st, "fast"); err != nil {
		return nil, err
	}

	stamp := time.Now().UTC().Format("20060102T150405Z")
	if _, err := os.Stat(st.DataDir); err == nil {
		res.OldData = st.DataDir + ".before-recover-" + stamp
		if err := os.Rename(st.DataDir, res.OldData); err != nil {
			return nil, fmt.Errorf("move the data directory aside: %w", err)
		}
		fmt.Fprintf(log, "the data directory before the recovery is kept in %s\n", res.OldData)
	}
	// putBack undoes the recovery after a failure: the restored directory goes aside and
	// the old one, if any, is started again.
	putBack := func(cause error) error {
		failed := st.DataDir + ".failed-recover-" + stamp
		stop(context.WithoutCancel(ctx), st, "immediate")
		if err := os.Rename(st.DataDir, failed); err != nil {
			return fmt.Errorf("%w; moving the restored data directory aside failed too: %v", cause, err)
		}
		if res.OldData == "" {
			return fmt.Errorf("%w (the restored data directory is in %s)", cause, failed)
		}
		if err := os.Rename(res.OldData, st.DataDir); err != nil {
			return fmt.Errorf("%w; putting the old data directory back from %s failed too: %v", cause, res.OldData, err)
		}
		if err := c.start(context.WithoutCancel(ctx), st, log); err != nil {
			return fmt.Errorf("%w; the old data directory is back but does not start: %v", cause, err)
		}
		return fmt.Errorf("%w (nothing changed: the old data directory is back and running; the failed attempt is in %s)", cause, failed)
	}

	if err := c.restoreBase(st, base, res.OldData, dir, target, log); err != nil {
		return nil, putBack(err)
	}
	st.Initialized = true
	if err := c.save(st); err != nil {
		return nil, putBack(err)
	}
	fmt.Fprintf(log, "starting PostgreSQL in recovery (replaying archived WAL up to %s)\n", target.UTC().Format(time.RFC3339Nano))
	if err := c.start(ctx, st, log); err != nil {
		return nil, putBack(fmt.Errorf("recovery: %w", err))
	}
	if err := waitPromoted(ctx, st, 30*time.Minute); err != nil {
		return nil, putBack(fmt.Errorf("recovery: %w\n%s\n(full log: %s)", err, tail(logSince(st.LogFile, 0), 15), st.LogFile))
	}
	os.Remove(filepath.Join(st.DataDir, recoveryConf))
	conn, err := connect(ctx, st, "postgres", 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return nil, fmt.Errorf("reload configuration: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)").Scan(&res.Timeline); err != nil {
		return nil, fmt.Errorf("read the timeline: %w", err)
	}
	fmt.Fprintf(log, "recovered to %s and promoted: the server now writes timeline %s (take a new base backup)\n",
		target.UTC().Format(time.RFC3339Nano), res.Timeline)
	return res, nil
}

// restoreBase fills a new data directory from base, adds the WAL the old data directory
// had not archived yet, and writes the recovery settings.
func (c *Cluster) restoreBase(st *state, base *BaseBackup, oldData, dir string, target time.Time, log io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(st.DataDir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(st.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	for _, m := range []struct{ file, into string }{{"base.tar", ""}, {"pg_wal.tar", "pg_wal"}} {
		name := filepath.Join(base.Dir, m.file)
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			name += ".gz"
		}
		if err := extractTar(name, filepath.Join(st.DataDir, m.into)); err != nil {
			return fmt.Errorf("restore base backup %s: %w", base.ID, err)
		}
	}
	walArchive := filepath.Join(dir, archiveWAL)
	if oldData != "" {
		segment := regexp.MustCompile(`^[0-9A-F]{24}$`)
		entries, _ := os.ReadDir(filepath.Join(oldData, "pg_wal"))
		n := 0
		for _, e := range entries {
			if !e.Type().IsRegular() || !segment.MatchString(e.Name()) {
				continue
			}
			if _, err := os.Stat(filepath.Join(walArchive, e.Name())); err == nil {
				continue
			}
			to := filepath.Join(st.DataDir, "pg_wal", e.Name())
			if _, err := os.Stat(to); err == nil {
				continue
			}
			if err := copyFile(filepath.Join(oldData, "pg_wal", e.Name()), to); err != nil {
				return fmt.Errorf("copy unarchived WAL: %w", err)
			}
			n++
		}
		if n > 0 {
			fmt.Fprintf(log, "copied %d WAL segments the old data directory had not archived yet\n", n)
		}
	}
	for _, f := range []string{"postmaster.pid", "postmaster.opts", "standby.signal"} {
		os.Remove(filepath.Join(st.DataDir, f))
	}
	conf := fmt.Sprintf("# Written by fangyuan db recover; removed after promotion.\nrestore_command = '%s'\nrecovery_target_time = '%s'\nrecovery_target_action = 'promote'\nrecovery_target_timeline = 'latest'\n",
		strings.ReplaceAll(restoreCommand(dir), "'", "''"), target.UTC().Format("2006-01-02 15:04:05.999999+00"))
	if err := os.WriteFile(filepath.Join(st.DataDir, recoveryConf), []byte(conf), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(st.DataDir, "recovery.signal"), nil, 0o600); err != nil {
		return err
	}
	pgconf := filepath.Join(st.DataDir, "postgresql.conf")
	b, err := os.ReadFile(pgconf)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), recoveryLine) {
		if err := os.WriteFile(pgconf, append(b, []byte("\n# Recovery settings of fangyuan db recover, while it runs:\n"+recoveryLine+"\n")...), 0o600); err != nil {
			return err
		}
	}
	return chownTree(st.DataDir, st)
}

// waitPromoted waits until the server has left recovery.
func waitPromoted(ctx context.Context, st *state, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		p, err := postmaster(st.DataDir)
		if err != nil {
			return err
		}
		if !p.running {
			return errors.New("the server stopped during recovery")
		}
		conn, err := connect(ctx, st, "postgres", 0)
		if err == nil {
			var inRecovery bool
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			conn.Close(context.WithoutCancel(ctx))
			if err == nil && !inRecovery {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server is still in recovery after %v", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// extractTar unpacks a tar file (gzip when the name ends in .gz) into dir, refusing paths
// that leave it.
func extractTar(name, dir string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer gz.Close()
		r = gz
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rel := filepath.Clean(h.Name)
		if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("%s: member %q leaves the directory", name, h.Name)
		}
		path := filepath.Join(dir, rel)
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o700); err != nil {
				return err
			}
			if err := os.Chmod(path, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, h.Name, err)
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, path); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: member %q has unsupported type %c", name, h.Name, h.Typeflag)
		}
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// chownTree gives dir and everything in it to the cluster's account when we are root.
func chownTree(dir string, st *state) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return chown(path, st)
	})
}
