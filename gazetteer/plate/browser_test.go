package plate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fangyuan/internal/testenv"
)

// TestPlatePageInBrowser loads /p/<id> in real headless Chromium (web/e2e/plate.mjs) and
// checks it shows the address. It fails, never skips, when node or chromium is missing.
func TestPlatePageInBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)
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
