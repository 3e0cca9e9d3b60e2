package search

import (
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
)

// Query is a search request.
type Query struct {
	Text   string
	Level  int    // 1–5: divisions of that level only; 0: anything
	Within string // significant digits of a division code: results inside it
	Day    snapshot.Day
	Limit  int
}

// MaxQueryRunes bounds the text looked at (longer input is cut).
const MaxQueryRunes = 64

// Match ranks, best first.
const (
	rankContext    = iota - 2 // pinyin read with a context word naming an ancestor (suzhou anhui)
	rankContextAlt            // the same by another reading of a polyphone
	rankExact
	rankBase
	rankPrefix
	rankSubstring
	rankTypo
)

// Hit is one search result.
type Hit struct {
	Type      string `json:"type"` // division | road | place | address
	ID        int64  `json:"id,omitempty"`
	Code      string `json:"code,omitempty"` // the division, or the division a road/place lies in
	Name      string `json:"name"`
	Level     int    `json:"level,omitempty"`
	LevelName string `json:"level_name,omitempty"`
	// Pinyin is a division's romanized name and PinyinSource where it comes from:
	// official (stored), reviewed (the reviewed table) or draft (UnitReading).
	Pinyin       string          `json:"pinyin,omitempty"`
	PinyinSource string          `json:"pinyin_source,omitempty"`
	Kind         string          `json:"kind,omitempty"`
	Match        string          `json:"match"`   // exact|base|alias|old_name|pinyin|initials|prefix|substring|typo|address
	Matched      string          `json:"matched"` // the name, alias or pinyin that matched
	WasName      string          `json:"was_name,omitempty"`
	Chain        []snapshot.Link `json:"chain"`
	Point        *orb.Point      `json:"point,omitempty"`
	rank         int
	imp          int32
	ref          int32 // unit version (divisions) / road / place index
	kind         uint8
}

type cand struct {
	rank  int
	match string
	key   string
}

type collector struct {
	ix    *Index
	q     Query
	seen  map[int32]int // entry → index in hits
	hits  []cand
	ents  []int32
	units map[int32]int // current unit version → index (old names and current names merge)
}

func (c *collector) add(e int32, rank int, match, key string) {
	if en := &c.ix.entries[e]; en.kind == KindDivision && rank == rankExact && !c.ix.data.Units[en.ref].ValidAt(c.q.Day) {
		rank = rankBase // a name the unit no longer has ranks below current names
	}
	if i, ok := c.seen[e]; ok {
		if rank < c.hits[i].rank {
			c.hits[i] = cand{rank, match, key}
		}
		return
	}
	c.seen[e] = len(c.hits)
	c.hits = append(c.hits, cand{rank, match, key})
	c.ents = append(c.ents, e)
}

func (c *collector) scan() int {
	if c.q.Within != "" || c.q.Level != 0 {
		return prefixScanFilter
	}
	return prefixScan
}

