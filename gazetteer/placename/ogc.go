package placename

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/ogcapi"
	"fangyuan/ogcapi/sqlsource"
)

var ogcProperties = []ogcapi.Property{
	{Name: "name", Type: "string", Title: "standard name (标准名称)", Queryable: true},
	{Name: "pinyin", Type: "string", Title: "official pinyin (罗马字母拼写)"},
	{Name: "category", Type: "string", Title: "GB/T 18521 category (类别代码)", Queryable: true},
	{Name: "admin_code", Type: "string", Title: "division code (区划代码)", Queryable: true},
	{Name: "aliases", Type: "array", Title: "aliases (别名)"},
	{Name: "origin", Type: "string", Title: "origin (地名来历)"},
	{Name: "meaning", Type: "string", Title: "meaning (地名含义)"},
	{Name: "history", Type: "string", Title: "history (历史沿革)"},
	{Name: "heritage_level", Type: "string", Title: "heritage level (地名文化遗产级别)", Queryable: true, Enum: []string{"", "national", "provincial", "municipal", "county"}},
	{Name: "heritage_list", Type: "string", Title: "heritage list (地名文化遗产名录)"},
	{Name: "status", Type: "string", Title: "status (状态)", Queryable: true, Enum: []string{"standard", "draft", "retired"}},
	{Name: "approval_no", Type: "string", Title: "approval number of the naming or last renaming act (批准文号)"},
	{Name: "approved_on", Type: "string", Title: "approved on (批准日期)"},
	{Name: "named_on", Type: "string", Title: "date of the naming act (命名日期): start of validity"},
	{Name: "retired_on", Type: "string", Title: "retired on (销名日期): end of validity"},
	{Name: "source", Type: "string", Title: "source (来源)"},
	{Name: "version", Type: "integer", Title: "row version"},
	{Name: "updated_at", Type: "string", Title: "updated at"},
}

// Collections is the OGC API collection of place names ("placenames"): temporal (valid
// from the naming act to the retiring act; datetime selects by it, the default is the
// names not retired) and editable (Part 4, names-editor role): POST names (命名), PUT and
// PATCH edit every field but the name (a new name is a renaming act), DELETE retires
// (销名) with the act's approval number and date; every write goes through Create, Update
// and Retire, which audit it.
func (s *Store) Collections() ogcapi.Static {
	src := sqlsource.Must(s.pool, sqlsource.Spec{
		Meta: ogcapi.Meta{ID: "placenames", Title: "Place names (地名)", GeometryType: "",
			Description: "Standard place names of the place-name office with category, division, origin, meaning, history and heritage listing; datetime selects by validity (naming act to retiring act)",
			Properties:  ogcProperties, Temporal: true, EditRole: string(auth.NamesEditor),
			EditNotes: "PUT and PATCH change every field except the name (rename by POST /api/placenames/{id}/rename, an approved act); DELETE retires the name (销名) by an act: approval_no and date are required; the record stays, status retired.",
			DeleteParams: []ogcapi.Property{{Name: "approval_no", Type: "string", Title: "the retiring act's approval number (批准文号)"},
				{Name: "date", Type: "string", Title: "the date of the retiring act, YYYY-MM-DD"}}},
		From: ogcFrom, Key: "p.id", IntKey: true, Geom: "p.geom", Columns: ogcColumns, Version: "p.version",
		ValidFrom: ogcNamedOn, ValidTo: "p.retired_on",
	})
	return ogcapi.Static{&collection{Source: src, store: s}}
}

type collection struct {
	*sqlsource.Source
	store *Store
}

var _ ogcapi.Editor = (*collection)(nil)

var (
	ogcEditable = []string{"name", "pinyin", "category", "admin_code", "aliases", "origin", "meaning", "history",
		"heritage_level", "heritage_list", "status", "approval_no", "approved_on"}
	ogcReadOnly = []string{"named_on", "retired_on", "source", "version", "updated_at"}
)

// body turns a feature into the body the place-name API takes, over base.
func (c *collection) input(ctx context.Context, base map[string]json.RawMessage, f ogcapi.InputFeature) (Input, error) {
	var b body
	if err := ogcapi.Props(base, f, ogcEditable, ogcReadOnly, &b); err != nil {
		return Input{}, err
	}
	if f.Geometry != nil {
		b.Geometry = f.Geometry
	}
	return c.store.inputCtx(ctx, b)
}

func parseID(fid string) (int64, error) {
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return 0, ogcapi.ErrNotFound
	}
	return id, nil
}

func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrVersionConflict):
		return errors.Join(ogcapi.ErrVersion, err)
	case errors.Is(err, pgx.ErrNoRows):
		return ogcapi.ErrNotFound
	case errors.Is(err, ErrRetired):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrNameChange), errors.Is(err, ErrSameName):
		return api.BadRequest("name", "%v", err)
	}
	return err
}

// Create names a place (命名).
func (c *collection) Create(ctx context.Context, f ogcapi.InputFeature) (string, error) {
	in, err := c.input(ctx, nil, f)
	if err != nil {
		return "", err
	}
	p, err := c.store.Create(ctx, in)
	if err != nil {
		return "", err
	}
	return key(p.ID), nil
}

func (c *collection) current(ctx context.Context, fid string) (PlaceName, error) {
	id, err := parseID(fid)
	if err != nil {
		return PlaceName{}, err
	}
	p, err := c.store.Get(ctx, id)
	return p, storeErr(err)
}

// Replace replaces every field but the name (absent ones become empty; the name must be
// the current one).
func (c *collection) Replace(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	in, err := c.input(ctx, nil, f)
	if err != nil {
		return err
	}
	_, err = c.store.Update(ctx, cur.ID, version, in)
	return storeErr(err)
}

// Update changes the properties present (and the geometry if given).
func (c *collection) Update(ctx context.Context, fid string, version int, f ogcapi.InputFeature) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	base := ogcapi.JSONValues(map[string]any{"name": cur.Name, "pinyin": cur.Pinyin, "category": cur.Category, "admin_code": cur.AdminCode,
		"aliases": cur.Aliases, "origin": cur.Origin, "meaning": cur.Meaning, "history": cur.History, "heritage_level": cur.HeritageLevel,
		"heritage_list": cur.HeritageList, "status": cur.Status, "approval_no": cur.ApprovalNo, "approved_on": cur.ApprovedOn})
	if f.Geometry == nil && string(cur.Geometry) != "null" {
		f.Geometry = cur.Geometry
	}
	in, err := c.input(ctx, base, f)
	if err != nil {
		return err
	}
	_, err = c.store.Update(ctx, cur.ID, version, in)
	return storeErr(err)
}

// Delete retires the place name (销名) by the act in args (approval_no, date).
func (c *collection) Delete(ctx context.Context, fid string, version int, args map[string]string) error {
	cur, err := c.current(ctx, fid)
	if err != nil {
		return err
	}
	if e := CheckText("approval_no", args["approval_no"], MaxNameRunes); e != nil {
		return api.BadRequest(e.Field, "%s", e.Reason)
	}
	date, err := ParseDate(args["date"])
	if err != nil || date == "" {
		return api.BadRequest("date", "the date of the retiring act, YYYY-MM-DD")
	}
	_, err = c.store.Retire(ctx, cur.ID, version, args["approval_no"], date)
	return storeErr(err)
}
