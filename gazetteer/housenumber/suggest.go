package housenumber

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
)

// Suffixes in the order a suggestion uses them after a number (12甲, 12乙, …), and the
// sub-numbers used before the first number of a side (1之一, …).
var (
	AfterSuffixes  = []string{"甲", "乙", "丙", "丁"}
	BeforeSuffixes = []string{"之一", "之二", "之三"}
	// Suffixes are all the suffixes the schema accepts.
	Suffixes = []string{"", "甲", "乙", "丙", "丁", "之一", "之二", "之三", "附"}
)

// Existing is a number on record on a road, as a suggestion sees it.
type Existing struct {
	ID     int64     `json:"id"`
	Number int       `json:"number"`
	Suffix string    `json:"suffix"`
	Point  orb.Point `json:"-"`
	AlongM float64   `json:"along_m"`
	Side   string    `json:"side"`
	along  float64   // unrounded
}

// Suggestion is the number suggested for a new building, with its reasons.
type Suggestion struct {
	RoadID  int64      `json:"road_id"`
	Road    string     `json:"road"`
	Number  int        `json:"number"`
	Suffix  string     `json:"suffix"`
	Address string     `json:"address"`
	Point   [2]float64 `json:"point"`
	Projection
	Odd     bool      `json:"odd"`
	Ideal   int       `json:"ideal"` // what the rule alone gives at this position
	Lower   *Existing `json:"lower,omitempty"`
	Upper   *Existing `json:"upper,omitempty"`
	Rule    Rule      `json:"rule"`
	Explain []string  `json:"explain"`
}

// Suggest computes the number for a building at pt on a road with rule r and line pts,
// given the numbers already on the road (any side; retired ones excluded by the caller).
func Suggest(r Rule, pts orb.LineString, existing []Existing, pt orb.Point) Suggestion {
	l := newLine(pts)
	originEnd := r.Origin == "end"
	s := Suggestion{Projection: l.project(pt, originEnd), Rule: r, Point: [2]float64{pt[0], pt[1]}}
	left := s.Side == "left"
	s.Odd = r.Parity(left)
	parity := map[bool]string{true: "odd", false: "even"}[s.Odd]
	s.Explain = append(s.Explain, fmt.Sprintf("the point is %.1f m along the road from its numbering origin, %.1f m to the %s of the centre line", s.AlongM, s.OffsetM, s.Side))
	s.Explain = append(s.Explain, r.Explain)
	if r.OneSided {
		s.Explain = append(s.Explain, "one-sided road: odd numbers only")
	} else {
		s.Explain = append(s.Explain, fmt.Sprintf("the %s side carries %s numbers", s.Side, parity))
	}
	s.Ideal = r.IdealNumber(s.AlongM, s.Odd)
	taken := map[[2]any]bool{}
	var side []Existing
	for _, e := range existing {
		taken[[2]any{e.Number, e.Suffix}] = true
		if e.Number%2 == 1 != s.Odd || e.Suffix != "" {
			continue
		}
		p := l.project(e.Point, originEnd)
		e.AlongM, e.Side, e.along = round1(p.AlongM), p.Side, p.AlongM
		side = append(side, e)
	}
	slices.SortFunc(side, func(a, b Existing) int {
		if a.along != b.along {
			if a.along < b.along {
				return -1
			}
			return 1
		}
		return a.Number - b.Number
	})
	for i := range side {
		if side[i].along <= s.AlongM {
			s.Lower = &side[i]
		} else if s.Upper == nil {
			s.Upper = &side[i]
		}
	}
	lo, hi := 0, 1<<30 // exclusive bounds
	if !s.Odd {
		lo = 0
	} else {
		lo = -1
	}
	if s.Lower != nil {
		lo = s.Lower.Number
		s.Explain = append(s.Explain, fmt.Sprintf("lower neighbour on this side: %d号 at %.1f m", s.Lower.Number, s.Lower.AlongM))
	}
	if s.Upper != nil {
		hi = s.Upper.Number
		s.Explain = append(s.Explain, fmt.Sprintf("upper neighbour on this side: %d号 at %.1f m", s.Upper.Number, s.Upper.AlongM))
	}
	if s.Lower == nil && s.Upper == nil {
		s.Explain = append(s.Explain, "no numbers on this side yet")
	}
	// Free integers of the parity strictly between the neighbours, nearest the ideal one.
	best := 0
	for n := lo + 2; n < hi && n > 0; n += 2 {
		if taken[[2]any{n, ""}] {
			continue
		}
		if best == 0 || abs(n-s.Ideal) < abs(best-s.Ideal) {
			best = n
		}
		if n > s.Ideal && best != 0 {
			break
		}
	}
	if best != 0 {
		s.Number = best
		if best == s.Ideal {
			s.Explain = append(s.Explain, fmt.Sprintf("the rule gives %d号 here and it is free", best))
		} else {
			s.Explain = append(s.Explain, fmt.Sprintf("the rule gives %d号 here; %d号 is the free %s number between the neighbours nearest to it", s.Ideal, best, parity))
		}
		s.Address = fmt.Sprintf("%d号", best)
		return s
	}
	// No integer fits: a suffix after the lower neighbour, or a sub-number of the first.
	base, list := lo, AfterSuffixes
	if s.Lower == nil {
		base, list = hi, BeforeSuffixes
	}
	for _, suf := range list {
		if !taken[[2]any{base, suf}] {
			s.Number, s.Suffix = base, suf
			break
		}
	}
	if s.Suffix == "" {
		s.Number, s.Suffix = base, "附"
	}
	s.Explain = append(s.Explain, fmt.Sprintf("no free %s number lies between the neighbours: %d号%s", parity, s.Number, s.Suffix))
	s.Address = fmt.Sprintf("%d号%s", s.Number, s.Suffix)
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func round1(x float64) float64 { return float64(int64(x*10+0.5*sign(x))) / 10 }

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}
