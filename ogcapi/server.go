package ogcapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fangyuan/internal/api"
)

// Prefix is where the API is served.
const Prefix = "/ogc"

// Media types.
const (
	geoJSONType = "application/geo+json"
	jsonType    = "application/json"
	htmlType    = "text/html"
	oasType     = "application/vnd.oai.openapi+json;version=3.0"
	schemaType  = "application/schema+json"
)

// Conformance classes declared by /conformance.
var Conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
}

// Server serves the collections of its catalogs.
type Server struct {
	Title, Description string
	Catalogs           []Catalog
	// Now stamps timeStamp; nil means time.Now.
	Now func() time.Time
}

// New returns a server over catalogs.
func New(catalogs ...Catalog) *Server {
	return &Server{
		Title:       "Fangyuan 方圆 OGC API – Features",
		Description: "Divisions (行政区划), roads (道路), facilities (设施), coverage results (覆盖分析), place names (地名), house numbers (门牌), boundary lines (界线) and markers (界桩) of Fangyuan",
		Catalogs:    catalogs,
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Routes are the OGC API endpoints.
func (s *Server) Routes() []api.Route {
	const tag = "ogcapi"
	cid := api.Param{Name: "collectionId", In: "path", Type: "string"}
	fid := api.Param{Name: "featureId", In: "path", Type: "string"}
	f := api.Param{Name: "f", In: "query", Type: "string", Enum: []string{"json", "html"}}
	coll := Prefix + "/collections/{collectionId}"
	roles := make([]string, len(EditRoles))
	for i, r := range EditRoles {
		roles[i] = string(r)
	}
	role := strings.Join(roles, "|") // narrowed per collection (Meta.EditRole) by the handlers
	return []api.Route{
		{Method: http.MethodGet, Path: Prefix, Tag: tag, Summary: "OGC API – Features landing page", Params: []api.Param{f}, Handler: s.landing},
		{Method: http.MethodGet, Path: Prefix + "/api", Tag: tag, Summary: "OpenAPI 3.0 definition of the OGC API", Produces: []string{oasType}, Handler: s.openapi},
		{Method: http.MethodGet, Path: Prefix + "/conformance", Tag: tag, Summary: "Conformance classes", Params: []api.Param{f}, Handler: s.conformance},
		{Method: http.MethodGet, Path: Prefix + "/collections", Tag: tag, Summary: "Feature collections", Params: []api.Param{f}, Handler: s.collections},
		{Method: http.MethodGet, Path: coll, Tag: tag, Summary: "One feature collection", Params: []api.Param{cid, f}, Handler: s.collection},
		{Method: http.MethodGet, Path: coll + "/queryables", Tag: tag, Summary: "Queryable properties (JSON Schema)", Params: []api.Param{cid, f}, Produces: []string{schemaType}, Handler: s.queryables},
		{Method: http.MethodGet, Path: coll + "/schema", Tag: tag, Summary: "The schema of the features' properties (JSON Schema)", Params: []api.Param{cid}, Produces: []string{schemaType}, Handler: s.schema},
		{Method: http.MethodGet, Path: coll + "/items", Tag: tag, Summary: "Features of a collection (GeoJSON, keyset paging)",
			Description: "Parameters: bbox, bbox-crs, crs, datetime, limit (1–10000, default 100), after/before (cursors of the next/prev links), f, and equality filters on the collection's queryables.",
			Params:      []api.Param{cid, f}, Produces: []string{geoJSONType, htmlType}, Handler: s.items},
		{Method: http.MethodGet, Path: coll + "/items/{featureId}", Tag: tag, Summary: "One feature", Params: []api.Param{cid, fid, f}, Produces: []string{geoJSONType, htmlType}, Handler: s.item},
		{Method: http.MethodPost, Path: coll + "/items", Tag: tag, Role: role, Summary: "Create a feature (GeoJSON Feature body)", Params: []api.Param{cid}, Body: `{"type":"Feature","geometry":{"type":"Point","coordinates":[119.9,28.2]},"properties":{"ext_id":"EC-99","name":"…"}}`, Handler: s.create},
		{Method: http.MethodPut, Path: coll + "/items/{featureId}", Tag: tag, Role: role, Summary: "Replace a feature (If-Match: its ETag)", Params: []api.Param{cid, fid}, Body: "a GeoJSON Feature", Handler: s.replace},
		{Method: http.MethodPatch, Path: coll + "/items/{featureId}", Tag: tag, Role: role, Summary: "Update some fields of a feature (If-Match: its ETag)", Params: []api.Param{cid, fid}, Body: "a partial GeoJSON Feature", Handler: s.update},
		{Method: http.MethodDelete, Path: coll + "/items/{featureId}", Tag: tag, Role: role, Summary: "Delete a feature (If-Match: its ETag)", Params: []api.Param{cid, fid}, Handler: s.delete},
	}
}

// Link is a web link.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// base is the absolute URL of the API root for r.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix
}

// wantHTML negotiates: f=html|json wins, else Accept naming text/html before any JSON.
func wantHTML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "html":
		return true, nil
	case "json", "geojson":
		return false, nil
	case "":
	default:
		return false, api.BadRequest("f", "must be json or html, not %q", f)
	}
	acc := r.Header.Get("Accept")
	h := strings.Index(acc, htmlType)
	if h < 0 {
		return false, nil
	}
	for _, j := range []string{"json"} {
		if i := strings.Index(acc, j); i >= 0 && i < h {
			return false, nil
		}
	}
	return true, nil
}

