// Package snapshot reads the gazetteer tables (divisions with their history, roads, house
// numbers, place names) from PostGIS into memory, one query per table, and tells a
// running server when they change (LISTEN on the channel that migration 003's triggers
// notify). The search, address and reverse-geocoding indexes are built from a Data.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Day is a date as days since 1970-01-01 (UTC).
type Day int32

// Forever is the open end of a validity range.
const Forever Day = math.MaxInt32

// DayOf turns a time into a Day; the zero time means today.
func DayOf(t time.Time) Day {
	if t.IsZero() {
		t = time.Now().UTC()
	}
	return Day(t.Unix() / 86400)
}

// Time is the day as a UTC midnight.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the day as YYYY-MM-DD ("" for Forever).
func (d Day) String() string {
	if d == Forever {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// Unit is one version of an admin unit.
type Unit struct {
	Code     string // 12 digits
	Kind     string
	Name     string
	Parent   string // 12 digits, "" for provinces
	Pinyin   string // official romanization, "" when not set
	Draft    string // generated pinyin, space-separated syllables
	Initials string
	Aliases  []string
	From, To Day // valid From <= d < To
	Geom     orb.MultiPolygon
	Center   orb.Point // a point on the surface (ST_PointOnSurface), when Geom is set
	// HasPinyin tells an official pinyin set to "" from none (NULL); HasGeom a geometry
	// present in the table; Version is the row's optimistic-locking version.
	HasPinyin, HasGeom bool
	Level              int8 // 1 province … 5 village (beside the bools: no padding)
	Version            int32
}

// ValidAt reports whether the version is valid on day d.
func (u *Unit) ValidAt(d Day) bool { return u.From <= d && d < u.To }

// Road is a road with its house-numbering rule.
type Road struct {
	ID        int64
	Name      string
	Pinyin    string
	Draft     string
	AdminCode string
	Kind      string
	Line      orb.LineString
	OriginEnd bool // numbers grow from the last vertex
	OddLeft   bool // odd numbers on the left walking away from the origin
	OneSided  bool
	LengthM   float64
	// Metric numbering (gazetteer/housenumber): number = metres from the origin / StepM.
	Metric bool
	StepM  float64
}

// House is a house number (门牌).
type House struct {
	ID, RoadID int64
	Number     int
	Suffix     string
	Building   string
	AdminCode  string
	Point      orb.Point
	From, To   Day
}

// Place is a place name (地名) with a representative point when it has geometry.
type Place struct {
	ID        int64
	Category  string
	Name      string
	Pinyin    string
	Draft     string
	Aliases   []string // aliases and historical names
	AdminCode string
	Point     orb.Point
	HasPoint  bool
}

// Data is the gazetteer in memory. It is read-only once loaded: an update in place
// (Apply) makes a new Data that shares this one's rows and appends the changed ones.
// Look rows up through Versions, ChildrenOf and RoadIndex (they see such updates); the maps
// ByCode, Children and RoadByID hold the rows as loaded. Units, Roads, Houses and Places
// may hold superseded rows after an update: reach rows through those lookups or the
// indexes, not by scanning the slices.
type Data struct {
	Units    []Unit
	ByCode   map[string][]int32 // versions of a code, oldest first (as loaded)
	Children map[string][]int32 // unit versions by parent code (as loaded)
	Roads    []Road
	RoadByID map[int64]int32 // as loaded
	Houses   []House         // by road, number (as loaded; updates are appended)
	Places   []Place
	Loaded   time.Time
	ov       *overlay // the lookups changed by updates in place (nil: none)
	ids      *idIndex // house numbers and place names by id (for updates)
}

// Load reads the gazetteer tables.
func Load(ctx context.Context, pool *pgxpool.Pool) (*Data, error) {
	d := &Data{Loaded: time.Now()}
	var err error
	in := interner{} // one string for the many equal codes and kinds (tens of MB at national size)
	if d.Units, err = queryUnits(ctx, pool, in, sqlUnits); err != nil {
		return nil, err
	}
	d.index()
	if d.Roads, err = queryRoads(ctx, pool, in, sqlRoads); err != nil {
		return nil, err
	}
	d.RoadByID = make(map[int64]int32, len(d.Roads))
	for i, r := range d.Roads {
		d.RoadByID[r.ID] = int32(i)
	}
	if d.Houses, err = queryHouses(ctx, pool, in, sqlHouseNumbers); err != nil {
		return nil, err
	}
	if d.Places, err = queryPlaces(ctx, pool, in, sqlPlaceNames); err != nil {
		return nil, err
	}
	d.Units, d.Roads, d.Houses, d.Places = Headroom(d.Units), Headroom(d.Roads), Headroom(d.Houses), Headroom(d.Places)
	return d, nil
}

// Headroom returns s with room to append a few per cent more without moving it: updates
// in place append rows (Data.Apply), and a slice that grows is copied whole while the
// previous State still holds the old array. The room is 1,024 + 1/32 of the length.
func Headroom[T any](s []T) []T {
	if room := 1024 + len(s)/32; cap(s)-len(s) < room {
		out := make([]T, len(s), len(s)+room)
		copy(out, s)
		return out
	}
	return s
}

// interner hands out one copy of equal strings.
type interner map[string]string

func (in interner) s(v string) string {
	if v == "" {
		return ""
	}
	if c, ok := in[v]; ok {
		return c
	}
	in[v] = v
	return v
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryUnits(ctx context.Context, q querier, in interner, sql string, args ...any) ([]Unit, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("load divisions: %w", err)
	}
	defer rows.Close()
	var (
		out      []Unit
		level    int16
		geomWKB  []byte
		cx, cy   *float64
		from, to int32
	)
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.Code, &level, &u.Kind, &u.Name, &u.Parent, &u.Pinyin, &u.Draft, &u.Initials,
			&u.Aliases, &from, &to, &geomWKB, &cx, &cy, &u.HasPinyin, &u.Version); err != nil {
			return nil, fmt.Errorf("load divisions: %w", err)
		}
		u.Level, u.From, u.To = int8(level), Day(from), Day(to)
		u.Code, u.Parent, u.Kind = in.s(u.Code), in.s(u.Parent), in.s(u.Kind)
		// Village names and their pinyin repeat across the country (新村, 东风村民委员会…).
		u.Name, u.Draft, u.Initials, u.Pinyin = in.s(u.Name), in.s(u.Draft), in.s(u.Initials), in.s(u.Pinyin)
		if geomWKB != nil {
			u.HasGeom = true
			g, err := wkb.Unmarshal(geomWKB)
			if err != nil {
				return nil, fmt.Errorf("division %s geometry: %w", u.Code, err)
			}
			switch g := g.(type) {
			case orb.MultiPolygon:
				u.Geom = g
			case orb.Polygon:
				u.Geom = orb.MultiPolygon{g}
			}
			if cx != nil && cy != nil {
				u.Center = orb.Point{*cx, *cy}
			}
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load divisions: %w", err)
	}
	return out, nil
}

// NewData assembles a Data from rows already in memory (tests, files): units in any
// order, roads, house numbers and place names.
func NewData(units []Unit, roads []Road, houses []House, places []Place) *Data {
	d := &Data{Units: units, Roads: roads, Houses: houses, Places: places, Loaded: time.Now(), RoadByID: map[int64]int32{}}
	d.index()
	for i, r := range roads {
		d.RoadByID[r.ID] = int32(i)
	}
	return d
}

func (d *Data) index() {
	d.ByCode = make(map[string][]int32, len(d.Units))
	d.Children = make(map[string][]int32, len(d.Units)/10)
	for i := range d.Units {
		u := &d.Units[i]
		d.ByCode[u.Code] = append(d.ByCode[u.Code], int32(i))
		if u.Parent != "" {
			d.Children[u.Parent] = append(d.Children[u.Parent], int32(i))
		}
	}
}

func queryRoads(ctx context.Context, q querier, in interner, sql string, args ...any) ([]Road, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("load roads: %w", err)
	}
	defer rows.Close()
	var out []Road
	for rows.Next() {
		var (
			r            Road
			b            []byte
			origin, side string
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Pinyin, &r.Draft, &r.AdminCode, &r.Kind, &b, &origin, &side, &r.OneSided, &r.LengthM, &r.Metric, &r.StepM); err != nil {
			return nil, fmt.Errorf("load roads: %w", err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("road %d geometry: %w", r.ID, err)
		}
		ls, ok := g.(orb.LineString)
		if !ok || len(ls) < 2 {
			return nil, fmt.Errorf("road %d: geometry is %s, want a LineString", r.ID, g.GeoJSONType())
		}
		r.Line, r.OriginEnd, r.OddLeft = ls, origin == "end", side == "left"
		r.AdminCode, r.Kind = in.s(r.AdminCode), in.s(r.Kind)
		out = append(out, r)
	}
	return out, rows.Err()
}

func queryHouses(ctx context.Context, q querier, in interner, sql string, args ...any) ([]House, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("load house numbers: %w", err)
	}
	defer rows.Close()
	var out []House
	for rows.Next() {
		var (
			h        House
			from, to int32
		)
		if err := rows.Scan(&h.ID, &h.RoadID, &h.Number, &h.Suffix, &h.Building, &h.AdminCode, &h.Point[0], &h.Point[1], &from, &to); err != nil {
			return nil, fmt.Errorf("load house numbers: %w", err)
		}
		h.From, h.To = Day(from), Day(to)
		h.AdminCode, h.Suffix, h.Building = in.s(h.AdminCode), in.s(h.Suffix), in.s(h.Building)
		out = append(out, h)
	}
	return out, rows.Err()
}

