package network

import (
	"math"
	"math/bits"
	"slices"
)

// item is a queue entry: a node reached at cost by source label.
type item struct {
	cost  float64
	node  uint32
	label int32
}

// radixHeap is a monotone priority queue (Dijkstra pops costs in
// non-decreasing order, so every key pushed is at least the last popped):
// entries sit in buckets by the highest bit in which their cost's IEEE bits
// differ from the last popped cost's (non-negative float64s order as their
// bits do). A pop empties at most one bucket into lower ones, so an entry
// moves at most 64 times. On the benchmark lattice it took ≈ 0.8 µs of CPU per
// settled node against ≈ 0.95 µs for a typed 4-ary heap (both under load).
// Ties in cost pop in any order: the search re-queues a node whose label
// improves at equal cost, so the result is the same as popping by (cost, label).
type radixHeap struct {
	last    uint64
	n       int
	buckets [65][]item
}

func (h *radixHeap) len() int { return h.n }

func (h *radixHeap) reset() {
	for i := range h.buckets {
		h.buckets[i] = h.buckets[i][:0]
	}
	h.n, h.last = 0, 0
}

func (h *radixHeap) push(it item) {
	b := bits.Len64(math.Float64bits(it.cost) ^ h.last)
	h.buckets[b] = append(h.buckets[b], it)
	h.n++
}

func (h *radixHeap) pop() item {
	if len(h.buckets[0]) == 0 {
		i := 1
		for len(h.buckets[i]) == 0 {
			i++
		}
		m := uint64(math.MaxUint64)
		for _, it := range h.buckets[i] {
			m = min(m, math.Float64bits(it.cost))
		}
		h.last = m
		for _, it := range h.buckets[i] {
			b := bits.Len64(math.Float64bits(it.cost) ^ m)
			h.buckets[b] = append(h.buckets[b], it)
		}
		h.buckets[i] = h.buckets[i][:0]
	}
	b0 := h.buckets[0]
	it := b0[len(b0)-1]
	h.buckets[0] = b0[:len(b0)-1]
	h.n--
	return it
}

// Seed is a start of a search: node at initial cost, for source label.
type Seed struct {
	Node  uint32
	Cost  float64
	Label int32
}

// Search is the state of a multi-source Dijkstra search, reusable across
// searches on the same graph (only touched nodes are reset).
type Search struct {
	g *Graph
	// St is, per node, its cost (+Inf when not reached) and the source label
	// of that cost (-1), side by side: a search reads both for every arc.
	St      []NodeState
	Touched []uint32 // nodes whose cost was set by the last run
	q       radixHeap
	// buckets of the bounded search (runBounded): node ids by floor(cost/Δ).
	buckets [][]uint32
	round   []uint32
}

// NodeState is a node's cost and source label in a search.
type NodeState struct {
	Dist  float64 // seconds; +Inf when not reached
	Label int32   // the source label of Dist; -1 when not reached
}

var unreached = NodeState{math.Inf(1), -1}

// NewSearch allocates the state of searches on g.
func (g *Graph) NewSearch() *Search {
	s := &Search{g: g, St: make([]NodeState, len(g.NodeID))}
	for i := range s.St {
		s.St[i] = unreached
	}
	return s
}

func (s *Search) reset() {
	for _, u := range s.Touched {
		s.St[u] = unreached
	}
	s.Touched = s.Touched[:0]
	s.q.reset()
}

func (s *Search) set(u uint32, c float64, l int32) bool {
	st := &s.St[u]
	if c < st.Dist || (c == st.Dist && l < st.Label) {
		if math.IsInf(st.Dist, 1) {
			s.Touched = append(s.Touched, u)
		}
		*st = NodeState{c, l}
		s.q.push(item{c, u, l})
		return true
	}
	return false
}

