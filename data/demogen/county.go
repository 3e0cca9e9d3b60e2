package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Land labels of a quad.
const (
	sea      = 0
	mainland = 1
	// island k has label islandBase+k
	islandBase = 2
)

type village struct {
	code  string // 12 digits
	name  string // official name: …社区居委会 / …村委会
	place string // place name used in addresses: …社区 / …村
	town  int    // index into county.towns
	comm  bool   // 居委会 (community) rather than 村委会
	seed  int    // seed quad
	quads []int
	poly  [][][]pt

	center pt // seed quad centroid: village centre (村委会/居委会驻地)
	pop    float64
	s60    float64
	s017   float64
	hot    []hotspot
	base   float64 // settlement-free background weight
}

type township struct {
	townSpec
	quads    []int
	seatQuad int
	vils     []int // indices into county.vils, in code order
	poly     [][][]pt
}

type county struct {
	lat    *lattice
	land   []int
	townOf []int // per quad, -1 at sea
	vilOf  []int // per quad, -1 at sea
	towns  []township
	vils   []village
	poly   [][][]pt
}

func harmonic(rng *rand.Rand, amps ...float64) func(t float64) float64 {
	ph := make([]float64, len(amps))
	for i := range ph {
		ph[i] = rng.Float64() * 2 * math.Pi
	}
	return func(t float64) float64 {
		var s float64
		for i, a := range amps {
			s += a * math.Sin(float64(i+2)*t+ph[i])
		}
		return s
	}
}

func buildCounty(seed uint64) *county {
	rng := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
	c := &county{lat: newLattice(rng(1))}
	c.buildLand(rng(2))
	c.buildTownships(rng(3))
	c.buildVillages(rng(4))
	c.tracePolygons()
	return c
}

// ---- land ----

func (c *county) buildLand(rng *rand.Rand) {
	l := c.lat
	c.land = make([]int, l.nq())
	outline := harmonic(rng, 0.07, 0.05, 0.03, 0.03, 0.015, 0.02) // k = 2..7
	coastA, coastB := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
	coast := func(lat float64) float64 {
		t := (lat - 28.0) * 2 * math.Pi
		return 120.066 + 0.012*math.Sin(t/0.21+coastA) + 0.007*math.Sin(t/0.083+coastB)
	}
	islandShape := make([]func(float64) float64, len(islandSpecs))
	for k := range islandSpecs {
		islandShape[k] = harmonic(rng, 0.12, 0.08, 0.04)
	}
	for q := range c.land {
		p := l.centroid(q)
		u, v := (p[0]-119.875)/0.245, (p[1]-28.248)/0.212
		if math.Hypot(u, v) < 1+outline(math.Atan2(v, u)) && p[0] < coast(p[1]) {
			c.land[q] = mainland
			continue
		}
		for k, is := range islandSpecs {
			u, v := (p[0]-is.center[0])/is.ax, (p[1]-is.center[1])/is.ay
			if math.Hypot(u, v) < 1+islandShape[k](math.Atan2(v, u)) {
				c.land[q] = islandBase + k
			}
		}
	}
	labels := []int{mainland}
	for k := range islandSpecs {
		labels = append(labels, islandBase+k)
	}
	for changed := true; changed; {
		changed = false
		for _, lab := range labels {
			changed = c.keepLargest(lab) || changed
			changed = c.fillHoles(lab) || changed
			changed = c.fillPinches(lab) || changed
		}
	}
	// Distinct land masses must be separated by sea, also at corners.
	for q, lab := range c.land {
		if lab == sea {
			continue
		}
		i, j := l.qij(q)
		for dj := -1; dj <= 1; dj++ {
			for di := -1; di <= 1; di++ {
				ii, jj := i+di, j+dj
				if ii < 0 || jj < 0 || ii >= l.nx || jj >= l.ny {
					panic("land touches the lattice edge")
				}
				if o := c.land[l.qi(ii, jj)]; o != sea && o != lab {
					panic(fmt.Sprintf("land masses %d and %d touch at quad %d", lab, o, q))
				}
			}
		}
	}
}

// components returns the edge-connected components of the quads with in(q).
func (c *county) components(in func(q int) bool) [][]int {
	l := c.lat
	seen := make([]bool, l.nq())
	var comps [][]int
	var nb []int
	for q := 0; q < l.nq(); q++ {
		if seen[q] || !in(q) {
			continue
		}
		comp := []int{q}
		seen[q] = true
		for k := 0; k < len(comp); k++ {
			nb = l.neighbors4(comp[k], nb)
			for _, n := range nb {
				if !seen[n] && in(n) {
					seen[n] = true
					comp = append(comp, n)
				}
			}
		}
		comps = append(comps, comp)
	}
	return comps
}