// selfLinks are the self and alternate links of a resource at path (below Prefix).
func selfLinks(r *http.Request, path string, html bool, jsonT string) []Link {
	b := base(r) + path
	jl := Link{Href: b + "?f=json", Rel: "alternate", Type: jsonT, Title: "this document as JSON"}
	hl := Link{Href: b + "?f=html", Rel: "alternate", Type: htmlType, Title: "this document as HTML"}
	if html {
		hl.Rel = "self"
		return []Link{hl, jl}
	}
	jl.Rel = "self"
	return []Link{jl, hl}
}

func writeJSONDoc(w http.ResponseWriter, ct string, v any) error {
	w.Header().Set("Content-Type", ct)
	return api.WriteJSON(w, http.StatusOK, v)
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	links := append(selfLinks(r, "", html, jsonType),
		Link{Href: base(r) + "/api", Rel: "service-desc", Type: oasType, Title: "the API definition (OpenAPI 3.0)"},
		Link{Href: base(r) + "/api?f=html", Rel: "service-doc", Type: htmlType, Title: "the API documentation"},
		Link{Href: base(r) + "/conformance", Rel: "conformance", Type: jsonType, Title: "conformance classes"},
		Link{Href: base(r) + "/collections", Rel: "data", Type: jsonType, Title: "feature collections"},
	)
	doc := map[string]any{"title": s.Title, "description": s.Description, "links": links}
	if html {
		return renderHTML(w, s.Title, doc, pageLanding)
	}
	return writeJSONDoc(w, jsonType, doc)
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	doc := map[string]any{"conformsTo": Conformance, "links": selfLinks(r, "/conformance", html, jsonType)}
	if html {
		return renderHTML(w, "Conformance", doc, pageConformance)
	}
	return writeJSONDoc(w, jsonType, doc)
}

