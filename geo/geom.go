package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// SRID is the spatial reference id of every geometry Fangyuan stores
// (EPSG:4326; CGCS2000 data is stored as 4326 too).
const SRID = 4326

// ErrUnsupportedGeometry is wrapped by ToGeom and FromGeom for geometry types
// they cannot convert.
var ErrUnsupportedGeometry = errors.New("unsupported geometry type")

// ToGeom converts an orb geometry to go-geom, with layout XY and SRID 4326 set
// on the result (and on every member of a collection). This and FromGeom are
// the one place where the two libraries meet (go-geom is used only at the
// edges: pgx-geom codecs for PostGIS, go-shapefile).
//
// Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon and
// Collection map to their go-geom namesakes; an orb.Ring and an orb.Bound
// become a one-ring Polygon. Rings are copied as they are (orb rings, like
// GeoJSON ones, are closed). A Point whose coordinates are both NaN is the
// empty point, as in WKB.
func ToGeom(g orb.Geometry) (geom.T, error) {
	switch g := g.(type) {
	case nil:
		return nil, fmt.Errorf("%w: nil geometry", ErrUnsupportedGeometry)
	case orb.Point:
		if isEmptyPoint(g) {
			return geom.NewPointEmpty(geom.XY).SetSRID(SRID), nil
		}
		return geom.NewPointFlat(geom.XY, []float64{g[0], g[1]}).SetSRID(SRID), nil
	case orb.MultiPoint:
		flat := make([]float64, 0, 2*len(g))
		ends := make([]int, len(g))
		for i, p := range g {
			if !isEmptyPoint(p) {
				flat = append(flat, p[0], p[1])
			}
			ends[i] = len(flat)
		}
		return geom.NewMultiPointFlat(geom.XY, flat, geom.NewMultiPointFlatOptionWithEnds(ends)).SetSRID(SRID), nil
	case orb.LineString:
		return geom.NewLineStringFlat(geom.XY, flatten(nil, g)).SetSRID(SRID), nil
	case orb.MultiLineString:
		var flat []float64
		ends := make([]int, len(g))
		for i, ls := range g {
			flat = flatten(flat, ls)
			ends[i] = len(flat)
		}
		return geom.NewMultiLineStringFlat(geom.XY, flat, ends).SetSRID(SRID), nil
	case orb.Ring:
		return ToGeom(orb.Polygon{g})
	case orb.Bound:
		return ToGeom(g.ToPolygon())
	case orb.Polygon:
		flat, ends := flattenPolygon(nil, nil, g)
		return geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(SRID), nil
	case orb.MultiPolygon:
		var flat []float64
		endss := make([][]int, len(g))
		for i, p := range g {
			var ends []int
			flat, ends = flattenPolygon(flat, nil, p)
			endss[i] = ends
		}
		return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(SRID), nil
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for i, m := range g {
			t, err := ToGeom(m)
			if err != nil {
				return nil, fmt.Errorf("collection member %d: %w", i, err)
			}
			if err := gc.Push(t); err != nil {
				return nil, fmt.Errorf("collection member %d: %w", i, err)
			}
		}
		return gc.SetSRID(SRID), nil
	}
	return nil, fmt.Errorf("%w: orb %T", ErrUnsupportedGeometry, g)
}

func isEmptyPoint(p orb.Point) bool { return math.IsNaN(p[0]) && math.IsNaN(p[1]) }

func flatten(flat []float64, pts []orb.Point) []float64 {
	for _, p := range pts {
		flat = append(flat, p[0], p[1])
	}
	return flat
}

func flattenPolygon(flat []float64, ends []int, p orb.Polygon) ([]float64, []int) {
	ends = make([]int, 0, len(p))
	for _, r := range p {
		flat = flatten(flat, r)
		ends = append(ends, len(flat))
	}
	return flat, ends
}

// FromGeom converts a go-geom geometry to orb: Point, LineString, LinearRing
// (to orb.Ring), Polygon, MultiPoint, MultiLineString, MultiPolygon and
// GeometryCollection. Z and M ordinates are dropped. An empty Point (and an
// empty member of a MultiPoint) becomes orb.Point{NaN, NaN}, as orb's WKB
// decoder does.
func FromGeom(g geom.T) (orb.Geometry, error) {
	if isNilGeom(g) {
		return nil, fmt.Errorf("%w: nil geometry", ErrUnsupportedGeometry)
	}
	stride := g.Stride()
	if gc, ok := g.(*geom.GeometryCollection); ok {
		out := make(orb.Collection, 0, gc.NumGeoms())
		for i, m := range gc.Geoms() {
			o, err := FromGeom(m)
			if err != nil {
				return nil, fmt.Errorf("collection member %d: %w", i, err)
			}
			out = append(out, o)
		}
		return out, nil
	}
	if stride < 2 {
		if g.Empty() {
			stride = 2 // an empty geometry with no layout set
		} else {
			return nil, fmt.Errorf("%w: layout %v has stride %d", ErrUnsupportedGeometry, g.Layout(), stride)
		}
	}
	flat := g.FlatCoords()
	switch g := g.(type) {
	case *geom.Point:
		if len(flat) < 2 {
			return orb.Point{math.NaN(), math.NaN()}, nil
		}
		return orb.Point{flat[0], flat[1]}, nil
	case *geom.LineString:
		return orb.LineString(points(flat, stride)), nil
	case *geom.LinearRing:
		return orb.Ring(points(flat, stride)), nil
	case *geom.Polygon:
		return polygonFromFlat(flat, g.Ends(), 0, stride), nil
	case *geom.MultiPoint:
		ends := g.Ends()
		mp := make(orb.MultiPoint, len(ends))
		start := 0
		for i, end := range ends {
			if end-start >= 2 {
				mp[i] = orb.Point{flat[start], flat[start+1]}
			} else {
				mp[i] = orb.Point{math.NaN(), math.NaN()}
			}
			start = end
		}
		return mp, nil
	case *geom.MultiLineString:
		ends := g.Ends()
		mls := make(orb.MultiLineString, len(ends))
		start := 0
		for i, end := range ends {
			mls[i] = orb.LineString(points(flat[start:end], stride))
			start = end
		}
		return mls, nil
	case *geom.MultiPolygon:
		endss := g.Endss()
		mp := make(orb.MultiPolygon, len(endss))
		start := 0
		for i, ends := range endss {
			mp[i] = polygonFromFlat(flat, ends, start, stride)
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
		return mp, nil
	}
	return nil, fmt.Errorf("%w: go-geom %T", ErrUnsupportedGeometry, g)
}

// isNilGeom reports a nil interface or a typed nil pointer, on which go-geom's
// methods would panic.
func isNilGeom(g geom.T) bool {
	switch g := g.(type) {
	case nil:
		return true
	case *geom.Point:
		return g == nil
	case *geom.LineString:
		return g == nil
	case *geom.LinearRing:
		return g == nil
	case *geom.Polygon:
		return g == nil
	case *geom.MultiPoint:
		return g == nil
	case *geom.MultiLineString:
		return g == nil
	case *geom.MultiPolygon:
		return g == nil
	case *geom.GeometryCollection:
		return g == nil
	}
	return false
}

func points(flat []float64, stride int) []orb.Point {
	n := len(flat) / stride
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{flat[i*stride], flat[i*stride+1]}
	}
	return pts
}

func polygonFromFlat(flat []float64, ends []int, start, stride int) orb.Polygon {
	p := make(orb.Polygon, len(ends))
	for i, end := range ends {
		p[i] = orb.Ring(points(flat[start:end], stride))
		start = end
	}
	return p
}
