package app

import (
	"context"

	"fangyuan/coverage/plan"
	"fangyuan/coverage/report"
	"fangyuan/coverage/runs"
)

// planSites feeds the county reports' suggested sites (建议选址) from the site
// planner: for each township of the county failing the kind's presence rule,
// the best site inside it (plan mode per_township), on the run's grid, layer,
// radius, reach (straight or travel time) and boundaries' date.
func planSites(rs *runs.Service, ps *plan.Service) runs.SiteSource {
	return func(ctx context.Context, id int64, county string) ([]report.Site, error) {
		r, err := rs.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		req := plan.Request{Kind: r.Kind, Mode: string(plan.ModePerTownship), County: county, Layer: r.Layer, RadiusM: r.RadiusM, AsOf: r.AsOf, Reach: r.Reach}
		if r.GridID != nil {
			req.GridID = *r.GridID
		}
		ans, err := ps.Suggest(ctx, req)
		if err != nil {
			return nil, err
		}
		sites := make([]report.Site, 0, len(ans.Result.Sites))
		for _, s := range ans.Result.Sites {
			sites = append(sites, report.Site{Label: s.Label, Lon: s.Lon, Lat: s.Lat, TownshipCode: s.Township, TownshipName: s.TownshipName, Added: s.Added})
		}
		return sites, nil
	}
}
