package plate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/gazetteer"
	"fangyuan/internal/auth"
)

// Statuses of a plate, in their usual order.
var Statuses = []string{"ordered", "installed", "damaged", "removed"}

// transitions are the allowed status changes: a damaged plate is repaired (installed
// again) or removed; removed is final.
var transitions = map[string][]string{
	"ordered":   {"installed", "removed"},
	"installed": {"damaged", "removed"},
	"damaged":   {"installed", "removed"},
}

// Date is a calendar date that marshals as YYYY-MM-DD.
type Date struct{ time.Time }

// MarshalJSON writes the date as "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.Format(time.DateOnly) + `"`), nil }

// UnmarshalJSON reads "2006-01-02".
func (d *Date) UnmarshalJSON(b []byte) error {
	t, err := time.Parse(`"`+time.DateOnly+`"`, string(b))
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

func (d Date) String() string { return d.Format(time.DateOnly) }

// Event is one status a plate took, with the date it took effect.
type Event struct {
	Status string `json:"status"`
	On     Date   `json:"date"`
}

// Division is one level of an address's division chain.
type Division struct {
	Code   string `json:"code"`
	Level  int    `json:"level"`
	Name   string `json:"name"`
	Pinyin string `json:"pinyin"`
}

// Address is the standard address a plate shows: no personal data.
type Address struct {
	RoadID            int64      `json:"road_id"`
	Road              string     `json:"road"`
	RoadPinyin        string     `json:"road_pinyin"`
	Number            int        `json:"number"`
	Suffix            string     `json:"suffix"`
	Building          string     `json:"building"`
	AdminCode         string     `json:"admin_code"`
	Lon               float64    `json:"lon"`
	Lat               float64    `json:"lat"`
	HouseNumberStatus string     `json:"house_number_status"`
	Divisions         []Division `json:"divisions"`
}

// NumberText is the number as written on the plate: 12号; 甲/乙/丙/丁 and 附 go before the
// number (甲12号, 附12号), 之一/之二/之三 after 号 (12号之一): gazetteer.HouseNumberText.
func (a Address) NumberText() string { return gazetteer.HouseNumberText(a.Number, a.Suffix) }

var suffixPinyin = map[string]string{"甲": "Jia", "乙": "Yi", "丙": "Bing", "丁": "Ding", "之一": "Zhiyi", "之二": "Zhi'er", "之三": "Zhisan", "附": "Fu"}

// NumberPinyin is the number in the romanised address: 12 Hao, Jia 12 Hao, 12 Hao Zhiyi.
func (a Address) NumberPinyin() string {
	n := strconv.Itoa(a.Number)
	switch a.Suffix {
	case "":
		return n + " Hao"
	case "之一", "之二", "之三":
		return n + " Hao " + suffixPinyin[a.Suffix]
	}
	return suffixPinyin[a.Suffix] + " " + n + " Hao"
}

// Text is the address without divisions: road, number and building (中山路甲12号3幢).
func (a Address) Text() string { return a.Road + a.NumberText() + a.Building }

// Pinyin capitalises a pinyin draft ("zhong shan lu" → "Zhong Shan Lu"); official
// romanisations are left as they are.
func Pinyin(s string) string {
	if s == "" || strings.ToLower(s) != s {
		return s
	}
	f := strings.Fields(s)
	for i, w := range f {
		f[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(f, " ")
}

// Plate is a digital plate with its address and history.
type Plate struct {
	ID            string  `json:"id"`
	HouseNumberID int64   `json:"house_number_id"`
	Status        string  `json:"status"`
	OrderedOn     Date    `json:"ordered_on"`
	InstalledOn   *Date   `json:"installed_on"`
	DamagedOn     *Date   `json:"damaged_on"`
	RemovedOn     *Date   `json:"removed_on"`
	Version       int     `json:"version"`
	URL           string  `json:"url"`
	Address       Address `json:"address"`
	History       []Event `json:"history"`
}

// Store reads and writes plates.
type Store struct {
	pool *pgxpool.Pool
	// PublicURL is the base of the URLs the QR codes encode (<PublicURL>/p/<id>).
	PublicURL string
	// Rand is the source of ids; nil is crypto/rand.
	Rand io.Reader
	// Standards name the facility kinds on the public page; nil: the built-in ones.
	Standards *coverage.Standards
}

// NewStore returns a Store on pool whose QR codes point to publicURL.
func NewStore(pool *pgxpool.Pool, publicURL string) *Store {
	return &Store{pool: pool, PublicURL: strings.TrimRight(publicURL, "/")}
}

// WithStandards sets the standards that name the facility kinds on the public
// page (nil: the built-in ones) and returns s.
func (s *Store) WithStandards(std *coverage.Standards) *Store {
	s.Standards = std
	return s
}

// URL is the public address of plate id.
func (s *Store) URL(id string) string { return s.PublicURL + "/p/" + id }

// Errors of the store.
var (
	ErrVersionConflict = errors.New("the plate was changed by someone else; reload it and try again")
	ErrTransition      = errors.New("status change not allowed")
	ErrHasPlate        = errors.New("the house number already has a plate that is not removed")
	ErrNotActive       = errors.New("plates are issued for active house numbers only")
	ErrNoHouseNumber   = errors.New("no such house number")
	ErrDate            = errors.New("bad date")
)

func datePtr(t *time.Time) *Date {
	if t == nil {
		return nil
	}
	return &Date{*t}
}

func scanPlate(row pgx.Row, withAddress bool) (Plate, error) {
	var (
		p                  Plate
		ordered            time.Time
		inst, dmg, removed *time.Time
	)
	dest := []any{&p.ID, &p.HouseNumberID, &p.Status, &ordered, &inst, &dmg, &removed, &p.Version}
	if withAddress {
		a := &p.Address
		dest = append(dest, &a.RoadID, &a.Road, &a.RoadPinyin, &a.Number, &a.Suffix, &a.Building, &a.AdminCode, &a.Lon, &a.Lat, &a.HouseNumberStatus)
	}
	if err := row.Scan(dest...); err != nil {
		return p, err
	}
	p.OrderedOn, p.InstalledOn, p.DamagedOn, p.RemovedOn = Date{ordered}, datePtr(inst), datePtr(dmg), datePtr(removed)
	p.Address.RoadPinyin = Pinyin(p.Address.RoadPinyin)
	return p, nil
}

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Get returns plate id (already parsed by ParseID) with its address, division chain and
// history.
func (s *Store) Get(ctx context.Context, id string) (Plate, error) {
	return s.get(ctx, s.pool, id)
}

func (s *Store) get(ctx context.Context, q Querier, id string) (Plate, error) {
	p, err := scanPlate(q.QueryRow(ctx, sqlGetPlate, id), true)
	if err != nil {
		return p, err
	}
	p.URL = s.URL(p.ID)
	if p.Address.Divisions, err = divisions(ctx, q, p.Address.AdminCode); err != nil {
		return p, err
	}
	rows, err := q.Query(ctx, sqlPlateEvents, id)
	if err != nil {
		return p, err
	}
	p.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.Status, &e.On.Time)
		return e, err
	})
	return p, err
}

