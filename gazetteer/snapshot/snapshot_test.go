package snapshot

import (
	"testing"
	"time"
)

func TestChainAsOf(t *testing.T) {
	d0 := DayOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	d1 := DayOf(time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC))
	d := NewData([]Unit{
		{Code: "330000000000", Level: 1, Name: "浙江省", From: 0, To: Forever},
		{Code: "331100000000", Level: 2, Name: "丽水市", Parent: "330000000000", From: 0, To: Forever},
		{Code: "331102000000", Level: 3, Name: "莲都区", Parent: "331100000000", From: 0, To: Forever},
		{Code: "331102001000", Level: 4, Name: "旧街道", Parent: "331102000000", From: 0, To: d1},
		{Code: "331102001000", Level: 4, Name: "新街道", Parent: "331102000000", From: d1, To: Forever},
		{Code: "331102001001", Level: 5, Name: "甲社区", Parent: "331102001000", From: 0, To: Forever},
	}, nil, nil, nil)
	v := d.At("331102001001", d0)
	if got := d.Links(v, d0); len(got) != 5 || got[3].Name != "旧街道" {
		t.Errorf("chain in 2020: %+v", got)
	}
	if got := d.Links(v, d1); len(got) != 5 || got[3].Name != "新街道" {
		t.Errorf("chain in 2024: %+v", got)
	}
	if !d.IsAncestor(d.At("331100000000", d1), v, d1) || d.IsAncestor(v, d.At("331100000000", d1), d1) {
		t.Error("IsAncestor")
	}
	if old := d.At("331102001000", d0); d.Current(old, d1) == old || d.Units[d.Current(old, d1)].Name != "新街道" {
		t.Error("Current")
	}
	if d.At("331102001000", -1) != -1 {
		t.Error("At before validity")
	}
	if s := d1.String(); s != "2024-06-30" || Forever.String() != "" {
		t.Errorf("Day.String: %q", s)
	}
}
