package main

// GeoJSON outputs. Property order is the struct field order.

import "math"

type countyProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	ParentCode string `json:"parent_code"`
	Synthetic  bool   `json:"synthetic"`
}

type unitProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"` // 街道/镇/乡 or 居委会/村委会
	ParentCode string `json:"parent_code"`
	Synthetic  bool   `json:"synthetic"`
}

type roadProps struct {
	Name            string `json:"name"`
	AdminCode       string `json:"admin_code"`
	Kind            string `json:"kind"`
	NumberingOrigin string `json:"numbering_origin"`
	OddSide         string `json:"odd_side"`
	OneSided        bool   `json:"one_sided"`
	Synthetic       bool   `json:"synthetic"`
}

func (d *demo) countyGeoJSON() []byte {
	return encodeCollection("fangyuan_demo_county", []feature{{
		countyProps{countyCode, countyName, prefectureCode, true}, geomPolygonal(d.c.poly),
	}})
}

func (d *demo) townshipsGeoJSON() []byte {
	var fs []feature
	for _, t := range d.c.towns {
		fs = append(fs, feature{unitProps{t.code, t.name, t.kind, countyCode, true}, geomPolygonal(t.poly)})
	}
	return encodeCollection("fangyuan_demo_townships", fs)
}

func (d *demo) villagesGeoJSON() []byte {
	var fs []feature
	for _, t := range d.c.towns {
		for _, vi := range t.vils {
			v := d.c.vils[vi]
			kind := "村委会"
			if v.comm {
				kind = "居委会"
			}
			fs = append(fs, feature{unitProps{v.code, v.name, kind, t.code, true}, geomPolygonal(v.poly)})
		}
	}
	return encodeCollection("fangyuan_demo_villages", fs)
}

func (d *demo) roadsGeoJSON() []byte {
	var fs []feature
	for _, r := range d.roads {
		fs = append(fs, feature{roadProps{
			r.name, d.c.towns[r.town].code, r.kind, "start", r.oddSide, r.oneSided, true,
		}, geomLineString(r.line)})
	}
	return encodeCollection("fangyuan_demo_roads", fs)
}

// plantedProps are the village properties of the copy with planted topology problems:
// planted says what was done to the feature ("" for the untouched ones).
type plantedProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ParentCode string `json:"parent_code"`
	Planted    string `json:"planted"`
	Synthetic  bool   `json:"synthetic"`
}

// Planted topology problems of villagesProblemsGeoJSON, by position in the village list:
// a village shifted about 50 m east (an overlap with its eastern neighbours, a gap on its
// west side), one grown by 4 % about its centre (overlaps all round, and out of its
// township where it touches the township border), one shrunk by 4 % (a gap all round: its
// township is no longer covered by its villages).
var plantedProblems = []struct {
	index int
	what  string
}{{10, "shift 0.0005° east"}, {42, "grow 4 %"}, {90, "shrink 4 %"}}

// villagesProblemsGeoJSON is villages.geojson with a few planted topology problems, to
// exercise the topology checks (gaps, overlaps, slivers, units outside their parent).
func (d *demo) villagesProblemsGeoJSON() []byte {
	round7 := func(v float64) float64 { return math.Round(v*1e7) / 1e7 }
	var fs []feature
	i := 0
	for _, t := range d.c.towns {
		for _, vi := range t.vils {
			v := d.c.vils[vi]
			kind := "村委会"
			if v.comm {
				kind = "居委会"
			}
			poly := v.poly
			what := ""
			for _, p := range plantedProblems {
				if p.index != i {
					continue
				}
				what = p.what
				var f func(pt) pt
				switch p.index {
				case plantedProblems[0].index:
					f = func(q pt) pt { return pt{round7(q[0] + 0.0005), q[1]} }
				case plantedProblems[1].index:
					f = func(q pt) pt {
						return pt{round7(v.center[0] + 1.04*(q[0]-v.center[0])), round7(v.center[1] + 1.04*(q[1]-v.center[1]))}
					}
				default:
					f = func(q pt) pt {
						return pt{round7(v.center[0] + 0.96*(q[0]-v.center[0])), round7(v.center[1] + 0.96*(q[1]-v.center[1]))}
					}
				}
				moved := make([][][]pt, len(poly))
				for a, pg := range poly {
					moved[a] = make([][]pt, len(pg))
					for b, ring := range pg {
						moved[a][b] = make([]pt, len(ring))
						for c, q := range ring {
							moved[a][b][c] = f(q)
						}
					}
				}
				poly = moved
			}
			fs = append(fs, feature{plantedProps{v.code, v.name, kind, t.code, what, true}, geomPolygonal(poly)})
			i++
		}
	}
	return encodeCollection("fangyuan_demo_villages_with_problems", fs)
}
