package locate

import (
	"math"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
)

// Division is one level of a reverse answer.
type Division struct {
	Level     int    `json:"level"`
	LevelName string `json:"level_name"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	// By is "boundary" when the unit's own boundary covers the point, "parent" when the
	// unit has no boundary on record and is known as the parent of a covering unit.
	By string `json:"by"`
}

// RoadAnswer is the nearest road and the house number the point would have on it.
type RoadAnswer struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	AdminCode string  `json:"admin_code,omitempty"`
	DistanceM float64 `json:"distance_m"`
	AlongM    float64 `json:"along_m"`
	Side      string  `json:"side"`   // left | right walking away from the numbering origin
	Number    int     `json:"number"` // by the road's numbering rule (see PairSpacingM)
}

// HouseAnswer is the nearest recorded house number.
type HouseAnswer struct {
	ID        int64   `json:"id"`
	Road      string  `json:"road"`
	Number    int     `json:"number"`
	Suffix    string  `json:"suffix,omitempty"`
	Building  string  `json:"building,omitempty"`
	Address   string  `json:"address"`
	DistanceM float64 `json:"distance_m"`
}

// Answer is the reverse-geocoding answer for a point.
type Answer struct {
	Lon       float64      `json:"lon"`
	Lat       float64      `json:"lat"`
	AsOf      string       `json:"as_of"`
	Divisions []Division   `json:"divisions"`
	Road      *RoadAnswer  `json:"road"`
	House     *HouseAnswer `json:"house"`
}

// Reverse search limits.
const (
	RoadRadiusM  = 1000.0
	HouseRadiusM = 100.0
)

// Reverse answers for pt as of day.
func (ix *Index) Reverse(pt orb.Point, day snapshot.Day) Answer {
	d := ix.data
	a := Answer{Lon: pt[0], Lat: pt[1], AsOf: day.String(), Divisions: []Division{}}
	var cov [6]int32
	ix.Covering(pt, day, &cov)
	deepest := int32(-1)
	for l := 5; l >= 1; l-- {
		if cov[l] >= 0 {
			deepest = cov[l]
			break
		}
	}
	if deepest >= 0 {
		var buf [6]int32
		for _, ui := range d.Chain(buf[:0], deepest, day) {
			u := &d.Units[ui]
			by := "parent"
			if cov[u.Level] >= 0 && cov[u.Level] == ui {
				by = "boundary"
			}
			a.Divisions = append(a.Divisions, Division{Level: int(u.Level), LevelName: gazetteer.Level(u.Level).String(),
				Code: u.Code, Name: u.Name, Kind: u.Kind, By: by})
		}
		// A covering unit outside the deepest unit's chain (overlapping boundaries) still
		// answers for its level.
		for l := 1; l <= 5; l++ {
			if cov[l] < 0 {
				continue
			}
			dup := false
			for _, x := range a.Divisions {
				if x.Level == l {
					dup = true
				}
			}
			if !dup {
				u := &d.Units[cov[l]]
				a.Divisions = append(a.Divisions, Division{Level: l, LevelName: gazetteer.Level(l).String(), Code: u.Code, Name: u.Name, Kind: u.Kind, By: "boundary"})
			}
		}
	}
	roadIx, roadLeft := int32(-1), false
	if rp, ok := ix.NearestRoad(pt, RoadRadiusM); ok {
		roadIx, roadLeft = rp.Road, rp.Left
		r := &d.Roads[rp.Road]
		side := "right"
		if rp.Left {
			side = "left"
		}
		a.Road = &RoadAnswer{ID: r.ID, Name: r.Name, AdminCode: r.AdminCode, DistanceM: round1(rp.DistanceM),
			AlongM: round1(rp.AlongM), Side: side, Number: NumberAt(r, rp.AlongM, rp.Left)}
	}
	if hi, dist, ok := ix.NearestHouseOnSide(pt, day, HouseRadiusM, roadIx, roadLeft); ok {
		h := &d.Houses[hi]
		name := ""
		if ri, ok := d.RoadIndex(h.RoadID); ok {
			name = d.Roads[ri].Name
		}
		a.House = &HouseAnswer{ID: h.ID, Road: name, Number: h.Number, Suffix: h.Suffix, Building: h.Building,
			Address: HouseAddress(name, h.Number, h.Suffix, h.Building), DistanceM: round1(dist)}
	}
	return a
}

// HouseAddress formats a house number in the canonical form (gazetteer.HouseNumberText):
// 人民路12号之一3幢, 人民路甲12号.
func HouseAddress(road string, n int, suffix, building string) string {
	s := road + gazetteer.HouseNumberText(n, suffix)
	if building != "" {
		s += building + "幢"
	}
	return s
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
