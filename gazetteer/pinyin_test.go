package gazetteer

import (
	"strings"
	"testing"
)

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

func TestReadingsAndOfficialSyllables(t *testing.T) {
	if got := OfficialSyllables("140428000000", "长子县", nil); strings.Join(got, " ") != "zhang zi xian" {
		t.Errorf("长子县: %v", got)
	}
	// renamed since the table: the shared characters keep their official reading
	if got := OfficialSyllables("140428000000", "长子区", []string{"chang", "zi", "qu"}); strings.Join(got, " ") != "zhang zi qu" {
		t.Errorf("长子区: %v", got)
	}
	if got := OfficialSyllables("140428000000", "新城区", []string{"xin", "cheng", "qu"}); got != nil {
		t.Errorf("a new name sharing nothing: %v", got)
	}
	if got := OfficialSyllables("331100000000", "丽水市", nil); got != nil {
		t.Errorf("丽水 has no polyphone: %v", got)
	}
	// every reading of the polyphones of the base, the suffix kept, the primary first
	r := Readings("长乐区", []string{"chang", "le", "qu"}, 2, MaxReadings)
	var got []string
	for _, x := range r {
		got = append(got, strings.Join(x, ""))
	}
	want := "changlequ changyuequ changlaoqu zhanglequ zhangyuequ zhanglaoqu"
	if strings.Join(got, " ") != want {
		t.Errorf("Readings(长乐区) = %v, want %s", got, want)
	}
	// bounded
	if r := Readings("长长长长长长", []string{"chang", "chang", "chang", "chang", "chang", "chang"}, 6, MaxReadings); len(r) != MaxReadings {
		t.Errorf("%d readings, want %d", len(r), MaxReadings)
	}
	if r := Readings("丽水市", []string{"li", "shui", "shi"}, 2, MaxReadings); len(r) != 1 {
		t.Errorf("丽水市: %v", r)
	}
	// the draft of a name in the table reads officially
	if full, ini := DraftPinyin("筠连县"); full != "jun lian xian" || ini != "jlx" {
		t.Errorf("DraftPinyin(筠连县) = %q %q", full, ini)
	}
}
