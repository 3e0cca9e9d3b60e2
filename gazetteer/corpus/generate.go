package corpus

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Query classes, in report order.
const (
	ClassFull           = "full_chain"       // 浙江省丽水市莲都区紫金街道天宁社区居委会
	ClassNoProvince     = "no_province"      // 丽水市莲都区紫金街道
	ClassCountyTownship = "county_township"  // 莲都区紫金街道
	ClassBare           = "bare_chain"       // 丽水莲都紫金 (every suffix dropped)
	ClassTownship       = "township_alone"   // 紫金街道 (unique nationally)
	ClassVillageChain   = "village_chain"    // 丽水市莲都区紫金街道天宁社区居委会 / 莲都区天宁社区居委会
	ClassVillageShort   = "village_short"    // 莲都区下河村 (村委会 written 村)
	ClassPinyin         = "pinyin_polyphone" // zhangzi, dabuxian
	ClassPinyinContext  = "pinyin_context"   // suzhou anhui
	ClassOldName        = "old_name"         // 浙江省丽水市缙云县壶镇镇 after 缙云县 became 缙云区
	ClassStreet         = "street_address"   // …紫金街道人民路12号3幢2单元501室
	ClassOfficial       = "official_string"  // 甘肃省嘉峪关市嘉峪关市钢城街道…, 北京市市辖区东城区…
)

// Classes lists every class in report order.
var Classes = []string{ClassFull, ClassNoProvince, ClassCountyTownship, ClassBare, ClassTownship,
	ClassVillageChain, ClassVillageShort, ClassPinyin, ClassPinyinContext, ClassOldName, ClassStreet, ClassOfficial}

// Item is one query with the answers a person means.
type Item struct {
	Class string
	Query string
	// Want are the 12-digit codes that answer it: the unit the query was made from, and
	// units the same text names equally well (two villages of one name in one township); a
	// pinyin reading shared with a higher unit names the higher one.
	Want []string
	// Parse is true for full addresses, answered by the address parser (/api/parse,
	// /api/geocode); the others are search queries (/api/search, top hit).
	Parse bool
}

// Rename is a unit renamed after the tables' snapshot (撤县设区, 撤乡设镇, 撤镇设街道,
// 村改社区): the test applies it as a new version, the old name kept as an alias, the way a
// later snapshot import does.
type Rename struct {
	Code, Old, New string
}

// Corpus is the generated set.
type Corpus struct {
	Items   []Item
	Renames []Rename
}

// Options control the generation.
type Options struct {
	Seed     uint64
	PerClass int // queries per class (old names: at most the renames made)
	// Pinyin is the directory of polyphones.tsv and official_pinyin.tsv.
	Pinyin string
}

type gen struct {
	t   *tables
	rd  *readings
	rng *rand.Rand
	// forms: level → written form → units with it (for the answers a text names equally)
	forms map[string]map[string][]*node
}

// Generate reads the tables in dir and makes the corpus.
func Generate(dir string, o Options) (*Corpus, error) {
	t, err := readTables(dir)
	if err != nil {
		return nil, err
	}
	rd, err := loadReadings(o.Pinyin)
	if err != nil {
		return nil, err
	}
	if o.PerClass <= 0 {
		o.PerClass = 300
	}
	g := &gen{t: t, rd: rd, rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)), forms: map[string]map[string][]*node{}}
	c := &Corpus{}
	c.Renames = g.renames(o.PerClass)
	olds := map[string]string{}
	for _, r := range c.Renames {
		olds[r.Code] = r.Old
		t.byCode[r.Code].name = r.New
	}
	c.Items = append(c.Items, g.chains(o.PerClass)...)
	c.Items = append(c.Items, g.townships(o.PerClass)...)
	c.Items = append(c.Items, g.pinyin(o.PerClass)...)
	c.Items = append(c.Items, g.oldNames(c.Renames)...)
	c.Items = append(c.Items, g.streets(o.PerClass)...)
	c.Items = append(c.Items, g.official(o.PerClass)...)
	return c, nil
}

func (g *gen) pick(l int) *node { return g.t.level[l][g.rng.IntN(len(g.t.level[l]))] }

// index returns the units of a level by a form function, built once per name.
func (g *gen) index(name string, l int, form func(*node) string) map[string][]*node {
	name += "/" + strconv.Itoa(l)
	if m, ok := g.forms[name]; ok {
		return m
	}
	m := map[string][]*node{}
	for _, n := range g.t.level[l] {
		f := form(n)
		m[f] = append(m[f], n)
	}
	g.forms[name] = m
	return m
}

// answers returns the codes of target and of every unit of its level for which text(u)
// gives the same query: what the text names equally well.
func (g *gen) answers(target *node, key string, form func(*node) string, text func(*node) string) []string {
	want := []string{target.code}
	q := text(target)
	for _, u := range g.index(key, target.level, form)[form(target)] {
		if u != target && text(u) == q {
			want = append(want, u.code)
		}
	}
	return want
}