func divisions(ctx context.Context, q Querier, code string) ([]Division, error) {
	out := []Division{}
	if code == "" {
		return out, nil
	}
	rows, err := q.Query(ctx, sqlDivisionChain, code)
	if err != nil {
		return nil, err
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Division, error) {
		var d Division
		err := r.Scan(&d.Code, &d.Level, &d.Name, &d.Pinyin)
		d.Pinyin = Pinyin(d.Pinyin)
		return d, err
	})
	return append(out, ds...), err
}

// NoRoadError means a road id names no road; it is a pgx.ErrNoRows.
type NoRoadError struct{ ID int64 }

func (e *NoRoadError) Error() string { return fmt.Sprintf("no road %d", e.ID) }
func (e *NoRoadError) Unwrap() error { return pgx.ErrNoRows }

func roadErr(err error, road int64) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &NoRoadError{road}
	}
	return err
}

// Issue orders a plate for house number hn on date on and audits it.
func (s *Store) Issue(ctx context.Context, hn int64, on time.Time) (Plate, error) {
	var out Plate
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, err := s.issue(ctx, tx, hn, on)
		if err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "plate", Key: id, After: out})
	})
	return out, err
}

func (s *Store) issue(ctx context.Context, tx pgx.Tx, hn int64, on time.Time) (string, error) {
	var status string
	if err := tx.QueryRow(ctx, sqlLockHouseNumber, hn).Scan(&status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("%w: %d", ErrNoHouseNumber, hn)
		}
		return "", err
	}
	if status != "active" {
		return "", fmt.Errorf("%w: house number %d is %s", ErrNotActive, hn, status)
	}
	var live string
	switch err := tx.QueryRow(ctx, sqlLivePlateOf, hn).Scan(&live); {
	case err == nil:
		return "", fmt.Errorf("%w: plate %s of house number %d (remove it first)", ErrHasPlate, live, hn)
	case !errors.Is(err, pgx.ErrNoRows):
		return "", err
	}
	for attempt := 0; ; attempt++ {
		id, err := NewID(s.Rand)
		if err != nil {
			return "", err
		}
		_, err = tx.Exec(ctx, "SAVEPOINT plate_issue")
		if err != nil {
			return "", err
		}
		_, err = tx.Exec(ctx, sqlInsertPlate, id, hn, on)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT plate_issue"); rerr != nil {
				return "", rerr
			}
			if pgErr.ConstraintName == "plate_one_live" {
				return "", fmt.Errorf("%w: house number %d (issued concurrently)", ErrHasPlate, hn)
			}
			if attempt < 5 {
				continue // an id drawn twice: draw again
			}
		}
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, sqlInsertEvent, id, "ordered", on); err != nil {
			return "", err
		}
		return id, nil
	}
}

