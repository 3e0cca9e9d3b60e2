package main

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

type road struct {
	name     string
	town     int // township of the numbering origin (admin_code)
	kind     string
	oddSide  string // left | right, walking away from the origin
	oneSided bool
	line     []pt
	connect  bool // a road between townships
}

// roundMicro rounds to whole microdegrees (≈ 0.1 m).
func roundMicro(p pt) pt {
	return pt{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
}

func offsetKm(p pt, east, north float64) pt {
	return pt{p[0] + east/kmPerDegLon, p[1] + north/kmPerDegLat}
}

// seatPoint is the township seat: the centroid of its seat quad.
func (c *county) seatPoint(t int) pt { return c.lat.centroid(c.towns[t].seatQuad) }

// connections between township seats: from, to, name, kind.
var connections = []struct {
	from, to   string
	name, kind string
}{
	{"鹤鸣街道", "枫渡镇", "方圆大道", "primary"},
	{"望潮街道", "桐湾镇", "滨海大道", "primary"},
	{"玉澜街道", "梅屿镇", "梅澜公路", "primary"},
	{"枫渡镇", "青岚镇", "青枫公路", "secondary"},
	{"枫渡镇", "龙栖镇", "枫龙公路", "secondary"},
	{"枫渡镇", "岚峰乡", "枫岚公路", "secondary"},
	{"青岚镇", "雾岭乡", "青雾公路", "secondary"},
	{"龙栖镇", "云岫乡", "龙岫公路", "secondary"},
	{"龙栖镇", "梅屿镇", "龙梅公路", "secondary"},
	{"桐湾镇", "青岚镇", "桐青公路", "secondary"},
	{"岚峰乡", "雾岭乡", "岚雾公路", "secondary"},
	{"岚峰乡", "云岫乡", "岚岫公路", "secondary"},
}

func (c *county) townIndex(name string) int {
	for t, tw := range c.towns {
		if tw.name == name {
			return t
		}
	}
	panic("no township " + name)
}

func (c *county) buildRoads(rng *rand.Rand) []road {
	var roads []road
	for t := range c.towns {
		roads = append(roads, c.townStreets(rng, t)...)
	}
	for _, cn := range connections {
		a, b := c.townIndex(cn.from), c.townIndex(cn.to)
		line := c.landPath(c.towns[a].seatQuad, c.towns[b].seatQuad)
		roads = append(roads, road{
			name: cn.name, town: a, kind: cn.kind, oddSide: pickSide(rng),
			line: line, connect: true,
		})
	}
	return roads
}

func pickSide(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return "right"
	}
	return "left"
}

// townStreets lays a small street grid over the township seat: streets 0
// and 1 cross at the seat, the others run parallel to them. Each street is
// cut back to the part that lies inside the township.
func (c *county) townStreets(rng *rand.Rand, t int) []road {
	tw := &c.towns[t]
	var spacing, half float64
	switch tw.class {
	case classUrban:
		spacing, half = 0.45, 1.3
	case classTown:
		spacing, half = 0.35, 0.9
	default:
		spacing, half = 0.3, 0.55
	}
	theta := -0.4 + 0.8*rng.Float64()
	e1 := pt{math.Cos(theta), math.Sin(theta)}
	e2 := pt{-e1[1], e1[0]}
	seat := c.seatPoint(t)
	var out []road
	for k, name := range tw.street {
		dir, perp := e1, e2
		if k%2 == 1 {
			dir, perp = e2, e1
		}
		m := k / 2
		off := float64((m+1)/2) * spacing
		if m%2 == 0 {
			off = -off
		}
		var line []pt
		const nseg = 6
		for s := 0; s <= nseg; s++ {
			along := -half + 2*half*float64(s)/nseg
			wig := 0.0
			if s > 0 && s < nseg {
				wig = -0.02 + 0.04*rng.Float64()
			}
			line = append(line, roundMicro(offsetKm(seat,
				dir[0]*along+perp[0]*(off+wig), dir[1]*along+perp[1]*(off+wig))))
		}
		if rng.IntN(2) == 0 {
			for i, j := 0, len(line)-1; i < j; i, j = i+1, j-1 {
				line[i], line[j] = line[j], line[i]
			}
		}
		line = clipInside(line, tw.poly)
		if len(line) < 3 {
			continue
		}
		kind := "residential"
		switch {
		case k == 0 && tw.class == classUrban:
			kind = "primary"
		case k == 0 || (k == 1 && tw.class == classUrban):
			kind = "secondary"
		}
		out = append(out, road{
			name: name, town: t, kind: kind, oddSide: pickSide(rng),
			oneSided: strings.Contains(name, "滨") || strings.Contains(name, "观海"),
			line:     line,
		})
	}
	if tw.class == classIsland {
		// One street on the second island, through its village centre.
		for _, vi := range tw.vils {
			v := c.vils[vi]
			if c.land[v.seed] != islandBase+1 {
				continue
			}
			var line []pt
			for s := 0; s <= 4; s++ {
				line = append(line, roundMicro(offsetKm(v.center, -0.35+0.175*float64(s), 0.02*float64(s%2))))
			}
			line = clipInside(line, v.poly)
			if len(line) >= 3 {
				out = append(out, road{name: "北星路", town: t, kind: "residential", oddSide: "left", line: line})
			}
		}
	}
	return out
}

