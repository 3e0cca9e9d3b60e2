package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"fangyuan/coverage"
	"fangyuan/coverage/facility"
	"fangyuan/coverage/popgrid"
	"fangyuan/coverage/runs"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/gazetteer/divchange"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/gazetteer/placename"
	"fangyuan/gazetteer/plate"
	"fangyuan/internal/api"
	"fangyuan/ogcapi"
	"fangyuan/tiles"
)

// Read replicas (只读副本). With Config.ReadPool set (fangyuan serve --read-url), a node
// answers reads — every GET and HEAD of the route table whose domain package it can
// build on the replica: search, reverse geocoding and the other in-memory gazetteer
// answers, tiles, OGC API GETs, coverage GETs, divisions, place names, house numbers,
// plates — from a pool on a streaming standby, and sends every write, and the token
// checks, to the primary.
//
// Change feed: a node learns of changes only from tables written in the same transaction
// as the change, which the standby replays like every other row: the gazetteer indexes
// follow gazetteer_change (migration 014) by xid horizon, polling every ReplicaPoll (NOTIFY
// does not reach a standby); the tile cache keys each tile by tile_epoch (migration 005),
// read from the replica in every tile request; coverage results are rows read from the
// replica. So a node on a replica is exactly as current as the replica.
//
// Read-your-writes: a write's answer carries X-Fangyuan-LSN, the primary's WAL insert
// position after the write committed, and is held back (at most Config.ReadWait, default 2 s) until
// the replica has replayed that position and the node's gazetteer indexes have applied
// the change log up to it; X-Fangyuan-Replica says "replayed". When the bound passes
// first, the answer says "behind" and sets the cookie fangyuan_lsn: a read that sends the
// LSN back (the cookie, or the header X-Fangyuan-LSN) is answered by the primary while
// the replica has not replayed it (X-Fangyuan-Read: primary), by the replica otherwise.

// Defaults of the replica settings.
const (
	// DefaultReadWait bounds how long a write's answer waits for the replica.
	DefaultReadWait = 2 * time.Second
	// ReplicaPoll is how often a node on a replica reads the change log.
	ReplicaPoll = 200 * time.Millisecond
	// LSNHeader carries a write's commit position (answer) or the position a read must
	// see (request).
	LSNHeader = "X-Fangyuan-LSN"
	// LSNCookie carries the position when the write's answer could not wait for it.
	LSNCookie = "fangyuan_lsn"
)

// replica is the read side of a node with Config.ReadPool.
type replica struct {
	primary, pool  *pgxpool.Pool
	runs           *runs.Service // read-only: serves coverage GETs and the cells layer from the replica
	wait           time.Duration
	log            *slog.Logger
	gazetteer      func(context.Context) // applies the change log to the in-memory indexes
	standby        bool                  // the read pool is a server in recovery
	block, segment uint64                // the primary's wal_block_size and wal_segment_size
}

// newReplica returns nil without a read pool.
func newReplica(ctx context.Context, primary *pgxpool.Pool, cfg Config, standards *coverage.Standards, log *slog.Logger) (*replica, error) {
	if cfg.ReadPool == nil {
		return nil, nil
	}
	r := &replica{primary: primary, pool: cfg.ReadPool, wait: cfg.ReadWait, log: log}
	if r.wait <= 0 {
		r.wait = DefaultReadWait
	}
	if err := r.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&r.standby); err != nil {
		return nil, fmt.Errorf("read database: %w", err)
	}
	if !r.standby {
		log.Warn("the read database (--read-url) is not a standby; reads go to it without waiting for replication")
	}
	if err := primary.QueryRow(ctx, `SELECT current_setting('wal_block_size')::bigint, pg_size_bytes(current_setting('wal_segment_size'))::bigint`).Scan(&r.block, &r.segment); err != nil {
		return nil, fmt.Errorf("WAL settings of the primary: %w", err)
	}
	r.runs = runs.NewReader(r.pool, standards, log)
	return r, nil
}

