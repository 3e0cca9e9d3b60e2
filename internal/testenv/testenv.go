// Package testenv finds what tests need outside the package: the repository root, the
// shared reference data beside the checkout, and command-line tools. Missing things fail
// the test with the fix; they never skip it.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Shared returns a path inside ../shared (beside the checkout), failing if it is missing.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(RepoRoot(t)), "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: shared reference data missing: %v (the checkout needs ../shared beside it)", err)
	}
	return p
}

// Tool returns the path of a command, failing with the Debian package to install.
func Tool(t testing.TB, name, aptPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testenv: %s not found: install it with `apt-get install -y %s` (or run `make deps`)", name, aptPackage)
	}
	return p
}