func (c *county) keepLargest(lab int) bool {
	comps := c.components(func(q int) bool { return c.land[q] == lab })
	if len(comps) == 0 {
		panic(fmt.Sprintf("land mass %d is empty", lab))
	}
	big := 0
	for i := range comps {
		if len(comps[i]) > len(comps[big]) {
			big = i
		}
	}
	changed := false
	for i, comp := range comps {
		if i == big {
			continue
		}
		for _, q := range comp {
			c.land[q] = sea
			changed = true
		}
	}
	return changed
}

// fillHoles turns enclosed non-lab pockets into lab (no lakes).
func (c *county) fillHoles(lab int) bool {
	l := c.lat
	changed := false
	for _, comp := range c.components(func(q int) bool { return c.land[q] != lab }) {
		open := false
		for _, q := range comp {
			i, j := l.qij(q)
			if i == 0 || j == 0 || i == l.nx-1 || j == l.ny-1 {
				open = true
				break
			}
		}
		if open {
			continue
		}
		for _, q := range comp {
			if c.land[q] == sea {
				c.land[q] = lab
				changed = true
			}
		}
	}
	return changed
}

// fillPinches removes corner-only contacts of lab quads by filling one of the
// two other quads of the 2×2 block.
func (c *county) fillPinches(lab int) bool {
	l := c.lat
	changed := false
	for j := 0; j+1 < l.ny; j++ {
		for i := 0; i+1 < l.nx; i++ {
			a, b, cc, d := l.qi(i, j), l.qi(i+1, j), l.qi(i, j+1), l.qi(i+1, j+1)
			is := func(q int) bool { return c.land[q] == lab }
			if is(a) && is(d) && !is(b) && !is(cc) {
				c.land[b] = lab
				changed = true
			} else if is(b) && is(cc) && !is(a) && !is(d) {
				c.land[a] = lab
				changed = true
			}
		}
	}
	return changed
}

// ---- townships ----

func (c *county) buildTownships(rng *rand.Rand) {
	l := c.lat
	c.townOf = make([]int, l.nq())
	for q := range c.townOf {
		c.townOf[q] = -1
	}
	c.towns = make([]township, len(townSpecs))
	for t, s := range townSpecs {
		c.towns[t].townSpec = s
		q := l.quadAt(s.seat)
		if q < 0 || c.land[q] == sea {
			panic(fmt.Sprintf("seat of %s is at sea", s.name))
		}
		c.towns[t].seatQuad = q
	}
	wobble := harmonic(rng, 0.0, 0.10, 0.0, 0.05)
	inCore := make([]bool, l.nq())
	for q := range inCore {
		if c.land[q] != mainland {
			continue
		}
		p := l.centroid(q)
		dx, dy := (p[0]-coreCenter[0])*kmPerDegLon, (p[1]-coreCenter[1])*kmPerDegLat
		inCore[q] = math.Hypot(dx, dy) < coreRadiusKm*(1+wobble(math.Atan2(dy, dx)))
	}
	grow := func(class func(string) bool, allowed func(int) bool) {
		var seeds, idx []int
		var speed []float64
		for t, tw := range c.towns {
			if class(tw.class) {
				seeds = append(seeds, tw.seatQuad)
				speed = append(speed, tw.speed)
				idx = append(idx, t)
			}
		}
		owner := l.grow(allowed, seeds, speed)
		for q, o := range owner {
			if o >= 0 {
				c.townOf[q] = idx[o]
			}
		}
	}
	grow(func(cl string) bool { return cl == classUrban }, func(q int) bool { return inCore[q] })
	grow(func(cl string) bool { return cl == classTown || cl == classMountain },
		func(q int) bool { return c.land[q] == mainland && !inCore[q] })
	// Mainland pockets nobody reached join an edge neighbour.
	for changed := true; changed; {
		changed = false
		var nb []int
		for q := range c.townOf {
			if c.land[q] != mainland || c.townOf[q] >= 0 {
				continue
			}
			for _, n := range l.neighbors4(q, nb) {
				if c.townOf[n] >= 0 {
					c.townOf[q] = c.townOf[n]
					changed = true
					break
				}
			}
		}
	}
	island := slices.IndexFunc(c.towns, func(t township) bool { return t.class == classIsland })
	for q, lab := range c.land {
		if lab >= islandBase {
			c.townOf[q] = island
		}
		if lab != sea && c.townOf[q] < 0 {
			panic("unassigned land quad")
		}
	}
	for q, t := range c.townOf {
		if t >= 0 {
			c.towns[t].quads = append(c.towns[t].quads, q)
		}
	}
}

// ---- villages ----

