package facility

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/api"
	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcProperties = []ogcapi.Property{
	{Name: "ext_id", Type: "string", Title: "source id (来源编号)", Queryable: true},
	{Name: "name", Type: "string", Title: "name (名称)", Queryable: true},
	{Name: "status", Type: "string", Title: "status (状态)", Queryable: true, Enum: Statuses},
	{Name: "beds", Type: "integer", Title: "beds (床位)"},
	{Name: "nursing_beds", Type: "integer", Title: "nursing beds (护理床位)"},
	{Name: "dementia_beds", Type: "integer", Title: "dementia beds (认知症床位)"},
	{Name: "address", Type: "string", Title: "address (地址)"},
	{Name: "admin_code", Type: "string", Title: "division code (区划代码)", Queryable: true},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
	{Name: "updated_at", Type: "string", Title: "updated at"},
}

// Collections are the OGC API collections of facilities, one per kind
// ("facilities-<kind>"), editable through the store (Part 4; planner role, audited).
func (s *Store) Collections() ogcapi.Static {
	var out ogcapi.Static
	for _, k := range s.Kinds() {
		src := sqlsource.Must(s.pool, sqlsource.Spec{
			Meta: ogcapi.Meta{ID: "facilities-" + k.ID, Title: k.Name + " " + k.En, GeometryType: "Point",
				Description: "Facilities of kind " + k.ID + " (设施: " + k.Name + ")", Properties: ogcProperties},
			From: ogcFrom, Where: ogcWhere, Args: []any{k.ID}, Key: ogcKey, KeyPrefix: ogcKeyPrefix, IntKey: true, Geom: ogcGeom,
			Columns: ogcColumns, Version: "f.version",
		})
		out = append(out, &collection{Source: src, store: s, kind: k.ID})
	}
	return out
}

type collection struct {
	*sqlsource.Source
	store *Store
	kind  string
}

var _ ogcapi.Editor = (*collection)(nil)

// editable are the properties a client may send; the rest are the store's.
var editable = map[string]bool{"ext_id": true, "name": true, "status": true, "beds": true, "nursing_beds": true, "dementia_beds": true, "address": true, "admin_code": true}

// toBody turns a GeoJSON Feature into the body the facility API takes, on top of base.
func toBody(base map[string]json.RawMessage, f ogcapi.InputFeature, needGeom bool) (body, error) {
	var b body
	m := map[string]json.RawMessage{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range f.Properties {
		if !editable[k] {
			if k == "version" || k == "updated_at" || k == "source" {
				continue // read-only, sent back as read: ignored
			}
			return b, api.BadRequest(k, "unknown property (editable: ext_id, name, status, beds, nursing_beds, dementia_beds, address, admin_code)")
		}
		m[k] = v
	}
	if f.Geometry != nil {
		var g struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		}
		if err := json.Unmarshal(f.Geometry, &g); err != nil || g.Type != "Point" || len(g.Coordinates) < 2 {
			return b, api.BadRequest("geometry", "must be a GeoJSON Point [lon, lat] in CRS84")
		}
		m["lon"], _ = json.Marshal(g.Coordinates[0])
		m["lat"], _ = json.Marshal(g.Coordinates[1])
	} else if needGeom {
		return b, api.BadRequest("geometry", "required: a GeoJSON Point [lon, lat] in CRS84")
	}
	raw, _ := json.Marshal(m)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return b, api.BadRequest(typ.Field, "must be %s, not %s", typ.Type, typ.Value)
		}
		return b, api.BadRequest("properties", "%v", err)
	}
	return b, nil
}

func parseID(fid string) (int64, error) {
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return 0, ogcapi.ErrNotFound
	}
	return id, nil
}

// current reads facility fid of this collection's kind.
func (c *collection) current(ctx context.Context, fid string) (Facility, error) {
	id, err := parseID(fid)
	if err != nil {
		return Facility{}, err
	}
	f, err := c.store.Get(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && f.Kind != c.kind) {
		return f, ogcapi.ErrNotFound
	}
	return f, err
}

func storeErr(err error) error {
	switch {
	case errors.Is(err, ErrVersionConflict):
		return errors.Join(ogcapi.ErrVersion, err)
	case errors.Is(err, pgx.ErrNoRows):
		return ogcapi.ErrNotFound
	}
	return err
}

// Create adds a facility of the collection's kind.
func (c *collection) Create(ctx context.Context, f ogcapi.InputFeature) (string, error) {
	b, err := toBody(nil, f, true)
	if err != nil {
		return "", err
	}
	in, err := b.input()
	if err != nil {
		return "", err
	}
	if in.ExtID == "" {
		return "", api.BadRequest("ext_id", "required: your identifier for the facility (unique per kind)")
	}
	out, err := c.store.Create(ctx, c.kind, in)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(out.ID, 10), nil
}

func (c *collection) save(ctx context.Context, fid string, version int, base map[string]json.RawMessage, f ogcapi.InputFeature, needGeom bool) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	if ext, ok := f.Properties["ext_id"]; ok {
		var s string
		if json.Unmarshal(ext, &s) != nil || s != cur.ExtID {
			return api.BadRequest("ext_id", "cannot be changed; delete and create instead")
		}
	}
	b, err := toBody(base, f, needGeom)
	if err != nil {
		return err
	}
	b.ExtID = ""
	in, err := b.input()
	if err != nil {
		return err
	}
	_, err = c.store.Update(ctx, cur.ID, version, in)
	return storeErr(err)
}

// Replace replaces every editable field (absent ones become empty).
func (c *collection) Replace(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	return c.save(ctx, fid, version, nil, f, true)
}

// Update changes the fields present (a JSON merge patch of the properties; geometry if
// given).
func (c *collection) Update(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	base := map[string]json.RawMessage{}
	for k, v := range map[string]any{"name": cur.Name, "status": cur.Status, "beds": cur.Beds, "nursing_beds": cur.NursingBeds,
		"dementia_beds": cur.DementiaBeds, "address": cur.Address, "admin_code": cur.AdminCode, "lon": cur.Lon, "lat": cur.Lat} {
		base[k], _ = json.Marshal(v)
	}
	if string(base["admin_code"]) == "null" {
		delete(base, "admin_code")
	}
	if math.IsNaN(cur.Lon) {
		delete(base, "lon")
	}
	return c.save(ctx, fid, version, base, f, false)
}

// Delete removes the facility.
func (c *collection) Delete(ctx context.Context, fid string, version int, _ map[string]string) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	return storeErr(c.store.Delete(ctx, cur.ID, version))
}
