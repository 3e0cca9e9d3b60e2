package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Updates in place (the live index). The change log of migration 014 names every changed
// row; ReadChanges reads the rows named since a Cursor, and Data.Apply makes a new Data
// holding them: the rows of the old one are shared (the slices are only ever appended to
// beyond the lengths a published Data sees), superseded rows stay in the slices but leave
// the lookups, and the lookups that changed are a small copy-on-write overlay. A Data is
// never modified once published, so readers need no lock.

// overlay holds the lookups an update changed; each Apply copies it (it is small: the
// rows changed since the full load).
type overlay struct {
	byCode   map[string][]int32 // versions of a code, replacing ByCode's entry
	children map[string][]int32 // replacing Children's entry
	roads    map[int64]int32    // road id → slot, -1: gone
	houses   map[int64]int32    // house number id → slot, -1: gone
	places   map[int64]int32    // place name id → slot, -1: gone
	rows     int                // rows changed since the load
	counts   [4]int             // current units, roads, house numbers, place names
}

func (o *overlay) clone() *overlay {
	if o == nil {
		return &overlay{byCode: map[string][]int32{}, children: map[string][]int32{}, roads: map[int64]int32{},
			houses: map[int64]int32{}, places: map[int64]int32{}}
	}
	return &overlay{byCode: clone(o.byCode), children: clone(o.children), roads: clone(o.roads),
		houses: clone(o.houses), places: clone(o.places), rows: o.rows, counts: o.counts}
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m)+8)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// idIndex holds the loaded house numbers and place names sorted by id.
type idIndex struct {
	houses, places []int32
	h0             *House // the Data they were made for (a copy with other slices needs its own)
	p0             *Place
}

func (ids *idIndex) of(d *Data) bool {
	return ids != nil && len(ids.houses) <= len(d.Houses) && len(ids.places) <= len(d.Places) &&
		(len(ids.houses) == 0 || ids.h0 == &d.Houses[0]) && (len(ids.places) == 0 || ids.p0 == &d.Places[0])
}

// Versions returns the versions of a code, oldest first.
func (d *Data) Versions(code string) []int32 {
	if d.ov != nil {
		if v, ok := d.ov.byCode[code]; ok {
			return v
		}
	}
	return d.ByCode[code]
}

// ChildrenOf returns the unit versions whose parent is code (every version of each child).
func (d *Data) ChildrenOf(code string) []int32 {
	if d.ov != nil {
		if v, ok := d.ov.children[code]; ok {
			return v
		}
	}
	return d.Children[code]
}

// RoadIndex returns the slot in Roads of the road with id.
func (d *Data) RoadIndex(id int64) (int32, bool) {
	if d.ov != nil {
		if i, ok := d.ov.roads[id]; ok {
			return i, i >= 0
		}
	}
	i, ok := d.RoadByID[id]
	return i, ok
}

// HouseIndex returns the slot in Houses of the current house number with id (on a Data
// after IndexIDs, or one made by Apply).
func (d *Data) HouseIndex(id int64) (int32, bool) {
	if d.ov != nil {
		if i, ok := d.ov.houses[id]; ok {
			return i, i >= 0
		}
	}
	ids := d.idIndex()
	k, ok := slices.BinarySearchFunc(ids.houses, id, func(s int32, id int64) int { return cmp.Compare(d.Houses[s].ID, id) })
	if !ok {
		return -1, false
	}
	return ids.houses[k], true
}

// PlaceIndex returns the slot in Places of the current place name with id (as HouseIndex).
func (d *Data) PlaceIndex(id int64) (int32, bool) {
	if d.ov != nil {
		if i, ok := d.ov.places[id]; ok {
			return i, i >= 0
		}
	}
	ids := d.idIndex()
	k, ok := slices.BinarySearchFunc(ids.places, id, func(s int32, id int64) int { return cmp.Compare(d.Places[s].ID, id) })
	if !ok {
		return -1, false
	}
	return ids.places[k], true
}

// Updated is the number of rows changed in place since the full load.
func (d *Data) Updated() int {
	if d.ov == nil {
		return 0
	}
	return d.ov.rows
}

// Counts are the current rows (superseded ones left out).
func (d *Data) Counts() (units, roads, houses, places int) {
	if d.ov == nil {
		return len(d.Units), len(d.Roads), len(d.Houses), len(d.Places)
	}
	c := d.ov.counts
	return c[0], c[1], c[2], c[3]
}

// IndexIDs sorts the loaded house numbers and place names by id (what an update looks
// them up by). Build calls it once after a load; Apply does when it was not.
func (d *Data) IndexIDs() {
	if !d.ids.of(d) {
		d.ids = newIDIndex(d)
	}
}

