package search

import (
	"fmt"
	"testing"
)

func TestBaseNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"丽水市", "[丽水]"},
		{"莲都区", "[莲都]"},
		{"天宁社区居委会", "[天宁社区 天宁]"},
		{"下河村委会", "[下河村 下河]"},
		{"望江村民委员会", "[望江村委会 望江村 望江]"},
		{"天宁社区居民委员会", "[天宁社区居委会 天宁社区 天宁]"},
		{"紫金街道", "[紫金]"},
		{"沙县", "[]"},
		{"新疆维吾尔自治区", "[新疆维吾尔 新疆]"},
		{"长阳土家族自治县", "[长阳土家族 长阳]"},
		{"积石山保安族东乡族撒拉族自治县", "[积石山保安族东乡族撒拉族 积石山]"},
		{"伊犁哈萨克自治州", "[伊犁哈萨克 伊犁]"},
		{"浦东新区", "[浦东]"},
		{"石梯子哈萨克民族乡", "[石梯子哈萨克民族 石梯子]"},
		{"神农架林区", "[神农架]"},
	}
	for _, tt := range tests {
		got, _ := BaseNames(tt.in)
		if s := fmt.Sprint(got); s != tt.want && !(tt.want == "[]" && len(got) == 0) {
			t.Errorf("BaseNames(%s) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ＬＩＳＨＵＩ　１２３", "lishui 123"},
		{"丽水\x00市", "丽水市"},
		{"\xff丽水", "丽水"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := StripRemarks("方圆县（虚构）"); got != "方圆县" {
		t.Errorf("StripRemarks = %q", got)
	}
}

func TestEditDistance1(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"莲都区", "莲都曲", true}, {"莲都区", "莲都", true}, {"莲都", "莲都区", true}, {"莲都区", "莲都区", true},
		{"莲都区", "连读曲", false}, {"莲都区", "莲", false}, {"ab", "ba", false},
	}
	for _, tt := range tests {
		if got := OneEditApart([]rune(tt.a), []rune(tt.b)); got != tt.want {
			t.Errorf("OneEditApart(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}
