package gazetteer

import (
	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcDivisionProperties = []ogcapi.Property{
	{Name: "code", Type: "string", Title: "division code (区划代码)", Queryable: true},
	{Name: "name", Type: "string", Title: "name (名称)", Queryable: true},
	{Name: "level", Type: "integer", Title: "level (级别)"},
	{Name: "kind", Type: "string", Title: "kind (类型)", Queryable: true},
	{Name: "parent_code", Type: "string", Title: "parent code (上级区划代码)", Queryable: true},
	{Name: "pinyin", Type: "string", Title: "official pinyin (拼音)"},
	{Name: "pinyin_draft", Type: "string", Title: "generated pinyin (draft)"},
	{Name: "valid_from", Type: "string", Title: "valid from (生效日期)"},
	{Name: "valid_to", Type: "string", Title: "valid to, exclusive (失效日期)"},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
}

var ogcRoadProperties = []ogcapi.Property{
	{Name: "name", Type: "string", Title: "name (道路名称)", Queryable: true},
	{Name: "admin_code", Type: "string", Title: "division code (区划代码)", Queryable: true},
	{Name: "kind", Type: "string", Title: "kind (类型)", Queryable: true},
	{Name: "numbering_origin", Type: "string", Title: "numbering starts at (编号起点)"},
	{Name: "odd_side", Type: "string", Title: "odd numbers side (单号侧)"},
	{Name: "one_sided", Type: "boolean", Title: "numbered on one side only"},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
}

// Collections are the gazetteer's OGC API collections: the divisions of each level
// ("divisions-<level>", versioned: datetime picks the as-of date; geometry where a
// boundary was imported, null otherwise) and the roads.
func (s *Store) Collections() ogcapi.Static {
	var out ogcapi.Static
	for l := Province; l <= Village; l++ {
		out = append(out, sqlsource.Must(s.pool, sqlsource.Spec{
			Meta: ogcapi.Meta{ID: "divisions-" + l.String(), Title: "Divisions (行政区划): " + l.String(),
				Description: "Administrative divisions of level " + l.String() + "; datetime=YYYY-MM-DD gives the units valid on that date",
				Properties:  ogcDivisionProperties, Temporal: true, GeometryType: "MultiPolygon"},
			From: ogcDivisionFrom, Where: ogcDivisionWhere, Args: []any{int(l)}, Key: "a.id", IntKey: true, Geom: "a.geom",
			Columns: ogcDivisionColumns, Version: "a.version", Current: ogcDivisionCurrent, AsOf: ogcDivisionAsOf,
			ValidFrom: "a.valid_from", ValidTo: "a.valid_to",
		}))
	}
	out = append(out, sqlsource.Must(s.pool, sqlsource.Spec{
		Meta: ogcapi.Meta{ID: "roads", Title: "Roads (道路)", Description: "Roads with their house-numbering rule",
			Properties: ogcRoadProperties, GeometryType: "LineString"},
		From: ogcRoadFrom, Key: "r.id", IntKey: true, Geom: "r.geom", Columns: ogcRoadColumns, Version: "r.version",
	}))
	return out
}
