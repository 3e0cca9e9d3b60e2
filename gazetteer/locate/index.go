// Package locate answers "where is this point": every division level covering it (as of a
// date), the nearest road with the house number there, and the nearest house number. It
// runs on an in-memory index built from a gazetteer snapshot (tidwall/rtree over prepared
// polygons and road segments); its coverage answers equal PostGIS ST_Covers, including
// points on boundaries.
package locate

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"fangyuan/gazetteer/snapshot"
)

// Index is the reverse-geocoding index over one snapshot. It is immutable and safe for
// concurrent use.
type Index struct {
	data   *snapshot.Data
	polys  []indexedPoly
	ptree  rtree.RTreeG[int32]
	segs   []segment
	stree  rtree.RTreeG[int32]
	htree  rtree.RTreeG[int32]
	roads  []roadGeom
	houses map[int64][]int32 // house numbers by road id (as built)
	// housesOv replaces houses' entry for roads whose house numbers changed in place (live.go).
	housesOv map[int64][]int32
}

type indexedPoly struct {
	unit     int32
	level    int8
	from, to snapshot.Day
	geom     prepared
}

type segment struct {
	road int32
	i    int32 // index of the first vertex
}

// roadGeom caches per-road lengths in metres along the line (local planar metres).
type roadGeom struct {
	cum   []float64 // cumulative metres at each vertex
	total float64
}

// Metres per degree at a latitude (the WGS84 series; good to 0.01 % locally).
func metresPerDeg(lat float64) (lon, latM float64) {
	φ := lat * math.Pi / 180
	return 111412.84*math.Cos(φ) - 93.5*math.Cos(3*φ), 111132.92 - 559.82*math.Cos(2*φ) + 1.175*math.Cos(4*φ)
}

// New builds the index over d.
func New(d *snapshot.Data) *Index {
	ix := &Index{data: d, houses: map[int64][]int32{}}
	for i := range d.Units {
		u := &d.Units[i]
		if len(u.Geom) == 0 {
			continue
		}
		b := u.Geom.Bound()
		ix.ptree.Insert(b.Min, b.Max, int32(len(ix.polys)))
		ix.polys = append(ix.polys, indexedPoly{unit: int32(i), level: u.Level, from: u.From, to: u.To, geom: prepare(u.Geom)})
	}
	ix.roads = make([]roadGeom, len(d.Roads))
	for ri := range d.Roads {
		ix.roads[ri] = ix.addRoadSegments(int32(ri))
	}
	for i := range d.Houses {
		h := &d.Houses[i]
		ix.htree.Insert(h.Point, h.Point, int32(i))
		ix.houses[h.RoadID] = append(ix.houses[h.RoadID], int32(i))
	}
	return ix
}

// Data is the snapshot the index was built from.
func (ix *Index) Data() *snapshot.Data { return ix.data }

// Covering fills out[level] (1–5) with the unit version valid on day whose boundary covers
// pt, -1 where none does, and returns how many levels were found. It does not allocate.
func (ix *Index) Covering(pt orb.Point, day snapshot.Day, out *[6]int32) int {
	for i := range out {
		out[i] = -1
	}
	found := 0
	px, py := pt[0], pt[1]
	ix.ptree.Search(pt, pt, func(_, _ [2]float64, pi int32) bool {
		p := &ix.polys[pi]
		if out[p.level] >= 0 || p.from > day || day >= p.to {
			return true
		}
		if p.geom.covers(px, py) {
			out[p.level] = p.unit
			found++
		}
		return true
	})
	return found
}

// Deepest returns the deepest unit version covering pt on day, or -1.
func (ix *Index) Deepest(pt orb.Point, day snapshot.Day) int32 {
	var out [6]int32
	ix.Covering(pt, day, &out)
	for l := 5; l >= 1; l-- {
		if out[l] >= 0 {
			return out[l]
		}
	}
	return -1
}

// RoadPosition is where a point lies relative to a road.
type RoadPosition struct {
	Road      int32   // index in Data.Roads
	DistanceM float64 // from the point to the road
	AlongM    float64 // from the numbering origin to the foot of the perpendicular
	Left      bool    // the point is on the left walking away from the origin
	Foot      orb.Point
}

