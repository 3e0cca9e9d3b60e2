package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/coverage"
)

// WriteGeoJSON writes a FeatureCollection of the township polygons (RFC 7946,
// WGS84) with their figures as properties (code, name, county, kind, layer,
// layer_population, covered_population, uncovered_population, share,
// facilities, not_operating, flags, gap_rank, detail, capacity columns). The
// collection carries the run as foreign members: kind, layer, reach,
// target_share, notes and facilities_outside (id, name, lon, lat of facilities
// outside every township).
func WriteGeoJSON(w io.Writer, res *coverage.Result) error {
	if res.Region == nil {
		return fmt.Errorf("geojson: the result has no township geometries (use WriteGeoJSONUnits)")
	}
	return WriteGeoJSONUnits(w, res, res.Region.Townships)
}

// WriteGeoJSONUnits is WriteGeoJSON with the township geometries given apart
// (matched by code), for results kept without their region.
func WriteGeoJSONUnits(w io.Writer, res *coverage.Result, townships []coverage.Unit) error {
	geom := make(map[string]orb.MultiPolygon, len(townships))
	for _, u := range townships {
		geom[u.Code] = u.Geometry
	}
	fc := geojson.NewFeatureCollection()
	ranks := gapRanks(res)
	details := map[string]string{}
	for _, g := range res.Gaps {
		details[string(g.Level)+"/"+g.Code] = g.Detail
	}
	capCols := capacityColumns(res.Standard)
	for _, u := range res.Townships {
		g, ok := geom[u.Code]
		if !ok {
			return fmt.Errorf("geojson: no geometry for township %s", u.Code)
		}
		f := geojson.NewFeature(g)
		key := string(u.Level) + "/" + u.Code
		p := f.Properties
		p["code"] = u.Code
		p["name"] = u.Name
		p["county"] = countyOf(u)
		p["kind"] = res.Standard.ID
		p["layer"] = res.Layer
		p["layer_population"] = persons(u.Population)
		p["covered_population"] = persons(u.Covered)
		p["uncovered_population"] = persons(u.Uncovered)
		p["share"] = share(u.Share)
		p["facilities"] = u.Facilities
		p["not_operating"] = u.NotOperating
		p["flags"] = flags(u.Flags)
		if r, ok := ranks[key]; ok {
			p["gap_rank"] = r
			p["detail"] = details[key]
		} else {
			p["gap_rank"] = nil
			p["detail"] = ""
		}
		if u.VillageGaps > 0 {
			p["village_gaps"] = u.VillageGaps
		}
		for j, v := range capacityValues(u) {
			p[capCols[j]] = v
		}
		if res.Compare != "" && u.Compare != nil {
			// The second measure beside the run's (travel runs: straight_covered_population,
			// straight_only_population = counted by the radius, not reached in time).
			p[res.Compare+"_covered_population"] = persons(u.Compare.Covered)
			p[res.Compare+"_only_population"] = persons(u.Compare.OnlyCompare)
		}
		fc.Append(f)
	}
	type outside struct {
		ID     string  `json:"id"`
		Name   string  `json:"name"`
		Lon    float64 `json:"lon"`
		Lat    float64 `json:"lat"`
		Status string  `json:"status"`
		Source string  `json:"source,omitempty"`
	}
	out := []outside{}
	for _, i := range res.Outside {
		f := res.Facilities[i]
		out = append(out, outside{f.ID, f.Name, f.Location[0], f.Location[1], f.Status, f.Source})
	}
	fc.ExtraMembers = geojson.Properties{
		"kind":               res.Standard.ID,
		"kind_name":          res.Standard.Name,
		"layer":              res.Layer,
		"reach":              res.Reach,
		"target_share":       res.Target,
		"population":         persons(res.Population),
		"covered_population": persons(res.Covered),
		"notes":              res.Notes,
		"facilities_outside": out,
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
