package topology

import "errors"

var errTODO = errors.New("topology: not implemented yet")

// Derive returns the boundary lines between each pair of neighbouring units
// (sorted by LeftCode, RightCode) and the gaps, overlaps and slivers between
// them (as Check without parents). The error reports bad input: an empty or
// duplicate code, a unit without polygons, a ring with fewer than 4 points,
// a negative tolerance.
func Derive(units []Unit, opt Options) ([]Line, []Finding, error) {
	return nil, nil, errTODO
}

// Check returns the topology findings of units (one level) and, when parents
// are given, of units against their parents (outside_parent, uncovered). A
// unit's parent is Unit.Parent, or else the parent whose code is the longest
// prefix of the unit's code; a unit with neither is checked against the union
// of all parents.
func Check(units, parents []Unit, opt Options) ([]Finding, error) {
	return nil, errTODO
}
