package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"

	"fangyuan/gazetteer"
)

// Place names (地名) of the demo county: natural villages, residential compounds, hills,
// rivers, lakes, bridges, piers, islands, schools, hospitals, squares, parks, monuments,
// and the heritage-listed ancient towns (千年古镇) and villages (千年古村落). Written as
// the census export's CSV (Chinese headers), points only.

const placeNameHeader = "标准名称,罗马字母拼写,类别代码,行政区划代码,经度,纬度,地名来历,地名含义,历史沿革,遗产级别,地名文化遗产,批准文号,批准时间"

type placeName struct {
	name     string
	generic  int // runes of the generic part (村, 花园, 古镇 ...), for the pinyin
	category string
	code     string // 9 or 12 digits
	p        pt
	origin   string
	meaning  string
	history  string
	level    string // 省级 | 市级 | ""
	list     string // 千年古镇 | 千年古村落 | ""
	approval string
	date     string
}

var (
	naturalSuffixPlain    = []string{"下宅", "上宅", "外村", "里村", "塘头", "埠头", "桥头", "湾里"}
	naturalSuffixMountain = []string{"坑头", "岭脚", "岙里", "坪上", "源头", "山下"}
	naturalSuffixIsland   = []string{"岙口", "沙头", "礁下"}
	compoundSuffix        = []string{"花园", "小区", "公寓", "家园"}
	peakNames             = []string{"雾岭尖", "笔架山", "狮子岩", "鹰嘴岩", "仙人峰", "大坪山", "白岩尖", "石门岗", "龙头山", "九龙尖",
		"天柱峰", "乌石岗", "青龙山", "云顶尖", "望天岗"}
	passNames      = []string{"十八盘岭", "羊肠岭", "马鞍岭"}
	ancientTowns   = map[string]string{"青岚镇": "岚川古镇", "枫渡镇": "渡枫古镇", "龙栖镇": "栖龙古镇", "桐湾镇": "桐溪古镇"}
	ancientTownOrd = []string{"青岚镇", "枫渡镇", "龙栖镇", "桐湾镇"}
)

// official spells a name in pinyin the way the census writes it: the specific part
// joined and capitalised, the generic part (the last g characters) apart.
func official(name string, g int) string {
	full, _ := gazetteer.DraftPinyin(name)
	syl := strings.Fields(full)
	cap := func(ss []string) string {
		var b strings.Builder
		for i, x := range ss {
			if i > 0 && strings.ContainsRune("aoe", rune(x[0])) {
				b.WriteByte('\'') // Kang'an, not Kangan (GB/T 16159)
			}
			b.WriteString(x)
		}
		s := b.String()
		if s == "" {
			return ""
		}
		r := []rune(s)
		r[0] = unicode.ToUpper(r[0])
		return string(r)
	}
	if len(syl) != len([]rune(name)) || g <= 0 || g >= len(syl) {
		return cap(syl)
	}
	return cap(syl[:len(syl)-g]) + " " + cap(syl[len(syl)-g:])
}

func shortTown(name string) string {
	for _, s := range []string{"街道", "镇", "乡"} {
		if strings.HasSuffix(name, s) {
			return strings.TrimSuffix(name, s)
		}
	}
	return name
}

type placeBuilder struct {
	c     *county
	rng   *rand.Rand
	roads []road
	taken map[string]bool
	out   []placeName
}

// add appends a place name unless the name is taken (then it returns false).
func (pb *placeBuilder) add(p placeName) bool {
	if pb.taken[p.name] {
		return false
	}
	pb.taken[p.name] = true
	if pb.rng.Float64() < 0.6 || p.list != "" {
		year := 2012 + pb.rng.IntN(12)
		p.approval = fmt.Sprintf("方民地〔%d〕%d号", year, 1+pb.rng.IntN(40))
		p.date = fmt.Sprintf("%d-%02d-%02d", year, 1+pb.rng.IntN(12), 1+pb.rng.IntN(28))
	}
	pb.out = append(pb.out, p)
	return true
}

// near returns a point within radiusKm of c inside the polygon mp.
func (pb *placeBuilder) near(c pt, radiusKm float64, mp [][][]pt, what string) pt {
	for try := 0; try < 300; try++ {
		r := radiusKm
		if try > 150 {
			r /= 3
		}
		p := roundMicro(offsetKm(c, r*(2*pb.rng.Float64()-1), r*(2*pb.rng.Float64()-1)))
		if inMulti(p, mp) {
			return p
		}
	}
	panic("no point for " + what)
}

