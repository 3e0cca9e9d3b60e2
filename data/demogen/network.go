package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The road network of the demo (路网, data/demo/network.osm, OSM XML): the
// county's roads (roads.geojson), village roads from every village centre to
// its township seat (few and winding in the western mountains: every second
// village, on tracks that follow the valleys), a pier road on the mainland and
// (from the county seat) and on 大鳌岛 and the ferry between them (route=ferry, duration 10 min). 北星岛
// keeps its one street and has no ferry; 南礁岛 and 小礁岛 have no roads.
// Ways cross at shared nodes (every crossing is a junction).

// FerryMinutes is the tagged crossing time of the demo ferry (鳌屿轮渡).
const FerryMinutes = 10

// networkConnections are roads between township seats that only the network has.
var networkConnections = [][3]string{{"澄川街道", "鹤鸣街道", "澄鹤路"}}

type netWay struct {
	tags [][2]string
	line []pt
}

type demoNetwork struct {
	nodes []pt // node i has OSM id i+1
	ways  [][]int64
	tags  [][][2]string
}

// buildNetwork lays out the demo network (deterministic; no random draws).
func (d *demo) buildNetwork() *demoNetwork {
	c := d.c
	l := c.lat
	var ways []netWay
	for _, r := range d.roads {
		ways = append(ways, netWay{[][2]string{{"highway", r.kind}, {"name", r.name}}, r.line})
	}
	// The seat joins the nearest street of its township (the streets cross near it).
	for t := range c.towns {
		seat := roundMicro(c.seatPoint(t))
		best, bestD := pt{}, math.Inf(1)
		for _, r := range d.roads {
			if r.town != t || r.connect {
				continue
			}
			for i := 0; i+1 < len(r.line); i++ {
				q := closestOnSeg(seat, r.line[i], r.line[i+1])
				if dd := distKm(seat, q); dd < bestD {
					best, bestD = q, dd
				}
			}
		}
		if bestD > 1e-4 && bestD < 1 {
			ways = append(ways, netWay{[][2]string{{"highway", "residential"}}, []pt{seat, roundMicro(best)}})
		}
	}
	// Roads of the network only (not numbered in roads.geojson): 澄川街道 has no
	// inter-township road of its own.
	for _, cn := range networkConnections {
		a, b := c.townIndex(cn[0]), c.townIndex(cn[1])
		ways = append(ways, netWay{[][2]string{{"highway", "secondary"}, {"name", cn[2]}}, c.landPath(c.towns[a].seatQuad, c.towns[b].seatQuad)})
	}
	// Village roads.
	for t, tw := range c.towns {
		for k, vi := range tw.vils {
			v := c.vils[vi]
			if v.seed == tw.seatQuad {
				continue
			}
			label := c.land[v.seed]
			if label != mainland && label != islandBase {
				continue // only the mainland and 大鳌岛 have village roads
			}
			if label != c.land[tw.seatQuad] {
				continue
			}
			hw, tol := "unclassified", 0.15
			switch tw.class {
			case classMountain:
				if k%2 == 1 {
					continue // few roads in the mountains
				}
				hw, tol = "track", 0.03
			case classUrban:
				hw = "residential"
			}
			_ = t
			ways = append(ways, netWay{[][2]string{{"highway", hw}, {"name", v.place + "路"}}, c.landPathOn(label, v.seed, tw.seatQuad, tol)})
		}
	}
	// Piers and the ferry to 大鳌岛.
	island := slices.IndexFunc(c.towns, func(t township) bool { return t.class == classIsland })
	iseat := c.towns[island].seatQuad
	mPier, iPier := -1, -1
	for q := range c.land {
		if c.land[q] == mainland && c.townOf[q] >= 0 && (mPier < 0 || distKm(l.centroid(q), l.centroid(iseat)) < distKm(l.centroid(mPier), l.centroid(iseat))) {
			mPier = q
		}
	}
	for q := range c.land {
		if c.land[q] == islandBase && (iPier < 0 || distKm(l.centroid(q), l.centroid(mPier)) < distKm(l.centroid(iPier), l.centroid(mPier))) {
			iPier = q
		}
	}
	// The pier road starts at the county seat (鹤鸣街道).
	mt := c.townIndex("鹤鸣街道")
	ways = append(ways,
		netWay{[][2]string{{"highway", "primary"}, {"name", "码头路"}}, c.landPathOn(mainland, c.towns[mt].seatQuad, mPier, 0.15)},
		netWay{[][2]string{{"highway", "secondary"}, {"name", "鳌屿码头路"}}, c.landPathOn(islandBase, iseat, iPier, 0.15)},
		netWay{[][2]string{{"route", "ferry"}, {"name", "鳌屿轮渡"}, {"duration", fmt.Sprintf("00:%02d", FerryMinutes)}, {"foot", "yes"}, {"motor_vehicle", "yes"}},
			[]pt{roundMicro(l.centroid(mPier)), roundMicro(l.centroid(iPier))}},
	)
	return nodeWays(ways)
}

