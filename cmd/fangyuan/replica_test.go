package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/internal/app"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgcluster"
	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// replicaSetup is a primary with the demo divisions, a streaming standby made by
// `fangyuan db replica`, and pools on both.
type replicaSetup struct {
	primary, standby *pgxpool.Pool
	standbyURL       string
	token            string
}

func newReplicaSetup(t *testing.T) *replicaSetup {
	t.Helper()
	ctx := context.Background()
	primary := pgtest.NewCluster(t)
	t.Setenv("FANGYUAN_DATABASE_URL", primary.URL)
	root := testenv.RepoRoot(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate"}, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"import", "divisions", "--valid-from", "2023-06-30", filepath.Join(root, "data/demo/divisions/fangyuan-demo")}, &out); err != nil {
		t.Fatalf("import divisions: %v\n%s", err, out.String())
	}

	dir, err := os.MkdirTemp("", "fangyuan-replica-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // the postgres account must reach the data directory inside
	home := filepath.Join(dir, "standby")
	standby := pgcluster.Open(home)
	t.Cleanup(func() {
		if err := standby.Destroy(context.Background()); err != nil {
			t.Errorf("destroy the standby: %v", err)
		}
		os.RemoveAll(dir)
	})
	start := time.Now()
	if err := run(ctx, []string{"db", "replica", "--primary", primary.URL, "--home", home, "--port", strconv.Itoa(freePort(t))}, &out); err != nil {
		t.Fatalf("db replica: %v", err)
	}
	t.Logf("standby made and streaming in %v", time.Since(start))
	s := &replicaSetup{}
	if s.standbyURL, err = standby.URL(); err != nil {
		t.Fatal(err)
	}
	if s.standbyURL == primary.URL {
		t.Fatal("the standby has the primary's URL")
	}
	for _, p := range []struct {
		dst *(*pgxpool.Pool)
		url string
	}{{&s.primary, primary.URL}, {&s.standby, s.standbyURL}} {
		pool, err := db.Connect(ctx, p.url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		*p.dst = pool
	}
	var recovery bool
	if err := s.standby.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovery); err != nil || !recovery {
		t.Fatalf("the read database is not a standby: %v %v", recovery, err)
	}
	secret, _, err := auth.NewStore(s.primary).CreateToken(dbtest.CLI(), "replica-test", auth.Admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.token = secret
	return s
}

// node serves app.New on the primary, reading from read when not nil.
func (s *replicaSetup) node(t *testing.T, read *pgxpool.Pool, wait time.Duration) *httptest.Server {
	t.Helper()
	a, err := app.New(context.Background(), s.primary, app.Config{ReadPool: read, ReadWait: wait})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, out any) {
	t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("%v in %s", err, r.body)
	}
}

func send(t *testing.T, method, u, token string, body any, header http.Header) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, raw}
}

// found reports whether /api/search on base finds a place name called name.
func found(t *testing.T, base, name string) (bool, reply) {
	t.Helper()
	r := send(t, "GET", base+"/api/search?q="+url.QueryEscape(name), "", nil, nil)
	if r.status != 200 {
		t.Fatalf("search %s: %d %s", name, r.status, r.body)
	}
	var res struct {
		Hits []struct{ Type, Name string }
	}
	r.json(t, &res)
	for _, h := range res.Hits {
		if h.Type == "place" && h.Name == name {
			return true, r
		}
	}
	return false, r
}

func replicaPlaceBody(name string, lon float64) map[string]any {
	return map[string]any{"name": name, "category": "271", "admin_code": "339901101", "lon": lon, "lat": 28.38}
}

// replayLSN is the standby's replayed WAL position, read with SQL.
func replayLSN(t *testing.T, pool *pgxpool.Pool) uint64 {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	lsn, err := app.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return lsn
}

