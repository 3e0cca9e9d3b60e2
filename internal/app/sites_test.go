package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"fangyuan/coverage/report"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
)

// TestCountyReportSites: the county report's suggested sites (建议选址) are
// the site planner's best site inside each township of the county that fails
// its presence rule — one per township flagged NO_FACILITY in the run (from
// SQL), the same sites POST /api/plans gives in mode per_township.
func TestCountyReportSites(t *testing.T) {
	pool := demoPool(t)
	srv, _ := serve(t, pool, app.Config{})
	planner := token(t, pool, "sites.planner", auth.Planner)
	ctx := context.Background()
	r := do(t, "POST", srv.URL+"/api/coverage/runs", planner, `{"kind":"eldercare_center"}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("POST run: %d %s", r.status, r.body)
	}
	var run struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.body, &run); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for run.Status != "done" {
		if run.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("run %d: %s", run.ID, run.Status)
		}
		time.Sleep(100 * time.Millisecond)
		g := do(t, "GET", fmt.Sprintf("%s/api/coverage/runs/%d", srv.URL, run.ID), planner, "")
		if err := json.Unmarshal(g.body, &run); err != nil {
			t.Fatalf("GET run: %d %s", g.status, g.body)
		}
	}
	const county = "339901"
	var failing int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run_unit
		WHERE run_id = $1 AND level = 4 AND parent_code LIKE $2 AND 'NO_FACILITY' = ANY (flags)`,
		run.ID, county+"%").Scan(&failing); err != nil {
		t.Fatal(err)
	}
	if failing == 0 {
		t.Fatal("the demo county has no township without an eldercare center: the test shows nothing")
	}
	p := do(t, "POST", srv.URL+"/api/plans", planner, `{"kind":"eldercare_center","mode":"per_township","county":"`+county+`"}`)
	if p.status != http.StatusOK {
		t.Fatalf("POST /api/plans: %d %s", p.status, p.body)
	}
	var ans struct {
		Result struct {
			Sites []struct {
				Label, Township string
				Added           float64
			} `json:"sites"`
		} `json:"result"`
	}
	if err := json.Unmarshal(p.body, &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.Result.Sites) != failing {
		t.Fatalf("planner: %d sites for %d townships without a facility", len(ans.Result.Sites), failing)
	}
	x := do(t, "GET", fmt.Sprintf("%s/api/coverage/runs/%d/report.xlsx?county=%s", srv.URL, run.ID, county), planner, "")
	if x.status != http.StatusOK {
		t.Fatalf("report.xlsx: %d %s", x.status, x.body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(report.SheetSites)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != failing {
		t.Fatalf("report: %d suggested sites, want %d (rows %q)", len(rows)-1, failing, rows)
	}
	for i, s := range ans.Result.Sites {
		row := rows[i+1]
		added, err := strconv.ParseFloat(strings.ReplaceAll(row[5], ",", ""), 64)
		if err != nil || row[0] != s.Label || row[1] != s.Township || added < s.Added-0.5 || added > s.Added+0.5 {
			t.Errorf("report site %d: %q, planner %s in %s adding %.1f", i+1, row, s.Label, s.Township, s.Added)
		}
	}
}
