// Package addr parses free Chinese address text into components resolved against the
// division dictionary as of a date (省 市 区/县 乡镇/街道 村/社区 路 号 幢 单元 室), and
// geocodes addresses to points with their precision. It also assembles the gazetteer's
// in-memory indexes into a Service that refreshes itself when the tables change.
package addr

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

// Component is a division level of a parsed address.
type Component struct {
	Text  string `json:"text"` // as written ("" when inferred from a lower level)
	Code  string `json:"code"`
	Name  string `json:"name"`          // the official name as of the date
	Match string `json:"match"`         // exact|base|alias|old_name|typo|inferred
	Was   string `json:"was,omitempty"` // the old name written, for old_name
	// Pinyin is the unit's romanized name, PinyinSource official|reviewed|draft (search.UnitReading).
	Pinyin       string `json:"pinyin,omitempty"`
	PinyinSource string `json:"pinyin_source,omitempty"`
}

// RoadComponent is the road of a parsed address.
type RoadComponent struct {
	Text      string `json:"text"`
	ID        int64  `json:"id,omitempty"` // 0 when the road is not on record
	Name      string `json:"name,omitempty"`
	AdminCode string `json:"admin_code,omitempty"`
}

// Parsed is a parsed address.
type Parsed struct {
	Input      string          `json:"input"`
	Normalized string          `json:"normalized"`
	Province   *Component      `json:"province,omitempty"`
	Prefecture *Component      `json:"prefecture,omitempty"`
	County     *Component      `json:"county,omitempty"`
	Township   *Component      `json:"township,omitempty"`
	Village    *Component      `json:"village,omitempty"`
	Road       *RoadComponent  `json:"road,omitempty"`
	Number     int             `json:"number,omitempty"`
	Suffix     string          `json:"suffix,omitempty"` // 甲 乙 丙 丁 之一 之二 … 附
	Building   string          `json:"building,omitempty"`
	Unit       string          `json:"unit,omitempty"`
	Room       string          `json:"room,omitempty"`
	POI        string          `json:"poi,omitempty"` // compound, building or place name
	Unparsed   string          `json:"unparsed,omitempty"`
	Code       string          `json:"code,omitempty"` // the deepest division resolved
	Chain      []snapshot.Link `json:"chain"`
	Confidence float64         `json:"confidence"`
	Readings   int             `json:"readings"` // how many equally good division readings there were
	unit       int32           // deepest unit version, -1
	road       int32           // road index, -1
}

// MaxInputRunes bounds the address text looked at.
const MaxInputRunes = 128

const maxNameRunes = 20

type hyp struct {
	units   [6]int32
	deepest int32
	score   float64
	conf    float64
	matches [6]string
	texts   [6]string
	was     [6]string
	demoted float64 // score taken from a village reading because a township has the name
}

func (h *hyp) level(d *snapshot.Data) int8 {
	if h.deepest < 0 {
		return 0
	}
	return d.Units[h.deepest].Level
}

var roadSuffix = "路街巷弄道里"

