package housenumber

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcProperties = []ogcapi.Property{
	{Name: "address", Type: "string", Title: "address (门牌地址)"},
	{Name: "road_id", Type: "integer", Title: "road id (道路编号)", Queryable: true},
	{Name: "road", Type: "string", Title: "road (道路名称)", Queryable: true},
	{Name: "number", Type: "integer", Title: "number (门牌号)", Queryable: true},
	{Name: "suffix", Type: "string", Title: "suffix (附号)"},
	{Name: "building", Type: "string", Title: "building (幢)"},
	{Name: "unit", Type: "string", Title: "unit (单元)"},
	{Name: "room", Type: "string", Title: "room (室)"},
	{Name: "admin_code", Type: "string", Title: "division code (区划代码)", Queryable: true},
	{Name: "status", Type: "string", Title: "status (状态)", Queryable: true, Enum: []string{"planned", "active", "retired"}},
	{Name: "valid_from", Type: "string", Title: "valid from (生效日期)"},
	{Name: "valid_to", Type: "string", Title: "valid to, exclusive (失效日期)"},
	{Name: "approval_no", Type: "string", Title: "approval number (批准文号)"},
	{Name: "approved_on", Type: "string", Title: "approved on"},
	{Name: "planned_on", Type: "string", Title: "planned on"},
	{Name: "activated_on", Type: "string", Title: "activated on"},
	{Name: "retired_on", Type: "string", Title: "retired on"},
	{Name: "note", Type: "string", Title: "note (备注)"},
	{Name: "predecessor_id", Type: "integer", Title: "the number this one replaced (renumbering)"},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
}

// Collections is the OGC API collection of house numbers ("housenumbers"): temporal
// (valid_from to valid_to; the default is the current, planned and active, numbers) and
// editable (Part 4, names-editor role) through Assign, Activate and Retire, which audit
// every write. A number's identity is its road, number and sub-address: a new number or
// position is a renumbering (a successor record), so PUT and PATCH change the status only.
func (s *Store) Collections() ogcapi.Static {
	src := sqlsource.Must(s.pool, sqlsource.Spec{
		Meta: ogcapi.Meta{ID: "housenumbers", Title: "House numbers (门牌)", GeometryType: "Point",
			Description: "House numbers with sub-address, status and lineage; datetime selects by validity",
			Properties:  ogcProperties, Temporal: true, EditRole: string(auth.NamesEditor),
			EditNotes: "POST assigns a number (number omitted: the suggestion at the point). PUT and PATCH change the status only " +
				"(planned → active, or → retired), with approval_no and note; a new number, suffix, road or position is a renumbering " +
				"(POST /api/housenumbers/{id}/renumber). DELETE retires the number (valid until today); the record stays."},
		From: ogcFrom, Key: "h.id", IntKey: true, Geom: "h.geom", Columns: ogcColumns, Version: "h.version",
		ValidFrom: "h.valid_from", ValidTo: "h.valid_to",
	})
	return ogcapi.Static{&collection{Source: src, store: s}}
}

type collection struct {
	*sqlsource.Source
	store *Store
}

var _ ogcapi.Editor = (*collection)(nil)

var ogcReadOnly = []string{"address", "road", "admin_code", "valid_from", "valid_to", "planned_on", "activated_on", "retired_on",
	"predecessor_id", "source", "version"}

// ogcNew is a feature's properties for a new number.
type ogcNew struct {
	RoadID     int64  `json:"road_id"`
	Number     int    `json:"number"`
	Suffix     string `json:"suffix"`
	Building   string `json:"building"`
	Unit       string `json:"unit"`
	Room       string `json:"room"`
	Status     string `json:"status"`
	ApprovalNo string `json:"approval_no"`
	ApprovedOn string `json:"approved_on"`
	Note       string `json:"note"`
}

func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrVersionConflict):
		return errors.Join(ogcapi.ErrVersion, err)
	case errors.Is(err, pgx.ErrNoRows):
		return ogcapi.ErrNotFound
	}
	return mapErr(err)
}