func queryPlaces(ctx context.Context, q querier, in interner, sql string, args ...any) ([]Place, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("load place names: %w", err)
	}
	defer rows.Close()
	var out []Place
	for rows.Next() {
		var (
			p      Place
			hist   []string
			cx, cy *float64
		)
		if err := rows.Scan(&p.ID, &p.Category, &p.Name, &p.Pinyin, &p.Draft, &p.Aliases, &hist, &p.AdminCode, &cx, &cy); err != nil {
			return nil, fmt.Errorf("load place names: %w", err)
		}
		p.Aliases = append(p.Aliases, hist...)
		p.AdminCode, p.Category = in.s(p.AdminCode), in.s(p.Category)
		if cx != nil && cy != nil {
			p.Point, p.HasPoint = orb.Point{*cx, *cy}, true
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// At returns the index of the version of code valid on day, or -1.
func (d *Data) At(code string, day Day) int32 {
	for _, i := range d.Versions(code) {
		if d.Units[i].ValidAt(day) {
			return i
		}
	}
	return -1
}

// Current returns the version of the unit with the same code valid on day (the unit
// itself when it is valid), or -1 when the code is not valid then.
func (d *Data) Current(i int32, day Day) int32 {
	if d.Units[i].ValidAt(day) {
		return i
	}
	return d.At(d.Units[i].Code, day)
}

// Chain appends to dst the versions valid on day of the unit's ancestors and the unit
// itself, province first. A unit whose ancestor is missing on that day gets a shorter chain.
func (d *Data) Chain(dst []int32, i int32, day Day) []int32 {
	var buf [6]int32
	n := 0
	for i >= 0 && n < len(buf) {
		buf[n] = i
		n++
		p := d.Units[i].Parent
		if p == "" {
			break
		}
		i = d.At(p, day)
	}
	for k := n - 1; k >= 0; k-- {
		dst = append(dst, buf[k])
	}
	return dst
}

// IsAncestor reports whether the unit version a is an ancestor of (or the same code as)
// unit version b, following parent codes as of day.
func (d *Data) IsAncestor(a, b int32, day Day) bool {
	code := d.Units[a].Code
	for k := 0; b >= 0 && k < 6; k++ {
		u := &d.Units[b]
		if u.Code == code {
			return true
		}
		if u.Parent == "" || u.Parent == code {
			return u.Parent == code
		}
		b = d.At(u.Parent, day)
	}
	return false
}

// Link is one unit of an admin chain, as the API returns it.
type Link struct {
	Code  string `json:"code"`
	Level int    `json:"level"`
	Name  string `json:"name"`
}

// Links is the admin chain of unit version i on day, province first, ending at i.
func (d *Data) Links(i int32, day Day) []Link {
	var buf [6]int32
	chain := d.Chain(buf[:0], i, day)
	out := make([]Link, len(chain))
	for k, c := range chain {
		u := &d.Units[c]
		out[k] = Link{Code: u.Code, Level: int(u.Level), Name: u.Name}
	}
	return out
}

// Listen calls onChange (debounced: once a burst of notifications has been quiet for
// quiet) whenever the gazetteer tables change, until ctx ends. It holds one connection of
// pool for LISTEN and reconnects after errors (then calls onChange, as changes may have
// been missed meanwhile).
func Listen(ctx context.Context, pool *pgxpool.Pool, quiet time.Duration, log *slog.Logger, onChange func(context.Context)) {
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	go func() {
		for ctx.Err() == nil {
			err := listenOnce(ctx, pool, signal)
			if ctx.Err() != nil {
				return
			}
			log.Warn("gazetteer change listener failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			signal()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		timer := time.NewTimer(quiet)
	burst:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-changed:
				timer.Reset(quiet)
			case <-timer.C:
				break burst
			}
		}
		onChange(ctx)
	}
}

// Follow calls onChange at once whenever the gazetteer tables notify (no debounce:
// notifications arriving while onChange runs make one more call), every poll when none
// arrives, and after the listener reconnects, until ctx ends.
func Follow(ctx context.Context, pool *pgxpool.Pool, poll time.Duration, log *slog.Logger, onChange func(context.Context)) {
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	go func() {
		for ctx.Err() == nil {
			err := listenOnce(ctx, pool, signal)
			if ctx.Err() != nil {
				return
			}
			if isStandby(err) {
				log.Info("the database is a standby (no NOTIFY reaches it): following the gazetteer change log by polling", "poll", poll)
				return
			}
			log.Warn("gazetteer change listener failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			signal()
		}
	}()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick.C:
		}
		onChange(ctx)
	}
}

// isStandby reports whether err is a standby refusing LISTEN ("cannot execute LISTEN
// during recovery", SQLSTATE 25006).
func isStandby(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25006"
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, signal func()) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Taken out of the pool: the LISTEN state must not go back to it, and the pool may open
	// another connection in its place.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sqlListen); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal()
	}
}
