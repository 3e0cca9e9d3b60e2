package search_test

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

func addressIDs(ix *search.Index, text string) []int64 {
	var ids []int64
	for _, h := range ix.Search(search.Query{Text: text, Day: day("2025-01-01"), Limit: 20}) {
		if h.Type == "address" {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// WithHouses swaps the addresses and keeps the names: a new number is found, a number
// no longer in the snapshot is not, divisions, roads and place names answer as before, and
// the index it was made from is unchanged.
func TestWithHouses(t *testing.T) {
	ix := testIndex()
	d := ix.Data()
	houses := []snapshot.House{
		{ID: 10, RoadID: 1, Number: 14, AdminCode: "331102001000", Point: orb.Point{119.906, 28.4001}, From: day("2000-01-01"), To: snapshot.Forever},
		{ID: 11, RoadID: 1, Number: 14, Suffix: "甲", AdminCode: "331102001000", Point: orb.Point{119.9062, 28.4001}, From: day("2000-01-01"), To: snapshot.Forever},
		{ID: 12, RoadID: 99, Number: 1, AdminCode: "331102001000", From: day("2000-01-01"), To: snapshot.Forever}, // no such road: not indexed
	}
	nd := &snapshot.Data{Units: d.Units, ByCode: d.ByCode, Children: d.Children, Roads: d.Roads, RoadByID: d.RoadByID, Places: d.Places, Houses: houses}
	nx := ix.WithHouses(nd)

	for _, c := range []struct {
		ix   *search.Index
		text string
		want string
	}{
		{nx, "人民路14号", "[10]"},
		{nx, "人民路14甲号", "[11]"},
		{nx, "人民路12号", "[]"},
		{ix, "人民路12号", "[9]"},
		{ix, "人民路14号", "[]"},
	} {
		got := addressIDs(c.ix, c.text)
		if got == nil {
			got = []int64{}
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: addresses %v, want %s (new index: %v)", c.text, got, c.want, c.ix == nx)
		}
	}
	for _, q := range []string{"丽水", "紫金街道", "人民路", "应星楼", "丽水钟楼", "lishui", "上河村"} {
		a, b := names(ix.Search(search.Query{Text: q, Day: day("2025-01-01")})), names(nx.Search(search.Query{Text: q, Day: day("2025-01-01")}))
		if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: %v before, %v after", q, a, b)
		}
	}
	if s := nx.Stats(); s.Entries != ix.Stats().Entries+1 || s.Keys != ix.Stats().Keys+1 {
		t.Errorf("stats %+v, from %+v: want one more entry and key (two addresses for one)", s, ix.Stats())
	}
}

// names are the hits other than addresses, as type/id/code/name/match.
func names(hits []search.Hit) []string {
	var out []string
	for _, h := range hits {
		if h.Type != "address" {
			out = append(out, fmt.Sprintf("%s/%d/%s/%s/%s", h.Type, h.ID, h.Code, h.Name, h.Match))
		}
	}
	return out
}