// IssueRoad orders plates for the active house numbers of road that have none, on date
// on, in one transaction (each plate audited), and returns their ids in number order.
func (s *Store) IssueRoad(ctx context.Context, road int64, on time.Time) ([]string, error) {
	var ids []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, sqlRoadExists, road).Scan(&name); err != nil {
			return roadErr(err, road)
		}
		rows, err := tx.Query(ctx, sqlRoadNumbersWithoutPlate, road)
		if err != nil {
			return err
		}
		hns, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		ids, err = s.issueAll(ctx, tx, hns, on, map[string]any{"road_id": road})
		return err
	})
	return ids, err
}

func (s *Store) issueAll(ctx context.Context, tx pgx.Tx, hns []int64, on time.Time, detail any) ([]string, error) {
	ids := make([]string, 0, len(hns))
	for _, hn := range hns {
		id, err := s.issue(ctx, tx, hn, on)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		if err := auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "plate", Key: id,
			After: map[string]any{"id": id, "house_number_id": hn, "status": "ordered", "ordered_on": Date{on}}, Detail: detail}); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// IssueDemo issues plates for every second active house number of the database (by id)
// that has none: ordered on 2026-11-02 and installed on 2026-11-20, in one transaction of a
// few set-based statements (audited). It is the plate part of the demo data; LoadDemo runs
// it after the demo's house numbers are loaded.
func (s *Store) IssueDemo(ctx context.Context) (int, error) {
	ordered := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	installed := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	who, ok := auth.FromContext(ctx)
	if !ok {
		return 0, auth.ErrNoPrincipal
	}
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlDemoNumbers)
		if err != nil {
			return err
		}
		hns, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(hns) == 0 {
			return err
		}
		ids := make([]string, len(hns))
		seen := map[string]bool{}
		for i := range ids {
			for ids[i] == "" || seen[ids[i]] {
				if ids[i], err = NewID(s.Rand); err != nil {
					return err
				}
			}
			seen[ids[i]] = true
		}
		if err := auth.BindRequestID(ctx, tx); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{sqlInsertDemoPlates, []any{ids, hns, ordered, installed}},
			{sqlInsertDemoEvents, []any{ids, ordered, installed}},
			{sqlAuditDemoPlates, []any{ids, hns, ordered, installed, who.Name, who.Via}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// SetStatus moves plate id to status on date on if version still matches, and audits it.
func (s *Store) SetStatus(ctx context.Context, id string, version int, status string, on time.Time) (Plate, error) {
	var out Plate
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := setStatus(ctx, tx, id, version, status, on); err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "plate", Key: id,
			Before: map[string]any{"status": before.Status, "version": before.Version},
			After:  map[string]any{"status": out.Status, "version": out.Version, "date": Date{on}}})
	})
	return out, err
}

