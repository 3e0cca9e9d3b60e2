package coverage

// ZoneOfTownship returns the prepared zone of township i (Region.Townships[i])
// on Region.Frame, for packages that sum their own per-cell values over
// townships (coverage/access). The zone is shared: do not modify it.
func (reg *Region) ZoneOfTownship(i int) *Zone { return &reg.tZones[i] }
