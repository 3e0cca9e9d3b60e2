// Package geo holds Fangyuan's coordinate and grid primitives: Chinese map
// coordinate systems (WGS84/CGCS2000, GCJ-02, BD-09), geodesy on the WGS84
// ellipsoid, coordinate sanity checks, the in-memory population Grid, and the
// single place where go-geom and orb geometries are converted.
//
// Coordinates are WGS84 lon/lat orb.Point{lon, lat} everywhere unless a
// function says otherwise.
package geo