// Search runs q.
func (ix *Index) Search(q Query) []Hit {
	text := HouseNumbers(Compact(Normalize(q.Text))) // 人民路40号甲 → 人民路甲40号, the key's form
	if rs := []rune(text); len(rs) > MaxQueryRunes {
		text = string(rs[:MaxQueryRunes])
	}
	if text == "" {
		return nil
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	c := &collector{ix: ix, q: q, seen: map[int32]int{}}
	switch {
	case isDigits(text):
		return ix.byCode(text, q)
	case HasHan(text):
		ix.searchHan(c, text)
	default:
		if words := strings.Fields(Normalize(q.Text)); len(words) >= 2 && len(words) <= 4 {
			ix.searchContext(c, words)
		}
		ix.searchLatin(c, text)
	}
	return ix.finish(c)
}

// pinyinUnits returns the division entries of levels lo–hi whose pinyin (full or base, any
// reading) is exactly w, and whether each was by another reading only.
func (ix *Index) pinyinUnits(w string, lo, hi int) (out []int32, alt []bool) {
	for l := lo; l <= hi; l++ {
		for _, k := range ix.prefixRange(l, w) {
			if k.s != w {
				break // keys are sorted: the exact ones come first
			}
			if (k.cls == clsPinyin || k.cls == clsPinyinBase || k.cls == clsPinyinAlt) && ix.entries[k.e].kind == KindDivision {
				if i := slices.Index(out, k.e); i >= 0 {
					alt[i] = alt[i] && k.cls == clsPinyinAlt
					continue
				}
				out, alt = append(out, k.e), append(alt, k.cls == clsPinyinAlt)
			}
		}
	}
	return out, alt
}

// searchContext reads pinyin words as a name and context words naming its ancestors
// (suzhou anhui is 宿州 in 安徽, not 苏州; anhui suzhou too): a unit of levels 2–4 read by
// one word, inside units of levels 1–3 read by each of the others.
func (ix *Index) searchContext(c *collector, words []string) {
	for _, w := range words {
		for _, r := range w {
			if r > unicode.MaxASCII || !unicode.IsLetter(r) {
				return
			}
		}
	}
	d := ix.data
	ctx := make([][]int32, len(words))
	for j, w := range words {
		ctx[j], _ = ix.pinyinUnits(w, 1, 3)
		if len(ctx[j]) == 0 {
			return
		}
	}
	for i, w := range words {
		es, alts := ix.pinyinUnits(w, 2, 4)
		for x, e := range es {
			tu := ix.entries[e].ref
			all := true
			for j := range words {
				if j == i {
					continue
				}
				inside := false
				for _, ce := range ctx[j] {
					// another unit (not a version of the same one: 大荔县 of 大荔区) holding it
					if ix.codeOf(ce) != ix.codeOf(e) && d.IsAncestor(ix.entries[ce].ref, tu, c.q.Day) {
						inside = true
						break
					}
				}
				if !inside {
					all = false
					break
				}
			}
			if all && alts[x] {
				c.add(e, rankContextAlt, "pinyin", w)
			} else if all {
				c.add(e, rankContext, "pinyin", w)
			}
		}
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (ix *Index) byCode(text string, q Query) []Hit {
	code, _, err := gazetteer.PadCode(text)
	if err != nil {
		return nil
	}
	u := ix.data.At(code, q.Day)
	if u < 0 {
		return nil
	}
	h := ix.unitHit(u, q.Day)
	h.Match, h.Matched = "code", text
	if (q.Level != 0 && h.Level != q.Level) || !strings.HasPrefix(h.Code, q.Within) {
		return nil
	}
	return []Hit{h}
}

const (
	prefixScan       = 300 // keys looked at per level for a prefix (more with a filter)
	prefixScanFilter = 3000
	substringScan    = 20000
)

func (ix *Index) searchHan(c *collector, text string) {
	for _, e := range ix.Lookup(text) {
		if ix.nameOf(e) == text {
			c.add(e, rankExact, "exact", text)
		} else {
			c.add(e, rankBase, "base", text)
		}
	}
	for l := 1; l <= 7; l++ {
		ks := ix.prefixRange(l, text)
		if n := c.scan(); len(ks) > n {
			ks = ks[:n]
		}
		for _, k := range ks {
			switch {
			case k.s == text && l == 7:
				c.add(k.e, rankExact, "exact", k.s)
			case k.s == text:
			case k.cls == clsAlias:
				c.add(k.e, rankPrefix, "alias", k.s)
			default:
				c.add(k.e, rankPrefix, "prefix", k.s)
			}
		}
	}
	rs := []rune(text)
	if len(rs) >= 2 {
		var best []int32
		for i := 0; i+1 < len(rs); i++ {
			p := ix.bigram(uint64(rs[i])<<32 | uint64(rs[i+1]))
			if i == 0 || len(p) < len(best) {
				best = p
			}
			if len(p) == 0 {
				break
			}
		}
		if len(best) > substringScan {
			best = best[:substringScan]
		}
		for _, e := range best {
			if n := ix.nameOf(e); strings.Contains(n, text) {
				c.add(e, rankSubstring, "substring", n)
			}
		}
	}
	if len(rs) >= 3 && len(c.hits) < c.q.Limit {
		ix.typoCandidates(rs, func(e int32) {
			if k := ix.typoKeyOf(e); len([]rune(k)) >= 3 && OneEditApart(rs, []rune(k)) {
				c.add(e, rankTypo, "typo", k)
			} else if n := ix.nameOf(e); OneEditApart(rs, []rune(n)) {
				c.add(e, rankTypo, "typo", n)
			}
		})
	}
}

func (ix *Index) searchLatin(c *collector, text string) {
	for _, r := range text {
		if r > unicode.MaxASCII {
			return
		}
	}
	for l := 1; l <= 6; l++ {
		ks := ix.prefixRange(l, text)
		if n := c.scan(); len(ks) > n {
			ks = ks[:n]
		}
		for _, k := range ks {
			match, exact := "pinyin", rankExact
			switch k.cls {
			case clsInitials:
				match = "initials"
			case clsPinyin, clsPinyinBase:
				// the pinyin of a name with or without its suffix: level and importance
				// decide between them (yanchang is 延长县 before a village 盐场)
			case clsInitialsBase:
				match, exact = "initials", rankBase
			case clsPinyinAlt:
				exact = rankBase // another reading of a polyphone: below the official ones
			default:
				continue // Latin letters inside Chinese names (e.g. "A区") are matched as prefixes only
			}
			rank := rankPrefix
			if k.s == text {
				rank = exact
			}
			c.add(k.e, rank, match, k.s)
		}
	}
}

// finish ranks the candidates by what the entries know (match rank, level, importance),
// then resolves them as of the query day, filters and builds hits until the limit is
// reached: only the hits returned pay for their admin chain.
func (ix *Index) finish(c *collector) []Hit {
	d := ix.data
	q := c.q
	order := make([]int, len(c.ents))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := &ix.entries[c.ents[order[a]]], &ix.entries[c.ents[order[b]]]
		rx, ry := c.hits[order[a]].rank, c.hits[order[b]].rank
		if rx != ry {
			return rx < ry
		}
		if x.level != y.level {
			return x.level < y.level
		}
		if x.imp != y.imp {
			return x.imp > y.imp
		}
		if xc, yc := ix.codeOf(c.ents[order[a]]), ix.codeOf(c.ents[order[b]]); xc != yc {
			return xc < yc
		}
		return ix.entryBefore(c.ents[order[a]], c.ents[order[b]]) // versions of one code: a fixed order
	})
	var hits []Hit
	units := map[int32]bool{}
	for _, oi := range order {
		if len(hits) >= q.Limit {
			break
		}
		e := c.ents[oi]
		en := &ix.entries[e]
		cd := c.hits[oi]
		if q.Level != 0 && int(en.level) != q.Level {
			continue
		}
		if q.Within != "" && !strings.HasPrefix(ix.codeOf(e), q.Within) {
			continue
		}
		var h Hit
		switch en.kind {
		case KindDivision:
			cur := d.Current(en.ref, q.Day)
			if cur < 0 || units[cur] || d.Units[en.ref].From > d.Units[cur].From {
				continue // not valid then, already answered, or a name it only got later
			}
			units[cur] = true
			h = ix.unitHit(cur, q.Day)
			switch {
			case cur != en.ref && isNameForm(d.Units[cur].Name, cd.key):
				// Found by an earlier version under a form the current name has too (丙林 for
				// 丙林镇 → 丙林街道): that is no old name.
				if cd.match == "exact" {
					cd.match = "base"
				}
			case cur != en.ref && d.Units[en.ref].Name != d.Units[cur].Name:
				h.WasName = d.Units[en.ref].Name
				cd.match = "old_name"
			case cd.match == "base":
				// Found by an alias that is a name the unit had (长兴镇 for 新长兴镇, which also
				// holds it as a substring): answer with what it was called.
				if was := ix.formerName(cur, cd.key); was != "" {
					h.WasName = was
					cd.match = "old_name"
				}
			}
		case KindRoad:
			r := &d.Roads[en.ref]
			h = Hit{Type: "road", ID: r.ID, Code: r.AdminCode, Name: r.Name}
			p := r.Line[len(r.Line)/2]
			h.Point = &p
			if u := d.At(r.AdminCode, q.Day); u >= 0 {
				h.Chain = d.Links(u, q.Day)
			}
		case KindAddress:
			hn := &d.Houses[en.ref]
			if hn.From > q.Day || q.Day >= hn.To {
				continue
			}
			pt := hn.Point
			h = Hit{Type: "address", ID: hn.ID, Code: hn.AdminCode, Name: ix.nameOf(e), Point: &pt}
			if u := d.At(hn.AdminCode, q.Day); u >= 0 {
				h.Chain = d.Links(u, q.Day)
			}
		default:
			p := &d.Places[en.ref]
			h = Hit{Type: "place", ID: p.ID, Code: p.AdminCode, Name: p.Name, Kind: p.Category}
			if p.HasPoint {
				pt := p.Point
				h.Point = &pt
			}
			if u := d.At(p.AdminCode, q.Day); u >= 0 {
				h.Chain = d.Links(u, q.Day)
			}
		}
		h.Match, h.Matched = cd.match, cd.key
		if h.Chain == nil {
			h.Chain = []snapshot.Link{}
		}
		hits = append(hits, h)
	}
	return hits
}

// UnitHit is the hit for a unit version as of day, with its admin chain.
func (ix *Index) UnitHit(u int32, day snapshot.Day) Hit { return ix.unitHit(u, day) }

func (ix *Index) unitHit(u int32, day snapshot.Day) Hit {
	un := &ix.data.Units[u]
	h := Hit{Type: "division", Code: un.Code, Name: un.Name, Level: int(un.Level),
		LevelName: gazetteer.Level(un.Level).String(), Kind: un.Kind, Chain: ix.data.Links(u, day)}
	h.Pinyin, h.PinyinSource = UnitReading(un)
	if len(un.Geom) > 0 {
		p := un.Center
		h.Point = &p
	}
	return h
}
