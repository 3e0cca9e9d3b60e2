package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fangyuan/coverage/plan"
)

// TestPlanSuggestCommand runs `fangyuan plan suggest` on the demo files from a
// candidate file, then `fangyuan coverage` with the suggested sites added to
// the facilities: the covered population per township is what the plan said.
func TestPlanSuggestCommand(t *testing.T) {
	dir := t.TempDir()
	facs := demoPath(t, "facilities/eldercare_center.csv")
	cands := filepath.Join(dir, "candidates.csv")
	var b strings.Builder
	b.WriteString("id,name,lon,lat\n")
	for i := range 40 {
		fmt.Fprintf(&b, "S%02d,候选点%d,%.6f,%.6f\n", i+1, i+1, 119.65+0.012*float64(i%10), 28.08+0.08*float64(i/10))
	}
	if err := os.WriteFile(cands, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"suggest", "--kind", "eldercare_center", "--k", "4", "--grid", demoPath(t, "population.tif"),
		"--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
		"--townships", demoPath(t, "boundaries/townships.geojson"), "--facilities", facs, "--candidates", cands, "--format", "json"}
	var out bytes.Buffer
	if err := cmdPlan(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	var res plan.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Sites) != 4 || res.Candidates != 40 || res.CandidateSource != "list" {
		t.Fatalf("%d sites from %d candidates (%s)", len(res.Sites), res.Candidates, res.CandidateSource)
	}
	var sum float64
	for _, s := range res.Sites {
		if !strings.HasPrefix(s.ID, "S") || !strings.HasPrefix(s.Label, "候选点") || s.Added <= 0 {
			t.Fatalf("site %+v", s)
		}
		sum += s.Added
	}
	if math.Abs(sum-(res.CoveredAfter-res.CoveredBefore)) > 1e-6*sum {
		t.Fatalf("sites add %v, plan %v", sum, res.CoveredAfter-res.CoveredBefore)
	}
	// The facilities with the sites built, through fangyuan coverage.
	orig, err := os.ReadFile(facs)
	if err != nil {
		t.Fatal(err)
	}
	withSites := strings.TrimRight(string(orig), "\n") + "\n"
	for _, s := range res.Sites {
		withSites += fmt.Sprintf("%s,%s,%.6f,%.6f,,,,,operating\n", s.ID, s.Label, s.Lon, s.Lat)
	}
	built := filepath.Join(dir, "built.csv")
	if err := os.WriteFile(built, []byte(withSites), 0o644); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(dir, "after.csv")
	if _, err := runCoverage(t, "--kind", "eldercare_center", "--townships", demoPath(t, "boundaries/townships.geojson"),
		"--population", demoPath(t, "population.tif"), "--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
		"--facilities", built, "-o", table); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "covered_population")
	covered := map[string]float64{}
	for _, r := range rows[1:] {
		covered[r[0]], _ = strconv.ParseFloat(r[col], 64)
	}
	for _, tw := range res.Townships {
		if math.Abs(covered[tw.Code]-tw.CoveredAfter) > 0.51 {
			t.Errorf("township %s: plan says %v covered with the sites, fangyuan coverage %v", tw.Code, tw.CoveredAfter, covered[tw.Code])
		}
	}

	// Table and CSV outputs, and usage errors.
	for _, f := range []string{"table", "csv"} {
		out.Reset()
		if err := cmdPlan(context.Background(), append(args[:len(args)-2], "--format", f), &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), res.Sites[0].ID) {
			t.Errorf("%s output lacks the first site:\n%s", f, out.String())
		}
	}
	for _, bad := range [][]string{{"suggest", "--k", "3"}, {"suggest", "--kind", "eldercare_center", "--format", "pdf"}, {"list"}} {
		if err := cmdPlan(context.Background(), bad, &out); !errors.Is(err, errUsage) {
			t.Errorf("%v: error %v, want a usage error", bad, err)
		}
	}
}

// TestPlanSuggestTravelCommand: `plan suggest --reach travel --network` judges sites by
// travel time, and `fangyuan coverage --reach travel` with the sites built covers what the
// plan says; --reach travel without --network is a usage error.
func TestPlanSuggestTravelCommand(t *testing.T) {
	dir := t.TempDir()
	facs := demoPath(t, "facilities/eldercare_center.csv")
	common := []string{"--kind", "eldercare_center", "--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
		"--townships", demoPath(t, "boundaries/townships.geojson"), "--reach", "travel", "--network", demoPath(t, "network.osm")}
	args := append([]string{"suggest", "--k", "3", "--grid", demoPath(t, "population.tif"), "--facilities", facs, "--max-candidates", "2000", "--format", "json"}, common...)
	var out bytes.Buffer
	if err := cmdPlan(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	var res plan.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Sites) != 3 || !strings.Contains(res.Reach, "travel") {
		t.Fatalf("%d sites, reach %q", len(res.Sites), res.Reach)
	}
	orig, err := os.ReadFile(facs)
	if err != nil {
		t.Fatal(err)
	}
	withSites := strings.TrimRight(string(orig), "\n") + "\n"
	for _, s := range res.Sites {
		withSites += fmt.Sprintf("%s,%s,%.6f,%.6f,,,,,operating\n", s.ID, "site "+s.ID, s.Lon, s.Lat)
	}
	built := filepath.Join(dir, "built.csv")
	if err := os.WriteFile(built, []byte(withSites), 0o644); err != nil {
		t.Fatal(err)
	}
	table := filepath.Join(dir, "after.csv")
	if _, err := runCoverage(t, append([]string{"--population", demoPath(t, "population.tif"), "--facilities", built, "-o", table}, common...)...); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(table)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "covered_population")
	var covered float64
	for _, r := range recs[1:] {
		v, _ := strconv.ParseFloat(r[col], 64)
		covered += v
	}
	if math.Abs(covered-res.CoveredAfter) > 0.5*float64(len(recs)-1) { // the CSV rounds per township
		t.Fatalf("fangyuan coverage --reach travel with the sites covers %v, the plan says %v", covered, res.CoveredAfter)
	}
	err = cmdPlan(context.Background(), []string{"suggest", "--kind", "eldercare_center", "--k", "3", "--grid", demoPath(t, "population.tif"),
		"--townships", demoPath(t, "boundaries/townships.geojson"), "--facilities", facs, "--reach", "travel"}, &out)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--network") {
		t.Fatalf("--reach travel without --network: %v", err)
	}
}
