package main

// GeoJSON outputs. Property order is the struct field order.

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