func names(ns []*node, f func(*node) string, sep string) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, f(n))
	}
	return strings.Join(parts, sep)
}

func official(n *node) string { return n.name }
func bareOf(n *node) string   { return bare(n.name, n.level) }

// sep is how the levels are separated: mostly not at all, sometimes by spaces.
func (g *gen) sep() string {
	if g.rng.IntN(5) == 0 {
		return " "
	}
	return ""
}

// chains makes the classes written as a chain of division names.
func (g *gen) chains(per int) []Item {
	var out []Item
	// Full chain from the province down to a county, township or village.
	for i := 0; i < per; i++ {
		n := g.pickLevel([]int{3, 4, 4, 5, 5, 5})
		sep := g.sep()
		text := func(u *node) string { return names(u.chain(), official, sep) }
		out = append(out, Item{Class: ClassFull, Query: text(n), Want: g.answers(n, "name", official, text)})
	}
	// Without the province.
	for i := 0; i < per; i++ {
		n := g.pickLevel([]int{3, 4, 4, 5})
		sep := g.sep()
		text := func(u *node) string { return names(u.chain()[1:], official, sep) }
		if len(n.chain()) < 3 { // a county of a municipality: 东城区 alone is a township-alone query
			i--
			continue
		}
		out = append(out, Item{Class: ClassNoProvince, Query: text(n), Want: g.answers(n, "name", official, text)})
	}
	// County + township.
	for i := 0; i < per; i++ {
		n := g.pick(4)
		sep := g.sep()
		text := func(u *node) string { return u.parent.name + sep + u.name }
		out = append(out, Item{Class: ClassCountyTownship, Query: text(n), Want: g.answers(n, "name", official, text)})
	}
	// Every suffix dropped: [province] prefecture county township, bare.
	for i := 0; i < per; i++ {
		n := g.pick(4)
		withProvince := g.rng.IntN(3) == 0
		sep := g.sep()
		text := func(u *node) string {
			ch := u.chain()
			if !withProvince && len(ch) > 3 {
				ch = ch[1:]
			}
			return names(ch, bareOf, sep)
		}
		want := g.answers(n, "bare", bareOf, text)
		// A bare name carrying 村/社区 (綦村 of 綦村镇) names a village of that name in the
		// county as well: either is meant.
		if b := bareOf(n); strings.HasSuffix(b, "村") || strings.HasSuffix(b, "社区") {
			for _, t := range n.parent.children {
				for _, v := range t.children {
					if spoken(v.name) == b || bareOf(v) == b || strings.TrimSuffix(spoken(v.name), "村") == b {
						want = append(want, v.code)
					}
				}
			}
		}
		out = append(out, Item{Class: ClassBare, Query: text(n), Want: want})
	}
	// A village with its chain: from the prefecture, or county and village with the
	// township left out, or county, township and village.
	for i := 0; i < per; i++ {
		n := g.pick(5)
		form := g.rng.IntN(3)
		sep := g.sep()
		text := func(u *node) string {
			ch := u.chain()
			switch {
			case form == 0 && len(ch) == 5:
				return names(ch[1:], official, sep)
			case form == 1:
				return u.parent.parent.name + sep + u.name
			}
			return names(ch[len(ch)-3:], official, sep)
		}
		out = append(out, Item{Class: ClassVillageChain, Query: text(n), Want: g.answers(n, "name", official, text)})
	}
	// A village with a short chain, 村委会 written 村: county + village or township + village.
	for i := 0; i < per; i++ {
		n := g.pick(5)
		form := g.rng.IntN(2)
		sep := g.sep()
		text := func(u *node) string {
			if form == 0 {
				return u.parent.parent.name + sep + spoken(u.name)
			}
			return u.parent.name + sep + spoken(u.name)
		}
		out = append(out, Item{Class: ClassVillageShort, Query: text(n), Want: g.answers(n, "spoken", func(u *node) string { return spoken(u.name) }, text)})
	}
	return out
}

func (g *gen) pickLevel(levels []int) *node { return g.pick(levels[g.rng.IntN(len(levels))]) }

// townships makes township names alone, among those no other township, county,
// prefecture or province has.
func (g *gen) townships(per int) []Item {
	count := map[string]int{}
	for l := 1; l <= 4; l++ {
		for _, n := range g.t.level[l] {
			count[n.name]++
		}
	}
	var unique []*node
	for _, n := range g.t.level[4] {
		if count[n.name] == 1 {
			unique = append(unique, n)
		}
	}
	var out []Item
	for i := 0; i < per && len(unique) > 0; i++ {
		n := unique[g.rng.IntN(len(unique))]
		out = append(out, Item{Class: ClassTownship, Query: n.name, Want: []string{n.code}})
	}
	return out
}

