package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"fangyuan/coverage"
	"fangyuan/coverage/report"
	"fangyuan/geo"
	"fangyuan/geo/geotiff"
	"fangyuan/internal/testenv"
)

func demoPath(t *testing.T, rel string) string {
	return filepath.Join(testenv.RepoRoot(t), "data", "demo", rel)
}

func runCoverage(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := cmdCoverage(context.Background(), args, &out)
	return out.String(), err
}

// TestCoverageCommand runs `fangyuan coverage` end to end on the demo files, in
// every output format, and reads each output back.
func TestCoverageCommand(t *testing.T) {
	dir := t.TempDir()
	base := []string{
		"--townships", demoPath(t, "boundaries/townships.geojson"),
		"--population", demoPath(t, "population.tif"),
		"--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
	}

	t.Run("csv", func(t *testing.T) {
		out := filepath.Join(dir, "eldercare.csv")
		stdout, err := runCoverage(t, append(base, "--kind", "eldercare_center", "--facilities", demoPath(t, "facilities/eldercare_center.csv"), "-o", out)...)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"eldercare_center 居家养老服务中心", "13 townships", "NO_FACILITY 1", "枫渡镇", "wrote " + out} {
			if !strings.Contains(stdout, want) {
				t.Errorf("summary does not say %q:\n%s", want, stdout)
			}
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
			t.Error("no BOM")
		}
		recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 14 || strings.Join(recs[0][:7], ",") != "code,name,layer_population,covered_population,share,facilities,flags" {
			t.Fatalf("%d records, header %v", len(recs), recs[0])
		}
		for _, r := range recs[1:] {
			if r[1] == "枫渡镇" && (r[5] != "0" || !strings.Contains(r[6], "NO_FACILITY")) {
				t.Errorf("枫渡镇 row %v", r)
			}
		}
	})

	t.Run("geojson with villages, radius and GCJ-02", func(t *testing.T) {
		// The same facilities converted to GCJ-02, read back with --crs gcj02.
		src, err := os.ReadFile(demoPath(t, "facilities/eco_burial.csv"))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(src)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			lon, err1 := strconv.ParseFloat(r[2], 64)
			lat, err2 := strconv.ParseFloat(r[3], 64)
			if err1 != nil || err2 != nil {
				t.Fatal(r)
			}
			g := geo.WGS84ToGCJ02(orb.Point{lon, lat})
			r[2], r[3] = ftoa(g[0]), ftoa(g[1])
		}
		gcj := filepath.Join(dir, "eco_gcj02.csv")
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.WriteAll(recs)
		if err := os.WriteFile(gcj, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "eco.geojson")
		stdout, err := runCoverage(t, append(base, "--kind", "eco_burial", "--facilities", gcj, "--crs", "gcj02",
			"--villages", demoPath(t, "boundaries/villages.geojson"), "--counties", demoPath(t, "boundaries/county.geojson"),
			"--radius", "5000", "-o", out)...)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) != 13 {
			t.Fatalf("%d features", len(fc.Features))
		}
		for _, f := range fc.Features {
			if f.Properties["name"] == "鳌屿乡" && !strings.Contains(f.Properties.MustString("flags"), "NO_FACILITY") {
				t.Errorf("鳌屿乡: %v", f.Properties)
			}
		}
		if !strings.Contains(stdout, "VILLAGE_GAPS") {
			t.Errorf("summary:\n%s", stdout)
		}
	})

	t.Run("xlsx", func(t *testing.T) {
		out := filepath.Join(dir, "beds.xlsx")
		stdout, err := runCoverage(t, append(base, "--kind", "eldercare_institution", "--facilities", demoPath(t, "facilities/eldercare_institution.csv"),
			"--counties", demoPath(t, "boundaries/county.geojson"), "-o", out)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "1 planned") {
			t.Errorf("summary does not mention the planned institution:\n%s", stdout)
		}
		f, err := excelize.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(report.SheetCounties)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][1] != "方圆县（虚构）" || !strings.Contains(rows[1][9], "CAPACITY_SHORTFALL") {
			t.Errorf("counties sheet %v", rows)
		}
		for _, s := range []string{report.SheetTownships, report.SheetGaps, report.SheetFacilities, report.SheetNotes} {
			if idx, _ := f.GetSheetIndex(s); idx < 0 {
				t.Errorf("no sheet %s", s)
			}
		}
	})

	t.Run("csv to standard output", func(t *testing.T) {
		stdout, err := runCoverage(t, append(base, "--kind", "childrens_home", "--facilities", demoPath(t, "facilities/childrens_home.csv"), "--format", "csv", "-o", "-")...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stdout, "\uFEFFcode,name,") || strings.Count(stdout, "\r\n") != 14 {
			t.Errorf("stdout:\n%s", stdout)
		}
	})

	t.Run("standards", func(t *testing.T) {
		stdout, err := runCoverage(t, "standards")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := coverage.ParseStandards("stdout", []byte(stdout)); err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(stdout, `"radius_m": 2000,`, `"radius_m": 2500,`, 1)
		p := filepath.Join(dir, "standards.json")
		if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runCoverage(t, append(base, "--standards", p, "--kind", "eldercare_center", "--facilities", demoPath(t, "facilities/eldercare_center.csv"), "-o", filepath.Join(dir, "x.csv"))...)
		if err != nil || !strings.Contains(out, "2500 m") {
			t.Errorf("edited standards not used: %v\n%s", err, out)
		}
	})
}

