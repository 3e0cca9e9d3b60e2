package access

import (
	"context"

	"github.com/paulmach/orb"

	"fangyuan/coverage"
	"fangyuan/coverage/network"
)

// Travel is the travel time (seconds) over the road network from a facility
// to cell centres within the kind's minutes (network.Travel: walk to the
// road, over the graph, walk to the cell), one bounded search per facility.
type Travel struct {
	network.Travel
}

// Limit implements Distances (seconds).
func (t Travel) Limit() float64 { return t.Minutes * 60 }

// Unit implements Distances.
func (t Travel) Unit() string { return "s" }

// Owned implements Distances: sources are split among workers, so one cell
// is visited by several.
func (t Travel) Owned() bool { return false }

// Visit implements Distances.
func (t Travel) Visit(ctx context.Context, f coverage.Frame, sources []orb.Point, workers int, fn func(w, src, start int, d []float64)) error {
	bufs := make([][1]float64, workers)
	return t.EachCost(ctx, f, sources, workers, func(w, src, cell int, seconds float64) {
		bufs[w][0] = seconds
		fn(w, src, cell, bufs[w][:])
	})
}
