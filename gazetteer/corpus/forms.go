package corpus

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// The written forms people use, by this package's own rules (not the search index's).

// ethnic are the names of the 56 nationalities without 族, longest first where one ends
// another (蒙古 before 古 is not needed: none is a suffix of another but 土家/土).
var ethnic = []string{
	"乌孜别克", "柯尔克孜", "俄罗斯", "维吾尔", "哈萨克", "塔吉克", "达斡尔", "鄂温克", "鄂伦春", "塔塔尔",
	"蒙古", "布依", "朝鲜", "土家", "哈尼", "傈僳", "高山", "拉祜", "东乡", "纳西", "景颇", "仫佬",
	"布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "德昂", "保安", "裕固", "独龙", "赫哲",
	"门巴", "珞巴", "基诺", "回", "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "傣", "黎", "佤",
	"畲", "水", "土", "羌", "怒", "京",
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// stripEthnic removes the nationalities at the end of an autonomous unit's name once its
// 自治X suffix is gone: 长阳土家族 → 长阳, 积石山保安族东乡族撒拉族 → 积石山, 察布查尔锡伯 → 察布查尔.
func stripEthnic(s string) string {
	for {
		t := strings.TrimSuffix(s, "族")
		found := false
		for _, e := range ethnic {
			if strings.HasSuffix(t, e) && runes(t)-runes(e) >= 2 {
				t = strings.TrimSuffix(t, e)
				found = true
				break
			}
		}
		if !found {
			return s
		}
		s = t
	}
}

// bare is a name with its generic suffix dropped, as people write it one after another:
// 浙江省 → 浙江, 丽水市 → 丽水, 莲都区 → 莲都, 长阳土家族自治县 → 长阳, 紫金街道 → 紫金,
// 广西壮族自治区 → 广西. A name that would keep fewer than two characters stays whole (沙县).
func bare(name string, level int) string {
	var sufs []string
	switch level {
	case 1:
		sufs = []string{"特别行政区", "自治区", "省", "市"}
	case 2:
		sufs = []string{"自治州", "地区", "市", "盟"}
	case 3:
		for _, z := range []string{"开发区", "园区", "管理区", "实验区", "试验区", "示范区", "合作区", "名胜区", "风景区"} {
			if strings.HasSuffix(name, z) {
				return name // development zones are written whole
			}
		}
		sufs = []string{"自治县", "自治旗", "林区", "特区", "新区", "区", "县", "市", "旗"}
	case 4:
		sufs = []string{"街道办事处", "民族乡", "民族镇", "街道", "苏木", "镇", "乡"}
	default:
		return spoken(name)
	}
	for _, suf := range sufs {
		if !strings.HasSuffix(name, suf) {
			continue
		}
		s := strings.TrimSuffix(name, suf)
		if suf == "民族乡" || suf == "民族镇" {
			s = stripEthnic(s + "族") // 石梯子哈萨克民族乡 → 石梯子
		}
		if strings.HasPrefix(suf, "自治") || (level == 4 && (suf == "乡" || suf == "镇") && strings.HasSuffix(s, "族")) {
			s = stripEthnic(s)
		}
		if runes(s) >= 2 {
			return s
		}
		return name
	}
	return name
}

// spoken is how people write a village-level name: 下河村民委员会/下河村委会 → 下河村,
// 天宁社区居民委员会/天宁社区居委会 → 天宁社区, 新华居民委员会 → 新华居委会.
func spoken(name string) string {
	for _, suf := range []string{"村民委员会", "村委会"} {
		if strings.HasSuffix(name, suf) {
			s := strings.TrimSuffix(name, suf)
			if !strings.HasSuffix(s, "村") {
				s += "村"
			}
			return s
		}
	}
	for _, suf := range []string{"社区居民委员会", "社区居委会"} {
		if strings.HasSuffix(name, suf) {
			return strings.TrimSuffix(name, suf) + "社区"
		}
	}
	if s := strings.TrimSuffix(name, "居民委员会"); s != name {
		return s + "居委会"
	}
	return name
}

// readings are the toneless pinyin syllables of names, one per character.
type readings struct {
	official map[string][]string // code → syllables, from the reviewed table
	poly     map[rune]bool
	args     pinyin.Args
}

func loadReadings(dir string) (*readings, error) {
	rd := &readings{official: map[string][]string{}, poly: map[rune]bool{}, args: pinyin.NewArgs()}
	rd.args.Style = pinyin.Normal
	rows, err := readTSV(dir+"/polyphones.tsv", 2)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		rd.poly[[]rune(r[0])[0]] = true
	}
	rows, err = readTSV(dir+"/official_pinyin.tsv", 3)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		rd.official[pad(r[0])+"|"+r[1]] = strings.Fields(r[2])
	}
	return rd, nil
}

