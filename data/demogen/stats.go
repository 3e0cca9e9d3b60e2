package main

import "math"

// stats are the numbers the README quotes; all are computed from the
// generated data so the README cannot drift from it.
type stats struct {
	countyKm2 float64
	pop       [3]float64 // total, 60+, 0–17
	towns     []townStats
	islands   []islandStats

	bedsOperating, nursingOperating, dementiaOperating int
	bedsPlanned                                        int
	bedsPer100                                         float64 // operating beds per 100 people aged 60+
	bedsNeeded                                         int     // at 3.6 per 100
	nursingShare                                       float64
	dementiaPer10k                                     float64

	villagesNoDaycare int    // villages/communities without an operating 照料中心
	closedName        string // the closed facility
	closedVillage     string
	plannedName       string   // the planned facility
	ecoFar            []string // villages whose centre is > 5 km from every eco-burial site
}

type townStats struct {
	km2                float64
	nComm, nVil        int
	pop                [3]float64
	center             bool
	within2km          float64 // share of the township's 60+ within 2 km of its own center
	childrensHome      bool
	ecoBurial          int
	funeralVenue       int
	daycare, noDaycare int
}

type islandStats struct {
	name       string
	km2        float64
	pop        float64
	coastGapKm float64 // shortest vertex-to-vertex distance to the mainland
}

func (d *demo) computeStats() stats {
	c, g := d.c, d.pop
	var s stats
	s.countyKm2 = areaKm2(multiArea(c.poly))
	var byTown [][3]float64
	s.pop, byTown = g.sums(c)
	s.towns = make([]townStats, len(c.towns))
	for t, tw := range c.towns {
		ts := &s.towns[t]
		ts.km2 = areaKm2(multiArea(tw.poly))
		ts.pop = byTown[t]
		for _, vi := range tw.vils {
			if c.vils[vi].comm {
				ts.nComm++
			} else {
				ts.nVil++
			}
		}
	}
	hasDaycare := make([]bool, len(c.vils))
	var eco []pt
	for _, f := range d.fac {
		ts := &s.towns[f.town]
		switch f.kind {
		case "eldercare_center":
			ts.center = true
			var in, all float64
			for i, v := range g.vil {
				if v >= 0 && c.vils[v].town == f.town {
					all += float64(g.a60[i])
					if distKm(g.center(i%g.width, i/g.width), f.p) <= 2 {
						in += float64(g.a60[i])
					}
				}
			}
			ts.within2km = in / all
		case "daycare_center":
			if f.status == "operating" {
				hasDaycare[f.vil] = true
			}
		case "eldercare_institution":
			if f.status == "operating" {
				s.bedsOperating += f.beds[0]
				s.nursingOperating += f.beds[1]
				s.dementiaOperating += f.beds[2]
			} else if f.status == "planned" {
				s.bedsPlanned += f.beds[0]
			}
		case "childrens_home":
			ts.childrensHome = true
		case "eco_burial":
			ts.ecoBurial++
			eco = append(eco, f.p)
		case "funeral_venue":
			ts.funeralVenue++
		}
		switch f.status {
		case "closed":
			s.closedName, s.closedVillage = f.name, c.vils[f.vil].code
		case "planned":
			s.plannedName = f.name
		}
	}
	for vi, v := range c.vils {
		if hasDaycare[vi] {
			s.towns[v.town].daycare++
		} else {
			s.towns[v.town].noDaycare++
			s.villagesNoDaycare++
		}
		near := math.Inf(1)
		for _, p := range eco {
			near = math.Min(near, distKm(v.center, p))
		}
		if near > 5 {
			s.ecoFar = append(s.ecoFar, v.code)
		}
	}
	for t, ts := range s.towns {
		if !ts.childrensHome || ts.funeralVenue == 0 {
			panic("README promises a children's home and a funeral venue in " + c.towns[t].name)
		}
	}
	s.bedsPer100 = float64(s.bedsOperating) / (s.pop[1] / 100)
	s.bedsNeeded = int(math.Ceil(s.pop[1] * 3.6 / 100))
	s.nursingShare = float64(s.nursingOperating) / float64(s.bedsOperating)
	s.dementiaPer10k = float64(s.dementiaOperating) / (s.pop[1] / 10000)

	// Islands: area, population and distance to the mainland.
	var mainlandPts []pt
	for q, lab := range c.land {
		if lab == mainland {
			for _, k := range c.lat.corners(q) {
				mainlandPts = append(mainlandPts, c.lat.vpt(k))
			}
		}
	}
	for k, is := range islandSpecs {
		st := islandStats{name: is.name, coastGapKm: math.Inf(1)}
		for q, lab := range c.land {
			if lab != islandBase+k {
				continue
			}
			st.km2 += areaKm2(ringArea(c.lat.quadRing(q)))
			for _, k := range c.lat.corners(q) {
				p := c.lat.vpt(k)
				for _, m := range mainlandPts {
					st.coastGapKm = math.Min(st.coastGapKm, distKm(p, m))
				}
			}
		}
		for i, v := range g.vil {
			if v >= 0 && c.land[c.lat.quadAt(g.center(i%g.width, i/g.width))] == islandBase+k {
				st.pop += float64(g.total[i])
			}
		}
		s.islands = append(s.islands, st)
	}
	return s
}
