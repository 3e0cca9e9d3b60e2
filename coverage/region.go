package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"

	"fangyuan/geo"
)

// Unit is an administrative unit with its boundary: a township (乡镇/街道), a
// village or community (村/社区), or a county (县级).
type Unit struct {
	Code, Name string
	Geometry   orb.MultiPolygon // WGS84
}

// Errors for bad input; the returned errors wrap them and say what and where.
var (
	ErrNoOverlap     = errors.New("the population grid does not overlap the townships")
	ErrBadPopulation = errors.New("bad population values")
	ErrNoTownships   = errors.New("no townships")
	ErrBadUnit       = errors.New("bad boundaries")
	ErrBadFacility   = errors.New("bad facilities")
	ErrNoLayer       = errors.New("population layer missing")
)

// Region is the prepared geometry of a study area on one grid frame: every
// township's (and village's) exact zone, a spatial index for locating points,
// and the township → county grouping. Preparing is the costly part that does
// not depend on the facility kind, so a server keeps a Region per (grid,
// boundaries) and runs every kind on it.
type Region struct {
	Frame     Frame
	Townships []Unit
	Villages  []Unit
	tZones    []Zone
	vZones    []Zone
	tLoc      locator
	vLoc      locator
	// Counties groups townships by the first 6 digits of their codes.
	counties        []countyGroup
	townshipCounty  []int
	villageTownship []int
	villageCenter   []orb.Point
	// areaCells is the townships' total area in cells (planar), inside and
	// outside the grid; inGridCells the part on the grid.
	areaCells, inGridCells float64
	overlapUnits           []string
	gridW, gridH           int
}

type countyGroup struct {
	code      string
	townships []int
}

// PrepareRegion computes the zones of townships (and villages, which may be
// nil) on grid g, using up to workers goroutines (0: GOMAXPROCS). It checks
// codes (present, unique), geometries (non-empty, finite) and that the grid
// overlaps the townships.
func PrepareRegion(ctx context.Context, g *geo.Grid, townships, villages []Unit, workers int) (*Region, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if len(townships) == 0 {
		return nil, fmt.Errorf("%w: the township list is empty", ErrNoTownships)
	}
	if err := checkUnits("township", townships); err != nil {
		return nil, err
	}
	if err := checkUnits("village", villages); err != nil {
		return nil, err
	}
	reg := &Region{Townships: normalizeUnits(townships), Villages: normalizeUnits(villages), gridW: g.Width, gridH: g.Height}

	bound := reg.Townships[0].Geometry.Bound()
	for _, u := range reg.Townships[1:] {
		bound = bound.Union(u.Geometry.Bound())
	}
	gb := g.Bounds()
	noOverlap := func() error {
		return fmt.Errorf("%w: the grid covers %s, the townships %s (both must be WGS84 lon/lat; is the grid the right one?)",
			ErrNoOverlap, fmtBound(gb), fmtBound(bound))
	}
	if !gb.Intersects(bound) {
		return nil, noOverlap()
	}
	for _, u := range reg.Villages {
		bound = bound.Union(u.Geometry.Bound())
	}
	c0 := max(int(math.Floor((bound.Min[0]-g.West)/g.DX)), 0)
	c1 := min(int(math.Ceil((bound.Max[0]-g.West)/g.DX))-1, g.Width-1)
	r0 := max(int(math.Floor((g.North-bound.Max[1])/g.DY)), 0)
	r1 := min(int(math.Ceil((g.North-bound.Min[1])/g.DY))-1, g.Height-1)
	if c1 < c0 || r1 < r0 {
		return nil, noOverlap()
	}
	reg.Frame = Frame{West: g.West, North: g.North, DX: g.DX, DY: g.DY, Col0: c0, Row0: r0, W: c1 - c0 + 1, H: r1 - r0 + 1}

	reg.tZones = make([]Zone, len(reg.Townships))
	reg.vZones = make([]Zone, len(reg.Villages))
	err := parallelEach(ctx, len(reg.Townships)+len(reg.Villages), workers, func(i int) {
		if i < len(reg.Townships) {
			reg.tZones[i] = ZoneOf(reg.Frame, reg.Townships[i].Geometry)
		} else {
			j := i - len(reg.Townships)
			reg.vZones[j] = ZoneOf(reg.Frame, reg.Villages[j].Geometry)
		}
	})
	if err != nil {
		return nil, err
	}
	cellArea := g.DX * g.DY
	for i, u := range reg.Townships {
		reg.areaCells += planar.Area(u.Geometry) / cellArea
		reg.inGridCells += reg.tZones[i].Area()
		if reg.tZones[i].Overlap {
			reg.overlapUnits = append(reg.overlapUnits, u.Code)
		}
	}
	reg.tLoc = newLocator(reg.Townships)
	reg.vLoc = newLocator(reg.Villages)
	if reg.inGridCells <= 0 {
		return nil, noOverlap()
	}
	reg.groupCounties()
	reg.placeVillages()
	return reg, nil
}

