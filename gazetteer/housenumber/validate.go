package housenumber

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// Thresholds of the validation report.
const (
	// FarM: a number more than this from its road's centre line is flagged.
	FarM = 60.0
	// GapNumbers: more than this many numbers missing in a row on one side (sequential
	// numbering only) is a large gap.
	GapNumbers = 10
	// DuplicateApartM: the same number and suffix twice on a road with points farther apart
	// than this are two buildings sharing a number (sub-addresses of one building sit together).
	DuplicateApartM = 30.0
)

// Finding kinds.
const (
	WrongSide   = "wrong_side"
	OutOfOrder  = "out_of_order"
	Duplicate   = "duplicate"
	LargeGap    = "large_gap"
	FarFromRoad = "far_from_road"
	OutsideTown = "outside_township"
)

// Finding is one offence of the report.
type Finding struct {
	Kind      string  `json:"kind"`
	HouseID   int64   `json:"house_id"`
	RoadID    int64   `json:"road_id"`
	Road      string  `json:"road"`
	AdminCode string  `json:"admin_code"`
	Number    int     `json:"number"`
	Suffix    string  `json:"suffix"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	AlongM    float64 `json:"along_m"`
	Side      string  `json:"side"`
	Detail    string  `json:"detail"`
}

// RoadSummary counts a road's numbers and findings.
type RoadSummary struct {
	RoadID    int64          `json:"road_id"`
	Road      string         `json:"road"`
	AdminCode string         `json:"admin_code"`
	Numbers   int            `json:"numbers"`
	Findings  map[string]int `json:"findings"`
}

// Report is the validation report of the roads within a division.
type Report struct {
	Within    string                    `json:"within"`
	Roads     []RoadSummary             `json:"roads"`
	Townships map[string]map[string]int `json:"townships"` // admin code → kind → count
	Numbers   int                       `json:"numbers"`
	Findings  []Finding                 `json:"findings"`
}

type checkHouse struct {
	id                   int64
	roadID               int64
	number               int
	suffix               string
	building, unit, room string
	pt                   orb.Point
	outside              bool
	proj                 Projection
}

// Check builds the validation report of the roads whose admin code starts with prefix
// (the significant digits of a township, county …).
func (s *Store) Check(ctx context.Context, prefix string) (*Report, error) {
	rows, err := s.pool.Query(ctx, sqlRoadsWithin, prefix)
	if err != nil {
		return nil, err
	}
	roads, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Road, error) { return scanRoad(row) })
	if err != nil {
		return nil, err
	}
	var def *Preset
	for i := range roads {
		if roads[i].override {
			roads[i].Rule = OverrideRule(roads[i].stored.Origin, roads[i].stored.OddSide, roads[i].stored.OneSided, roads[i].stored.Metric, roads[i].stored.StepM)
			continue
		}
		if roads[i].preset == "" && def != nil {
			roads[i].Rule = resolveWith(*def, &roads[i])
			continue
		}
		if err := effective(ctx, s.pool, &roads[i]); err != nil {
			return nil, err
		}
		if roads[i].preset == "" {
			p, err := presetOrDefault(ctx, s.pool, "")
			if err != nil {
				return nil, err
			}
			def = &p
		}
	}
	hrows, err := s.pool.Query(ctx, sqlCheckHouses, prefix)
	if err != nil {
		return nil, err
	}
	byRoad := map[int64][]checkHouse{}
	for hrows.Next() {
		var h checkHouse
		if err := hrows.Scan(&h.id, &h.roadID, &h.number, &h.suffix, &h.building, &h.unit, &h.room, &h.pt[0], &h.pt[1], &h.outside); err != nil {
			hrows.Close()
			return nil, err
		}
		byRoad[h.roadID] = append(byRoad[h.roadID], h)
	}
	if err := hrows.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Within: prefix, Townships: map[string]map[string]int{}, Roads: []RoadSummary{}, Findings: []Finding{}}
	for i := range roads {
		r := &roads[i]
		hs := byRoad[r.ID]
		sum := RoadSummary{RoadID: r.ID, Road: r.Name, AdminCode: r.AdminCode, Numbers: len(hs), Findings: map[string]int{}}
		for _, f := range checkRoad(r, hs) {
			sum.Findings[f.Kind]++
			if rep.Townships[r.AdminCode] == nil {
				rep.Townships[r.AdminCode] = map[string]int{}
			}
			rep.Townships[r.AdminCode][f.Kind]++
			rep.Findings = append(rep.Findings, f)
		}
		rep.Numbers += len(hs)
		rep.Roads = append(rep.Roads, sum)
	}
	return rep, nil
}

// checkRoad finds the offences among the numbers hs of road r.
func checkRoad(r *Road, hs []checkHouse) []Finding {
	l := newLine(r.Line)
	var out []Finding
	add := func(h *checkHouse, kind, detail string) {
		out = append(out, Finding{Kind: kind, HouseID: h.id, RoadID: r.ID, Road: r.Name, AdminCode: r.AdminCode, Number: h.number,
			Suffix: h.suffix, Lon: h.pt[0], Lat: h.pt[1], AlongM: round1(h.proj.AlongM), Side: h.proj.Side, Detail: detail})
	}
	for i := range hs {
		hs[i].proj = l.project(hs[i].pt, r.Rule.Origin == "end")
	}
	sides := map[string][]*checkHouse{}
	for i := range hs {
		h := &hs[i]
		odd := h.number%2 == 1
		far := h.proj.OffsetM > FarM
		if far {
			add(h, FarFromRoad, fmt.Sprintf("%.0f m from the road (more than %.0f m)", h.proj.OffsetM, FarM))
		}
		if h.outside {
			add(h, OutsideTown, fmt.Sprintf("the point lies outside the road's township %s", r.AdminCode))
		}
		want := r.Rule.Parity(h.proj.Side == "left")
		switch {
		case r.Rule.OneSided && h.proj.Side != r.Rule.OddSide && !far:
			add(h, WrongSide, fmt.Sprintf("one-sided road: numbers belong on the %s, this one is on the %s", r.Rule.OddSide, h.proj.Side))
		case r.Rule.OneSided && !odd:
			add(h, WrongSide, "one-sided road: odd numbers only")
		case odd != want && !far:
			add(h, WrongSide, fmt.Sprintf("%s number on the %s side, which carries %s numbers", parityName(odd), h.proj.Side, parityName(want)))
		case odd == want && !far:
			// Order and gaps are judged on the side the number belongs to.
			sides[h.proj.Side] = append(sides[h.proj.Side], h)
		}
	}
	// Duplicates: the same number and suffix at different places.
	seen := map[[2]any][]*checkHouse{}
	for i := range hs {
		k := [2]any{hs[i].number, hs[i].suffix}
		for _, o := range seen[k] {
			if d := distM(o.pt, hs[i].pt); d > DuplicateApartM {
				add(&hs[i], Duplicate, fmt.Sprintf("%d号%s is also house number %d, %.0f m away", hs[i].number, hs[i].suffix, o.id, d))
				break
			}
		}
		seen[k] = append(seen[k], &hs[i])
	}
	for _, side := range []string{"left", "right"} {
		list := sides[side]
		slices.SortStableFunc(list, func(a, b *checkHouse) int {
			switch {
			case a.proj.AlongM < b.proj.AlongM:
				return -1
			case a.proj.AlongM > b.proj.AlongM:
				return 1
			}
			return int(a.id - b.id)
		})
		// Numbers not on a longest non-decreasing run along the road are out of order.
		keep := longestNonDecreasing(list)
		var prev *checkHouse
		for i, h := range list {
			if !keep[i] {
				add(h, OutOfOrder, fmt.Sprintf("%d号 at %.1f m breaks the order of the %s side", h.number, h.proj.AlongM, side))
				continue
			}
			if prev != nil && !r.Rule.Metric {
				if missing := (h.number-prev.number)/2 - 1; missing > GapNumbers {
					add(h, LargeGap, fmt.Sprintf("%d numbers missing between %d号 and %d号", missing, prev.number, h.number))
				}
			}
			prev = h
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.HouseID != b.HouseID {
			return int(a.HouseID - b.HouseID)
		}
		return cmpString(a.Kind, b.Kind)
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parityName(odd bool) string {
	if odd {
		return "odd"
	}
	return "even"
}

func distM(a, b orb.Point) float64 {
	l := newLine(orb.LineString{a, b})
	return l.total
}

// longestNonDecreasing marks a longest subsequence of list whose numbers do not decrease.
func longestNonDecreasing(list []*checkHouse) []bool {
	n := len(list)
	keep := make([]bool, n)
	if n == 0 {
		return keep
	}
	// patience sorting with predecessor links, O(n log n)
	tails := []int{}
	prev := make([]int, n)
	for i, h := range list {
		lo, hi := 0, len(tails)
		for lo < hi {
			m := (lo + hi) / 2
			if list[tails[m]].number <= h.number {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo > 0 {
			prev[i] = tails[lo-1]
		} else {
			prev[i] = -1
		}
		if lo == len(tails) {
			tails = append(tails, i)
		} else {
			tails[lo] = i
		}
	}
	for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
		keep[i] = true
	}
	return keep
}
