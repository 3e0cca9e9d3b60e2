// Package search finds divisions, roads and place names the way people write them:
// Chinese prefixes and substrings with levels and suffixes left out, small typos, full
// pinyin and initials (official pinyin where the place-name office set it), aliases and
// old names (answered with the current unit and what it was called). It runs on an
// in-memory index built from a gazetteer snapshot.
package search

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
)

// Entry kinds.
const (
	KindDivision = iota
	KindRoad
	KindPlace
	KindAddress
)

// Key classes, in the order a match on them ranks.
const (
	clsName         = iota // the full name
	clsBase                // the name without its generic suffix (丽水 for 丽水市)
	clsAlias               // an alias, or a name the unit had before
	clsPinyin              // full pinyin without spaces
	clsInitials            // pinyin initials
	clsPinyinBase          // pinyin of a name without its suffix
	clsInitialsBase        // initials of a name without its suffix
	clsPinyinAlt           // another reading of the polyphone characters of a name (or its base)
)

// entry is one division version, road, place name or house number; its code (the unit's,
// or the division a road, place or house number lies in) is read from its row (codeOf):
// 12 bytes an entry instead of 32.
type entry struct {
	kind  uint8
	level int8 // 1–5 for divisions, 6 for roads and place names
	ref   int32
	imp   int32 // importance: number of units below (divisions)
}

// codeOf returns the code of entry e: the unit's code for a division, else the code of
// the division the row lies in. Rows never change once loaded (updates append new rows).
func (ix *Index) codeOf(e int32) string {
	en := &ix.entries[e]
	d := ix.data
	switch en.kind {
	case KindDivision:
		return d.Units[en.ref].Code
	case KindRoad:
		return d.Roads[en.ref].AdminCode
	case KindAddress:
		return d.Houses[en.ref].AdminCode
	}
	return d.Places[en.ref].AdminCode
}

type key struct {
	s   string
	e   int32
	cls uint8
}

// Index is the search index over one snapshot; immutable, safe for concurrent use.
type Index struct {
	data    *snapshot.Data
	entries []entry
	byLevel [8][]key         // sorted by s; level 6 holds roads and place names, 7 addresses
	exact   postings[string] // names, base names, aliases (Chinese) → entries
	bigrams postings[uint64] // Chinese bigrams of names → entries
	dels    []del            // one-deletion neighbourhood of Chinese names, for typos
	memo    Stats
	live    *live // updates in place since New (live.go); nil: none
	// addrs are the address entries of New (the level-7 keys), sorted by their text; the
	// text is made when needed (addrText) rather than stored: 1.6 M addresses would hold
	// ~75 MB of key strings. An overlay (live.go) keeps its few addresses as plain keys.
	addrs   []int32
	overlay bool
}

type del struct {
	h uint32
	e int32
}

// Stats describe the index size.
type Stats struct {
	Entries int `json:"entries"`
	Keys    int `json:"keys"`
	Bigrams int `json:"bigrams"`
	Typos   int `json:"typo_keys"`
}

// Stats returns the index size.
func (ix *Index) Stats() Stats { return ix.memo }

// Data is the snapshot the index was built from.
func (ix *Index) Data() *snapshot.Data { return ix.data }

// New builds the index over d.
func New(d *snapshot.Data) *Index {
	ix := &Index{data: d, exact: newPostings[string](len(d.Units) * 2), bigrams: newPostings[uint64](1 << 18)}
	n := len(d.Units) + len(d.Roads) + len(d.Places) + len(d.Houses)
	ix.entries = make([]entry, 0, n+1024+n/32) // the room of snapshot.Headroom: no copy, no slack
	for i := range d.Units {
		ix.addUnit(int32(i))
	}
	for i := range d.Roads {
		ix.addRoad(int32(i))
	}
	for i := range d.Places {
		ix.addPlace(int32(i))
	}
	// Addresses (house numbers): "人民路12号" as a prefix key only (no bigrams or typos:
	// they are many, and their road is found by those).
	for i := range d.Houses {
		ix.addHouse(int32(i))
	}
	ix.sortKeys()
	ix.exact.freeze()
	ix.bigrams.freeze()
	for l := range ix.byLevel { // drop the slack of append: the keys are read-only now
		ix.byLevel[l] = slices.Clone(ix.byLevel[l])
	}
	ix.dels = slices.Clone(ix.dels)
	ix.entries = snapshot.Headroom(ix.entries) // updates in place append entries (live.go)
	return ix
}

