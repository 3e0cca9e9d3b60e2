package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// `fangyuan import placenames` on the demo's census CSV: every row inserted, then unchanged;
// a bad row named by file:line: field.
func TestImportPlaceNamesCommand(t *testing.T) {
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	if out, err := cli("import", "divisions", "--valid-from", "2023-06-30", filepath.Join(root, "data/demo/divisions/fangyuan-demo")); err != nil {
		t.Fatalf("import divisions: %q %v", out, err)
	}
	file := filepath.Join(root, "data/demo/placenames.csv")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows := strconv.Itoa(len(recs) - 1)
	out, err := cli("import", "placenames", file)
	if err != nil || !strings.Contains(out, rows+" read, "+rows+" inserted") {
		t.Fatalf("import placenames: %q %v", out, err)
	}
	if out, err = cli("import", "placenames", file); err != nil || !strings.Contains(out, rows+" unchanged") {
		t.Fatalf("re-import: %q %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("标准名称,类别代码,行政区划代码\n好名,212,339901101201\n无类,,339901101201\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cli("import", "placenames", bad); err == nil || !strings.Contains(err.Error(), bad+":3: category: empty") {
		t.Fatalf("bad row: %v", err)
	}
	if out, err := cli("import", "placenames", "--skip-invalid", bad); err != nil || !strings.Contains(out, "1 inserted") || !strings.Contains(out, "1 rejected") {
		t.Fatalf("skip invalid: %q %v", out, err)
	}
	if _, err := os.Stat(bad + ".rejects.csv"); err != nil {
		t.Fatal(err)
	}
}
