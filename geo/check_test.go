package geo

import (
	"errors"
	"math"
	"testing"
)

func TestCheckLonLat(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		want     error // sentinel, nil for valid
		text     string
	}{
		{"hangzhou", 120.15, 30.28, nil, ""},
		{"corners", 180, -90, nil, ""},
		{"corners2", -180, 90, nil, ""},
		{"swapped", 30.28, 120.15, ErrLatRange, "latitude 120.15 out of range [-90, 90] (lat/lon swapped?)"},
		{"lat too big", 10, 95, ErrLatRange, "latitude 95 out of range [-90, 90] (lat/lon swapped?)"},
		{"lat too small", 200, -91, ErrLatRange, "latitude -91 out of range [-90, 90]"},
		{"lon too big", 181, 30, ErrLonRange, "longitude 181 out of range [-180, 180]"},
		{"lon too small", -1200.5, 30, ErrLonRange, "longitude -1200.5 out of range [-180, 180]"},
		{"lon NaN", math.NaN(), 30, ErrNotFinite, "longitude NaN is not a finite number"},
		{"lat Inf", 120, math.Inf(1), ErrNotFinite, "latitude +Inf is not a finite number"},
		{"lat -Inf", 120, math.Inf(-1), ErrNotFinite, "latitude -Inf is not a finite number"},
		{"swapped but in range is valid", 30.28, 80.15, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLonLat(tc.lon, tc.lat)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckLonLat(%v, %v) = %v, want nil", tc.lon, tc.lat, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckLonLat(%v, %v) = %v, want errors.Is %v", tc.lon, tc.lat, err, tc.want)
			}
			for _, other := range []error{ErrNotFinite, ErrLonRange, ErrLatRange} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
			}
			if err.Error() != tc.text {
				t.Errorf("text = %q, want %q", err.Error(), tc.text)
			}
			var ce *CoordError
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *CoordError")
			}
		})
	}
}

func TestLikelySwapped(t *testing.T) {
	tests := []struct {
		lon, lat float64
		want     bool
	}{
		{120.15, 30.28, false}, // Hangzhou, right order
		{30.28, 120.15, true},  // Hangzhou swapped
		{28.45, 119.92, true},  // Lishui swapped
		{22.3, 114.2, true},    // Hong Kong swapped
		{2.35, 48.85, false},   // Paris: outside China either way
		{48.85, 2.35, false},   // Paris swapped: still outside
		{80, 40, false},        // inside both ways (Xinjiang): not flagged
		{-120.15, 30.28, false},
		{30, -120, false},
	}
	for _, tc := range tests {
		if got := LikelySwapped(tc.lon, tc.lat); got != tc.want {
			t.Errorf("LikelySwapped(%v, %v) = %v, want %v", tc.lon, tc.lat, got, tc.want)
		}
	}
}
