package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fangyuan/coverage/report"
	"fangyuan/internal/auth"
)

func pdfText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not found: install the Debian package poppler-utils (make deps)")
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// demoGeoJSONProps reads the properties of a demo boundary file (the raw data).
func demoGeoJSONProps(t *testing.T, rel string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(demoPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct{ Properties map[string]any }
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var ps []map[string]any
	for _, f := range fc.Features {
		ps = append(ps, f.Properties)
	}
	return ps
}

// TestCoverageCountyReportFromFiles: fangyuan coverage ... --county CODE -o
// OUT.pdf|.xlsx writes the county report of a run from files.
func TestCoverageCountyReportFromFiles(t *testing.T) {
	dir := t.TempDir()
	base := []string{
		"--townships", demoPath(t, "boundaries/townships.geojson"),
		"--counties", demoPath(t, "boundaries/county.geojson"),
		"--population", demoPath(t, "population.tif"),
		"--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
		"--kind", "eldercare_center", "--facilities", demoPath(t, "facilities/eldercare_center.csv"),
	}
	county := demoGeoJSONProps(t, "boundaries/county.geojson")[0]
	var towns []string
	for _, p := range demoGeoJSONProps(t, "boundaries/townships.geojson") {
		if p["parent_code"] == county["code"] {
			towns = append(towns, p["code"].(string)+"/"+p["name"].(string))
		}
	}
	slices.Sort(towns)
	if len(towns) == 0 {
		t.Fatal("no demo townships in the demo county")
	}

	pdf := filepath.Join(dir, "report.pdf")
	stdout, err := runCoverage(t, append(base, "--county", county["code"].(string), "-o", pdf)...)
	if err != nil || !strings.Contains(stdout, "wrote "+pdf+" (pdf)") {
		t.Fatalf("pdf: %v\n%s", err, stdout)
	}
	text := pdfText(t, pdf)
	for _, s := range []string{county["name"].(string), "居家养老服务中心", "枫渡镇", "无设施 NO_FACILITY", "无建议选址"} {
		if !strings.Contains(text, s) {
			t.Errorf("pdftotext has no %q", s)
		}
	}

	xl := filepath.Join(dir, "report.xlsx")
	if _, err := runCoverage(t, append(base, "--county", county["code"].(string), "-o", xl)...); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetTownships)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0]+"/"+r[1])
	}
	if !slices.Equal(got, towns) {
		t.Errorf("townships sheet %v, want (from the boundary file) %v", got, towns)
	}

	for _, c := range []struct {
		args []string
		want error
		msg  string
	}{
		{[]string{"-o", filepath.Join(dir, "x.pdf")}, errUsage, "--county"},
		{[]string{"--county", "339901", "-o", filepath.Join(dir, "x.csv")}, errUsage, ".pdf or .xlsx"},
		{[]string{"--county", "339901", "--format", "pdf", "-o", "-"}, errUsage, "standard output"},
		{[]string{"--county", "339999", "-o", filepath.Join(dir, "x.pdf")}, report.ErrNoCounty, "339901"},
	} {
		_, err := runCoverage(t, append(slices.Clone(base), c.args...)...)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %v saying %q", c.args, err, c.want, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); !os.IsNotExist(err) {
		t.Errorf("a failed report left a file: %v", err)
	}
}

// TestCoverageReportCommand: fangyuan coverage report --run ID --county CODE
// on a run in the database.
func TestCoverageReportCommand(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	planner := client{t: t, base: srv.URL, token: token(t, pool, "report.planner", auth.Planner)}
	var started runJSON
	if code := planner.do("POST", "/api/coverage/runs", map[string]any{"kind": "eldercare_center"}, &started); code != 202 {
		t.Fatalf("start: %d", code)
	}
	if r := waitRun(t, planner, started.ID); r.Status != "done" {
		t.Fatalf("run: %+v", r)
	}
	t.Setenv("FANGYUAN_DATABASE_URL", pool.Config().ConnString())
	ctx := context.Background()
	var countyName string
	var gaps int
	if err := pool.QueryRow(ctx, `SELECT name FROM admin_unit WHERE code = '339901000000' AND valid_to IS NULL`).Scan(&countyName); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run_unit WHERE run_id = $1 AND rank IS NOT NULL
  AND ((level = 4 AND parent_code = '339901') OR (level = 3 AND code = '339901000000'))`, started.ID).Scan(&gaps); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"coverage", "report"}, args...), &out)
		return out.String(), err
	}
	id := strconv.FormatInt(started.ID, 10)
	pdf := filepath.Join(dir, "r.pdf")
	out, err := cli("--run", id, "--county", "339901000000", "-o", pdf)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d gaps", gaps)) {
		t.Fatalf("coverage report: %q %v (want %d gaps)", out, err, gaps)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, countyName) || !strings.Contains(text, fmt.Sprintf("运行 run #%d", started.ID)) {
		t.Errorf("the PDF names neither the county %s nor run %d:\n%.2000s", countyName, started.ID, text)
	}
	xl := filepath.Join(dir, "r.xlsx")
	if _, err := cli("--run", id, "--county", "339901", "-o", xl); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, err := f.GetRows(report.SheetGaps); err != nil || len(rows) != 1+gaps {
		t.Errorf("gaps sheet: %d rows, want %d (SQL) %v", len(rows)-1, gaps, err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--run", "999999", "--county", "339901", "-o", pdf}, "no coverage run 999999"},
		{[]string{"--run", id, "--county", "110101", "-o", pdf}, "no such county"},
		{[]string{"--run", id, "--county", "339901"}, "required"},
		{[]string{"--run", id, "--county", "339901", "-o", filepath.Join(dir, "r.docx")}, ".pdf or .xlsx"},
	} {
		if _, err := cli(c.args...); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.msg)
		}
	}
}
