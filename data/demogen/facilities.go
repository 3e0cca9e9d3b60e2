package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Facility kinds in file order, with id prefixes.
var facilityKinds = []struct{ kind, prefix, zh string }{
	{"eldercare_center", "EC", "居家养老服务中心"},
	{"daycare_center", "DC", "村（社区）居家养老服务照料中心"},
	{"eldercare_institution", "EI", "养老机构"},
	{"childrens_home", "CH", "儿童之家"},
	{"child_welfare", "CW", "儿童福利机构"},
	{"eco_burial", "EB", "节地生态安葬点"},
	{"funeral_venue", "FV", "集中治丧场所"},
	{"funeral_home", "FH", "殡仪馆"},
}

const facilityHeader = "id,name,lon,lat,address,beds,nursing_beds,dementia_beds,status"

type facility struct {
	kind    string
	name    string
	p       pt
	address string
	beds    [3]int // beds, nursing_beds, dementia_beds; -1 = empty
	status  string // operating | planned | closed
	town    int
	vil     int // -1 when not tied to one village
}

var noBeds = [3]int{-1, -1, -1}

// Deliberate gaps (see README): these are read by the README writer too.
const (
	gapNoCenterTown   = "枫渡镇" // no 居家养老服务中心
	gapNoEcoBurial    = "鳌屿乡" // island township without 节地生态安葬点
	closedDaycareTown = "龙栖镇" // one 照料中心 closed here
)

type institution struct {
	town, name string
	street     int // index of the township street it stands on; -1: in a village
	beds       [3]int
	status     string
}

var institutions = []institution{
	{"鹤鸣街道", "方圆县社会福利中心", 2, [3]int{420, 240, 60}, "operating"},
	{"鹤鸣街道", "鹤鸣颐养院", 3, [3]int{300, 170, 40}, "operating"},
	{"澄川街道", "澄川康养中心", 2, [3]int{260, 150, 30}, "operating"},
	{"澄川街道", "澄川颐乐园", -1, [3]int{220, 120, 16}, "operating"},
	{"望潮街道", "望潮护理院", 2, [3]int{180, 120, 30}, "operating"},
	{"望潮街道", "望潮康复养老院", -1, [3]int{250, 140, 20}, "operating"},
	{"玉澜街道", "方圆县第二社会福利院", 2, [3]int{350, 190, 24}, "operating"},
	{"玉澜街道", "玉澜颐养园", 3, [3]int{300, 170, 30}, "planned"},
	{"青岚镇", "青岚镇敬老院", 2, [3]int{120, 60, 6}, "operating"},
	{"枫渡镇", "枫渡镇敬老院", 2, [3]int{100, 55, 6}, "operating"},
	{"龙栖镇", "龙栖镇敬老院", 2, [3]int{90, 48, 4}, "operating"},
	{"桐湾镇", "桐湾镇中心敬老院", 2, [3]int{160, 88, 10}, "operating"},
	{"梅屿镇", "梅屿镇敬老院", 2, [3]int{110, 60, 6}, "operating"},
	{"梅屿镇", "梅屿康乐护理院", -1, [3]int{200, 130, 20}, "operating"},
	{"雾岭乡", "雾岭乡敬老院", 1, [3]int{40, 18, 0}, "operating"},
	{"云岫乡", "云岫乡敬老院", 1, [3]int{30, 14, 0}, "operating"},
	{"鳌屿乡", "鳌屿乡敬老院", 1, [3]int{36, 18, 0}, "operating"},
}

type facilityPlacer struct {
	c     *county
	rng   *rand.Rand
	roads []road
	byTwn [][]int // township -> its own street indices (not connecting roads)
}

