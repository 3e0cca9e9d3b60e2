// Package network is the road network of the travel-time reach: roads and
// ferries imported from OpenStreetMap (or stored in PostGIS), a compact graph
// per travel profile (CSR arrays, no pointer structs), snapping of points to the
// nearest road, and the multi-source search that implements coverage.Reach.
package network

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/geo"
	"fangyuan/importers/parse"
)

// Edge is one road or ferry section between two junctions (a node shared by
// several ways, or a way's end).
type Edge struct {
	WayID    int64
	From, To int64 // node ids at the ends (OSM node ids)
	Geom     orb.LineString
	Class    string // highway class; "ferry" for ferries
	// MaxspeedFwd, MaxspeedBwd: posted speeds (km/h) along and against Geom; 0 untagged.
	MaxspeedFwd, MaxspeedBwd float64
	Oneway                   int8 // 0 both ways, 1 along Geom only, -1 against only
	Foot, Motor              bool
	Bridge, Tunnel, Ferry    bool
	// DurationS is, for a ferry, the tagged crossing time of this section in
	// seconds (the way's duration split by length); 0 when untagged.
	DurationS float64
	// WaitShare is the share of the way's length this section has (ferries:
	// the average wait is charged in proportion, once per crossing).
	WaitShare float64
	LengthM   float64 // geodesic length (WGS84)
}

// Network is a set of edges.
type Network struct {
	Edges []Edge
}

// LineLength is the geodesic length of l in metres (sum of the segments'
// WGS84 distances).
func LineLength(l orb.LineString) float64 {
	var s float64
	for i := 1; i < len(l); i++ {
		s += geo.Distance(l[i-1], l[i])
	}
	return s
}

// FromOSM splits the ways at junctions (nodes used by more than one way, or
// twice by one way) into edges, as routers do (osm2pgrouting splits the same way).
func FromOSM(ways []parse.OSMWay) (*Network, error) {
	uses := map[int64]int32{}
	for _, w := range ways {
		for i, n := range w.Nodes {
			if i == 0 || i == len(w.Nodes)-1 {
				uses[n] += 2 // ends are always junctions
			} else {
				uses[n]++
			}
		}
	}
	nw := &Network{}
	for _, w := range ways {
		if len(w.Nodes) != len(w.Points) || len(w.Nodes) < 2 {
			return nil, fmt.Errorf("way %d: %d nodes, %d points", w.ID, len(w.Nodes), len(w.Points))
		}
		total := LineLength(w.Points)
		class := w.Highway
		if w.Ferry {
			class = "ferry"
		}
		start := 0
		for i := 1; i < len(w.Nodes); i++ {
			if i < len(w.Nodes)-1 && uses[w.Nodes[i]] < 2 {
				continue
			}
			g := append(orb.LineString(nil), w.Points[start:i+1]...)
			l := LineLength(g)
			e := Edge{
				WayID: w.ID, From: w.Nodes[start], To: w.Nodes[i], Geom: g, Class: class,
				MaxspeedFwd: w.MaxspeedFwd, MaxspeedBwd: w.MaxspeedBwd, Oneway: w.Oneway,
				Foot: w.Foot, Motor: w.Motor, Bridge: w.Bridge, Tunnel: w.Tunnel, Ferry: w.Ferry,
				LengthM: l,
			}
			share := 1.0
			if total > 0 {
				share = l / total
			} else {
				share = 1 / float64(len(w.Nodes)-1)
			}
			e.WaitShare = share
			if w.DurationS > 0 {
				e.DurationS = w.DurationS * share
			}
			nw.Edges = append(nw.Edges, e)
			start = i
		}
	}
	return nw, nil
}

// Profile is how one travel mode uses the network.
type Profile struct {
	Name string // walk, drive, …
	// Walk: every foot-accessible way at WalkKmh, both directions. Drive: every
	// motor-accessible way of a class in Speeds, at its maxspeed tag when
	// UseMaxspeed (and tagged), else the class speed; oneway respected.
	Walk        bool
	WalkKmh     float64            // walking speed (also the off-network access speed)
	Speeds      map[string]float64 // drive: km/h per highway class; classes not listed are not used
	UseMaxspeed bool
	// IgnoreAccess uses ways whatever their access tags (routers that read no
	// access tags, like osm2pgrouting's default configuration).
	IgnoreAccess bool
	// Ferries: a crossing takes its tagged duration, else its length at
	// FerryKmh (0: untagged ferries are not used), plus FerryWaitMin on
	// boarding. NoFerries leaves ferries out.
	FerryKmh     float64
	FerryWaitMin float64
	NoFerries    bool
	// MaxAccessM is how far a cell centre or a facility may walk (straight) to
	// the nearest road; beyond it the point is not on the network.
	MaxAccessM float64
}

// Validate checks a profile.
func (p *Profile) Validate() error {
	if !(p.WalkKmh > 0 && p.WalkKmh < 30) {
		return fmt.Errorf("profile %s: walking speed %v km/h must be in (0, 30)", p.Name, p.WalkKmh)
	}
	if !p.Walk && len(p.Speeds) == 0 {
		return fmt.Errorf("profile %s: a driving profile needs speeds per road class", p.Name)
	}
	for c, v := range p.Speeds {
		if !(v > 0 && v <= 200) {
			return fmt.Errorf("profile %s: speed of class %s: %v km/h must be in (0, 200]", p.Name, c, v)
		}
	}
	if p.FerryKmh < 0 || p.FerryKmh > 100 || p.FerryWaitMin < 0 || p.FerryWaitMin > 24*60 {
		return fmt.Errorf("profile %s: ferry speed %v km/h or wait %v min out of range", p.Name, p.FerryKmh, p.FerryWaitMin)
	}
	if !(p.MaxAccessM >= 0 && p.MaxAccessM <= 50_000) {
		return fmt.Errorf("profile %s: max access distance %v m must be in [0, 50000]", p.Name, p.MaxAccessM)
	}
	return nil
}

