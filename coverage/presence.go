package coverage

import "slices"

// Presence rules beyond the township and county: the share-of-villages target
// (VillageShare) and the prefecture (地级市) level with its minimum and maximum.

// villageShare flags u when its villages fall short of the kind's
// share-of-villages target.
func (e *engine) villageShare(u *UnitResult) {
	vs := e.std.Presence.VillageShare
	if vs == nil || u.Villages == nil || u.Level == LevelVillage || len(e.reg.Villages) == 0 {
		return
	}
	if !u.Villages.meets(*vs) {
		u.Flags = append(u.Flags, FlagVillageShare)
		sortFlags(u.Flags)
	}
}

// addTally adds a township's village tally to a county's or prefecture's.
func addTally(u *UnitResult, t *VillageTally) {
	if t == nil {
		return
	}
	if u.Villages == nil {
		u.Villages = &VillageTally{}
	}
	u.Villages.add(*t)
}

// prefectureCode is the prefecture (地级市) of a division code: its first 4
// digits ("" for codes that are not division codes).
func prefectureCode(code string) string {
	if len(code) < 4 {
		return ""
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return code[:4]
}

// prefectures evaluates the prefectures of the region (counties grouped by the
// first 4 digits of their codes) and flags the townships of those that have
// fewer facilities than the minimum.
func (e *engine) prefectures(res *Result, in Input, tFacs [][]int) {
	names := map[string]string{}
	for _, p := range in.Prefectures {
		if c := prefectureCode(p.Code); c != "" {
			names[c] = p.Name
		}
	}
	index := map[string]int{}
	var groups [][]int // township indices per prefecture
	var codes []string
	for _, cg := range e.reg.counties {
		c := prefectureCode(cg.code)
		k, ok := index[c]
		if !ok {
			k = len(codes)
			index[c] = k
			codes = append(codes, c)
			groups = append(groups, nil)
		}
		groups[k] = append(groups[k], cg.townships...)
	}
	for k, c := range codes {
		u := UnitResult{Level: LevelPrefecture, Code: c, Name: names[c]}
		if c == "" {
			u.Name = "(townships without prefecture codes)"
		}
		var facs []int
		for _, t := range groups[k] {
			u.Population += res.Townships[t].Population
			u.Covered += res.Townships[t].Covered
			facs = append(facs, tFacs[t]...)
			addTally(&u, res.Townships[t].Villages)
		}
		e.finishUnit(&u, facs)
		res.Prefectures = append(res.Prefectures, u)
		if slices.Contains(u.Flags, FlagNoFacility) {
			for _, t := range groups[k] {
				res.Townships[t].Flags = append(res.Townships[t].Flags, FlagPrefectureNoFacility)
			}
		}
	}
}

// VillageTally counts a unit's villages by class (VillageIsUrban) and how many
// of them are served (their centre's cell reached).
type VillageTally struct {
	Urban, UrbanServed, Rural, RuralServed int
}

// Share returns the served share of all villages (1 when there are none).
func (t VillageTally) Share() float64 { return share(t.UrbanServed+t.RuralServed, t.Urban+t.Rural) }

func share(n, of int) float64 {
	if of == 0 {
		return 1
	}
	return float64(n) / float64(of)
}

func (t *VillageTally) add(o VillageTally) {
	t.Urban += o.Urban
	t.UrbanServed += o.UrbanServed
	t.Rural += o.Rural
	t.RuralServed += o.RuralServed
}

// meets reports whether the tally meets target: the share of all villages, or
// the urban and rural shares each.
func (t VillageTally) meets(v VillageShare) bool {
	const eps = 1e-9
	if v.All > 0 {
		return t.Share() >= v.All-eps
	}
	if v.Urban > 0 && share(t.UrbanServed, t.Urban) < v.Urban-eps {
		return false
	}
	return !(v.Rural > 0 && share(t.RuralServed, t.Rural) < v.Rural-eps)
}
