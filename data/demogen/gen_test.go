package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fangyuan/internal/testenv"
)

// committedDir is the committed output, relative to this package.
const committedDir = "../demo"

// divisionsDir is where the national tables live: FANGYUAN_DIVISIONS, the shared
// checkout beside the repository, or the cache `make deps` fills (testenv.DivisionData).
func divisionsDir(t *testing.T) string {
	t.Helper()
	return testenv.DivisionData(t)
}

// TestCommittedMatchesGenerator regenerates the demo data and requires it to
// be byte-identical to the committed files, with no extra files.
func TestCommittedMatchesGenerator(t *testing.T) {
	out := t.TempDir()
	files, err := generate(divisionsDir(t), out)
	if err != nil {
		t.Fatal(err)
	}
	const hint = "regenerate with: make demo-data"
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f.path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.data) {
			t.Fatalf("%s: written bytes differ from the generated ones", f.path)
		}
		want, err := os.ReadFile(filepath.Join(committedDir, filepath.FromSlash(f.path)))
		if err != nil {
			t.Errorf("%s: %v (%s)", f.path, err, hint)
			continue
		}
		if !bytes.Equal(got, want) {
			n := min(len(got), len(want))
			i := 0
			for i < n && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: generator output differs from the committed file at byte %d (generated %d bytes, committed %d); %s",
				f.path, i, len(got), len(want), hint)
		}
	}
	var committed []string
	err = filepath.WalkDir(committedDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(committedDir, path)
		committed = append(committed, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(committed)
	gen := outputPaths(files)
	for _, p := range committed {
		if _, found := slices.BinarySearch(gen, p); !found {
			t.Errorf("data/demo/%s is not written by the generator and would be embedded: delete it "+
				"(gdalinfo -stats leaves *.aux.xml files; run it with GDAL_PAM_ENABLED=NO)", p)
		}
	}
}

// TestDeterministic builds the data twice in one process.
func TestDeterministic(t *testing.T) {
	dir := divisionsDir(t)
	render := func() []outFile {
		d, err := build(dir)
		if err != nil {
			t.Fatal(err)
		}
		files, err := d.files()
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	a, b := render(), render()
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].path != b[i].path || !bytes.Equal(a[i].data, b[i].data) {
			t.Errorf("%s differs between two runs", a[i].path)
		}
	}
}
