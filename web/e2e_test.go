package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestBrowser loads the coverage page in real headless Chromium (web/e2e/e2e.mjs) against
// a server on the demo data, and saves a screenshot (test-results/screenshot.png;
// docs/screenshot.png with FANGYUAN_UPDATE_SCREENSHOT=1). It fails, never skips, when
// node or chromium is missing.
func TestBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)

	env := tilestest.Demo(t)
	planner, _, err := auth.NewStore(env.Pool).CreateToken(dbtest.CLI(), "web.planner", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The screenshot goes to test-results/ (git-ignored); FANGYUAN_UPDATE_SCREENSHOT=1
	// refreshes the one the README shows.
	shot, _ := filepath.Abs(filepath.Join("..", "test-results", "screenshot.png"))
	if os.Getenv("FANGYUAN_UPDATE_SCREENSHOT") != "" {
		shot, _ = filepath.Abs(filepath.Join("..", "docs", "screenshot.png"))
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+env.URL, "FANGYUAN_SCREENSHOT="+shot, "CHROMIUM="+chromium, "FANGYUAN_TOKEN="+planner)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
}
