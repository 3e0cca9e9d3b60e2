package parse

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/paulmach/orb"
)

// BoundaryOptions control ReadBoundaries.
type BoundaryOptions struct {
	// CodeField is the property holding the division code. Empty: the first
	// of code, adcode, admin_code, gb, xzqdm, 区划代码, 行政区划代码 that the
	// file has.
	CodeField string
	// NameField is the property holding the name. Empty: the first of name,
	// 名称, xzqmc, 区划名称, 行政区划名称 that the file has, if any.
	NameField string
	// Encoding overrides detection (and a Shapefile's .cpg): utf-8, gbk or
	// gb18030.
	Encoding string
}

// BoundaryFeature is one division boundary.
type BoundaryFeature struct {
	Index    int // 1-based position of the feature (Shapefile: record number)
	Code     string
	Name     string
	Props    map[string]string // every property, as strings
	Geometry orb.MultiPolygon  // a Polygon is promoted; rings follow RFC 7946 (outer counter-clockwise)
}

// BoundaryResult holds the boundaries read from one file.
type BoundaryResult struct {
	Source
	Features []BoundaryFeature
	Rejects  []Reject
}

var (
	defaultCodeFields = []string{"code", "adcode", "admin_code", "gb", "xzqdm", "区划代码", "行政区划代码"}
	defaultNameFields = []string{"name", "名称", "xzqmc", "区划名称", "行政区划名称"}
)

// ReadBoundaries reads division boundaries from a GeoJSON FeatureCollection
// (.geojson, .json) or an ESRI Shapefile (.shp with .shx and .dbf; .cpg and
// .prj are used when present).
//
// Fatal errors: unsupported format, missing companion file, a .prj that is
// not geographic WGS84/CGCS2000, coordinates that are not lon/lat degrees
// in any feature (projected data without .prj), an unknown code or name
// field (the error lists the fields), undecodable text. A feature with an
// empty code, a geometry that is not a (Multi)Polygon or is malformed,
// coordinates out of range, or a code already seen is rejected.
func ReadBoundaries(fsys fs.FS, path string, opts BoundaryOptions) (BoundaryResult, error) {
	var res BoundaryResult
	s, err := readFeatures(fsys, path, opts.Encoding)
	if err != nil {
		return res, err
	}
	res.Source = s.Source
	codeField, nameField, err := s.codeNameFields(opts.CodeField, opts.NameField)
	if err != nil {
		return res, err
	}
	bad, err := s.checkCoordinates(reprojectFixFor(s))
	if err != nil {
		return res, err
	}
	first := map[string]int{}
	for i := range s.features {
		f := &s.features[i]
		code := strings.TrimSpace(f.get(codeField))
		if code == "" {
			res.Rejects = append(res.Rejects, s.reject(i, codeField, "empty"))
			continue
		}
		mp, reason := polygonal(f, bad[i])
		if reason != "" {
			res.Rejects = append(res.Rejects, s.reject(i, "geometry", "%s", reason))
			continue
		}
		if j, dup := first[code]; dup {
			res.Rejects = append(res.Rejects, s.reject(i, codeField, "duplicate code %s (first at feature %d); merge the parts into one MultiPolygon", code, j))
			continue
		}
		first[code] = f.index
		res.Features = append(res.Features, BoundaryFeature{
			Index:    f.index,
			Code:     code,
			Name:     strings.TrimSpace(f.get(nameField)),
			Props:    f.propMap(),
			Geometry: mp,
		})
	}
	return res, nil
}

// codeNameFields resolves the code and name fields.
func (s *featureSet) codeNameFields(code, name string) (string, string, error) {
	var codeField, nameField string
	if code != "" {
		if codeField = s.findField(code); codeField == "" {
			return "", "", s.missingField(code, "set the code field to one of these")
		}
	} else if codeField = s.findField(defaultCodeFields...); codeField == "" {
		return "", "", s.missingField("code", "no code field found under the usual names; set the code field to one of these")
	}
	if name != "" {
		if nameField = s.findField(name); nameField == "" {
			return "", "", s.missingField(name, "set the name field to one of these")
		}
	} else {
		nameField = s.findField(defaultNameFields...)
	}
	return codeField, nameField, nil
}

// geometryProblem says why f has no usable geometry (malformed, null, or bad
// coordinates), or "" when it has one.
func geometryProblem(f *feature, coordErr error) string {
	switch {
	case f.geomErr != "":
		return f.geomErr
	case f.geom == nil:
		return "empty (null geometry)"
	case coordErr != nil:
		return coordErr.Error()
	}
	return ""
}

// polygonal returns f's geometry as a MultiPolygon with RFC 7946 ring
// orientation, or why it cannot be one.
func polygonal(f *feature, coordErr error) (orb.MultiPolygon, string) {
	if reason := geometryProblem(f, coordErr); reason != "" {
		return nil, reason
	}
	var mp orb.MultiPolygon
	switch g := f.geom.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil, fmt.Sprintf("%s, want Polygon or MultiPolygon", f.geom.GeoJSONType())
	}
	if len(mp) == 0 {
		return nil, "empty MultiPolygon"
	}
	for i, p := range mp {
		if len(p) == 0 {
			return nil, fmt.Sprintf("polygon %d has no rings", i+1)
		}
		for j, r := range p {
			where := fmt.Sprintf("polygon %d ring %d", i+1, j+1)
			if len(mp) == 1 {
				where = fmt.Sprintf("ring %d", j+1)
			}
			switch {
			case len(r) < 4:
				return nil, fmt.Sprintf("%s has %d points, a ring needs at least 4", where, len(r))
			case !r.Closed():
				return nil, fmt.Sprintf("%s is not closed (first point %v, last %v)", where, r[0], r[len(r)-1])
			}
			// A ring with zero signed area (a symmetric bow-tie) is left as it is:
			// PostGIS repairs invalid rings on import and reports them.
			if o := r.Orientation(); j == 0 && o == orb.CW || j > 0 && o == orb.CCW {
				r.Reverse()
			}
		}
	}
	return mp, ""
}

// reprojectFixFor is reprojectFix with a hint for files that do not say
// what they are in.
func reprojectFixFor(s *featureSet) string {
	fix := reprojectFix(s.Path)
	if s.Format == FormatShapefile && s.CRS == "" {
		fix += " (the file has no .prj, so also give its system with -s_srs, e.g. -s_srs EPSG:4549 for CGCS2000 3-degree Gauss-Kruger CM 120E)"
	}
	return fix
}
