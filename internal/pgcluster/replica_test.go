package pgcluster

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A standby made by Replica streams from the primary: it is read-only, holds what the
// primary held at the copy, and sees later writes; CheckPrimary refuses a standby as a
// primary; Replica on an existing standby home only starts it.
func TestReplica(t *testing.T) {
	ctx := context.Background()
	primary := OpenWith(tempHome(t, "primary"), Options{Port: 56100 + rand.IntN(300), Throwaway: true})
	destroyAtEnd(t, primary)
	up(t, primary)
	purl, err := primary.URL()
	if err != nil {
		t.Fatal(err)
	}
	pc := connectURL(t, purl)
	if _, err := pc.Exec(ctx, `CREATE TABLE replica_probe (id int PRIMARY KEY, name text); INSERT INTO replica_probe VALUES (1, '方圆')`); err != nil {
		t.Fatal(err)
	}

	standby := OpenWith(tempHome(t, "standby"), Options{})
	destroyAtEnd(t, standby)
	var log bytes.Buffer
	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := standby.Replica(rctx, purl, ReplicaOptions{Options: Options{Port: 56500 + rand.IntN(300), Throwaway: true}}, &log); err != nil {
		t.Fatalf("Replica: %v\n%s", err, log.String())
	}
	surl, err := standby.URL()
	if err != nil {
		t.Fatal(err)
	}
	if surl == purl {
		t.Fatalf("standby URL %s is the primary's", surl)
	}
	sc := connectURL(t, surl)
	var recovery bool
	var name string
	if err := sc.QueryRow(ctx, `SELECT pg_is_in_recovery(), (SELECT name FROM replica_probe WHERE id = 1)`).Scan(&recovery, &name); err != nil {
		t.Fatal(err)
	}
	var feedback string
	if err := sc.QueryRow(ctx, `SELECT current_setting('hot_standby_feedback')`).Scan(&feedback); err != nil || feedback != "on" {
		t.Errorf("standby hot_standby_feedback = %q (%v), want on", feedback, err)
	}
	if !recovery || name != "方圆" {
		t.Errorf("standby: in recovery %v, row 1 %q; want true, 方圆", recovery, name)
	}
	if _, err := sc.Exec(ctx, `INSERT INTO replica_probe VALUES (3, 'x')`); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write on the standby: %v, want a read-only error", err)
	}
	// The primary reports the standby streaming through the slot Replica made.
	var slotActive bool
	if err := pc.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, ReplicaSlot(standby.Home())).Scan(&slotActive); err != nil || !slotActive {
		t.Errorf("replication slot %s on the primary: active %v (%v)", ReplicaSlot(standby.Home()), slotActive, err)
	}

	// Status tells the roles apart: the standby streams from the primary's port,
	// the primary lists one streaming standby.
	pstat0, err := primary.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sst, err := standby.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sst.Role != "standby" || sst.Receiver != "streaming" || !strings.HasSuffix(sst.Upstream, ":"+strconv.Itoa(pstat0.Port)) || sst.LSN == "" {
		t.Errorf("standby status: role %q, receiver %q, upstream %q, lsn %q; want standby streaming from port %d", sst.Role, sst.Receiver, sst.Upstream, sst.LSN, pstat0.Port)
	}
	pst, err := primary.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pst.Role != "primary" || len(pst.Standbys) != 1 || !strings.Contains(pst.Standbys[0], "streaming") || pst.LSN == "" {
		t.Errorf("primary status: role %q, standbys %q, lsn %q; want primary with one streaming standby", pst.Role, pst.Standbys, pst.LSN)
	}

	// A later write reaches the standby.
	if _, err := pc.Exec(ctx, `INSERT INTO replica_probe VALUES (2, '县')`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := sc.QueryRow(ctx, `SELECT count(*) FROM replica_probe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby has %d rows 10 s after the primary wrote the second", n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := CheckPrimary(ctx, surl); err == nil || !strings.Contains(err.Error(), "itself a standby") {
		t.Errorf("CheckPrimary on the standby: %v, want an error saying it is a standby", err)
	}
	if _, err := parsePrimary("postgres://fangyuan@127.0.0.1:5432/fangyuan"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("primary URL without a password: %v", err)
	}

	// Replica on the existing standby home starts it again after a stop.
	if err := standby.Down(ctx); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if err := standby.Replica(rctx, purl, ReplicaOptions{}, &log); err != nil || !strings.Contains(log.String(), "already holds a cluster") {
		t.Fatalf("Replica on an existing standby: %v\n%s", err, log.String())
	}
	sc2 := connectURL(t, surl)
	if err := sc2.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovery); err != nil || !recovery {
		t.Errorf("restarted standby: in recovery %v (%v)", recovery, err)
	}
}