// of returns the syllables of unit n's name: the reviewed official reading where the name
// holds a polyphone character, else the dictionary reading of each character (go-pinyin:
// outside the reviewed polyphone set a character has one reading in place names, so the
// dictionary's first reading is it). ok is false when a polyphone name is not in the table.
func (rd *readings) of(n *node) (syl []string, ok bool) {
	if s, ok := rd.official[n.code+"|"+n.name]; ok {
		return s, true
	}
	for _, r := range n.name {
		if rd.poly[r] {
			return nil, false
		}
		if !unicode.Is(unicode.Han, r) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				syl = append(syl, strings.ToLower(string(r)))
			}
			continue
		}
		p := pinyin.SinglePinyin(r, rd.args)
		if len(p) == 0 {
			return nil, false
		}
		syl = append(syl, p[0])
	}
	return syl, true
}

// isPoly reports whether n's name holds a polyphone character.
func (rd *readings) isPoly(n *node) bool {
	for _, r := range n.name {
		if rd.poly[r] {
			return true
		}
	}
	return false
}

// pinyinOf returns the pinyin of the first k characters of n's name (k ≤ 0: all), joined.
func (rd *readings) pinyinOf(n *node, k int, sep string) (string, bool) {
	syl, ok := rd.of(n)
	if !ok || len(syl) != runes(n.name) {
		return "", false
	}
	if k > 0 && k <= len(syl) {
		syl = syl[:k]
	}
	return strings.Join(syl, sep), true
}

// Reading is a row of the reviewed table of official readings.
type Reading struct {
	Code, Name string
	Level      int
	Syllables  []string
	// Base is the name with its suffix dropped (this package's rules) and BaseSyllables
	// its reading.
	Base          string
	BaseSyllables []string
}

// OfficialReadings returns the reviewed official readings of dir/official_pinyin.tsv.
func OfficialReadings(dir string) ([]Reading, error) {
	rows, err := readTSV(dir+"/official_pinyin.tsv", 3)
	if err != nil {
		return nil, err
	}
	var out []Reading
	for _, r := range rows {
		code := pad(r[0])
		level := 3
		switch {
		case len(r[0]) == 2:
			level = 1
		case len(r[0]) == 4:
			level = 2
		}
		syl := strings.Fields(r[2])
		if len(syl) != runes(r[1]) {
			return nil, fmt.Errorf("%s/official_pinyin.tsv: %s %s: %d syllables for %d characters", dir, r[0], r[1], len(syl), runes(r[1]))
		}
		b := bare(r[1], level)
		out = append(out, Reading{Code: code, Name: r[1], Level: level, Syllables: syl, Base: b, BaseSyllables: syl[:runes(b)]})
	}
	return out, nil
}

// AllReadings returns the reading of every province, prefecture and county of the tables
// in dir (placeholders left out), with Poly set where the name holds a polyphone
// character; missing lists the polyphone names the reviewed table lacks.
func AllReadings(dir, pinyinDir string) (all []UnitReading, missing []string, err error) {
	t, err := readTables(dir)
	if err != nil {
		return nil, nil, err
	}
	rd, err := loadReadings(pinyinDir)
	if err != nil {
		return nil, nil, err
	}
	for l := 1; l <= 3; l++ {
		for _, n := range t.level[l] {
			syl, ok := rd.of(n)
			if !ok || len(syl) != runes(n.name) {
				missing = append(missing, n.code+" "+n.name)
				continue
			}
			b := bare(n.name, n.level)
			all = append(all, UnitReading{Reading: Reading{Code: n.code, Name: n.name, Level: l, Syllables: syl, Base: b, BaseSyllables: syl[:runes(b)]}, Poly: rd.isPoly(n)})
		}
	}
	return all, missing, nil
}

// UnitReading is the reading of one unit.
type UnitReading struct {
	Reading
	Poly bool
}
