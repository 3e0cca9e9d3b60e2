package network

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Disc is a point of the network reached from a facility with time to
// spare: the isochrone holds every point within R metres of it.
type Disc struct {
	P orb.Point
	R float64 // metres: the walk the remaining time allows, at most the profile's MaxAccessM
}

// Isochrone is what a facility reaches within minutes: the reached parts of
// the roads (ferries are crossed, never left mid-way), sampled every Step
// metres, each sample with the walk its remaining time still allows (at the
// profile's walking speed, at most MaxAccessM, the access rule of the reach:
// a cell centre counts when it can walk to a reached road in time). The
// isochrone polygon is the union of the discs (see runs: ST_Union of
// ST_Buffer on geography in PostGIS).
type Isochrone struct {
	Discs        []Disc
	Step         float64 // sampling step along the roads, metres
	NodesReached int
	Snap         Snap // the facility's access to the network
}

// MaxIsochroneDiscs bounds an isochrone's samples (a long drive on a large
// network): beyond it the request is refused.
const MaxIsochroneDiscs = 400_000

// Isochrone computes the isochrone of a facility at src within minutes.
func (g *Graph) Isochrone(src orb.Point, minutes float64) (*Isochrone, error) {
	if !(minutes > 0 && minutes <= 24*60) {
		return nil, fmt.Errorf("isochrone: %v minutes must be in (0, 1440]", minutes)
	}
	p := g.Profile
	walk := p.WalkKmh / 3.6
	limit := minutes * 60
	sn := g.Snap(src)
	iso := &Isochrone{Snap: sn, Step: min(max(p.MaxAccessM/4, 10), 250)}
	if sn.Edge < 0 {
		return iso, nil
	}
	s := g.NewSearch()
	s.Run(g.seeds(sn, 0, walk, nil), limit)
	for _, u := range s.Touched {
		if s.St[u].Dist <= limit {
			iso.NodesReached++
		}
	}
	// sample adds the discs of edge e from fraction f0 towards f1, leaving
	// f0 with rem seconds and spending cost seconds per whole edge.
	sample := func(e int, f0, f1, rem, cost float64) {
		if rem < 0 || math.IsInf(cost, 1) {
			return
		}
		length := float64(g.cum[g.ptOff[e+1]-1])
		span := math.Abs(f1 - f0)
		if cost > 0 {
			span = min(span, rem/cost) // how far the time goes
		}
		n := int(math.Ceil(span * length / iso.Step))
		dir := 1.0
		if f1 < f0 {
			dir = -1
		}
		add := func(d float64) {
			r := min((rem-d*cost)*walk, p.MaxAccessM)
			if r > 0 && len(iso.Discs) <= MaxIsochroneDiscs {
				iso.Discs = append(iso.Discs, Disc{g.pointAt(e, f0+dir*d), r})
			}
		}
		for k := 0; k <= n; k++ {
			d := span
			if n > 0 {
				d = span * float64(k) / float64(n)
			}
			add(d)
		}
		// Where the remaining walk drops below MaxAccessM the discs start to
		// shrink: that point's full disc bounds the ones after it.
		if cost > 0 {
			if d := (rem - p.MaxAccessM/walk) / cost; d > 0 && d < span {
				add(d)
			}
		}
	}
	for e := range g.EU {
		if g.EFerry[e] {
			continue
		}
		u, v := g.EU[e], g.EV[e]
		if du := s.St[u].Dist; du <= limit {
			sample(e, 0, 1, limit-du, float64(g.EFwd[e]))
		}
		if dv := s.St[v].Dist; dv <= limit {
			sample(e, 1, 0, limit-dv, float64(g.EBwd[e]))
		}
	}
	// The facility's own edge, both ways from its access point.
	w := float64(sn.Walk) / walk
	t := float64(sn.T)
	sample(int(sn.Edge), t, 1, limit-w, float64(g.EFwd[sn.Edge]))
	sample(int(sn.Edge), t, 0, limit-w, float64(g.EBwd[sn.Edge]))
	if len(iso.Discs) > MaxIsochroneDiscs {
		return nil, fmt.Errorf("isochrone: more than %d samples of the reached roads; ask for fewer minutes", MaxIsochroneDiscs)
	}
	return iso, nil
}

// pointAt is the point at fraction f (by length) along edge e.
func (g *Graph) pointAt(e int, f float64) orb.Point {
	lo, hi := g.ptOff[e], g.ptOff[e+1]-1
	total := float64(g.cum[hi])
	target := min(max(f, 0), 1) * total
	for j := lo; j < hi; j++ {
		c0, c1 := float64(g.cum[j]), float64(g.cum[j+1])
		if target <= c1 || j+1 == hi {
			a, b := g.pts[j], g.pts[j+1]
			if c1 <= c0 {
				return a
			}
			x := min(max((target-c0)/(c1-c0), 0), 1)
			return orb.Point{a[0] + x*(b[0]-a[0]), a[1] + x*(b[1]-a[1])}
		}
	}
	return g.pts[lo]
}