// clipInside keeps the longest run of vertices around the middle of the line
// that lies in the interior of mp.
func clipInside(line []pt, mp [][][]pt) []pt {
	mid := len(line) / 2
	if !inMulti(line[mid], mp) {
		return nil
	}
	lo, hi := mid, mid
	for lo > 0 && inMulti(line[lo-1], mp) && !segTouchesBoundary(line[lo-1], line[lo], mp) {
		lo--
	}
	for hi+1 < len(line) && inMulti(line[hi+1], mp) && !segTouchesBoundary(line[hi], line[hi+1], mp) {
		hi++
	}
	return line[lo : hi+1]
}

// terrain is the cost factor of building a road at p (smooth hills and
// valleys, ≈ 5 km across); roads follow the cheap valleys and so wind.
func terrain(p pt) float64 {
	x, y := p[0]-119.5, p[1]-28
	return 1.6 + math.Sin(97*x+1.3)*math.Sin(113*y+0.7) + 0.5*math.Sin(71*(x-y)+2.1)
}

const minTerrain = 0.1 // lower bound of terrain(), keeps the A* heuristic admissible

// landPath finds a shortest path over mainland quads (8-neighbour moves, a
// diagonal only when both quads beside it are land) and simplifies it while
// every segment stays inside the county.
func (c *county) landPath(from, to int) []pt { return c.landPathOn(mainland, from, to, 0.15) }

// landPathOn is landPath over the quads of land mass label (mainland or an
// island), simplified to tolKm (a small tolerance keeps the windings).
func (c *county) landPathOn(label, from, to int, tolKm float64) []pt {
	l := c.lat
	land := func(i, j int) bool {
		return i >= 0 && j >= 0 && i < l.nx && j < l.ny && c.land[l.qi(i, j)] == label
	}
	dist := make([]float64, l.nq())
	prev := make([]int, l.nq())
	for i := range dist {
		dist[i] = math.Inf(1)
		prev[i] = -1
	}
	goal := l.centroid(to)
	h := &pq{}
	dist[from] = 0
	heap.Push(h, pqItem{minTerrain * distKm(l.centroid(from), goal), from, 0})
	done := make([]bool, l.nq())
	for h.Len() > 0 {
		it := heap.Pop(h).(pqItem)
		if done[it.q] {
			continue
		}
		done[it.q] = true
		if it.q == to {
			break
		}
		i, j := l.qij(it.q)
		for dj := -1; dj <= 1; dj++ {
			for di := -1; di <= 1; di++ {
				if (di == 0 && dj == 0) || !land(i+di, j+dj) {
					continue
				}
				if di != 0 && dj != 0 && (!land(i+di, j) || !land(i, j+dj)) {
					continue
				}
				n := l.qi(i+di, j+dj)
				d := dist[it.q] + distKm(l.centroid(it.q), l.centroid(n))*(terrain(l.centroid(it.q))+terrain(l.centroid(n)))/2
				if d < dist[n] {
					dist[n] = d
					prev[n] = it.q
					heap.Push(h, pqItem{d + minTerrain*distKm(l.centroid(n), goal), n, 0})
				}
			}
		}
	}
	if prev[to] < 0 {
		panic(fmt.Sprintf("no land path from quad %d to %d", from, to))
	}
	var path []pt
	for q := to; q >= 0; q = prev[q] {
		path = append([]pt{l.centroid(q)}, path...)
	}
	for i := range path {
		path[i] = roundMicro(path[i])
	}
	keep := []int{0}
	c.simplify(path, 0, len(path)-1, tolKm, &keep)
	out := make([]pt, len(keep))
	for i, k := range keep {
		out[i] = path[k]
	}
	return out
}