// sortKeys sorts the keys (after adding entries) and counts them.
func (ix *Index) sortKeys() {
	nkeys := 0
	for l := range ix.byLevel {
		ks := ix.byLevel[l]
		sort.Slice(ks, func(a, b int) bool { return ks[a].s < ks[b].s })
		nkeys += len(ks)
	}
	sort.Slice(ix.dels, func(a, b int) bool { return ix.dels[a].h < ix.dels[b].h })
	if len(ix.addrs) > 0 {
		type at struct {
			s string
			e int32
		}
		tmp := make([]at, len(ix.addrs))
		for i, e := range ix.addrs {
			tmp[i] = at{ix.addrText(e), e}
		}
		slices.SortFunc(tmp, func(a, b at) int {
			if c := strings.Compare(a.s, b.s); c != 0 {
				return c
			}
			return int(a.e - b.e)
		})
		for i := range tmp {
			ix.addrs[i] = tmp[i].e
		}
		nkeys += len(ix.addrs)
	}
	ix.memo = Stats{Entries: len(ix.entries), Keys: nkeys, Bigrams: ix.bigrams.len(), Typos: len(ix.dels)}
}

// The entries and keys of one row of ix.data (New, and updates in place: live.go). Each
// returns the entry added, or -1.

func (ix *Index) addUnit(i int32) int32 {
	d := ix.data
	u := &d.Units[i]
	imp := int32(0)
	if u.To == snapshot.Forever {
		imp = int32(len(d.ChildrenOf(u.Code)))
	}
	e := ix.add(entry{kind: KindDivision, level: u.Level, ref: i, imp: imp})
	ix.addNames(e, u.Level, u.Name, u.Aliases, u.Pinyin, u.Draft, u.Initials)
	return e
}

func (ix *Index) addRoad(i int32) int32 {
	r := &ix.data.Roads[i]
	e := ix.add(entry{kind: KindRoad, level: 6, ref: i})
	ix.addNames(e, 6, r.Name, nil, r.Pinyin, r.Draft, initialsOf(r.Draft))
	return e
}

func (ix *Index) addPlace(i int32) int32 {
	p := &ix.data.Places[i]
	e := ix.add(entry{kind: KindPlace, level: 6, ref: i})
	ix.addNames(e, 6, p.Name, p.Aliases, p.Pinyin, p.Draft, initialsOf(p.Draft))
	return e
}

func (ix *Index) addHouse(i int32) int32 {
	d := ix.data
	h := &d.Houses[i]
	ri, ok := d.RoadIndex(h.RoadID)
	if !ok {
		return -1
	}
	e := ix.add(entry{kind: KindAddress, level: 7, ref: i})
	if ix.overlay {
		ix.addKey(7, AddressText(d.Roads[ri].Name, h.Number, h.Suffix), e, clsName)
	} else {
		ix.addrs = append(ix.addrs, e)
	}
	return e
}

// addrText is the text of an address entry of New: its house number on its road as
// loaded (Data.RoadByID and the road's row as loaded never change; a renamed road's
// addresses are re-added to the overlay).
func (ix *Index) addrText(e int32) string {
	d := ix.data
	h := &d.Houses[ix.entries[e].ref]
	return AddressText(d.Roads[d.RoadByID[h.RoadID]].Name, h.Number, h.Suffix)
}

// addrRangeCap bounds the address keys a prefix returns: the most a query looks at.
const addrRangeCap = prefixScanFilter

// addrRange returns the address keys of New starting with p, sorted, without dead
// entries, at most addrRangeCap.
func (ix *Index) addrRange(p string) []key {
	a := ix.addrs
	lo := sort.Search(len(a), func(i int) bool { return ix.addrText(a[i]) >= p })
	var out []key
	for i := lo; i < len(a) && len(out) < addrRangeCap; i++ {
		t := ix.addrText(a[i])
		if !strings.HasPrefix(t, p) {
			break
		}
		if ix.live != nil && ix.live.isDead(a[i]) {
			continue
		}
		out = append(out, key{s: t, e: a[i], cls: clsName})
	}
	return out
}

func initialsOf(draft string) string {
	var b strings.Builder
	for _, s := range strings.Fields(draft) {
		b.WriteByte(s[0])
	}
	return b.String()
}

func (ix *Index) add(e entry) int32 {
	ix.entries = append(ix.entries, e)
	return int32(len(ix.entries) - 1)
}

func (ix *Index) addKey(level int8, s string, e int32, cls uint8) {
	if s == "" {
		return
	}
	ix.byLevel[level] = append(ix.byLevel[level], key{s: s, e: e, cls: cls})
}

func (ix *Index) addExact(s string, e int32) { ix.exact.add(s, e) }