// Create assigns a house number at the feature's point.
func (c *collection) Create(ctx context.Context, f ogcapi.InputFeature) (string, error) {
	var b ogcNew
	if err := ogcapi.Props(nil, f, []string{"road_id", "number", "suffix", "building", "unit", "room", "status", "approval_no", "approved_on", "note"}, ogcReadOnly, &b); err != nil {
		return "", err
	}
	if f.Geometry == nil {
		return "", api.BadRequest("geometry", "required: a GeoJSON Point [lon, lat] in CRS84")
	}
	lon, lat, err := ogcapi.Point(f.Geometry)
	if err != nil {
		return "", err
	}
	in := AssignInput{RoadID: b.RoadID, Number: b.Number, Suffix: b.Suffix, Building: b.Building, Unit: b.Unit, Room: b.Room,
		Lon: lon, Lat: lat, Status: b.Status, ApprovalNo: b.ApprovalNo, Note: b.Note}
	if b.ApprovedOn != "" {
		t, err := time.Parse(time.DateOnly, b.ApprovedOn)
		if err != nil {
			return "", api.BadRequest("approved_on", "must be a date YYYY-MM-DD, not %q", b.ApprovedOn)
		}
		in.ApprovedOn = &t
	}
	switch {
	case in.RoadID <= 0:
		return "", api.BadRequest("road_id", "required: the road the number is on")
	case in.Status != "" && in.Status != "planned" && in.Status != "active":
		return "", api.BadRequest("status", "must be planned or active")
	}
	if err := checkCoord(in.Lon, in.Lat); err != nil {
		return "", err
	}
	if err := checkHouseText(in.Number, in.Suffix, in.Building, in.Unit, in.Room, in.ApprovalNo, in.Note); err != nil {
		return "", err
	}
	if _, err := c.store.Road(ctx, in.RoadID); err != nil {
		return "", api.NotFoundIf(err, "no road %d", in.RoadID)
	}
	h, err := c.store.Assign(ctx, in)
	if err != nil {
		return "", mapErr(err)
	}
	return strconv.FormatInt(h.ID, 10), nil
}

func (c *collection) current(ctx context.Context, fid string) (House, error) {
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return House{}, ogcapi.ErrNotFound
	}
	h, err := c.store.Get(ctx, id)
	return h, storeErr(err)
}

// change applies a status change: the merged properties must keep the number's identity.
func (c *collection) change(ctx context.Context, fid string, version int, base map[string]json.RawMessage, f ogcapi.InputFeature) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	var b ogcNew
	if err := ogcapi.Props(base, f, []string{"road_id", "number", "suffix", "building", "unit", "room", "status", "approval_no", "note"}, append([]string{"approved_on"}, ogcReadOnly...), &b); err != nil {
		return err
	}
	renumber := "a new number, suffix, sub-address, road or position is a renumbering: POST /api/housenumbers/" + fid + "/renumber (it creates a successor)"
	switch {
	case b.RoadID != cur.RoadID:
		return api.BadRequest("road_id", "%s", renumber)
	case b.Number != cur.Number:
		return api.BadRequest("number", "%s", renumber)
	case b.Suffix != cur.Suffix:
		return api.BadRequest("suffix", "%s", renumber)
	case b.Building != cur.Building || b.Unit != cur.Unit || b.Room != cur.Room:
		return api.BadRequest("building", "%s", renumber)
	}
	if f.Geometry != nil {
		lon, lat, err := ogcapi.Point(f.Geometry)
		if err != nil {
			return err
		}
		if lon != cur.Lon || lat != cur.Lat {
			return api.BadRequest("geometry", "%s", renumber)
		}
	}
	if err := checkHouseText(b.Number, b.Suffix, b.Building, b.Unit, b.Room, b.ApprovalNo, b.Note); err != nil {
		return err
	}
	in := ChangeInput{Version: version, ApprovalNo: b.ApprovalNo, Note: b.Note}
	switch {
	case b.Status == cur.Status:
		return api.BadRequest("status", "is %s already: a house number changes by its status (planned → active, → retired) or by renumbering", cur.Status)
	case b.Status == "active":
		_, err = c.store.Activate(ctx, cur.ID, in)
	case b.Status == "retired":
		_, err = c.store.Retire(ctx, cur.ID, in)
	default:
		return api.BadRequest("status", "must become active (from planned) or retired, not %q", b.Status)
	}
	return storeErr(err)
}

func (c *collection) base(ctx context.Context, fid string) (map[string]json.RawMessage, error) {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return nil, err
	}
	return ogcapi.JSONValues(map[string]any{"road_id": cur.RoadID, "number": cur.Number, "suffix": cur.Suffix, "building": cur.Building,
		"unit": cur.Unit, "room": cur.Room, "status": cur.Status}), nil
}

// Replace sets the status (the identity properties must be the current ones).
func (c *collection) Replace(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	return c.change(ctx, fid, version, nil, f)
}

// Update changes the status (planned → active, or retired).
func (c *collection) Update(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	base, err := c.base(ctx, fid)
	if err != nil {
		return err
	}
	return c.change(ctx, fid, version, base, f)
}

// Delete retires the number.
func (c *collection) Delete(ctx context.Context, fid string, version int, _ map[string]string) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	_, err = c.store.Retire(ctx, cur.ID, ChangeInput{Version: version})
	return storeErr(err)
}