func fmtBound(b orb.Bound) string {
	return fmt.Sprintf("lon %.4f…%.4f, lat %.4f…%.4f", b.Min[0], b.Max[0], b.Min[1], b.Max[1])
}

// checkUnits checks codes and geometries.
func checkUnits(what string, units []Unit) error {
	seen := make(map[string]int, len(units))
	for i, u := range units {
		code := strings.TrimSpace(u.Code)
		if code == "" {
			name := ""
			if u.Name != "" {
				name = " (" + u.Name + ")"
			}
			return fmt.Errorf("%w: %s %d%s has no code: every %s needs its division code (set the code field)", ErrBadUnit, what, i+1, name, what)
		}
		if j, dup := seen[code]; dup {
			return fmt.Errorf("%w: %s code %s appears twice (units %d and %d); merge the parts into one MultiPolygon", ErrBadUnit, what, code, j+1, i+1)
		}
		seen[code] = i
		if len(u.Geometry) == 0 {
			return fmt.Errorf("%w: %s %s has no geometry", ErrBadUnit, what, code)
		}
		for _, p := range u.Geometry {
			for _, r := range p {
				for _, pt := range r {
					if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) || math.Abs(pt[0]) > 180 || math.Abs(pt[1]) > 90 {
						return fmt.Errorf("%w: %s %s: coordinate %v is not WGS84 lon/lat", ErrBadUnit, what, code, pt)
					}
				}
			}
		}
	}
	return nil
}

func normalizeUnits(units []Unit) []Unit {
	out := make([]Unit, len(units))
	for i, u := range units {
		out[i] = Unit{Code: strings.TrimSpace(u.Code), Name: u.Name, Geometry: NormalizeOrientation(u.Geometry)}
	}
	return out
}

