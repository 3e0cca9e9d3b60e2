package parse

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool fails the test (never skips) when an external program the test
// depends on is missing, naming the Debian package that provides it.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install it with apt-get install %s", name, pkg)
	}
	return p
}

// run runs a command and fails the test with its output on error.
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
}

// iconvFile converts src to dst with iconv (extra flags first).
func iconvFile(t testing.TB, from, to, src, dst string, flags ...string) {
	t.Helper()
	needTool(t, "iconv", "libc-bin")
	cmd := exec.Command("iconv", append(flags, "-f", from, "-t", to, src)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("iconv -f %s -t %s %s: %v: %s", from, to, src, err, stderr.String())
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ogr2ogr runs GDAL's ogr2ogr.
func ogr2ogr(t testing.TB, args ...string) {
	t.Helper()
	needTool(t, "ogr2ogr", "gdal-bin")
	run(t, "ogr2ogr", args...)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// errText returns err's text, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// rejectTexts returns the Error() of every reject.
func rejectTexts(rs []Reject) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Err.Error())
	}
	return out
}

// asParseError returns err as *Error or fails.
func asParseError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *parse.Error", err, err)
	}
	return e
}
