package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
)

// Site is a suggested new facility location (建议选址) a county report lists and
// marks on its map. The report takes sites as plain data: the planner that
// suggests them lives elsewhere.
type Site struct {
	Label        string  `json:"label"`
	Lon          float64 `json:"lon"`
	Lat          float64 `json:"lat"`
	TownshipCode string  `json:"township_code"`
	TownshipName string  `json:"township_name"`
	// Added is the layer population the site would add to the covered population.
	Added float64 `json:"added"`
}

// Meta says where a county report's figures come from.
type Meta struct {
	RunID            int64  // 0: a run from files
	AsOf             string // the boundaries' date (YYYY-MM-DD), "" when unknown
	RunDate          string // when the run finished (YYYY-MM-DD)
	StandardsVersion int    // the service standards file's version
}

// County is the printable report (打印报告) of one county and one facility kind:
// the county's townships with their boundaries and coverage, its ranked gaps,
// the facilities on its map, suggested sites and the standard applied.
type County struct {
	Code, Name string
	Result     *coverage.Result
	Townships  []coverage.UnitResult // the county's townships, by code
	// Gaps are the county's flagged townships (and the county itself when it is
	// flagged) in the run's order; Gap.Rank stays the run-wide rank.
	Gaps []coverage.Gap
	// Facilities are those inside the county's townships.
	Facilities []coverage.FacilityResult
	// Geometry holds every township's boundary (WGS84), by code.
	Geometry map[string]orb.MultiPolygon
	Sites    []Site
	Meta     Meta
}

// ErrNoCounty means the run has no township in the county asked for.
var ErrNoCounty = errors.New("no such county in the run")

// CountyCode normalises a county code: a 12-digit statistical code ending in
// 000000 becomes its 6 digits, the form runs group townships by.
func CountyCode(code string) string {
	code = strings.TrimSpace(code)
	if len(code) == 12 && strings.HasSuffix(code, "000000") {
		return code[:6]
	}
	return code
}

// Counties lists the county codes of a run's townships, sorted.
func Counties(res *coverage.Result) []string {
	var cs []string
	for _, u := range res.Townships {
		if !slices.Contains(cs, u.Parent) {
			cs = append(cs, u.Parent)
		}
	}
	slices.Sort(cs)
	return cs
}

// NewCounty selects county's part of res. geoms must hold the boundary of
// every township of the county; sites may be empty.
func NewCounty(res *coverage.Result, county string, geoms map[string]orb.MultiPolygon, sites []Site, meta Meta) (*County, error) {
	code := CountyCode(county)
	c := &County{Code: code, Name: code, Result: res, Geometry: map[string]orb.MultiPolygon{}, Sites: sites, Meta: meta}
	in := map[string]bool{}
	for _, u := range res.Townships {
		if u.Parent != code {
			continue
		}
		g, ok := geoms[u.Code]
		if !ok || len(g) == 0 {
			return nil, fmt.Errorf("county %s: township %s %s has no boundary", code, u.Code, u.Name)
		}
		c.Townships = append(c.Townships, u)
		c.Geometry[u.Code] = g
		in[u.Code] = true
	}
	if len(c.Townships) == 0 {
		cs := Counties(res)
		if len(cs) > 20 {
			cs = append(cs[:20], "…")
		}
		return nil, fmt.Errorf("%w: %q (the run's counties: %s)", ErrNoCounty, county, strings.Join(cs, ", "))
	}
	slices.SortFunc(c.Townships, func(a, b coverage.UnitResult) int { return strings.Compare(a.Code, b.Code) })
	for _, u := range res.Counties {
		if u.Code == code && u.Name != "" {
			c.Name = u.Name
		}
	}
	// The county's gaps: its own, its townships' and villages', and its
	// prefecture's (地级市: the first 4 digits of the code, for kinds with a
	// prefecture rule).
	pref := ""
	if len(code) >= 4 {
		pref = code[:4]
	}
	for _, g := range res.Gaps {
		switch {
		case g.Level == coverage.LevelTownship && in[g.Code],
			g.Level == coverage.LevelVillage && in[g.Parent],
			g.Level == coverage.LevelCounty && g.Code == code,
			g.Level == coverage.LevelPrefecture && g.Code == pref:
			c.Gaps = append(c.Gaps, g)
		}
	}
	for _, f := range res.Facilities {
		if in[f.Township] {
			c.Facilities = append(c.Facilities, f)
		}
	}
	for i, s := range sites {
		if s.Label == "" {
			c.Sites[i].Label = fmt.Sprintf("S%d", i+1)
		}
	}
	return c, nil
}

