package search

import (
	"strings"
	"unicode/utf8"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
)

// Sources of the reading a division hit shows (Hit.PinyinSource).
const (
	PinyinOfficial = "official" // the stored official romanization (admin_unit.pinyin), set by the place-name office
	PinyinReviewed = "reviewed" // the reviewed table of official readings (gazetteer/pinyindata/official_pinyin.tsv)
	PinyinDraft    = "draft"    // the generated draft (admin_unit.pinyin_draft): polyphones may read wrong
)

// UnitReading is the romanized name of a unit for display, and where it comes from: the
// stored official pinyin when set, else the reviewed table's reading (a unit renamed since
// the table keeps its reading of the part of the name that did not change), else the
// draft. Table and draft readings are written like the stored ones (GB/T 16159 without
// tones, as the plates print them): the specific part joined and capitalised, each generic
// part a word of its own, an apostrophe before a, o, e inside a word, ü for v
// (长子县 → Zhangzi Xian, 六安市 → Lu'an Shi, 绿春县 → Lüchun Xian).
func UnitReading(u *snapshot.Unit) (pinyin, source string) {
	if p := strings.TrimSpace(u.Pinyin); p != "" {
		return p, PinyinOfficial
	}
	draft := strings.Fields(u.Draft)
	if syl := gazetteer.OfficialSyllables(u.Code, u.Name, draft); syl != nil {
		return RomanizeName(u.Name, syl), PinyinReviewed
	}
	if len(draft) == 0 {
		return "", ""
	}
	return RomanizeName(u.Name, draft), PinyinDraft
}

// RomanizeName writes toneless syllables of name (one per character) as a place name is
// romanized: 长子县 + zhang zi xian → Zhangzi Xian; 长阳土家族自治县 → Changyang Tujiazu
// Zizhixian. When the syllables do not match the characters one to one, each syllable is a
// capitalised word of its own.
func RomanizeName(name string, syl []string) string {
	n := utf8.RuneCountInString(name)
	if len(syl) != n {
		out := make([]string, len(syl))
		for i, s := range syl {
			out[i] = capitalise(umlaut(s))
		}
		return strings.Join(out, " ")
	}
	// Where the words end: the generic suffixes peeled off the end, and the nationalities
	// of an autonomous unit.
	cuts := []int{n}
	rest := name
	autonomous := false
	for {
		found := false
		for _, suf := range suffixes {
			if strings.HasSuffix(rest, suf) && utf8.RuneCountInString(rest)-utf8.RuneCountInString(suf) >= 2 {
				if strings.HasPrefix(suf, "自治") || ((suf == "乡" || suf == "镇") && strings.HasSuffix(strings.TrimSuffix(rest, suf), "族")) {
					autonomous = true
				}
				rest = strings.TrimSuffix(rest, suf)
				cuts = append(cuts, utf8.RuneCountInString(rest))
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	for autonomous { // one word per nationality: 哈尼族彝族 → Hanizu Yizu
		s := stripNationality(rest)
		if s == rest {
			break
		}
		rest = s
		cuts = append(cuts, utf8.RuneCountInString(s))
	}
	var words []string
	start := 0
	for k := len(cuts) - 1; k >= 0; k-- {
		if cuts[k] > start {
			words = append(words, joinSyllables(syl[start:cuts[k]]))
			start = cuts[k]
		}
	}
	return strings.Join(words, " ")
}

// joinSyllables writes syllables as one word: capitalised, with an apostrophe before a
// syllable starting with a, o or e (xi an → Xi'an).
func joinSyllables(syl []string) string {
	var b strings.Builder
	for i, s := range syl {
		s = umlaut(strings.ToLower(s))
		if i > 0 && s != "" && strings.ContainsRune("aoe", rune(s[0])) {
			b.WriteByte('\'')
		}
		b.WriteString(s)
	}
	return capitalise(b.String())
}

// umlaut writes the draft's v as ü (lv → lü, nve → nüe).
func umlaut(s string) string {
	if strings.HasPrefix(s, "lv") || strings.HasPrefix(s, "nv") {
		return s[:1] + "ü" + s[2:]
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[size:]
}

// stripNationality removes the last nationality ending s (StripNationalities, one at a time).
func stripNationality(s string) string {
	t := strings.TrimSuffix(s, "民族")
	if t == s {
		t = strings.TrimSuffix(s, "族")
	}
	for _, n := range nationalities {
		if strings.HasSuffix(t, n) && utf8.RuneCountInString(t)-utf8.RuneCountInString(n) >= 2 {
			return strings.TrimSuffix(t, n)
		}
	}
	return s
}