// Run searches from seeds up to limit seconds (nodes beyond stay +Inf or
// hold a partial cost > limit that callers must ignore). Ties go to the
// lower label.
func (s *Search) Run(seeds []Seed, limit float64) {
	s.reset()
	if limit > 0 && !math.IsInf(limit, 1) {
		s.runBounded(seeds, limit)
		return
	}
	g := s.g
	for _, sd := range seeds {
		if sd.Cost <= limit {
			s.set(sd.Node, sd.Cost, sd.Label)
		}
	}
	for s.q.len() > 0 {
		it := s.q.pop()
		if st := s.St[it.node]; it.cost != st.Dist || it.label != st.Label {
			continue // stale
		}
		for _, a := range g.Arcs[g.Off[it.node]:g.Off[it.node+1]] {
			c := it.cost + float64(a.Cost)
			if c > limit {
				continue
			}
			v := a.To
			// s.set, inlined (the innermost loop of every search).
			if st := &s.St[v]; c < st.Dist || (c == st.Dist && it.label < st.Label) {
				if math.IsInf(st.Dist, 1) {
					s.Touched = append(s.Touched, v)
				}
				*st = NodeState{c, it.label}
				s.q.push(item{c, v, it.label})
			}
		}
	}
}

// runBounded is Run for a finite, positive limit, by Δ-stepping (Meyer &
// Sanders 2003) run on one thread for its memory order: nodes sit in buckets
// of width Δ by floor(cost/Δ); the lowest bucket is emptied in rounds, each
// round taking the bucket's nodes sorted by index and relaxing their arcs
// (an arc shorter than Δ may put its head back into the same bucket, for the
// next round). A node improved while it waits in a later bucket and staying in
// that bucket is not queued again (on the county lattice 18 % of the scans
// were such repeats). When a bucket is empty every node whose cost lies in it is
// final, so the result is Dijkstra's: the least cost per node, ties to the
// lower label (the same fixpoint; TestBoundedEqualsDijkstra checks it against
// the heap search on random graphs). Unlike a heap, which pops nodes from all
// over the graph (one cache miss per node state, offset and arc list), a
// round walks the node arrays in increasing order, which the hardware
// prefetches: on the province lattice the 3 M-node drive search takes about a
// third of the heap search's time (docs/BENCHMARKS.md).
func (s *Search) runBounded(seeds []Seed, limit float64) {
	g := s.g
	delta := g.bucketWidth(limit)
	nb := int(limit / delta)
	inv := 1 / delta
	if cap(s.buckets) < nb+1 {
		s.buckets = make([][]uint32, nb+1)
	}
	buckets := s.buckets[:nb+1]
	bucket := func(c float64) int { return min(int(c*inv), nb) }
	for _, sd := range seeds {
		if u, c, l := sd.Node, sd.Cost, sd.Label; c <= limit {
			if st := &s.St[u]; c < st.Dist || (c == st.Dist && l < st.Label) {
				if math.IsInf(st.Dist, 1) {
					s.Touched = append(s.Touched, u)
				}
				*st = NodeState{c, l}
				k := bucket(c)
				buckets[k] = append(buckets[k], u)
			}
		}
	}
	cur := s.round[:0]
	sorted := len(s.St) >= sortRoundsFrom
	for k := range buckets {
		for len(buckets[k]) > 0 {
			cur, buckets[k] = buckets[k], cur[:0]
			if sorted {
				slices.Sort(cur)
			}
			prev := uint32(math.MaxUint32)
			for _, u := range cur {
				if u == prev {
					continue // queued twice in the last round (adjacent when sorted; else done twice, harmlessly)
				}
				prev = u
				su := s.St[u]
				if bucket(su.Dist) != k {
					continue // stale: its cost has moved to an earlier bucket
				}
				for _, a := range g.Arcs[g.Off[u]:g.Off[u+1]] {
					c := su.Dist + float64(a.Cost)
					if c > limit {
						continue
					}
					if st := &s.St[a.To]; c < st.Dist || (c == st.Dist && su.Label < st.Label) {
						kv := min(int(c*inv), nb)
						if math.IsInf(st.Dist, 1) {
							s.Touched = append(s.Touched, a.To)
						} else if kv > k && min(int(st.Dist*inv), nb) == kv {
							// Already queued in bucket kv, which no round has
							// taken yet: one entry scans it at its final cost.
							*st = NodeState{c, su.Label}
							continue
						}
						*st = NodeState{c, su.Label}
						buckets[kv] = append(buckets[kv], a.To)
					}
				}
			}
		}
	}
	s.round = cur[:0]
}

