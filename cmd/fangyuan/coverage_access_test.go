package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fangyuan/geo/geotiff"
)

func TestCoverageAccessCommand(t *testing.T) {
	dir := t.TempDir()
	out, tif := filepath.Join(dir, "access.csv"), filepath.Join(dir, "access.tif")
	args := []string{"access", "--kind", "eldercare_institution", "--townships", demoPath(t, "boundaries/townships.geojson"),
		"--facilities", demoPath(t, "facilities/eldercare_institution.csv"), "--population", demoPath(t, "population.tif"),
		"--decay", "step", "--tif", tif, "-o", out}
	stdout, err := runCoverage(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "townships short") || !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("summary:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 14 { // the header and the demo's 13 townships
		t.Fatalf("%d rows, want 14", len(rows))
	}
	for _, r := range rows[1:] {
		mean, _ := strconv.ParseFloat(r[3], 64)
		lo, _ := strconv.ParseFloat(r[4], 64)
		need, _ := strconv.ParseFloat(r[5], 64)
		if !(mean > 0 && lo <= mean && need == 0.036) || (r[6] == "true") != (mean < need) {
			t.Errorf("row %v: mean %v min %v need %v", r, mean, lo, need)
		}
	}
	g, err := geotiff.ReadFile(tif)
	if err != nil {
		t.Fatal(err)
	}
	if !g.HasNoData || g.NoData != -1 || len(g.Bands) != 1 {
		t.Errorf("tif: nodata %v %v, %d bands", g.HasNoData, g.NoData, len(g.Bands))
	}

	_, err = runCoverage(t, "access", "--kind", "eldercare_center", "--townships", demoPath(t, "boundaries/townships.geojson"),
		"--facilities", demoPath(t, "facilities/eldercare_center.csv"), "--population", demoPath(t, "population.tif"), "-o", out)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "no per-person capacity ratio") {
		t.Errorf("kind without a ratio: %v", err)
	}
	_, err = runCoverage(t, append(args[:len(args)-2:len(args)-2], "--decay", "linear", "-o", out)...)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--decay") {
		t.Errorf("bad decay: %v", err)
	}
}