// countyCode is the county (6-digit) prefix of a division code, or "".
func countyCode(code string) string {
	if len(code) < 6 {
		return ""
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return code[:6]
}

func (reg *Region) groupCounties() {
	reg.townshipCounty = make([]int, len(reg.Townships))
	index := map[string]int{}
	for i, t := range reg.Townships {
		c := countyCode(t.Code)
		k, ok := index[c]
		if !ok {
			k = len(reg.counties)
			index[c] = k
			reg.counties = append(reg.counties, countyGroup{code: c})
		}
		reg.counties[k].townships = append(reg.counties[k].townships, i)
		reg.townshipCounty[i] = k
	}
}

// Locate returns the index of the township containing p, or -1. A point on a
// boundary shared by two townships goes to the first in input order.
func (reg *Region) Locate(p orb.Point) int { return reg.tLoc.locate(p) }

// LocateVillage returns the index of the village containing p, or -1.
func (reg *Region) LocateVillage(p orb.Point) int { return reg.vLoc.locate(p) }

// locator finds the unit containing a point: an R-tree of the units' polygon
// parts, then an exact point-in-polygon test (boundary points count as inside).
type locator struct {
	tree  rtree.RTreeG[int32] // part index
	parts []locPart
}

type locPart struct {
	unit int32
	poly orb.Polygon
}

func newLocator(units []Unit) locator {
	var l locator
	for i, u := range units {
		for _, p := range u.Geometry {
			if len(p) == 0 {
				continue
			}
			b := p[0].Bound()
			l.tree.Insert(b.Min, b.Max, int32(len(l.parts)))
			l.parts = append(l.parts, locPart{unit: int32(i), poly: p})
		}
	}
	return l
}

func (l *locator) locate(p orb.Point) int {
	best := -1
	l.tree.Search(p, p, func(_, _ [2]float64, k int32) bool {
		part := &l.parts[k]
		if u := int(part.unit); (best < 0 || u < best) && polygonContains(part.poly, p) {
			best = u
		}
		return true
	})
	return best
}

// polygonContains reports whether p lies in polygon poly (RFC 7946 rings),
// points on any ring counting as inside.
func polygonContains(poly orb.Polygon, p orb.Point) bool {
	in, on := ringContains(poly[0], p)
	if on {
		return true
	}
	if !in {
		return false
	}
	for _, h := range poly[1:] {
		in, on := ringContains(h, p)
		if on {
			return true
		}
		if in {
			return false
		}
	}
	return true
}

// ringContains is the crossing-number test, with on reporting p on the ring.
func ringContains(r orb.Ring, p orb.Point) (in, on bool) {
	n := len(r)
	if n < 3 {
		return false, false
	}
	a := r[n-1]
	for _, b := range r {
		minX, maxX := min(a[0], b[0]), max(a[0], b[0])
		minY, maxY := min(a[1], b[1]), max(a[1], b[1])
		if p[1] >= minY && p[1] <= maxY && p[0] >= minX && p[0] <= maxX &&
			(b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]) == 0 {
			return false, true
		}
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				in = !in
			}
		}
		a = b
	}
	return in, false
}

// containsPoint reports whether mp contains p (boundary included).
func containsPoint(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if len(poly) > 0 && polygonContains(poly, p) {
			return true
		}
	}
	return false
}

func (reg *Region) placeVillages() {
	reg.villageTownship = make([]int, len(reg.Villages))
	reg.villageCenter = make([]orb.Point, len(reg.Villages))
	byCode := make(map[string]int, len(reg.Townships))
	for i, t := range reg.Townships {
		byCode[t.Code] = i
	}
	for i, v := range reg.Villages {
		reg.villageCenter[i] = InteriorPoint(v.Geometry)
		t := -1
		if len(v.Code) > 9 {
			if k, ok := byCode[v.Code[:9]]; ok {
				t = k
			}
		}
		if t < 0 {
			t = reg.Locate(reg.villageCenter[i])
		}
		reg.villageTownship[i] = t
	}
}

// InteriorPoint returns the representative point of a (multi)polygon: the
// centroid of its largest part when that lies inside the part, else the middle
// of the widest stretch of the part along the horizontal line through the
// centroid. Villages are "served" when the cell holding this point is reached.
func InteriorPoint(mp orb.MultiPolygon) orb.Point {
	var best orb.Polygon
	var bestArea float64
	for _, p := range mp {
		if a := planar.Area(p); a > bestArea || best == nil {
			best, bestArea = p, a
		}
	}
	if best == nil {
		return orb.Point{math.NaN(), math.NaN()}
	}
	c, _ := planar.CentroidArea(best)
	if polygonContains(best, c) {
		return c
	}
	y := c[1]
	b := best.Bound()
	if y <= b.Min[1] || y >= b.Max[1] {
		y = (b.Min[1] + b.Max[1]) / 2
	}
	var xs []float64
	for _, r := range best {
		for i := 0; i+1 < len(r); i++ {
			a, e := r[i], r[i+1]
			if (a[1] > y) != (e[1] > y) {
				xs = append(xs, a[0]+(y-a[1])*(e[0]-a[0])/(e[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	wide, at := -1.0, c
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > wide {
			wide, at = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	return at
}

// parallelEach calls fn(i) for i in [0, n) on up to workers goroutines, and
// stops early (returning ctx.Err()) when ctx is done.
func parallelEach(ctx context.Context, n, workers int, fn func(i int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