// sortRoundsFrom is the graph size (nodes) from which a round is sorted by
// node index: a smaller graph's node states stay in the cache (≤ 2 MiB), the
// order of a round does not change the result, and sorting took a quarter of
// a county-size search.
var sortRoundsFrom = 1 << 17

// maxBuckets bounds the buckets of a bounded search (Δ ≥ limit/maxBuckets).
const maxBuckets = 1 << 16

// bucketWidth is Δ of a bounded search up to limit: the 10th percentile of
// the graph's arc costs (most arcs are then longer than a bucket, so a node
// is rarely improved within its own bucket), at least limit/maxBuckets.
func (g *Graph) bucketWidth(limit float64) float64 {
	g.deltaOnce.Do(func() {
		// A deterministic sample of at most 100,000 arcs.
		step := max(1, len(g.Arcs)/100_000)
		var cs []float32
		for i := 0; i < len(g.Arcs); i += step {
			if c := g.Arcs[i].Cost; c > 0 && !math.IsInf(float64(c), 1) {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			g.delta = 1
			return
		}
		slices.Sort(cs)
		g.delta = float64(cs[len(cs)/10])
	})
	return max(g.delta, limit/maxBuckets)
}

// reachCost is the cost of reaching a snapped point from the search state:
// through either end of its edge (plus the walk), with the label; +Inf, -1
// when neither end was reached.
// onEdge lists the sources snapped to the point's edge (they reach it along
// the edge without passing an end).
func (s *Search) reachCost(sn Snap, walkMS float64, onEdge []snapped) (float64, int32) {
	if sn.Edge < 0 {
		return math.Inf(1), -1
	}
	g := s.g
	e := sn.Edge
	u, v := g.EU[e], g.EV[e]
	t := float64(sn.T)
	best, lab := math.Inf(1), int32(-1)
	if su := s.St[u]; !math.IsInf(su.Dist, 1) && !math.IsInf(float64(g.EFwd[e]), 1) {
		best, lab = su.Dist+t*float64(g.EFwd[e]), su.Label
	}
	if sv := s.St[v]; !math.IsInf(sv.Dist, 1) && !math.IsInf(float64(g.EBwd[e]), 1) {
		c := sv.Dist + (1-t)*float64(g.EBwd[e])
		if c < best || (c == best && sv.Label < lab) {
			best, lab = c, sv.Label
		}
	}
	// Sources on the same edge go straight along it.
	for _, o := range onEdge {
		if o.snap.Edge != e {
			continue
		}
		ts := float64(o.snap.T)
		w := float64(o.snap.Walk) / walkMS
		c := math.Inf(1)
		if t >= ts && !math.IsInf(float64(g.EFwd[e]), 1) {
			c = w + (t-ts)*float64(g.EFwd[e])
		} else if t <= ts && !math.IsInf(float64(g.EBwd[e]), 1) {
			c = w + (ts-t)*float64(g.EBwd[e])
		}
		if c < best || (c == best && o.label < lab) {
			best, lab = c, o.label
		}
	}
	if lab < 0 {
		return best, lab
	}
	return best + float64(sn.Walk)/walkMS, lab
}

// snapped is a source's snap with its label.
type snapped struct {
	snap  Snap
	label int32
}

// seeds turns a snapped source into search seeds: it walks to its road and
// drives on to either end of the edge.
func (g *Graph) seeds(sn Snap, label int32, walkMS float64, out []Seed) []Seed {
	if sn.Edge < 0 {
		return out
	}
	e := sn.Edge
	w := float64(sn.Walk) / walkMS
	t := float64(sn.T)
	if f := float64(g.EFwd[e]); !math.IsInf(f, 1) {
		out = append(out, Seed{g.EV[e], w + (1-t)*f, label})
	}
	if b := float64(g.EBwd[e]); !math.IsInf(b, 1) {
		out = append(out, Seed{g.EU[e], w + t*b, label})
	}
	return out
}

// NodeCosts returns the travel time in seconds from node src to every node
// (+Inf where unreachable): a plain single-source Dijkstra.
func (g *Graph) NodeCosts(src int) []float64 {
	s := g.NewSearch()
	s.Run([]Seed{{uint32(src), 0, 0}}, math.Inf(1))
	d := make([]float64, len(s.St))
	for i, st := range s.St {
		d[i] = st.Dist
	}
	return d
}
