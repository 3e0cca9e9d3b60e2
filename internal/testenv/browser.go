package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Browser returns what a browser test needs: node, the Chromium binary (/usr/bin/chromium,
// or $CHROMIUM) and the web/e2e directory with playwright-core installed in it (npm ci on
// first use; playwright-core drives the system Chromium and never downloads a browser).
// Several test processes may call it at once (go test runs packages in parallel): the
// install runs under a file lock, so one process installs and the others wait for it.
// Missing tools fail the test with the fix; they never skip it.
func Browser(t testing.TB) (node, chromium, dir string) {
	t.Helper()
	node = Tool(t, "node", "nodejs")
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("testenv: chromium not found at %s: install it (apt-get install -y chromium, or make deps) or set CHROMIUM", chromium)
	}
	dir = filepath.Join(RepoRoot(t), "web", "e2e")
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("testenv: lock web/e2e for npm ci: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err == nil {
		return node, chromium, dir
	}
	npm := Tool(t, "npm", "npm")
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: npm ci in web/e2e: %v\n%s", err, out)
	}
	return node, chromium, dir
}
