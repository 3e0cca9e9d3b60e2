package search

import (
	"slices"

	"fangyuan/gazetteer/snapshot"
)

// Updates in place. An Index made by New is never modified; Apply makes a successor that
// shares it: the entries slice is appended to (beyond the length the published index
// sees), entries of superseded rows are marked dead in a copied bitset, and the keys of
// new entries go into a small overlay (an Index of its own, holding only them) that
// lookups merge with the base in key order. The entries and keys of a row come from the
// same functions New uses (addUnit, addRoad, …), so an updated index answers as one built
// afresh on the same data. Readers hold one Index and need no lock.

type live struct {
	dead  []uint64 // bit e: entry e belongs to a superseded row
	ndead int
	ov    *Index // the overlay: keys of entries added by updates (entries shared)
	// Entry of each loaded row (by kind and slot), and the entries of rows added or
	// re-keyed since (kind<<32 | slot → entry, -1: none).
	base  *baseRefs
	moved map[uint64]int32
}

type baseRefs struct {
	refs    [4][]int32 // kind → slot → entry (-1: none)
	entries int        // entries of the index made by New
}

func (l *live) isDead(e int32) bool {
	return int(e>>6) < len(l.dead) && l.dead[e>>6]&(1<<(uint(e)&63)) != 0
}

// postings merges a base and an overlay list of entries (each ascending; overlay entries
// come after the base ones) without the dead ones. The base list is returned as it is
// when none of it is dead and the overlay has none.
func (l *live) postings(base, ov []int32) []int32 {
	if l.ndead == 0 && len(ov) == 0 {
		return base
	}
	cut := -1
	for i, e := range base {
		if l.isDead(e) {
			cut = i
			break
		}
	}
	if cut < 0 && len(ov) == 0 {
		return base
	}
	if cut < 0 {
		cut = len(base)
	}
	out := make([]int32, 0, len(base)+len(ov))
	out = append(out, base[:cut]...)
	for _, e := range base[cut:] {
		if !l.isDead(e) {
			out = append(out, e)
		}
	}
	for _, e := range ov {
		if !l.isDead(e) {
			out = append(out, e)
		}
	}
	return out
}

// keys merges a base and an overlay key range (each sorted by s) without dead entries.
func (l *live) keys(base, ov []key) []key {
	if l.ndead == 0 && len(ov) == 0 {
		return base
	}
	clean := true
	for i := range base {
		if l.isDead(base[i].e) {
			clean = false
			break
		}
	}
	if clean && len(ov) == 0 {
		return base
	}
	out := make([]key, 0, len(base)+len(ov))
	i, j := 0, 0
	for i < len(base) || j < len(ov) {
		var k key
		if j >= len(ov) || (i < len(base) && base[i].s <= ov[j].s) {
			k = base[i]
			i++
		} else {
			k = ov[j]
			j++
		}
		if !l.isDead(k.e) {
			out = append(out, k)
		}
	}
	return out
}

// entryBefore is the order of entries a fresh New gives them: by kind (divisions, roads,
// place names, addresses), then by row as loaded (divisions by code and validity, the
// others by id; addresses by road, number and id). Entries added by updates come after the
// base ones in the entries slice, so an updated index compares their rows.
func (ix *Index) entryBefore(a, b int32) bool {
	if ix.live == nil || (int(a) < ix.live.base.entries && int(b) < ix.live.base.entries) {
		return a < b
	}
	x, y := &ix.entries[a], &ix.entries[b]
	if x.kind != y.kind {
		return kindOrder[x.kind] < kindOrder[y.kind]
	}
	d := ix.data
	switch x.kind {
	case KindDivision:
		u, v := &d.Units[x.ref], &d.Units[y.ref]
		if u.Code != v.Code {
			return u.Code < v.Code
		}
		if u.From != v.From {
			return u.From < v.From
		}
	case KindRoad:
		if i, j := d.Roads[x.ref].ID, d.Roads[y.ref].ID; i != j {
			return i < j
		}
	case KindPlace:
		if i, j := d.Places[x.ref].ID, d.Places[y.ref].ID; i != j {
			return i < j
		}
	case KindAddress:
		h, k := &d.Houses[x.ref], &d.Houses[y.ref]
		if h.RoadID != k.RoadID {
			return h.RoadID < k.RoadID
		}
		if h.Number != k.Number {
			return h.Number < k.Number
		}
		if h.ID != k.ID { // equal numbers (9号, 9甲号): by id, as loaded
			return h.ID < k.ID
		}
	}
	return a < b
}

// kindOrder is the order New adds the kinds in.
var kindOrder = [4]int{KindDivision: 0, KindRoad: 1, KindPlace: 2, KindAddress: 3}

func (l *live) entryOf(kind uint8, slot int32) int32 {
	if e, ok := l.moved[uint64(kind)<<32|uint64(uint32(slot))]; ok {
		return e
	}
	if refs := l.base.refs[kind]; int(slot) < len(refs) {
		return refs[slot]
	}
	return -1
}