// all lists the collections of every catalog.
func (s *Server) all(ctx context.Context) ([]Collection, error) {
	var out []Collection
	for _, c := range s.Catalogs {
		cs, err := c.Collections(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func (s *Server) find(r *http.Request) (Collection, error) {
	id := api.PathParam(r, "collectionId")
	cs, err := s.all(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Meta().ID == id {
			return c, nil
		}
	}
	return nil, api.NotFound("no collection %q", id)
}

// TRS is the temporal reference system of extents (the Gregorian calendar, UTC).
const TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

// extentDoc is the extent member of a collection: spatial from Meta.Extent or the
// collection's Extenter, temporal from the Extenter; nil when nothing is known.
func extentDoc(r *http.Request, c Collection) (map[string]any, error) {
	m := c.Meta()
	ext := Extent{BBox: m.Extent}
	if e, ok := c.(Extenter); ok {
		var err error
		if ext, err = e.Extent(r.Context()); err != nil {
			return nil, err
		}
		if ext.BBox == nil {
			ext.BBox = m.Extent
		}
	}
	doc := map[string]any{}
	if ext.BBox != nil {
		doc["spatial"] = map[string]any{"bbox": [][]float64{ext.BBox[:]}, "crs": CRS84.URI}
	}
	if ext.Temporal {
		end := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return t.UTC().Format(time.RFC3339)
		}
		doc["temporal"] = map[string]any{"interval": [][]any{{end(ext.Start), end(ext.End)}}, "trs": TRS}
	}
	if len(doc) == 0 {
		return nil, nil
	}
	return doc, nil
}

// collectionDoc is the JSON description of c.
func collectionDoc(r *http.Request, c Collection, html bool, self bool) (map[string]any, error) {
	m := c.Meta()
	p := "/collections/" + url.PathEscape(m.ID)
	var links []Link
	if self {
		links = selfLinks(r, p, html, jsonType)
	} else {
		links = []Link{{Href: base(r) + p, Rel: "self", Type: jsonType, Title: m.Title}}
	}
	links = append(links,
		Link{Href: base(r) + p + "/items", Rel: "items", Type: geoJSONType, Title: m.Title + " (GeoJSON)"},
		Link{Href: base(r) + p + "/items?f=html", Rel: "items", Type: htmlType, Title: m.Title + " (HTML)"},
		Link{Href: base(r) + p + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: schemaType, Title: "queryables"},
		Link{Href: base(r) + p + "/schema", Rel: "describedby", Type: schemaType, Title: "schema of the features"},
	)
	doc := map[string]any{
		"id": m.ID, "title": m.Title, "description": m.Description, "itemType": "feature",
		"crs": crsURIs(), "storageCrs": CRS84.URI, "links": links,
	}
	ext, err := extentDoc(r, c)
	if err != nil {
		return nil, err
	}
	if ext != nil {
		doc["extent"] = ext
	}
	return doc, nil
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	cs, err := s.all(r.Context())
	if err != nil {
		return err
	}
	docs := make([]map[string]any, len(cs))
	for i, c := range cs {
		if docs[i], err = collectionDoc(r, c, false, false); err != nil {
			return err
		}
	}
	doc := map[string]any{"links": selfLinks(r, "/collections", html, jsonType), "collections": docs, "crs": crsURIs()}
	if html {
		return renderHTML(w, "Collections", doc, pageCollections)
	}
	return writeJSONDoc(w, jsonType, doc)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	c, err := s.find(r)
	if err != nil {
		return err
	}
	doc, err := collectionDoc(r, c, html, true)
	if err != nil {
		return err
	}
	if html {
		return renderHTML(w, c.Meta().Title, doc, pageCollection)
	}
	return writeJSONDoc(w, jsonType, doc)
}

// propertySchema is the JSON Schema of the properties (all, or the queryable ones).
func propertySchema(m Meta, queryableOnly bool) map[string]any {
	props := map[string]any{}
	for _, p := range m.Properties {
		if queryableOnly && !p.Queryable {
			continue
		}
		sch := map[string]any{"type": p.Type}
		if p.Type == "array" {
			sch["items"] = map[string]any{"type": "string"}
		}
		if p.Title != "" {
			sch["title"] = p.Title
		}
		if p.Description != "" {
			sch["description"] = p.Description
		}
		if len(p.Enum) > 0 {
			sch["enum"] = p.Enum
		}
		props[p.Name] = sch
	}
	return props
}

// schema serves the JSON Schema of a collection's features (GDAL reads field types from
// it: the describedby link).
func (s *Server) schema(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	c, err := s.find(r)
	if err != nil {
		return err
	}
	m := c.Meta()
	doc := map[string]any{
		"$schema": "https://json-schema.org/draft/2019-09/schema",
		"$id":     base(r) + "/collections/" + url.PathEscape(m.ID) + "/schema",
		"type":    "object", "title": m.Title, "properties": propertySchema(m, false),
	}
	return writeJSONDoc(w, schemaType, doc)
}

func (s *Server) queryables(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	c, err := s.find(r)
	if err != nil {
		return err
	}
	m := c.Meta()
	props := propertySchema(m, true)
	doc := map[string]any{
		"$schema": "https://json-schema.org/draft/2019-09/schema",
		"$id":     base(r) + "/collections/" + url.PathEscape(m.ID) + "/queryables",
		"type":    "object", "title": m.Title, "properties": props,
		"additionalProperties": false,
	}
	if html {
		return renderHTML(w, m.Title+" — queryables", map[string]any{"title": m.Title, "properties": m.Properties, "links": selfLinks(r, "/collections/"+url.PathEscape(m.ID)+"/queryables", true, schemaType)}, pageQueryables)
	}
	return writeJSONDoc(w, schemaType, doc)
}

// itemsQuery parses the items parameters of collection m.
func itemsQuery(r *http.Request, m Meta) (Query, CRS, error) {
	allowed := []string{"f", "limit", "bbox", "bbox-crs", "crs", "datetime", "after", "before"}
	for _, p := range m.Properties {
		if p.Queryable {
			allowed = append(allowed, p.Name)
		}
	}
	var q Query
	if err := checkParams(r, allowed...); err != nil {
		return q, CRS{}, err
	}
	v := r.URL.Query()
	var err error
	if q.Limit, err = api.QueryInt(r, "limit", DefaultLimit, 1, MaxLimit); err != nil {
		return q, CRS{}, err
	}
	crs, err := parseCRS("crs", v.Get("crs"))
	if err != nil {
		return q, CRS{}, err
	}
	bcrs, err := parseCRS("bbox-crs", v.Get("bbox-crs"))
	if err != nil {
		return q, CRS{}, err
	}
	if v.Has("bbox-crs") && !v.Has("bbox") {
		return q, CRS{}, api.BadRequest("bbox-crs", "given without bbox")
	}
	if q.BBox, err = parseBBox(v.Get("bbox"), bcrs); err != nil {
		return q, CRS{}, err
	}
	at, interval, start, end, err := parseDatetime(v.Get("datetime"))
	if err != nil {
		return q, CRS{}, err
	}
	if m.Temporal {
		q.AsOf, q.Interval, q.Start, q.End = at, interval, start, end
	}
	q.After, q.Before = v.Get("after"), v.Get("before")
	if q.After != "" && q.Before != "" {
		return q, CRS{}, api.BadRequest("before", "give after or before, not both")
	}
	for _, p := range m.Properties {
		if !p.Queryable || !v.Has(p.Name) {
			continue
		}
		val := v.Get(p.Name)
		if err := checkValue(p, val); err != nil {
			return q, CRS{}, err
		}
		if q.Filters == nil {
			q.Filters = map[string]string{}
		}
		q.Filters[p.Name] = val
	}
	q.CountCap = CountCap
	return q, crs, nil
}

func checkValue(p Property, v string) error {
	switch p.Type {
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return api.BadRequest(p.Name, "must be an integer, not %q", v)
		}
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return api.BadRequest(p.Name, "must be a number, not %q", v)
		}
	case "boolean":
		if v != "true" && v != "false" {
			return api.BadRequest(p.Name, "must be true or false, not %q", v)
		}
	}
	if len(p.Enum) > 0 {
		for _, e := range p.Enum {
			if e == v {
				return nil
			}
		}
		return api.BadRequest(p.Name, "must be one of %s, not %q", strings.Join(p.Enum, ", "), v)
	}
	return nil
}

