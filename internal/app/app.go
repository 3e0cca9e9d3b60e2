// Package app builds the whole HTTP service of Fangyuan — every domain package's routes,
// the web UI, health, version, the OpenAPI document and the metrics — in one place:
// `fangyuan serve`, the tests and the benchmarks all serve what New returns.
//
// Adding a domain package's endpoints is one line in New's route table.
package app

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"fangyuan/coverage"
	"fangyuan/coverage/access"
	"fangyuan/coverage/facility"
	"fangyuan/coverage/plan"
	"fangyuan/coverage/popgrid"
	"fangyuan/coverage/runs"
	"fangyuan/coverage/scenario"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/boundary"
	"fangyuan/gazetteer/divchange"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/gazetteer/placename"
	"fangyuan/gazetteer/plate"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/ogcapi"
	"fangyuan/tiles"
	"fangyuan/tiles/glyphs"
	"fangyuan/web"
)

// Config is what New needs besides the database. The zero value serves open reads with
// the built-in standards, logging nowhere.
type Config struct {
	Reads auth.ReadPolicy // open (default) or token
	// Log receives request logs and warnings; nil discards them.
	Log *slog.Logger
	// Registry receives the metrics /metrics serves; nil makes a new one.
	Registry *prometheus.Registry
	// Standards are the service standards of coverage runs; nil means the built-in ones.
	Standards *coverage.Standards
	// Basemap is an optional raster XYZ URL template or local raster .pmtiles file.
	Basemap string
	// Version is the service version /api/version and the API document report.
	Version string
	// RunQueue bounds the coverage runs queued or running at once; 0 means
	// runs.DefaultQueueLimit. Beyond it POST /api/coverage/runs answers 429.
	RunQueue int
	// ReadPool, when set (fangyuan serve --read-url), is a pool on a streaming replica that
	// reads are answered from (replica.go); ReadWait bounds how long a write's answer waits
	// for the replica to replay it (0: DefaultReadWait).
	ReadPool *pgxpool.Pool
	ReadWait time.Duration
	// Queue names this node and sets the lease of the coverage runs it claims
	// (coverage/runs/queue.go); zero values take the defaults.
	Queue runs.QueueOptions
	// HTTP server timeouts of HTTPServer and Serve; zero values take ReadTimeout,
	// WriteTimeout and IdleTimeout.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	PublicURL                              string // base of the plates' QR URLs (<PublicURL>/p/<id>); "" is http://localhost:8080
	// ChangeRetention is how long the gazetteer change log (变更日志) keeps its rows: every
	// hour the node deletes older ones (0: snapshot.ChangeRetention, 7 days; negative: never).
	ChangeRetention time.Duration
}

// Server is the wired service.
type Server struct {
	Router    *api.Router
	Pool      *pgxpool.Pool
	Runs      *runs.Service
	Tiles     *tiles.Server
	Gazetteer *addr.Service // in-memory search, parsing and geocoding indexes
	Divisions *gazetteer.Store
	Registry  *prometheus.Registry

	cfg     Config
	replica *replica // the read side with Config.ReadPool (replica.go), else nil
	stop    context.CancelFunc
	bg      sync.WaitGroup
	once    sync.Once
}

