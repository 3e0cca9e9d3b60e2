package boundary

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/importers/parse"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcLineProperties = []ogcapi.Property{
	{Name: "ext_id", Type: "string", Title: "line id (界线编号)", Queryable: true},
	{Name: "name", Type: "string", Title: "name (界线名称)", Queryable: true},
	{Name: "level", Type: "integer", Title: "level of the units (级别)", Queryable: true},
	{Name: "left_code", Type: "string", Title: "left unit (左侧区划代码)", Queryable: true},
	{Name: "right_code", Type: "string", Title: "right unit (右侧区划代码)", Queryable: true},
	{Name: "origin", Type: "string", Title: "origin", Queryable: true, Enum: []string{"imported", "derived"}},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "length_m", Type: "number", Title: "length, m (长度)"},
	{Name: "version", Type: "integer", Title: "row version"},
	{Name: "updated_at", Type: "string", Title: "updated at"},
}

var ogcMarkerProperties = []ogcapi.Property{
	{Name: "number", Type: "string", Title: "marker number (界桩编号)", Queryable: true},
	{Name: "line", Type: "string", Title: "line id (界线编号)", Queryable: true},
	{Name: "line_id", Type: "integer", Title: "line (internal id)", Queryable: true},
	{Name: "line_name", Type: "string", Title: "line name (界线名称)"},
	{Name: "kind", Type: "string", Title: "kind (单立/同号/三面)", Queryable: true, Enum: parse.MarkerKinds},
	{Name: "condition", Type: "string", Title: "condition (完好/损坏/缺失/移位)", Queryable: true, Enum: parse.MarkerConditions},
	{Name: "photos", Type: "array", Title: "photos (照片)"},
	{Name: "installed_on", Type: "string", Title: "installed on (埋设日期): start of validity"},
	{Name: "last_inspected", Type: "string", Title: "last inspected (最近检查)"},
	{Name: "notes", Type: "string", Title: "notes (备注)"},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
	{Name: "updated_at", Type: "string", Title: "updated at"},
}

// Collections are the boundary's OGC API collections: the boundary lines
// ("boundary-lines", read-only: they change by import and derivation) and the markers
// ("boundary-markers": temporal from their installation date; editable, Part 4,
// boundary-editor role, through CreateMarker, UpdateMarker and DeleteMarker, which audit
// every write).
func (s *Store) Collections() ogcapi.Static {
	lines := sqlsource.Must(s.pool, sqlsource.Spec{
		Meta: ogcapi.Meta{ID: "boundary-lines", Title: "Boundary lines (行政区域界线)", GeometryType: "MultiLineString",
			Description: "Boundary lines between administrative units with the units on either side", Properties: ogcLineProperties},
		From: ogcLineFrom, Key: "b.id", IntKey: true, Geom: "b.geom", Columns: ogcLineColumns, Version: "b.version",
	})
	markers := sqlsource.Must(s.pool, sqlsource.Spec{
		Meta: ogcapi.Meta{ID: "boundary-markers", Title: "Boundary markers (界桩)", GeometryType: "Point",
			Description: "Boundary markers with kind, condition and inspection dates; datetime selects the markers installed by then (unknown dates count as always)",
			Properties:  ogcMarkerProperties, Temporal: true, EditRole: string(auth.BoundaryEditor),
			EditNotes: "POST adds a marker on the line named by line (ext_id or name; omitted: the nearest line), checked as an import's markers are. " +
				"PUT and PATCH change kind, condition, position, photos, dates and notes (not the number or line). " +
				"DELETE removes a marker no inspection round refers to (a lost one is set to condition missing instead)."},
		From: ogcMarkerFrom, Key: "m.id", IntKey: true, Geom: "m.geom", Columns: ogcMarkerColumns, Version: "m.version",
		ValidFrom: "coalesce(m.installed_on, '-infinity'::date)",
	})
	return ogcapi.Static{lines, &markerCollection{Source: markers, store: s}}
}

type markerCollection struct {
	*sqlsource.Source
	store *Store
}

var _ ogcapi.Editor = (*markerCollection)(nil)

var (
	ogcMarkerEditable = []string{"kind", "condition", "photos", "installed_on", "last_inspected", "notes"}
	ogcMarkerReadOnly = []string{"line_id", "line_name", "source", "version", "updated_at"}
)

type ogcMarkerBody struct {
	Number        string   `json:"number"`
	Line          string   `json:"line"`
	Kind          string   `json:"kind"`
	Condition     string   `json:"condition"`
	Photos        []string `json:"photos"`
	InstalledOn   string   `json:"installed_on"`
	LastInspected string   `json:"last_inspected"`
	Notes         string   `json:"notes"`
}

