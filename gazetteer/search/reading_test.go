package search_test

import (
	"strings"
	"testing"

	"fangyuan/gazetteer/search"
)

func TestRomanizeName(t *testing.T) {
	tests := []struct{ name, syl, want string }{
		{"长子县", "zhang zi xian", "Zhangzi Xian"},
		{"丽水市", "li shui shi", "Lishui Shi"},
		{"紫金街道", "zi jin jie dao", "Zijin Jiedao"},
		{"六安市", "lu an shi", "Lu'an Shi"},
		{"东阿县", "dong e xian", "Dong'e Xian"},
		{"绿春县", "lv chun xian", "Lüchun Xian"},
		{"长阳土家族自治县", "chang yang tu jia zu zi zhi xian", "Changyang Tujiazu Zizhixian"},
		{"内蒙古自治区", "nei meng gu zi zhi qu", "Neimenggu Zizhiqu"},
		{"AB区", "ab qu", "Ab Qu"}, // syllables not one per character: a word each
	}
	for _, tt := range tests {
		if got := search.RomanizeName(tt.name, strings.Fields(tt.syl)); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.name, tt.syl, got, tt.want)
		}
	}
}

func TestHouseNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"人民路40号甲", "人民路甲40号"},
		{"人民路40甲号", "人民路甲40号"},
		{"人民路甲40号", "人民路甲40号"},
		{"人民路40甲", "人民路甲40号"},
		{"人民路40号乙3幢", "人民路乙40号3幢"},
		{"人民路40之一号", "人民路40号之一"},
		{"人民路40号之一", "人民路40号之一"},
		{"人民路40之一", "人民路40号之一"},
		{"人民路40号附", "人民路附40号"},
		{"人民路40号附3-501", "人民路40号附3-501"}, // annex, building 3, room 501: the parser reads it
		{"人民路40号甲秀楼", "人民路40号甲秀楼"},       // a name after the number
		{"甲山镇", "甲山镇"},
		{"人民路40号", "人民路40号"},
	}
	for _, tt := range tests {
		if got := search.HouseNumbers(tt.in); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.in, got, tt.want)
		}
	}
}
