package coverage

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// presenceWorld is a hand-made region for the prefecture and share-of-villages
// rules: 4 townships of 5 × 25 cells (0.01°) side by side, each cut into 5
// villages of 5 × 5 cells, on a grid of 1 person per cell. A village's centre
// (its centroid) is the centre of its middle cell, so a facility placed there
// with a 500 m radius serves exactly that village (the next cell centres are
// ≥ 0.97 km away).
//
//	T1 330101001 (county 330101, prefecture 3301)
//	T2 330102001 (county 330102, prefecture 3301)
//	T3 330201001 (county 330201, prefecture 3302)
//	T4 330301001 (county 330301, prefecture 3303)
//
// Villages 0 and 1 of each township are urban (…社区, …社区居委会), 2–4 rural (…村委会).
type presenceWorld struct {
	grid      *geo.Grid
	townships []Unit
	villages  []Unit
}

var presenceCodes = []string{"330101001", "330102001", "330201001", "330301001"}

const pwCell, pwWest, pwNorth = 0.01, 120.0, 29.0

func rect(c0, r0, c1, r1 int) orb.MultiPolygon {
	x0, x1 := pwWest+float64(c0)*pwCell, pwWest+float64(c1)*pwCell
	y0, y1 := pwNorth-float64(r1)*pwCell, pwNorth-float64(r0)*pwCell
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func newPresenceWorld() presenceWorld {
	g := &geo.Grid{West: pwWest, North: pwNorth, DX: pwCell, DY: pwCell, Width: 20, Height: 25}
	data := make([]float32, g.Width*g.Height)
	for i := range data {
		data[i] = 1
	}
	g.Bands = []geo.Band{{Name: "total", Data: data}}
	w := presenceWorld{grid: g}
	names := []string{"甲社区", "乙社区居委会", "丙村委会", "丁村委会", "戊村民委员会"}
	for t, code := range presenceCodes {
		w.townships = append(w.townships, Unit{Code: code, Name: "T" + fmt.Sprint(t+1), Geometry: rect(5*t, 0, 5*t+5, 25)})
		for v := range 5 {
			w.villages = append(w.villages, Unit{Code: fmt.Sprintf("%s%03d", code, 1+v), Name: names[v], Geometry: rect(5*t, 5*v, 5*t+5, 5*v+5)})
		}
	}
	return w
}

// at is a facility at the centre of village v of township t.
func at(t, v int) Facility {
	return Facility{ID: fmt.Sprintf("F%d-%d", t+1, v), Name: "f", Location: orb.Point{pwWest + (5*float64(t)+2.5)*pwCell, pwNorth - (5*float64(v)+2.5)*pwCell}}
}

func unitByCode(t *testing.T, list []UnitResult, code string) UnitResult {
	t.Helper()
	for _, u := range list {
		if u.Code == code {
			return u
		}
	}
	t.Fatalf("no unit %s in %d", code, len(list))
	return UnitResult{}
}

func TestPrefecturePresenceMinMax(t *testing.T) {
	w := newPresenceWorld()
	std := Standard{ID: "regional_child_welfare", Name: "区域性儿童福利机构", Layer: "total", RadiusM: 50000, TargetShare: 0.5,
		Presence: Presence{Level: LevelPrefecture, Min: 1, Max: 2}}
	// 3301: 3 facilities (T1 2, T2 1) > 2; 3302: 1; 3303: none; one planned in 3303 does not count.
	facs := []Facility{at(0, 0), at(0, 3), at(1, 2), at(2, 4), at(3, 1)}
	facs[4].Status = StatusPlanned
	res, err := Run(context.Background(), Input{Standard: std, Grid: w.grid, Townships: w.townships,
		Prefectures: []Unit{{Code: "330100000000", Name: "甲市"}, {Code: "3302", Name: "乙市"}}, Facilities: facs})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Prefectures) != 3 {
		t.Fatalf("%d prefectures, want 3: %+v", len(res.Prefectures), res.Prefectures)
	}
	for _, c := range []struct {
		code, name  string
		facs, other int
		flags       []string
	}{
		{"3301", "甲市", 3, 0, []string{FlagTooMany}},
		{"3302", "乙市", 1, 0, nil},
		{"3303", "", 0, 1, []string{FlagNoFacility}},
	} {
		u := unitByCode(t, res.Prefectures, c.code)
		if u.Name != c.name || u.Facilities != c.facs || u.NotOperating != c.other || !slices.Equal(u.Flags, c.flags) || u.Level != LevelPrefecture {
			t.Errorf("prefecture %s: %s, %d operating, %d other, flags %v; want %s, %d, %d, %v", c.code, u.Name, u.Facilities, u.NotOperating, u.Flags, c.name, c.facs, c.other, c.flags)
		}
		// Population: 5 × 25 cells of 1 person per township.
		if want := 125.0 * float64(map[string]int{"3301": 2, "3302": 1, "3303": 1}[c.code]); u.Population < want-1e-6 || u.Population > want+1e-6 {
			t.Errorf("prefecture %s population %v, want %v", c.code, u.Population, want)
		}
	}
	// The townships of 3303 carry the prefecture's failure; too many is the prefecture's own flag.
	for i, code := range presenceCodes {
		has := slices.Contains(res.Townships[i].Flags, FlagPrefectureNoFacility)
		if has != (i == 3) {
			t.Errorf("township %s flags %v", code, res.Townships[i].Flags)
		}
		if slices.Contains(res.Townships[i].Flags, FlagNoFacility) || slices.Contains(res.Townships[i].Flags, FlagTooMany) {
			t.Errorf("township %s has a township presence flag: %v", code, res.Townships[i].Flags)
		}
	}
	// The gaps list the prefectures first at equal uncovered population; details say why.
	var pg []Gap
	for _, g := range res.Gaps {
		if g.Level == LevelPrefecture {
			pg = append(pg, g)
		}
	}
	if len(pg) != 2 {
		t.Fatalf("prefecture gaps %+v", pg)
	}
	for _, g := range pg {
		want := map[string]string{"3301": "3 operating regional_child_welfare, at most 2 allowed per prefecture (区域性儿童福利机构过多)",
			"3303": "0 operating regional_child_welfare, at least 1 required per prefecture (无区域性儿童福利机构)"}[g.Code]
		if g.Detail != want {
			t.Errorf("gap %s detail %q, want %q", g.Code, g.Detail, want)
		}
	}
	// Without a prefecture rule there are no prefecture rows.
	std.Presence = Presence{Level: LevelCounty, Min: 1, Max: 1}
	res, err = Run(context.Background(), Input{Standard: std, Grid: w.grid, Townships: w.townships, Facilities: facs})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Prefectures) != 0 {
		t.Errorf("county rule: %d prefecture rows", len(res.Prefectures))
	}
	// County maximum: 330101 has 2 > 1.
	if u := unitByCode(t, res.Counties, "330101"); !slices.Equal(u.Flags, []string{FlagTooMany}) {
		t.Errorf("county 330101 flags %v", u.Flags)
	}
	if u := unitByCode(t, res.Counties, "330102"); len(u.Flags) != 0 {
		t.Errorf("county 330102 flags %v", u.Flags)
	}
}

