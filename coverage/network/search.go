package network

import (
	"math"
	"math/bits"
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

// bucketQueue is a monotone priority queue for a search bounded by a limit:
// entries sit in buckets of width 1/inv seconds by floor(cost·inv), and the
// current bucket's entries in a binary heap ordered by cost, so entries pop in
// exactly the order of their costs (the search's result does not depend on the
// bucket width; arcs shorter than a bucket just go into the current heap).
// Each entry is moved once (bucket → heap) and the heaps are small, where the
// radix heap on float64 bits moves an entry down through many buckets.
type bucketQueue struct {
	inv     float64
	nb      int // buckets in use
	cur     int
	n       int
	buckets [][]item
	heap    []item
}

// maxBuckets is the most buckets a bounded search uses.
const maxBuckets = 1 << 16

func (q *bucketQueue) len() int { return q.n }

// reset prepares the queue for a search up to limit from seeds seeds: 64
// buckets per seed, between 1,024 and maxBuckets (a pop scans the empty
// buckets, which would dominate the small per-source catchment searches).
func (q *bucketQueue) reset(limit float64, seeds int) {
	if q.n != 0 { // a search always empties its queue; this is only a guard
		for i := range q.buckets {
			q.buckets[i] = q.buckets[i][:0]
		}
	}
	nb := min(max(64*seeds, 1024), maxBuckets)
	if len(q.buckets) < nb+1 {
		q.buckets = append(q.buckets, make([][]item, nb+1-len(q.buckets))...)
	}
	q.heap = q.heap[:0]
	q.nb = nb
	q.inv = float64(nb) / limit
	q.cur, q.n = 0, 0
}

func (q *bucketQueue) push(it item) {
	q.n++
	k := int(it.cost * q.inv)
	if k <= q.cur {
		h := append(q.heap, it)
		i := len(h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if h[p].cost <= it.cost {
				break
			}
			h[i] = h[p]
			i = p
		}
		h[i] = it
		q.heap = h
		return
	}
	k = min(k, q.nb)
	q.buckets[k] = append(q.buckets[k], it)
}

func (q *bucketQueue) pop() item {
	if len(q.heap) == 0 {
		q.cur++
		for len(q.buckets[q.cur]) == 0 {
			q.cur++
		}
		// The heap takes the bucket's entries; the bucket keeps its array.
		b := q.buckets[q.cur]
		q.heap, q.buckets[q.cur] = append(q.heap, b...), b[:0]
		h := q.heap
		for i := len(h)/2 - 1; i >= 0; i-- {
			siftDown(h, i)
		}
	}
	h := q.heap
	it := h[0]
	last := len(h) - 1
	h[0] = h[last]
	q.heap = h[:last]
	if last > 1 {
		siftDown(q.heap, 0)
	}
	q.n--
	return it
}

func siftDown(h []item, i int) {
	x := h[i]
	n := len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].cost < h[c].cost {
			c = r
		}
		if x.cost <= h[c].cost {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
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
	g       *Graph
	Dist    []float64 // per node; +Inf when not reached
	Label   []int32   // per node: the source label of Dist; -1
	Touched []uint32  // nodes whose Dist was set by the last run
	q       radixHeap
	bq      bucketQueue
}

// NewSearch allocates the state of searches on g.
func (g *Graph) NewSearch() *Search {
	s := &Search{g: g, Dist: make([]float64, len(g.NodeID)), Label: make([]int32, len(g.NodeID))}
	for i := range s.Dist {
		s.Dist[i] = math.Inf(1)
		s.Label[i] = -1
	}
	return s
}

func (s *Search) reset() {
	for _, u := range s.Touched {
		s.Dist[u] = math.Inf(1)
		s.Label[u] = -1
	}
	s.Touched = s.Touched[:0]
	s.q.reset()
}

func (s *Search) set(u uint32, c float64, l int32) bool {
	d := s.Dist[u]
	if c < d || (c == d && l < s.Label[u]) {
		if math.IsInf(d, 1) {
			s.Touched = append(s.Touched, u)
		}
		s.Dist[u], s.Label[u] = c, l
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
		if it.cost != s.Dist[it.node] || it.label != s.Label[it.node] {
			continue // stale
		}
		lo, hi := g.Off[it.node], g.Off[it.node+1]
		to, cost := g.To[lo:hi], g.Cost[lo:hi]
		for k, v := range to {
			c := it.cost + float64(cost[k])
			if c > limit {
				continue
			}
			// s.set, inlined (the innermost loop of every search).
			if d := s.Dist[v]; c < d || (c == d && it.label < s.Label[v]) {
				if math.IsInf(d, 1) {
					s.Touched = append(s.Touched, v)
				}
				s.Dist[v], s.Label[v] = c, it.label
				s.q.push(item{c, v, it.label})
			}
		}
	}
}

// runBounded is Run with the bucket queue (a finite, positive limit).
func (s *Search) runBounded(seeds []Seed, limit float64) {
	g := s.g
	q := &s.bq
	q.reset(limit, len(seeds))
	for _, sd := range seeds {
		if u, c, l := sd.Node, sd.Cost, sd.Label; c <= limit {
			if d := s.Dist[u]; c < d || (c == d && l < s.Label[u]) {
				if math.IsInf(d, 1) {
					s.Touched = append(s.Touched, u)
				}
				s.Dist[u], s.Label[u] = c, l
				q.push(item{c, u, l})
			}
		}
	}
	for q.len() > 0 {
		it := q.pop()
		if it.cost != s.Dist[it.node] || it.label != s.Label[it.node] {
			continue // stale
		}
		lo, hi := g.Off[it.node], g.Off[it.node+1]
		to, cost := g.To[lo:hi], g.Cost[lo:hi]
		for k, v := range to {
			c := it.cost + float64(cost[k])
			if c > limit {
				continue
			}
			if d := s.Dist[v]; c < d || (c == d && it.label < s.Label[v]) {
				if math.IsInf(d, 1) {
					s.Touched = append(s.Touched, v)
				}
				s.Dist[v], s.Label[v] = c, it.label
				q.push(item{c, v, it.label})
			}
		}
	}
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
	if du := s.Dist[u]; !math.IsInf(du, 1) && !math.IsInf(float64(g.EFwd[e]), 1) {
		best, lab = du+t*float64(g.EFwd[e]), s.Label[u]
	}
	if dv := s.Dist[v]; !math.IsInf(dv, 1) && !math.IsInf(float64(g.EBwd[e]), 1) {
		c := dv + (1-t)*float64(g.EBwd[e])
		if c < best || (c == best && s.Label[v] < lab) {
			best, lab = c, s.Label[v]
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
	return s.Dist
}
