package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// The yearly code update from the command line: a first load, a dry run of next year's
// table (one township renamed), the update with its report file, and a re-run.
func TestCLIDivisionChanges(t *testing.T) {
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	demo := filepath.Join(root, "data/demo/divisions/fangyuan-demo")
	if out, err := cli("import", "divisions", "--valid-from", "2023-06-30", demo); err != nil || !strings.Contains(out, "168 inserted") {
		t.Fatalf("first load: %q %v", out, err)
	}
	next := t.TempDir()
	for _, f := range []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"} {
		b, err := os.ReadFile(filepath.Join(demo, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "streets.csv" {
			b = bytes.Replace(b, []byte(`339901002,"澄川街道"`), []byte(`339901002,"澄江街道"`), 1)
		}
		if err := os.WriteFile(filepath.Join(next, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := cli("import", "divisions", "--valid-from", "2024-06-30", "--dry-run", next)
	if err != nil || !strings.Contains(out, "dry run, nothing written") || !strings.Contains(out, "339901002000 → 339901002000: 澄川街道 → 澄江街道") ||
		!strings.Contains(out, "1 renamed") {
		t.Fatalf("dry run: %q %v", out, err)
	}
	report := filepath.Join(t.TempDir(), "changes.csv")
	out, err = cli("import", "divisions", "--valid-from", "2024-06-30", "--report", report, next)
	if err != nil || !strings.Contains(out, "(report 1)") || !strings.Contains(out, "澄江街道") {
		t.Fatalf("update: %q %v", out, err)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != "renamed" || recs[1][7] != "澄江街道" {
		t.Fatalf("report file: %q %v", recs, err)
	}
	if out, err = cli("import", "divisions", "--valid-from", "2024-06-30", next); err != nil || !strings.Contains(out, "no changes") {
		t.Fatalf("re-run: %q %v", out, err)
	}
	if _, err = cli("import", "divisions", "--valid-from", "2024-06-30", "--dry-run", filepath.Join(next, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing directory: %v", err)
	}
}
