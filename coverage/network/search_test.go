package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomGraph is a random directed graph of n nodes with m arcs whose costs
// are whole seconds in [0, maxCost] (whole numbers add exactly, so equal-cost
// ties between sources are frequent and every search must break them the
// same way: the lower label).
func randomGraph(rng *rand.Rand, n, m, maxCost int) *Graph {
	arcs := make([][]Arc, n)
	for range m {
		u, v := rng.IntN(n), rng.IntN(n)
		arcs[u] = append(arcs[u], Arc{uint32(v), float32(rng.IntN(maxCost + 1))})
	}
	g := &Graph{NodeID: make([]int64, n), Off: make([]uint32, n+1)}
	for u := range arcs {
		g.Off[u+1] = g.Off[u] + uint32(len(arcs[u]))
		g.Arcs = append(g.Arcs, arcs[u]...)
	}
	return g
}

// TestBoundedEqualsDijkstra: the bounded search (Δ-stepping) gives every node
// the cost and label of the plain heap Dijkstra (Run without a limit), on
// random graphs with zero-cost arcs, arcs far shorter and far longer than a
// bucket, many sources and limits from a fraction of one arc to the whole graph.
func TestBoundedEqualsDijkstra(t *testing.T) {
	for _, sortFrom := range []int{0, math.MaxInt} { // rounds sorted by node, and not
		t.Run(fmt.Sprintf("sortRoundsFrom=%d", sortFrom), func(t *testing.T) {
			defer func(v int) { sortRoundsFrom = v }(sortRoundsFrom)
			sortRoundsFrom = sortFrom
			boundedEqualsDijkstra(t)
		})
	}
}

func boundedEqualsDijkstra(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 7))
	for trial := range 60 {
		n := 50 + rng.IntN(3000)
		m := n * (1 + rng.IntN(5))
		maxCost := []int{1, 3, 20, 600}[trial%4]
		g := randomGraph(rng, n, m, maxCost)
		var seeds []Seed
		for l := range 1 + rng.IntN(40) {
			seeds = append(seeds, Seed{uint32(rng.IntN(n)), float64(rng.IntN(maxCost + 1)), int32(l)})
		}
		full := g.NewSearch()
		full.Run(seeds, math.Inf(1))
		for _, limit := range []float64{0.5, float64(maxCost), float64(5 * maxCost), 1e6} {
			b := g.NewSearch()
			b.Run(seeds, limit)
			for u := range n {
				want := full.St[u]
				if want.Dist > limit {
					want = unreached
				}
				if got := b.St[u]; got != want {
					t.Fatalf("trial %d (n %d, m %d, arcs ≤ %d s, Δ %v), limit %v: node %d: bounded %v from %d, Dijkstra %v from %d",
						trial, n, m, maxCost, g.bucketWidth(limit), limit, u, got.Dist, got.Label, want.Dist, want.Label)
				}
			}
			// A reused state gives the same answer (only touched nodes are reset).
			b.Run(seeds, limit)
			for u := range n {
				if want := full.St[u]; want.Dist <= limit && b.St[u] != want {
					t.Fatalf("trial %d, limit %v, second run: node %d differs", trial, limit, u)
				}
			}
		}
	}
}
