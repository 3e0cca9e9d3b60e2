// Package ogcapi serves OGC API – Features (Part 1 Core, GeoJSON, HTML and OpenAPI 3.0;
// Part 2 CRS by reference; Part 4 create, replace, update and delete) under /ogc.
//
// The package is protocol only: it parses and checks requests, negotiates formats, builds
// links and documents. The data comes from domain packages through the Collection
// interface (and, for editable collections, Editor), gathered by Catalogs. Adding a layer
// is one small adapter in its domain package (see package ogcapi/sqlsource for the common
// case of a PostGIS relation read by keyset).
package ogcapi

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Collection is one feature collection.
type Collection interface {
	Meta() Meta
	// Items returns one page of the features matching q in key order (ascending), at
	// most q.Limit, and whether more follow in the direction of travel.
	Items(ctx context.Context, q Query) (Page, error)
	// Item returns one feature by its id; ErrNotFound when there is none.
	Item(ctx context.Context, fid string) (Feature, error)
}

// Catalog lists collections; it is asked on every request, so collections that come and
// go (one per coverage run) appear at once.
type Catalog interface {
	Collections(ctx context.Context) ([]Collection, error)
}

// Static is a catalog of a fixed list of collections.
type Static []Collection

// Collections returns the list.
func (s Static) Collections(context.Context) ([]Collection, error) { return s, nil }

// ErrNotFound is what Item returns for an unknown feature id.
var ErrNotFound = errors.New("no such feature")

// Meta describes a collection.
type Meta struct {
	ID          string
	Title       string
	Description string
	// GeometryType is the GeoJSON geometry type of the features, or "" when mixed;
	// "none" for a collection without geometry.
	GeometryType string
	// Properties are the feature properties in order; those marked Queryable may be used
	// as equality filters on the items.
	Properties []Property
	// Temporal collections have a validity period per feature and honour datetime: an
	// instant selects the features valid then, an interval those whose validity meets it;
	// without datetime they show their current features. Others ignore datetime.
	Temporal bool
	// Extent is the spatial extent in CRS84, when known without asking (collections that
	// implement Extenter compute theirs).
	Extent *[4]float64
	// EditRole is the role that may edit an editable collection (Part 4): planner,
	// names-editor, boundary-editor; admins may always. Empty means planner.
	EditRole string
	// EditNotes tell clients what the edits of this collection mean (the OpenAPI
	// description of its write operations), e.g. that DELETE retires a record.
	EditNotes string
	// DeleteParams are query parameters DELETE requires (a retiring act's approval
	// number and date); the server passes them to Editor.Delete.
	DeleteParams []Property
}

// Extent is the extent of a collection's features: bbox in CRS84 and the temporal
// interval (zero times are open ends).
type Extent struct {
	BBox       *[4]float64
	Start, End time.Time
	// Temporal: the interval is known (the collection has a temporal property).
	Temporal bool
}

// Extenter is implemented by collections that can tell their extent cheaply (an
// estimate or a cached aggregate).
type Extenter interface {
	Extent(ctx context.Context) (Extent, error)
}

// Property is one feature property.
type Property struct {
	Name        string
	Type        string // JSON Schema type: string, integer, number, boolean, array
	Title       string
	Description string
	Queryable   bool
	Enum        []string
}

// Query selects features.
type Query struct {
	Limit int
	// After and Before are keyset cursors (the Key of a feature; at most one is set):
	// features with a key greater than After, or the last Limit features with a key
	// less than Before (still returned in ascending order).
	After, Before string
	BBox          *[4]float64 // CRS84 lon/lat
	// AsOf is the datetime instant; zero means now (the current records) unless
	// Interval is set.
	AsOf time.Time
	// Interval: datetime was an interval from Start to End (closed; a zero end is open,
	// "..").
	Interval   bool
	Start, End time.Time
	// Filters are equality filters on queryable properties, by name.
	Filters map[string]string
	// CountCap asks for the number of matching features if it is at most CountCap;
	// 0 asks for none.
	CountCap int
}

// Page is one page of features.
type Page struct {
	Features []Feature
	// More reports whether further features follow in the direction of travel
	// (after the last one, or before the first one for a Before query).
	More bool
	// Matched is the number of features matching the query (cursor aside), or -1 when
	// it was not counted or exceeds the cap.
	Matched int64
}

// Feature is one feature as the domain package produces it.
type Feature struct {
	ID  string // the feature id (fid)
	Key string // the keyset cursor value (often the id)
	// Geometry is a GeoJSON geometry in CRS84, or nil for none.
	Geometry json.RawMessage
	// Properties is a JSON object.
	Properties json.RawMessage
	// Version is the row version (for ETags and If-Match), 0 when the collection has none.
	Version int
	// NumericID makes the id a JSON number.
	NumericID bool
}

// Editor is implemented by collections that can be edited (Part 4). Each method runs in
// one transaction and audits the change; version is the row version the client last
// read (from If-Match), or 0 when it sent none (then the change is refused: see Server).
type Editor interface {
	// Create adds a feature from a GeoJSON Feature and returns its id.
	Create(ctx context.Context, f InputFeature) (string, error)
	// Replace replaces every editable field.
	Replace(ctx context.Context, fid string, version int, f InputFeature) error
	// Update changes the fields present in patch (a partial GeoJSON Feature: geometry
	// and/or some properties).
	Update(ctx context.Context, fid string, version int, f InputFeature) error
	// Delete removes (or retires) the feature; args are the values of Meta.DeleteParams.
	Delete(ctx context.Context, fid string, version int, args map[string]string) error
}

// InputFeature is a GeoJSON Feature a client sent; Geometry is in CRS84.
type InputFeature struct {
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// ErrVersion reports that the If-Match version is stale (412).
var ErrVersion = errors.New("the feature has changed since that version")

// ErrBadCursor is what Items returns for an after or before cursor that cannot be a key
// of the collection (400).
var ErrBadCursor = errors.New("the cursor is not a key of this collection")