// readPool is the pool reads use: the replica's, else the primary's.
func (s *Server) readPool() *pgxpool.Pool {
	if s.replica != nil {
		return s.replica.pool
	}
	return s.Pool
}

// cellSource draws the cells tile layer: from the replica when there is one.
func (s *Server) cellSource() tiles.CellSource {
	if s.replica != nil {
		return s.replica.runs
	}
	return s.Runs
}

// replicated returns the route table as it is served: unchanged without a replica, else
// with the GET routes of the read side (the same domain packages built on the read pool)
// in place of the primary's, the writes made to wait for the replica, and GET
// /api/status. A route the read side lacks stays on the primary.
func (s *Server) replicated(cfg Config, table [][]api.Route) [][]api.Route {
	status := []api.Route{{Method: http.MethodGet, Path: "/api/status", Tag: "service", Public: true,
		Summary:     "Replication status: the read replica's replay position and lag (bytes, seconds), the change feed's position",
		Description: "replica is null when the node reads from the primary (no --read-url).",
		Handler:     s.handleStatus}}
	if s.replica == nil {
		return append(table, status)
	}
	rp := s.replica.pool
	rd := gazetteer.NewStore(rp)
	rd.SetUnitSource(s.Gazetteer)
	places, err := placename.Open(rp)
	if err != nil {
		places = placename.NewStore(rp) // Open failed for the primary already
	}
	rr := s.replica.runs
	read := [][]api.Route{
		rd.Routes(),
		divchange.NewStore(rp).Routes(),
		places.Routes(),
		housenumber.NewStore(rp).Routes(shortCode),
		facility.NewStore(rp).Routes(shortCode),
		boundary.NewStore(rp).Routes(),
		popgrid.NewStore(rp).Routes(),
		rr.Routes(),
		plate.NewStore(rp, publicURL(cfg)).Routes(),
		ogcapi.New(gazetteer.NewStore(rp).Collections(), facility.NewStore(rp).Collections(), rr,
			places.Collections(), housenumber.NewStore(rp).Collections(), boundary.NewStore(rp).Collections()).Routes(),
	}
	readers := map[string]api.HandlerFunc{}
	// Built on the read pool already (New): the gazetteer's in-memory answers and tiles.
	onReplica := map[string]bool{}
	for _, routes := range [][]api.Route{s.Gazetteer.Routes(), s.Tiles.Routes()} {
		for _, rt := range routes {
			onReplica[rt.Method+" "+rt.Path] = true
		}
	}
	for _, routes := range read {
		for _, rt := range routes {
			if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
				readers[rt.Method+" "+rt.Path] = rt.Handler
			}
		}
	}
	out := make([][]api.Route, 0, len(table)+1)
	for _, routes := range table {
		group := make([]api.Route, len(routes))
		for i, rt := range routes {
			switch {
			case onReplica[rt.Method+" "+rt.Path] && (rt.Method == http.MethodGet || rt.Method == http.MethodHead):
				rt.Handler = fromReplica(rt.Handler)
			case rt.Method == http.MethodGet || rt.Method == http.MethodHead:
				if h, ok := readers[rt.Method+" "+rt.Path]; ok {
					rt.Handler = s.replica.read(h, rt.Handler)
				}
			default:
				rt.Handler = s.replica.write(rt.Handler)
			}
			group[i] = rt
		}
		out = append(out, group)
	}
	return append(out, status)
}

// read answers from the replica, or from the primary while the replica has not replayed
// the position the client sent (its own write's).
func (r *replica) read(onReplica, onPrimary api.HandlerFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) error {
		if want, ok := requestLSN(req); ok && r.standby {
			replayed, err := r.replayed(req.Context(), want)
			if err != nil || !replayed {
				w.Header().Set("X-Fangyuan-Read", "primary")
				return onPrimary(w, req)
			}
		}
		w.Header().Set("X-Fangyuan-Read", "replica")
		return onReplica(w, req)
	}
}