func (d *Data) idIndex() *idIndex {
	if d.ids == nil {
		panic("snapshot: IndexIDs not called")
	}
	return d.ids
}

func newIDIndex(d *Data) *idIndex {
	ids := &idIndex{houses: make([]int32, len(d.Houses)), places: make([]int32, len(d.Places))}
	for i := range ids.houses {
		ids.houses[i] = int32(i)
	}
	for i := range ids.places {
		ids.places[i] = int32(i)
	}
	slices.SortFunc(ids.houses, func(a, b int32) int { return cmp.Compare(d.Houses[a].ID, d.Houses[b].ID) })
	slices.SortFunc(ids.places, func(a, b int32) int { return cmp.Compare(d.Places[a].ID, d.Places[b].ID) })
	if len(d.Houses) > 0 {
		ids.h0 = &d.Houses[0]
	}
	if len(d.Places) > 0 {
		ids.p0 = &d.Places[0]
	}
	return ids
}

// Changes are the rows the change log named since a Cursor, as they are now.
type Changes struct {
	// Reload: a change too large to apply in place (an import, TRUNCATE, or more waiting
	// rows than the reader takes at once): rebuild everything.
	Reload bool
	Units  map[string][]Unit // every version of each changed code, oldest first (none: deleted)
	Roads  map[int64]*Road   // nil: deleted
	Houses map[int64]*House  // nil: deleted or retired
	Places map[int64]*Place  // nil: deleted or retired
	Rows   int               // change-log rows read
	Seq    int64             // the highest seq read
}

// Empty reports whether there is nothing to apply.
func (c *Changes) Empty() bool {
	return !c.Reload && len(c.Units)+len(c.Roads)+len(c.Houses)+len(c.Places) == 0
}

// Cursor is how far a reader has followed the change log: every row of a transaction
// with an xid below Xmin, and the rows of the transactions in Seen (at or above Xmin).
type Cursor struct {
	Xmin int64
	Seen []int64
	Seq  int64     // the highest seq applied (for reports)
	Read time.Time // the database's clock at the read (zero: never read)
}

// The change log is pruned (PruneChanges) of rows older than ChangeRetention; a reader
// whose last read is older than MaxCursorAge rebuilds instead of reading on, since rows
// it has not read may be gone by then (MaxCursorAge is well inside the retention).
const (
	ChangeRetention = 7 * 24 * time.Hour
	MaxCursorAge    = 24 * time.Hour
)

// PruneChanges deletes the change-log rows older than keep of transactions that have
// ended, in batches, and returns how many it deleted. Readers that follow the log (every
// serving node, each second) are far past them; one that has not read for MaxCursorAge
// rebuilds from the tables, so keep must exceed MaxCursorAge.
func PruneChanges(ctx context.Context, pool *pgxpool.Pool, keep time.Duration) (int64, error) {
	if keep <= MaxCursorAge {
		return 0, fmt.Errorf("gazetteer change log: a retention of %v is not above the %v after which readers rebuild", keep, MaxCursorAge)
	}
	const batch = 10_000
	var n int64
	for {
		tag, err := pool.Exec(ctx, sqlPruneChanges, keep.Seconds(), batch)
		if err != nil {
			return n, fmt.Errorf("gazetteer change log: prune: %w", err)
		}
		n += tag.RowsAffected()
		if tag.RowsAffected() < batch {
			return n, nil
		}
	}
}

// StartCursor is the cursor to take before a full load: every transaction that ended
// before it is in the load; later ones are read from the log (again, harmlessly, when the
// load saw them too).
func StartCursor(ctx context.Context, pool *pgxpool.Pool) (Cursor, error) {
	var c Cursor
	if err := pool.QueryRow(ctx, sqlChangeHorizon).Scan(&c.Xmin, &c.Read); err != nil {
		return c, fmt.Errorf("gazetteer change log: %w", err)
	}
	return c, nil
}