// edit checks the body's editable fields into a MarkerEdit at lon, lat.
func (b ogcMarkerBody) edit(lon, lat float64) (MarkerEdit, error) {
	switch {
	case !slices.Contains(parse.MarkerKinds, b.Kind):
		return MarkerEdit{}, api.BadRequest("kind", "must be one of %s", strings.Join(parse.MarkerKinds, ", "))
	case b.Condition == "":
		b.Condition = "intact"
	case !slices.Contains(parse.MarkerConditions, b.Condition):
		return MarkerEdit{}, api.BadRequest("condition", "must be one of %s", strings.Join(parse.MarkerConditions, ", "))
	}
	e := MarkerEdit{Kind: b.Kind, Condition: b.Condition, Lon: lon, Lat: lat, Photos: b.Photos, Notes: strings.TrimSpace(b.Notes)}
	var err error
	if e.InstalledOn, err = optDate("installed_on", b.InstalledOn); err != nil {
		return e, err
	}
	if e.LastInspected, err = optDate("last_inspected", b.LastInspected); err != nil {
		return e, err
	}
	return e, nil
}

func markerErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrVersionConflict):
		return errors.Join(ogcapi.ErrVersion, err)
	case errors.Is(err, pgx.ErrNoRows):
		return ogcapi.ErrNotFound
	}
	return apiError(err)
}

// Create adds a marker.
func (c *markerCollection) Create(ctx context.Context, f ogcapi.InputFeature) (string, error) {
	var b ogcMarkerBody
	if err := ogcapi.Props(nil, f, append([]string{"number", "line"}, ogcMarkerEditable...), ogcMarkerReadOnly, &b); err != nil {
		return "", err
	}
	if f.Geometry == nil {
		return "", api.BadRequest("geometry", "required: a GeoJSON Point [lon, lat] in CRS84")
	}
	lon, lat, err := ogcapi.Point(f.Geometry)
	if err != nil {
		return "", err
	}
	b.Number = strings.TrimSpace(b.Number)
	if b.Number == "" {
		return "", api.BadRequest("number", "required: the marker number (界桩编号)")
	}
	if err := api.CheckText("number", b.Number, 200); err != nil {
		return "", err
	}
	e, err := b.edit(lon, lat)
	if err != nil {
		return "", err
	}
	m, _, err := c.store.CreateMarker(ctx, MarkerInput{Number: b.Number, LineRef: strings.TrimSpace(b.Line), Kind: e.Kind, Condition: e.Condition,
		Lon: lon, Lat: lat, Photos: e.Photos, InstalledOn: e.InstalledOn, LastInspected: e.LastInspected, Notes: e.Notes}, DefaultCheck)
	if err != nil {
		return "", markerErr(err)
	}
	return strconv.FormatInt(m.ID, 10), nil
}

func (c *markerCollection) current(ctx context.Context, fid string) (Marker, error) {
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return Marker{}, ogcapi.ErrNotFound
	}
	m, err := c.store.Marker(ctx, id)
	return m, markerErr(err)
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (c *markerCollection) save(ctx context.Context, fid string, version int, patch bool, f ogcapi.InputFeature) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	base := ogcapi.JSONValues(map[string]any{"number": cur.Number, "line": cur.LineExtID})
	if patch {
		for k, v := range ogcapi.JSONValues(map[string]any{"kind": cur.Kind, "condition": cur.Condition, "photos": cur.Photos,
			"installed_on": dateText(cur.InstalledOn), "last_inspected": dateText(cur.LastInspected), "notes": cur.Notes}) {
			base[k] = v
		}
	}
	var b ogcMarkerBody
	if err := ogcapi.Props(base, f, append([]string{"number", "line"}, ogcMarkerEditable...), ogcMarkerReadOnly, &b); err != nil {
		return err
	}
	if b.Number != cur.Number {
		return api.BadRequest("number", "cannot be changed (findings refer to markers by number)")
	}
	if b.Line != cur.LineExtID {
		return api.BadRequest("line", "cannot be changed here; re-import the marker with its new line")
	}
	lon, lat := cur.Lon, cur.Lat
	if f.Geometry != nil {
		if lon, lat, err = ogcapi.Point(f.Geometry); err != nil {
			return err
		}
	} else if !patch {
		return api.BadRequest("geometry", "required: a GeoJSON Point [lon, lat] in CRS84")
	}
	e, err := b.edit(lon, lat)
	if err != nil {
		return err
	}
	_, err = c.store.UpdateMarker(ctx, cur.ID, version, e)
	return markerErr(err)
}

// Replace replaces the editable fields (absent ones become empty).
func (c *markerCollection) Replace(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	return c.save(ctx, fid, version, false, f)
}

// Update changes the fields present.
func (c *markerCollection) Update(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	return c.save(ctx, fid, version, true, f)
}

// Delete removes the marker (see DeleteMarker).
func (c *markerCollection) Delete(ctx context.Context, fid string, version int, _ map[string]string) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	return markerErr(c.store.DeleteMarker(ctx, cur.ID, version))
}
