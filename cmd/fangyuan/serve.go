package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"fangyuan/coverage"
	"fangyuan/coverage/runs"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func cmdServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "serve [flags]")
	listen := fs.String("listen", envOr("FANGYUAN_LISTEN", "localhost:8080"), "address to listen on (env FANGYUAN_LISTEN)")
	reads := fs.String("reads", envOr("FANGYUAN_READS", "open"), "open: reads need no token; token: every request needs one (env FANGYUAN_READS)")
	demo := fs.Bool("demo", false, "load the embedded demo data (and run coverage for every kind) when the database holds no divisions yet")
	basemap := fs.String("basemap", os.Getenv("FANGYUAN_BASEMAP"), "optional basemap: a raster XYZ URL template or a local raster .pmtiles file (env FANGYUAN_BASEMAP)")
	standardsFile := fs.String("standards", os.Getenv("FANGYUAN_STANDARDS"), "service standards file (JSON; default: the built-in standards of DESIGN.md) (env FANGYUAN_STANDARDS)")
	publicURL := fs.String("public-url", os.Getenv("FANGYUAN_PUBLIC_URL"), "base URL the plates' QR codes point to, <public-url>/p/<id> (env FANGYUAN_PUBLIC_URL; default http://<listen>)")
	readURL := fs.String("read-url", os.Getenv("FANGYUAN_READ_URL"), "URL of a streaming replica (fangyuan db replica) to answer reads from; writes go to the primary (FANGYUAN_DATABASE_URL) (env FANGYUAN_READ_URL)")
	readWait := fs.Duration("read-wait", app.DefaultReadWait, "with --read-url: how long a write's answer waits for the replica to replay it")
	node := fs.String("node-id", os.Getenv("FANGYUAN_NODE_ID"), "this node's name in the coverage run queue (env FANGYUAN_NODE_ID; default hostname:pid)")
	lease := fs.Duration("run-lease", runs.DefaultLease, "how long a claimed coverage run stays with this node without a heartbeat; a run whose node died is taken up again after it")
	changeKeep := fs.Duration("change-retention", snapshot.ChangeRetention, "how long the gazetteer change log keeps its rows (pruned hourly; must exceed 24h; negative: never pruned)")
	heartbeat := fs.Duration("run-heartbeat", runs.DefaultHeartbeat, "how often the lease of a running coverage run is renewed (below --run-lease)")
	runQueue := fs.Int("run-queue", runs.DefaultQueueLimit, "most coverage runs queued or running at once on all nodes (beyond: 429)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *heartbeat >= *lease || *heartbeat <= 0 {
		return fmt.Errorf("%w: --run-heartbeat %v must be positive and shorter than --run-lease %v", errUsage, *heartbeat, *lease)
	}
	policy, err := auth.ParseReadPolicy(*reads)
	if err != nil {
		return fmt.Errorf("%w: --reads: %v", errUsage, err)
	}
	standards := coverage.DefaultStandards()
	if *standardsFile != "" {
		if standards, err = coverage.LoadStandards(*standardsFile); err != nil {
			return err
		}
	}
	pool, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	readPool, err := openReadDB(ctx, *readURL)
	if err != nil {
		return err
	}
	if readPool != nil {
		defer readPool.Close()
	}
	srv, err := app.New(ctx, pool, app.Config{ReadPool: readPool, ReadWait: *readWait, Reads: policy, Log: slog.Default(), Standards: standards, Basemap: *basemap, Version: version(),
		PublicURL: cmp.Or(*publicURL, "http://"+*listen), RunQueue: *runQueue, ChangeRetention: *changeKeep,
		Queue: runs.QueueOptions{Node: *node, Lease: *lease, Heartbeat: *heartbeat}})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *demo {
		if err := srv.LoadDemoIfEmpty(ctx, slog.Default(), os.Stderr); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another fangyuan running? choose another with --listen)", *listen, err)
	}
	slog.Info("fangyuan serving", "url", "http://"+ln.Addr().String(), "reads", policy, "version", version(), "node", srv.Runs.Node())
	err = srv.Serve(ctx, ln)
	slog.Info("shut down")
	return err
}