// TestCoverageCommandBadInput: the bad inputs of the issue, through the command.
func TestCoverageCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	twp := demoPath(t, "boundaries/townships.geojson")
	pop := demoPath(t, "population.tif")
	facs := demoPath(t, "facilities/eldercare_center.csv")
	out := filepath.Join(dir, "out.csv")

	// A grid elsewhere, and a grid with a negative cell inside the county.
	g, err := geotiff.ReadFile(pop)
	if err != nil {
		t.Fatal(err)
	}
	far := *g
	far.West, far.North = 100, 40
	farPath := filepath.Join(dir, "far.tif")
	if err := geotiff.WriteFile(farPath, &far, geotiff.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	neg := *g
	neg.Bands = []geo.Band{{Name: "total", Data: append([]float32(nil), g.Bands[0].Data...)}}
	c, r, _ := neg.Cell([2]float64{120.0, 28.25})
	neg.Bands[0].Data[r*neg.Width+c] = -1
	negPath := filepath.Join(dir, "neg.tif")
	if err := geotiff.WriteFile(negPath, &neg, geotiff.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	noCodes := write("nocodes.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"甲镇"},"geometry":{"type":"Polygon","coordinates":[[[120,28.2],[120.1,28.2],[120.1,28.3],[120,28.2]]]}}]}`)
	empty := write("empty.csv", "id,name,lon,lat\n")

	for _, tt := range []struct {
		name string
		args []string
		err  error  // nil: success
		want string // in the error, or in the summary on success
	}{
		{"unknown kind", []string{"--kind", "nursing_home", "--townships", twp, "--facilities", facs, "--population", pop, "-o", out}, coverage.ErrUnknownKind, `unknown facility kind "nursing_home"`},
		{"grid elsewhere", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", facs, "--population", farPath, "-o", out}, coverage.ErrNoOverlap, "does not overlap"},
		{"negative population", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", facs, "--population", negPath, "-o", out}, coverage.ErrBadPopulation, "is -1: negative"},
		{"township file without codes", []string{"--kind", "funeral_venue", "--townships", noCodes, "--facilities", facs, "--population", pop, "-o", out}, coverage.ErrBadUnit, "--code-field"},
		{"no layer in a one-band file", []string{"--kind", "eldercare_center", "--townships", twp, "--facilities", facs, "--population", negPath, "-o", out}, coverage.ErrNoLayer, `no band "age60plus"`},
		{"no facilities at all", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", empty, "--population", pop, "-o", out}, nil, "flagged townships: 13 of 13"},
		{"missing flag", []string{"--kind", "funeral_venue", "--townships", twp, "--population", pop, "-o", out}, errUsage, "-facilities is required"},
		{"bad format", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", facs, "--population", pop, "-o", filepath.Join(dir, "out.docx")}, errUsage, "cannot tell the format"},
		{"pdf without a county", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", facs, "--population", pop, "-o", filepath.Join(dir, "out.pdf")}, errUsage, "give --county CODE"},
		{"bad radius", []string{"--kind", "funeral_venue", "--townships", twp, "--facilities", facs, "--population", pop, "--radius", "-3", "-o", out}, errUsage, "--radius"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, err := runCoverage(t, tt.args...)
			if tt.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(stdout, tt.want) {
					t.Errorf("summary does not say %q:\n%s", tt.want, stdout)
				}
				return
			}
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %v saying %q", err, tt.err, tt.want)
			}
		})
	}
	for _, name := range []string{"out.docx", "out.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("a failed run left an output file %s", name)
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(math.Round(f*1e7)/1e7, 'f', -1, 64) }