// simplify is Douglas–Peucker that also refuses shortcuts leaving the
// county; it appends the kept indices after i up to and including j.
func (c *county) simplify(p []pt, i, j int, tolKm float64, keep *[]int) {
	far, farD := -1, 0.0
	for k := i + 1; k < j; k++ {
		if d := segDistKm(p[k], p[i], p[j]); d > farD {
			far, farD = k, d
		}
	}
	if far < 0 || (farD <= tolKm && !segTouchesBoundary(p[i], p[j], c.poly)) {
		*keep = append(*keep, j)
		return
	}
	c.simplify(p, i, far, tolKm, keep)
	c.simplify(p, far, j, tolKm, keep)
}

// segDistKm is the distance in km from q to segment ab.
func segDistKm(q, a, b pt) float64 {
	ax, ay := (b[0]-a[0])*kmPerDegLon, (b[1]-a[1])*kmPerDegLat
	qx, qy := (q[0]-a[0])*kmPerDegLon, (q[1]-a[1])*kmPerDegLat
	l2 := ax*ax + ay*ay
	s := 0.0
	if l2 > 0 {
		s = math.Max(0, math.Min(1, (qx*ax+qy*ay)/l2))
	}
	dx, dy := qx-s*ax, qy-s*ay
	return math.Sqrt(dx*dx + dy*dy)
}

// ---- house numbers ----

// houseNumber is the number a building at p gets on road r: numbers grow
// away from the origin (the first vertex), one pair per 15 m; odd numbers on
// r.oddSide, even ones opposite; one-sided roads use odd numbers only.
func houseNumber(r road, p pt) int {
	bestD, s, side := math.Inf(1), 0.0, 0.0
	var acc float64
	for i := 0; i+1 < len(r.line); i++ {
		a, b := r.line[i], r.line[i+1]
		segLen := distKm(a, b)
		ax, ay := (b[0]-a[0])*kmPerDegLon, (b[1]-a[1])*kmPerDegLat
		qx, qy := (p[0]-a[0])*kmPerDegLon, (p[1]-a[1])*kmPerDegLat
		f := 0.0
		if segLen > 0 {
			f = math.Max(0, math.Min(1, (qx*ax+qy*ay)/(segLen*segLen)))
		}
		dx, dy := qx-f*ax, qy-f*ay
		if d := math.Hypot(dx, dy); d < bestD {
			bestD, s, side = d, acc+f*segLen, ax*qy-ay*qx
		}
		acc += segLen
	}
	pair := int(s*1000/15) + 1 // 1-based
	left := side > 0
	odd := r.oneSided || (left == (r.oddSide == "left"))
	if odd {
		return 2*pair - 1
	}
	return 2 * pair
}

// pointAlong returns the point at fraction f of the road's length, moved
// offKm to its left (negative: right).
func pointAlong(r road, f, offKm float64) pt {
	target := f * lineLengthKm(r.line)
	var acc float64
	for i := 0; i+1 < len(r.line); i++ {
		a, b := r.line[i], r.line[i+1]
		segLen := distKm(a, b)
		if acc+segLen >= target || i+2 == len(r.line) {
			g := (target - acc) / segLen
			ex, ey := (b[0]-a[0])*kmPerDegLon/segLen, (b[1]-a[1])*kmPerDegLat/segLen
			p := pt{a[0] + g*(b[0]-a[0]), a[1] + g*(b[1]-a[1])}
			return roundMicro(offsetKm(p, -ey*offKm, ex*offKm))
		}
		acc += segLen
	}
	return r.line[0]
}