func (c *county) buildFacilities(rng *rand.Rand, roads []road) []facility {
	fp := &facilityPlacer{c: c, rng: rng, roads: roads, byTwn: make([][]int, len(c.towns))}
	for i, r := range roads {
		if !r.connect {
			fp.byTwn[r.town] = append(fp.byTwn[r.town], i)
		}
	}
	var fs []facility
	add := func(kind, name string, t, v int, p pt, addr string, beds [3]int, status string) {
		fs = append(fs, facility{kind, name, p, addr, beds, status, t, v})
	}

	// 居家养老服务中心: one per township on its main street, except one.
	for t, tw := range c.towns {
		if tw.name == gapNoCenterTown {
			continue
		}
		p, addr := fp.onStreet(t, 0, 0.35, 0.65)
		add("eldercare_center", tw.name+"居家养老服务中心", t, -1, p, addr, noBeds, "operating")
	}
	// 照料中心: most communities, fewer villages, few in the mountains.
	closed := false
	for vi, v := range c.vils {
		tw := c.towns[v.town]
		prob := 0.7
		switch {
		case v.comm:
			prob = 0.88
		case tw.class == classMountain:
			prob = 0.35
		case tw.class == classIsland:
			prob = 0.6
		}
		if rng.Float64() >= prob {
			continue
		}
		status := "operating"
		if !closed && tw.name == closedDaycareTown && !v.comm {
			status, closed = "closed", true
		}
		p, addr := fp.inVillage(vi, 0.12)
		add("daycare_center", v.place+"居家养老服务照料中心", v.town, vi, p, addr, noBeds, status)
	}
	// 养老机构.
	for _, in := range institutions {
		t := c.townIndex(in.town)
		var p pt
		var addr string
		v := -1
		if in.street >= 0 {
			p, addr = fp.onStreet(t, in.street, 0.1, 0.9)
		} else {
			v = fp.outerVillage(t)
			p, addr = fp.inVillage(v, 0.3)
		}
		add("eldercare_institution", in.name, t, v, p, addr, in.beds, in.status)
	}
	// 儿童之家: one per township on its cross street, plus one in every
	// third community or village.
	for t, tw := range c.towns {
		p, addr := fp.onStreet(t, 1, 0.2, 0.8)
		add("childrens_home", tw.name+"儿童之家", t, -1, p, addr, noBeds, "operating")
	}
	for vi, v := range c.vils {
		if vi%3 == 1 {
			p, addr := fp.inVillage(vi, 0.15)
			add("childrens_home", v.place+"儿童之家", v.town, vi, p, addr, noBeds, "operating")
		}
	}
	// 儿童福利机构: one for the county.
	{
		t := c.townIndex("玉澜街道")
		p, addr := fp.onStreet(t, 4, 0.3, 0.7)
		add("child_welfare", countyShort+"儿童福利院", t, -1, p, addr, noBeds, "operating")
	}
	// 节地生态安葬点: one per township on a hillside of an outer village,
	// none on the islands. In the 街道 and 镇 further village sites are
	// added until every village centre is within 5 km of one; the mountain
	// 乡 keep their single site.
	for t, tw := range c.towns {
		if tw.name == gapNoEcoBurial {
			continue
		}
		v := fp.outerVillage(t)
		sites := []pt{fp.hillside(v)}
		add("eco_burial", tw.name+"节地生态安葬点", t, v, sites[0], countyName+tw.name+c.vils[v].place+"后山", noBeds, "operating")
		if tw.class == classMountain {
			continue
		}
		for {
			far := -1
			for _, vi := range tw.vils { // code order: farthest from the seat last
				near := false
				for _, p := range sites {
					near = near || distKm(c.vils[vi].center, p) <= 5
				}
				if !near {
					far = vi
				}
			}
			if far < 0 {
				break
			}
			p := fp.hillside(far)
			sites = append(sites, p)
			add("eco_burial", c.vils[far].place+"节地生态安葬点", t, far, p, countyName+tw.name+c.vils[far].place+"后山", noBeds, "operating")
		}
	}
	// 集中治丧场所: one per township, plus some village halls.
	for t, tw := range c.towns {
		v := fp.outerVillage(t)
		p, addr := fp.inVillage(v, 0.3)
		add("funeral_venue", tw.name+"集中治丧场所", t, v, p, addr, noBeds, "operating")
	}
	for vi, v := range c.vils {
		if !v.comm && c.towns[v.town].class == classTown && vi%5 == 0 {
			p, addr := fp.inVillage(vi, 0.15)
			add("funeral_venue", v.place+"文化礼堂（集中治丧点）", v.town, vi, p, addr, noBeds, "operating")
		}
	}
	// 殡仪馆: one for the county, in an outer village of 澄川街道.
	{
		t := c.townIndex("澄川街道")
		v := fp.outerVillage(t)
		p, addr := fp.inVillage(v, 0.3)
		add("funeral_home", countyShort+"殡仪馆", t, v, p, addr, noBeds, "operating")
	}
	for _, f := range fs {
		if !inMulti(f.p, c.towns[f.town].poly) {
			panic(fmt.Sprintf("%s %s at %v is outside %s", f.kind, f.name, f.p, c.towns[f.town].name))
		}
		if f.vil >= 0 && !inMulti(f.p, c.vils[f.vil].poly) {
			panic(fmt.Sprintf("%s %s is outside %s", f.kind, f.name, c.vils[f.vil].name))
		}
	}
	return fs
}

