package parse

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/geo"
)

// Source describes the file a result was read from.
type Source struct {
	Path   string // as passed in (for a Shapefile: the .shp)
	Format string // FormatCSV, FormatGeoJSON or FormatShapefile
	// Encoding is the text encoding the file (for a Shapefile: its .dbf)
	// was read with: utf-8, gbk or gb18030.
	Encoding string
	// EncodingFrom says how Encoding was chosen: "option", "detected",
	// ".cpg" or "dbf language driver".
	EncodingFrom string
	// Fields are the column names of Reject.Raw: the CSV header, the DBF
	// fields, or the GeoJSON property names in first-seen order.
	Fields []string
	// CRS is the coordinate system declared by the file (a Shapefile's
	// .prj or a GeoJSON "crs" member): "EPSG:4326", "EPSG:4490", or "" when
	// the file declares none.
	CRS string
}

// Formats.
const (
	FormatCSV       = "csv"
	FormatGeoJSON   = "geojson"
	FormatShapefile = "shapefile"
)

// formatOf picks the reader from the file name extension.
func formatOf(name string, allowed ...string) (string, error) {
	var f string
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		f = FormatCSV
	case ".geojson", ".json":
		f = FormatGeoJSON
	case ".shp":
		f = FormatShapefile
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	var exts []string
	for _, a := range allowed {
		switch a {
		case FormatCSV:
			exts = append(exts, ".csv")
		case FormatGeoJSON:
			exts = append(exts, ".geojson", ".json")
		case FormatShapefile:
			exts = append(exts, ".shp")
		}
	}
	return "", &Error{File: name, Reason: fmt.Sprintf("unsupported format %q (want %s)", path.Ext(name), strings.Join(exts, ", "))}
}

// prop is one property of a feature, as a string.
type prop struct{ key, val string }

// feature is a GeoJSON feature or Shapefile record before interpretation.
type feature struct {
	index   int // 1-based
	line    int // GeoJSON: the line on which the feature starts
	props   []prop
	geom    orb.Geometry // nil: null geometry
	geomErr string       // the geometry could not be decoded
}

// featureSet is everything read from a GeoJSON file or a Shapefile.
type featureSet struct {
	Source
	features []feature
	// fieldsAt[i] is len(Fields) after feature i was read: the columns of
	// its Raw.
	fieldsAt []int
}

// readFeatures reads a GeoJSON file or a Shapefile into a featureSet.
func readFeatures(fsys fs.FS, name, enc string) (*featureSet, error) {
	format, err := formatOf(name, FormatGeoJSON, FormatShapefile)
	if err != nil {
		return nil, err
	}
	if _, err := NormalizeEncoding(enc); err != nil {
		return nil, fileError(name, "", err.Error())
	}
	if format == FormatGeoJSON {
		return readGeoJSON(fsys, name, enc)
	}
	return readShapefile(fsys, name, enc)
}

