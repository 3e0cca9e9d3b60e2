// Package snapshot reads the gazetteer tables (divisions with their history, roads, house
// numbers, place names) from PostGIS into memory, one query per table, and tells a
// running server when they change (LISTEN on the channel that migration 003's triggers
// notify). The search, address and reverse-geocoding indexes are built from a Data.
package snapshot

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

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
	Level    int8   // 1 province … 5 village
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

// Data is the gazetteer in memory. It is read-only once loaded.
type Data struct {
	Units    []Unit
	ByCode   map[string][]int32 // versions of a code, oldest first
	Children map[string][]int32 // unit versions by parent code
	Roads    []Road
	RoadByID map[int64]int32
	Houses   []House // by road, number
	Places   []Place
	Loaded   time.Time
}

// Load reads the gazetteer tables.
func Load(ctx context.Context, pool *pgxpool.Pool) (*Data, error) {
	d := &Data{Loaded: time.Now()}
	rows, err := pool.Query(ctx, sqlUnits)
	if err != nil {
		return nil, fmt.Errorf("load divisions: %w", err)
	}
	var (
		level    int16
		geomWKB  []byte
		cx, cy   *float64
		from, to int32
	)
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.Code, &level, &u.Kind, &u.Name, &u.Parent, &u.Pinyin, &u.Draft, &u.Initials,
			&u.Aliases, &from, &to, &geomWKB, &cx, &cy, &u.HasPinyin, &u.Version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load divisions: %w", err)
		}
		u.Level, u.From, u.To = int8(level), Day(from), Day(to)
		if geomWKB != nil {
			u.HasGeom = true
			g, err := wkb.Unmarshal(geomWKB)
			if err != nil {
				rows.Close()
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
		d.Units = append(d.Units, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load divisions: %w", err)
	}
	d.index()

	if err := d.loadRoads(ctx, pool); err != nil {
		return nil, err
	}
	if err := d.loadHouses(ctx, pool); err != nil {
		return nil, err
	}
	if err := d.loadPlaces(ctx, pool); err != nil {
		return nil, err
	}
	return d, nil
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

func (d *Data) loadRoads(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, sqlRoads)
	if err != nil {
		return fmt.Errorf("load roads: %w", err)
	}
	defer rows.Close()
	d.RoadByID = map[int64]int32{}
	for rows.Next() {
		var (
			r            Road
			b            []byte
			origin, side string
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.Pinyin, &r.Draft, &r.AdminCode, &r.Kind, &b, &origin, &side, &r.OneSided, &r.LengthM, &r.Metric, &r.StepM); err != nil {
			return fmt.Errorf("load roads: %w", err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return fmt.Errorf("road %d geometry: %w", r.ID, err)
		}
		ls, ok := g.(orb.LineString)
		if !ok || len(ls) < 2 {
			return fmt.Errorf("road %d: geometry is %s, want a LineString", r.ID, g.GeoJSONType())
		}
		r.Line, r.OriginEnd, r.OddLeft = ls, origin == "end", side == "left"
		d.RoadByID[r.ID] = int32(len(d.Roads))
		d.Roads = append(d.Roads, r)
	}
	return rows.Err()
}

func (d *Data) loadHouses(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, sqlHouseNumbers)
	if err != nil {
		return fmt.Errorf("load house numbers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			h        House
			from, to int32
		)
		if err := rows.Scan(&h.ID, &h.RoadID, &h.Number, &h.Suffix, &h.Building, &h.AdminCode, &h.Point[0], &h.Point[1], &from, &to); err != nil {
			return fmt.Errorf("load house numbers: %w", err)
		}
		h.From, h.To = Day(from), Day(to)
		d.Houses = append(d.Houses, h)
	}
	return rows.Err()
}

func (d *Data) loadPlaces(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, sqlPlaceNames)
	if err != nil {
		return fmt.Errorf("load place names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p      Place
			hist   []string
			cx, cy *float64
		)
		if err := rows.Scan(&p.ID, &p.Category, &p.Name, &p.Pinyin, &p.Draft, &p.Aliases, &hist, &p.AdminCode, &cx, &cy); err != nil {
			return fmt.Errorf("load place names: %w", err)
		}
		p.Aliases = append(p.Aliases, hist...)
		if cx != nil && cy != nil {
			p.Point, p.HasPoint = orb.Point{*cx, *cy}, true
		}
		d.Places = append(d.Places, p)
	}
	return rows.Err()
}

// At returns the index of the version of code valid on day, or -1.
func (d *Data) At(code string, day Day) int32 {
	for _, i := range d.ByCode[code] {
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
	ListenTables(ctx, pool, func(Tables) time.Duration { return quiet }, log, func(ctx context.Context, _ Tables) { onChange(ctx) })
}

// Tables are the tables a burst of notifications named (the trigger's TG_TABLE_NAME:
// admin_unit, road, house_number, place_name); Unknown is set when changes may have been
// missed (the listener reconnected).
type Tables map[string]bool

// Unknown is the Tables key saying that any table may have changed.
const Unknown = ""

// Only reports whether table is the one table of the burst.
func (t Tables) Only(table string) bool { return len(t) == 1 && t[table] }

// ListenTables is Listen telling onChange which tables the burst changed; the quiet time
// may depend on them (quiet is called with the burst so far after each notification).
func ListenTables(ctx context.Context, pool *pgxpool.Pool, quiet func(Tables) time.Duration, log *slog.Logger, onChange func(context.Context, Tables)) {
	changed := make(chan struct{}, 1)
	var mu sync.Mutex
	pending := Tables{}
	signal := func(table string) {
		mu.Lock()
		pending[table] = true
		mu.Unlock()
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	take := func(reset bool) Tables {
		mu.Lock()
		defer mu.Unlock()
		t := Tables{}
		for k := range pending {
			t[k] = true
		}
		if reset {
			pending = Tables{}
		}
		return t
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
			signal(Unknown)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		timer := time.NewTimer(quiet(take(false)))
	burst:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-changed:
				timer.Reset(quiet(take(false)))
			case <-timer.C:
				break burst
			}
		}
		onChange(ctx, take(true))
	}
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, signal func(table string)) error {
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
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		signal(n.Payload)
	}
}

// WithHouses returns a Data sharing d's divisions, roads and place names, with the house
// numbers read anew from pool: what a change of house_number alone needs (much cheaper
// than Load at national size, where the divisions dominate).
func (d *Data) WithHouses(ctx context.Context, pool *pgxpool.Pool) (*Data, error) {
	nd := &Data{Units: d.Units, ByCode: d.ByCode, Children: d.Children, Roads: d.Roads, RoadByID: d.RoadByID, Places: d.Places, Loaded: time.Now()}
	if err := nd.loadHouses(ctx, pool); err != nil {
		return nil, err
	}
	return nd, nil
}
