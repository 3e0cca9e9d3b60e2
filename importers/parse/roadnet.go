package parse

import (
	"cmp"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// RoadNetworkOptions control ReadRoadNetwork.
type RoadNetworkOptions struct {
	// Encoding overrides detection (and a Shapefile's .cpg): utf-8, gbk or gb18030.
	Encoding string
	// Bound, when not nil, keeps only lines with a vertex inside it.
	Bound *orb.Bound
}

// RoadNetworkResult holds the lines of a bureau's road file as ways.
type RoadNetworkResult struct {
	Source
	// Ways are the lines in file order, each with a node per vertex: vertices at the same
	// place (to NodeSnap degrees, about a centimetre) are one node, so lines that share a
	// vertex meet there (junctions, as osm2pgrouting splits OSM ways at shared nodes). Way
	// ids are the features' 1-based positions; node ids are positive, given in the order of
	// the sorted positions.
	Ways    []OSMWay
	Rejects []Reject
}

// NodeSnap is the grid (degrees) on which a road file's vertices are matched into nodes.
const NodeSnap = 1e-7

// Road-network property names and the names also accepted for them.
var (
	netClass    = []string{"class", "highway", "fclass", "road_class", "道路等级", "道路类型", "等级"}
	netSpeed    = []string{"speed", "maxspeed", "speed_kmh", "限速", "设计速度", "车速"}
	netOneway   = []string{"oneway", "one_way", "单行", "单向"}
	netDuration = []string{"duration", "duration_min", "航行时间", "时长"}
	netFoot     = []string{"foot", "步行"}
	netMotor    = []string{"motor", "motor_vehicle", "机动车"}
	netBridge   = []string{"bridge", "桥梁"}
	netTunnel   = []string{"tunnel", "隧道"}
)

// RoadClassWords maps the road classes a bureau's file may use to OSM highway classes
// (the standards' speeds are per OSM class): OSM's own values, the administrative
// classes of highways (国道 … 村道, JTG), the urban classes (CJJ 37: 快速路 … 支路) and
// the technical grades (高速公路, 一级 … 四级公路). "ferry" (渡口, 轮渡, 航线) marks a ferry.
var RoadClassWords = map[string]string{
	"高速公路": "motorway", "高速": "motorway", "国道": "trunk", "省道": "primary", "县道": "secondary",
	"乡道": "tertiary", "村道": "unclassified", "专用公路": "service", "专用道路": "service",
	"快速路": "trunk", "城市快速路": "trunk", "主干路": "primary", "次干路": "secondary", "支路": "residential",
	"街巷": "residential", "小区道路": "service", "内部道路": "service", "机耕路": "track", "机耕道": "track",
	"人行道": "footway", "步行道": "footway", "步行街": "pedestrian", "游步道": "path", "台阶": "steps",
	"一级公路": "trunk", "二级公路": "primary", "三级公路": "secondary", "四级公路": "tertiary", "等外公路": "unclassified",
	"渡口": "ferry", "轮渡": "ferry", "航线": "ferry", "渡运航线": "ferry",
}

var osmClasses = []string{"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
	"secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street", "service", "road",
	"track", "pedestrian", "footway", "path", "steps", "cycleway", "bridleway", "ferry"}

// ReadRoadNetwork reads a bureau's road network (路网) from a GeoJSON FeatureCollection
// or an ESRI Shapefile of LineString/MultiLineString features, for the travel-time reach:
//
//   - class (also highway, fclass, road_class, 道路等级, 道路类型, 等级): an OSM highway
//     class or a Chinese one of RoadClassWords; "ferry" (渡口, 轮渡, 航线) for a ferry;
//     empty: unclassified.
//   - speed (also maxspeed, speed_kmh, 限速, 设计速度, 车速): km/h, replacing the class
//     speed as an OSM maxspeed tag does; empty: the class speed.
//   - oneway (also 单行, 单向): yes/true/1/是/F along the line, -1/reverse/T against it,
//     no/false/0/否/B or empty both ways.
//   - duration (also duration_min, 航行时间, 时长): a ferry's crossing, minutes or hh:mm.
//   - foot, motor (also motor_vehicle, 步行, 机动车), bridge, tunnel: true/false; foot and
//     motor default as for OSM (no walking on motorways, no cars on footways).
//
// Lines that share a vertex meet there; a line is not split where another merely crosses
// it without a shared vertex (a bridge over a road). Fatal errors are those of
// ReadBoundaries; a feature with a bad geometry, an unknown class or a bad value is
// rejected with its field and reason.
func ReadRoadNetwork(fsys fs.FS, path string, opts RoadNetworkOptions) (RoadNetworkResult, error) {
	var res RoadNetworkResult
	s, err := readFeatures(fsys, path, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	fClass, fSpeed, fOneway, fDur := s.findField(netClass...), s.findField(netSpeed...), s.findField(netOneway...), s.findField(netDuration...)
	fFoot, fMotor, fBridge, fTunnel := s.findField(netFoot...), s.findField(netMotor...), s.findField(netBridge...), s.findField(netTunnel...)
	if fClass == "" && fSpeed == "" {
		return res, s.missingField("class", "a road network needs a class (道路等级) or a speed (限速) column")
	}
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	type pending struct {
		w    OSMWay
		keys [][2]int64
	}
	var kept []pending
	for i := range s.features {
		f := &s.features[i]
		rej := func(field, format string, args ...any) {
			res.Rejects = append(res.Rejects, s.reject(i, field, format, args...))
		}
		line, reason := lineal(f, bad[i])
		if reason != "" {
			rej("geometry", "%s", reason)
			continue
		}
		if opts.Bound != nil && !slices.ContainsFunc(line, opts.Bound.Contains) {
			continue
		}
		w := OSMWay{ID: int64(f.index), Points: line}
		raw := strings.TrimSpace(f.get(fClass))
		class, ok := roadClass(raw)
		if !ok {
			rej(fieldName(fClass, "class"), "%q is not a road class: want an OSM highway class (%s) or one of 国道 省道 县道 乡道 村道 快速路 主干路 次干路 支路 渡口 …", raw, strings.Join(osmClasses[:12], ", "))
			continue
		}
		if class == "ferry" {
			w.Ferry = true
		} else {
			w.Highway = class
		}
		if raw := strings.TrimSpace(f.get(fSpeed)); raw != "" {
			v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(raw), "km/h"), "kmh"), 64)
			if err != nil || !(v > 0 && v <= 200) {
				rej(fieldName(fSpeed, "speed"), "%q: want km/h in (0, 200]", raw)
				continue
			}
			w.MaxspeedFwd, w.MaxspeedBwd = v, v
		}
		raw = strings.ToLower(strings.TrimSpace(f.get(fOneway)))
		switch raw {
		case "", "no", "false", "0", "否", "b", "双向":
		case "yes", "true", "1", "是", "f", "正向":
			w.Oneway = 1
		case "-1", "reverse", "t", "反向":
			w.Oneway = -1
		default:
			rej(fieldName(fOneway, "oneway"), "%q: want yes (along the line), -1 (against it) or no", raw)
			continue
		}
		if raw := strings.TrimSpace(f.get(fDur)); raw != "" {
			d, err := parseDuration(raw)
			if err != nil || !(d > 0) {
				rej(fieldName(fDur, "duration"), "%q: want minutes or hh:mm", raw)
				continue
			}
			if !w.Ferry {
				rej(fieldName(fDur, "duration"), "a crossing time on a road of class %s: only ferries (渡口) take one", class)
				continue
			}
			w.DurationS = d
		}
		flag := func(field, name string, def bool) (bool, bool) {
			raw := strings.ToLower(strings.TrimSpace(f.get(field)))
			if raw == "" {
				return def, true
			}
			v, ok := booleanWords[raw]
			if !ok {
				rej(fieldName(field, name), "%q: want true or false", raw)
			}
			return v, ok
		}
		var okF, okM, okB, okT bool
		w.Foot, okF = flag(fFoot, "foot", w.Ferry || !noFootClasses[class])
		if !okF {
			continue
		}
		w.Motor, okM = flag(fMotor, "motor", w.Ferry || !noMotorClasses[class])
		if !okM {
			continue
		}
		if w.Bridge, okB = flag(fBridge, "bridge", false); !okB {
			continue
		}
		if w.Tunnel, okT = flag(fTunnel, "tunnel", false); !okT {
			continue
		}
		keys := make([][2]int64, len(line))
		for j, p := range line {
			keys[j] = [2]int64{int64(math.Round(p[0] / NodeSnap)), int64(math.Round(p[1] / NodeSnap))}
		}
		kept = append(kept, pending{w, keys})
	}
	// Node ids: the distinct vertex positions, sorted.
	var all [][2]int64
	for _, k := range kept {
		all = append(all, k.keys...)
	}
	byPos := func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }
	slices.SortFunc(all, byPos)
	all = slices.Compact(all)
	for _, k := range kept {
		w := k.w
		w.Nodes = make([]int64, len(k.keys))
		for j, key := range k.keys {
			i, _ := slices.BinarySearchFunc(all, key, byPos)
			w.Nodes[j] = int64(i + 1)
		}
		// A line whose consecutive vertices fall on one node keeps one of them.
		nodes, pts := w.Nodes[:1], w.Points[:1:1]
		for j := 1; j < len(w.Nodes); j++ {
			if w.Nodes[j] != nodes[len(nodes)-1] {
				nodes, pts = append(nodes, w.Nodes[j]), append(pts, w.Points[j])
			}
		}
		if len(nodes) < 2 {
			continue // shorter than a centimetre
		}
		w.Nodes, w.Points = nodes, pts
		res.Ways = append(res.Ways, w)
	}
	return res, nil
}

// roadClass maps a file's class value to an OSM highway class ("" is unclassified).
func roadClass(raw string) (string, bool) {
	if raw == "" {
		return "unclassified", true
	}
	if c, ok := RoadClassWords[raw]; ok {
		return c, true
	}
	low := strings.ToLower(raw)
	if slices.Contains(osmClasses, low) {
		return low, true
	}
	return "", false
}

// fieldName is the file's name of a field, or name when the file has none.
func fieldName(field, name string) string {
	if field == "" {
		return name
	}
	return field
}
