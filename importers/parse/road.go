package parse

import (
	"fangyuan/internal/limits"
	"fmt"
	"io/fs"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// RoadOptions control ReadRoads.
type RoadOptions struct {
	// Encoding overrides detection (and a Shapefile's .cpg): utf-8, gbk or
	// gb18030.
	Encoding string
}

// RoadFeature is one road (路/街/巷/弄) with its house-numbering rules.
type RoadFeature struct {
	Index           int // 1-based position of the feature (Shapefile: record number)
	Name            string
	AdminCode       string
	NumberingOrigin string // "start" or "end" of the line: where numbers begin
	OddSide         string // "left" or "right", walking away from the origin
	Kind            string
	OneSided        bool
	// Geometry runs from the first vertex of the file's line. A
	// MultiLineString whose parts join end to end is merged into one line.
	Geometry orb.LineString
	Props    map[string]string // every property, as strings
}

// RoadResult holds the roads read from one file.
type RoadResult struct {
	Source
	Features []RoadFeature
	Rejects  []Reject
}

// Road property names and the names also accepted for them.
var (
	roadName      = []string{"name", "名称", "路名"}
	roadAdminCode = []string{"admin_code", "行政区划代码"}
	roadOrigin    = []string{"numbering_origin", "编号起点"}
	roadOddSide   = []string{"odd_side", "单号侧"}
	roadOneSided  = []string{"one_sided", "单侧编号"}
	roadKind      = []string{"kind", "类型"}
)

var (
	originWords  = map[string]string{"": "start", "start": "start", "end": "end", "起点": "start", "终点": "end"}
	sideWords    = map[string]string{"": "left", "left": "left", "right": "right", "左": "left", "右": "right", "l": "left", "r": "right"}
	booleanWords = map[string]bool{
		"": false, "false": false, "f": false, "no": false, "n": false, "0": false, "否": false,
		"true": true, "t": true, "yes": true, "y": true, "1": true, "是": true,
	}
)

// ReadRoads reads roads from a GeoJSON FeatureCollection or an ESRI
// Shapefile of LineString/MultiLineString features with the properties
// name (required), admin_code, numbering_origin (start|end, default start),
// odd_side (left|right, default left), one_sided (true/false, default
// false) and kind. In a Shapefile the .dbf truncates names to 10
// characters: numbering_ is accepted for numbering_origin.
//
// Fatal errors are those of ReadBoundaries, with "name" as the required
// field. A feature with an empty name, a geometry that is not a line (or a
// MultiLineString whose parts do not join end to end), coordinates out of
// range, or an invalid numbering_origin, odd_side or one_sided is rejected.
func ReadRoads(fsys fs.FS, path string, opts RoadOptions) (RoadResult, error) {
	var res RoadResult
	s, err := readFeatures(fsys, path, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	nameField := s.findField(roadName...)
	if nameField == "" {
		return res, s.missingField("name", "")
	}
	adminField := s.findField(roadAdminCode...)
	originField := s.findField(roadOrigin...)
	sideField := s.findField(roadOddSide...)
	oneField := s.findField(roadOneSided...)
	kindField := s.findField(roadKind...)
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	for i := range s.features {
		f := &s.features[i]
		rej := func(field, format string, args ...any) {
			res.Rejects = append(res.Rejects, s.reject(i, field, format, args...))
		}
		name := strings.TrimSpace(f.get(nameField))
		if name == "" {
			rej("name", "empty")
			continue
		}
		kind := strings.TrimSpace(f.get(kindField))
		admin := strings.TrimSpace(f.get(adminField))
		if field, reason := textProblem(textField{"name", name, limits.Name}, textField{"kind", kind, limits.Name}, textField{"admin_code", admin, limits.Name}); reason != "" {
			rej(field, "%s", reason)
			continue
		}
		line, reason := lineal(f, bad[i])
		if reason != "" {
			rej("geometry", "%s", reason)
			continue
		}
		raw := strings.TrimSpace(f.get(originField))
		origin, ok := originWords[strings.ToLower(raw)]
		if !ok {
			rej("numbering_origin", "%q: want start or end", raw)
			continue
		}
		raw = strings.TrimSpace(f.get(sideField))
		side, ok := sideWords[strings.ToLower(raw)]
		if !ok {
			rej("odd_side", "%q: want left or right", raw)
			continue
		}
		raw = strings.TrimSpace(f.get(oneField))
		one, ok := booleanWords[strings.ToLower(raw)]
		if !ok {
			rej("one_sided", "%q: want true or false", raw)
			continue
		}
		res.Features = append(res.Features, RoadFeature{
			Index:           f.index,
			Name:            name,
			AdminCode:       admin,
			NumberingOrigin: origin,
			OddSide:         side,
			Kind:            kind,
			OneSided:        one,
			Geometry:        line,
			Props:           f.propMap(),
		})
	}
	return res, nil
}

// joinTolerance is how far apart (degrees, ~1 mm) two part ends may be and
// still count as joined.
const joinTolerance = 1e-8

// lineal returns f's geometry as one LineString, or why it cannot be one.
func lineal(f *feature, coordErr error) (orb.LineString, string) {
	if reason := geometryProblem(f, coordErr); reason != "" {
		return nil, reason
	}
	var ls orb.LineString
	switch g := f.geom.(type) {
	case orb.LineString:
		ls = g
	case orb.MultiLineString:
		if len(g) == 0 {
			return nil, "empty MultiLineString"
		}
		ls = append(ls, g[0]...)
		for i := 1; i < len(g); i++ {
			part := g[i]
			if len(part) == 0 || len(ls) == 0 {
				return nil, fmt.Sprintf("MultiLineString part %d is empty", i+1)
			}
			end, start := ls[len(ls)-1], part[0]
			if math.Abs(end[0]-start[0]) > joinTolerance || math.Abs(end[1]-start[1]) > joinTolerance {
				return nil, fmt.Sprintf("MultiLineString with %d parts that do not join end to end (part %d starts %.0f m from where part %d ends); split it into one feature per part",
					len(g), i+1, geo.Distance(end, start), i)
			}
			ls = append(ls, part[1:]...)
		}
	default:
		return nil, fmt.Sprintf("%s, want LineString or MultiLineString", f.geom.GeoJSONType())
	}
	if len(ls) < 2 {
		return nil, fmt.Sprintf("line with %d point(s), want at least 2", len(ls))
	}
	same := true
	for _, p := range ls[1:] {
		if p != ls[0] {
			same = false
			break
		}
	}
	if same {
		return nil, "line of zero length (all points equal)"
	}
	return ls, ""
}