// writeFeature appends the GeoJSON of f in crs.
func writeFeature(b *bytes.Buffer, f Feature, crs CRS) error {
	g := f.Geometry
	if g == nil {
		g = json.RawMessage("null")
	} else if crs.LatFirst {
		var err error
		if g, err = flipAxes(g); err != nil {
			return fmt.Errorf("feature %s: geometry: %w", f.ID, err)
		}
	}
	props := f.Properties
	if props == nil {
		props = json.RawMessage("{}")
	}
	id, _ := json.Marshal(f.ID)
	if f.NumericID {
		id = []byte(f.ID)
	}
	b.WriteString(`{"type":"Feature","id":`)
	b.Write(id)
	b.WriteString(`,"geometry":`)
	b.Write(g)
	b.WriteString(`,"properties":`)
	b.Write(props)
	return nil
}

func etagOf(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return `"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// notModified answers 304 when If-None-Match names etag.
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	w.Header().Set("ETag", etag)
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

func contentCRS(w http.ResponseWriter, crs CRS) { w.Header().Set("Content-Crs", "<"+crs.URI+">") }

func (s *Server) items(w http.ResponseWriter, r *http.Request) error {
	c, err := s.find(r)
	if err != nil {
		return err
	}
	m := c.Meta()
	q, crs, err := itemsQuery(r, m)
	if err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	page, err := c.Items(r.Context(), q)
	if errors.Is(err, ErrBadCursor) {
		field := "after"
		if q.Before != "" {
			field = "before"
		}
		return api.BadRequest(field, "%v", err)
	}
	if err != nil {
		return err
	}
	links := pageLinks(r, m, q, page, html)
	var feats bytes.Buffer
	feats.WriteByte('[')
	for i, f := range page.Features {
		if i > 0 {
			feats.WriteByte(',')
		}
		if err := writeFeature(&feats, f, crs); err != nil {
			return err
		}
		feats.WriteByte('}')
	}
	feats.WriteByte(']')
	linksJSON, _ := json.Marshal(links)
	matched := []byte("")
	if page.Matched >= 0 {
		matched = []byte(`,"numberMatched":` + strconv.FormatInt(page.Matched, 10))
	}
	format := "json"
	if html {
		format = "html"
	}
	etag := etagOf([]byte(format), []byte(crs.URI), feats.Bytes(), linksJSON, matched)
	contentCRS(w, crs)
	if notModified(w, r, etag) {
		return nil
	}
	stamp := s.now().UTC().Format(time.RFC3339)
	if html {
		return renderItemsHTML(w, m, page.Features, links, page.Matched, stamp, crs)
	}
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","timeStamp":"` + stamp + `","numberReturned":` + strconv.Itoa(len(page.Features)))
	b.Write(matched)
	b.WriteString(`,"links":`)
	b.Write(linksJSON)
	b.WriteString(`,"features":`)
	b.Write(feats.Bytes())
	b.WriteString("}\n")
	w.Header().Set("Content-Type", geoJSONType)
	_, err = w.Write(b.Bytes())
	return err
}

