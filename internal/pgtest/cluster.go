package pgtest

import (
	"bytes"
	"context"
	mathrand "math/rand/v2"
	"os"
	"testing"
	"time"

	"fangyuan/internal/pgcluster"
)

// Cluster is a throwaway PostgreSQL + PostGIS cluster of one test, apart from the shared
// one: a test may stop and start it (database outages) without disturbing other tests.
type Cluster struct {
	*pgcluster.Cluster
	// URL is the fangyuan database of the cluster (superuser), with PostGIS available.
	URL string
}

// NewCluster starts a cluster of its own for t in a temporary home, and deletes it when t
// ends (a watchdog deletes it also when the test process dies). It takes a few seconds;
// use NewDatabase unless the test must stop the server.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	home, err := os.MkdirTemp("", "fangyuan-pgtest-own-")
	if err != nil {
		t.Fatalf("pgtest: temporary home: %v", err)
	}
	if err := os.Chmod(home, 0o755); err != nil {
		os.RemoveAll(home)
		t.Fatalf("pgtest: temporary home: %v", err)
	}
	c := pgcluster.OpenWith(home, pgcluster.Options{Throwaway: true, Port: 51000 + mathrand.IntN(3000)})
	var log bytes.Buffer
	if err := c.Up(ctx, &log); err != nil {
		c.Destroy(ctx)
		os.RemoveAll(home)
		t.Fatalf("pgtest: start a cluster of the test's own: %v\n%s", err, lastLines(log.String(), 30))
	}
	cmd, pipe, err := reaper(ctx, c, home)
	if err != nil {
		c.Destroy(ctx)
		os.RemoveAll(home)
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Destroy(ctx); err != nil {
			t.Errorf("pgtest: delete the test's cluster: %v", err)
		}
		os.RemoveAll(home)
		cmd.Process.Kill()
		cmd.Wait()
		pipe.Close()
	})
	u, err := c.URL()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := checkPostGIS(ctx, u); err != nil {
		t.Fatalf("pgtest: cluster in %s: %v", home, err)
	}
	return &Cluster{Cluster: c, URL: u}
}