func (c *county) buildVillages(rng *rand.Rand) {
	l := c.lat
	c.vilOf = make([]int, l.nq())
	for q := range c.vilOf {
		c.vilOf[q] = -1
	}
	// Name pools: urban and town villages share the plain pool; every
	// stem is used once.
	pools := map[string][]string{
		"comm": communityStems, classUrban: plainStems, classTown: plainStems,
		classMountain: mountainStems, classIsland: islandStems,
	}
	next := map[string]int{}
	take := func(pool string) string {
		key := pool
		if pool == classUrban {
			key = classTown
		}
		s := pools[pool][next[key]]
		next[key]++
		return s
	}
	for t := range c.towns {
		tw := &c.towns[t]
		seeds, isComm := c.villageSeeds(rng, tw)
		inTown := func(q int) bool { return c.townOf[q] == t }
		speed := make([]float64, len(seeds))
		for i := range seeds {
			switch {
			case tw.class == classUrban && isComm[i]:
				speed[i] = 1
			case tw.class == classUrban:
				speed[i] = 1.3
			case isComm[i]:
				speed[i] = 0.55
			default:
				speed[i] = 1
			}
		}
		// A few Lloyd steps even out the village sizes: each seed moves to
		// the quad nearest the centroid of its region. The seat and the
		// communities around a 镇/乡 seat stay where they are.
		for it := 0; it < 6; it++ {
			owner := l.grow(inTown, seeds, speed)
			sum := make([]pt, len(seeds))
			cnt := make([]int, len(seeds))
			for q, o := range owner {
				if o >= 0 {
					p := l.centroid(q)
					sum[o][0] += p[0]
					sum[o][1] += p[1]
					cnt[o]++
				}
			}
			for i := range seeds {
				if i == 0 || (isComm[i] && tw.class != classUrban) {
					continue
				}
				m := pt{sum[i][0] / float64(cnt[i]), sum[i][1] / float64(cnt[i])}
				best, bestD := seeds[i], math.Inf(1)
				for q, o := range owner {
					if o == i {
						if d := distKm(m, l.centroid(q)); d < bestD {
							best, bestD = q, d
						}
					}
				}
				if !slices.Contains(seeds, best) {
					seeds[i] = best
				}
			}
		}
		owner := l.grow(inTown, seeds, speed)
		// Quads no front reached (islands without a seed) join the seed
		// nearest to their component.
		for _, comp := range c.components(func(q int) bool { return inTown(q) && owner[q] < 0 }) {
			var m pt
			for _, q := range comp {
				p := l.centroid(q)
				m[0] += p[0] / float64(len(comp))
				m[1] += p[1] / float64(len(comp))
			}
			best := 0
			for i, s := range seeds {
				if distKm(m, l.centroid(s)) < distKm(m, l.centroid(seeds[best])) {
					best = i
				}
			}
			for _, q := range comp {
				owner[q] = best
			}
		}
		c.enlargeSmall(owner, inTown, len(seeds), 4)
		// Codes: communities 001.. and villages 200.., each by distance from the seat.
		seat := l.centroid(tw.seatQuad)
		order := make([]int, len(seeds))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if isComm[a] != isComm[b] {
				if isComm[a] {
					return -1
				}
				return 1
			}
			da, db := distKm(seat, l.centroid(seeds[a])), distKm(seat, l.centroid(seeds[b]))
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return 0
		})
		nc, nv := 0, 0
		vidx := make([]int, len(seeds))
		for _, i := range order {
			v := village{town: t, comm: isComm[i], seed: seeds[i], center: l.centroid(seeds[i])}
			if v.comm {
				nc++
				stem := take("comm")
				v.code = fmt.Sprintf("%s%03d", tw.code, nc)
				v.name, v.place = stem+"社区居委会", stem+"社区"
			} else {
				stem := take(tw.class)
				v.code = fmt.Sprintf("%s%03d", tw.code, 200+nv)
				nv++
				v.name, v.place = stem+"村村委会", stem+"村"
			}
			vidx[i] = len(c.vils)
			tw.vils = append(tw.vils, len(c.vils))
			c.vils = append(c.vils, v)
		}
		for q, o := range owner {
			if o >= 0 {
				c.vilOf[q] = vidx[o]
				c.vils[vidx[o]].quads = append(c.vils[vidx[o]].quads, q)
			}
		}
	}
	for _, v := range c.vils {
		if len(v.quads) < 3 {
			panic(fmt.Sprintf("village %s %s has only %d quads", v.code, v.name, len(v.quads)))
		}
	}
}

