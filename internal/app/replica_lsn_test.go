package app_test

import (
	"testing"

	"fangyuan/internal/app"
)

// WAL positions as PostgreSQL prints them (%X/%X), values computed by hand.
func TestLSN(t *testing.T) {
	for s, want := range map[string]uint64{
		"0/0":         0,
		"0/4001898":   0x4001898,
		"16/B374D848": 0x16<<32 | 0xB374D848,
		"FFFFFFFF/1":  0xFFFFFFFF<<32 | 1,
		" 1/A0 ":      1<<32 | 0xA0,
	} {
		got, err := app.ParseLSN(s)
		if err != nil || got != want {
			t.Errorf("ParseLSN(%q) = %#x, %v; want %#x", s, got, err, want)
		}
	}
	if got := app.FormatLSN(0x16<<32 | 0xB374D848); got != "16/B374D848" {
		t.Errorf("FormatLSN = %s, want 16/B374D848", got)
	}
	for _, bad := range []string{"", "12", "x/1", "1/g", "100000000/0"} {
		if _, err := app.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q): no error", bad)
		}
	}
}
