package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// The CLI end to end against a real database: the commands a place-name office types.
func TestCLI(t *testing.T) {
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	out, err := cli("import", "divisions", "--valid-from", "2023-06-30", filepath.Join(root, "data/demo/divisions/fangyuan-demo"))
	if err != nil || !strings.Contains(out, "168 inserted") {
		t.Fatalf("import divisions: %q %v", out, err)
	}
	// flags after the file work too
	out, err = cli("import", "boundaries", filepath.Join(root, "data/demo/boundaries/townships.geojson"), "--level", "township")
	if err != nil || !strings.Contains(out, "13 inserted") {
		t.Fatalf("import boundaries: %q %v", out, err)
	}
	out, err = cli("import", "facilities", "--kind", "eldercare_center", filepath.Join(root, "data/demo/facilities/eldercare_center.csv"))
	if err != nil || !strings.Contains(out, "12 inserted") {
		t.Fatalf("import facilities: %q %v", out, err)
	}
	tif := filepath.Join(root, "data/demo/population.tif")
	out, err = cli("import", "population", "--name", "demo", "--year", "2023", "--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3", tif)
	if err != nil || !strings.Contains(out, "1 inserted") {
		t.Fatalf("import population: %q %v", out, err)
	}
	if out, err = cli("import", "population", "--name", "demo", "--year", "2023", tif); err != nil || !strings.Contains(out, "1 unchanged") {
		t.Fatalf("re-import population: %q %v", out, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("id,name,lon,lat\nX1,甲,120.1,95\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err = cli("import", "facilities", "--kind", "eldercare_center", bad); err == nil || !strings.Contains(err.Error(), bad+":2: lat") {
		t.Fatalf("bad facility file: %v", err)
	}
	out, err = cli("token", "create", "--role", "planner", "--name", "li.planner")
	if err != nil || !strings.HasPrefix(out, "fy_") {
		t.Fatalf("token create: %q %v", out, err)
	}
	out, err = cli("token", "list")
	if err != nil || !strings.Contains(out, "li.planner") || !strings.Contains(out, "active") {
		t.Fatalf("token list: %q %v", out, err)
	}

	usage := [][]string{
		{},
		{"frobnicate"},
		{"import"},
		{"import", "nonsense", "x"},
		{"import", "facilities", "--kind", "spa", bad},
		{"import", "boundaries", "--level", "planet", bad},
		{"import", "facilities", "--kind", "eldercare_center", "--crs", "wgs72", bad},
		{"import", "divisions", "--valid-from", "30/06/2023", root},
		{"import", "roads"},
		{"import", "population", "--year", "2023", tif},
		{"import", "population", "--name", "x", "--year", "2023", "--band", "total", tif},
		{"token", "create", "--role", "root", "--name", "x"},
		{"serve", "--reads", "sometimes"},
	}
	for _, args := range usage {
		if _, err := cli(args...); !errors.Is(err, errUsage) {
			t.Errorf("fangyuan %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}
