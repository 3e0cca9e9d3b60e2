package topology

import "fmt"

// Check returns the topology findings of units (one level) and, when parents
// are given, of units against their parents (outside_parent, uncovered). A
// unit's parent is Unit.Parent, or else the parent whose code is the longest
// prefix of the unit's code; a unit with neither is checked against the union
// of all parents. The error reports bad input, as for Derive.
func Check(units, parents []Unit, opt Options) ([]Finding, error) {
	if opt.ToleranceM < 0 || !finite(opt.ToleranceM) {
		return nil, fmt.Errorf("tolerance %v m: want a positive number of metres", opt.ToleranceM)
	}
	opt = opt.withDefaults()
	p, err := prepare(units, "unit")
	if err != nil {
		return nil, err
	}
	var pp *prepared
	if len(parents) > 0 {
		if pp, err = prepare(parents, "parent"); err != nil {
			return nil, err
		}
	}
	return overlay(p, pp, opt), nil
}