func closestOnSeg(p, a, b pt) pt {
	ax, ay := (b[0]-a[0])*kmPerDegLon, (b[1]-a[1])*kmPerDegLat
	qx, qy := (p[0]-a[0])*kmPerDegLon, (p[1]-a[1])*kmPerDegLat
	l2 := ax*ax + ay*ay
	s := 0.0
	if l2 > 0 {
		s = math.Max(0, math.Min(1, (qx*ax+qy*ay)/l2))
	}
	return pt{a[0] + s*(b[0]-a[0]), a[1] + s*(b[1]-a[1])}
}

// segCross returns where segments ab and cd cross (parameters along each,
// strictly inside or at an end), ok false when they do not meet or are parallel.
func segCross(a, b, c, d pt) (float64, float64, bool) {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	if den == 0 {
		return 0, 0, false
	}
	qx, qy := c[0]-a[0], c[1]-a[1]
	t := (qx*sy - qy*sx) / den
	u := (qx*ry - qy*rx) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return 0, 0, false
	}
	return t, u, true
}

// nodeWays puts a shared node at every crossing of two ways (and where a
// way's end lies on another), numbering nodes by their first use.
func nodeWays(ways []netWay) *demoNetwork {
	type split struct {
		t float64
		p pt
	}
	extra := make([][][]split, len(ways))
	for i, w := range ways {
		extra[i] = make([][]split, len(w.line)-1)
	}
	for i := range ways {
		for si := 0; si+1 < len(ways[i].line); si++ {
			a, b := ways[i].line[si], ways[i].line[si+1]
			for j := i; j < len(ways); j++ {
				for sj := 0; sj+1 < len(ways[j].line); sj++ {
					if j == i && sj <= si+1 {
						continue
					}
					c, d := ways[j].line[sj], ways[j].line[sj+1]
					if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
						math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
						continue
					}
					t, u, ok := segCross(a, b, c, d)
					if !ok {
						continue
					}
					p := roundMicro(pt{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
					extra[i][si] = append(extra[i][si], split{t, p})
					extra[j][sj] = append(extra[j][sj], split{u, p})
				}
			}
		}
	}
	nw := &demoNetwork{}
	ids := map[pt]int64{}
	node := func(p pt) int64 {
		if id, ok := ids[p]; ok {
			return id
		}
		nw.nodes = append(nw.nodes, p)
		ids[p] = int64(len(nw.nodes))
		return ids[p]
	}
	for i, w := range ways {
		var ns []int64
		add := func(p pt) {
			id := node(p)
			if len(ns) == 0 || ns[len(ns)-1] != id {
				ns = append(ns, id)
			}
		}
		for si := 0; si+1 < len(w.line); si++ {
			add(w.line[si])
			ex := extra[i][si]
			slices.SortStableFunc(ex, func(x, y split) int {
				switch {
				case x.t < y.t:
					return -1
				case x.t > y.t:
					return 1
				}
				return 0
			})
			for _, e := range ex {
				add(e.p)
			}
		}
		add(w.line[len(w.line)-1])
		if len(ns) >= 2 {
			nw.ways = append(nw.ways, ns)
			nw.tags = append(nw.tags, w.tags)
		}
	}
	return nw
}

// networkOSM renders the network as OSM XML (nodes, then ways; synthetic=yes on every way).
func (nw *demoNetwork) networkOSM() []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	b.WriteString("<osm version=\"0.6\" generator=\"fangyuan demogen (SYNTHETIC demo data)\">\n")
	for i, p := range nw.nodes {
		fmt.Fprintf(&b, " <node id=\"%d\" version=\"1\" lat=\"%.6f\" lon=\"%.6f\"/>\n", i+1, p[1], p[0])
	}
	for i, ns := range nw.ways {
		fmt.Fprintf(&b, " <way id=\"%d\" version=\"1\">\n", i+1)
		for _, n := range ns {
			fmt.Fprintf(&b, "  <nd ref=\"%d\"/>\n", n)
		}
		for _, t := range nw.tags[i] {
			fmt.Fprintf(&b, "  <tag k=\"%s\" v=\"%s\"/>\n", t[0], xmlEscape(t[1]))
		}
		b.WriteString("  <tag k=\"synthetic\" v=\"yes\"/>\n")
		b.WriteString(" </way>\n")
	}
	b.WriteString("</osm>\n")
	return []byte(b.String())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace(s)
}