// pinyin makes the pinyin classes: prefectures and counties with a polyphone character by
// their official reading; and prefectures and counties whose reading another one shares,
// with the province or prefecture as context word.
func (g *gen) pinyin(per int) []Item {
	var poly, all []*node
	for l := 1; l <= 3; l++ {
		for _, n := range g.t.level[l] {
			if _, ok := g.rd.of(n); !ok {
				continue
			}
			all = append(all, n)
			if g.rd.isPoly(n) && l >= 2 {
				poly = append(poly, n)
			}
		}
	}
	// reading of a form: base (suffix dropped) or full
	read := func(n *node, full bool) string {
		k := runes(bareOf(n))
		if full {
			k = 0
		}
		s, _ := g.rd.pinyinOf(n, k, "")
		return s
	}
	// A reading that several units share names the highest of them (hainan is 海南省, not
	// 海南藏族自治州); among units of one level any is meant.
	same := func(target *node, full bool) []string {
		q := read(target, full)
		top := target.level
		for _, u := range all {
			if read(u, full) == q && u.level < top {
				top = u.level
			}
		}
		var want []string
		if top == target.level {
			want = append(want, target.code)
		}
		for _, u := range all {
			if u != target && u.level == top && read(u, full) == q {
				want = append(want, u.code)
			}
		}
		return want
	}
	var out []Item
	for i := 0; i < per; i++ {
		n := poly[g.rng.IntN(len(poly))]
		full := g.rng.IntN(4) == 0
		q := read(n, full)
		if !full && g.rng.IntN(6) == 0 { // syllables spaced: zhang zi
			q, _ = g.rd.pinyinOf(n, runes(bareOf(n)), " ")
		}
		out = append(out, Item{Class: ClassPinyin, Query: q, Want: same(n, full)})
	}
	// Context words: prefectures and counties sharing their base reading with another unit.
	byRead := map[string][]*node{}
	for _, n := range all {
		byRead[read(n, false)] = append(byRead[read(n, false)], n)
	}
	var shared []*node
	for _, n := range all {
		if n.level >= 2 && len(byRead[read(n, false)]) > 1 {
			shared = append(shared, n)
		}
	}
	for i := 0; i < per; i++ {
		n := shared[g.rng.IntN(len(shared))]
		ctx := n.ancestor(1)
		if n.level == 3 && n.parent.level == 2 && g.rng.IntN(2) == 0 {
			ctx = n.parent
		}
		cr, ok := g.rd.pinyinOf(ctx, runes(bareOf(ctx)), "")
		if !ok {
			i--
			continue
		}
		q := read(n, false) + " " + cr
		if g.rng.IntN(3) == 0 {
			q = cr + " " + read(n, false)
		}
		want := []string{n.code}
		for _, u := range byRead[read(n, false)] {
			if u != n && u.ancestor(ctx.level) == ctx {
				want = append(want, u.code)
			}
		}
		out = append(out, Item{Class: ClassPinyinContext, Query: q, Want: want})
	}
	return out
}

// renames picks units to rename the way the yearly tables do: counties 县 → 区 (撤县设区),
// townships 乡 → 镇 and 镇 → 街道, villages 村委会 → 社区居委会, where no sibling has the
// new name.
func (g *gen) renames(per int) []Rename {
	var out []Rename
	seen := map[string]bool{}
	newName := func(n *node) string {
		switch {
		case n.level == 3 && strings.HasSuffix(n.name, "县") && !strings.Contains(n.name, "自治"):
			return strings.TrimSuffix(n.name, "县") + "区"
		case n.level == 4 && strings.HasSuffix(n.name, "乡") && !strings.HasSuffix(n.name, "族乡"):
			return strings.TrimSuffix(n.name, "乡") + "镇"
		case n.level == 4 && strings.HasSuffix(n.name, "镇"):
			return strings.TrimSuffix(n.name, "镇") + "街道"
		case n.level == 5 && strings.HasSuffix(n.name, "村委会"):
			return strings.TrimSuffix(strings.TrimSuffix(n.name, "村委会"), "村") + "社区居委会"
		}
		return ""
	}
	levels := []int{3, 4, 4, 5}
	for tries := 0; len(out) < per && tries < per*50; tries++ {
		n := g.pick(levels[len(out)%len(levels)])
		nn := newName(n)
		if nn == "" || seen[n.code] || runes(nn) < 3 {
			continue
		}
		clash := false
		for _, s := range n.parent.children {
			if s.name == nn || bare(s.name, s.level) == bare(nn, n.level) && s != n {
				clash = true
			}
		}
		if clash {
			continue
		}
		seen[n.code] = true
		out = append(out, Rename{Code: n.code, Old: n.name, New: nn})
	}
	return out
}

