// Package format holds every writer of vector layers for export: RFC 7946 GeoJSON, KML and
// KMZ (奥维互动地图, Google Earth), GeoPackage (QGIS, QField), and the manifest with
// SHA-256 checksums that goes with a set of exported files. Writers take a Layer: named,
// typed attribute fields and features whose geometry is orb lon/lat. Coordinates are
// written as given (convert to GCJ-02 beforehand, with Layer.Transform or geo.CRS).
package format

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// FieldType is the type of an attribute field.
type FieldType int

// Field types. Date values are time.Time (written YYYY-MM-DD) or nil.
const (
	String FieldType = iota
	Integer
	Real
	Date
)

// Field is one attribute column of a layer.
type Field struct {
	Name string
	Type FieldType
}

// Feature is one feature: a geometry (nil for none) and one value per field of its layer
// (string, int, int64, float64, time.Time, *time.Time, or nil).
type Feature struct {
	Geometry orb.Geometry
	Values   []any
	// Style names one of the layer's styles for KML (empty: the layer's first style).
	Style string
}

// Style is a KML style: colour as aabbggrr hex, line width in pixels, icon scale.
type Style struct {
	ID        string
	Color     string
	Width     float64
	IconScale float64
}

// Layer is a named set of features of one geometry type.
type Layer struct {
	Name  string // table / folder / file name: lines, markers, findings
	Title string // human title (KML folder name, gpkg_contents.identifier)
	// GeometryType is the GeoPackage geometry type: POINT, LINESTRING, MULTILINESTRING,
	// POLYGON, MULTIPOLYGON or GEOMETRY.
	GeometryType string
	Fields       []Field
	Features     []Feature
	// NameField is the field whose value names a KML placemark (empty: the first field).
	NameField string
	Styles    []Style
}

// Check verifies that every feature has one value per field, of the field's type.
func (l *Layer) Check() error {
	for i, f := range l.Features {
		if len(f.Values) != len(l.Fields) {
			return fmt.Errorf("layer %s: feature %d has %d values for %d fields", l.Name, i+1, len(f.Values), len(l.Fields))
		}
		for j, v := range f.Values {
			if v == nil {
				continue
			}
			ok := false
			switch l.Fields[j].Type {
			case String:
				_, ok = v.(string)
			case Integer:
				switch v.(type) {
				case int, int32, int64:
					ok = true
				}
			case Real:
				switch v.(type) {
				case float64, float32, int, int64:
					ok = true
				}
			case Date:
				switch d := v.(type) {
				case time.Time:
					ok = true
				case *time.Time:
					ok = true
					if d == nil {
						l.Features[i].Values[j] = nil
					}
				}
			}
			if !ok {
				return fmt.Errorf("layer %s: feature %d field %s: %T is not a %v", l.Name, i+1, l.Fields[j].Name, v, l.Fields[j].Type)
			}
		}
	}
	return nil
}

func (t FieldType) String() string {
	return [...]string{"string", "integer", "real", "date"}[t]
}

// text renders a value as text (KML, CSV-like uses); nil is "".
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return v.Format(time.DateOnly)
	case *time.Time:
		if v == nil {
			return ""
		}
		return v.Format(time.DateOnly)
	case float64:
		return fmt.Sprint(v)
	default:
		return fmt.Sprint(v)
	}
}

// jsonValue renders a value for GeoJSON properties.
func jsonValue(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.Format(time.DateOnly)
	case *time.Time:
		if v == nil {
			return nil
		}
		return v.Format(time.DateOnly)
	}
	return v
}

// Transform applies fn to every coordinate of g (for WGS84 → GCJ-02), returning a copy.
func Transform(g orb.Geometry, fn func(orb.Point) orb.Point) orb.Geometry {
	pts := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = fn(p)
		}
		return out
	}
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		return orb.MultiPoint(pts(g))
	case orb.LineString:
		return orb.LineString(pts(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = pts(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(pts(g))
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = pts(r)
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = Transform(p, fn).(orb.Polygon)
		}
		return out
	}
	return g
}
