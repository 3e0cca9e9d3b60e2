package topology_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"fangyuan/geo/topology"
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
