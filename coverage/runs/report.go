package runs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/coverage"
	"fangyuan/coverage/report"
	"fangyuan/internal/api"
	"fangyuan/internal/limits"
)

// reportRoutes are the printable county reports (打印报告) of a finished run.
func (s *Service) reportRoutes() []api.Route {
	params := []api.Param{{Name: "id", In: "path", Type: "integer"},
		{Name: "county", In: "query", Type: "string", Description: "county code (6 or 12 digits); required", Example: "339901"}}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/report.pdf", Tag: "coverage",
			Summary:     "Printable county report (PDF, Chinese): map of the townships by coverage, gap ranking, suggested sites, standards applied",
			Description: "Suggested sites come from the service's SiteSource; without one the report says 无建议选址 / no suggestions.",
			Params:      params, Produces: []string{"application/pdf"}, Handler: s.countyReport("pdf")},
		{Method: http.MethodGet, Path: "/api/coverage/runs/{id:[0-9]+}/report.xlsx", Tag: "coverage",
			Summary: "The county report's tables as XLSX (townships, gaps, suggested sites, standards)",
			Params:  params, Produces: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Handler: s.countyReport("xlsx")},
	}
}

// SiteSource suggests the new sites a county report lists for a finished run
// (the site planner, once wired in).
type SiteSource func(ctx context.Context, run int64, county string) ([]report.Site, error)

// SetSiteSource sets where county reports get their suggested sites; without
// one (or with nil) they list none (无建议选址).
func (s *Service) SetSiteSource(f SiteSource) {
	if f == nil {
		s.sites.Store(nil)
		return
	}
	s.sites.Store(&f)
}

// CountyReport builds the county report of finished run id, with the
// townships' boundaries as of the run's date and the given suggested sites.
// It wraps report.ErrNoCounty when the run has no township in county.
func (s *Service) CountyReport(ctx context.Context, id int64, county string, sites []report.Site) (*report.County, error) {
	return ReadCountyReport(ctx, s.pool, s.standards, id, county, sites)
}

// ReadCountyReport is CountyReport for a client that only reads (the CLI): it
// does not start a Service, which would mark the runs of a live server failed.
func ReadCountyReport(ctx context.Context, pool *pgxpool.Pool, standards *coverage.Standards, id int64, county string, sites []report.Site) (*report.County, error) {
	s := &Service{pool: pool, standards: standards} // read-only use: Get and Result
	run, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	res, err := s.Result(ctx, id)
	if err != nil {
		return nil, err
	}
	code := report.CountyCode(county)
	var codes []string
	for _, u := range res.Townships {
		if u.Parent == code {
			codes = append(codes, u.Code)
		}
	}
	geoms := map[string]orb.MultiPolygon{}
	if len(codes) > 0 {
		rows, err := s.pool.Query(ctx, sqlRunTownshipGeoms, id, codes)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			var b []byte
			if err := rows.Scan(&c, &b); err != nil {
				return nil, err
			}
			g, err := wkb.Unmarshal(b)
			if err != nil {
				return nil, fmt.Errorf("township %s: %w", c, err)
			}
			switch g := g.(type) {
			case orb.MultiPolygon:
				geoms[c] = g
			case orb.Polygon:
				geoms[c] = orb.MultiPolygon{g}
			default:
				return nil, fmt.Errorf("township %s: boundary is a %s", c, g.GeoJSONType())
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	meta := report.Meta{RunID: run.ID, AsOf: run.AsOf, StandardsVersion: s.standards.Version}
	if run.FinishedAt != nil {
		meta.RunDate = run.FinishedAt.UTC().Format(time.DateOnly)
	}
	return report.NewCounty(res, county, geoms, sites, meta)
}

func (s *Service) countyReport(format string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := api.ExtendDeadlines(w, downloadTimeout); err != nil {
			return err
		}
		county := r.URL.Query().Get("county")
		if county == "" {
			return api.BadRequest("county", "required: the county code, e.g. ?county=339901")
		}
		if err := api.CheckText("county", county, limits.Name); err != nil {
			return err
		}
		run, err := s.finished(r)
		if err != nil {
			return err
		}
		var sites []report.Site
		if src := s.sites.Load(); src != nil {
			if sites, err = (*src)(r.Context(), run.ID, report.CountyCode(county)); err != nil {
				return fmt.Errorf("suggested sites: %w", err)
			}
		}
		c, err := s.CountyReport(r.Context(), run.ID, county, sites)
		if errors.Is(err, report.ErrNoCounty) {
			return api.NotFound("coverage run %d: %v", run.ID, err)
		}
		if err != nil {
			return err
		}
		name := fmt.Sprintf("coverage-%d-%s-%s.%s", run.ID, run.Kind, c.Code, format)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
		if format == "pdf" {
			w.Header().Set("Content-Type", "application/pdf")
			return report.WriteCountyPDF(w, c)
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		return report.WriteCountyXLSX(w, c)
	}
}
