package geo

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	orbwkb "github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geom"
	geomwkb "github.com/twpayne/go-geom/encoding/wkb"
)

var (
	tPoly = orb.Polygon{
		{{119.8, 28.4}, {120.0, 28.4}, {120.0, 28.6}, {119.8, 28.6}, {119.8, 28.4}},
		{{119.85, 28.45}, {119.85, 28.5}, {119.9, 28.5}, {119.9, 28.45}, {119.85, 28.45}},
	}
	tLine = orb.LineString{{119.9, 28.45}, {119.95, 28.47}, {120.01, 28.5}}
)

func TestGeomRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{119.92, 28.45}},
		{"linestring", tLine},
		{"empty linestring", orb.LineString{}},
		{"polygon with hole", tPoly},
		{"multipoint", orb.MultiPoint{{1, 2}, {3, 4}, {5, 6}}},
		{"multilinestring", orb.MultiLineString{tLine, {{1, 1}, {2, 2}}}},
		{"multipolygon", orb.MultiPolygon{tPoly, {{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"multipolygon with empty member", orb.MultiPolygon{tPoly, {}, {{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"collection", orb.Collection{orb.Point{1, 2}, tLine, tPoly, orb.Collection{orb.MultiPoint{{7, 8}}}}},
		{"empty collection", orb.Collection{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gg, err := ToGeom(tc.g)
			if err != nil {
				t.Fatalf("ToGeom: %v", err)
			}
			if gg.SRID() != 4326 {
				t.Errorf("SRID = %d, want 4326", gg.SRID())
			}
			if gc, ok := gg.(*geom.GeometryCollection); ok {
				for i, m := range gc.Geoms() {
					if m.SRID() != 4326 {
						t.Errorf("member %d SRID = %d", i, m.SRID())
					}
				}
			}
			back, err := FromGeom(gg)
			if err != nil {
				t.Fatalf("FromGeom: %v", err)
			}
			if !orb.Equal(back, tc.g) && !reflect.DeepEqual(back, tc.g) {
				t.Errorf("round trip:\n got %#v\nwant %#v", back, tc.g)
			}

			// Cross-check against the two libraries' own WKB codecs: orb's
			// encoding of the input must decode (with go-geom) to the same
			// geometry ToGeom built, and vice versa.
			b, err := orbwkb.Marshal(tc.g)
			if err != nil {
				t.Fatalf("orb wkb: %v", err)
			}
			viaWKB, err := geomwkb.Unmarshal(b)
			if err != nil {
				t.Fatalf("go-geom wkb: %v", err)
			}
			b2, err := geomwkb.Marshal(gg, geomwkb.NDR)
			if err != nil {
				t.Fatalf("go-geom wkb marshal: %v", err)
			}
			b1, _ := geomwkb.Marshal(viaWKB, geomwkb.NDR)
			if !reflect.DeepEqual(b1, b2) {
				t.Errorf("ToGeom differs from orb→WKB→go-geom")
			}
			fromWKB, err := orbwkb.Unmarshal(b2)
			if err != nil {
				t.Fatalf("orb wkb unmarshal: %v", err)
			}
			if !orb.Equal(fromWKB, back) && !reflect.DeepEqual(fromWKB, back) {
				t.Errorf("FromGeom differs from go-geom→WKB→orb:\n got %#v\nwant %#v", back, fromWKB)
			}
		})
	}
}

func TestToGeomSpecial(t *testing.T) {
	// Ring and Bound become polygons.
	g, err := ToGeom(tPoly[0])
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := g.(*geom.Polygon); !ok || p.NumLinearRings() != 1 || p.NumCoords() != 5 {
		t.Errorf("ToGeom(Ring) = %#v", g)
	}
	g, err = ToGeom(orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := FromGeom(g)
	if Area(back) == 0 || back.Bound() != (orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}) {
		t.Errorf("ToGeom(Bound) round trip = %v", back)
	}
	// Empty point ⇄ NaN point.
	g, err = ToGeom(orb.Point{math.NaN(), math.NaN()})
	if err != nil || !g.Empty() {
		t.Errorf("ToGeom(NaN point) = %v, %v; want empty point", g, err)
	}
	back, _ = FromGeom(geom.NewPointEmpty(geom.XY))
	if p := back.(orb.Point); !math.IsNaN(p[0]) || !math.IsNaN(p[1]) {
		t.Errorf("FromGeom(POINT EMPTY) = %v", back)
	}
	mp := orb.MultiPoint{{1, 2}, {math.NaN(), math.NaN()}, {3, 4}}
	g, _ = ToGeom(mp)
	if n := g.(*geom.MultiPoint).NumPoints(); n != 3 || !g.(*geom.MultiPoint).Point(1).Empty() {
		t.Errorf("multipoint with empty member: %d points", n)
	}
	back, _ = FromGeom(g)
	if got := back.(orb.MultiPoint); got[0] != mp[0] || got[2] != mp[2] || !math.IsNaN(got[1][0]) {
		t.Errorf("multipoint with empty member round trip = %v", got)
	}
	if _, err := ToGeom(nil); !errors.Is(err, ErrUnsupportedGeometry) {
		t.Errorf("ToGeom(nil) = %v", err)
	}
}

func TestFromGeomLayouts(t *testing.T) {
	tests := []struct {
		name string
		g    geom.T
		want orb.Geometry
	}{
		{"point XYZ", geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3}), orb.Point{1, 2}},
		{"point XYM", geom.NewPointFlat(geom.XYM, []float64{1, 2, 3}), orb.Point{1, 2}},
		{"line XYZM", geom.NewLineStringFlat(geom.XYZM, []float64{1, 2, 3, 4, 5, 6, 7, 8}), orb.LineString{{1, 2}, {5, 6}}},
		{"linear ring", geom.NewLinearRingFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0}), orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		{"polygon XYZ", geom.NewPolygonFlat(geom.XYZ, []float64{0, 0, 9, 1, 0, 9, 1, 1, 9, 0, 0, 9}, []int{12}), orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		{"multilinestring XYZ", geom.NewMultiLineStringFlat(geom.XYZ, []float64{0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3}, []int{6, 12}), orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{"multipolygon XYM", geom.NewMultiPolygonFlat(geom.XYM, []float64{0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 5, 5, 0, 6, 5, 0, 6, 6, 0, 5, 5, 0}, [][]int{{12}, {24}}),
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{"collection XYZ", geom.NewGeometryCollection().MustPush(geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3})), orb.Collection{orb.Point{1, 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromGeom(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(got, tc.want) {
				t.Errorf("FromGeom = %#v, want %#v", got, tc.want)
			}
		})
	}
	var nilPoint *geom.Point
	for _, g := range []geom.T{nil, nilPoint} {
		if _, err := FromGeom(g); !errors.Is(err, ErrUnsupportedGeometry) {
			t.Errorf("FromGeom(%#v) = %v, want ErrUnsupportedGeometry", g, err)
		}
	}
}
