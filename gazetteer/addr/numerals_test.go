package addr

import "testing"

func TestConvertNumerals(t *testing.T) {
	tests := []struct{ in, want string }{
		{"人民路八十八号", "人民路88号"},
		{"一百零二号", "102号"},
		{"十二号", "12号"},
		{"一〇二室", "102室"},
		{"三幢二单元", "3幢2单元"},
		{"十号之一", "10号之一"},
		{"八一社区", "八一社区"},
		{"三里村", "三里村"},
		{"两千零三号", "2003号"},
	}
	for _, tt := range tests {
		if got := convertNumerals(tt.in); got != tt.want {
			t.Errorf("convertNumerals(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseTail(t *testing.T) {
	tests := []struct {
		in                                  string
		road                                string
		num                                 int
		suffix, bldg, unit, room, poi, rest string
	}{
		{"人民路88号", "人民路", 88, "", "", "", "", "", ""},
		{"解放东路12号之一", "解放东路", 12, "之一", "", "", "", "", ""},
		{"中山大道5乙号3幢2单元501室", "中山大道", 5, "乙", "3", "2", "501", "", ""},
		{"人民路12号阳光小区3栋501", "人民路", 12, "", "3", "", "501", "阳光小区", ""},
		{"人民路12号附", "人民路", 12, "附", "", "", "", "", ""},
		{"阳光小区", "", 0, "", "", "", "", "阳光小区", ""},
		{"幸福里7号", "幸福里", 7, "", "", "", "", "", ""},
		{"人民路12号3-2-501", "人民路", 12, "", "3", "2", "501", "", ""},
	}
	for _, tt := range tests {
		var p Parsed
		rest := parseTail(&p, tt.in)
		road := ""
		if p.Road != nil {
			road = p.Road.Text
		}
		if road != tt.road || p.Number != tt.num || p.Suffix != tt.suffix || p.Building != tt.bldg || p.Unit != tt.unit || p.Room != tt.room || p.POI != tt.poi || rest != tt.rest {
			t.Errorf("%s: road %q num %d suffix %q bldg %q unit %q room %q poi %q rest %q", tt.in, road, p.Number, p.Suffix, p.Building, p.Unit, p.Room, p.POI, rest)
		}
	}
}