// Bound is the extent of the county's townships.
func (c *County) Bound() orb.Bound {
	var b orb.Bound
	first := true
	for _, u := range c.Townships {
		gb := c.Geometry[u.Code].Bound()
		if first {
			b, first = gb, false
		} else {
			b = b.Union(gb)
		}
	}
	return b
}

// KindName is the kind's Chinese name with its id.
func (c *County) KindName() string {
	std := c.Result.Standard
	if std.Name == "" {
		return std.ID
	}
	return std.Name
}

// Standards are the standard applied, as (item, value) rows for the report.
func (c *County) Standards() [][2]string {
	res := c.Result
	std := res.Standard
	rows := [][2]string{
		{"设施类型 kind", std.ID + " " + std.Name + nonEmpty(" / ", std.NameEn)},
		{"人口图层 population layer", res.Layer},
		{"服务半径 radius", fmt.Sprintf("%g m", std.RadiusM)},
	}
	if std.Travel != nil {
		rows = append(rows, [2]string{"出行时间 travel time", fmt.Sprintf("%g min (%s)", std.Travel.Minutes, std.Travel.Mode)})
	}
	rows = append(rows,
		[2]string{"本次口径 reach of this run", res.Reach},
		[2]string{"存在规则 presence rule", presenceText(std.Presence)},
		[2]string{"覆盖目标 target share", fmt.Sprintf("%.0f %%", 100*res.Target)},
	)
	if len(std.Capacity) == 0 {
		rows = append(rows, [2]string{"容量标准 capacity", "无 none"})
	}
	for _, r := range std.Capacity {
		rows = append(rows, [2]string{"容量标准 capacity", r.String()})
	}
	if c.Meta.StandardsVersion > 0 {
		rows = append(rows, [2]string{"标准版本 standards version", fmt.Sprint(c.Meta.StandardsVersion)})
	}
	return rows
}

func presenceText(p coverage.Presence) string {
	zh := strings.Fields(levelName(p.Level))[0]
	var s string
	switch {
	case p.Min == 0 && p.Max == 0:
		s = "无数量要求 none (min 0 per " + string(p.Level) + ")"
	case p.Max > 0:
		s = fmt.Sprintf("每个%s %d–%d 个 (%d–%d per %s)", zh, p.Min, p.Max, p.Min, p.Max, p.Level)
	default:
		s = fmt.Sprintf("每个%s至少 %d 个 (≥ %d per %s)", zh, p.Min, p.Min, p.Level)
	}
	if p.VillagesServed {
		s += "; 每个村中心须在服务范围内 every village centre reached"
	}
	if v := p.VillageShare; v != nil {
		s += "; 村（社区）覆盖比例 village share: " + villageShareZh(*v) + " (" + v.String() + ")"
	}
	return s
}

// villageShareZh is a share-of-villages target in Chinese.
func villageShareZh(v coverage.VillageShare) string {
	if v.All > 0 {
		return fmt.Sprintf("村和社区 %g %%", 100*v.All)
	}
	var parts []string
	if v.Urban > 0 {
		parts = append(parts, fmt.Sprintf("城市社区 %g %%", 100*v.Urban))
	}
	if v.Rural > 0 {
		parts = append(parts, fmt.Sprintf("农村 %g %%", 100*v.Rural))
	}
	return strings.Join(parts, "，")
}

func nonEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// flagNames are the Chinese names of the flags.
var flagNames = map[string]string{
	coverage.FlagNoFacility:           "无设施",
	coverage.FlagCountyNoFacility:     "县无设施",
	coverage.FlagVillageGaps:          "村缺口",
	coverage.FlagNotServed:            "村未覆盖",
	coverage.FlagBelowTarget:          "低于目标",
	coverage.FlagCapacityShortfall:    "容量不足",
	coverage.FlagTooMany:              "设施过多",
	coverage.FlagPrefectureNoFacility: "地级市无设施",
	coverage.FlagVillageShare:         "村覆盖比例不足",
}

// flagsZh writes flags in Chinese with the code, e.g. "无设施 NO_FACILITY".
func flagsZh(fs []string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strings.TrimSpace(flagNames[f] + " " + f)
	}
	return strings.Join(parts, "; ")
}