func (ix *Index) addNames(e int32, level int8, name string, aliases []string, official, draft, initials string) {
	ix.addKey(level, name, e, clsName)
	ix.addExact(name, e)
	bases, dropped := BaseNames(name)
	for _, b := range bases {
		ix.addKey(level, b, e, clsBase)
		ix.addExact(b, e)
	}
	// Remarks in brackets are dropped by writers: 方圆县（虚构） → 方圆县, 方圆县虚构, 方圆.
	if plain := StripRemarks(name); plain != name {
		for _, v := range append([]string{plain, Compact(Normalize(name))}, first(BaseNames(plain))...) {
			if v != "" {
				ix.addKey(level, v, e, clsBase)
				ix.addExact(v, e)
			}
		}
	}
	for _, a := range aliases {
		ix.addKey(level, a, e, clsAlias)
		ix.addExact(a, e)
		for _, b := range first(BaseNames(a)) {
			ix.addExact(b, e)
		}
	}
	// Bigrams of the name for substring search.
	rs := []rune(name)
	for i := 0; i+1 < len(rs); i++ {
		bg := uint64(rs[i])<<32 | uint64(rs[i+1])
		ix.bigrams.add(bg, e)
	}
	// Typos: the deletion neighbourhood of the shortest base form (or the name).
	typoKey := rs
	if len(bases) > 0 {
		typoKey = []rune(bases[len(bases)-1])
	}
	ix.addTypoKey(typoKey, e)
	if level <= 4 && len(bases) > 0 { // and the full name of the upper levels (莲都曲 → 莲都区)
		ix.addTypoKey(rs, e)
	}
	ix.addPinyin(e, level, name, official, draft, initials, dropped, len(bases) > 0)
}

// addPinyin indexes the pinyin of a name: the official romanization when set (the stored
// pinyin, else the reviewed table of official readings), else the draft; and the other
// readings of its polyphone characters, at most gazetteer.MaxReadings, which rank below.
func (ix *Index) addPinyin(e int32, level int8, name, official, draft, initials string, dropped []int, hasBase bool) {
	syl := strings.Fields(draft)
	if official == "" && ix.entries[e].kind == KindDivision {
		if t := gazetteer.OfficialSyllables(ix.codeOf(e), name, syl); t != nil {
			syl = t
			initials = initialsOf(strings.Join(t, " "))
		}
	}
	full := strings.Join(syl, "")
	joined := full // the draft (or reviewed) syllables joined: base forms are its prefixes
	if official != "" {
		o := Compact(Normalize(official))
		ix.addKey(level, o, e, clsPinyin)
		if words := strings.Fields(Normalize(official)); len(words) > 1 && hasBase {
			ix.addKey(level, Compact(strings.Join(words[:len(words)-1], "")), e, clsPinyinBase)
		}
		if o != full {
			full = "" // the draft is wrong for this name: do not index it as official
		}
	}
	if full != "" {
		ix.addKey(level, full, e, clsPinyin)
	}
	ix.addKey(level, initials, e, clsInitials)
	n := utf8.RuneCountInString(name)
	if len(syl) != n { // not one syllable per character: no base forms or other readings
		return
	}
	for _, k := range dropped { // the base forms have pinyin too
		if k >= n {
			continue
		}
		if official == "" {
			ix.addKey(level, joinedPrefix(joined, syl, n-k), e, clsPinyinBase)
		}
		if len(initials) == n {
			ix.addKey(level, initials[:n-k], e, clsInitialsBase)
		}
	}
	suffix := 0 // the generic suffix reads one way: vary the rest
	if len(dropped) > 0 && dropped[len(dropped)-1] < n {
		suffix = dropped[len(dropped)-1]
	}
	rds := gazetteer.Readings(name, syl, n-suffix, gazetteer.MaxReadings)
	for _, r := range rds[1:] {
		alt := strings.Join(r, "")
		if alt != full {
			ix.addKey(level, alt, e, clsPinyinAlt)
		} else {
			alt = full // one string for both
		}
		for _, k := range dropped {
			if k < n {
				ix.addKey(level, joinedPrefix(alt, r, n-k), e, clsPinyinAlt)
			}
		}
	}
}

// joinedPrefix returns strings.Join(syl[:m], "") as a prefix of joined, which is
// strings.Join(syl, ""): the key shares the full key's bytes instead of a string of its own.
func joinedPrefix(joined string, syl []string, m int) string {
	l := 0
	for _, s := range syl[:m] {
		l += len(s)
	}
	return joined[:l]
}

func first(a []string, _ []int) []string { return a }

func (ix *Index) addTypoKey(k []rune, e int32) {
	if len(k) < 3 || len(k) > 12 {
		return
	}
	ix.dels = append(ix.dels, del{hashRunes(k, -1), e})
	for i := range k {
		ix.dels = append(ix.dels, del{hashRunes(k, i), e})
	}
}

// Lookup returns the entries whose name, base name or alias is exactly s (Chinese).
func (ix *Index) Lookup(s string) []int32 {
	if ix.live == nil {
		return ix.exact.get(s)
	}
	return ix.live.postings(ix.exact.get(s), ix.live.ov.exact.get(s))
}

