package main

// Fault tests (故障测试) with real processes: SIGKILL of `fangyuan import` and of
// `fangyuan serve` in the middle of an import, an edit batch and a coverage run, and the
// PostgreSQL server restarted under load.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgtest"
)

// countOf runs a count query.
func countOf(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// placeBody is the POST /api/placenames body of test place name i with prefix.
func placeBody(prefix string, i int) (name, body string) {
	name = fmt.Sprintf("%s%04d", prefix, i)
	return name, fmt.Sprintf(`{"name":%q,"category":"213","admin_code":"339901001001","lon":120.01,"lat":28.25,"origin":"origin of %s"}`, name, name)
}

// checkPlaceWhole: the place name called name is stored whole — one row with the fields
// sent, its naming act and its audit row — or (when mayBeAbsent) not at all.
func checkPlaceWhole(t *testing.T, pool *pgxpool.Pool, name string, mayBeAbsent bool) (present bool) {
	t.Helper()
	var rows, acts, audits int
	var origin string
	if err := pool.QueryRow(context.Background(), `
SELECT count(*), coalesce(max(p.origin), ''),
  (SELECT count(*) FROM place_name_history h JOIN place_name q ON q.id = h.place_name_id WHERE q.name = $1 AND h.act = 'name'),
  (SELECT count(*) FROM audit_log a JOIN place_name q ON a.entity_key = q.id::text WHERE q.name = $1 AND a.entity = 'place_name' AND a.action = 'create')
FROM place_name p WHERE p.name = $1`, name).Scan(&rows, &origin, &acts, &audits); err != nil {
		t.Fatal(err)
	}
	switch {
	case rows == 0 && mayBeAbsent:
		return false
	case rows != 1 || acts != 1 || audits != 1 || origin != "origin of "+name:
		t.Errorf("place name %s: %d rows (origin %q), %d naming acts, %d audit rows; want it whole (1, 1, 1)%s", name, rows, origin, acts, audits,
			map[bool]string{true: " or absent", false: ""}[mayBeAbsent])
	}
	return true
}

// TestKillNine: SIGKILL in the middle of an import, an edit batch and a coverage run
// leaves nothing half-written; every write acknowledged with a 2xx is there after the
// restart, and the run is taken up again and finished.
func TestKillNine(t *testing.T) {
	bin := buildFangyuan(t)
	pool, url := demoDatabase(t)
	ctx := context.Background()

	t.Run("import", func(t *testing.T) {
		const n = 500
		var csv strings.Builder
		csv.WriteString("标准名称,罗马字母拼写,类别代码,行政区划代码,经度,纬度,地名来历,地名含义,历史沿革,遗产级别,地名文化遗产,批准文号,批准时间\n")
		for i := range n {
			fmt.Fprintf(&csv, "导入故障测试%04d,,213,339901001001,120.01,28.25,来历%d,,,,,,\n", i, i)
		}
		file := filepath.Join(t.TempDir(), "placenames.csv")
		if err := os.WriteFile(file, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		before := countOf(t, pool, `SELECT count(*) FROM place_name`)
		// The place_name trigger logs the inserted rows in gazetteer_change (migration 014)
		// after they are written, in the importer's transaction: with gazetteer_change
		// locked the import stops there, every place name written but not committed.
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `LOCK TABLE gazetteer_change IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		imp := startProc(t, "import", bin, url, "import", "placenames", file)
		waitSQL(t, pool, time.Minute, "the import has written its rows and waits for the change log", `
SELECT EXISTS (SELECT 1 FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
  WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.query LIKE '%INSERT INTO place_name_history%'
    AND l.relation = 'place_name'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted)`)
		var backend int
		pool.QueryRow(ctx, `SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'`).Scan(&backend)
		imp.kill()
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		// Its session ends when PostgreSQL finds the client gone.
		waitSQL(t, pool, 30*time.Second, "the killed import's session ends", `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, backend)
		if got := countOf(t, pool, `SELECT count(*) FROM place_name`); got != before {
			t.Fatalf("place names after the killed import: %d, before %d: half an import was kept", got, before)
		}
		if got := countOf(t, pool, `SELECT count(*) FROM audit_log WHERE action = 'import' AND entity = 'place_name' AND entity_key = $1`, file); got != 0 {
			t.Fatalf("%d audit rows of the killed import", got)
		}
		// The same import again, not killed: all of it.
		again := startProc(t, "import again", bin, url, "import", "placenames", file)
		if err := again.wait(2 * time.Minute); err != nil {
			t.Fatalf("import again: %v\n%s", err, again.log.String())
		}
		if got := countOf(t, pool, `SELECT count(*) FROM place_name WHERE name LIKE '导入故障测试%'`); got != n {
			t.Fatalf("place names after the second import: %d, want %d", got, n)
		}
	})

	t.Run("edit batch", func(t *testing.T) {
		editor := token(t, pool, "fault.editor", auth.NamesEditor)
		srv := startServer(t, bin, url, "edit-1")
		const workers = 4
		var mu sync.Mutex
		acked, sent := map[string]bool{}, map[string]bool{}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name, body := placeBody(fmt.Sprintf("编辑故障%d号", w), i)
					mu.Lock()
					sent[name] = true
					mu.Unlock()
					st, _, err := httpDo(srv.base+"/api/placenames", "POST", editor, body, 10*time.Second)
					if err != nil {
						return // the server is gone
					}
					if st == 201 {
						mu.Lock()
						acked[name] = true
						mu.Unlock()
					}
				}
			}()
		}
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 80 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d edits acknowledged in a minute", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		srv.kill() // with requests in flight
		close(stop)
		wg.Wait()
		after := startServer(t, bin, url, "edit-2")
		present := 0
		for name := range sent {
			if checkPlaceWhole(t, pool, name, !acked[name]) {
				present++
			}
		}
		t.Logf("%d edits sent, %d acknowledged, %d stored", len(sent), len(acked), present)
		// The restarted server serves them.
		for name := range acked {
			st, body, err := httpDo(after.base+"/api/placenames?within=339901001001&q="+name, "GET", "", "", 10*time.Second)
			if err != nil || st != 200 || !strings.Contains(string(body), name) {
				t.Fatalf("GET the acknowledged %s after the restart: %d %.300s %v", name, st, body, err)
			}
			break
		}
	})

	t.Run("coverage run, clean shutdown", func(t *testing.T) {
		planner := token(t, pool, "shutdown.planner", auth.Planner)
		srv := startServer(t, bin, url, "stopping")
		release := lockBoundaries(t, pool)
		id := postRun(t, srv.base, planner, "eco_burial")
		waitSQL(t, pool, 30*time.Second, "the run is mid-run",
			`SELECT status = 'running' AND stage = 'loading boundaries' FROM coverage_run WHERE id = $1`, id)
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := srv.wait(time.Minute); err != nil {
			t.Fatalf("the server after SIGTERM: %v", err)
		}
		release()
		var status string
		var claimed *string
		pool.QueryRow(ctx, `SELECT status, claimed_by FROM coverage_run WHERE id = $1`, id).Scan(&status, &claimed)
		ex := executions(t, pool, id)
		if status != "queued" || claimed != nil || len(ex) != 1 || ex[0].Outcome == nil || *ex[0].Outcome != "released" {
			t.Fatalf("run %d after a clean shutdown: %s claimed by %v, executions %+v; want queued again, released", id, status, claimed, ex)
		}
		// The next node takes it up at once (no lease to wait for).
		startServer(t, bin, url, "next")
		waitSQL(t, pool, time.Minute, "the next node finishes the run", `SELECT status IN ('done', 'failed') FROM coverage_run WHERE id = $1`, id)
		checkResults(t, pool, id, demoTownships(t, pool))
	})

	t.Run("coverage run", func(t *testing.T) {
		planner := token(t, pool, "fault.planner", auth.Planner)
		townships := demoTownships(t, pool)
		flags := []string{"--run-lease", "2s", "--run-heartbeat", "200ms"}
		srv := startServer(t, bin, url, "runner", flags...)
		release := lockBoundaries(t, pool)
		id := postRun(t, srv.base, planner, "funeral_venue")
		waitSQL(t, pool, 30*time.Second, "the run is mid-run",
			`SELECT status = 'running' AND stage = 'loading boundaries' FROM coverage_run WHERE id = $1`, id)
		srv.kill()
		release()
		if got := countOf(t, pool, `SELECT count(*) FROM coverage_run_unit WHERE run_id = $1`, id); got != 0 {
			t.Fatalf("%d result rows of the run the killed server was executing", got)
		}
		// The same node started again takes the run up once the lease ran out.
		srv = startServer(t, bin, url, "runner", flags...)
		waitSQL(t, pool, 2*time.Minute, "the restarted server finishes the run",
			`SELECT status IN ('done', 'failed') FROM coverage_run WHERE id = $1`, id)
		checkResults(t, pool, id, townships)
		ex := executions(t, pool, id)
		if len(ex) != 2 || ex[0].Outcome == nil || *ex[0].Outcome != "lost" || ex[1].Outcome == nil || *ex[1].Outcome != "done" {
			t.Fatalf("executions of run %d: %+v, want lost then done", id, ex)
		}
	})
}

// TestPostgresRestartUnderLoad stops the PostgreSQL server while clients read and write
// through a `fangyuan serve` process: while it is down every answer is a 503 with a JSON
// body (never a 500, never a hang past the client's 5 s), and once it is back the same
// server process answers 2xx again by itself; every write acknowledged before, during or
// after the outage is stored whole.
func TestPostgresRestartUnderLoad(t *testing.T) {
	bin := buildFangyuan(t)
	c := pgtest.NewCluster(t) // its own cluster: stopping it disturbs no other test
	ctx := context.Background()
	pool, err := db.Connect(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	editor := token(t, pool, "restart.editor", auth.NamesEditor)
	srv := startServer(t, bin, c.URL, "restart-1")

	type outcome struct {
		phase  string
		status int
		body   []byte
		err    error
		name   string // the place name a write sent
	}
	var mu sync.Mutex
	phase := "before"
	var results []outcome
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := func(w int, next func(i int) (method, path, tok, body, name string)) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			method, path, tok, body, name := next(i)
			st, b, err := httpDo(srv.base+path, method, tok, body, 5*time.Second)
			mu.Lock()
			results = append(results, outcome{phase, st, b, err, name})
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}
	setPhase := func(p string) {
		mu.Lock()
		phase = p
		mu.Unlock()
	}
	wg.Add(3)
	go client(0, func(i int) (string, string, string, string, string) {
		name, body := placeBody("重启写入", i)
		return "POST", "/api/placenames", editor, body, name
	})
	go client(1, func(i int) (string, string, string, string, string) {
		return "GET", "/api/divisions?parent=339901", "", "", ""
	})
	go client(2, func(i int) (string, string, string, string, string) {
		return "GET", fmt.Sprintf("/api/facilities?kind=eldercare_center&limit=%d", 1+i%50), "", "", ""
	})
	time.Sleep(time.Second)
	setPhase("down")
	if err := c.Down(ctx); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	time.Sleep(3 * time.Second)
	setPhase("restarting")
	if err := c.Up(ctx, nil); err != nil {
		t.Fatalf("start PostgreSQL again: %v", err)
	}
	// Recovery: wait for a 2xx write after the restart, then keep the load a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, r := range results {
			if r.phase == "restarting" && r.name != "" && r.status == 201 {
				n++
			}
		}
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write acknowledged 30 s after PostgreSQL came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	setPhase("after")
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	counts := map[string]map[int]int{}
	acked := map[string]bool{}
	sent := map[string]bool{}
	for _, r := range results {
		if counts[r.phase] == nil {
			counts[r.phase] = map[int]int{}
		}
		counts[r.phase][r.status]++
		if r.name != "" {
			sent[r.name] = true
			if r.status == 201 {
				acked[r.name] = true
			}
		}
		switch {
		case r.err != nil:
			t.Errorf("%s: no answer within 5 s: %v", r.phase, r.err)
		case r.status >= 500 && r.status != 503:
			t.Errorf("%s: %d %.300s, want 2xx or 503", r.phase, r.status, r.body)
		case r.status == 503:
			if _, ok := errorBody(r.body); !ok {
				t.Errorf("%s: 503 without a JSON error body: %.300s", r.phase, r.body)
			}
		case (r.phase == "before" || r.phase == "after") && r.status >= 300:
			t.Errorf("%s (database up): %d %.300s", r.phase, r.status, r.body)
		}
	}
	t.Logf("answers by phase and status: %v; %d writes sent, %d acknowledged", counts, len(sent), len(acked))
	if counts["down"][503] == 0 {
		t.Errorf("no 503 while PostgreSQL was down: %v", counts["down"])
	}
	if counts["after"][200] == 0 || counts["after"][201] == 0 {
		t.Errorf("reads and writes after the restart: %v", counts["after"])
	}
	for name := range sent {
		checkPlaceWhole(t, pool, name, !acked[name])
	}
	// The same process served throughout.
	select {
	case <-srv.done:
		t.Fatalf("the server exited: %v", srv.err)
	default:
	}
	var health map[string]any
	if st, b, err := httpDo(srv.base+"/healthz", "GET", "", "", 5*time.Second); err != nil || st != 200 || json.Unmarshal(b, &health) != nil {
		t.Fatalf("healthz after the restart: %d %s %v", st, b, err)
	}
}