func TestVillageShareTarget(t *testing.T) {
	w := newPresenceWorld()
	// T1: villages 0–3 served (4 of 5; urban 2/2, rural 2/3); T2: 1–3 (3 of 5; urban 1/2,
	// rural 2/3); T3: all 5; T4: none.
	var facs []Facility
	for _, tv := range [][2]int{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 1}, {1, 2}, {1, 3}, {2, 0}, {2, 1}, {2, 2}, {2, 3}, {2, 4}} {
		facs = append(facs, at(tv[0], tv[1]))
	}
	// A closed facility at T4's village 0 serves nobody.
	closed := at(3, 0)
	closed.Status = StatusClosed
	facs = append(facs, closed)
	tallies := []VillageTally{{2, 2, 3, 2}, {2, 1, 3, 2}, {2, 2, 3, 3}, {2, 0, 3, 0}}
	for _, c := range []struct {
		name     string
		share    VillageShare
		township []bool // flagged VILLAGE_SHARE
		county   []bool
	}{
		// 80 % of all villages: 4/5 meets it, 3/5 does not.
		{"all 0.8", VillageShare{All: 0.8}, []bool{false, true, false, true}, []bool{false, true, false, true}},
		// every urban community and 80 % of rural villages: 2/3 rural fails T1 too.
		{"urban 1 rural 0.8", VillageShare{Urban: 1, Rural: 0.8}, []bool{true, true, false, true}, []bool{true, true, false, true}},
		// urban only: T2 (1/2) and T4 fail.
		{"urban 1", VillageShare{Urban: 1}, []bool{false, true, false, true}, []bool{false, true, false, true}},
		// rural 0.6: 2/3 passes, 0/3 fails.
		{"rural 0.6", VillageShare{Rural: 0.6}, []bool{false, false, false, true}, []bool{false, false, false, true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vs := c.share
			std := Standard{ID: "elderly_canteen", Name: "老年食堂", Layer: "total", RadiusM: 500, TargetShare: 0.01,
				Presence: Presence{Level: LevelTownship, Min: 0, VillageShare: &vs}}
			res, err := Run(context.Background(), Input{Standard: std, Grid: w.grid, Townships: w.townships, Villages: w.villages, Facilities: facs})
			if err != nil {
				t.Fatal(err)
			}
			for i, code := range presenceCodes {
				u := unitByCode(t, res.Townships, code)
				if u.Villages == nil || *u.Villages != tallies[i] {
					t.Errorf("township %s tally %+v, want %+v", code, u.Villages, tallies[i])
				}
				if got := slices.Contains(u.Flags, FlagVillageShare); got != c.township[i] {
					t.Errorf("township %s flags %v, want VILLAGE_SHARE %v", code, u.Flags, c.township[i])
				}
				cu := unitByCode(t, res.Counties, code[:6])
				if cu.Villages == nil || *cu.Villages != tallies[i] {
					t.Errorf("county %s tally %+v, want %+v", cu.Code, cu.Villages, tallies[i])
				}
				if got := slices.Contains(cu.Flags, FlagVillageShare); got != c.county[i] {
					t.Errorf("county %s flags %v, want VILLAGE_SHARE %v", cu.Code, cu.Flags, c.county[i])
				}
			}
			// A village not served is not itself flagged: the target is the township's.
			for _, v := range res.Villages {
				if len(v.Flags) > 0 {
					t.Errorf("village %s flags %v", v.Code, v.Flags)
				}
			}
		})
	}
	// A county of two townships sums them: T1 and T2 in one county 330101 → 7 of 10.
	ts := slices.Clone(w.townships)
	ts[1].Code = "330101002"
	vs := slices.Clone(w.villages)
	for i := 5; i < 10; i++ {
		vs[i].Code = "330101002" + vs[i].Code[9:]
	}
	std := Standard{ID: "c", Layer: "total", RadiusM: 500, TargetShare: 0.01, Presence: Presence{Level: LevelTownship, VillageShare: &VillageShare{All: 0.7}}}
	res, err := Run(context.Background(), Input{Standard: std, Grid: w.grid, Townships: ts, Villages: vs, Facilities: facs})
	if err != nil {
		t.Fatal(err)
	}
	cu := unitByCode(t, res.Counties, "330101")
	if cu.Villages == nil || *cu.Villages != (VillageTally{4, 3, 6, 4}) || slices.Contains(cu.Flags, FlagVillageShare) {
		t.Errorf("county 330101: %+v %v (7 of 10 meets 70 %%)", cu.Villages, cu.Flags)
	}
	if u := unitByCode(t, res.Townships, "330101002"); !slices.Contains(u.Flags, FlagVillageShare) {
		t.Errorf("township 330101002 (3 of 5 < 70 %%): %v", u.Flags)
	}
	// Without villages the rule is not checked, and a note says so.
	res, err = Run(context.Background(), Input{Standard: std, Grid: w.grid, Townships: w.townships, Facilities: facs})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Townships {
		if slices.Contains(u.Flags, FlagVillageShare) {
			t.Errorf("no villages: %s flagged", u.Code)
		}
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool {
		return n == "the village rule of this kind was not checked: no village boundaries given (--villages)"
	}) {
		t.Errorf("notes %v", res.Notes)
	}
}