// The test: a primary, a standby and two API nodes, A on the primary and B reading
// from the standby. An edit made through A is searchable through B within 2 s, and B
// reports the replication lag.
func TestReplicaNodes(t *testing.T) {
	s := newReplicaSetup(t)
	a := s.node(t, nil, 0)
	b := s.node(t, s.standby, 0)

	const name = "青石古镇"
	if ok, _ := found(t, b.URL, name); ok {
		t.Fatalf("%s found before it was made", name)
	}
	r := send(t, "POST", a.URL+"/api/placenames", s.token, replicaPlaceBody(name, 119.82), nil)
	if r.status != 201 {
		t.Fatalf("POST through A: %d %s", r.status, r.body)
	}
	written := time.Now()
	if r.header.Get(app.LSNHeader) != "" {
		t.Errorf("node A (no replica) answered with %s", app.LSNHeader)
	}
	var took time.Duration
	for {
		ok, sr := found(t, b.URL, name)
		if ok {
			took = time.Since(written)
			if got := sr.header.Get("X-Fangyuan-Read"); got != "replica" {
				t.Errorf("B's search answered from %q, want replica", got)
			}
			break
		}
		if time.Since(written) > 5*time.Second {
			t.Fatalf("%s not searchable through B 5 s after the write through A", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("edit through A searchable through B after %v", took)
	if took > 2*time.Second {
		t.Errorf("edit through A searchable through B after %v, want within 2 s", took)
	}
	// The place name itself, read by B from the standby's table.
	loc := r.header.Get("Location")
	if g := send(t, "GET", b.URL+loc, "", nil, nil); g.status != 200 || !strings.Contains(string(g.body), name) {
		t.Errorf("GET %s through B: %d %s", loc, g.status, g.body)
	}

	// B's tile cache follows the standby: a facility added through A changes B's cached
	// facilities tile (empty before: 204) (its key carries tile_epoch as the standby
	// replayed it).
	tile := b.URL + "/tiles/facilities/0/0/0.mvt"
	t0 := send(t, "GET", tile, "", nil, nil)
	t1 := send(t, "GET", tile, "", nil, nil)
	if (t0.status != 200 && t0.status != 204) || t1.header.Get("ETag") != t0.header.Get("ETag") || t0.header.Get("X-Fangyuan-Read") != "replica" {
		t.Fatalf("B's facilities tile: %d, ETags %q %q, read from %q", t0.status, t0.header.Get("ETag"), t1.header.Get("ETag"), t0.header.Get("X-Fangyuan-Read"))
	}
	fr := send(t, "POST", a.URL+"/api/facilities", s.token, map[string]any{"kind": "eldercare_center", "ext_id": "EC-R1",
		"name": "青石居家养老服务中心", "lon": 119.82, "lat": 28.38, "status": "operating"}, nil)
	if fr.status != 201 {
		t.Fatalf("POST facility through A: %d %s", fr.status, fr.body)
	}
	written = time.Now()
	for {
		if tn := send(t, "GET", tile, "", nil, nil); tn.status == 200 && tn.header.Get("ETag") != t0.header.Get("ETag") {
			break
		}
		if time.Since(written) > 2*time.Second {
			t.Fatalf("B's facilities tile unchanged 2 s after a facility was added through A")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B's facilities tile changed %v after the write through A", time.Since(written))

	// B reports the lag; A, without a replica, says so.
	var st struct {
		Replica *struct {
			Standby, Streaming bool
			LagBytes           *int64   `json:"lag_bytes"`
			LagSeconds         *float64 `json:"lag_seconds"`
		}
		ChangeFeed struct {
			Seq int64 `json:"gazetteer_seq"`
		} `json:"change_feed"`
	}
	sr := send(t, "GET", b.URL+"/api/status", "", nil, nil)
	if sr.status != 200 {
		t.Fatalf("status: %d %s", sr.status, sr.body)
	}
	sr.json(t, &st)
	if st.Replica == nil || !st.Replica.Standby || !st.Replica.Streaming || st.Replica.LagBytes == nil || *st.Replica.LagBytes < 0 ||
		st.Replica.LagSeconds == nil || *st.Replica.LagSeconds < 0 || st.ChangeFeed.Seq <= 0 {
		t.Errorf("B's /api/status: %s", sr.body)
	}
	var maxSeq int64
	if err := s.standby.QueryRow(context.Background(), `SELECT max(seq) FROM gazetteer_change`).Scan(&maxSeq); err != nil {
		t.Fatal(err)
	}
	if st.ChangeFeed.Seq != maxSeq {
		t.Errorf("B's change feed at seq %d, the standby's change log at %d", st.ChangeFeed.Seq, maxSeq)
	}
	t.Logf("B's status: %s", sr.body)
	if ar := send(t, "GET", a.URL+"/api/status", "", nil, nil); ar.status != 200 || !strings.Contains(string(ar.body), `"replica":null`) {
		t.Errorf("A's /api/status: %d %s", ar.status, ar.body)
	}
	m := send(t, "GET", b.URL+"/metrics", "", nil, nil)
	for _, g := range []string{"fangyuan_replica_lag_bytes ", "fangyuan_replica_lag_seconds "} {
		if !strings.Contains(string(m.body), "\n"+g) {
			t.Errorf("B's /metrics has no gauge %s", g)
		}
	}
}

// Read-your-writes through a node on the standby: the write's answer waits until the
// standby replayed it, so the next read finds it at once; when the standby cannot catch
// up within the bound (replay paused), the answer says so and a read that sends the LSN
// back is answered by the primary while the lag is reported.
func TestReplicaReadYourWrites(t *testing.T) {
	s := newReplicaSetup(t)
	ctx := context.Background()
	b := s.node(t, s.standby, 0)

	const name = "翠湖书院"
	r := send(t, "POST", b.URL+"/api/placenames", s.token, replicaPlaceBody(name, 119.83), nil)
	if r.status != 201 {
		t.Fatalf("POST through B: %d %s", r.status, r.body)
	}
	lsn, err := app.ParseLSN(r.header.Get(app.LSNHeader))
	if err != nil || r.header.Get("X-Fangyuan-Replica") != "replayed" {
		t.Fatalf("write answer: %s %q, X-Fangyuan-Replica %q", app.LSNHeader, r.header.Get(app.LSNHeader), r.header.Get("X-Fangyuan-Replica"))
	}
	if got := replayLSN(t, s.standby); got < lsn {
		t.Errorf("the standby replayed %s, below the write's %s", app.FormatLSN(got), app.FormatLSN(lsn))
	}
	// No waiting, no retry: the next reads see the write.
	if ok, _ := found(t, b.URL, name); !ok {
		t.Errorf("%s not found by the search right after the write's answer", name)
	}
	loc := r.header.Get("Location")
	if g := send(t, "GET", b.URL+loc, "", nil, nil); g.status != 200 || g.header.Get("X-Fangyuan-Read") != "replica" {
		t.Errorf("GET %s right after the write: %d from %q", loc, g.status, g.header.Get("X-Fangyuan-Read"))
	}

	// db replica refuses a standby as the primary and a missing --primary, and leaves
	// nothing behind.
	bad := filepath.Join(t.TempDir(), "bad")
	var out bytes.Buffer
	if err := run(ctx, []string{"db", "replica", "--primary", s.standbyURL, "--home", bad}, &out); err == nil || !strings.Contains(err.Error(), "itself a standby") {
		t.Errorf("db replica --primary <a standby>: %v", err)
	}
	if _, err := os.Stat(filepath.Join(bad, "cluster.json")); !os.IsNotExist(err) {
		t.Errorf("a refused db replica left %s/cluster.json (%v)", bad, err)
	}
	if err := run(ctx, []string{"db", "replica", "--home", bad}, &out); err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--primary") {
		t.Errorf("db replica without --primary: %v, want a usage error naming --primary", err)
	}

	// Replay paused: a node with a short bound answers "behind" and marks the client.
	c := s.node(t, s.standby, 300*time.Millisecond)
	if _, err := s.standby.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if _, err := s.standby.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer resume()
	const late = "翠湖驿站"
	start := time.Now()
	r = send(t, "POST", c.URL+"/api/placenames", s.token, replicaPlaceBody(late, 119.84), nil)
	if r.status != 201 {
		t.Fatalf("POST through C: %d %s", r.status, r.body)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond || waited > 5*time.Second {
		t.Errorf("the write's answer took %v with replay paused, want the 300 ms bound", waited)
	}
	mark := r.header.Get(app.LSNHeader)
	if r.header.Get("X-Fangyuan-Replica") != "behind" || !strings.Contains(r.header.Get("Set-Cookie"), app.LSNCookie+"="+mark) {
		t.Errorf("write answer with replay paused: X-Fangyuan-Replica %q, Set-Cookie %q", r.header.Get("X-Fangyuan-Replica"), r.header.Get("Set-Cookie"))
	}
	loc = r.header.Get("Location")
	withLSN := http.Header{app.LSNHeader: {mark}}
	if g := send(t, "GET", c.URL+loc, "", nil, withLSN); g.status != 200 || g.header.Get("X-Fangyuan-Read") != "primary" {
		t.Errorf("GET %s with the write's LSN: %d from %q, want 200 from the primary", loc, g.status, g.header.Get("X-Fangyuan-Read"))
	}
	withCookie := http.Header{"Cookie": {app.LSNCookie + "=" + mark}}
	if g := send(t, "GET", c.URL+loc, "", nil, withCookie); g.status != 200 || g.header.Get("X-Fangyuan-Read") != "primary" {
		t.Errorf("GET %s with the cookie: %d from %q, want 200 from the primary", loc, g.status, g.header.Get("X-Fangyuan-Read"))
	}
	if g := send(t, "GET", c.URL+loc, "", nil, nil); g.status != 404 || g.header.Get("X-Fangyuan-Read") != "replica" {
		t.Errorf("GET %s without the LSN while replay is paused: %d from %q, want 404 from the replica", loc, g.status, g.header.Get("X-Fangyuan-Read"))
	}
	// The lag is reported: the primary is ahead by at least the write.
	var st struct {
		Replica struct {
			LagBytes   int64   `json:"lag_bytes"`
			LagSeconds float64 `json:"lag_seconds"`
			ReplayLSN  string  `json:"replay_lsn"`
			PrimaryLSN string  `json:"primary_lsn"`
		}
	}
	sr := send(t, "GET", c.URL+"/api/status", "", nil, nil)
	sr.json(t, &st)
	p, _ := app.ParseLSN(st.Replica.PrimaryLSN)
	q, _ := app.ParseLSN(st.Replica.ReplayLSN)
	markLSN, _ := app.ParseLSN(mark)
	if st.Replica.LagBytes <= 0 || int64(p-q) != st.Replica.LagBytes || q >= markLSN {
		t.Errorf("status with replay paused: %s (the write is at %s)", sr.body, mark)
	}
	t.Logf("status with replay paused: %s", sr.body)

	resume()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := send(t, "GET", c.URL+loc, "", nil, withLSN)
		if g.status == 200 && g.header.Get("X-Fangyuan-Read") == "replica" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s with the LSN 10 s after replay resumed: %d from %q", loc, g.status, g.header.Get("X-Fangyuan-Read"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := fmt.Sprint(replayLSN(t, s.standby) >= markLSN); got != "true" {
		t.Errorf("replay did not pass the write after resuming")
	}
}