// onStreet places a building beside the township's k-th street, at a random
// fraction in [f0, f1] of its length, on a numbered side, and returns it
// with its address.
func (fp *facilityPlacer) onStreet(t, k int, f0, f1 float64) (pt, string) {
	streets := fp.byTwn[t]
	r := fp.roads[streets[k%len(streets)]]
	for try := 0; try < 100; try++ {
		f := f0 + (f1-f0)*fp.rng.Float64()
		left := fp.rng.IntN(2) == 0
		if r.oneSided {
			left = r.oddSide == "left"
		}
		off := 0.015
		if !left {
			off = -off
		}
		p := pointAlong(r, f, off)
		if inMulti(p, fp.c.towns[t].poly) {
			return p, fmt.Sprintf("%s%s%s%d号", countyName, fp.c.towns[t].name, r.name, houseNumber(r, p))
		}
	}
	panic("no place beside " + r.name)
}

// inVillage places a building within radiusKm of the village centre.
func (fp *facilityPlacer) inVillage(v int, radiusKm float64) (pt, string) {
	vil := fp.c.vils[v]
	for try := 0; try < 200; try++ {
		p := roundMicro(offsetKm(vil.center, radiusKm*(2*fp.rng.Float64()-1), radiusKm*(2*fp.rng.Float64()-1)))
		if inMulti(p, vil.poly) {
			return p, fmt.Sprintf("%s%s%s%d号", countyName, fp.c.towns[vil.town].name, vil.place, 1+fp.rng.IntN(120))
		}
	}
	panic("no place in " + vil.name)
}

// hillside picks a point in a random quad of the village away from its centre.
func (fp *facilityPlacer) hillside(v int) pt {
	vil := fp.c.vils[v]
	for try := 0; try < 200; try++ {
		q := vil.quads[fp.rng.IntN(len(vil.quads))]
		p := roundMicro(fp.c.lat.centroid(q))
		if (distKm(p, vil.center) > 0.4 || try > 100) && inMulti(p, vil.poly) {
			return p
		}
	}
	panic("no hillside in " + vil.name)
}

// outerVillage picks a random village of the township from the half farthest
// from the seat, preferring 村 over 社区.
func (fp *facilityPlacer) outerVillage(t int) int {
	tw := fp.c.towns[t]
	var cands []int
	for _, comm := range []bool{false, true} {
		for _, vi := range tw.vils {
			if fp.c.vils[vi].comm == comm && fp.c.vils[vi].seed != tw.seatQuad {
				cands = append(cands, vi)
			}
		}
		if len(cands) > 0 {
			break
		}
	}
	// cands are in code order, which is by distance from the seat.
	far := cands[len(cands)/2:]
	return far[fp.rng.IntN(len(far))]
}

// facilityCSVs renders one CSV per kind.
func facilityCSVs(fs []facility) map[string][]byte {
	out := map[string][]byte{}
	for _, k := range facilityKinds {
		var b bytes.Buffer
		b.WriteString(facilityHeader + "\n")
		w := csv.NewWriter(&b)
		n := 0
		for _, f := range fs {
			if f.kind != k.kind {
				continue
			}
			n++
			rec := []string{
				fmt.Sprintf("FYD-%s-%03d", k.prefix, n), f.name,
				strconv.FormatFloat(f.p[0], 'f', 6, 64), strconv.FormatFloat(f.p[1], 'f', 6, 64),
				f.address, "", "", "", f.status,
			}
			for i, x := range f.beds {
				if x >= 0 {
					rec[5+i] = strconv.Itoa(x)
				}
			}
			if err := w.Write(rec); err != nil {
				panic(err)
			}
		}
		w.Flush()
		out[k.kind+".csv"] = b.Bytes()
	}
	return out
}