// NearestRoad returns the road nearest to pt within maxM metres.
func (ix *Index) NearestRoad(pt orb.Point, maxM float64) (RoadPosition, bool) {
	mx, my := metresPerDeg(pt[1])
	best := RoadPosition{Road: -1, DistanceM: math.Inf(1)}
	var bestSeg segment
	var bestF float64
	for r := math.Min(200, maxM); ; r *= 4 {
		r = math.Min(r, maxM)
		dLon, dLat := r/mx, r/my
		ix.stree.Search([2]float64{pt[0] - dLon, pt[1] - dLat}, [2]float64{pt[0] + dLon, pt[1] + dLat}, func(_, _ [2]float64, si int32) bool {
			s := ix.segs[si]
			line := ix.data.Roads[s.road].Line
			a, b := line[s.i], line[s.i+1]
			ax, ay := (b[0]-a[0])*mx, (b[1]-a[1])*my
			qx, qy := (pt[0]-a[0])*mx, (pt[1]-a[1])*my
			f, l2 := 0.0, ax*ax+ay*ay
			if l2 > 0 {
				f = math.Max(0, math.Min(1, (qx*ax+qy*ay)/l2))
			}
			if d := math.Hypot(qx-f*ax, qy-f*ay); d < best.DistanceM {
				best.DistanceM, best.Road, bestSeg, bestF = d, s.road, s, f
				best.Left = ax*qy-ay*qx > 0
			}
			return true
		})
		if best.DistanceM <= r || r >= maxM {
			break
		}
	}
	if best.Road < 0 || best.DistanceM > maxM {
		return RoadPosition{Road: -1}, false
	}
	road := &ix.data.Roads[best.Road]
	g := &ix.roads[best.Road]
	a, b := road.Line[bestSeg.i], road.Line[bestSeg.i+1]
	best.Foot = orb.Point{a[0] + bestF*(b[0]-a[0]), a[1] + bestF*(b[1]-a[1])}
	along := g.cum[bestSeg.i] + bestF*(g.cum[bestSeg.i+1]-g.cum[bestSeg.i])
	if road.OriginEnd {
		along = g.total - along
		best.Left = !best.Left
	}
	best.AlongM = along
	return best, true
}

// NearestHouse returns the house number nearest to pt within maxM metres valid on day.
func (ix *Index) NearestHouse(pt orb.Point, day snapshot.Day, maxM float64) (int32, float64, bool) {
	mx, my := metresPerDeg(pt[1])
	dLon, dLat := maxM/mx, maxM/my
	best, bestD := int32(-1), math.Inf(1)
	ix.htree.Search([2]float64{pt[0] - dLon, pt[1] - dLat}, [2]float64{pt[0] + dLon, pt[1] + dLat}, func(_, _ [2]float64, hi int32) bool {
		h := &ix.data.Houses[hi]
		if h.From > day || day >= h.To {
			return true
		}
		if d := math.Hypot((h.Point[0]-pt[0])*mx, (h.Point[1]-pt[1])*my); d < bestD {
			best, bestD = hi, d
		}
		return true
	})
	return best, bestD, best >= 0 && bestD <= maxM
}

// HousesOf returns the house numbers of a road (indexes into Data.Houses).
func (ix *Index) HousesOf(roadID int64) []int32 {
	if l, ok := ix.housesOv[roadID]; ok {
		return l
	}
	return ix.houses[roadID]
}

// PointAlong returns the point alongM metres from the road's numbering origin, offset
// offM metres to the left (negative: right) walking away from the origin.
func (ix *Index) PointAlong(road int32, alongM, offM float64) orb.Point {
	r := &ix.data.Roads[road]
	g := &ix.roads[road]
	alongM = math.Max(0, math.Min(g.total, alongM))
	if r.OriginEnd {
		alongM = g.total - alongM
		offM = -offM
	}
	line := r.Line
	for i := 0; i+1 < len(line); i++ {
		if g.cum[i+1] < alongM && i+2 < len(line) {
			continue
		}
		a, b := line[i], line[i+1]
		seg := g.cum[i+1] - g.cum[i]
		f := 0.0
		if seg > 0 {
			f = (alongM - g.cum[i]) / seg
		}
		p := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		if offM != 0 && seg > 0 {
			mx, my := metresPerDeg(p[1])
			ex, ey := (b[0]-a[0])*mx/seg, (b[1]-a[1])*my/seg // unit vector in metres
			p[0] += -ey * offM / mx
			p[1] += ex * offM / my
		}
		return p
	}
	return line[0]
}

// RoadLength is the road's length in local planar metres.
func (ix *Index) RoadLength(road int32) float64 { return ix.roads[road].total }