// costs returns the travel time in seconds along and against e; +Inf where
// the profile does not use that direction.
func (p *Profile) costs(e *Edge) (fwd, bwd float64) {
	inf := math.Inf(1)
	if e.Ferry {
		if p.NoFerries || (!p.IgnoreAccess && ((p.Walk && !e.Foot) || (!p.Walk && !e.Motor))) {
			return inf, inf
		}
		t := e.DurationS
		if t <= 0 {
			if p.FerryKmh <= 0 {
				return inf, inf
			}
			t = e.LengthM / (p.FerryKmh / 3.6)
		}
		t += p.FerryWaitMin * 60 * e.WaitShare
		return t, t
	}
	if p.Walk {
		if !p.IgnoreAccess && !e.Foot {
			return inf, inf
		}
		t := e.LengthM / (p.WalkKmh / 3.6)
		return t, t
	}
	if !p.IgnoreAccess && !e.Motor {
		return inf, inf
	}
	cs, ok := p.Speeds[e.Class]
	if !ok {
		return inf, inf
	}
	vf, vb := cs, cs
	if p.UseMaxspeed {
		if e.MaxspeedFwd > 0 {
			vf = e.MaxspeedFwd
		}
		if e.MaxspeedBwd > 0 {
			vb = e.MaxspeedBwd
		}
	}
	fwd, bwd = e.LengthM/(vf/3.6), e.LengthM/(vb/3.6)
	switch e.Oneway {
	case 1:
		bwd = inf
	case -1:
		fwd = inf
	}
	return fwd, bwd
}

// ProfileFrom turns a standards travel profile into a Profile for mode
// ("walk" walks every walkable way; every other mode drives).
func ProfileFrom(mode string, tp coverage.TravelProfile) Profile {
	return Profile{
		Name: mode, Walk: mode == "walk", WalkKmh: tp.WalkKmh, Speeds: tp.SpeedsKmh, UseMaxspeed: tp.UseMaxspeed,
		FerryKmh: tp.FerryKmh, FerryWaitMin: tp.FerryWaitMin, MaxAccessM: tp.MaxAccessM,
	}
}

// ReadOSMFile reads an .osm.pbf extract (optionally only the ways with a node
// in bound) into a network.
func ReadOSMFile(ctx context.Context, path string, bound *orb.Bound) (*Network, error) {
	res, err := parse.ReadOSM(ctx, path, parse.OSMOptions{Bound: bound})
	if err != nil {
		return nil, err
	}
	if len(res.Ways) == 0 {
		return nil, fmt.Errorf("%s: no roads or ferries (highway=*, route=ferry) in the extract%s", path, map[bool]string{true: " within the bounding box", false: ""}[bound != nil])
	}
	return FromOSM(res.Ways)
}

// ForKind builds the travel-time reach of a facility kind: the graph of its
// travel mode's profile (standards "profiles") and its travel minutes.
func ForKind(nw *Network, stds *coverage.Standards, std coverage.Standard) (Travel, error) {
	if std.Travel == nil {
		return Travel{}, fmt.Errorf("kind %s has no travel time in the standards (\"travel\": {\"mode\": \"walk\", \"minutes\": 15})", std.ID)
	}
	tp, err := stds.Profile(std.Travel.Mode)
	if err != nil {
		return Travel{}, fmt.Errorf("kind %s: %w", std.ID, err)
	}
	g, err := Build(nw, ProfileFrom(std.Travel.Mode, tp))
	if err != nil {
		return Travel{}, err
	}
	if len(g.NodeID) == 0 {
		return Travel{}, fmt.Errorf("kind %s: the network has no way usable by the %s profile", std.ID, std.Travel.Mode)
	}
	return Travel{Graph: g, Minutes: std.Travel.Minutes}, nil
}

// ParseBBox reads "west,south,east,north" (degrees, WGS84).
func ParseBBox(s string) (*orb.Bound, error) {
	var w, so, e, n float64
	if _, err := fmt.Sscanf(s, "%g,%g,%g,%g", &w, &so, &e, &n); err != nil {
		return nil, fmt.Errorf("bbox %q: want west,south,east,north in degrees", s)
	}
	if !(w >= -180 && e <= 180 && so >= -90 && n <= 90 && w < e && so < n) {
		return nil, fmt.Errorf("bbox %q: want west < east in [-180, 180] and south < north in [-90, 90]", s)
	}
	return &orb.Bound{Min: orb.Point{w, so}, Max: orb.Point{e, n}}, nil
}

// TravelDistance bounds how far (metres, straight) a trip of minutes can go with profile
// tp: its fastest speed (130 km/h when posted speeds apply) plus the walk to the road; at
// most coverage.MaxRadius. Facilities farther than that from an area cannot reach it.
func TravelDistance(tp coverage.TravelProfile, minutes float64) float64 {
	v := tp.WalkKmh
	for _, x := range tp.SpeedsKmh {
		v = max(v, x)
	}
	if tp.UseMaxspeed {
		v = max(v, 130)
	}
	v = max(v, tp.FerryKmh)
	return min(minutes*60*v/3.6+tp.MaxAccessM, coverage.MaxRadius)
}