// fromReplica marks the answers of a handler that reads only from the replica (the
// in-memory gazetteer follows the replica's change log; tiles are drawn from it).
func fromReplica(h api.HandlerFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) error {
		w.Header().Set("X-Fangyuan-Read", "replica")
		return h(w, req)
	}
}

// requestLSN is the position a read asks for: the header, else the cookie.
func requestLSN(req *http.Request) (uint64, bool) {
	v := req.Header.Get(LSNHeader)
	if v == "" {
		if c, err := req.Cookie(LSNCookie); err == nil {
			v = c.Value
		}
	}
	if v == "" {
		return 0, false
	}
	lsn, err := ParseLSN(v)
	return lsn, err == nil
}

// write runs a write on the primary and holds its answer until the replica has replayed it.
func (r *replica) write(h api.HandlerFunc) api.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) error {
		return h(&lsnWriter{ResponseWriter: w, r: r, ctx: req.Context()}, req)
	}
}

// lsnWriter waits for the replica when the handler starts a successful answer (after it
// committed).
type lsnWriter struct {
	http.ResponseWriter
	r     *replica
	ctx   context.Context
	ready bool
}

func (w *lsnWriter) WriteHeader(code int) {
	w.before(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *lsnWriter) Write(b []byte) (int, error) {
	w.before(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

func (w *lsnWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *lsnWriter) Flush() {
	w.before(http.StatusOK)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *lsnWriter) before(code int) {
	if w.ready {
		return
	}
	w.ready = true
	if code >= 400 {
		return
	}
	lsn, replayed, err := w.r.catchUp(w.ctx)
	if err != nil {
		w.r.log.WarnContext(w.ctx, "read-your-writes: replica position unknown", "err", err, "request_id", api.RequestID(w.ctx))
		return
	}
	h := w.Header()
	h.Set(LSNHeader, FormatLSN(lsn))
	if replayed {
		h.Set("X-Fangyuan-Replica", "replayed")
		return
	}
	h.Set("X-Fangyuan-Replica", "behind")
	http.SetCookie(w.ResponseWriter, &http.Cookie{Name: LSNCookie, Value: FormatLSN(lsn), Path: "/", MaxAge: 300, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// catchUp reads the primary's WAL position and waits (at most r.wait) until the replica
// has replayed it and the gazetteer indexes have applied the change log it carries. The
// position is the insert position: with synchronous_commit off the write position
// (pg_current_wal_lsn) may still lie before the commit record of the write just answered.
func (r *replica) catchUp(ctx context.Context) (lsn uint64, replayed bool, err error) {
	var s string
	if err := r.primary.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&s); err != nil {
		return 0, false, err
	}
	if lsn, err = ParseLSN(s); err != nil {
		return 0, false, err
	}
	if !r.standby {
		return lsn, true, nil
	}
	target := recordEnd(lsn, r.block, r.segment)
	wctx, cancel := context.WithTimeout(ctx, r.wait)
	defer cancel()
	for {
		ok, err := r.replayed(wctx, target)
		if err == nil && ok {
			break
		}
		select {
		case <-wctx.Done():
			return lsn, false, nil
		case <-time.After(5 * time.Millisecond):
		}
	}
	if r.gazetteer != nil {
		r.gazetteer(wctx)
	}
	return lsn, true, nil
}

// recordEnd is where the last record before the insert position lsn ends: an insert
// position at the start of a WAL page points past the page header (24 bytes, 40 at the
// start of a segment), while the standby's replay position stays at the end of the record
// before it until the next record arrives.
func recordEnd(lsn, block, segment uint64) uint64 {
	const short, long = 24, 40 // SizeOfXLogShortPHD, SizeOfXLogLongPHD
	switch {
	case segment > 0 && lsn%segment == long:
		return lsn - long
	case block > 0 && lsn%block == short:
		return lsn - short
	}
	return lsn
}

// replayed reports whether the replica has replayed the WAL up to lsn.
func (r *replica) replayed(ctx context.Context, lsn uint64) (bool, error) {
	var ok bool
	err := r.pool.QueryRow(ctx, `SELECT coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, true)`, FormatLSN(lsn)).Scan(&ok)
	return ok, err
}

// ReplicaStatus is the read replica's state in GET /api/status.
type ReplicaStatus struct {
	Standby    bool    `json:"standby"` // the read database is in recovery
	PrimaryLSN string  `json:"primary_lsn"`
	ReplayLSN  string  `json:"replay_lsn"`
	ReceiveLSN string  `json:"receive_lsn"`
	LagBytes   int64   `json:"lag_bytes"`   // primary position minus replayed position
	LagSeconds float64 `json:"lag_seconds"` // since the last replayed commit, 0 when everything received is replayed
	Streaming  bool    `json:"streaming"`   // the WAL receiver streams from the primary
}

// Status measures the replica (nil without one).
func (r *replica) Status(ctx context.Context) (*ReplicaStatus, error) {
	if r == nil {
		return nil, nil
	}
	st := &ReplicaStatus{}
	var primary string
	if err := r.primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&primary); err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	var replay, receive *string
	err := r.pool.QueryRow(ctx, sqlReplicaStatus).Scan(&st.Standby, &replay, &receive, &st.LagSeconds, &st.Streaming)
	if err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	st.PrimaryLSN = primary
	if replay == nil { // not a standby: the replica is the primary's own position
		replay = &primary
	}
	st.ReplayLSN = *replay
	if receive != nil {
		st.ReceiveLSN = *receive
	}
	p, err1 := ParseLSN(primary)
	q, err2 := ParseLSN(*replay)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if p > q {
		st.LagBytes = int64(p - q)
	}
	return st, nil
}

const sqlReplicaStatus = `
SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, pg_last_wal_receive_lsn()::text,
  CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
       ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8,
  EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')`

// handleStatus answers GET /api/status.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	rs, err := s.replica.Status(ctx)
	if err != nil {
		return api.Unavailable("replication status: %v", err)
	}
	out := map[string]any{"status": "ok", "replica": rs, "read_wait_ms": 0}
	if s.replica != nil {
		out["read_wait_ms"] = s.replica.wait.Milliseconds()
	}
	if st := s.Gazetteer.Current(); st != nil {
		out["change_feed"] = map[string]any{"gazetteer_seq": st.Seq, "gazetteer_updated": st.Updated}
	}
	return api.WriteJSON(w, http.StatusOK, out)
}

// registerReplicaMetrics adds the replication lag gauges, measured at each scrape.
func (s *Server) registerReplicaMetrics(reg *prometheus.Registry) {
	if s.replica == nil {
		return
	}
	measure := func(f func(*ReplicaStatus) float64) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			st, err := s.replica.Status(ctx)
			if err != nil || st == nil {
				return -1
			}
			return f(st)
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fangyuan_replica_lag_bytes",
			Help: "WAL bytes the read replica has not replayed yet (-1: unknown)"},
			measure(func(st *ReplicaStatus) float64 { return float64(st.LagBytes) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "fangyuan_replica_lag_seconds",
			Help: "Seconds since the last commit the read replica replayed, 0 when it has replayed all it received (-1: unknown)"},
			measure(func(st *ReplicaStatus) float64 { return st.LagSeconds })),
	)
}

// ParseLSN parses a WAL position as PostgreSQL prints it (16/B374D848).
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("WAL position %q: want HEX/HEX", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("WAL position %q: want HEX/HEX", s)
	}
	return h<<32 | l, nil
}

// FormatLSN prints a WAL position as PostgreSQL does.
func FormatLSN(lsn uint64) string {
	return strings.ToUpper(strconv.FormatUint(lsn>>32, 16) + "/" + strconv.FormatUint(lsn&0xFFFFFFFF, 16))
}

func publicURL(cfg Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://localhost:8080"
}
