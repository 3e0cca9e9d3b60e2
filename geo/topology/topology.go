// Package topology derives administrative boundary lines (界线) from division
// polygons and checks a level of divisions for topology problems (gaps,
// overlaps, slivers, units outside their parent, parents their children do not
// cover). It is pure geometry on orb types: no database, no files.
//
// Coordinates are WGS84 lon/lat degrees. Lengths are geodesic (WGS84
// ellipsoid, geo.Distance per segment) and areas geodesic (geo.Area).
//
// # Boundary lines
//
// Real polygons from different digitisations do not match exactly, so a
// stretch of the boundary of unit A counts as shared with unit B where it lies
// within Options.ToleranceM of B's boundary and B's boundary is the nearest
// boundary of any other unit there (the nearest-neighbour rule assigns the
// stretches near a three-way junction to the right neighbour, so a line ends
// at the junction instead of overrunning it by the tolerance). What is left
// over, gaps and overlaps wider than the tolerance, is reported as findings,
// not lines.
//
// Line ends follow the vertices, as a comparison of the snapped linework in
// PostGIS (ST_Snap, then the intersection of the boundaries) has them: a
// stretch that runs into a divergence (nothing within the tolerance) stops
// at its last vertex, unless the two boundaries coincide exactly there; a
// change of neighbour within the tolerance of a vertex moves to that vertex;
// a stretch shorter than half the tolerance between two of one neighbour
// joins them, and one between two other neighbours (a unit touching at a
// corner) is split between them.
//
// There is one Line per pair of neighbouring units. Its geometry follows the
// boundary of the unit with the smaller code (LeftCode), in the direction that
// keeps that unit on the left: walking along the line, LeftCode's unit lies on
// the left and RightCode's on the right (LeftCode < RightCode, compared as
// strings). A pair whose shared boundary is interrupted (by a gap wider than
// the tolerance, say) has several pieces in its MultiLineString, longest first.
// Pairs sharing less than the tolerance in total (units meeting at a corner)
// have no line.
//
// The line id depends only on the level and the two codes (LineID), so a line
// keeps its id however its geometry is edited, and re-deriving from the same
// or slightly edited polygons gives the same ids.
//
// # Topology checks
//
// Check computes the planar arrangement of all boundary segments (every
// crossing and touching is a node), labels each face with the units and
// parents covering it, and merges adjacent faces of the same label into
// findings:
//
//   - overlap: covered by two or more units (Codes: those units);
//   - gap: covered by no unit and enclosed by units (a hole in their union;
//     Codes: the units around it);
//   - sliver: a piece of any of the other kinds thinner than the tolerance
//     (mean width 2·area/perimeter below ToleranceM); Of says which kind it
//     is. Slivers are what snapping absorbs into a line, reported so that
//     they can be cleaned up;
//   - outside_parent: a part of a unit not covered by its parent (Codes: the
//     unit, then its parent);
//   - uncovered: a part of a parent that none of its children covers and that
//     is not already a gap (Codes: the parent).
//
// Pieces smaller than Options.MinAreaM2, and slivers smaller than
// Options.MinSliverM2, are dropped (floating-point noise and the tiny
// crossings of near-coincident edges).
//
// Results are sorted (lines by LeftCode then RightCode, findings by kind,
// codes, then area descending), so output is deterministic.
//
// Scale: the segments of all rings go into a uniform grid of boxes, for the
// lines (segments within the tolerance) and for the noding of the
// arrangement; points of the arrangement are integer ids (equal coordinates
// found on a grid), and its segments, nodes and edges are found through
// per-vertex lists, with no hash map; faces are labelled by spreading from
// the outside across edges, so no face needs a point-in-polygon test in the
// usual case. A province of 1,364 townships (294,307 vertices) takes about
// 0.8 CPU-seconds for the lines and 1.3 for the checks with parents
// (docs/BENCHMARKS.md).
package topology

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/paulmach/orb"
)

// Unit is one division polygon: its code, name, optional parent code and
// geometry (lon/lat; ring orientation does not matter).
type Unit struct {
	Code   string
	Name   string
	Parent string // code of the parent unit; empty: the parent whose code is the longest prefix of Code
	Geom   orb.MultiPolygon
}