// ReadChanges reads the change-log rows after cur (at most max; more means Reload) and the
// rows they name, all in one snapshot, and returns them with the cursor after them.
func ReadChanges(ctx context.Context, pool *pgxpool.Pool, cur Cursor, max int) (*Changes, Cursor, error) {
	ch := &Changes{}
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, cur, fmt.Errorf("gazetteer change log: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	next := Cursor{Seq: cur.Seq}
	// The horizon first: the rows read below are of this snapshot, which sees every
	// transaction below it ended.
	if err := tx.QueryRow(ctx, sqlChangeHorizon).Scan(&next.Xmin, &next.Read); err != nil {
		return nil, cur, fmt.Errorf("gazetteer change log: %w", err)
	}
	if !cur.Read.IsZero() && next.Read.Sub(cur.Read) > MaxCursorAge {
		// Rows this reader has not read may have been pruned: rebuild.
		ch.Reload = true
		return ch, next, nil
	}
	seen := append([]int64{}, cur.Seen...)
	rows, err := tx.Query(ctx, sqlChanges, strconv.FormatInt(cur.Xmin, 10), seen, max+1)
	if err != nil {
		return nil, cur, fmt.Errorf("gazetteer change log: %w", err)
	}
	var (
		codes              []string
		roads, houses, pls []int64
		xids               = map[int64]bool{}
	)
	for rows.Next() {
		var (
			seq, id, xid int64
			tbl, op      string
		)
		if err := rows.Scan(&seq, &tbl, &id, &op, &xid); err != nil {
			rows.Close()
			return nil, cur, fmt.Errorf("gazetteer change log: %w", err)
		}
		ch.Rows++
		ch.Seq = max64(ch.Seq, seq)
		xids[xid] = true
		if op == "reload" {
			ch.Reload = true
			continue
		}
		switch tbl {
		case "admin_unit":
			codes = append(codes, fmt.Sprintf("%012d", id))
		case "road":
			roads = append(roads, id)
		case "house_number":
			houses = append(houses, id)
		case "place_name":
			pls = append(pls, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cur, fmt.Errorf("gazetteer change log: %w", err)
	}
	if ch.Rows > max {
		ch.Reload = true
	}
	for x := range xids {
		seen = append(seen, x)
	}
	for _, x := range seen {
		if x >= next.Xmin {
			next.Seen = append(next.Seen, x)
		}
	}
	slices.Sort(next.Seen)
	next.Seen = slices.Compact(next.Seen)
	next.Seq = max64(next.Seq, ch.Seq)
	if ch.Reload {
		return ch, next, nil
	}
	if err := ch.load(ctx, tx, codes, roads, houses, pls); err != nil {
		return nil, cur, err
	}
	return ch, next, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func (ch *Changes) load(ctx context.Context, tx pgx.Tx, codes []string, roads, houses, places []int64) error {
	in := interner{}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	ch.Units = make(map[string][]Unit, len(codes))
	ch.Roads = map[int64]*Road{}
	ch.Houses = map[int64]*House{}
	ch.Places = map[int64]*Place{}
	if len(codes) > 0 {
		nums := make([]int64, len(codes))
		for i, c := range codes {
			nums[i], _ = strconv.ParseInt(c, 10, 64)
		}
		us, err := queryUnits(ctx, tx, in, sqlUnitsByCode, nums)
		if err != nil {
			return err
		}
		for _, c := range codes {
			ch.Units[c] = nil
		}
		for _, u := range us {
			ch.Units[u.Code] = append(ch.Units[u.Code], u)
		}
	}
	if len(roads) > 0 {
		rs, err := queryRoads(ctx, tx, in, sqlRoadsByID, roads)
		if err != nil {
			return err
		}
		for _, id := range roads {
			ch.Roads[id] = nil
		}
		for i := range rs {
			ch.Roads[rs[i].ID] = &rs[i]
		}
	}
	if len(houses) > 0 {
		hs, err := queryHouses(ctx, tx, in, sqlHouseNumbersByID, houses)
		if err != nil {
			return err
		}
		for _, id := range houses {
			ch.Houses[id] = nil
		}
		for i := range hs {
			ch.Houses[hs[i].ID] = &hs[i]
		}
	}
	if len(places) > 0 {
		ps, err := queryPlaces(ctx, tx, in, sqlPlaceNamesByID, places)
		if err != nil {
			return err
		}
		for _, id := range places {
			ch.Places[id] = nil
		}
		for i := range ps {
			ch.Places[ps[i].ID] = &ps[i]
		}
	}
	return nil
}

// Delta tells the indexes what an Apply changed: slots superseded (Old…) and appended
// (New…), the parents whose children changed (their importance in search), and the live
// house numbers of roads that were added, renamed or removed (their address text).
type Delta struct {
	OldUnits, NewUnits   []int32
	OldRoads, NewRoads   []int32
	OldHouses, NewHouses []int32
	OldPlaces, NewPlaces []int32
	Parents              []string
	RoadHouses           []int32
}

// Apply returns a Data with the changes applied, sharing d's rows, and what changed. d is
// unchanged and stays valid for its readers. Apply d's successors only (one line of
// updates: the slices are appended to in place).
func (d *Data) Apply(ch *Changes) (*Data, *Delta) {
	nd := *d
	if !nd.ids.of(d) {
		nd.ids = newIDIndex(d)
	}
	if d.ov == nil {
		nd.ov = d.ov.clone()
		nd.ov.counts = [4]int{len(d.Units), len(d.Roads), len(d.Houses), len(d.Places)}
	} else {
		nd.ov = d.ov.clone()
	}
	ov := nd.ov
	dl := &Delta{}

	// Divisions: every version of a changed code is replaced.
	codes := sortedKeys(ch.Units)
	parents := map[string]bool{}
	changedCode := map[string]bool{}
	for _, code := range codes {
		changedCode[code] = true
		old := nd.Versions(code)
		dl.OldUnits = append(dl.OldUnits, old...)
		for _, s := range old {
			if p := nd.Units[s].Parent; p != "" {
				parents[p] = true
			}
		}
		var slots []int32
		for _, u := range ch.Units[code] {
			slots = append(slots, int32(len(nd.Units)))
			nd.Units = append(nd.Units, u)
			if u.Parent != "" {
				parents[u.Parent] = true
			}
		}
		dl.NewUnits = append(dl.NewUnits, slots...)
		if slots == nil {
			slots = []int32{}
		}
		ov.byCode[code] = slots
		ov.counts[0] += len(slots) - len(old)
	}
	for _, p := range sortedKeys(parents) {
		before := nd.ChildrenOf(p)
		var list []int32
		for _, s := range before {
			if !changedCode[nd.Units[s].Code] {
				list = append(list, s)
			}
		}
		for _, s := range dl.NewUnits {
			if nd.Units[s].Parent == p {
				list = append(list, s)
			}
		}
		slices.SortStableFunc(list, func(a, b int32) int {
			x, y := &nd.Units[a], &nd.Units[b]
			return cmp.Or(cmp.Compare(x.Code, y.Code), cmp.Compare(x.From, y.From))
		})
		if list == nil {
			list = []int32{}
		}
		ov.children[p] = list
		if len(list) != len(before) {
			dl.Parents = append(dl.Parents, p)
		}
	}

	// Roads.
	rekey := map[int64]bool{}
	for _, id := range sortedKeys(ch.Roads) {
		r := ch.Roads[id]
		old, had := nd.RoadIndex(id)
		if had {
			dl.OldRoads = append(dl.OldRoads, old)
			ov.counts[1]--
		}
		if r == nil {
			ov.roads[id] = -1
		} else {
			s := int32(len(nd.Roads))
			nd.Roads = append(nd.Roads, *r)
			ov.roads[id] = s
			dl.NewRoads = append(dl.NewRoads, s)
			ov.counts[1]++
		}
		if !had || r == nil || nd.Roads[old].Name != r.Name {
			rekey[id] = true
		}
	}

	// House numbers and place names.
	newHouse := map[int32]bool{}
	for _, id := range sortedKeys(ch.Houses) {
		h := ch.Houses[id]
		if old, had := nd.HouseIndex(id); had {
			dl.OldHouses = append(dl.OldHouses, old)
			ov.counts[2]--
		}
		if h == nil {
			ov.houses[id] = -1
			continue
		}
		s := int32(len(nd.Houses))
		nd.Houses = append(nd.Houses, *h)
		ov.houses[id] = s
		newHouse[s] = true
		dl.NewHouses = append(dl.NewHouses, s)
		ov.counts[2]++
	}
	for _, id := range sortedKeys(ch.Places) {
		p := ch.Places[id]
		if old, had := nd.PlaceIndex(id); had {
			dl.OldPlaces = append(dl.OldPlaces, old)
			ov.counts[3]--
		}
		if p == nil {
			ov.places[id] = -1
			continue
		}
		s := int32(len(nd.Places))
		nd.Places = append(nd.Places, *p)
		ov.places[id] = s
		dl.NewPlaces = append(dl.NewPlaces, s)
		ov.counts[3]++
	}
	if len(rekey) > 0 {
		for s := range nd.Houses {
			h := &nd.Houses[s]
			if !rekey[h.RoadID] || newHouse[int32(s)] {
				continue
			}
			if cur, ok := nd.HouseIndex(h.ID); ok && cur == int32(s) {
				dl.RoadHouses = append(dl.RoadHouses, int32(s))
			}
		}
	}
	ov.rows += len(ch.Units) + len(ch.Roads) + len(ch.Houses) + len(ch.Places)
	// The loaded rows keep their slots when a slice grows: the id index stays, for the
	// new slices.
	ids := *nd.ids
	if len(nd.Houses) > 0 {
		ids.h0 = &nd.Houses[0]
	}
	if len(nd.Places) > 0 {
		ids.p0 = &nd.Places[0]
	}
	nd.ids = &ids
	return &nd, dl
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
