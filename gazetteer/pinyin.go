package gazetteer

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Draft pinyin. The official romanization of a place name is set by the place-name office
// and stored beside the draft; the draft only makes names findable by pinyin before that.
// Place names are full of polyphones, so the common readings in place names are preferred
// over the dictionary's first reading, and known names are spelled whole.

// placeWords are place names whose reading differs from the characters' usual ones.
var placeWords = map[string]string{
	"乐清": "yue qing", "六安": "lu an", "蚌埠": "beng bu", "番禺": "pan yu", "铅山": "yan shan",
	"台州": "tai zhou", "天台": "tian tai", "丽水": "li shui", "丽江": "li jiang", "长沙": "chang sha",
	"重庆": "chong qing", "厦门": "xia men", "洪洞": "hong tong", "单县": "shan xian", "东阿": "dong e",
	"涡阳": "guo yang", "瑷珲": "ai hui", "大城": "da cheng", "荥阳": "xing yang", "莘县": "shen xian",
	"长治": "chang zhi", "行唐": "xing tang", "会稽": "kuai ji", "筠连": "jun lian", "解州": "xie zhou",
}

// placeChars are readings preferred inside place names.
var placeChars = map[rune]string{
	'都': "du", '长': "chang", '乐': "le", '广': "guang", '堡': "bao", '圩': "xu", '沈': "shen",
	'曾': "zeng", '朝': "chao", '济': "ji", '茄': "qie", '柏': "bai", '蔚': "yu", '沓': "ta",
	'番': "fan", '吐': "tu", '喀': "ka", '什': "shi", '单': "dan", '华': "hua", '省': "sheng",
	'区': "qu", '市': "shi", '县': "xian", '镇': "zhen", '乡': "xiang", '村': "cun", '街': "jie",
	'道': "dao", '居': "ju", '委': "wei", '会': "hui", '社': "she", '弄': "nong", '巷': "xiang",
}

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	return a
}()

// The reviewed tables (pinyindata/, sources named in their headers): the polyphone
// characters of place names with their readings, and the official reading of every
// province-, prefecture- and county-level name that holds one.
var (
	//go:embed pinyindata/polyphones.tsv
	polyphonesTSV []byte
	//go:embed pinyindata/official_pinyin.tsv
	officialTSV []byte

	polyphones    = map[rune][]string{}
	officialCode  = map[string][]string{} // 12-digit code + "|" + name → syllables
	officialOf    = map[string]string{}   // 12-digit code → the name the table reads
	officialNames = map[string][]string{} // name → syllables, where every unit of that name reads alike
)

func init() {
	each := func(b []byte, fn func(f []string)) {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
				fn(strings.Split(l, "\t"))
			}
		}
	}
	each(polyphonesTSV, func(f []string) { polyphones[[]rune(f[0])[0]] = strings.Fields(f[1]) })
	clash := map[string]bool{}
	each(officialTSV, func(f []string) {
		syl := strings.Fields(f[2])
		code := f[0] + strings.Repeat("0", 12-len(f[0]))
		officialCode[code+"|"+f[1]] = syl
		officialOf[code] = f[1]
		if o, ok := officialNames[f[1]]; ok && strings.Join(o, " ") != f[2] {
			clash[f[1]] = true
		}
		officialNames[f[1]] = syl
	})
	for n := range clash {
		delete(officialNames, n)
	}
}

// OfficialSyllables returns the reviewed official reading of a division name (one toneless
// syllable per character), or nil when the table has none: the name holds no polyphone
// character, or the unit is below the county level. A unit renamed since the table keeps
// the official reading of the characters its new name starts with (长子县 → 长子区 reads
// zhang zi, then the draft): draft is the new name's draft, one syllable per character.
func OfficialSyllables(code, name string, draft []string) []string {
	if syl, ok := officialCode[code+"|"+name]; ok {
		return syl
	}
	old, ok := officialOf[code]
	if !ok {
		return nil
	}
	a, b := []rune(old), []rune(name)
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	if p < 2 || len(draft) != len(b) {
		return nil
	}
	return append(append([]string(nil), officialCode[code+"|"+old][:p]...), draft[p:]...)
}

// MaxReadings bounds the readings indexed for one name.
const MaxReadings = 8

// Readings returns the readings of a name with one syllable per character: primary first,
// then the other readings of the polyphone characters among its first vary characters
// (the name without its generic suffix: 委员会 reads one way), at most max in all. Names
// whose syllables do not match their characters one to one have only primary.
func Readings(name string, primary []string, vary, max int) [][]string {
	out := [][]string{primary}
	rs := []rune(name)
	if len(rs) != len(primary) {
		return out
	}
	vary = min(vary, len(rs))
	poly := false
	for _, r := range rs[:vary] {
		if len(polyphones[r]) > 0 {
			poly = true
			break
		}
	}
	if !poly {
		return out
	}
	rs = rs[:vary]
	seen := map[string]bool{strings.Join(primary, " "): true}
	var rec func(i int, cur []string)
	rec = func(i int, cur []string) {
		if len(out) >= max {
			return
		}
		if i == vary {
			if k := strings.Join(cur, " "); !seen[k] {
				seen[k] = true
				out = append(out, append([]string(nil), cur...))
			}
			return
		}
		alts := polyphones[rs[i]]
		if len(alts) == 0 {
			rec(i+1, cur)
			return
		}
		orig := cur[i]
		rec(i+1, cur)
		for _, a := range alts {
			if a != orig {
				cur[i] = a
				rec(i+1, cur)
			}
		}
		cur[i] = orig
	}
	rec(0, append([]string(nil), primary...))
	return out
}

// DraftPinyin returns space-separated toneless syllables ("li shui shi") and initials
// ("lss"). Latin letters and digits are kept as they are; other symbols are dropped. A name
// in the reviewed table of official readings reads as the table says.
func DraftPinyin(name string) (full, initials string) {
	if syl, ok := officialNames[name]; ok {
		var ini strings.Builder
		for _, s := range syl {
			ini.WriteByte(s[0])
		}
		return strings.Join(syl, " "), ini.String()
	}
	var syl []string
	runes := []rune(name)
	for i := 0; i < len(runes); {
		if i+1 < len(runes) {
			if w, ok := placeWords[string(runes[i:i+2])]; ok {
				syl = append(syl, strings.Fields(w)...)
				i += 2
				continue
			}
		}
		r := runes[i]
		switch {
		case placeChars[r] != "":
			syl = append(syl, placeChars[r])
		case unicode.Is(unicode.Han, r):
			if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
				syl = append(syl, p[0])
			}
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			j := i
			for j < len(runes) && runes[j] < unicode.MaxASCII && (unicode.IsLetter(runes[j]) || unicode.IsDigit(runes[j])) {
				j++
			}
			syl = append(syl, strings.ToLower(string(runes[i:j])))
			i = j
			continue
		}
		i++
	}
	var ini strings.Builder
	for _, s := range syl {
		ini.WriteByte(s[0])
	}
	return strings.Join(syl, " "), ini.String()
}
