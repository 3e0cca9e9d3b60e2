package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// The house-number commands end to end: import the demo numbers, suggest, check to XLSX.
func TestHouseNumbersCLI(t *testing.T) {
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	for _, args := range [][]string{
		{"import", "divisions", "--valid-from", "2023-06-30", filepath.Join(root, "data/demo/divisions/fangyuan-demo")},
		{"import", "boundaries", "--level", "township", filepath.Join(root, "data/demo/boundaries/townships.geojson")},
		{"import", "roads", filepath.Join(root, "data/demo/roads.geojson")},
	} {
		if out, err := cli(args...); err != nil {
			t.Fatalf("%v: %q %v", args, out, err)
		}
	}
	out, err := cli("import", "housenumbers", filepath.Join(root, "data/demo/housenumbers.csv"))
	if err != nil || !strings.Contains(out, "5545 read, 5545 inserted") {
		t.Fatalf("import housenumbers: %q %v", out, err)
	}
	// 人民路 (road 1) starts at 119.999372, 28.247883 and runs east; a point 15 m north of
	// it, 40 m along: its odd side is the right, so the north (left) side is even; the
	// demo has even numbers there, and the suggestion lies between two of them.
	out, err = cli("housenumbers", "suggest", "--road", "1", "--lon", "119.999780", "--lat", "28.248050")
	if err != nil {
		t.Fatalf("suggest: %v", err)
	}
	var sg struct {
		Number  int      `json:"number"`
		Suffix  string   `json:"suffix"`
		Side    string   `json:"side"`
		Explain []string `json:"explain"`
	}
	if err := json.Unmarshal([]byte(out), &sg); err != nil || sg.Side != "left" || sg.Number%2 != 0 || len(sg.Explain) < 3 {
		t.Fatalf("suggest: %q %v", out, err)
	}
	report := filepath.Join(t.TempDir(), "report.xlsx")
	if out, err = cli("housenumbers", "check", "--within", "339901", "-o", report); err != nil || !strings.Contains(out, "6 findings") {
		t.Fatalf("check: %q %v", out, err)
	}
	x, err := excelize.OpenFile(report)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("问题 findings")
	if len(rows) != 7 {
		t.Fatalf("report: %d rows", len(rows))
	}
	if _, err := cli("housenumbers", "check"); err == nil {
		t.Fatal("check without --within should fail")
	}
}