// inQuadOf returns the centre of a random quad of village v (hills, lakes).
func (pb *placeBuilder) inQuadOf(v int) pt {
	vil := pb.c.vils[v]
	for try := 0; try < 200; try++ {
		p := roundMicro(pb.c.lat.centroid(vil.quads[pb.rng.IntN(len(vil.quads))]))
		if inMulti(p, vil.poly) {
			return p
		}
	}
	panic("no quad in " + vil.name)
}

func (c *county) buildPlaceNames(rng *rand.Rand, roads []road) []placeName {
	pb := &placeBuilder{c: c, rng: rng, roads: roads, taken: map[string]bool{}}
	// Names of divisions and roads are not reused for place names.
	for _, t := range c.towns {
		pb.taken[t.name] = true
		pb.taken[shortTown(t.name)] = true
	}
	for _, v := range c.vils {
		pb.taken[v.name], pb.taken[v.place] = true, true
	}
	for _, r := range roads {
		pb.taken[r.name] = true
	}
	pick := func(list []string) string { return list[pb.rng.IntN(len(list))] }

	// Natural villages (自然村) and residential compounds (居住小区), village by village.
	for _, v := range c.vils {
		tw := c.towns[v.town]
		stem := strings.TrimSuffix(strings.TrimSuffix(v.place, "社区"), "村")
		if v.comm {
			n := 1 + boolInt(rng.Float64() < 0.45)
			for k := 0; k < n; k++ {
				for try := 0; try < 8; try++ {
					suf := pick(compoundSuffix)
					p := pb.near(v.center, 0.25, v.poly, v.name)
					if pb.add(placeName{name: stem + suf, generic: len([]rune(suf)), category: "213", code: v.code, p: p,
						origin: fmt.Sprintf("以所在%s得名。", v.place), meaning: fmt.Sprintf("%s一带的居住小区。", stem),
						history: fmt.Sprintf("%d年建成。", 1995+rng.IntN(28))}) {
						break
					}
				}
			}
			continue
		}
		sufs := naturalSuffixPlain
		switch tw.class {
		case classMountain:
			sufs = naturalSuffixMountain
		case classIsland:
			sufs = naturalSuffixIsland
		}
		n := 1 + boolInt(tw.class == classTown && rng.Float64() < 0.4)
		for k := 0; k < n; k++ {
			for try := 0; try < 8; try++ {
				suf := pick(sufs)
				p := pb.near(v.center, 0.6, v.poly, v.name)
				if pb.add(placeName{name: stem + suf, generic: len([]rune(suf)), category: "212", code: v.code, p: p,
					origin:  fmt.Sprintf("村落位于%s%s，因名。", stem, map[bool]string{true: "之上", false: "一带"}[strings.HasPrefix(suf, "上")]),
					meaning: fmt.Sprintf("%s的%s。", v.place, suf), history: fmt.Sprintf("清代成村，属%s。", v.place)}) {
					break
				}
			}
		}
	}
	// 千年古村落: ten old villages of the towns and mountains.
	var oldVil []int
	for vi, v := range c.vils {
		cl := c.towns[v.town].class
		if !v.comm && (cl == classTown || cl == classMountain) && vi%9 == 4 {
			oldVil = append(oldVil, vi)
		}
	}
	for k, vi := range oldVil {
		if k == 10 {
			break
		}
		v := c.vils[vi]
		stem := strings.TrimSuffix(v.place, "村")
		level := "市级"
		if k%3 == 0 {
			level = "省级"
		}
		pb.add(placeName{name: stem + "古村", generic: 2, category: "272", code: v.code, p: pb.near(v.center, 0.15, v.poly, v.name),
			origin:  fmt.Sprintf("宋代%s氏迁居于此，聚族而居。", string([]rune("陈李王张周吴徐")[k%7])),
			meaning: "古村落，保存明清民居与宗祠。", history: fmt.Sprintf("始建于宋，明清为%s中心村落，今属%s。", shortTown(c.towns[v.town].name), v.place),
			level: level, list: "千年古村落"})
	}
	// 千年古镇: the old centres of four towns.
	for _, tn := range ancientTownOrd {
		t := c.townIndex(tn)
		name := ancientTowns[tn]
		pb.add(placeName{name: name, generic: 2, category: "271", code: c.towns[t].code, p: pb.near(c.seatPoint(t), 0.4, c.towns[t].poly, tn),
			origin: fmt.Sprintf("因临%s溪而得名，唐代已成集市。", string([]rune(name)[1])), meaning: "历史文化古镇。",
			history: fmt.Sprintf("唐代设市，宋为镇，今为%s老镇区。", tn), level: "省级", list: "千年古镇"})
	}
	// Hills (山峰) and passes (山岭) in the mountain townships.
	var mountainVils []int
	for vi, v := range c.vils {
		if c.towns[v.town].class == classMountain {
			mountainVils = append(mountainVils, vi)
		}
	}
	for k, n := range peakNames {
		v := mountainVils[(k*7)%len(mountainVils)]
		pb.add(placeName{name: n, generic: 1, category: "111", code: c.towns[c.vils[v].town].code, p: pb.inQuadOf(v),
			origin: "以山形得名。", meaning: "山峰。", history: "旧志有载。"})
	}
	for k, n := range passNames {
		v := mountainVils[(k*11+3)%len(mountainVils)]
		pb.add(placeName{name: n, generic: 1, category: "112", code: c.towns[c.vils[v].town].code, p: pb.inQuadOf(v),
			origin: "古道所经之岭。", meaning: "山岭古道。", history: "明代辟为驿道。"})
	}
	// Rivers, lakes and reservoirs: a point on each.
	for _, w := range []struct{ name, town, cat, origin string }{
		{"青岚溪", "青岚镇", "121", "源出雾岭，流经青岚。"}, {"枫渡江", "枫渡镇", "121", "江边古有枫林渡口。"},
		{"龙栖溪", "龙栖镇", "121", "传说有龙栖息于溪潭。"}, {"梅屿溪", "梅屿镇", "121", "流经梅屿入海。"},
		{"桐湾河", "桐湾镇", "121", "两岸多植油桐。"}, {"玉带河", "玉澜街道", "121", "河如玉带绕城。"},
		{"雾岭水库", "雾岭乡", "231", "建于雾岭山谷。"}, {"云岫湖", "云岫乡", "122", "湖在云岫山间。"},
		{"鹤鸣湖", "鹤鸣街道", "122", "城中湖，以街道名。"}, {"白鹭潭", "澄川街道", "122", "潭边常有白鹭。"},
	} {
		t := c.townIndex(w.town)
		tw := c.towns[t]
		v := tw.vils[len(tw.vils)/2]
		pb.add(placeName{name: w.name, generic: 1, category: w.cat, code: tw.code, p: pb.inQuadOf(v),
			origin: w.origin, meaning: "水体。", history: "沿用旧名。"})
	}
	// Bridges (桥梁) on the first street of each township.
	byTown := make([][]int, len(c.towns))
	for i, r := range roads {
		if !r.connect {
			byTown[r.town] = append(byTown[r.town], i)
		}
	}
	for t, tw := range c.towns {
		if len(byTown[t]) == 0 {
			continue
		}
		r := roads[byTown[t][0]]
		stem := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(r.name, "大街"), "路"), "街")
		pb.add(placeName{name: stem + "桥", generic: 1, category: "222", code: tw.code, p: pointAlong(r, 0.5, 0),
			origin: fmt.Sprintf("在%s上，因路得名。", r.name), meaning: "跨河桥梁。", history: fmt.Sprintf("%d年重建。", 1980+rng.IntN(40))})
	}
	// Islands (岛屿) and piers (码头).
	ao := c.townIndex("鳌屿乡")
	for _, is := range islandSpecs {
		p := is.center
		if !inMulti(p, c.towns[ao].poly) {
			p = pb.near(is.center, 1.5, c.towns[ao].poly, is.name)
		}
		pb.add(placeName{name: is.name, generic: 1, category: "141", code: c.towns[ao].code, p: roundMicro(p),
			origin: "以岛形得名。", meaning: "海岛。", history: "清代始有渔民定居。"})
	}
	for _, pier := range []struct{ name, town string }{{"大鳌码头", "鳌屿乡"}, {"鳌屿渡口", "鳌屿乡"}, {"桐湾渔港码头", "桐湾镇"}, {"望潮客运码头", "望潮街道"}} {
		t := c.townIndex(pier.town)
		g := 2
		pb.add(placeName{name: pier.name, generic: g, category: "225", code: c.towns[t].code, p: pb.near(c.seatPoint(t), 1.2, c.towns[t].poly, pier.name),
			origin: "以所在地得名。", meaning: "港口码头。", history: "二十世纪建成。"})
	}
	// Schools, hospitals, squares, parks and monuments near the seats.
	for t, tw := range c.towns {
		s := shortTown(tw.name)
		pb.add(placeName{name: s + "中心小学", generic: 4, category: "242", code: tw.code, p: pb.near(c.seatPoint(t), 0.8, tw.poly, s),
			origin: fmt.Sprintf("以所在%s得名。", tw.name), meaning: "小学。", history: fmt.Sprintf("%d年建校。", 1950+rng.IntN(40))})
		if tw.class == classTown {
			pb.add(placeName{name: s + "卫生院", generic: 3, category: "243", code: tw.code, p: pb.near(c.seatPoint(t), 0.8, tw.poly, s),
				origin: fmt.Sprintf("以所在%s得名。", tw.name), meaning: "乡镇卫生院。", history: "1958年建院。"})
		}
	}
	hm := c.townIndex("鹤鸣街道")
	for _, u := range []struct {
		name, town, cat, list string
		g                     int
	}{
		{"方圆县第一中学", "鹤鸣街道", "242", "", 4}, {"方圆县实验小学", "澄川街道", "242", "", 4}, {"方圆县人民医院", "鹤鸣街道", "243", "", 4},
		{"方圆县中医院", "玉澜街道", "243", "", 3}, {"鹤鸣广场", "鹤鸣街道", "252", "", 2}, {"澄川广场", "澄川街道", "252", "", 2},
		{"望潮广场", "望潮街道", "252", "", 2}, {"滨江公园", "望潮街道", "263", "", 2}, {"玉澜公园", "玉澜街道", "263", "", 2},
		{"望潮湿地公园", "望潮街道", "263", "", 4}, {"方圆县革命烈士陵园", "鹤鸣街道", "261", "", 4}, {"文昌阁", "鹤鸣街道", "264", "", 1},
		{"青岚文庙", "青岚镇", "264", "", 2}, {"澄川古塔", "澄川街道", "2624", "", 1}, {"鳌屿灯塔", "鳌屿乡", "2624", "", 2},
		{"望海亭", "桐湾镇", "2621", "", 1}, {"镇海碑", "梅屿镇", "2623", "", 1},
	} {
		t := c.townIndex(u.town)
		if u.town == "鹤鸣街道" {
			t = hm
		}
		pb.add(placeName{name: u.name, generic: u.g, category: u.cat, code: c.towns[t].code, p: pb.near(c.seatPoint(t), 1.0, c.towns[t].poly, u.name),
			origin: fmt.Sprintf("以所在%s得名。", shortTown(u.town)), meaning: "具有地名意义的设施。", history: "沿用至今。"})
	}
	for _, p := range pb.out {
		if !inMulti(p.p, c.poly) {
			panic(fmt.Sprintf("place name %s at %v is outside the county", p.name, p.p))
		}
	}
	return pb.out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeNamesCSV renders the place names as the census export's CSV.
func placeNamesCSV(ps []placeName) []byte {
	var b bytes.Buffer
	b.WriteString(placeNameHeader + "\n")
	w := csv.NewWriter(&b)
	for _, p := range ps {
		if err := w.Write([]string{p.name, official(p.name, p.generic), p.category, p.code,
			strconv.FormatFloat(p.p[0], 'f', 6, 64), strconv.FormatFloat(p.p[1], 'f', 6, 64),
			p.origin, p.meaning, p.history, p.level, p.list, p.approval, p.date}); err != nil {
			panic(err)
		}
	}
	w.Flush()
	return b.Bytes()
}

// placeNamesReadme describes placenames.csv for the README's file table.
func placeNamesReadme(ps []placeName) string {
	heritage := 0
	for _, p := range ps {
		if p.list != "" {
			heritage++
		}
	}
	return fmt.Sprintf("%d place names (census CSV: 标准名称, 罗马字母拼写, 类别代码 GB/T 18521, 行政区划代码, 经度/纬度, 来历/含义/沿革), %d heritage-listed (千年古镇/千年古村落)", len(ps), heritage)
}