// New wires every route on pool. ctx bounds the start (building the in-memory gazetteer
// indexes); background work (coverage runs, index rebuilds on NOTIFY) lives until Close.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Server, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	standards := cfg.Standards
	if standards == nil {
		standards = coverage.DefaultStandards()
	}
	if cfg.Version == "" {
		cfg.Version = "devel"
	}
	bg, stop := context.WithCancel(context.Background())
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = ReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = WriteTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = IdleTimeout
	}
	s := &Server{Pool: pool, Registry: reg, cfg: cfg, stop: stop}
	fail := func(err error) (*Server, error) { s.Close(); return nil, err }

	var err error
	if s.Runs, err = runs.NewServiceWith(bg, pool, standards, log, cfg.Queue); err != nil {
		return fail(err)
	}
	s.Runs.SetQueueLimit(cfg.RunQueue)
	planner := plan.NewService(pool, standards)
	s.Runs.SetSiteSource(planSites(s.Runs, planner))
	if s.replica, err = newReplica(ctx, pool, cfg, standards, log); err != nil {
		return fail(err)
	}
	// Search, address parsing, geocoding and reverse geocoding on in-memory indexes,
	// rebuilt when the gazetteer tables change (NOTIFY from migration 003).
	if s.Gazetteer, err = addr.NewService(ctx, s.readPool(), log); err != nil {
		return fail(err)
	}
	if s.replica != nil {
		s.Gazetteer.Poll = ReplicaPoll // no NOTIFY reaches a standby
		s.replica.gazetteer = func(ctx context.Context) { s.Gazetteer.Update(ctx) }
		s.registerReplicaMetrics(reg)
	}
	s.bg.Add(2)
	go func() { defer s.bg.Done(); s.Gazetteer.Watch(bg) }()
	go func() { defer s.bg.Done(); pruneChanges(bg, pool, cfg.ChangeRetention, log) }()
	// Vector tiles (cache invalidated by migration 005's change counter).
	if s.Tiles, err = tiles.New(s.readPool(), tiles.Config{Cells: s.cellSource(), Log: log, Basemap: cfg.Basemap}); err != nil {
		return fail(err)
	}

	// Place names (地名); the name check's disallowed words: $FANGYUAN_PLACENAME_WORDS, else
	// the built-in list.
	places, err := placename.Open(pool)
	if err != nil {
		return fail(err)
	}

	authStore := auth.NewStore(pool)
	rt := api.NewRouter(log, &auth.Guard{Store: authStore, Reads: cfg.Reads}, api.NewMetrics(reg))
	s.Router = rt
	svc := service{pool: pool, version: cfg.Version, router: rt, registry: reg, log: log}

	// Division lookups by code (without geometry) from the in-memory gazetteer while it
	// holds this server's latest division edit, else from PostGIS (read-your-writes).
	divisions := gazetteer.NewStore(pool)
	divisions.SetUnitSource(s.Gazetteer)
	s.Gazetteer.SetWriteGeneration(divisions.WriteGeneration)
	s.Divisions = divisions

	// The route table: one line per domain package.
	for _, routes := range s.replicated(cfg, [][]api.Route{
		divisions.Routes(),
		divchange.NewStore(pool).Routes(), // 区划代码年度更新 change reports
		places.Routes(),
		housenumber.NewStore(pool).Routes(shortCode),
		facility.NewStore(pool).WithStandards(standards).Routes(shortCode), // kinds: the standards in force
		boundary.NewStore(pool).Routes(),
		popgrid.NewStore(pool).Routes(),
		s.Runs.Routes(),
		planner.Routes(),                           // 选址建议 POST /api/plans
		access.NewService(s.Runs).Routes(),         // 可及性 (E2SFCA) /api/coverage/access
		scenario.NewService(pool, s.Runs).Routes(), // what-if scenarios (规划情景) on the runs' inputs
		s.Gazetteer.Routes(),
		s.Tiles.Routes(),
		glyphs.New(glyphs.Config{Log: log}).Routes(), // /fonts/{fontstack}/{range}.pbf: map label glyphs
		authStore.Routes(),
		plate.NewStore(pool, cmp.Or(cfg.PublicURL, "http://localhost:8080")).WithStandards(standards).Routes(), // 数字门牌 and /p/{id}
		ogcapi.New(gazetteer.NewStore(pool).Collections(), facility.NewStore(pool).WithStandards(standards).Collections(), s.Runs,
			places.Collections(), housenumber.NewStore(pool).Collections(), boundary.NewStore(pool).Collections()).Routes(), // OGC API – Features under /ogc
		svc.routes(), // /healthz, /api/version, /api/openapi.json, /metrics
	}) { // with a read replica: GETs from it, writes wait for it (replica.go)
		rt.Handle(routes...)
	}
	// The embedded web UI.
	ui := web.Handler()
	rt.Mount("/", ui)
	rt.Mount("/ui/*", ui)
	return s, nil
}

// shortCode turns a 2–12 digit division code into the prefix form facilities filter by.
func shortCode(code string) (string, error) {
	c, lvl, err := gazetteer.PadCode(code)
	return gazetteer.ShortCode(c, lvl), err
}

// ServeHTTP serves the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Router.ServeHTTP(w, r) }

// Close stops the background work (a coverage run being executed goes back to the queue, the index
// watcher ends) and waits for it. The pool stays open: it belongs to the caller.
func (s *Server) Close() {
	s.once.Do(func() {
		s.stop()
		s.bg.Wait()
		if s.Runs != nil {
			s.Runs.Wait()
		}
	})
}

// HTTP server timeouts. Streaming and download handlers extend theirs with
// api.ExtendDeadlines.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = time.Minute     // the whole request, body included
	WriteTimeout      = 2 * time.Minute // from the end of the request headers to the end of the answer
	IdleTimeout       = 2 * time.Minute // keep-alive connections between requests
)

// HTTPServer returns an http.Server for s with the read, write and idle timeouts set.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(ReadHeaderTimeout, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves s on ln until ctx ends, then shuts down gracefully (in-flight requests get
// up to 10 s).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != http.ErrServerClosed {
		return err
	}
	return nil
}

// pruneChanges deletes the gazetteer change-log rows older than keep (0: the default
// retention; negative: never) now and every hour until ctx ends.
func pruneChanges(ctx context.Context, pool *pgxpool.Pool, keep time.Duration, log *slog.Logger) {
	if keep < 0 {
		return
	}
	if keep == 0 {
		keep = snapshot.ChangeRetention
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := snapshot.PruneChanges(ctx, pool, keep)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("gazetteer change log not pruned", "err", err)
		case n > 0:
			log.Info("gazetteer change log pruned", "rows", n, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
