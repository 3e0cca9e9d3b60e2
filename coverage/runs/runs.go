// Package runs executes coverage runs (覆盖分析) on the engine of package coverage with
// inputs from PostGIS — a population grid, the divisions' boundaries as of a date and the
// facilities of a kind — and keeps each run with its parameters, an inputs fingerprint,
// its progress and its results. It owns the coverage_run tables, their SQL and the
// /api/coverage/runs handlers.
package runs

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/coverage"
	"fangyuan/coverage/network"
	"fangyuan/coverage/popgrid"
	"fangyuan/geo"
	"fangyuan/internal/auth"
)

// Params are what a planner chooses for a run; zero values take the defaults.
type Params struct {
	Kind    string    `json:"kind"`
	RadiusM float64   `json:"radius_m,omitempty"` // default: the kind's standard
	GridID  int64     `json:"grid_id,omitempty"`  // default: the newest grid
	Layer   string    `json:"layer,omitempty"`    // default: the kind's layer
	AsOf    time.Time `json:"as_of"`              // default: today
	// Reach is "straight" (the radius, the default) or "travel" (the kind's
	// travel minutes over the road network stored by fangyuan import osm).
	Reach string `json:"reach,omitempty"`
}

// Progress is how far a run is.
type Progress struct {
	Stage    string  `json:"stage"`
	Fraction float64 `json:"fraction"`
}

// Summary is the headline of a finished run.
type Summary struct {
	Population      float64  `json:"population"`
	Covered         float64  `json:"covered"`
	Share           float64  `json:"share"`
	Target          float64  `json:"target"`
	GridTotal       float64  `json:"grid_total"`
	Townships       int      `json:"townships"`
	Flagged         int      `json:"flagged"`
	Villages        int      `json:"villages"`
	VillagesFlagged int      `json:"villages_flagged"`
	Operating       int      `json:"operating"`
	Planned         int      `json:"planned"`
	Closed          int      `json:"closed"`
	Outside         int      `json:"outside"`
	Reach           string   `json:"reach"`
	Notes           []string `json:"notes,omitempty"`
	// Measures: both measures side by side (travel-time runs; nil for straight-line runs).
	Measures *Measures `json:"measures,omitempty"`
}

// Measures are a travel-time run's two measures side by side: the population
// the straight-line radius covers and the one reached over roads in time, and
// the difference (people the radius counts as served that no road reaches in
// time, 直线覆盖但路网不可达).
type Measures struct {
	StraightCovered float64 `json:"straight_covered"`
	StraightShare   float64 `json:"straight_share"`
	TravelCovered   float64 `json:"travel_covered"`
	TravelShare     float64 `json:"travel_share"`
	StraightOnly    float64 `json:"straight_only"`
}

// measures builds the side-by-side figures of a unit of population pop.
func measures(pop, travel, straight, straightOnly float64) *Measures {
	m := &Measures{StraightCovered: straight, TravelCovered: travel, StraightOnly: straightOnly, StraightShare: 1, TravelShare: 1}
	if pop > 0 {
		m.StraightShare, m.TravelShare = straight/pop, travel/pop
	}
	return m
}

