package network

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// The search split among workers by longitude gives, node by node, the cost and
// the label of the one multi-source search (which the hand-computed and pgRouting
// tests check).
func TestRunParallelEqualsOneSearch(t *testing.T) {
	nw := synthNetwork(120, 120, 29, 0.001)
	g, err := Build(nw, Profile{Name: "walk", Walk: true, WalkKmh: 4, MaxAccessM: 500})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 9))
	var src []orb.Point
	for range 400 {
		// Sources in pairs at the same place: equal costs, the lower label must win.
		p := orb.Point{120 + rng.Float64()*0.119, 29 + rng.Float64()*0.119}
		src = append(src, p, p)
	}
	walk := 4 / 3.6
	var all []Seed
	per := make([][]Seed, len(src))
	for i, p := range src {
		lo := len(all)
		all = g.seeds(g.Snap(p), int32(i), walk, all)
		per[i] = all[lo:len(all):len(all)]
	}
	for _, limit := range []float64{120, 600, 3600} {
		one := g.NewSearch()
		one.Run(all, limit)
		for _, workers := range []int{2, 3, 5} {
			par := g.RunParallel(src, per, limit, workers)
			if len(par.Touched) != len(one.Touched) {
				t.Fatalf("limit %v, %d workers: %d nodes touched, one search %d", limit, workers, len(par.Touched), len(one.Touched))
			}
			for u := range g.NodeID {
				if par.St[u] != one.St[u] {
					t.Fatalf("limit %v, %d workers: node %d: %v from %d, one search %v from %d", limit, workers, u, par.St[u].Dist, par.St[u].Label, one.St[u].Dist, one.St[u].Label)
				}
			}
		}
	}
}
