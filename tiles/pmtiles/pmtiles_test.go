package pmtiles

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestTileID(t *testing.T) {
	// values from the PMTiles v3 specification's reference implementations
	for _, c := range []struct {
		z    uint8
		x, y uint32
		id   uint64
	}{
		{0, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 1, 2}, {1, 1, 1, 3}, {1, 1, 0, 4}, {2, 0, 0, 5},
		{3, 7, 7, 63}, {12, 3423, 1763, 19078479}, {2, 1, 1, 7}, {2, 3, 0, 20},
	} {
		if got := TileID(c.z, c.x, c.y); got != c.id {
			t.Errorf("TileID(%d, %d, %d) = %d, want %d", c.z, c.x, c.y, got, c.id)
		}
	}
	// every tile of a zoom has its own id within the zoom's range
	for z := uint8(0); z <= 5; z++ {
		seen := map[uint64]bool{}
		n := uint32(1) << z
		lo, hi := (uint64(1)<<(2*uint64(z))-1)/3, (uint64(1)<<(2*uint64(z+1))-1)/3
		for x := uint32(0); x < n; x++ {
			for y := uint32(0); y < n; y++ {
				id := TileID(z, x, y)
				if seen[id] || id < lo || id >= hi {
					t.Fatalf("z%d: id %d of %d/%d repeated or out of [%d, %d)", z, id, x, y, lo, hi)
				}
				seen[id] = true
			}
		}
	}
}

func writeArchive(t *testing.T, tiles map[[3]uint32][]byte) string {
	p := filepath.Join(t.TempDir(), "base.pmtiles")
	h := Header{TileType: TypePNG, MinZoom: 0, MaxZoom: 14, MinLon: 118, MinLat: 27, MaxLon: 123, MaxLat: 31.5, CenterLon: 120.5, CenterLat: 29.2, CenterZoom: 7}
	if err := WriteFile(p, h, tiles); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestArchive(t *testing.T) {
	tiles := map[[3]uint32][]byte{}
	for z := uint32(0); z <= 6; z++ {
		for x := uint32(0); x < 1<<z; x += 1 + z {
			for y := uint32(0); y < 1<<z; y += 1 + z/2 {
				tiles[[3]uint32{z, x, y}] = []byte(fmt.Sprintf("tile %d/%d/%d", z, x, y))
			}
		}
	}
	a, err := Open(writeArchive(t, tiles))
	if err != nil {
		t.Fatal(err)
	}
	if a.Header.TileType != TypePNG || a.Header.MaxZoom != 14 || a.Header.CenterLat != 29.2 || a.Header.ContentType() != "image/png" {
		t.Fatalf("header %+v", a.Header)
	}
	for z := uint32(0); z <= 6; z++ {
		for x := uint32(0); x < 1<<z; x++ {
			for y := uint32(0); y < 1<<z; y++ {
				got, err := a.Tile(uint8(z), x, y)
				if err != nil {
					t.Fatal(err)
				}
				if want := tiles[[3]uint32{z, x, y}]; !bytes.Equal(got, want) {
					t.Fatalf("%d/%d/%d: %q, want %q", z, x, y, got, want)
				}
			}
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.pmtiles")); err == nil {
		t.Fatal("opened a missing file")
	}
	bad := filepath.Join(t.TempDir(), "bad.pmtiles")
	os.WriteFile(bad, bytes.Repeat([]byte("x"), 200), 0o644)
	if _, err := Open(bad); err == nil {
		t.Fatal("opened a file without the magic")
	}
}
