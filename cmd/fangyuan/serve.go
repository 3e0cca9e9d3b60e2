package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"fangyuan/coverage"
	"fangyuan/coverage/facility"
	"fangyuan/coverage/popgrid"
	"fangyuan/coverage/runs"
	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/addr"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/tiles"
	"fangyuan/web"
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
	if err := parseFlags(fs, args); err != nil {
		return err
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
	// Background coverage runs live until shutdown.
	runCtx, stopRuns := context.WithCancel(context.Background())
	defer stopRuns()
	srvCfg := serverConfig{Reads: policy, Log: slog.Default(), Registry: prometheus.NewRegistry(), Standards: standards, Runs: runCtx, Basemap: *basemap}
	handler, svc, err := newServer(ctx, pool, srvCfg)
	if err != nil {
		return err
	}
	defer svc.Wait()
	defer stopRuns()
	if *demo {
		if err := loadDemoIfEmpty(ctx, pool, svc); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another fangyuan running? choose another with --listen)", *listen, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	slog.Info("fangyuan serving", "url", "http://"+ln.Addr().String(), "reads", policy, "version", version())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadDemoIfEmpty loads the embedded demo data through the importers on a database
// without divisions.
func loadDemoIfEmpty(ctx context.Context, pool *pgxpool.Pool, svc *runs.Service) error {
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_unit`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		slog.Info("demo data not loaded: the database already holds divisions", "divisions", n)
		return nil
	}
	slog.Info("loading the embedded demo data (first start)")
	start := time.Now()
	ctx = auth.WithPrincipal(ctx, auth.CLI())
	if err := importers.LoadDemo(ctx, pool, data.Demo, os.Stderr); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	slog.Info("running coverage for every facility kind on the demo data")
	if err := svc.RunAllKinds(ctx); err != nil {
		return fmt.Errorf("demo coverage runs: %w", err)
	}
	slog.Info("demo data loaded", "seconds", time.Since(start).Round(time.Millisecond).Seconds())
	return nil
}

// serverConfig is what newServer needs besides the database.
type serverConfig struct {
	Reads     auth.ReadPolicy
	Log       *slog.Logger
	Registry  *prometheus.Registry
	Standards *coverage.Standards
	// Runs bounds the lifetime of background work: coverage runs, index refreshes.
	Runs context.Context
	// Basemap is an optional raster XYZ URL template or local raster .pmtiles file.
	Basemap string
}

// newServer wires the domain packages' routes into one handler.
func newServer(ctx context.Context, pool *pgxpool.Pool, cfg serverConfig) (http.Handler, *runs.Service, error) {
	reg, log := cfg.Registry, cfg.Log
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc, err := runs.NewService(cfg.Runs, pool, cfg.Standards, log)
	if err != nil {
		return nil, nil, err
	}
	authStore := auth.NewStore(pool)
	rt := api.NewRouter(log, &auth.Guard{Store: authStore, Reads: cfg.Reads}, api.NewMetrics(reg))
	gaz := gazetteer.NewStore(pool)
	rt.Handle(gaz.Routes()...)
	rt.Handle(facility.NewStore(pool).Routes(func(code string) (string, error) {
		c, lvl, err := gazetteer.PadCode(code)
		return gazetteer.ShortCode(c, lvl), err
	})...)
	rt.Handle(popgrid.NewStore(pool).Routes()...)
	rt.Handle(svc.Routes()...)
	// Search, address parsing, geocoding and reverse geocoding on in-memory indexes,
	// rebuilt when the gazetteer tables change (NOTIFY from migration 003) until shutdown.
	gz, err := addr.NewService(ctx, pool, log)
	if err != nil {
		return nil, nil, err
	}
	go gz.Watch(cfg.Runs)
	rt.Handle(gz.Routes()...)
	// Vector tiles (cache invalidated by migration 005's change counter) and the web UI.
	ts, err := tiles.New(pool, tiles.Config{Cells: svc, Log: log, Basemap: cfg.Basemap})
	if err != nil {
		return nil, nil, err
	}
	rt.Handle(ts.Routes()...)
	ui := web.Handler()
	rt.Mount("/", ui)
	rt.Mount("/ui/*", ui)
	rt.Handle(authStore.Routes()...)
	rt.Handle(
		api.Route{Method: http.MethodGet, Path: "/healthz", Tag: "service", Summary: "Health: the database answers and the schema is current", Public: true,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
				defer cancel()
				applied, newest, err := db.SchemaVersion(ctx, pool)
				if err != nil {
					return api.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": err.Error()})
				}
				if applied != newest {
					return api.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": fmt.Sprintf("schema at version %d of %d", applied, newest)})
				}
				return api.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "ok", "schema_version": applied})
			}},
		api.Route{Method: http.MethodGet, Path: "/api/version", Tag: "service", Summary: "Service, schema, PostgreSQL and PostGIS versions", Public: true,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var pg, postgis string
				if err := pool.QueryRow(r.Context(), `SELECT current_setting('server_version'), postgis_lib_version()`).Scan(&pg, &postgis); err != nil {
					return err
				}
				applied, _, err := db.SchemaVersion(r.Context(), pool)
				if err != nil {
					return err
				}
				return api.WriteJSON(w, http.StatusOK, map[string]any{"name": "fangyuan", "version": version(), "schema_version": applied, "postgresql": pg, "postgis": postgis})
			}},
	)
	rt.Handle(api.Route{Method: http.MethodGet, Path: "/api/openapi.json", Tag: "service", Summary: "This OpenAPI document", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) error {
			return api.WriteJSON(w, http.StatusOK, rt.OpenAPI("Fangyuan 方圆 API", version()))
		}})
	rt.Mount("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return rt, svc, nil
}
