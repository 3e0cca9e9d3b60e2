package main

import (
	"context"
	"math"
	"strings"
	"testing"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/coverage/network"
	"fangyuan/coverage/plan"
	"fangyuan/importers"
	"fangyuan/internal/auth"
)

// TestPlansAPI: POST /api/plans on the demo data in PostGIS needs a planner,
// rejects bad parameters with a 400 naming the field, and answers the same
// sites as `fangyuan plan suggest` on the demo files the database was loaded from.
func TestPlansAPI(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	anon := client{t: t, base: srv.URL}
	planner := client{t: t, base: srv.URL, token: token(t, pool, "wang.planner", auth.Planner)}
	body := map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339901", "as_of": "2024-01-01"}
	if code := anon.do("POST", "/api/plans", body, nil); code != 401 {
		t.Fatalf("anonymous POST: %d, want 401", code)
	}
	var ans plan.Answer
	if code := planner.do("POST", "/api/plans", body, &ans); code != 200 {
		t.Fatalf("POST /api/plans: %d", code)
	}
	res := ans.Result
	if res == nil || len(res.Sites) != 3 || ans.CountyName == "" || len(res.Townships) != 13 {
		t.Fatalf("answer %+v", ans)
	}
	// The same plan from the files.
	host := importers.HostFS{}
	std, _ := coverage.DefaultStandards().Kind("eldercare_center")
	in := plan.Input{Standard: std, Mode: plan.ModeMaxCover, K: 3}
	var err error
	if in.Townships, err = inputs.LoadUnits(host, demoPath(t, "boundaries/townships.geojson"), "townships", inputs.UnitFileOptions{}); err != nil {
		t.Fatal(err)
	}
	if in.Facilities, err = inputs.LoadFacilities(host, demoPath(t, "facilities/eldercare_center.csv"), inputs.FacilityFileOptions{}); err != nil {
		t.Fatal(err)
	}
	if in.Grid, err = inputs.LoadPopulation(demoPath(t, "population.tif"), []coverage.BandName{{Name: "total", Index: 1}, {Name: "age60plus", Index: 2}, {Name: "age0_17", Index: 3}}); err != nil {
		t.Fatal(err)
	}
	want, err := plan.Suggest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Sites {
		w := want.Sites[i]
		// The database keeps 12-digit codes, the demo files the short 9-digit form.
		if s.ID != w.ID || math.Abs(s.Added-w.Added) > 1e-6*w.Added || strings.TrimSuffix(s.Township, "000") != w.Township {
			t.Errorf("site %d: API %s in %s adds %v, files %s in %s adds %v", i+1, s.ID, s.Township, s.Added, w.ID, w.Township, w.Added)
		}
	}
	if math.Abs(res.CoveredBefore-want.CoveredBefore) > 1e-6*want.CoveredBefore {
		t.Errorf("covered before: API %v, files %v", res.CoveredBefore, want.CoveredBefore)
	}
	// Per township with village centres as candidates.
	var per plan.Answer
	if code := planner.do("POST", "/api/plans", map[string]any{"kind": "eldercare_center", "mode": "per_township", "county": "339901000000", "candidates": "villages", "as_of": "2024-01-01"}, &per); code != 200 {
		t.Fatalf("per_township: %d", code)
	}
	if len(per.Result.Sites) == 0 || per.Result.CandidateSource != "villages" {
		t.Fatalf("per_township answer %+v", per.Result)
	}
	// By travel time over the stored network: the same sites as the files with the demo's
	// network.osm (the demo loads it into network_edge).
	var tr plan.Answer
	if code := planner.do("POST", "/api/plans", map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339901", "as_of": "2024-01-01", "reach": "travel"}, &tr); code != 200 {
		t.Fatalf("POST /api/plans reach travel: %d", code)
	}
	nw, err := network.ReadOSMFile(context.Background(), demoPath(t, "network.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stds := coverage.DefaultStandards()
	travel, err := network.ForKind(nw, stds, std)
	if err != nil {
		t.Fatal(err)
	}
	in.Travel = &travel
	wantTr, err := plan.Suggest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Result == nil || tr.Result.Reach != travel.Describe() || len(tr.Result.Sites) != len(wantTr.Sites) || len(wantTr.Sites) != 3 {
		t.Fatalf("travel plan: %+v, files %+v", tr.Result, wantTr)
	}
	for i, s := range tr.Result.Sites {
		w := wantTr.Sites[i]
		if s.ID != w.ID || math.Abs(s.Added-w.Added) > 1e-6*w.Added {
			t.Errorf("travel site %d: API %s adds %v, files %s adds %v", i+1, s.ID, s.Added, w.ID, w.Added)
		}
	}
	if math.Abs(tr.Result.CoveredBefore-wantTr.CoveredBefore) > 1e-6*wantTr.CoveredBefore || tr.Result.CoveredBefore == res.CoveredBefore {
		t.Errorf("travel covered before: API %v, files %v (straight %v)", tr.Result.CoveredBefore, wantTr.CoveredBefore, res.CoveredBefore)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339901", "reach": "teleport"}, "reach"},
		{map[string]any{"kind": "eldercare_center", "k": 3, "mode": "best", "county": "339901"}, "mode"},
		{map[string]any{"kind": "spa", "k": 3, "mode": "max_cover", "county": "339901"}, "kind"},
		{map[string]any{"kind": "eldercare_center", "k": 0, "mode": "max_cover", "county": "339901"}, "k"},
		{map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "33"}, "county"},
		{map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339902"}, "county"},
		{map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339901", "candidates": "shops"}, "candidates"},
	} {
		var e struct {
			Error struct{ Code, Field, Message string } `json:"error"`
		}
		if code := planner.do("POST", "/api/plans", c.body, &e); code != 400 || e.Error.Field != c.field || e.Error.Message == "" {
			t.Errorf("%v: %d %+v, want 400 on field %s", c.body, code, e, c.field)
		}
	}
	// Travel time without a stored network: 409.
	if _, err := pool.Exec(context.Background(), `DELETE FROM network_edge`); err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if code := planner.do("POST", "/api/plans", map[string]any{"kind": "eldercare_center", "k": 3, "mode": "max_cover", "county": "339901", "reach": "travel"}, &e); code != 409 || !strings.Contains(e.Error.Message, "import") {
		t.Errorf("reach travel without a network: %d %+v, want 409 naming the import", code, e)
	}
}
