package search

import (
	"regexp"
	"strings"
)

// The spellings people write for a suffixed house number, and their canonical form
// (gazetteer.HouseNumberText, the plate's): 40甲号, 40号甲 and 40甲 are 甲40号; 40之一号
// and 40之一 are 40号之一; 40号附 is 附40号. 40号附3-501 stays (annex, building 3, room
// 501: the address parser reads it). The text is compact (Compact), or compact with the
// parser's separators (- and #).
var houseSpellings = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(\d+)(之[一二三四五六七八九十])号`), "${1}号${2}"},
	{regexp.MustCompile(`(\d+)([甲乙丙丁])号`), "${2}${1}号"},
	// 号甲 only where a sub-address or the end follows (人民路40号甲3幢), not a name (40号甲秀楼).
	{regexp.MustCompile(`(\d+)号([甲乙丙丁])($|[\d\-#幢栋单室楼层])`), "${2}${1}号${3}"},
	{regexp.MustCompile(`(\d+)号附($|[\-#幢栋单室楼层])`), "附${1}号${2}"},
	// Without 号, at the end after a name (人民路40甲, 人民路40之一).
	{regexp.MustCompile(`(\D)(\d+)([甲乙丙丁])$`), "${1}${3}${2}号"},
	{regexp.MustCompile(`(\D)(\d+)(之[一二三四五六七八九十])$`), "${1}${2}号${3}"},
}

// HouseNumbers rewrites the suffixed house numbers in s in their canonical form (see
// houseSpellings), so that every common spelling finds the same address key.
func HouseNumbers(s string) string {
	if !strings.ContainsAny(s, "0123456789") || !strings.ContainsAny(s, "甲乙丙丁之附") {
		return s
	}
	for _, h := range houseSpellings {
		s = h.re.ReplaceAllString(s, h.repl)
	}
	return s
}