// villageSeeds picks one seed quad per community and village of a township.
func (c *county) villageSeeds(rng *rand.Rand, tw *township) (seeds []int, isComm []bool) {
	l := c.lat
	n := tw.nComm + tw.nVil
	farFrom := func(q int, dmin float64) bool {
		for _, s := range seeds {
			if distKm(l.centroid(q), l.centroid(s)) < dmin {
				return false
			}
		}
		return true
	}
	// poisson adds up to k seeds from cands, each at least dmin from the
	// others, relaxing dmin when the township is too crowded.
	poisson := func(cands []int, k int, dmin float64) {
		for added := 0; added < k; {
			ok := false
			for try := 0; try < 400; try++ {
				q := cands[rng.IntN(len(cands))]
				if farFrom(q, dmin) {
					seeds = append(seeds, q)
					added++
					ok = true
					break
				}
			}
			if !ok {
				dmin *= 0.9
				if dmin < 0.05 {
					panic(fmt.Sprintf("%s: no room for %d seeds", tw.name, k))
				}
			}
		}
	}
	areaKm := float64(len(tw.quads)) * cellX * cellY / 1e12 * kmPerDegLon * kmPerDegLat
	seeds = append(seeds, tw.seatQuad)
	switch tw.class {
	case classUrban:
		poisson(tw.quads, n-1, 0.8*math.Sqrt(areaKm/float64(n)))
		// The seeds farthest from the county seat are villages; the
		// township seat (seed 0) is always a community.
		order := make([]int, 0, n-1)
		for i := 1; i < n; i++ {
			order = append(order, i)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			da, db := distKm(coreCenter, l.centroid(seeds[a])), distKm(coreCenter, l.centroid(seeds[b]))
			switch {
			case da > db:
				return -1
			case da < db:
				return 1
			}
			return 0
		})
		isComm = make([]bool, n)
		for i := range isComm {
			isComm[i] = true
		}
		for _, i := range order[:tw.nVil] {
			isComm[i] = false
		}
		return seeds, isComm
	case classIsland:
		for k, is := range islandSpecs {
			var cands []int
			for _, q := range tw.quads {
				if c.land[q] == islandBase+k {
					cands = append(cands, q)
				}
			}
			want := is.seeds
			if k == 0 {
				want-- // the seat is already there
			}
			iarea := float64(len(cands)) * cellX * cellY / 1e12 * kmPerDegLon * kmPerDegLat
			poisson(cands, want, 0.9*math.Sqrt(iarea/float64(max(is.seeds, 1))))
		}
	default:
		var near []int
		for _, q := range tw.quads {
			if distKm(l.centroid(q), tw.seat) < 1.8 {
				near = append(near, q)
			}
		}
		poisson(near, tw.nComm-min(tw.nComm, 1), 0.75)
		if tw.nComm > 0 {
			poisson(tw.quads, tw.nVil, 0.8*math.Sqrt(areaKm/float64(n)))
		} else {
			poisson(tw.quads, tw.nVil-1, 0.8*math.Sqrt(areaKm/float64(n)))
		}
	}
	isComm = make([]bool, len(seeds))
	for i := 0; i < tw.nComm; i++ {
		isComm[i] = true
	}
	if len(seeds) != n {
		panic(fmt.Sprintf("%s: %d seeds, want %d", tw.name, len(seeds), n))
	}
	return seeds, isComm
}

// ---- polygons ----

func (c *county) tracePolygons() {
	l := c.lat
	c.poly = l.trace(func(q int) bool { return c.land[q] != sea })
	for t := range c.towns {
		c.towns[t].poly = l.trace(func(q int) bool { return c.townOf[q] == t })
	}
	for v := range c.vils {
		c.vils[v].poly = l.trace(func(q int) bool { return c.vilOf[q] == v })
	}
}

// hotspot is a settlement inside a village: population weight falls off as a
// Gaussian of width sigma (km) around at.
type hotspot struct {
	at    pt
	amp   float64
	sigma float64
}

// enlargeSmall gives every region of owner at least minQuads quads by taking
// edge-adjacent quads from larger neighbours, never disconnecting them.
func (c *county) enlargeSmall(owner []int, in func(int) bool, n, minQuads int) {
	l := c.lat
	size := make([]int, n)
	for _, o := range owner {
		if o >= 0 {
			size[o]++
		}
	}
	connectedWithout := func(o, skip int) bool {
		comps := c.components(func(q int) bool { return q != skip && owner[q] == o && in(q) })
		return len(comps) == 1
	}
	var nb []int
	for r := 0; r < n; r++ {
		for size[r] < minQuads {
			moved := false
			for q := 0; q < l.nq() && !moved; q++ {
				if owner[q] != r {
					continue
				}
				for _, m := range l.neighbors4(q, nb) {
					o := owner[m]
					if o < 0 || o == r || !in(m) || size[o] <= minQuads || !connectedWithout(o, m) {
						continue
					}
					owner[m] = r
					size[r]++
					size[o]--
					moved = true
					break
				}
			}
			if !moved {
				panic(fmt.Sprintf("region %d stuck at %d quads", r, size[r]))
			}
		}
	}
}
