package geo

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors returned (wrapped) by CheckLonLat; test with errors.Is.
var (
	// ErrNotFinite: a coordinate is NaN or ±Inf.
	ErrNotFinite = errors.New("coordinate is not a finite number")
	// ErrLonRange: the longitude is outside [-180, 180].
	ErrLonRange = errors.New("longitude out of range")
	// ErrLatRange: the latitude is outside [-90, 90].
	ErrLatRange = errors.New("latitude out of range")
)

// China's extent used by LikelySwapped, degrees.
const (
	chinaMinLon, chinaMaxLon = 73.0, 136.0
	chinaMinLat, chinaMaxLat = 3.0, 54.0
)

// CoordError is the error CheckLonLat returns: which axis, its value and the
// reason (one of the sentinel errors, reachable with errors.Is).
type CoordError struct {
	Axis    string  // "longitude" or "latitude"
	Value   float64 // the offending value
	Reason  error   // ErrNotFinite, ErrLonRange or ErrLatRange
	Swapped bool    // the pair looks like lat/lon given in the wrong order
}

func (e *CoordError) Error() string {
	var msg string
	switch e.Reason {
	case ErrNotFinite:
		msg = fmt.Sprintf("%s %v is not a finite number", e.Axis, e.Value)
	case ErrLonRange:
		msg = fmt.Sprintf("longitude %v out of range [-180, 180]", e.Value)
	case ErrLatRange:
		msg = fmt.Sprintf("latitude %v out of range [-90, 90]", e.Value)
	default:
		msg = fmt.Sprintf("%s %v: %v", e.Axis, e.Value, e.Reason)
	}
	if e.Swapped {
		msg += " (lat/lon swapped?)"
	}
	return msg
}

func (e *CoordError) Unwrap() error { return e.Reason }

// CheckLonLat checks that lon/lat are finite and within [-180, 180] ×
// [-90, 90]. The error is a *CoordError wrapping ErrNotFinite, ErrLonRange or
// ErrLatRange, and its text names the value and the reason, e.g.
// "latitude 120.15 out of range [-90, 90] (lat/lon swapped?)".
func CheckLonLat(lon, lat float64) error {
	if math.IsNaN(lon) || math.IsInf(lon, 0) {
		return &CoordError{Axis: "longitude", Value: lon, Reason: ErrNotFinite}
	}
	if math.IsNaN(lat) || math.IsInf(lat, 0) {
		return &CoordError{Axis: "latitude", Value: lat, Reason: ErrNotFinite}
	}
	swapped := LikelySwapped(lon, lat) || (math.Abs(lat) > 90 && math.Abs(lat) <= 180 && math.Abs(lon) <= 90)
	if lat < -90 || lat > 90 {
		return &CoordError{Axis: "latitude", Value: lat, Reason: ErrLatRange, Swapped: swapped}
	}
	if lon < -180 || lon > 180 {
		return &CoordError{Axis: "longitude", Value: lon, Reason: ErrLonRange, Swapped: swapped}
	}
	return nil
}

func inChina(lon, lat float64) bool {
	return lon >= chinaMinLon && lon <= chinaMaxLon && lat >= chinaMinLat && lat <= chinaMaxLat
}

// LikelySwapped reports whether (lon, lat) falls outside China's extent
// (lon 73–136, lat 3–54) but (lat, lon) would fall inside it: the usual sign
// of a file that lists latitude first.
func LikelySwapped(lon, lat float64) bool {
	return !inChina(lon, lat) && inChina(lat, lon)
}
