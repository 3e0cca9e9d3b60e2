package search_test

import (
	"testing"
	"time"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

func day(s string) snapshot.Day {
	t, _ := time.Parse(time.DateOnly, s)
	return snapshot.DayOf(t)
}

func unit(code string, level int8, name, parent, official string, from, to string, aliases ...string) snapshot.Unit {
	full, ini := gazetteer.DraftPinyin(name)
	u := snapshot.Unit{Code: code, Level: level, Name: name, Parent: parent, Pinyin: official, Draft: full, Initials: ini,
		Aliases: aliases, From: day(from), To: snapshot.Forever}
	if to != "" {
		u.To = day(to)
	}
	return u
}

func testIndex() *search.Index {
	units := []snapshot.Unit{
		unit("330000000000", 1, "浙江省", "", "", "2000-01-01", ""),
		unit("331100000000", 2, "丽水市", "330000000000", "Lishui Shi", "2000-01-01", "", "处州"),
		unit("331102000000", 3, "莲都区", "331100000000", "Liandu Qu", "2000-01-01", ""),
		unit("331102001000", 4, "紫金街道", "331102000000", "", "2000-01-01", ""),
		unit("331102001201", 5, "下河村委会", "331102001000", "", "2000-01-01", "2024-06-30"),
		unit("331102001201", 5, "上河村委会", "331102001000", "", "2024-06-30", "", "下河村委会"),
		unit("331102001202", 5, "山背村委会", "331102001000", "", "2000-01-01", ""),
		unit("330300000000", 2, "温州市", "330000000000", "", "2000-01-01", ""),
		unit("330382000000", 3, "乐清市", "330300000000", "Yueqing Shi", "2000-01-01", ""),
		unit("360000000000", 1, "江西省", "", "", "2000-01-01", ""),
		unit("361100000000", 2, "上饶市", "360000000000", "", "2000-01-01", ""),
		unit("361124000000", 3, "铅山县", "361100000000", "", "2000-01-01", ""),
		unit("361124100000", 4, "河口镇", "361124000000", "", "2000-01-01", ""),
		// Renamed units whose new name holds the old one: the old name is kept as an alias.
		unit("361124101000", 4, "甲山镇", "361124000000", "", "2000-01-01", "2024-06-30"),
		unit("361124101000", 4, "新甲山镇", "361124000000", "", "2024-06-30", "", "甲山镇"),
		unit("361124101201", 5, "丁岭村委会", "361124101000", "", "2000-01-01", ""),
		unit("361124100201", 5, "乙水村委会", "361124100000", "", "2000-01-01", "2024-06-30"),
		unit("361124100201", 5, "新乙水村委会", "361124100000", "", "2024-06-30", "", "乙水村委会"),
		// Renamed with the same base name: the base names the unit as it is now.
		unit("361124102000", 4, "丙林镇", "361124000000", "", "2000-01-01", "2024-06-30"),
		unit("361124102000", 4, "丙林街道", "361124000000", "", "2024-06-30", "", "丙林镇"),
	}
	roads := []snapshot.Road{{ID: 1, Name: "人民路", AdminCode: "331102001000", Line: orb.LineString{{119.9, 28.4}, {119.91, 28.4}}}}
	roads[0].Draft, _ = gazetteer.DraftPinyin("人民路")
	houses := []snapshot.House{{ID: 9, RoadID: 1, Number: 12, AdminCode: "331102001000", Point: orb.Point{119.905, 28.4001}, From: day("2000-01-01"), To: snapshot.Forever}}
	places := []snapshot.Place{{ID: 5, Category: "21", Name: "应星楼", AdminCode: "331102001000", Aliases: []string{"丽水钟楼"}}}
	return search.New(snapshot.NewData(units, roads, houses, places))
}

func TestSearch(t *testing.T) {
	ix := testIndex()
	now := day("2025-01-01")
	tests := []struct {
		q      search.Query
		code   string // top hit's code ("" for no hit)
		typ    string
		match  string
		was    string
		chainN int
	}{
		{search.Query{Text: "丽水"}, "331100000000", "division", "base", "", 2},
		{search.Query{Text: "丽水市"}, "331100000000", "division", "exact", "", 2},
		{search.Query{Text: "lishui"}, "331100000000", "division", "pinyin", "", 2},
		{search.Query{Text: "LiShui Shi"}, "331100000000", "division", "pinyin", "", 2},
		{search.Query{Text: "ls"}, "331100000000", "division", "initials", "", 2},
		{search.Query{Text: "yueqing"}, "330382000000", "division", "pinyin", "", 3},
		{search.Query{Text: "leqing"}, "330382000000", "division", "pinyin", "", 3},  // another reading of 乐 (ranks below official readings)
		{search.Query{Text: "yanshan"}, "361124000000", "division", "pinyin", "", 3}, // 铅山 Yanshan, a known place word
		{search.Query{Text: "处州"}, "331100000000", "division", "base", "", 2},
		{search.Query{Text: "下河"}, "331102001201", "division", "old_name", "下河村委会", 5},
		{search.Query{Text: "下河", Day: day("2023-01-01")}, "331102001201", "division", "base", "", 5},
		{search.Query{Text: "上河", Day: day("2023-01-01")}, "", "", "", "", 0},
		{search.Query{Text: "莲都曲"}, "331102000000", "division", "typo", "", 3},
		{search.Query{Text: "都区"}, "331102000000", "division", "substring", "", 3},
		{search.Query{Text: "紫"}, "331102001000", "division", "prefix", "", 4},
		{search.Query{Text: "人民"}, "331102001000", "road", "prefix", "", 4},
		{search.Query{Text: "人民路12号"}, "331102001000", "address", "exact", "", 4},
		{search.Query{Text: "应星"}, "331102001000", "place", "prefix", "", 4},
		{search.Query{Text: "丽水钟楼"}, "331102001000", "place", "base", "", 4},
		{search.Query{Text: "331102"}, "331102000000", "division", "code", "", 3},
		{search.Query{Text: "山", Level: 5}, "331102001202", "division", "prefix", "", 5},
		{search.Query{Text: "河", Within: "36"}, "361124100000", "division", "prefix", "", 4},
		{search.Query{Text: "!!!"}, "", "", "", "", 0},
		{search.Query{Text: "甲山镇"}, "361124101000", "division", "old_name", "甲山镇", 4},
		{search.Query{Text: "甲山镇", Within: "361124"}, "361124101000", "division", "old_name", "甲山镇", 4},
		{search.Query{Text: "甲山"}, "361124101000", "division", "old_name", "甲山镇", 4},
		{search.Query{Text: "新甲山镇"}, "361124101000", "division", "exact", "", 4},
		{search.Query{Text: "甲山镇", Day: day("2023-01-01")}, "361124101000", "division", "exact", "", 4},
		{search.Query{Text: "乙水村委会"}, "361124100201", "division", "old_name", "乙水村委会", 5},
		{search.Query{Text: "乙水村委会", Within: "361124"}, "361124100201", "division", "old_name", "乙水村委会", 5},
		{search.Query{Text: "乙水"}, "361124100201", "division", "old_name", "乙水村委会", 5},
		{search.Query{Text: "丙林镇"}, "361124102000", "division", "old_name", "丙林镇", 4},
		{search.Query{Text: "丙林"}, "361124102000", "division", "base", "", 4},
	}
	for _, tt := range tests {
		if tt.q.Day == 0 {
			tt.q.Day = now
		}
		hits := ix.Search(tt.q)
		if tt.code == "" {
			if len(hits) != 0 {
				t.Errorf("%+v: %+v, want none", tt.q, hits)
			}
			continue
		}
		if len(hits) == 0 {
			t.Errorf("%+v: no hits", tt.q)
			continue
		}
		h := hits[0]
		if h.Code != tt.code || h.Type != tt.typ || h.Match != tt.match || h.WasName != tt.was || len(h.Chain) != tt.chainN {
			t.Errorf("%+v: top %+v, want %s %s %s was %q chain %d", tt.q, h, tt.code, tt.typ, tt.match, tt.was, tt.chainN)
		}
	}
}
