package locate

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer/snapshot"
)

// Updates in place. An Index is never modified; Apply makes a successor that shares it:
// the R-trees are copied copy-on-write (tidwall/rtree: a copy is O(1) and clones only the
// nodes an insert or delete touches), the polygon, segment and road slices are appended to
// beyond the lengths the published index sees, and the house numbers of changed roads are
// a small copy-on-write overlay.

// Apply returns an index over nd (made from ix.Data() by snapshot.Data.Apply, which
// reported dl); ix is unchanged. Apply ix's successors only.
func (ix *Index) Apply(nd *snapshot.Data, dl *snapshot.Delta) *Index {
	od := ix.data
	nix := *ix
	nix.data = nd
	nix.ptree = *ix.ptree.Copy()
	nix.stree = *ix.stree.Copy()
	nix.htree = *ix.htree.Copy()
	nix.housesOv = make(map[int64][]int32, len(ix.housesOv)+len(dl.NewHouses))
	for k, v := range ix.housesOv {
		nix.housesOv[k] = v
	}

	// Divisions: the polygons of superseded versions leave the tree (polys is in unit
	// order: versions are appended in slot order).
	for _, s := range dl.OldUnits {
		u := &od.Units[s]
		if len(u.Geom) == 0 {
			continue
		}
		pi := sort.Search(len(ix.polys), func(i int) bool { return ix.polys[i].unit >= s })
		if pi < len(ix.polys) && ix.polys[pi].unit == s {
			b := u.Geom.Bound()
			nix.ptree.Delete(b.Min, b.Max, int32(pi))
		}
	}
	for _, s := range dl.NewUnits {
		u := &nd.Units[s]
		if len(u.Geom) == 0 {
			continue
		}
		b := u.Geom.Bound()
		nix.ptree.Insert(b.Min, b.Max, int32(len(nix.polys)))
		nix.polys = append(nix.polys, indexedPoly{unit: s, level: u.Level, from: u.From, to: u.To, geom: prepare(u.Geom)})
	}

	// Roads: their segments (segs is in road order).
	for _, s := range dl.OldRoads {
		line := od.Roads[s].Line
		i := sort.Search(len(ix.segs), func(i int) bool { return ix.segs[i].road >= s })
		for ; i < len(ix.segs) && ix.segs[i].road == s; i++ {
			lo, hi := segBox(line, int(ix.segs[i].i))
			nix.stree.Delete(lo, hi, int32(i))
		}
	}
	for _, s := range dl.NewRoads {
		for int(s) > len(nix.roads) { // slots of roads appended by earlier updates: none
			nix.roads = append(nix.roads, roadGeom{})
		}
		nix.roads = append(nix.roads, nix.addRoadSegments(s))
	}
	for len(nix.roads) < len(nd.Roads) {
		nix.roads = append(nix.roads, roadGeom{})
	}

	// House numbers.
	byRoad := map[int64]bool{}
	gone := map[int32]bool{}
	for _, s := range dl.OldHouses {
		h := &od.Houses[s]
		nix.htree.Delete(h.Point, h.Point, s)
		byRoad[h.RoadID] = true
		gone[s] = true
	}
	for _, s := range dl.NewHouses {
		h := &nd.Houses[s]
		nix.htree.Insert(h.Point, h.Point, s)
		byRoad[h.RoadID] = true
	}
	for id := range byRoad {
		var list []int32
		for _, s := range ix.HousesOf(id) {
			if !gone[s] {
				list = append(list, s)
			}
		}
		for _, s := range dl.NewHouses {
			if nd.Houses[s].RoadID == id {
				list = append(list, s)
			}
		}
		slices.SortStableFunc(list, func(a, b int32) int {
			x, y := &nd.Houses[a], &nd.Houses[b]
			if x.Number != y.Number {
				return x.Number - y.Number
			}
			if x.ID != y.ID { // equal numbers: by id, the order of a load
				return cmp.Compare(x.ID, y.ID)
			}
			return int(a - b)
		})
		if list == nil {
			list = []int32{}
		}
		nix.housesOv[id] = list
	}
	return &nix
}

func segBox(line orb.LineString, i int) (orb.Point, orb.Point) {
	a, b := line[i], line[i+1]
	return orb.Point{min(a[0], b[0]), min(a[1], b[1])}, orb.Point{max(a[0], b[0]), max(a[1], b[1])}
}

// addRoadSegments indexes the segments of road slot ri and returns its lengths.
func (ix *Index) addRoadSegments(ri int32) roadGeom {
	line := ix.data.Roads[ri].Line
	g := roadGeom{cum: make([]float64, len(line))}
	for i := 0; i+1 < len(line); i++ {
		a, b := line[i], line[i+1]
		mx, my := metresPerDeg((a[1] + b[1]) / 2)
		g.cum[i+1] = g.cum[i] + math.Hypot((b[0]-a[0])*mx, (b[1]-a[1])*my)
		lo, hi := segBox(line, i)
		ix.stree.Insert(lo, hi, int32(len(ix.segs)))
		ix.segs = append(ix.segs, segment{road: ri, i: int32(i)})
	}
	g.total = g.cum[len(g.cum)-1]
	return g
}
