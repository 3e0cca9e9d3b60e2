package divchange_test

import (
	"slices"
	"testing"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/divchange"
)

func u(code string, level gazetteer.Level, name, parent string) divchange.Unit {
	return divchange.Unit{Code: code, Level: level, Name: name, Parent: parent}
}

// A county abolished and split into two new counties, each taking one township: the split
// is ambiguous (its records wait, with both parts as candidates); the townships are the
// same units under new codes, re-parented. Expected rows written by hand.
func TestInferCountySplitInTwo(t *testing.T) {
	prov := u("330000000000", gazetteer.Province, "浙江省", "")
	pref := u("330100000000", gazetteer.Prefecture, "杭州市", prov.Code)
	old := []divchange.Unit{prov, pref,
		u("330101000000", gazetteer.County, "甲区", pref.Code),
		u("330101001000", gazetteer.Township, "东街道", "330101000000"),
		u("330101002000", gazetteer.Township, "西街道", "330101000000"),
	}
	cur := []divchange.Unit{prov, pref,
		u("330181000000", gazetteer.County, "乙区", pref.Code),
		u("330182000000", gazetteer.County, "丙区", pref.Code),
		u("330181001000", gazetteer.Township, "东街道", "330181000000"),
		u("330182002000", gazetteer.Township, "西街道", "330182000000"),
	}
	p := divchange.Infer(old, cur)
	got := keys(rowKeys(p.Changes))
	want := []string{
		"new - 330181000000", "new - 330182000000",
		"recoded 330101001000 330181001000", "recoded 330101002000 330182002000",
		"reparented 330101001000 330181001000", "reparented 330101002000 330182002000",
		"split 330101000000 330181000000 ?", "split 330101000000 330182000000 ?",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows:\n%v\nwant\n%v", got, want)
	}
	if len(p.Undecided) != 1 || p.Undecided[0].Code != "330101000000" || !slices.Equal(p.Undecided[0].Candidates, []string{"330181000000", "330182000000"}) {
		t.Fatalf("undecided: %+v", p.Undecided)
	}
	if !slices.Equal(p.Moves, [][2]string{{"330101001000", "330181001000"}, {"330101002000", "330182002000"}}) {
		t.Fatalf("moves: %v", p.Moves)
	}
	if !slices.Equal(p.Vanished, []string{"330101000000", "330101001000", "330101002000"}) {
		t.Fatalf("vanished: %v", p.Vanished)
	}
}

// A village that vanished where its township has no new or renamed village is retired;
// its records wait with the township as the only candidate. Two same-named new villages
// are not guessed at: the vanished one with that name is not matched to either.
func TestInferNoGuessing(t *testing.T) {
	town := u("330101001000", gazetteer.Township, "东街道", "330101000000")
	county := u("330101000000", gazetteer.County, "甲区", "330100000000")
	old := []divchange.Unit{county, town,
		u("330101001001", gazetteer.Village, "河头村民委员会", town.Code),
		u("330101001002", gazetteer.Village, "桥头村民委员会", town.Code),
		u("330101001003", gazetteer.Village, "山脚村民委员会", town.Code),
	}
	cur := []divchange.Unit{county, town,
		u("330101001001", gazetteer.Village, "河头村民委员会", town.Code),
		u("330101001011", gazetteer.Village, "山脚村民委员会", town.Code),
		u("330101001012", gazetteer.Village, "山脚村民委员会", town.Code),
	}
	p := divchange.Infer(old, cur)
	got := keys(rowKeys(p.Changes))
	want := []string{
		"merged 330101001002 330101001011 ?", "merged 330101001002 330101001012 ?",
		"merged 330101001003 330101001011 ?", "merged 330101001003 330101001012 ?",
		"new - 330101001011", "new - 330101001012",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows:\n%v\nwant\n%v", got, want)
	}
	old = old[:4]
	cur = cur[:3]
	p = divchange.Infer(old, cur)
	if got := keys(rowKeys(p.Changes)); !slices.Equal(got, []string{"retired 330101001002 -"}) {
		t.Fatalf("rows: %v", got)
	}
	if len(p.Undecided) != 1 || !slices.Equal(p.Undecided[0].Candidates, []string{town.Code}) {
		t.Fatalf("undecided: %+v", p.Undecided)
	}
}
