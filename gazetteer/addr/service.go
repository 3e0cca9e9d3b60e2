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
	// Seq is the highest change-log seq applied (migration 014); Updated when the last
	// update in place was made (zero: none since the build), UpdateMS how long it took.
	Seq      int64
	Updated  time.Time
	UpdateMS float64
}

// Service holds the current State and swaps in a new one when the gazetteer changes:
// changed rows are applied in place (Update), everything is rebuilt (Reload) at start,
// after a bulk change and when the rows changed in place since the last build pass
// MaxUpdated.
type Service struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	cur    atomic.Pointer[State]
	mu     sync.Mutex // one rebuild or update at a time; guards gen and cursor
	gen    func() uint64
	cursor snapshot.Cursor // how far the change log is applied
	// MaxUpdated bounds the rows changed in place before a full rebuild (the overlay of
	// updates grows with them); MaxBatch the change-log rows applied in one update (more
	// waiting: rebuild). Set before Watch.
	MaxUpdated, MaxBatch int
	// Poll is how often the change log is read without a notification (a node on a
	// replica gets none); Watch's default is 1 s.
	Poll time.Duration
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
	d.IndexIDs()
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
	s := &Service{pool: pool, log: log, MaxUpdated: DefaultMaxUpdated, MaxBatch: DefaultMaxBatch}
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
	return s.reload(ctx)
}

func (s *Service) reload(ctx context.Context) error {
	// The change log's horizon before the load: changes after it are read again (and
	// applied again, harmlessly, when the load has them).
	cursor, err := snapshot.StartCursor(ctx, s.pool)
	if err != nil {
		return err
	}
	var gen uint64
	if s.gen != nil {
		gen = s.gen() // before the load: edits committed later may be missing from it
	}
	st, err := Build(ctx, s.pool)
	if err != nil {
		return err
	}
	st.Gen = gen
	cursor.Seq = max(cursor.Seq, s.cursor.Seq)
	st.Seq = cursor.Seq
	s.cursor = cursor
	s.cur.Store(st)
	s.log.Info("gazetteer indexes built", "divisions", len(st.Data.Units), "roads", len(st.Data.Roads),
		"house_numbers", len(st.Data.Houses), "place_names", len(st.Data.Places), "ms", st.BuildMS)
	return nil
}

// Defaults of Service.MaxUpdated and MaxBatch.
const (
	DefaultMaxUpdated = 200_000
	DefaultMaxBatch   = 20_000
)

// Update applies the changes the change log names since the last build or update to the
// indexes in place and swaps in the new State (readers keep the one they hold). It
// rebuilds everything instead when the log asks for it (a bulk change) or when more rows
// are waiting than MaxBatch or were changed in place than MaxUpdated. It reports whether
// the State changed.
func (s *Service) Update(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	var gen uint64
	if s.gen != nil {
		gen = s.gen() // before the read: every edit counted in it is in the snapshot read
	}
	ch, next, err := snapshot.ReadChanges(ctx, s.pool, s.cursor, max(s.MaxBatch, 1))
	if err != nil {
		return false, err
	}
	st := s.cur.Load()
	if ch.Reload || st.Data.Updated()+ch.Rows > s.MaxUpdated {
		s.log.Info("gazetteer indexes: rebuilding", "change_rows", ch.Rows, "bulk", ch.Reload, "updated_since_build", st.Data.Updated())
		return true, s.reload(ctx)
	}
	s.cursor = next
	if ch.Empty() {
		// Nothing new since the last read: every edit counted in gen (committed before the
		// read) is already in the State, which may still carry an older generation when the
		// store counted its edit only after an earlier Update had applied it.
		if gen > st.Gen {
			ns := *st
			ns.Gen = gen
			s.cur.Store(&ns)
		}
		return false, nil
	}
	nd, dl := st.Data.Apply(ch)
	ns := &State{Data: nd, Built: st.Built, BuildMS: st.BuildMS, HeapMB: st.HeapMB, Gen: max(gen, st.Gen), Seq: next.Seq}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); ns.Locate = st.Locate.Apply(nd, dl) }()
	ns.Search = st.Search.Apply(nd, dl)
	wg.Wait()
	ns.Updated = time.Now()
	ns.UpdateMS = float64(time.Since(start).Microseconds()) / 1000
	s.cur.Store(ns)
	s.log.Debug("gazetteer indexes updated", "change_rows", ch.Rows, "seq", next.Seq, "ms", ns.UpdateMS)
	return true, nil
}

// Watch keeps the indexes current until ctx ends: it applies the change log (Update)
// whenever the gazetteer tables notify (migration 003) and every Poll without a
// notification. Run it in a goroutine.
func (s *Service) Watch(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	snapshot.Follow(ctx, s.pool, poll, s.log, func(ctx context.Context) {
		if _, err := s.Update(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("gazetteer indexes not updated; serving the previous ones", "err", err)
		}
	})
}

// Current is the State to answer from.
func (s *Service) Current() *State { return s.cur.Load() }

// NewStaticService serves a fixed State (tests, benchmarks, command-line tools).
func NewStaticService(st *State) *Service {
	s := &Service{log: slog.Default()}
	s.cur.Store(st)
	return s
}
