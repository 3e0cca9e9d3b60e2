package app

import "testing"

// Insert positions just past a page header wait for the end of the record before the
// header (values by hand: 8 KiB pages, 16 MiB segments, headers of 24 and 40 bytes).
func TestRecordEnd(t *testing.T) {
	const block, segment = 8192, 16 << 20
	for lsn, want := range map[uint64]uint64{
		0x2018:      0x2000,      // second page of the first segment + short header
		0x1000028:   0x1000000,   // start of the second segment + long header
		0x2020:      0x2020,      // a record after the header
		0x3FFF8:     0x3FFF8,     // inside a page
		0x5_0000028: 0x5_0000000, // a segment start in a later log file
	} {
		if got := recordEnd(lsn, block, segment); got != want {
			t.Errorf("recordEnd(%#x) = %#x, want %#x", lsn, got, want)
		}
	}
}
