package gazetteer

import "testing"

func TestDraftPinyin(t *testing.T) {
	tests := []struct{ name, full, initials string }{
		{"丽水市", "li shui shi", "lss"},
		{"莲都区", "lian du qu", "ldq"},
		{"台州市", "tai zhou shi", "tzs"},
		{"乐清市", "yue qing shi", "yqs"},
		{"六安市", "lu an shi", "las"},
		{"成都市", "cheng du shi", "cds"},
		{"长兴县", "chang xing xian", "cxx"},
		{"重庆市", "chong qing shi", "cqs"},
		{"西湖区", "xi hu qu", "xhq"},
		{"198号", "198 hao", "1h"},
		{"", "", ""},
	}
	for _, tt := range tests {
		full, ini := DraftPinyin(tt.name)
		if full != tt.full || ini != tt.initials {
			t.Errorf("DraftPinyin(%q) = %q, %q; want %q, %q", tt.name, full, ini, tt.full, tt.initials)
		}
	}
}

func TestPadCodeAndKind(t *testing.T) {
	tests := []struct {
		in, code string
		level    Level
		name     string
		kind     string
	}{
		{"33", "330000000000", Province, "浙江省", "省"},
		{"11", "110000000000", Province, "北京市", "直辖市"},
		{"3311", "331100000000", Prefecture, "丽水市", "地级市"},
		{"1101", "110100000000", Prefecture, "市辖区", "统计用"},
		{"331102", "331102000000", County, "莲都区", "市辖区"},
		{"331121", "331121000000", County, "青田县", "县"},
		{"331102001", "331102001000", Township, "紫金街道", "街道"},
		{"331102100", "331102100000", Township, "碧湖镇", "镇"},
		{"331102200", "331102200000", Township, "某乡", "乡"},
		{"331102400", "331102400000", Township, "开发区", "其他乡级"},
		{"331102001001", "331102001001", Village, "某社区居委会", "居委会"},
		{"331102100201", "331102100201", Village, "某村委会", "村委会"},
		{"331102000000", "331102000000", County, "莲都区", "市辖区"},
		{"339901", "339901000000", County, "方圆县（虚构）", "县"},
	}
	for _, tt := range tests {
		code, lvl, err := PadCode(tt.in)
		if err != nil || code != tt.code || lvl != tt.level {
			t.Errorf("PadCode(%q) = %q, %v, %v; want %q, %v", tt.in, code, lvl, err, tt.code, tt.level)
			continue
		}
		if k := KindOf(lvl, code, tt.name); k != tt.kind {
			t.Errorf("KindOf(%v, %s, %s) = %s, want %s", lvl, code, tt.name, k, tt.kind)
		}
	}
	for _, bad := range []string{"", "3", "33a", "3311021", "1234567890123"} {
		if _, _, err := PadCode(bad); err == nil {
			t.Errorf("PadCode(%q): want error", bad)
		}
	}
}