// bigram returns the entries whose name holds the bigram bg.
func (ix *Index) bigram(bg uint64) []int32 {
	if ix.live == nil {
		return ix.bigrams.get(bg)
	}
	return ix.live.postings(ix.bigrams.get(bg), ix.live.ov.bigrams.get(bg))
}

// formerName returns the name of an earlier version of unit version u that key is (the
// full name, a base form or the name without remarks), or "" when key is a form of u's own
// name or of no earlier name.
func (ix *Index) formerName(u int32, key string) string {
	d := ix.data
	cur := &d.Units[u]
	if isNameForm(cur.Name, key) {
		return ""
	}
	was := ""
	for _, v := range d.Versions(cur.Code) { // oldest first: the latest matching name wins
		if o := &d.Units[v]; o.From < cur.From && o.Name != cur.Name && isNameForm(o.Name, key) {
			was = o.Name
		}
	}
	return was
}

// isNameForm reports whether key is one of the forms of name the index holds as exact
// keys: the name, its base names, and the name without remarks and its base names.
func isNameForm(name, key string) bool {
	if key == name {
		return true
	}
	bases, _ := BaseNames(name)
	if slices.Contains(bases, key) {
		return true
	}
	if plain := StripRemarks(name); plain != name {
		if key == plain || key == Compact(Normalize(name)) || slices.Contains(first(BaseNames(plain)), key) {
			return true
		}
	}
	return false
}

// EntryUnit returns the unit version of a division entry (-1 for other kinds).
func (ix *Index) EntryUnit(e int32) int32 {
	if ix.entries[e].kind != KindDivision {
		return -1
	}
	return ix.entries[e].ref
}

// prefixRange returns the keys of level l starting with p, sorted.
func (ix *Index) prefixRange(l int, p string) []key {
	var base []key
	if l == 7 && len(ix.addrs) > 0 {
		base = ix.addrRange(p)
	} else {
		base = prefixOf(ix.byLevel[l], p)
	}
	if ix.live == nil {
		return base
	}
	return ix.live.keys(base, prefixOf(ix.live.ov.byLevel[l], p))
}

func prefixOf(ks []key, p string) []key {
	lo, _ := slices.BinarySearchFunc(ks, p, func(k key, t string) int { return strings.Compare(k.s, t) })
	n := sort.Search(len(ks)-lo, func(i int) bool { return !strings.HasPrefix(ks[lo+i].s, p) })
	return ks[lo : lo+n]
}

// typoCandidates calls fn for entries whose typo key is within one edit of q.
func (ix *Index) typoCandidates(q []rune, fn func(e int32)) {
	try := func(h uint32) {
		i := sort.Search(len(ix.dels), func(i int) bool { return ix.dels[i].h >= h })
		for ; i < len(ix.dels) && ix.dels[i].h == h; i++ {
			if ix.live == nil || !ix.live.isDead(ix.dels[i].e) {
				fn(ix.dels[i].e)
			}
		}
		if ix.live == nil {
			return
		}
		ov := ix.live.ov.dels
		i = sort.Search(len(ov), func(i int) bool { return ov[i].h >= h })
		for ; i < len(ov) && ov[i].h == h; i++ {
			if !ix.live.isDead(ov[i].e) {
				fn(ov[i].e)
			}
		}
	}
	try(hashRunes(q, -1))
	for i := range q {
		try(hashRunes(q, i))
	}
}

// typoKeyOf returns the key the typo index holds for an entry.
func (ix *Index) typoKeyOf(e int32) string {
	name := ix.nameOf(e)
	if bases, _ := BaseNames(name); len(bases) > 0 {
		return bases[len(bases)-1]
	}
	return name
}

func (ix *Index) nameOf(e int32) string {
	en := &ix.entries[e]
	switch en.kind {
	case KindDivision:
		return ix.data.Units[en.ref].Name
	case KindRoad:
		return ix.data.Roads[en.ref].Name
	case KindAddress:
		h := &ix.data.Houses[en.ref]
		ri, _ := ix.data.RoadIndex(h.RoadID)
		return AddressText(ix.data.Roads[ri].Name, h.Number, h.Suffix)
	}
	return ix.data.Places[en.ref].Name
}

// EntryRoad returns the road index of a road entry (-1 for other kinds).
func (ix *Index) EntryRoad(e int32) int32 {
	if ix.entries[e].kind != KindRoad {
		return -1
	}
	return ix.entries[e].ref
}

// EntryPlace returns the place-name index of a place entry (-1 for other kinds).
func (ix *Index) EntryPlace(e int32) int32 {
	if ix.entries[e].kind != KindPlace {
		return -1
	}
	return ix.entries[e].ref
}

// AddressText is the short written form of a house number: 人民路12号, 人民路甲12号,
// 人民路12号之一 (gazetteer.HouseNumberText).
func AddressText(road string, n int, suffix string) string {
	return road + gazetteer.HouseNumberText(n, suffix)
}
