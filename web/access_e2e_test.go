package web_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"fangyuan/internal/testenv"
	"fangyuan/tiles/tilestest"
)

// TestAccessBrowser opens the coverage page in headless Chromium on the demo data
// (web/e2e/access.mjs): the accessibility toggle draws the E2SFCA image layer, lists the
// townships short of beds in the API's order, follows the decay selector and goes away
// when turned off, with no console error or failed request.
func TestAccessBrowser(t *testing.T) {
	node, chromium, dir := testenv.Browser(t)
	env := tilestest.Demo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "access.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FANGYUAN_URL="+env.URL, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("browser test: %v", err)
	}
}
