package addr

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

// State is one generation of the in-memory gazetteer: the snapshot and the indexes built
// from it. A request takes the current State once and uses it throughout.
type State struct {
	Data    *snapshot.Data
	Search  *search.Index
	Locate  *locate.Index
	Built   time.Time
	BuildMS int64
	HeapMB  float64 // heap in use after the build (all generations alive at that moment)
	// Gen is the division store's write generation read before the load began
	// (SetWriteGeneration): every edit counted in it is in Data.
	Gen uint64
}

// Service holds the current State and swaps in a new one when the gazetteer changes.
type Service struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	cur  atomic.Pointer[State]
	mu   sync.Mutex // one rebuild at a time; guards gen
	gen  func() uint64
}

// SetWriteGeneration gives the Service the write generation of the division store
// (gazetteer.Store.WriteGeneration): each rebuild reads it before loading and keeps it in
// State.Gen, so that the store can tell whether a State holds its latest edit.
func (s *Service) SetWriteGeneration(gen func() uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen = gen
}

// Build loads the gazetteer and builds the indexes.
func Build(ctx context.Context, pool *pgxpool.Pool) (*State, error) {
	start := time.Now()
	d, err := snapshot.Load(ctx, pool)
	if err != nil {
		return nil, err
	}
	st := &State{Data: d, Built: time.Now()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); st.Locate = locate.New(d) }()
	st.Search = search.New(d)
	wg.Wait()
	st.BuildMS = time.Since(start).Milliseconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.HeapMB = float64(ms.HeapInuse) / (1 << 20)
	return st, nil
}

// NewService builds the first State from pool. Call Watch to keep it current.
func NewService(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{pool: pool, log: log}
	if err := s.Reload(ctx); err != nil {
		return nil, fmt.Errorf("gazetteer indexes: %w", err)
	}
	return s, nil
}

// Reload rebuilds the indexes from the database and swaps them in atomically; requests in
// flight finish on the old ones.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gen uint64
	if s.gen != nil {
		gen = s.gen() // before the load: edits committed later may be missing from it
	}
	st, err := Build(ctx, s.pool)
	if err != nil {
		return err
	}
	st.Gen = gen
	s.cur.Store(st)
	s.log.Info("gazetteer indexes built", "divisions", len(st.Data.Units), "roads", len(st.Data.Roads),
		"house_numbers", len(st.Data.Houses), "place_names", len(st.Data.Places), "ms", st.BuildMS)
	return nil
}

// Watch rebuilds the indexes whenever the gazetteer tables change (migration 003's
// NOTIFY), until ctx ends. Run it in a goroutine.
// A burst that changed house numbers only (an editor assigning one) is handled after
// HouseQuiet by ReloadHouses, so that a new number is searchable well within a second;
// any other change waits for Quiet and rebuilds everything.
func (s *Service) Watch(ctx context.Context) {
	quiet := func(t snapshot.Tables) time.Duration {
		if t.Only("house_number") {
			return HouseQuiet
		}
		return Quiet
	}
	snapshot.ListenTables(ctx, s.pool, quiet, s.log, func(ctx context.Context, t snapshot.Tables) {
		reload := s.Reload
		if t.Only("house_number") {
			reload = s.ReloadHouses
		}
		if err := reload(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("gazetteer indexes not rebuilt; serving the previous ones", "err", err)
		}
	})
}

// The quiet times of Watch: how long a burst of change notifications must have been
// quiet before the indexes are rebuilt.
const (
	Quiet      = 500 * time.Millisecond
	HouseQuiet = 100 * time.Millisecond
)

// ReloadHouses rebuilds the indexes after a change of house numbers alone: the house
// numbers are read anew, the divisions, roads and place names (and their search keys)
// are kept from the current State.
func (s *Service) ReloadHouses(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cur.Load()
	start := time.Now()
	d, err := prev.Data.WithHouses(ctx, s.pool)
	if err != nil {
		return err
	}
	st := &State{Data: d, Built: time.Now(), Gen: prev.Gen} // the divisions are prev's
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); st.Locate = locate.New(d) }()
	st.Search = prev.Search.WithHouses(d)
	wg.Wait()
	st.BuildMS = time.Since(start).Milliseconds()
	st.HeapMB = prev.HeapMB
	s.cur.Store(st)
	s.log.Info("gazetteer house numbers reloaded", "house_numbers", len(d.Houses), "ms", st.BuildMS)
	return nil
}

// Current is the State to answer from.
func (s *Service) Current() *State { return s.cur.Load() }

// NewStaticService serves a fixed State (tests, benchmarks, command-line tools).
func NewStaticService(st *State) *Service {
	s := &Service{log: slog.Default()}
	s.cur.Store(st)
	return s
}
