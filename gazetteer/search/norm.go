package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize folds full-width forms to ASCII, lower-cases Latin letters, maps the ideographic
// space to a space and drops control characters. It keeps punctuation (the address parser
// uses it as a separator).
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		case unicode.IsControl(r):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Compact keeps only letters and digits (Han characters included) of a normalized string.
func Compact(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// HasHan reports whether s holds a Chinese character.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// suffixes are the generic parts of division names, longest first where one ends another.
var suffixes = []string{
	"社区居民委员会", "村民委员会", "居民委员会", "街道办事处", "特别行政区", "委员会", "居委会", "委会",
	"自治区", "自治州", "自治县", "自治旗", "社区", "街道", "地区", "苏木", "嘎查", "新区", "林区", "特区",
	"省", "市", "区", "县", "镇", "乡", "村", "旗", "盟",
}

// BaseNames returns the shorter forms people write for a name, dropping generic suffixes
// one at a time and keeping at least two characters: 天宁社区居委会 → 天宁社区, 天宁;
// 丽水市 → 丽水; 下河村委会 → 下河村, 下河. The second result is the number of characters
// dropped for each form.
func BaseNames(name string) (forms []string, dropped []int) {
	cur := name
	total := 0
	// The long official forms first become the short ones people write:
	// 望江村民委员会 → 望江村委会 (→ 望江村 → 望江), 天宁社区居民委员会 → 天宁社区居委会.
	for _, long := range [][2]string{{"村民委员会", "村委会"}, {"居民委员会", "居委会"}} {
		if strings.HasSuffix(cur, long[0]) && utf8.RuneCountInString(cur) > utf8.RuneCountInString(long[0])+1 {
			cur = strings.TrimSuffix(cur, long[0]) + long[1]
			total += 2
			forms = append(forms, cur)
			dropped = append(dropped, total)
		}
	}
	autonomous := false
	for {
		found := false
		for _, suf := range suffixes {
			if strings.HasSuffix(cur, suf) {
				rest := cur[:len(cur)-len(suf)]
				if utf8.RuneCountInString(rest) < 2 {
					continue
				}
				if strings.HasPrefix(suf, "自治") || ((suf == "乡" || suf == "镇") && strings.HasSuffix(rest, "族")) {
					autonomous = true
				}
				cur = rest
				total += utf8.RuneCountInString(suf)
				forms = append(forms, cur)
				dropped = append(dropped, total)
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	// Autonomous units are written without their nationalities: 长阳土家族自治县 → 长阳,
	// 伊犁哈萨克自治州 → 伊犁, 大通回族土族自治县 → 大通, 三都水族自治县 → 三都.
	if autonomous {
		if s := StripNationalities(cur); s != cur {
			total += utf8.RuneCountInString(cur) - utf8.RuneCountInString(s)
			forms = append(forms, s)
			dropped = append(dropped, total)
		}
	}
	return forms, dropped
}

// nationalities are the names of the 56 nationalities without 族, the longer first where
// one ends another (土家 before 土).
var nationalities = []string{
	"乌孜别克", "柯尔克孜", "俄罗斯", "维吾尔", "哈萨克", "塔吉克", "达斡尔", "鄂温克", "鄂伦春", "塔塔尔",
	"蒙古", "布依", "朝鲜", "土家", "哈尼", "傈僳", "高山", "拉祜", "东乡", "纳西", "景颇", "仫佬",
	"布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "德昂", "保安", "裕固", "独龙", "赫哲",
	"门巴", "珞巴", "基诺", "回", "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "傣", "黎", "佤",
	"畲", "水", "土", "羌", "怒", "京", "各",
}

// StripNationalities removes the nationalities ending the name of an autonomous unit
// without its 自治X suffix (积石山保安族东乡族撒拉族 → 积石山), keeping at least two characters.
func StripNationalities(s string) string {
	for {
		t := strings.TrimSuffix(s, "民族") // 石梯子哈萨克民族乡
		if t == s {
			t = strings.TrimSuffix(s, "族")
		}
		found := false
		for _, n := range nationalities {
			if strings.HasSuffix(t, n) && utf8.RuneCountInString(t)-utf8.RuneCountInString(n) >= 2 {
				t, found = strings.TrimSuffix(t, n), true
				break
			}
		}
		if !found {
			return s
		}
		s = t
	}
}

// OneEditApart reports whether a and b (rune slices) are at most one edit apart
// (substitution, insertion or deletion).
func OneEditApart(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return i == len(a) || string(a[i+1:]) == string(b[i+1:])
	}
	return string(a[i:]) == string(b[i+1:])
}

func hashRunes(rs []rune, skip int) uint32 {
	h := uint32(2166136261)
	for i, r := range rs {
		if i == skip {
			continue
		}
		h ^= uint32(r)
		h *= 16777619
		h ^= uint32(r >> 16)
		h *= 16777619
	}
	return h
}

// StripRemarks removes bracketed remarks from a name: 方圆县（虚构） → 方圆县.
func StripRemarks(name string) string {
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch r {
		case '(', '（', '[', '【':
			depth++
			continue
		case ')', '）', ']', '】':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
