package topology_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/paulmach/orb/geo"

	"fangyuan/data"
	"fangyuan/geo/topology"
	"fangyuan/importers/parse"
)

// TestLineIDShortCodes: the id is SHA-256 of level|left|right (computed here directly),
// with 12-digit division codes in their short form for the level, so a file with short
// codes and the database with 12-digit ones agree.
func TestLineIDShortCodes(t *testing.T) {
	want := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:])[:16] }
	for _, c := range []struct{ level, left, right, hashed string }{
		{"township", "339901001000", "339901002000", "township|339901001|339901002"},
		{"township", "339901001", "339901002", "township|339901001|339901002"},
		{"county", "339901000000", "339902000000", "county|339901|339902"},
		{"county", "339901", "339902", "county|339901|339902"},
		{"village", "339901001001", "339901001002", "village|339901001001|339901001002"},
		{"township", "339901001001", "339901002000", "township|339901001001|339901002"}, // not a township code: as is
		{"county", "A", "B", "county|A|B"},
		{"township", "33990100100x", "339901002000", "township|33990100100x|339901002"},
	} {
		if got := topology.LineID(c.level, c.left, c.right); got != want(c.hashed) {
			t.Errorf("LineID(%s, %s, %s) = %s, want sha256(%q) = %s", c.level, c.left, c.right, got, c.hashed, want(c.hashed))
		}
	}
}

// TestNoZeroLengthSegments: on the demo townships, no line has two consecutive points
// within 1 mm (a cut a hair before a vertex once left such a segment, and the side of a
// zero-length segment is undefined).
func TestNoZeroLengthSegments(t *testing.T) {
	fr, err := parse.ReadBoundaries(data.Demo, "demo/boundaries/townships.geojson", parse.BoundaryOptions{CodeField: "code", NameField: "name"})
	if err != nil {
		t.Fatal(err)
	}
	var units []topology.Unit
	for _, f := range fr.Features {
		units = append(units, topology.Unit{Code: f.Code, Name: f.Name, Geom: f.Geometry})
	}
	lines, _, err := topology.Derive(units, topology.Options{Level: "township", LinesOnly: true})
	if err != nil || len(lines) == 0 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	for _, l := range lines {
		for _, ls := range l.Geom {
			for i := 0; i+1 < len(ls); i++ {
				if d := geo.Distance(ls[i], ls[i+1]); d < 0.001 {
					t.Errorf("line %s|%s: segment %d is %.6f m", l.LeftCode, l.RightCode, i, d)
				}
			}
		}
	}
}
