package addr

import "strings"

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
var cnUnit = map[rune]int{'十': 10, '百': 100, '千': 1000}

// unitChars follow a number in an address: 号, 幢, 栋, 单元, 室, 楼, 层.
func isUnitChar(r rune) bool { return strings.ContainsRune("号幢栋单室楼层", r) }

// cnNumber parses a Chinese numeral: positional (八十八, 一百零二, 十二) or digit by digit
// (一〇二). ok is false for anything else.
func cnNumber(rs []rune) (int, bool) {
	if len(rs) == 0 || len(rs) > 8 {
		return 0, false
	}
	hasUnit := false
	for _, r := range rs {
		if _, ok := cnUnit[r]; ok {
			hasUnit = true
		} else if _, ok := cnDigit[r]; !ok {
			return 0, false
		}
	}
	if !hasUnit {
		n := 0
		for _, r := range rs {
			n = n*10 + cnDigit[r]
		}
		return n, true
	}
	total, cur := 0, 0
	for i, r := range rs {
		if d, ok := cnDigit[r]; ok {
			cur = d
			continue
		}
		u := cnUnit[r]
		if cur == 0 && (i == 0 || rs[i-1] != '零') {
			cur = 1 // 十二 = 12
		}
		total += cur * u
		cur = 0
	}
	return total + cur, true
}

// convertNumerals rewrites Chinese numerals that stand before an address unit (八十八号,
// 三幢, 二单元) as ASCII digits. 之一/之二 suffixes are left alone.
func convertNumerals(s string) string {
	rs := []rune(s)
	var out []rune
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && (cnDigit[rs[j]] != 0 || rs[j] == '零' || rs[j] == '〇' || cnUnit[rs[j]] != 0) {
			j++
		}
		if j > i && j < len(rs) && isUnitChar(rs[j]) && (i == 0 || rs[i-1] != '之') {
			if n, ok := cnNumber(rs[i:j]); ok {
				out = append(out, []rune(itoa(n))...)
				i = j
				continue
			}
		}
		if j > i {
			out = append(out, rs[i:j]...)
			i = j
			continue
		}
		out = append(out, rs[i])
		i++
	}
	return string(out)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
