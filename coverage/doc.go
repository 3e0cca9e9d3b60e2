// Package coverage is the coverage engine: for a facility kind, which
// townships fail the service standard, by how much, and who is left out. It has
// no storage dependency: it takes in-memory inputs, which come from PostGIS
// (coverage/runs) or straight from files (coverage/inputs; `fangyuan coverage`).
//
// # Inputs and the cell rule
//
// A population grid (geo.Grid, EPSG:4326, one band per layer: total,
// age60plus, age0_17), township boundaries (Unit; villages and county names
// optional), facilities (Facility) and the kind's Standard (standards.json,
// DESIGN.md's table, editable per deployment and validated on load).
//
// A cell is reached when its centre lies within the catchment of at least one
// operating facility; planned and closed facilities are listed but do not
// count. A cell reached by several facilities counts once. A cell cut by a
// township boundary gives each township the share of its population equal to
// the share of its area inside (planar, in lon/lat degrees: ST_Area of the
// intersection over ST_Area of the cell in SRID 4326), so the townships add up
// to the grid total inside the region. The PostGIS formulation of the same rule
// is in postgis_test.go (sqlCoverage); the engine equals it within 10⁻⁶ person
// per township on the demo data and on random tilings (asserted; measured 10⁻⁸).
//
// # Parts
//
//   - ZoneOf: the exact raster form of a polygon on a Frame (a window of the
//     grid): runs of whole cells and the boundary cells with their fractions,
//     computed by walking each ring once through the cells it crosses
//     (exactextract's method as a scanline sweep).
//   - PrepareRegion: every township's (and village's) zone, a point locator and
//     the township → county grouping by code; kind-independent, so a server
//     keeps one Region per grid and boundary set.
//   - Reach: which facility reaches each cell and at what cost. Straight is the
//     geodesic radius (WGS84, the rule of geography ST_DWithin); a road-network
//     travel-time reach implements the same interface later.
//   - Run: per township the layer population, covered population and share,
//     operating facilities inside, capacity against the kind's ratios, flags
//     (NO_FACILITY, TOO_MANY, COUNTY_NO_FACILITY, PREFECTURE_NO_FACILITY,
//     VILLAGE_GAPS, VILLAGE_SHARE, BELOW_TARGET, CAPACITY_SHORTFALL) and
//     uncovered population; per village, county and (for prefecture rules)
//     prefecture the presence rules with their minimum and maximum; the
//     share-of-villages target per township and county (presence.go); per facility the population in its catchment and the
//     population for which it is the nearest; a ranked list of gaps.
//
// Populations stay float64 inside; coverage/report rounds them for output.
package coverage