// Updated is the number of entries added by updates in place since New.
func (ix *Index) Updated() int {
	if ix.live == nil {
		return 0
	}
	return ix.live.ov.memo.Entries
}

// Apply returns an index over nd (made from ix.Data() by snapshot.Data.Apply, which
// reported dl) with the changes applied; ix is unchanged. Apply ix's successors only.
func (ix *Index) Apply(nd *snapshot.Data, dl *snapshot.Delta) *Index {
	old := ix.live
	nl := &live{}
	var ov *Index
	if old == nil {
		nl.base = baseRefsOf(ix)
		nl.moved = map[uint64]int32{}
		nl.dead = make([]uint64, (len(ix.entries)+64)/64)
		ov = &Index{exact: newPostings[string](0), bigrams: newPostings[uint64](0), overlay: true}
	} else {
		nl.base = old.base
		nl.moved = make(map[uint64]int32, len(old.moved)+len(dl.NewHouses)+len(dl.NewUnits))
		for k, v := range old.moved {
			nl.moved[k] = v
		}
		nl.dead = slices.Clone(old.dead)
		nl.ndead = old.ndead
		o := old.ov
		ov = &Index{exact: o.exact.clone(16), bigrams: o.bigrams.clone(16), dels: slices.Clone(o.dels), overlay: true}
		for l := range o.byLevel {
			ov.byLevel[l] = slices.Clone(o.byLevel[l])
		}
	}
	ov.data = nd
	ov.entries = ix.entries // appended to: shared up to ix's length
	kill := func(kind uint8, slot int32) {
		if e := nl.entryOf(kind, slot); e >= 0 {
			nl.kill(e)
			nl.moved[uint64(kind)<<32|uint64(uint32(slot))] = -1
		}
	}
	set := func(kind uint8, slot, e int32) { nl.moved[uint64(kind)<<32|uint64(uint32(slot))] = e }

	for _, s := range dl.OldUnits {
		kill(KindDivision, s)
	}
	for _, s := range dl.OldRoads {
		kill(KindRoad, s)
	}
	for _, s := range dl.OldPlaces {
		kill(KindPlace, s)
	}
	for _, s := range dl.OldHouses {
		kill(KindAddress, s)
	}
	for _, s := range dl.RoadHouses {
		kill(KindAddress, s)
	}
	for _, s := range dl.NewUnits {
		set(KindDivision, s, ov.addUnit(s))
	}
	// Parents whose children changed: their importance is the number of children.
	added := map[int32]bool{}
	for _, s := range dl.NewUnits {
		added[s] = true
	}
	for _, p := range dl.Parents {
		for _, s := range nd.Versions(p) {
			if added[s] || nd.Units[s].To != snapshot.Forever {
				continue
			}
			kill(KindDivision, s)
			set(KindDivision, s, ov.addUnit(s))
		}
	}
	for _, s := range dl.NewRoads {
		set(KindRoad, s, ov.addRoad(s))
	}
	for _, s := range dl.NewPlaces {
		set(KindPlace, s, ov.addPlace(s))
	}
	for _, s := range dl.NewHouses {
		set(KindAddress, s, ov.addHouse(s))
	}
	for _, s := range dl.RoadHouses {
		set(KindAddress, s, ov.addHouse(s))
	}
	if n := (len(ov.entries) + 64) / 64; n > len(nl.dead) {
		nl.dead = append(nl.dead, make([]uint64, n-len(nl.dead))...)
	}
	ov.sortKeys()
	ov.memo.Entries = len(ov.entries) - nl.base.entries
	nl.ov = ov

	nix := *ix
	nix.data = nd
	nix.entries = ov.entries
	nix.live = nl
	nix.memo.Entries = len(ov.entries) - nl.ndead
	nix.memo.Keys = ix.baseKeys() + len(ix.addrs) + ov.memo.Keys
	return &nix
}

func (l *live) kill(e int32) {
	if int(e>>6) >= len(l.dead) {
		l.dead = append(l.dead, make([]uint64, int(e>>6)+1-len(l.dead))...)
	}
	if l.dead[e>>6]&(1<<(uint(e)&63)) == 0 {
		l.dead[e>>6] |= 1 << (uint(e) & 63)
		l.ndead++
	}
}

func (ix *Index) baseKeys() int {
	n := 0
	for l := range ix.byLevel {
		n += len(ix.byLevel[l])
	}
	return n
}

// baseRefsOf maps the rows of an index made by New to their entries.
func baseRefsOf(ix *Index) *baseRefs {
	d := ix.data
	b := &baseRefs{entries: len(ix.entries)}
	lens := [4]int{len(d.Units), len(d.Roads), len(d.Places), len(d.Houses)}
	for k := range b.refs {
		b.refs[k] = make([]int32, lens[k])
		for i := range b.refs[k] {
			b.refs[k][i] = -1
		}
	}
	for e := range ix.entries {
		en := &ix.entries[e]
		b.refs[en.kind][en.ref] = int32(e)
	}
	return b
}