// errAt returns an Error locating f.
func (s *featureSet) errAt(f *feature, field, format string, args ...any) Error {
	return Error{File: s.Path, Line: f.line, Feature: f.index, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// raw returns f's properties as strings in the order of s.Fields.
func (s *featureSet) raw(i int) []string {
	f := &s.features[i]
	n := s.fieldsAt[i]
	out := make([]string, n)
	for _, p := range f.props {
		for j := 0; j < n; j++ {
			if s.Fields[j] == p.key {
				out[j] = p.val
				break
			}
		}
	}
	return out
}

func (s *featureSet) reject(i int, field, format string, args ...any) Reject {
	return Reject{Err: s.errAt(&s.features[i], field, format, args...), Raw: s.raw(i)}
}

// findField returns the property name to use for a wanted field: the first
// of names that is a field of the file, matched exactly, then
// case-insensitively, then (Shapefiles) by its first 10 characters, which is
// all a .dbf field name can hold.
func (s *featureSet) findField(names ...string) string {
	for _, n := range names {
		for _, f := range s.Fields {
			if f == n {
				return f
			}
		}
	}
	for _, n := range names {
		for _, f := range s.Fields {
			if strings.EqualFold(f, n) {
				return f
			}
		}
	}
	if s.Format == FormatShapefile {
		for _, n := range names {
			if len(n) > 10 {
				for _, f := range s.Fields {
					if strings.EqualFold(f, n[:10]) {
						return f
					}
				}
			}
		}
	}
	return ""
}

// missingField is the fatal error for a wanted field that no feature has.
func (s *featureSet) missingField(field, hint string) *Error {
	have := strings.Join(s.Fields, ", ")
	if have == "" {
		have = "none"
	}
	reason := fmt.Sprintf("no such field (have: %s)", have)
	if hint != "" {
		reason += "; " + hint
	}
	return &Error{File: s.Path, Field: field, Reason: reason}
}

func (f *feature) get(key string) string {
	if key == "" {
		return ""
	}
	for _, p := range f.props {
		if p.key == key {
			return p.val
		}
	}
	return ""
}

func (f *feature) propMap() map[string]string {
	m := make(map[string]string, len(f.props))
	for _, p := range f.props {
		m[p.key] = p.val
	}
	return m
}

// firstBadCoord returns the first coordinate of g that fails
// geo.CheckLonLat.
func firstBadCoord(g orb.Geometry) (orb.Point, error) {
	var bad orb.Point
	var err error
	visit := func(ps []orb.Point) bool {
		for _, p := range ps {
			if e := geo.CheckLonLat(p[0], p[1]); e != nil {
				bad, err = p, e
				return false
			}
		}
		return true
	}
	switch g := g.(type) {
	case orb.Point:
		visit([]orb.Point{g})
	case orb.MultiPoint:
		visit(g)
	case orb.LineString:
		visit(g)
	case orb.MultiLineString:
		for _, l := range g {
			if !visit(l) {
				break
			}
		}
	case orb.Polygon:
		for _, r := range g {
			if !visit(r) {
				break
			}
		}
	case orb.MultiPolygon:
	outer:
		for _, p := range g {
			for _, r := range p {
				if !visit(r) {
					break outer
				}
			}
		}
	}
	return bad, err
}

// checkCoordinates checks that the coordinates are lon/lat degrees. When no
// feature at all has valid coordinates the file is projected (or swapped)
// and the error is fatal; otherwise bad[i] holds the error of each feature
// whose coordinates are out of range, to be rejected.
func (s *featureSet) checkCoordinates(fix string) (bad map[int]error, fatal error) {
	bad = map[int]error{}
	withGeom := 0
	firstIdx := -1
	var firstPt orb.Point
	var firstErr error
	for i := range s.features {
		f := &s.features[i]
		if f.geom == nil || f.geomErr != "" {
			continue
		}
		withGeom++
		if p, err := firstBadCoord(f.geom); err != nil {
			bad[i] = err
			if firstIdx < 0 {
				firstIdx, firstPt, firstErr = i, p, err
			}
		}
	}
	if withGeom == 0 || len(bad) < withGeom {
		return bad, nil
	}
	f := &s.features[firstIdx]
	e := s.errAt(f, "geometry", "")
	e.Line, e.Feature = 0, 0
	var ce *geo.CoordError
	if errors.As(firstErr, &ce) && ce.Swapped {
		e.Reason = fmt.Sprintf("coordinates are latitude first (feature %d has %v, %v: %v); write them longitude first",
			f.index, firstPt[0], firstPt[1], firstErr)
		return nil, &e
	}
	e.Reason = fmt.Sprintf("coordinates are not WGS84 longitude/latitude degrees (feature %d has %v, %v: %v): projected data? reproject it first: %s",
		f.index, firstPt[0], firstPt[1], firstErr, fix)
	return nil, &e
}

// reprojectFix returns the ogr2ogr command line that converts name to
// EPSG:4326.
func reprojectFix(name string) string {
	base := path.Base(name)
	out := "out" + path.Ext(base)
	return fmt.Sprintf("ogr2ogr -t_srs EPSG:4326 %s %s", out, shellQuote(base))
}
