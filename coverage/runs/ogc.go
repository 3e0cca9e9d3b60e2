package runs

import (
	"context"
	"strconv"

	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcProperties = []ogcapi.Property{
	{Name: "code", Type: "string", Title: "township code (乡级区划代码)", Queryable: true},
	{Name: "name", Type: "string", Title: "township (乡镇/街道)", Queryable: true},
	{Name: "parent_code", Type: "string", Title: "county code (县级区划代码)", Queryable: true},
	{Name: "population", Type: "number", Title: "population (人口)"},
	{Name: "covered", Type: "number", Title: "covered population (覆盖人口)"},
	{Name: "uncovered", Type: "number", Title: "uncovered population (未覆盖人口)"},
	{Name: "share", Type: "number", Title: "covered share (覆盖率)"},
	{Name: "facilities", Type: "integer", Title: "facilities counted (设施数)"},
	{Name: "not_operating", Type: "integer", Title: "facilities not operating (未运营设施)"},
	{Name: "flags", Type: "array", Title: "flags (标记)"},
	{Name: "rank", Type: "integer", Title: "gap rank (缺口排名)"},
	{Name: "flag_list", Type: "string", Title: "flags, comma-separated (for GIS clients)", Queryable: true},
}

// Collections makes the finished runs a catalog: one collection per run
// ("coverage-run-<id>"), its townships with population, covered share and flags.
func (s *Service) Collections(ctx context.Context) ([]ogcapi.Collection, error) {
	list, err := s.List(ctx, "", "done", ogcRunsLimit)
	if err != nil {
		return nil, err
	}
	out := make([]ogcapi.Collection, 0, len(list))
	for _, r := range list {
		id := strconv.FormatInt(r.ID, 10)
		out = append(out, sqlsource.Must(s.pool, sqlsource.Spec{
			Meta: ogcapi.Meta{ID: "coverage-run-" + id, Title: "Coverage run " + id + ": " + r.KindName + " (" + r.Kind + ") as of " + r.AsOf,
				Description: "Townships (乡级) of coverage run " + id + " for " + r.Kind + " within " + strconv.FormatFloat(r.RadiusM, 'f', -1, 64) +
					" m, as of " + r.AsOf + ": population, covered share and flags (覆盖分析结果)",
				GeometryType: "MultiPolygon", Properties: ogcProperties},
			From: ogcFrom, Where: ogcWhere, Args: []any{r.ID}, Key: ogcKey, Geom: ogcGeom, Columns: ogcColumns,
		}))
	}
	return out, nil
}
