package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"fangyuan/internal/auth"
)

type runJSON struct {
	ID          int64
	Kind        string
	Status      string
	Error       string
	Fingerprint string
	Progress    struct{ Stage string }
	Summary     *struct {
		Population, Covered, Share float64
		Townships, Flagged         int
	}
}

func waitRun(t *testing.T, c client, id int64) runJSON {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var r runJSON
		if code := c.do("GET", fmt.Sprintf("/api/coverage/runs/%d", id), nil, &r); code != 200 {
			t.Fatalf("get run: %d", code)
		}
		if r.Status == "done" || r.Status == "failed" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still %s (%s)", id, r.Status, r.Progress.Stage)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func TestCoverageRunsAPI(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	anon := client{t: t, base: srv.URL}
	planner := client{t: t, base: srv.URL, token: token(t, pool, "li.planner", auth.Planner)}

	body := map[string]any{"kind": "eldercare_center"}
	if code := anon.do("POST", "/api/coverage/runs", body, nil); code != 401 {
		t.Fatalf("anonymous run: %d", code)
	}
	var started runJSON
	if code := planner.do("POST", "/api/coverage/runs", body, &started); code != 202 || started.ID == 0 {
		t.Fatalf("start: %d %+v", code, started)
	}
	run := waitRun(t, anon, started.ID)
	if run.Status != "done" || run.Summary == nil || run.Summary.Townships != 13 || run.Summary.Population < 50000 {
		t.Fatalf("run: %+v %+v", run, run.Summary)
	}

	type unit struct {
		Code, Name          string
		Population, Covered float64
		Share               float64
		Facilities          int
		Flags               []string
		Rank                *int
	}
	var towns, gaps struct{ Items []unit }
	anon.do("GET", fmt.Sprintf("/api/coverage/runs/%d/townships", run.ID), nil, &towns)
	anon.do("GET", fmt.Sprintf("/api/coverage/runs/%d/gaps", run.ID), nil, &gaps)
	if len(towns.Items) != 13 || len(gaps.Items) == 0 {
		t.Fatalf("townships %d, gaps %d", len(towns.Items), len(gaps.Items))
	}
	var sum float64
	for _, u := range towns.Items {
		sum += u.Population
	}
	if d := sum - run.Summary.Population; d > 0.5 || d < -0.5 {
		t.Fatalf("township populations add to %v, run total %v", sum, run.Summary.Population)
	}
	// The demo's deliberate gap: 枫渡镇 has no eldercare center.
	i := slices.IndexFunc(gaps.Items, func(u unit) bool { return u.Name == "枫渡镇" })
	if i < 0 || !slices.Contains(gaps.Items[i].Flags, "NO_FACILITY") || gaps.Items[i].Facilities != 0 {
		t.Fatalf("枫渡镇 not flagged NO_FACILITY: %+v", gaps.Items)
	}
	for k, g := range gaps.Items {
		if g.Rank == nil || *g.Rank != k+1 {
			t.Fatalf("gap %d has rank %v", k, g.Rank)
		}
	}

	// Same inputs, same numbers and fingerprint.
	var again runJSON
	planner.do("POST", "/api/coverage/runs", body, &again)
	again = waitRun(t, anon, again.ID)
	var towns2 struct{ Items []unit }
	anon.do("GET", fmt.Sprintf("/api/coverage/runs/%d/townships", again.ID), nil, &towns2)
	if again.Fingerprint != run.Fingerprint || !reflect.DeepEqual(towns2.Items, towns.Items) {
		t.Fatalf("re-run differs: %s vs %s", again.Fingerprint, run.Fingerprint)
	}
	// A wider radius is another input and covers more.
	var wide runJSON
	planner.do("POST", "/api/coverage/runs", map[string]any{"kind": "eldercare_center", "radius_m": 5000}, &wide)
	wide = waitRun(t, anon, wide.ID)
	if wide.Fingerprint == run.Fingerprint || wide.Summary.Covered <= run.Summary.Covered {
		t.Fatalf("5 km run: %+v vs 2 km %+v", wide.Summary, run.Summary)
	}

	// Downloads.
	base := fmt.Sprintf("%s/api/coverage/runs/%d", srv.URL, run.ID)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(get(t, base+".csv"), []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 14 {
		t.Fatalf("csv: %d rows, %v", len(recs), err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(get(t, base+".xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	if len(x.GetSheetList()) < 2 {
		t.Fatalf("xlsx sheets: %v", x.GetSheetList())
	}
	gj := string(get(t, base+"/townships.geojson"))
	if !strings.Contains(gj, `"FeatureCollection"`) || strings.Count(gj, `"Feature"`) != 13 || !strings.Contains(gj, "MultiPolygon") {
		t.Fatalf("geojson: %.300s", gj)
	}

	var runs struct{ Runs []runJSON }
	anon.do("GET", "/api/coverage/runs?kind=eldercare_center", nil, &runs)
	if len(runs.Runs) != 3 || runs.Runs[0].ID != wide.ID {
		t.Fatalf("list: %+v", runs.Runs)
	}

	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "spa"}, "kind"},
		{map[string]any{}, "kind"},
		{map[string]any{"kind": "eldercare_center", "radius_m": -5}, "radius_m"},
		{map[string]any{"kind": "eldercare_center", "grid_id": 999}, "grid_id"},
		{map[string]any{"kind": "eldercare_center", "layer": "age80plus"}, "layer"},
		{map[string]any{"kind": "eldercare_center", "as_of": "yesterday"}, "as_of"},
	}
	for _, b := range bad {
		var e struct{ Error struct{ Field string } }
		if code := planner.do("POST", "/api/coverage/runs", b.body, &e); code != 400 || e.Error.Field != b.field {
			t.Errorf("POST %v: %d field %q, want 400 %q", b.body, code, e.Error.Field, b.field)
		}
	}
	if code := anon.do("GET", "/api/coverage/runs/99999/townships", nil, nil); code != 404 {
		t.Errorf("unknown run: %d", code)
	}
	if code := anon.do("GET", "/api/coverage/runs?kind=spa", nil, nil); code != 400 {
		t.Errorf("list unknown kind: %d", code)
	}
}