// pageLinks are self, alternate, next and prev links of an items page.
func pageLinks(r *http.Request, m Meta, q Query, page Page, html bool) []Link {
	u := base(r) + "/collections/" + url.PathEscape(m.ID) + "/items"
	with := func(set map[string]string) string {
		v := r.URL.Query()
		v.Del("after")
		v.Del("before")
		for k, val := range set {
			v.Set(k, val)
		}
		if len(v) == 0 {
			return u
		}
		return u + "?" + v.Encode()
	}
	self, alt := "json", "html"
	selfT, altT := geoJSONType, htmlType
	if html {
		self, alt, selfT, altT = alt, self, altT, selfT
	}
	keep := map[string]string{}
	if q.After != "" {
		keep["after"] = q.After
	}
	if q.Before != "" {
		keep["before"] = q.Before
	}
	withF := func(f string) map[string]string {
		out := map[string]string{"f": f}
		for k, v := range keep {
			out[k] = v
		}
		return out
	}
	links := []Link{
		{Href: with(withF(self)), Rel: "self", Type: selfT, Title: "this page"},
		{Href: with(withF(alt)), Rel: "alternate", Type: altT, Title: "this page as " + strings.ToUpper(alt)},
		{Href: base(r) + "/collections/" + url.PathEscape(m.ID), Rel: "collection", Type: jsonType, Title: m.Title},
	}
	n := len(page.Features)
	if n == 0 {
		return links
	}
	first, last := page.Features[0].Key, page.Features[n-1].Key
	hasNext := (q.Before == "" && page.More) || q.Before != ""
	hasPrev := (q.Before != "" && page.More) || q.After != ""
	if hasNext {
		links = append(links, Link{Href: with(map[string]string{"after": last, "f": self}), Rel: "next", Type: selfT, Title: "next page"})
	}
	if hasPrev {
		links = append(links, Link{Href: with(map[string]string{"before": first, "f": self}), Rel: "prev", Type: selfT, Title: "previous page"})
	}
	return links
}

func (s *Server) item(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r, "f", "crs"); err != nil {
		return err
	}
	html, err := wantHTML(r)
	if err != nil {
		return err
	}
	crs, err := parseCRS("crs", r.URL.Query().Get("crs"))
	if err != nil {
		return err
	}
	c, err := s.find(r)
	if err != nil {
		return err
	}
	m := c.Meta()
	fid := api.PathParam(r, "featureId")
	f, err := c.Item(r.Context(), fid)
	if errors.Is(err, ErrNotFound) {
		return api.NotFound("no feature %q in collection %q", fid, m.ID)
	}
	if err != nil {
		return err
	}
	var fb bytes.Buffer
	if err := writeFeature(&fb, f, crs); err != nil {
		return err
	}
	p := "/collections/" + url.PathEscape(m.ID) + "/items/" + url.PathEscape(f.ID)
	links := append(selfLinks(r, p, html, geoJSONType),
		Link{Href: base(r) + "/collections/" + url.PathEscape(m.ID), Rel: "collection", Type: jsonType, Title: m.Title})
	linksJSON, _ := json.Marshal(links)
	etag := itemETag(f, crs, html, fb.Bytes())
	contentCRS(w, crs)
	if notModified(w, r, etag) {
		return nil
	}
	if html {
		return renderItemsHTML(w, m, []Feature{f}, links, -1, "", crs)
	}
	fb.WriteString(`,"links":`)
	fb.Write(linksJSON)
	fb.WriteString("}\n")
	w.Header().Set("Content-Type", geoJSONType)
	_, err = w.Write(fb.Bytes())
	return err
}

// itemETag is "v<version>" for the GeoJSON of a versioned feature in CRS84 (what
// If-Match takes), with a suffix for other representations; a digest otherwise.
func itemETag(f Feature, crs CRS, html bool, body []byte) string {
	if f.Version <= 0 {
		return etagOf([]byte(strconv.FormatBool(html)), []byte(crs.URI), body)
	}
	t := "v" + strconv.Itoa(f.Version)
	if crs != CRS84 {
		t += "-" + crs.URI[strings.LastIndex(crs.URI, "/")+1:]
	}
	if html {
		t += "-html"
	}
	return `"` + t + `"`
}