// oldNames writes each renamed unit by its old name below its current chain: the full
// chain, or (counties) the old name alone where no unit has it.
func (g *gen) oldNames(rs []Rename) []Item {
	names := map[string]int{}
	for l := 1; l <= 4; l++ {
		for _, n := range g.t.level[l] {
			names[n.name]++
		}
	}
	var out []Item
	for _, r := range rs {
		n := g.t.byCode[r.Code]
		ch := n.chain()
		var b strings.Builder
		start := 0
		if g.rng.IntN(2) == 0 && len(ch) > 3 {
			start = 1
		}
		for _, x := range ch[start : len(ch)-1] {
			b.WriteString(x.name)
		}
		old := r.Old
		if n.level == 5 && g.rng.IntN(2) == 0 {
			old = spoken(old)
		}
		if n.level == 3 && names[r.Old] == 0 && g.rng.IntN(2) == 0 {
			out = append(out, Item{Class: ClassOldName, Query: r.Old, Want: []string{n.code}})
			continue
		}
		b.WriteString(old)
		out = append(out, Item{Class: ClassOldName, Query: b.String(), Want: []string{n.code}})
	}
	return out
}

var roads = []string{"人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "长江路", "友谊路",
	"光明路", "朝阳路", "东风路", "青年路", "健康路", "学府路", "工业路", "北京路", "环城路", "滨江路", "府前街",
	"南大街", "西大街", "花园路", "幸福路", "团结路", "迎宾大道", "振兴路", "兴业路", "创业大道", "站前路", "育才路"}

// streets makes full street addresses down to the room, in a township or a village.
func (g *gen) streets(per int) []Item {
	var out []Item
	for i := 0; i < per; i++ {
		n := g.pickLevel([]int{4, 5})
		ch := n.chain()
		if g.rng.IntN(2) == 0 && len(ch) > 3 {
			ch = ch[1:]
		}
		f := official
		if n.level == 5 && g.rng.IntN(2) == 0 {
			f = func(u *node) string {
				if u.level == 5 {
					return spoken(u.name)
				}
				return u.name
			}
		}
		head := names(ch, f, "")
		road := roads[g.rng.IntN(len(roads))]
		tail := road + strconv.Itoa(1+g.rng.IntN(300)) + "号"
		switch g.rng.IntN(3) {
		case 0:
			tail += fmt.Sprintf("%d幢%d单元%d室", 1+g.rng.IntN(30), 1+g.rng.IntN(6), 100*(1+g.rng.IntN(18))+1+g.rng.IntN(4))
		case 1:
			tail += fmt.Sprintf("%d栋%d室", 1+g.rng.IntN(30), 100*(1+g.rng.IntN(18))+1+g.rng.IntN(4))
		default:
			tail += fmt.Sprintf("%d号楼%d单元%d室", 1+g.rng.IntN(30), 1+g.rng.IntN(6), 100*(1+g.rng.IntN(18))+1+g.rng.IntN(4))
		}
		text := func(u *node) string {
			c := u.chain()
			if len(c) < len(ch) {
				return ""
			}
			return names(c[len(c)-len(ch):], f, "")
		}
		want := g.answers(n, "name", official, text)
		if n.level == 4 { // a village named after the road (友谊路社区) is where the address is
			for _, v := range n.children {
				if strings.HasPrefix(v.name, road) {
					want = append(want, v.code)
				}
			}
		}
		out = append(out, Item{Class: ClassStreet, Query: head + tail, Want: want, Parse: true})
	}
	return out
}

// official writes the rows as the statistical tables print them, placeholders and the
// county row repeating a city without counties included: 北京市市辖区东城区东华门街道多福巷社区居委会,
// 广东省东莞市东莞市石碣镇…, 甘肃省嘉峪关市嘉峪关市钢城街道…. A third of them are drawn from the
// villages below such rows.
func (g *gen) official(per int) []Item {
	var odd []*node
	for _, n := range g.t.level[5] {
		for x := n.raw; x != nil; x = x.raw {
			if x.placeholder || (x.level == 3 && x.parent.level == 2 && x.name == x.parent.name) {
				odd = append(odd, n)
				break
			}
		}
	}
	var out []Item
	for i := 0; i < per; i++ {
		var n *node
		if i%3 == 0 {
			n = odd[g.rng.IntN(len(odd))]
		} else {
			n = g.pick(5)
		}
		if g.rng.IntN(3) == 0 {
			n = n.parent // down to the township
		}
		text := func(u *node) string { return names(u.rawChain(), official, "") }
		out = append(out, Item{Class: ClassOfficial, Query: text(n), Want: g.answers(n, "name", official, text)})
	}
	return out
}

// Accepts reports whether code answers it.
func (it Item) Accepts(code string) bool { return slices.Contains(it.Want, code) }