// Run is a coverage run as stored.
type Run struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	KindName    string     `json:"kind_name"`
	Layer       string     `json:"layer"`
	RadiusM     float64    `json:"radius_m"`
	Reach       string     `json:"reach"` // straight | travel
	GridID      *int64     `json:"grid_id"`
	AsOf        string     `json:"as_of"`
	Status      string     `json:"status"` // queued | running | done | failed
	Progress    Progress   `json:"progress"`
	Fingerprint string     `json:"fingerprint"`
	Summary     *Summary   `json:"summary"`
	Error       string     `json:"error,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// Service runs and serves coverage runs. Runs are queued in PostgreSQL; a worker of
// each node (queue.go) claims them one at a time and executes them in the background.
type Service struct {
	pool      *pgxpool.Pool
	grids     *popgrid.Store
	standards *coverage.Standards
	log       *slog.Logger

	base   context.Context
	queue  QueueOptions
	wake   chan struct{} // a run was queued here: look now rather than at the next poll
	wg     sync.WaitGroup
	limit  atomic.Int64 // most runs queued or running (on every node) Start accepts
	mu     sync.Mutex
	grid   *cachedGrid
	region map[string]*coverage.Region // by grid and boundaries fingerprint; one entry kept
	graphs map[string]*cachedGraph     // by travel mode: the last graph built
	sites  atomic.Pointer[SiteSource]  // suggested sites of county reports (report.go); nil: none
}

type cachedGraph struct {
	key   string // mode, network version, loaded extent
	graph *network.Graph
	edges int
}

type cachedGrid struct {
	id          int64
	fingerprint string
	grid        *geo.Grid
}

// NewService returns a service with the default queue options (NewServiceWith).
func NewService(base context.Context, pool *pgxpool.Pool, standards *coverage.Standards, log *slog.Logger) (*Service, error) {
	return NewServiceWith(base, pool, standards, log, QueueOptions{})
}

// NewServiceWith returns a service whose worker claims queued runs from PostgreSQL (also
// those other nodes queued, and those whose node died) as long as base lives.
func NewServiceWith(base context.Context, pool *pgxpool.Pool, standards *coverage.Standards, log *slog.Logger, q QueueOptions) (*Service, error) {
	q, err := q.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{pool: pool, grids: popgrid.NewStore(pool), standards: standards, log: log,
		base: base, queue: q, wake: make(chan struct{}, 1), region: map[string]*coverage.Region{}, graphs: map[string]*cachedGraph{}}
	s.limit.Store(DefaultQueueLimit)
	s.wg.Add(1)
	go s.work()
	return s, nil
}

// DefaultQueueLimit is how many runs may be queued or running at once unless
// SetQueueLimit says otherwise.
const DefaultQueueLimit = 8

// RunStatementTimeout is the statement timeout of a run's queries (loading a national
// grid and boundaries, storing results), above the pool's default for requests.
const RunStatementTimeout = 10 * time.Minute

// ErrQueueFull is returned by Start when the queue holds as many runs as allowed.
var ErrQueueFull = errors.New("too many coverage runs queued")

// SetQueueLimit bounds the runs queued or running at once (n <= 0: DefaultQueueLimit).
func (s *Service) SetQueueLimit(n int) {
	if n <= 0 {
		n = DefaultQueueLimit
	}
	s.limit.Store(int64(n))
}

// Pending is the number of runs queued or running on every node (0 when the database
// cannot be asked).
func (s *Service) Pending() int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, sqlCountPending).Scan(&n); err != nil {
		s.log.Warn("coverage runs pending", "err", err)
		return 0
	}
	return n
}

// Standards returns the service standards runs use.
func (s *Service) Standards() *coverage.Standards { return s.standards }

// ErrBadParams wraps parameter errors (unknown kind, radius out of range, no grid).
var ErrBadParams = errors.New("bad run parameters")

// resolve fills p's defaults and validates it.
func (s *Service) resolve(ctx context.Context, p Params) (Params, coverage.Standard, error) {
	std, err := s.standards.Kind(p.Kind)
	if err != nil {
		return p, std, fmt.Errorf("%w: kind: %v", ErrBadParams, err)
	}
	if p.RadiusM == 0 {
		p.RadiusM = std.RadiusM
	}
	if !(p.RadiusM > 0 && p.RadiusM <= coverage.MaxRadius) {
		return p, std, fmt.Errorf("%w: radius_m: %v must be in (0, %d] metres", ErrBadParams, p.RadiusM, coverage.MaxRadius)
	}
	std.RadiusM = p.RadiusM
	switch p.Reach {
	case "":
		p.Reach = "straight"
	case "straight":
	case "travel":
		if std.Travel == nil {
			return p, std, fmt.Errorf("%w: reach: kind %s has no travel time in the standards", ErrBadParams, std.ID)
		}
		if _, err := s.standards.Profile(std.Travel.Mode); err != nil {
			return p, std, fmt.Errorf("%w: reach: %v", ErrBadParams, err)
		}
		var n int64
		if err := s.pool.QueryRow(ctx, sqlCountNetwork).Scan(&n); err != nil {
			return p, std, err
		}
		if n == 0 {
			return p, std, fmt.Errorf("%w: reach: travel needs a road network: none is stored (fangyuan import osm FILE.osm.pbf)", ErrBadParams)
		}
	default:
		return p, std, fmt.Errorf("%w: reach: %q must be straight or travel", ErrBadParams, p.Reach)
	}
	if p.Layer == "" {
		p.Layer = std.Layer
	}
	if p.AsOf.IsZero() {
		p.AsOf = time.Now().UTC().Truncate(24 * time.Hour)
	}
	if p.GridID == 0 {
		if err := s.pool.QueryRow(ctx, sqlLatestGrid).Scan(&p.GridID); errors.Is(err, pgx.ErrNoRows) {
			return p, std, fmt.Errorf("%w: grid_id: no population grid stored yet (fangyuan import population ...)", ErrBadParams)
		} else if err != nil {
			return p, std, err
		}
	}
	meta, err := s.grids.Get(ctx, p.GridID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, std, fmt.Errorf("%w: grid_id: no population grid %d", ErrBadParams, p.GridID)
	} else if err != nil {
		return p, std, err
	}
	found := false
	for _, b := range meta.Bands {
		found = found || b == p.Layer
	}
	if !found {
		return p, std, fmt.Errorf("%w: layer: grid %d (%s %d) has no layer %q (it has %v)", ErrBadParams, p.GridID, meta.Name, meta.Year, p.Layer, meta.Bands)
	}
	return p, std, nil
}

// Start queues a run; a worker (of this node or another) executes it. The returned run is queued.
func (s *Service) Start(ctx context.Context, p Params) (Run, error) {
	p, _, err := s.resolve(ctx, p)
	if err != nil {
		return Run{}, err
	}
	who, ok := auth.FromContext(ctx)
	if !ok {
		return Run{}, auth.ErrNoPrincipal
	}
	params, _ := json.Marshal(p)
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One Start at a time (on every node) counts the queue, so that a full queue
		// records nothing.
		if _, err := tx.Exec(ctx, sqlLockQueue); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, sqlCountPending).Scan(&n); err != nil {
			return err
		}
		if n >= s.limit.Load() {
			return fmt.Errorf("%w: %d runs are queued or running (at most %d); try again when one has finished", ErrQueueFull, n, s.limit.Load())
		}
		if err := tx.QueryRow(ctx, sqlInsertRun, p.Kind, p.Layer, p.RadiusM, p.GridID, p.AsOf, params, who.Name).Scan(&id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "coverage_run", Key: fmt.Sprint(id), After: p})
	})
	if err != nil {
		return Run{}, err
	}
	run, err := s.Get(ctx, id) // as queued: the worker is woken after
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return run, err
}

// RunSync starts a run and waits for it to end.
func (s *Service) RunSync(ctx context.Context, p Params) (Run, error) {
	r, err := s.Start(ctx, p)
	if err != nil {
		return r, err
	}
	for {
		r, err = s.Get(ctx, r.ID)
		if err != nil || r.Status == "done" || r.Status == "failed" {
			if err == nil && r.Status == "failed" {
				err = fmt.Errorf("coverage run %d: %s", r.ID, r.Error)
			}
			return r, err
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Wait blocks until the worker has ended (after base is cancelled; a run it was executing
// goes back to the queue).
func (s *Service) Wait() { s.wg.Wait() }

func (s *Service) progress(ctx context.Context, c claim, stage string, fraction float64) {
	if _, err := s.pool.Exec(ctx, sqlProgress, c.id, stage, fraction, s.queue.Node, c.attempt); err != nil {
		s.log.Warn("coverage run progress", "run", c.id, "err", err)
	}
}

// loadGrid returns grid id from the cache or PostGIS.
func (s *Service) loadGrid(ctx context.Context, id int64) (*geo.Grid, string, error) {
	meta, err := s.grids.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	c := s.grid
	s.mu.Unlock()
	if c != nil && c.id == id && c.fingerprint == meta.Fingerprint {
		return c.grid, c.fingerprint, nil
	}
	g, meta, err := s.grids.Load(ctx, id)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	s.grid = &cachedGrid{id: id, fingerprint: meta.Fingerprint, grid: g}
	s.mu.Unlock()
	return g, meta.Fingerprint, nil
}

// loadUnits reads the units of a level as of a date within bound, and hashes them.
func (s *Service) loadUnits(ctx context.Context, level int, asOf time.Time, b orb.Bound, h io.Writer) ([]coverage.Unit, error) {
	rows, err := s.pool.Query(ctx, sqlUnitsForRun, level, asOf, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coverage.Unit
	for rows.Next() {
		var u coverage.Unit
		var raw []byte
		if err := rows.Scan(&u.Code, &u.Name, &raw); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(raw)
		if err != nil {
			return nil, fmt.Errorf("boundary of %s: %w", u.Code, err)
		}
		switch g := g.(type) {
		case orb.MultiPolygon:
			u.Geometry = g
		case orb.Polygon:
			u.Geometry = orb.MultiPolygon{g}
		default:
			return nil, fmt.Errorf("boundary of %s is a %s", u.Code, g.GeoJSONType())
		}
		fmt.Fprintf(h, "%d|%s|%s|", level, u.Code, u.Name)
		h.Write(raw)
		out = append(out, u)
	}
	return out, rows.Err()
}

type facilityRow struct {
	id  int64
	fac coverage.Facility
}

func (s *Service) loadFacilities(ctx context.Context, kind string, b orb.Bound, h io.Writer) ([]facilityRow, error) {
	rows, err := s.pool.Query(ctx, sqlFacilitiesForRun, kind, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []facilityRow
	for rows.Next() {
		var r facilityRow
		f := &r.fac
		if err := rows.Scan(&r.id, &f.ID, &f.Name, &f.Location[0], &f.Location[1], &f.Status, &f.Beds, &f.NursingBeds, &f.DementiaBeds); err != nil {
			return nil, err
		}
		f.Source = fmt.Sprintf("facility %d", r.id)
		fmt.Fprintf(h, "%d|%s|%s|%v|%v|%s|%v|%v|%v|", r.id, f.ID, f.Name, f.Location[0], f.Location[1], f.Status, deref(f.Beds), deref(f.NursingBeds), deref(f.DementiaBeds))
		out = append(out, r)
	}
	return out, rows.Err()
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// reach returns the reach of a run and how far (metres) a facility outside the
// grid can reach into it: the radius, or for travel the distance at the
// profile's fastest speed in the kind's minutes (at most MaxRadius). The
// travel reach loads the stored network within that distance of the grid.
func (s *Service) reach(ctx context.Context, p Params, std coverage.Standard, grid *geo.Grid, fp io.Writer) (coverage.Reach, float64, error) {
	if p.Reach != "travel" {
		return coverage.Straight{Radius: p.RadiusM}, p.RadiusM, nil
	}
	tp, err := s.standards.Profile(std.Travel.Mode)
	if err != nil {
		return nil, 0, err
	}
	dist := network.TravelDistance(tp, std.Travel.Minutes)
	b := catchmentBound(grid, 2*dist) // the roads may leave and come back
	var version string
	if err := s.pool.QueryRow(ctx, sqlNetworkVersion).Scan(&version); err != nil {
		return nil, 0, err
	}
	// The graph (and the cells' snaps it caches) is kept per travel mode while the
	// stored network and the loaded extent stay the same.
	key := fmt.Sprintf("%s|%s|%v", std.Travel.Mode, version, b)
	s.mu.Lock()
	g := s.graphs[std.Travel.Mode]
	s.mu.Unlock()
	if g == nil || g.key != key {
		nw, err := network.Load(ctx, s.pool, &b)
		if err != nil {
			return nil, 0, err
		}
		tr, err := network.ForKind(nw, s.standards, std)
		if err != nil {
			return nil, 0, err
		}
		g = &cachedGraph{key: key, graph: tr.Graph, edges: len(nw.Edges)}
		s.mu.Lock()
		s.graphs[std.Travel.Mode] = g
		s.mu.Unlock()
	}
	fmt.Fprintf(fp, "network %d edges %s|", g.edges, version)
	return network.Travel{Graph: g.graph, Minutes: std.Travel.Minutes}, dist, nil
}

// catchmentBound is the grid's extent grown by the radius, where facilities can matter.
func catchmentBound(g *geo.Grid, radius float64) orb.Bound {
	b := g.Bounds()
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dlat := radius / 110_574
	dlon := radius / (111_320 * math.Max(math.Cos(lat*math.Pi/180), 0.01))
	return orb.Bound{Min: orb.Point{b.Min[0] - dlon, b.Min[1] - dlat}, Max: orb.Point{b.Max[0] + dlon, b.Max[1] + dlat}}
}

// execute computes claimed run c and stores its results in one transaction.
func (s *Service) execute(ctx context.Context, c claim, p Params, std coverage.Standard) error {
	fp := sha256.New()
	stdJSON, _ := json.Marshal(std)
	fmt.Fprintf(fp, "%s|%s|%v|%s|", stdJSON, p.Layer, p.RadiusM, p.Reach)

	s.progress(ctx, c, "loading population grid", 0.05)
	grid, gridFP, err := s.loadGrid(ctx, p.GridID)
	if err != nil {
		return fmt.Errorf("population grid %d: %w", p.GridID, err)
	}
	fmt.Fprintf(fp, "grid %s|", gridFP)

	s.progress(ctx, c, "loading boundaries", 0.15)
	uh := sha256.New()
	gb := grid.Bounds()
	townships, err := s.loadUnits(ctx, 4, p.AsOf, gb, uh)
	if err != nil {
		return err
	}
	if len(townships) == 0 {
		return fmt.Errorf("no township boundaries valid on %s overlap the population grid (import boundaries --level township first)", p.AsOf.Format(time.DateOnly))
	}
	villages, err := s.loadUnits(ctx, 5, p.AsOf, gb, uh)
	if err != nil {
		return err
	}
	counties, err := s.countyNames(ctx, townships, p.AsOf)
	if err != nil {
		return err
	}
	var prefectures []coverage.Unit
	if std.Presence.Level == coverage.LevelPrefecture {
		if prefectures, err = s.prefectureNames(ctx, townships, p.AsOf); err != nil {
			return err
		}
	}
	unitsFP := hex.EncodeToString(uh.Sum(nil))
	fmt.Fprintf(fp, "units %s|", unitsFP)

	s.progress(ctx, c, "preparing township zones", 0.3)
	regionKey := gridFP + "/" + unitsFP
	s.mu.Lock()
	region := s.region[regionKey]
	s.mu.Unlock()
	if region == nil {
		if region, err = coverage.PrepareRegion(ctx, grid, townships, villages, 0); err != nil {
			return err
		}
		s.mu.Lock()
		s.region = map[string]*coverage.Region{regionKey: region} // keep one: regions are large
		s.mu.Unlock()
	}

	s.progress(ctx, c, "loading facilities", 0.5)
	reach, reachDist, err := s.reach(ctx, p, std, grid, fp)
	if err != nil {
		return err
	}
	facs, err := s.loadFacilities(ctx, p.Kind, catchmentBound(grid, reachDist), fp)
	if err != nil {
		return err
	}
	in := coverage.Input{Standard: std, Layer: p.Layer, Grid: grid, Region: region, Counties: counties, Prefectures: prefectures, Reach: reach}
	if p.Reach == "travel" {
		in.Compare, in.CompareName = coverage.Straight{Radius: p.RadiusM}, "straight" // side by side in the result
	}
	for _, f := range facs {
		in.Facilities = append(in.Facilities, f.fac)
	}

	s.progress(ctx, c, "computing coverage", 0.6)
	res, err := coverage.Run(ctx, in)
	if err != nil {
		return err
	}

	s.progress(ctx, c, "storing results", 0.9)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.store(ctx, tx, c, res, facs, hex.EncodeToString(fp.Sum(nil)))
	})
}

// prefectureNames returns the prefectures (地级市, level 2) of the townships by code.
func (s *Service) prefectureNames(ctx context.Context, townships []coverage.Unit, asOf time.Time) ([]coverage.Unit, error) {
	seen := map[string]bool{}
	var codes []string
	for _, t := range townships {
		c := t.Code[:4] + "00000000"
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	rows, err := s.pool.Query(ctx, sqlPrefectureNames, codes, asOf)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (coverage.Unit, error) {
		var u coverage.Unit
		err := r.Scan(&u.Code, &u.Name)
		return u, err
	})
}

func (s *Service) countyNames(ctx context.Context, townships []coverage.Unit, asOf time.Time) ([]coverage.Unit, error) {
	seen := map[string]bool{}
	var codes []string
	for _, t := range townships {
		c := t.Code[:6] + "000000"
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	rows, err := s.pool.Query(ctx, sqlCountyNames, codes, asOf)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (coverage.Unit, error) {
		var u coverage.Unit
		err := r.Scan(&u.Code, &u.Name)
		return u, err
	})
}

var levelNumber = map[coverage.Level]int16{coverage.LevelPrefecture: 2, coverage.LevelCounty: 3, coverage.LevelTownship: 4, coverage.LevelVillage: 5}

// store writes the results of claimed run c in tx and marks it done, unless the claim
// was lost (errLostClaim: another node took the run up and writes its own results).
func (s *Service) store(ctx context.Context, tx pgx.Tx, c claim, res *coverage.Result, facs []facilityRow, fingerprint string) error {
	id := c.id
	// Locks the run's row: a node that took the run up waits here for this
	// transaction, then finds the run done.
	var held bool
	if err := tx.QueryRow(ctx, sqlHoldsClaim, id, s.queue.Node, c.attempt).Scan(&held); err != nil {
		return err
	}
	if !held {
		return errLostClaim
	}
	ranks := map[string]coverage.Gap{}
	for _, g := range res.Gaps {
		ranks[string(g.Level)+"/"+g.Code] = g
	}
	var units [][]any
	for _, list := range [][]coverage.UnitResult{res.Prefectures, res.Counties, res.Townships, res.Villages} {
		for _, u := range list {
			code := u.Code
			switch len(code) {
			case 4: // prefecture (migration 018)
				code += "00000000"
			case 6:
				code += "000000"
			}
			if len(code) != 12 {
				continue // townships without a county code have no county row
			}
			var rank any
			detail := ""
			if g, ok := ranks[string(u.Level)+"/"+u.Code]; ok {
				rank, detail = g.Rank, g.Detail
			}
			flags := u.Flags
			if flags == nil {
				flags = []string{}
			}
			var cmpCovered, cmpOnly any
			if u.Compare != nil {
				cmpCovered, cmpOnly = max(u.Compare.Covered, 0), max(u.Compare.OnlyCompare, 0)
			}
			units = append(units, []any{id, levelNumber[u.Level], code, u.Name, u.Parent, u.Population, u.Covered, u.Uncovered, u.Share,
				u.Facilities, u.NotOperating, flags, rank, detail, cmpCovered, cmpOnly})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"coverage_run_unit"},
		[]string{"run_id", "level", "code", "name", "parent_code", "population", "covered", "uncovered", "share", "facilities", "not_operating", "flags", "rank", "detail", "compare_covered", "compare_only"},
		pgx.CopyFromRows(units)); err != nil {
		return fmt.Errorf("store unit results: %w", err)
	}
	var frows [][]any
	for i, fr := range res.Facilities {
		frows = append(frows, []any{id, facs[i].id, fr.ID, fr.Name, fr.Status, fr.Location[0], fr.Location[1], fr.Township, fr.Counted, fr.Catchment, fr.Nearest})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"coverage_run_facility"},
		[]string{"run_id", "facility_id", "ext_id", "name", "status", "lon", "lat", "township", "counted", "catchment", "nearest"},
		pgx.CopyFromRows(frows)); err != nil {
		return fmt.Errorf("store facility results: %w", err)
	}
	sum := summarize(res)
	blob, err := encodeResult(res)
	if err != nil {
		return err
	}
	if _, err = tx.Exec(ctx, sqlFinishRun, id, fingerprint, sum, blob); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, sqlEndExecution, id, c.attempt, "done")
	return err
}

func summarize(res *coverage.Result) Summary {
	sum := Summary{Population: res.Population, Covered: res.Covered, Target: res.Target, GridTotal: res.GridTotal,
		Townships: len(res.Townships), Villages: len(res.Villages), Operating: res.Operating, Planned: res.Planned,
		Closed: res.Closed, Outside: len(res.Outside), Reach: res.Reach, Notes: res.Notes}
	sum.Share = 1
	if res.Population > 0 {
		sum.Share = res.Covered / res.Population
	}
	if res.Compare == "straight" {
		sum.Measures = measures(res.Population, res.Covered, res.CoveredCompare, res.OnlyCompare)
	}
	for _, t := range res.Townships {
		if len(t.Flags) > 0 {
			sum.Flagged++
		}
	}
	for _, v := range res.Villages {
		if len(v.Flags) > 0 {
			sum.VillagesFlagged++
		}
	}
	return sum
}

// encodeResult keeps the whole result, less the prepared region (geometry lives in
// admin_unit), as gzip JSON for the reports.
func encodeResult(res *coverage.Result) ([]byte, error) {
	cp := *res
	cp.Region = nil
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(&cp); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrNotDone is returned for results of runs that have not finished.
var ErrNotDone = errors.New("the run has not finished")

// Result returns the stored result of a finished run (without geometry).
func (s *Service) Result(ctx context.Context, id int64) (*coverage.Result, error) {
	var status string
	var blob []byte
	if err := s.pool.QueryRow(ctx, sqlRunResult, id).Scan(&status, &blob); err != nil {
		return nil, err
	}
	if status != "done" || blob == nil {
		return nil, fmt.Errorf("%w (status %s)", ErrNotDone, status)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	var res coverage.Result
	if err := json.NewDecoder(zr).Decode(&res); err != nil {
		return nil, fmt.Errorf("decode result of run %d: %w", id, err)
	}
	return &res, nil
}

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	var summary []byte
	if err := row.Scan(&r.ID, &r.Kind, &r.Layer, &r.RadiusM, &r.Reach, &r.GridID, &r.AsOf, &r.Status, &r.Progress.Stage, &r.Progress.Fraction,
		&r.Fingerprint, &summary, &r.Error, &r.CreatedBy, &r.CreatedAt, &r.StartedAt, &r.FinishedAt); err != nil {
		return r, err
	}
	if summary != nil {
		r.Summary = &Summary{}
		if err := json.Unmarshal(summary, r.Summary); err != nil {
			return r, err
		}
	}
	return r, nil
}

func (s *Service) withKindName(r Run) Run {
	if std, err := s.standards.Kind(r.Kind); err == nil {
		r.KindName = std.Name
	}
	return r
}

// Get returns run id.
func (s *Service) Get(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, sqlGetRun, id))
	return s.withKindName(r), err
}

// List returns the newest runs, optionally of one kind and status.
func (s *Service) List(ctx context.Context, kind, status string, limit int) ([]Run, error) {
	var k, st any
	if kind != "" {
		k = kind
	}
	if status != "" {
		st = status
	}
	rows, err := s.pool.Query(ctx, sqlListRuns, k, st, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s.withKindName(r))
	}
	return out, rows.Err()
}

// UnitRow is one unit's result.
type UnitRow struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	Parent       string   `json:"parent_code"`
	Population   float64  `json:"population"`
	Covered      float64  `json:"covered"`
	Uncovered    float64  `json:"uncovered"`
	Share        float64  `json:"share"`
	Facilities   int      `json:"facilities"`
	NotOperating int      `json:"not_operating"`
	Flags        []string `json:"flags"`
	Rank         *int     `json:"rank"`
	Detail       string   `json:"detail,omitempty"`
	// Measures (townships of travel-time runs): straight line and travel time side by side.
	Measures *Measures `json:"measures,omitempty"`
}

// setMeasures fills u.Measures from the stored second measure (nil: none).
func (u *UnitRow) setMeasures(cmpCovered, cmpOnly *float64) {
	if cmpCovered != nil && cmpOnly != nil {
		u.Measures = measures(u.Population, u.Covered, *cmpCovered, *cmpOnly)
	}
}

// Units returns the results of one level (2 prefecture, 3 county, 4 township, 5 village); ranked puts
// the gaps first in rank order.
func (s *Service) Units(ctx context.Context, id int64, level int16, ranked bool) ([]UnitRow, error) {
	rows, err := s.pool.Query(ctx, sqlRunUnits, id, level, ranked)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UnitRow{}
	for rows.Next() {
		var u UnitRow
		var cmpCovered, cmpOnly *float64
		if err := rows.Scan(&u.Code, &u.Name, &u.Parent, &u.Population, &u.Covered, &u.Uncovered, &u.Share, &u.Facilities,
			&u.NotOperating, &u.Flags, &u.Rank, &u.Detail, &cmpCovered, &cmpOnly); err != nil {
			return nil, err
		}
		u.setMeasures(cmpCovered, cmpOnly)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Cells returns, for a finished run, its population grid (cached) and whether each cell
// is reached by the run's operating facilities, computed again with the run's reach.
func (s *Service) Cells(ctx context.Context, id int64) (*geo.Grid, []bool, error) {
	g, _, reached, err := s.cellsReach(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	covered := make([]bool, len(reached.Nearest))
	for i, n := range reached.Nearest {
		covered[i] = n >= 0
	}
	return g, covered, nil
}

// ErrNotTravel is returned for per-cell minutes of a straight-line run.
var ErrNotTravel = errors.New("the run measures the straight line, not travel time (start one with \"reach\": \"travel\")")

// Minutes returns the per-cell travel time (minutes, float32; network.MinutesNoData
// where no facility reaches) of a finished travel-time run over its whole grid.
func (s *Service) Minutes(ctx context.Context, id int64) (*geo.Grid, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == "done" && r.Reach != "travel" {
		return nil, ErrNotTravel
	}
	_, frame, reached, err := s.cellsReach(ctx, id)
	if err != nil {
		return nil, err
	}
	return network.MinutesGrid(frame, reached)
}

// cellsReach computes the reach of run id's operating facilities over its whole grid again.
func (s *Service) cellsReach(ctx context.Context, id int64) (*geo.Grid, coverage.Frame, *coverage.Reached, error) {
	var frame coverage.Frame
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, frame, nil, err
	}
	if r.Status != "done" || r.GridID == nil {
		return nil, frame, nil, fmt.Errorf("%w (status %s)", ErrNotDone, r.Status)
	}
	g, _, err := s.loadGrid(ctx, *r.GridID)
	if err != nil {
		return nil, frame, nil, err
	}
	rows, err := s.pool.Query(ctx, sqlRunFacilityPoints, id)
	if err != nil {
		return nil, frame, nil, err
	}
	pts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (orb.Point, error) {
		var p orb.Point
		err := row.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, frame, nil, err
	}
	frame = coverage.Frame{West: g.West, North: g.North, DX: g.DX, DY: g.DY, W: g.Width, H: g.Height}
	var reach coverage.Reach = coverage.Straight{Radius: r.RadiusM}
	if r.Reach == "travel" {
		std, err := s.standards.Kind(r.Kind)
		if err != nil {
			return nil, frame, nil, err
		}
		if reach, _, err = s.reach(ctx, Params{Kind: r.Kind, Reach: r.Reach}, std, g, io.Discard); err != nil {
			return nil, frame, nil, err
		}
	}
	reached, err := reach.Reach(ctx, coverage.ReachRequest{Frame: frame, Sources: pts})
	if err != nil {
		return nil, frame, nil, err
	}
	return g, frame, reached, nil
}

// RunAllKinds runs every kind of the standards with the defaults and waits for them (the
// demo's first start). When a road network is stored, every kind with a travel time
// is first run with reach travel (both measures side by side), so that each kind's
// newest run is still the straight-line one.
func (s *Service) RunAllKinds(ctx context.Context) error {
	var n int64
	if err := s.pool.QueryRow(ctx, sqlCountNetwork).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		for _, kind := range s.standards.IDs() {
			if std, err := s.standards.Kind(kind); err != nil || std.Travel == nil {
				continue
			}
			if _, err := s.RunSync(ctx, Params{Kind: kind, Reach: "travel"}); err != nil {
				return fmt.Errorf("%s (travel): %w", kind, err)
			}
		}
	}
	for _, kind := range s.standards.IDs() {
		if _, err := s.RunSync(ctx, Params{Kind: kind}); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	return nil
}
