package pgcluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// waitArchived switches to a new WAL segment and waits until the server has archived the
// one it closed.
func waitArchived(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	var seg string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&seg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var last string
		var failed int64
		if err := conn.QueryRow(ctx, "SELECT coalesce(last_archived_wal, ''), failed_count FROM pg_stat_archiver").Scan(&last, &failed); err != nil {
			t.Fatal(err)
		}
		if failed > 0 {
			t.Fatalf("archive_command failed %d times", failed)
		}
		if last >= seg {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("segment %s not archived after 2 minutes (last archived %q)", seg, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Point-in-time recovery: rows written before the noted time are there after recovering
// to it, rows, updates and deletes after it are not.
func TestPointInTimeRecovery(t *testing.T) {
	ctx := context.Background()
	home := tempHome(t, ".fangyuan")
	archive := filepath.Join(filepath.Dir(home), "archive")
	c := OpenWith(home, Options{Port: 56100, Throwaway: true})
	destroyAtEnd(t, c)

	var log bytes.Buffer
	if err := c.EnableArchive(ctx, archive, &log); err != nil {
		t.Fatalf("EnableArchive: %v\n%s", err, log.String())
	}
	bases, err := ListBaseBackups(archive)
	if err != nil || len(bases) != 1 {
		t.Fatalf("base backups after EnableArchive: %v, %v; want one\n%s", bases, err, log.String())
	}
	// A second EnableArchive changes nothing and takes no second base backup.
	log.Reset()
	if err := c.EnableArchive(ctx, archive, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "already configured") || strings.Contains(log.String(), "restarting") {
		t.Errorf("second EnableArchive:\n%s", log.String())
	}
	if bases, _ := ListBaseBackups(archive); len(bases) != 1 {
		t.Errorf("second EnableArchive took another base backup: %d", len(bases))
	}

	// Base backups go into the cluster's own archive only.
	if _, err := c.BaseBackup(ctx, filepath.Join(filepath.Dir(home), "elsewhere"), nil); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Errorf("BaseBackup into another directory: %v, want a refusal", err)
	}

	url, err := c.URL()
	if err != nil {
		t.Fatal(err)
	}
	conn := connectURL(t, url)
	var mode string
	if err := conn.QueryRow(ctx, "SHOW archive_mode").Scan(&mode); err != nil || mode != "on" {
		t.Fatalf("archive_mode = %q (%v)", mode, err)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE TABLE pitr (id int PRIMARY KEY, note text NOT NULL)")
	exec("INSERT INTO pitr SELECT i, 'first' FROM generate_series(1, 100) i")
	var noted time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&noted); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO pitr SELECT i, 'second' FROM generate_series(101, 150) i")
	exec("UPDATE pitr SET note = 'changed' WHERE id <= 10")
	exec("DELETE FROM pitr WHERE id BETWEEN 11 AND 20")
	exec("CREATE TABLE pitr_later (x int)")
	waitArchived(t, conn)
	conn.Close(ctx)

	// A target before the only base backup ended cannot be reached.
	if _, err := c.Recover(ctx, archive, bases[0].Start.Add(-time.Second), nil); err == nil || !strings.Contains(err.Error(), "earliest") {
		t.Errorf("recover to before the base backup: %v, want an error naming the earliest time", err)
	}

	log.Reset()
	res, err := c.Recover(ctx, archive, noted, &log)
	if err != nil {
		t.Fatalf("Recover: %v\n%s", err, log.String())
	}
	if res.Base.ID != bases[0].ID || res.OldData == "" || res.Timeline != "00000002" {
		t.Errorf("Recover = %+v, want base %s, the old data kept, timeline 00000002", res, bases[0].ID)
	}
	if _, err := os.Stat(filepath.Join(res.OldData, "PG_VERSION")); err != nil {
		t.Errorf("old data directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(bases[0].Dir, "..", "..", "wal")); err != nil {
		t.Error(err)
	}

	conn = connectURL(t, url)
	var n, first, minID, maxID int
	if err := conn.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE note = 'first'), min(id), max(id) FROM pitr").Scan(&n, &first, &minID, &maxID); err != nil {
		t.Fatal(err)
	}
	if n != 100 || first != 100 || minID != 1 || maxID != 100 {
		t.Errorf("after recovery: %d rows, %d 'first', ids %d..%d; want exactly the 100 first rows", n, first, minID, maxID)
	}
	var later bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('pitr_later') IS NOT NULL").Scan(&later); err != nil || later {
		t.Errorf("table created after the target exists: %v (%v)", later, err)
	}
	// The recovered cluster is a primary again and keeps archiving.
	if _, err := conn.Exec(ctx, "INSERT INTO pitr VALUES (1000, 'after recovery')"); err != nil {
		t.Errorf("write after recovery: %v", err)
	}
	waitArchived(t, conn)
	if _, err := os.Stat(filepath.Join(c.home, "data", recoveryConf)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", recoveryConf, err)
	}
	conn.Close(ctx)

	// A restore drill: the same recovery into a home without a cluster makes one from the
	// base backup, which logs in with the recorded password and does not archive into the
	// production archive.
	drill := OpenWith(tempHome(t, "drill"), Options{Port: 56200})
	destroyAtEnd(t, drill)
	log.Reset()
	res, err = drill.Recover(ctx, archive, noted, &log)
	if err != nil {
		t.Fatalf("Recover into a new home: %v\n%s", err, log.String())
	}
	if res.OldData != "" || !strings.Contains(log.String(), "archiving is off") {
		t.Errorf("Recover into a new home = %+v\n%s", res, log.String())
	}
	durl, err := drill.URL()
	if err != nil {
		t.Fatal(err)
	}
	dconn := connectURL(t, durl)
	if err := dconn.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE note = 'first'), min(id), max(id) FROM pitr").Scan(&n, &first, &minID, &maxID); err != nil {
		t.Fatal(err)
	}
	if n != 100 || first != 100 || minID != 1 || maxID != 100 {
		t.Errorf("drill: %d rows, %d 'first', ids %d..%d; want exactly the 100 first rows", n, first, minID, maxID)
	}
	if err := dconn.QueryRow(ctx, "SHOW archive_mode").Scan(&mode); err != nil || mode != "off" {
		t.Errorf("drill cluster archive_mode = %q (%v), want off", mode, err)
	}
	if _, err := dconn.Exec(ctx, "INSERT INTO pitr VALUES (2000, 'drill'); SELECT pg_switch_wal()"); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(archive, "wal", res.Timeline+"*")); len(m) > 0 {
		t.Errorf("the drill cluster (timeline %s) wrote into the archive: %v", res.Timeline, m)
	}
}

func TestParseTarget(t *testing.T) {
	want := time.Date(2026, 12, 2, 2, 30, 0, 123456000, time.UTC)
	for _, s := range []string{"2026-12-02T10:30:00.123456+08:00", "2026-12-02 02:30:00.123456", "2026-12-02 10:30:00.123456+08", "2026-12-02 02:30:00.123456Z"} {
		got, err := ParseTarget(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := ParseTarget("yesterday"); err == nil {
		t.Error("ParseTarget(yesterday): no error")
	}
}
