package parse

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/paulmach/orb"
)

// LineOptions control ReadBoundaryLines.
type LineOptions struct {
	Encoding string
}

// LineFeature is one official or derived boundary line (界线).
type LineFeature struct {
	Index     int
	ID        string // the file's line id; empty: the store uses the name
	Name      string // empty: the store names it 左—右线 from the units
	LeftCode  string
	RightCode string
	Level     string // as in the file (county, township, 3, 县级 ...); empty: from the codes
	Geometry  orb.MultiLineString
}

// LineResult holds the lines read from one file.
type LineResult struct {
	Source
	Features []LineFeature
	Rejects  []Reject
}

var (
	lineIDFields    = []string{"id", "line_id", "界线编号", "ext_id"}
	lineNameFields  = []string{"name", "名称", "界线名称"}
	lineLeftFields  = []string{"left_code", "left", "左侧代码", "左侧区划代码"}
	lineRightFields = []string{"right_code", "right", "右侧代码", "右侧区划代码"}
	lineLevelFields = []string{"level", "层级", "界线级别"}
)

// ReadBoundaryLines reads boundary lines from GeoJSON or a Shapefile of LineString or
// MultiLineString features with left_code and right_code (required; 左侧代码/右侧代码),
// and optional id (界线编号), name (界线名称) and level. The output of `fangyuan
// boundaries derive` reads as it is. A feature with an empty or equal left/right code, a
// repeated id, or a geometry that is not a line is rejected.
func ReadBoundaryLines(fsys fs.FS, path string, opts LineOptions) (LineResult, error) {
	var res LineResult
	s, err := readFeatures(fsys, path, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	left, right := s.findField(lineLeftFields...), s.findField(lineRightFields...)
	if left == "" {
		return res, s.missingField("left_code", "")
	}
	if right == "" {
		return res, s.missingField("right_code", "")
	}
	idF, nameF, levelF := s.findField(lineIDFields...), s.findField(lineNameFields...), s.findField(lineLevelFields...)
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	first := map[string]int{}
	for i := range s.features {
		f := &s.features[i]
		rej := func(field, format string, args ...any) {
			res.Rejects = append(res.Rejects, s.reject(i, field, format, args...))
		}
		lf := LineFeature{Index: f.index, ID: strings.TrimSpace(f.get(idF)), Name: strings.TrimSpace(f.get(nameF)),
			LeftCode: strings.TrimSpace(f.get(left)), RightCode: strings.TrimSpace(f.get(right)), Level: strings.TrimSpace(f.get(levelF))}
		switch {
		case lf.LeftCode == "":
			rej(left, "empty")
			continue
		case lf.RightCode == "":
			rej(right, "empty")
			continue
		case lf.LeftCode == lf.RightCode:
			rej(right, "same as %s (%s): a line separates two units", left, lf.LeftCode)
			continue
		}
		key := lf.ID
		if key == "" {
			key = lf.Name
		}
		if key != "" {
			if j, dup := first[key]; dup {
				rej(idF, "duplicate line %s (first at feature %d)", key, j)
				continue
			}
			first[key] = f.index
		}
		if reason := geometryProblem(f, bad[i]); reason != "" {
			rej("geometry", "%s", reason)
			continue
		}
		switch g := f.geom.(type) {
		case orb.LineString:
			lf.Geometry = orb.MultiLineString{g}
		case orb.MultiLineString:
			lf.Geometry = g
		default:
			rej("geometry", "%s, want LineString or MultiLineString", f.geom.GeoJSONType())
			continue
		}
		ok := len(lf.Geometry) > 0
		for j, part := range lf.Geometry {
			if len(part) < 2 {
				rej("geometry", "part %d has %d point(s), want at least 2", j+1, len(part))
				ok = false
				break
			}
		}
		if !ok {
			if len(lf.Geometry) == 0 {
				rej("geometry", "empty MultiLineString")
			}
			continue
		}
		res.Features = append(res.Features, lf)
	}
	return res, nil
}

// String names a feature for messages.
func (l LineFeature) String() string {
	if l.ID != "" {
		return l.ID
	}
	if l.Name != "" {
		return l.Name
	}
	return fmt.Sprintf("feature %d", l.Index)
}