func setStatus(ctx context.Context, tx pgx.Tx, id string, version int, status string, on time.Time) error {
	cur, err := scanPlate(tx.QueryRow(ctx, sqlLockPlate, id), false)
	if err != nil {
		return err
	}
	if cur.Version != version {
		return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, cur.Version)
	}
	next := transitions[cur.Status]
	if !slices.Contains(next, status) {
		if len(next) == 0 {
			return fmt.Errorf("%w: plate %s is %s, which is final", ErrTransition, id, cur.Status)
		}
		return fmt.Errorf("%w: plate %s is %s; it can become %s, not %s", ErrTransition, id, cur.Status, strings.Join(next, " or "), status)
	}
	rows, err := tx.Query(ctx, sqlPlateEvents, id)
	if err != nil {
		return err
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.Status, &e.On.Time)
		return e, err
	})
	if err != nil {
		return err
	}
	if n := len(events); n > 0 && on.Before(events[n-1].On.Time) {
		last := events[n-1]
		return fmt.Errorf("%w: %s is before the plate's last change (%s on %s)", ErrDate, on.Format(time.DateOnly), last.Status, last.On)
	}
	if _, err := tx.Exec(ctx, sqlSetStatus, id, status, on, version); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, sqlInsertEvent, id, status, on)
	return err
}

// RoadPlates returns the plates of road that are not removed, in number order, with
// their addresses (the division chain of the first, shared by the road).
func (s *Store) RoadPlates(ctx context.Context, road int64) (string, []Plate, error) {
	var name string
	if err := s.pool.QueryRow(ctx, sqlRoadExists, road).Scan(&name); err != nil {
		return "", nil, roadErr(err, road)
	}
	rows, err := s.pool.Query(ctx, sqlRoadPlates, road)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var out []Plate
	for rows.Next() {
		p, err := scanPlate(rows, true)
		if err != nil {
			return "", nil, err
		}
		p.URL = s.URL(p.ID)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	chains := map[string][]Division{}
	for i := range out {
		code := out[i].Address.AdminCode
		if _, ok := chains[code]; !ok {
			if chains[code], err = divisions(ctx, s.pool, code); err != nil {
				return "", nil, err
			}
		}
		out[i].Address.Divisions = chains[code]
	}
	return name, out, nil
}

// Facility is the nearest operating facility of a kind.
type Facility struct {
	Kind      string  `json:"kind"`
	KindName  string  `json:"kind_name"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
	DistanceM float64 `json:"distance_m"`
}

// Nearest returns the nearest operating facility of each kind to lon, lat (geodesic
// distance), by kind.
func (s *Store) Nearest(ctx context.Context, lon, lat float64) ([]Facility, error) {
	rows, err := s.pool.Query(ctx, sqlNearestFacilities, lon, lat)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Facility, error) {
		var f Facility
		err := r.Scan(&f.Kind, &f.Name, &f.Address, &f.DistanceM)
		return f, err
	})
}
