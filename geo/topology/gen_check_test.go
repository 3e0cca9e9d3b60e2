package topology_test

import (
	"testing"

	"fangyuan/geo/topology"
	"fangyuan/internal/db/dbtest"
)

// A generated tiling with ~200 vertices per unit, every vertex moved by up to
// 2 m, and two planted overlaps and a gap: lines and overlaps against PostGIS.
func TestTopologyGeneratedTiling(t *testing.T) {
	pool := dbtest.Pool(t)
	clean := tiling(5, 6)
	us := cloneUnits(clean)
	owners := edgeOwners(clean)
	for _, i := range []int{7, 20} {
		k, _ := sharedRun(clean, owners, i, 1, func(int) bool { return true })
		pushVertex(us, i, k, 400)
	}
	k, _ := sharedRun(clean, owners, 14, 1, func(int) bool { return true })
	pushVertex(us, 14, k, -400)
	jitter(us, 2, 3)
	loadPostGIS(t, pool, "g", us)
	lines, findings, err := topology.Derive(us, topology.Options{Level: "township"})
	if err != nil {
		t.Fatal(err)
	}
	ref := refLines(t, pool, "g", topology.DefaultToleranceM)
	worst := compareLines(t, lines, ref, topology.DefaultToleranceM)
	t.Logf("%d units, %d lines, %d PostGIS pairs, worst length error %.4f %%", len(us), len(lines), len(ref), 100*worst)
	overlaps := refPieces(t, pool, "SELECT * FROM ("+sprintf(refOverlapSQL, "g")+") o")
	if len(overlaps) < 2 {
		t.Fatalf("reference has %d overlaps", len(overlaps))
	}
	matchPieces(t, findings, overlaps, topology.KindOverlap)
	matchPieces(t, findings, refPieces(t, pool, sprintf(refGapSQL, "g")), topology.KindGap)
}