// Options control Derive and Check.
type Options struct {
	// Level is copied to every Line (province|prefecture|county|township|village).
	Level string
	// ToleranceM is the snapping tolerance in metres (default 30): boundary
	// stretches of two units within it count as shared, and pieces thinner
	// than it are slivers.
	ToleranceM float64
	// MinAreaM2 drops findings smaller than it (default ToleranceM², 900 m²
	// at the default tolerance). Negative: keep everything.
	MinAreaM2 float64
	// MinSliverM2 drops slivers smaller than it (default 10·ToleranceM²,
	// 9,000 m² at the default tolerance): the crossings of two digitisations
	// of one line leave countless thin slivers of a few hundred m².
	// Negative: keep every sliver.
	MinSliverM2 float64
	// LinesOnly makes Derive return the lines alone, without the findings
	// (half of its work; Check reports them).
	LinesOnly bool
}

// DefaultToleranceM is the default snapping tolerance.
const DefaultToleranceM = 30

func (o Options) withDefaults() Options {
	if o.ToleranceM == 0 {
		o.ToleranceM = DefaultToleranceM
	}
	if o.MinAreaM2 == 0 {
		o.MinAreaM2 = o.ToleranceM * o.ToleranceM
	}
	if o.MinSliverM2 == 0 {
		o.MinSliverM2 = 10 * o.ToleranceM * o.ToleranceM
	}
	return o
}

// Line is a boundary line (界线) between two neighbouring units.
type Line struct {
	ID        string // LineID(Level, LeftCode, RightCode)
	Name      string // LineName(LeftName, RightName), e.g. 莲都区—青田县线
	LeftCode  string // the unit on the left walking along the line (the smaller code)
	RightCode string // the unit on the right
	LeftName  string
	RightName string
	Level     string
	LengthM   float64             // geodesic length of Geom, metres
	Geom      orb.MultiLineString // pieces, longest first; each runs with LeftCode on its left
}

// Finding kinds.
const (
	KindGap           = "gap"
	KindOverlap       = "overlap"
	KindSliver        = "sliver"
	KindOutsideParent = "outside_parent"
	KindUncovered     = "uncovered"
)

// Finding is one topology problem.
type Finding struct {
	Kind   string   // KindGap, KindOverlap, KindSliver, KindOutsideParent or KindUncovered
	Of     string   // slivers: the kind of the thin piece (gap, overlap, outside_parent, uncovered); empty otherwise
	Codes  []string // the units involved (see the package doc for each kind)
	AreaM2 float64  // geodesic area, m²
	WidthM float64  // mean width 2·area/perimeter, metres
	Geom   orb.Geometry
	// Geom is an orb.Polygon or orb.MultiPolygon with RFC 7946 winding
	// (outer rings counter-clockwise, holes clockwise).
}

// LineID is the stable id of the line between left and right at level: the
// first 16 hex digits of SHA-256("level|left|right"), where a 12-digit
// division code whose digits past the level's significant ones (province 2,
// prefecture 4, county 6, township 9, village 12) are zeros is taken in its
// short form (339901001000 at township level is 339901001), so a file with
// short codes and the database's 12-digit codes give a line the same id.
func LineID(level, left, right string) string {
	h := sha256.Sum256([]byte(level + "|" + shortCode(level, left) + "|" + shortCode(level, right)))
	return hex.EncodeToString(h[:8])
}

// shortCode is code without the trailing zeros of a 12-digit division code
// past the level's significant digits; any other code is returned as is.
func shortCode(level, code string) string {
	n, ok := map[string]int{"province": 2, "prefecture": 4, "county": 6, "township": 9}[level]
	if !ok || len(code) != 12 {
		return code
	}
	for i := 0; i < 12; i++ {
		if c := code[i]; c < '0' || c > '9' || i >= n && c != '0' {
			return code
		}
	}
	return code[:n]
}

// LineName names a line after its two units: "莲都区—青田县线".
func LineName(leftName, rightName string) string {
	return leftName + "—" + rightName + "线"
}
