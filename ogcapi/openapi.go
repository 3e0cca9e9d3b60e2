package ogcapi

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// openapi serves the OpenAPI 3.0 definition of the OGC API: the generic paths and, for
// every collection, its items path with its queryables as parameters.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
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
	doc := s.openAPIDoc(r, cs)
	if html {
		var links []Link
		paths := doc["paths"].(map[string]any)
		keys := make([]string, 0, len(paths))
		for k := range paths {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			links = append(links, Link{Href: base(r) + k, Rel: "path", Title: k})
		}
		return renderHTML(w, s.Title+" — API", map[string]any{"description": "The OpenAPI 3.0 definition is at " + base(r) + "/api (JSON). Paths:", "links": links}, "api")
	}
	return writeJSONDoc(w, oasType, doc)
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/parameters/" + name}
}

func (s *Server) openAPIDoc(r *http.Request, cs []Collection) map[string]any {
	errResp := map[string]any{"description": "error", "content": map[string]any{jsonType: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/exception"}}}}
	ok := func(desc string, types ...string) map[string]any {
		content := map[string]any{}
		for _, t := range types {
			content[t] = map[string]any{"schema": map[string]any{"type": "object"}}
		}
		return map[string]any{"200": map[string]any{"description": desc, "content": content}, "400": errResp, "404": errResp, "default": errResp}
	}
	get := func(id, summary string, params []any, resp map[string]any) map[string]any {
		op := map[string]any{"operationId": id, "summary": summary, "responses": resp, "tags": []string{"OGC API – Features"}}
		if len(params) > 0 {
			op["parameters"] = params
		}
		return map[string]any{"get": op}
	}
	itemsParams := []any{ref("limit"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("datetime"), ref("after"), ref("before"), ref("f")}
	paths := map[string]any{
		"/":                                      get("getLandingPage", "Landing page", []any{ref("f")}, ok("the landing page", jsonType, htmlType)),
		"/api":                                   get("getAPI", "This API definition", []any{ref("f")}, ok("the API definition", oasType, htmlType)),
		"/conformance":                           get("getConformance", "Conformance classes", []any{ref("f")}, ok("the conformance classes", jsonType, htmlType)),
		"/collections":                           get("getCollections", "Feature collections", []any{ref("f")}, ok("the collections", jsonType, htmlType)),
		"/collections/{collectionId}":            get("getCollection", "One collection", []any{ref("collectionId"), ref("f")}, ok("the collection", jsonType, htmlType)),
		"/collections/{collectionId}/queryables": get("getQueryables", "Queryables", []any{ref("collectionId"), ref("f")}, ok("the queryables", schemaType, htmlType)),
		"/collections/{collectionId}/items":      get("getFeatures", "Features", append([]any{ref("collectionId")}, itemsParams...), ok("a page of features", geoJSONType, htmlType)),
		"/collections/{collectionId}/items/{featureId}": get("getFeature", "One feature", []any{ref("collectionId"), ref("featureId"), ref("crs"), ref("f")}, ok("the feature", geoJSONType, htmlType)),
	}
	for _, c := range cs {
		m := c.Meta()
		params := append([]any(nil), itemsParams...)
		for _, p := range m.Properties {
			if !p.Queryable {
				continue
			}
			sch := map[string]any{"type": p.Type}
			if len(p.Enum) > 0 {
				sch["enum"] = p.Enum
			}
			params = append(params, map[string]any{"name": p.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": "equality filter on " + p.Name, "schema": sch})
		}
		p := "/collections/" + url.PathEscape(m.ID) + "/items"
		item := get("getFeatures_"+m.ID, m.Title, params, ok("a page of "+m.Title, geoJSONType, htmlType))
		if _, editable := c.(Editor); editable {
			body := map[string]any{"required": true, "content": map[string]any{geoJSONType: map[string]any{"schema": map[string]any{"type": "object"}}}}
			sec := []any{map[string]any{"bearer": []string{}}}
			role := string(editRole(m))
			item["post"] = map[string]any{"operationId": "createFeature_" + m.ID, "summary": "Create a feature (role " + role + ")", "requestBody": body, "security": sec,
				"x-required-role": role, "description": m.EditNotes,
				"responses": map[string]any{"201": map[string]any{"description": "created; Location names the new feature"}, "400": errResp, "401": errResp, "403": errResp, "409": errResp}}
			one := get("getFeature_"+m.ID, "One feature of "+m.Title, []any{ref("featureId"), ref("crs"), ref("f")}, ok("the feature", geoJSONType, htmlType))
			ifm := map[string]any{"name": "If-Match", "in": "header", "required": true, "description": "the ETag of the feature as last read", "schema": map[string]any{"type": "string"}}
			changed := map[string]any{"204": map[string]any{"description": "done"}, "400": errResp, "401": errResp, "403": errResp, "404": errResp,
				"409": errResp, "412": map[string]any{"description": "the feature changed since that ETag"}, "428": map[string]any{"description": "If-Match missing"}}
			op := func(id, summary string, params []any, withBody bool) map[string]any {
				o := map[string]any{"operationId": id + "_" + m.ID, "summary": summary + " (role " + role + ")", "parameters": params, "security": sec,
					"responses": changed, "x-required-role": role, "description": m.EditNotes}
				if withBody {
					o["requestBody"] = body
				}
				return o
			}
			delParams := []any{ref("featureId"), ifm}
			for _, p := range m.DeleteParams {
				delParams = append(delParams, map[string]any{"name": p.Name, "in": "query", "required": true, "description": p.Title, "schema": map[string]any{"type": p.Type}})
			}
			one["put"] = op("replaceFeature", "Replace a feature", []any{ref("featureId"), ifm}, true)
			one["patch"] = op("updateFeature", "Update some fields of a feature", []any{ref("featureId"), ifm}, true)
			one["delete"] = op("deleteFeature", "Delete a feature", delParams, false)
			paths[p+"/{featureId}"] = one
		}
		paths[p] = item
	}
	str := map[string]any{"type": "string"}
	crsSchema := map[string]any{"type": "string", "format": "uri", "enum": crsURIs(), "default": CRS84.URI}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": s.Title, "description": s.Description, "version": "1.0.0"},
		"servers": []any{map[string]any{"url": base(r)}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"exception": map[string]any{"type": "object", "properties": map[string]any{
				"error": map[string]any{"type": "object", "properties": map[string]any{"code": str, "message": str, "field": str}}}}},
			"parameters": map[string]any{
				"collectionId": map[string]any{"name": "collectionId", "in": "path", "required": true, "schema": str},
				"featureId":    map[string]any{"name": "featureId", "in": "path", "required": true, "schema": str},
				"f":            map[string]any{"name": "f", "in": "query", "required": false, "schema": map[string]any{"type": "string", "enum": []string{"json", "html"}}},
				"limit": map[string]any{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "the number of features per page (at most " + strconv.Itoa(MaxLimit) + ")",
					"schema":      map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}},
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minx,miny,maxx,maxy in bbox-crs (CRS84 lon/lat by default)",
					"schema":      map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
				"bbox-crs": map[string]any{"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false, "schema": crsSchema},
				"crs":      map[string]any{"name": "crs", "in": "query", "required": false, "style": "form", "explode": false, "schema": crsSchema},
				"datetime": map[string]any{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "an instant (YYYY-MM-DD or RFC 3339) or a closed interval start/end with .. for an open end: on collections with a validity period (divisions, place names, house numbers, markers) the features valid then; without it, the current ones; other collections ignore it", "schema": str},
				"after":  map[string]any{"name": "after", "in": "query", "required": false, "description": "keyset cursor (from a next link)", "schema": str},
				"before": map[string]any{"name": "before", "in": "query", "required": false, "description": "keyset cursor (from a prev link)", "schema": str},
			},
		},
	}
}
