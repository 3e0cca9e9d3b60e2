package plate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestPlatePageInBrowser loads /p/<id> in real headless Chromium (web/e2e/plate.mjs) and
// checks it shows the address. It fails, never skips, when node or chromium is missing.
func TestPlatePageInBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: install Node.js 18+ (apt-get install -y nodejs npm)")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium not found at %s: install it (apt-get install -y chromium, or make deps) or set CHROMIUM", chromium)
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "web", "e2e"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm not found: install it (apt-get install -y npm) to fetch playwright-core")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in web/e2e: %v\n%s", err, out)
		}
	}
	e := setup(t)
	p := e.issue(t, e.hn[5], "2026-10-01")
	shot, _ := filepath.Abs(filepath.Join("..", "..", "test-results", "plate-page.png"))
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "plate.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+e.url, "FANGYUAN_PLATE="+p.ID, "CHROMIUM="+chromium,
		"FANGYUAN_ADDRESS=浙江省丽水市莲都区紫金街道中山路6号之一", "FANGYUAN_SCREENSHOT="+shot)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
}