// villageMarked reports whether written text names a village-level unit as such
// (下河村, 天宁社区, 下河村委会).
func villageMarked(s string) bool {
	for _, suf := range []string{"村", "社区", "嘎查", "委会", "居委"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// startsDivision reports whether a division name (two characters or more) starts at rs[i:].
func startsDivision(ix *search.Index, rs []rune, i int) bool {
	for l := 2; l <= maxNameRunes && i+l <= len(rs); l++ {
		for _, e := range ix.Lookup(string(rs[i : i+l])) {
			if ix.EntryUnit(e) >= 0 {
				return true
			}
		}
	}
	return false
}

// Parse parses text as of day against the index's dictionary.
func Parse(ix *search.Index, text string, day snapshot.Day) Parsed {
	d := ix.Data()
	p := Parsed{Input: text, unit: -1, road: -1, Chain: []snapshot.Link{}}
	norm := search.Normalize(text)
	var b strings.Builder
	for _, r := range norm {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '#' {
			b.WriteRune(r)
		}
	}
	rs := []rune(b.String())
	if len(rs) > MaxInputRunes {
		rs = rs[:MaxInputRunes]
	}
	p.Normalized = string(rs)

	hyps, i, steps := readDivisions(ix, rs, day, -1, 0)
	// The longest name first can swallow the start of the next one (青岛市南八大湖 is 青岛 +
	// 市南 + 八大湖, not 青岛市 + 南八大湖): when the divisions stop short, a shorter name at one
	// of the last steps is tried, and kept when the divisions then read further.
	// Only a name ending in 市 is tried shorter, and the retry must read the text to its end.
	for k := len(steps) - 1; i < len(rs) && k >= 0 && k >= len(steps)-3; k-- {
		if rs[steps[k][0]+steps[k][1]-1] != '市' {
			continue
		}
		if h2, i2, _ := readDivisions(ix, rs, day, steps[k][0], steps[k][1]-1); i2 == len(rs) {
			hyps, i = h2, i2
			break
		}
	}
	// Chinese numerals are read only after the divisions: 三栋镇 is a name, 三栋 a building.
	rest := convertNumerals(string(rs[i:]))

	// The best reading; ties are counted and lower the confidence.
	sort.SliceStable(hyps, func(a, b int) bool {
		if hyps[a].score != hyps[b].score {
			return hyps[a].score > hyps[b].score
		}
		// A bare name without 村/社区 names a township before a village: 鸡西鸡东鸡东 is
		// prefecture, county and township, not prefecture, township and village.
		la, lb := hyps[a].level(d), hyps[b].level(d)
		switch {
		case la == 5 && lb == 4 && !villageMarked(hyps[a].texts[5]):
			return false
		case la == 4 && lb == 5 && !villageMarked(hyps[b].texts[5]):
			return true
		}
		return la > lb
	})
	best := hyps[0]
	ties := 0
	for _, h := range hyps {
		switch {
		case h.score == best.score && h.level(d) == best.level(d):
			ties++
		case h.demoted > 0 && h.score+h.demoted == best.score:
			ties++ // a village the township it shares a name with won over: still a reading
		}
	}
	p.Readings = ties
	conf := best.conf
	if best.deepest >= 0 {
		p.unit = best.deepest
		fill(&p, ix, &best, day)
	}

	// Road, number, building, unit, room, compound.
	rest = parseTail(&p, rest)
	if p.Road != nil {
		resolveRoad(&p, ix, day)
		if p.Road.ID == 0 {
			conf *= 0.8
		}
	}
	if rest != "" {
		p.Unparsed = rest
		conf *= 0.7
	}
	switch {
	case p.unit < 0 && p.road < 0:
		conf = 0
	case p.unit < 0:
		conf *= 0.7
	}
	if ties > 1 {
		conf /= float64(ties)
	}
	p.Confidence = float64(int(conf*1000+0.5)) / 1000
	return p
}

// readDivisions reads division names from the start of rs, the longest first (at most
// capLen runes at position capAt); it returns the hypotheses, where they end and the steps
// taken (position and length of each name read).
func readDivisions(ix *search.Index, rs []rune, day snapshot.Day, capAt, capLen int) ([]hyp, int, [][2]int) {
	hyps := []hyp{{deepest: -1, conf: 1, units: [6]int32{-1, -1, -1, -1, -1, -1}}}
	var steps [][2]int
	i := 0
	for i < len(rs) {
		maxL := maxNameRunes
		if i == capAt {
			maxL = capLen
		}
		next, l := extend(ix, hyps, rs, i, day, maxL)
		if l == 0 {
			if k := skipPrinted(ix, hyps, rs, i); k > 0 {
				i += k
				continue
			}
			if capAt < 0 { // a retry reads names as written, without typos
				next, l = typoExtend(ix, hyps, rs, i, day)
			}
		}
		if l == 0 {
			break
		}
		steps = append(steps, [2]int{i, l})
		hyps, i = next, i+l
	}
	return hyps, i, steps
}

// candidates returns the current unit versions named s on day, with how they matched.
func candidates(ix *search.Index, s string, day snapshot.Day) (units []int32, matches []string, was []string) {
	d := ix.Data()
	for _, e := range ix.Lookup(s) {
		u := ix.EntryUnit(e)
		if u < 0 {
			continue
		}
		cur := d.Current(u, day)
		if cur < 0 || d.Units[u].From > d.Units[cur].From {
			continue // not valid then, or a name it only got later
		}
		m, w := "exact", ""
		switch {
		case cur != u && d.Units[u].Name != d.Units[cur].Name:
			m, w = "old_name", d.Units[u].Name
		case d.Units[cur].Name == s:
		case isAlias(d.Units[cur].Aliases, s):
			m = "alias"
		default:
			m = "base"
		}
		dup := false
		for k, x := range units {
			if x == cur {
				dup = true
				if m == "exact" {
					matches[k] = m
				}
			}
		}
		if !dup {
			units, matches, was = append(units, cur), append(matches, m), append(was, w)
		}
	}
	return
}

func isAlias(aliases []string, s string) bool {
	for _, a := range aliases {
		if a == s || strings.HasPrefix(a, s) {
			return true
		}
	}
	return false
}

var matchScore = map[string]float64{"exact": 1, "base": 0.9, "alias": 0.85, "old_name": 0.85, "typo": 0.6}
var matchConf = map[string]float64{"exact": 1, "base": 0.98, "alias": 0.95, "old_name": 0.95, "typo": 0.85}

// extend tries the longest division name at rs[i:] consistent with some hypothesis.
func extend(ix *search.Index, hyps []hyp, rs []rune, i int, day snapshot.Day, maxL int) ([]hyp, int) {
	d := ix.Data()
	for l := min(maxL, len(rs)-i); l >= 2; l-- {
		s := string(rs[i : i+l])
		units, matches, was := candidates(ix, s, day)
		if len(units) == 0 {
			continue
		}
		// A name followed by a road word is a road's name (中山路, not 中山市).
		// Unless a division name follows (武强县街关镇, 中山市里溪村, 桃城路北).
		if i+l < len(rs) && strings.ContainsRune(roadSuffix, rs[i+l]) && !strings.ContainsRune(roadSuffix, rs[i+l-1]) && !startsDivision(ix, rs, i+l) {
			continue
		}
		// A bare name after a county most often names the next level down: when it is a
		// township's name too, the township wins over a village, unless the township is
		// already written or the name carries 村/社区.
		villageMark := villageMarked(s)
		township := false // a township of that name fits some reading
		if !villageMark {
			for _, h := range hyps {
				for _, u := range units {
					if d.Units[u].Level == 4 && d.Units[u].Level > h.level(d) && (h.deepest < 0 || d.IsAncestor(h.deepest, u, day)) {
						township = true
					}
				}
			}
		}
		var next []hyp
		for _, h := range hyps {
			hl := h.level(d)
			for k, u := range units {
				un := &d.Units[u]
				if un.Level <= hl {
					continue
				}
				if h.deepest >= 0 && !d.IsAncestor(h.deepest, u, day) {
					continue
				}
				// Bare township and village names need a higher unit as context.
				if h.deepest < 0 && un.Level >= 4 && matches[k] == "base" && !strings.HasSuffix(s, "村") && !strings.HasSuffix(s, "社区") {
					continue
				}
				nh := h
				nh.units[un.Level] = u
				nh.deepest = u
				nh.matches[un.Level], nh.texts[un.Level], nh.was[un.Level] = matches[k], s, was[k]
				nh.score += matchScore[matches[k]] * float64(l)
				nh.conf *= matchConf[matches[k]]
				if township && un.Level == 5 && h.units[4] < 0 {
					pen := 0.1 * float64(l)
					nh.score -= pen
					nh.demoted += pen
				}
				// Units skipped between two written ones are fine ("丽水莲都"), but an
				// unattached lower unit among many is a guess.
				next = append(next, nh)
			}
		}
		if len(next) > 0 {
			if len(next) > 64 {
				sort.Slice(next, func(a, b int) bool { return next[a].score > next[b].score })
				next = next[:64]
			}
			return next, l
		}
	}
	return nil, 0
}

// printed are the rows of the statistical tables that are no units: people copying the
// tables write them (北京市市辖区东城区, 湖北省省直辖县级行政区划仙桃市).
var printed = []string{"自治区直辖县级行政区划", "省直辖县级行政区划", "直辖县级行政区划", "市辖区"}

// skipPrinted returns how many runes at rs[i:] are a placeholder row of the statistical
// tables, or the county-level row that repeats a city without counties (广东省东莞市东莞市,
// 河南省省直辖县级行政区划济源市济源市), written after the unit it stands for; 0 when none.
func skipPrinted(ix *search.Index, hyps []hyp, rs []rune, i int) int {
	d := ix.Data()
	rest := string(rs[i:])
	for _, h := range hyps {
		if h.deepest < 0 {
			continue
		}
		un := &d.Units[h.deepest]
		if un.Level <= 2 {
			for _, p := range printed {
				if strings.HasPrefix(rest, p) {
					return len([]rune(p))
				}
			}
			if un.Level == 1 && strings.HasPrefix(rest, "县") {
				return 1 // the 县 row of 重庆市
			}
		}
		if un.Level <= 3 && strings.HasPrefix(rest, un.Name) {
			return len([]rune(un.Name))
		}
	}
	return 0
}

// typoExtend looks for a child of a hypothesis' deepest unit whose name is one edit from
// the text at rs[i:] (only with context: a typo without it is too ambiguous).
func typoExtend(ix *search.Index, hyps []hyp, rs []rune, i int, day snapshot.Day) ([]hyp, int) {
	d := ix.Data()
	var next []hyp
	bestLen := 0
	for _, h := range hyps {
		if h.deepest < 0 {
			continue
		}
		for _, c := range d.ChildrenOf(d.Units[h.deepest].Code) {
			if !d.Units[c].ValidAt(day) {
				continue
			}
			names := append([]string{d.Units[c].Name}, first(search.BaseNames(d.Units[c].Name))...)
			for _, n := range names {
				nr := []rune(n)
				if len(nr) < 3 {
					continue
				}
				for _, l := range []int{len(nr), len(nr) - 1, len(nr) + 1} {
					if i+l > len(rs) || l < 3 || l < bestLen {
						continue
					}
					if search.OneEditApart(nr, rs[i:i+l]) {
						nh := h
						un := &d.Units[c]
						nh.units[un.Level], nh.deepest = c, c
						nh.matches[un.Level], nh.texts[un.Level] = "typo", string(rs[i:i+l])
						nh.score += matchScore["typo"] * float64(l)
						nh.conf *= matchConf["typo"]
						if l > bestLen {
							next, bestLen = next[:0], l
						}
						next = append(next, nh)
					}
				}
			}
		}
	}
	return next, bestLen
}

func first(a []string, _ []int) []string { return a }

// fill sets the division components and chain of p from a hypothesis; levels not written
// are inferred from the parents of the deepest unit.
func fill(p *Parsed, ix *search.Index, h *hyp, day snapshot.Day) {
	d := ix.Data()
	var buf [6]int32
	for _, u := range d.Chain(buf[:0], h.deepest, day) {
		un := &d.Units[u]
		c := &Component{Code: un.Code, Name: un.Name, Match: "inferred"}
		c.Pinyin, c.PinyinSource = search.UnitReading(un)
		if h.units[un.Level] == u {
			c.Text, c.Match, c.Was = h.texts[un.Level], h.matches[un.Level], h.was[un.Level]
		}
		switch gazetteer.Level(un.Level) {
		case gazetteer.Province:
			p.Province = c
		case gazetteer.Prefecture:
			p.Prefecture = c
		case gazetteer.County:
			p.County = c
		case gazetteer.Township:
			p.Township = c
		case gazetteer.Village:
			p.Village = c
		}
	}
	p.Chain = d.Links(h.deepest, day)
	p.Code = d.Units[h.deepest].Code
}

var (
	reRoad     = regexp.MustCompile(`^(.*?[^\d-]*?(?:大街|大道|公路|胡同|路|街|巷|弄|道|里))(.*)$`)
	reNumber   = regexp.MustCompile(`^([甲乙丙丁附])?(\d+)号(之[一二三四五六七八九十]|附\d*)?(.*)$`)
	reNumberNS = regexp.MustCompile(`^(\d+)(之[一二三四五六七八九]|附\d*)(.*)$`)
	reBuilding = regexp.MustCompile(`^(.*?)(\d+)(?:幢|栋|号楼|#)(.*)$`)
	reUnit     = regexp.MustCompile(`^(\d+)单元(.*)$`)
	reRoom     = regexp.MustCompile(`^(\d+)(?:室|房|号房)?$`)
	reDashRoom = regexp.MustCompile(`^(.*?)(\d+)-(\d+)(?:-(\d+))?(?:室)?$`)
)

// parseTail reads road, number, building, unit and room from what follows the divisions,
// returning what it could not read.
func parseTail(p *Parsed, s string) string {
	if s == "" {
		return ""
	}
	// Suffixed numbers as the plate writes them: 40号甲, 40甲号 → 甲40号; 40之一号 → 40号之一.
	s = search.HouseNumbers(s)
	if m := reRoad.FindStringSubmatch(s); m != nil && !strings.ContainsAny(m[1], "0123456789") && len([]rune(m[1])) >= 2 {
		p.Road = &RoadComponent{Text: m[1]}
		s = m[2]
	}
	if m := reNumber.FindStringSubmatch(s); m != nil {
		p.Number, _ = strconv.Atoi(m[2])
		suffix, tail := m[3], m[4]
		// 附3-501 is annex + building 3 room 501, not annex 3.
		if strings.HasPrefix(suffix, "附") && len(suffix) > len("附") && strings.HasPrefix(tail, "-") {
			tail, suffix = suffix[len("附"):]+tail, "附"
		}
		p.Suffix = m[1] + suffix
		s = tail
	} else if m := reNumberNS.FindStringSubmatch(s); m != nil && p.Road != nil {
		p.Number, _ = strconv.Atoi(m[1])
		p.Suffix = m[2]
		s = m[3]
	}
	if m := reDashRoom.FindStringSubmatch(s); m != nil && !strings.ContainsAny(m[1], "幢栋单元") {
		p.POI = m[1]
		p.Building = m[2]
		if m[4] != "" {
			p.Unit, p.Room = m[3], m[4]
		} else {
			p.Room = m[3]
		}
		return ""
	}
	if m := reBuilding.FindStringSubmatch(s); m != nil {
		p.POI = m[1]
		p.Building = m[2]
		s = m[3]
	}
	if m := reUnit.FindStringSubmatch(s); m != nil {
		p.Unit = m[1]
		s = m[2]
	}
	if m := reRoom.FindStringSubmatch(s); m != nil && (p.Building != "" || p.Unit != "") {
		p.Room = m[1]
		s = ""
	}
	if s != "" && p.POI == "" && !strings.ContainsAny(s, "0123456789") {
		p.POI, s = s, ""
	}
	return s
}

// resolveRoad finds the road on record with the written name, inside the parsed divisions
// when there are any.
func resolveRoad(p *Parsed, ix *search.Index, day snapshot.Day) {
	d := ix.Data()
	prefix := ""
	if p.unit >= 0 {
		u := &d.Units[p.unit]
		lv := gazetteer.Level(min(u.Level, 4))
		prefix = gazetteer.ShortCode(u.Code, lv)
	}
	best, bestScore := int32(-1), -1
	for _, e := range ix.Lookup(p.Road.Text) {
		ri := ix.EntryRoad(e)
		if ri < 0 {
			continue
		}
		r := &d.Roads[ri]
		if !strings.HasPrefix(r.AdminCode, prefix) {
			continue
		}
		score := 0
		if p.unit >= 0 && r.AdminCode == d.Units[p.unit].Code {
			score = 1
		}
		if score > bestScore {
			best, bestScore = ri, score
		}
	}
	if best < 0 {
		return
	}
	r := &d.Roads[best]
	p.road = best
	p.Road.ID, p.Road.Name, p.Road.AdminCode = r.ID, r.Name, r.AdminCode
	// The road's unit refines a coarser parse (方圆县人民路 → the township of 人民路).
	if p.unit >= 0 {
		if u := d.At(r.AdminCode, day); u >= 0 && u != p.unit && d.IsAncestor(p.unit, u, day) {
			h := hyp{deepest: u, units: [6]int32{-1, -1, -1, -1, -1, -1}}
			for _, c := range []*Component{p.Province, p.Prefecture, p.County, p.Township, p.Village} {
				if c != nil && c.Match != "inferred" {
					if x := d.At(c.Code, day); x >= 0 {
						lv := d.Units[x].Level
						h.units[lv], h.texts[lv], h.matches[lv], h.was[lv] = x, c.Text, c.Match, c.Was
					}
				}
			}
			p.unit = u
			fill(p, ix, &h, day)
		}
	}
	if p.unit < 0 {
		if u := d.At(r.AdminCode, day); u >= 0 {
			p.unit = u
			p.Chain = d.Links(u, day)
			p.Code = d.Units[u].Code
			h := hyp{deepest: u, units: [6]int32{-1, -1, -1, -1, -1, -1}}
			fill(p, ix, &h, day)
		}
	}
}
