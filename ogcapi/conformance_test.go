package ogcapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"fangyuan/coverage/facility"
	"fangyuan/ogcapi"
	"fangyuan/tiles/tilestest"
)

// TestConformance runs one subtest per requirement of the abstract test suites of the
// classes /conformance declares (OGC 17-069r4 Annex A: Core, GeoJSON, HTML, OAS 3.0;
// OGC 18-058 Annex A: CRS), named after the ATS ids, on the demo data in PostGIS. The
// expected answers come from SQL on the tables.
func TestConformance(t *testing.T) {
	env := tilestest.Demo(t)
	const fac = "/ogc/collections/facilities-eldercare_center"
	kind := "eldercare_center"
	facIDs := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = $1 ORDER BY id`, kind)
	if len(facIDs) < 5 {
		t.Fatalf("demo has %d %s facilities; the tests need at least 5", len(facIDs), kind)
	}

	t.Run("/conf/core/http", func(t *testing.T) {
		resp, _ := env.Get(t, "/ogc")
		if resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
			t.Fatalf("protocol %s, want HTTP/1.1", resp.Proto)
		}
		head, _ := do(t, env, http.MethodHead, "/ogc", "")
		mustStatus(t, head, 200, "HEAD /ogc")
	})
	t.Run("/conf/core/root-op", func(t *testing.T) {
		for _, p := range []string{"/ogc", "/ogc?f=json"} {
			resp, _ := getJSON(t, env, p)
			mustStatus(t, resp, 200, p)
		}
	})
	t.Run("/conf/core/root-success", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc")
		for _, r := range []string{"self", "service-desc", "conformance", "data"} {
			if _, ok := link(doc, r, ""); !ok {
				t.Errorf("landing page lacks a %s link", r)
			}
		}
		if doc["title"] == nil {
			t.Error("landing page has no title")
		}
	})
	t.Run("/conf/core/api-definition-op", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc")
		href, _ := link(doc, "service-desc", "")
		resp, _ := getJSON(t, env, rel(env, href))
		mustStatus(t, resp, 200, href)
	})
	t.Run("/conf/core/api-definition-success", func(t *testing.T) {
		resp, doc := getJSON(t, env, "/ogc/api")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.oai.openapi+json") {
			t.Errorf("Content-Type %q", ct)
		}
		if doc["openapi"] != "3.0.3" {
			t.Errorf("openapi %v", doc["openapi"])
		}
	})
	t.Run("/conf/core/conformance-op", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc")
		href, _ := link(doc, "conformance", "")
		resp, _ := getJSON(t, env, rel(env, href))
		mustStatus(t, resp, 200, href)
	})
	t.Run("/conf/core/conformance-success", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/conformance")
		var got []string
		for _, c := range doc["conformsTo"].([]any) {
			got = append(got, c.(string))
		}
		for _, want := range []string{"core", "geojson", "html", "oas30"} {
			if !slices.Contains(got, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+want) {
				t.Errorf("conformsTo lacks %s: %v", want, got)
			}
		}
		if !slices.Contains(got, "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs") {
			t.Error("conformsTo lacks Part 2 crs")
		}
	})
	t.Run("/conf/core/fc-md-op", func(t *testing.T) {
		resp, _ := getJSON(t, env, "/ogc/collections")
		mustStatus(t, resp, 200, "/ogc/collections")
	})
	var collections []map[string]any
	t.Run("/conf/core/fc-md-success", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/collections")
		if _, ok := link(doc, "self", ""); !ok {
			t.Error("no self link")
		}
		for _, c := range doc["collections"].([]any) {
			collections = append(collections, c.(map[string]any))
		}
		// One per division level, roads, one per facility kind, one per finished run,
		// place names, house numbers, boundary lines and markers.
		runs := sqlInt(t, env, `SELECT count(*) FROM coverage_run WHERE status = 'done'`)
		if want := 5 + 1 + int64(len(facility.KindsOf(nil))) + runs + 4; int64(len(collections)) != want {
			t.Errorf("%d collections, want %d", len(collections), want)
		}
	})
	t.Run("/conf/core/fc-md-links", func(t *testing.T) {
		for _, c := range collections {
			if _, ok := link(c, "items", "application/geo+json"); !ok {
				t.Errorf("collection %v has no GeoJSON items link", c["id"])
			}
		}
	})
	t.Run("/conf/core/fc-md-items", func(t *testing.T) {
		for _, c := range collections {
			if c["id"] == nil || c["itemType"] != "feature" {
				t.Errorf("collection %v: id or itemType missing", c["id"])
			}
		}
	})
	t.Run("/conf/core/fc-md-items-links", func(t *testing.T) {
		for _, c := range collections {
			href, _ := link(c, "items", "application/geo+json")
			resp, _ := getJSON(t, env, rel(env, href)+"?limit=1")
			mustStatus(t, resp, 200, href)
		}
	})
	t.Run("/conf/core/fc-md-extent", func(t *testing.T) {
		// extent is optional; where given, spatial is a CRS84 bbox and temporal an
		// interval of two instants (or null for an open end) in the Gregorian calendar.
		// TestExtent checks the values against PostGIS.
		for _, c := range collections {
			e, ok := c["extent"].(map[string]any)
			if !ok {
				continue
			}
			if e["spatial"] == nil && e["temporal"] == nil {
				t.Errorf("collection %v: an empty extent", c["id"])
			}
			if sp, ok := e["spatial"].(map[string]any); ok {
				bb, _ := sp["bbox"].([]any)
				if len(bb) != 1 || len(bb[0].([]any)) != 4 || sp["crs"] != ogcapi.CRS84.URI {
					t.Errorf("collection %v: spatial extent %v", c["id"], sp)
				}
			}
			if tm, ok := e["temporal"].(map[string]any); ok {
				iv, _ := tm["interval"].([]any)
				if len(iv) != 1 || len(iv[0].([]any)) != 2 || tm["trs"] != ogcapi.TRS {
					t.Errorf("collection %v: temporal extent %v", c["id"], tm)
				}
			}
		}
	})
	t.Run("/conf/core/sfc-md-op", func(t *testing.T) {
		for _, c := range collections {
			p := "/ogc/collections/" + url.PathEscape(c["id"].(string))
			resp, _ := getJSON(t, env, p)
			mustStatus(t, resp, 200, p)
		}
		resp, _ := getJSON(t, env, "/ogc/collections/no-such-thing")
		mustStatus(t, resp, 404, "unknown collection")
	})
	t.Run("/conf/core/sfc-md-success", func(t *testing.T) {
		_, doc := getJSON(t, env, fac)
		for _, c := range collections {
			if c["id"] == doc["id"] && c["title"] != doc["title"] {
				t.Errorf("title %v here, %v in /collections", doc["title"], c["title"])
			}
		}
		if doc["id"] != "facilities-"+kind {
			t.Errorf("id %v", doc["id"])
		}
	})
	t.Run("/conf/core/fc-op", func(t *testing.T) {
		resp, doc := getJSON(t, env, fac+"/items")
		mustStatus(t, resp, 200, "items")
		if doc["type"] != "FeatureCollection" {
			t.Errorf("type %v", doc["type"])
		}
		if !equalIDs(ids(doc), facIDs) {
			t.Errorf("ids %v, SQL says %v", ids(doc), facIDs)
		}
	})
	t.Run("/conf/core/fc-limit-definition", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		lim := doc["components"].(map[string]any)["parameters"].(map[string]any)["limit"].(map[string]any)["schema"].(map[string]any)
		if lim["minimum"] != 1.0 || lim["maximum"] != 10000.0 || lim["default"] != 100.0 || lim["type"] != "integer" {
			t.Errorf("limit schema %v", lim)
		}
		for _, bad := range []string{"0", "10001", "x", "-1"} {
			resp, _ := getJSON(t, env, fac+"/items?limit="+bad)
			mustStatus(t, resp, 400, "limit="+bad)
		}
	})
	t.Run("/conf/core/fc-limit-response", func(t *testing.T) {
		_, doc := getJSON(t, env, fac+"/items?limit=3")
		if got := ids(doc); !equalIDs(got, facIDs[:3]) {
			t.Errorf("limit=3: %v, want %v", got, facIDs[:3])
		}
		if doc["numberReturned"] != 3.0 {
			t.Errorf("numberReturned %v", doc["numberReturned"])
		}
		// The default limit is 100: the 1,400-odd townships come 100 at a time.
		_, doc = getJSON(t, env, "/ogc/collections/divisions-township/items")
		if n := len(features(doc)); n != 100 {
			t.Errorf("default page has %d features", n)
		}
	})
	t.Run("/conf/core/fc-bbox-definition", func(t *testing.T) {
		for _, bad := range []string{"1,2,3", "a,b,c,d", "120,28,119,29", "1,2,3,4,5", "-200,0,0,10"} {
			resp, doc := getJSON(t, env, fac+"/items?bbox="+bad)
			mustStatus(t, resp, 400, "bbox="+bad)
			if e, _ := doc["error"].(map[string]any); e == nil || e["field"] != "bbox" {
				t.Errorf("bbox=%s: error %v does not name bbox", bad, doc["error"])
			}
		}
	})
	t.Run("/conf/core/fc-bbox-response", func(t *testing.T) {
		b := [4]float64{119.9, 28.1, 120.1, 28.3}
		want := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = $1 AND ST_Intersects(geom, ST_MakeEnvelope($2, $3, $4, $5, 4326)) ORDER BY id`, kind, b[0], b[1], b[2], b[3])
		if len(want) == 0 || len(want) == len(facIDs) {
			t.Fatalf("test bbox selects %d of %d facilities; choose one that splits them", len(want), len(facIDs))
		}
		_, doc := getJSON(t, env, fmt.Sprintf("%s/items?bbox=%g,%g,%g,%g", fac, b[0], b[1], b[2], b[3]))
		if !equalIDs(ids(doc), want) {
			t.Errorf("bbox: %v, SQL says %v", ids(doc), want)
		}
		// 6 numbers (with heights) select the same.
		_, doc = getJSON(t, env, fmt.Sprintf("%s/items?bbox=%g,%g,0,%g,%g,100", fac, b[0], b[1], b[2], b[3]))
		if !equalIDs(ids(doc), want) {
			t.Errorf("3D bbox: %v, SQL says %v", ids(doc), want)
		}
	})
	t.Run("/conf/core/fc-time-definition", func(t *testing.T) {
		for _, ok := range []string{"2024-01-01", "2024-01-01T00:00:00Z", "2020-01-01/2024-01-01", "../2024-01-01", "2024-01-01/.."} {
			resp, _ := getJSON(t, env, fac+"/items?datetime="+url.QueryEscape(ok))
			mustStatus(t, resp, 200, "datetime="+ok)
		}
		for _, bad := range []string{"yesterday", "2024-13-01", "../..", "2024-02-01/2024-01-01"} {
			resp, _ := getJSON(t, env, fac+"/items?datetime="+url.QueryEscape(bad))
			mustStatus(t, resp, 400, "datetime="+bad)
		}
	})
	t.Run("/conf/core/fc-time-response", func(t *testing.T) {
		// An old version of one township, valid until its current version began.
		ctx := context.Background()
		var code, from string
		if err := env.Pool.QueryRow(ctx, `SELECT code, to_char(valid_from, 'YYYY-MM-DD') FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY id LIMIT 1`).Scan(&code, &from); err != nil {
			t.Fatal(err)
		}
		var oldID int64
		if err := env.Pool.QueryRow(ctx, `INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, valid_to)
			SELECT code, level, kind, name || '（旧）', parent_code, DATE '2000-01-01', valid_from FROM admin_unit WHERE code = $1 AND valid_to IS NULL RETURNING id`, code).Scan(&oldID); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = env.Pool.Exec(ctx, `DELETE FROM admin_unit WHERE id = $1`, oldID) })
		for _, day := range []string{"2001-06-01", from} {
			want := sqlIDs(t, env, `SELECT id FROM admin_unit WHERE level = 4 AND valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date) ORDER BY id`, day)
			var got []int64
			p := "/ogc/collections/divisions-township/items?limit=10000&datetime=" + day
			_, doc := getJSON(t, env, p)
			got = ids(doc)
			if !equalIDs(got, want) {
				t.Errorf("datetime=%s: %d features, SQL says %d", day, len(got), len(want))
			}
			if has := slices.Contains(got, oldID); has != (day == "2001-06-01") {
				t.Errorf("datetime=%s: old version present = %v", day, has)
			}
		}
		// Without datetime: the current units.
		want := sqlIDs(t, env, `SELECT id FROM admin_unit WHERE level = 4 AND valid_to IS NULL ORDER BY id`)
		_, doc := getJSON(t, env, "/ogc/collections/divisions-township/items?limit=10000")
		if !equalIDs(ids(doc), want) {
			t.Errorf("current: %d features, SQL says %d", len(ids(doc)), len(want))
		}
	})
	t.Run("/conf/core/query-param-unknown", func(t *testing.T) {
		for _, p := range []string{fac + "/items?colour=red", fac + "?limit=1", "/ogc/collections?x=1", fac + "/items/" + fmt.Sprint(facIDs[0]) + "?bbox=1,2,3,4"} {
			resp, doc := getJSON(t, env, p)
			mustStatus(t, resp, 400, p)
			if e, _ := doc["error"].(map[string]any); e == nil || e["message"] == "" {
				t.Errorf("%s: no JSON reason: %v", p, doc)
			}
		}
	})
	t.Run("/conf/core/query-param-invalid", func(t *testing.T) {
		for _, p := range []string{fac + "/items?limit=abc", fac + "/items?status=open", fac + "/items?crs=EPSG:3857", fac + "/items?after=abc", fac + "/items?f=xml", fac + "/items?bbox-crs=EPSG:4326"} {
			resp, doc := getJSON(t, env, p)
			mustStatus(t, resp, 400, p)
			if e, _ := doc["error"].(map[string]any); e == nil || e["message"] == "" {
				t.Errorf("%s: no JSON reason: %v", p, doc)
			}
		}
	})
	t.Run("/conf/core/fc-response", func(t *testing.T) {
		resp, doc := getJSON(t, env, fac+"/items?limit=2")
		if ct := resp.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type %q", ct)
		}
		for _, f := range features(doc) {
			if f["type"] != "Feature" || f["geometry"] == nil || f["properties"] == nil {
				t.Errorf("feature %v", f)
			}
		}
	})
	t.Run("/conf/core/fc-links", func(t *testing.T) {
		_, doc := getJSON(t, env, fac+"/items?limit=2")
		if _, ok := link(doc, "self", "application/geo+json"); !ok {
			t.Error("no self link")
		}
		if _, ok := link(doc, "alternate", "text/html"); !ok {
			t.Error("no alternate HTML link")
		}
		// Follow next to the end, then prev back to the start: every id once each way.
		var fwd []int64
		p := fac + "/items?limit=2"
		var pages []string
		for p != "" {
			_, doc := getJSON(t, env, p)
			fwd = append(fwd, ids(doc)...)
			pages = append(pages, p)
			next, ok := link(doc, "next", "")
			p = ""
			if ok {
				p = rel(env, next)
			}
			if len(pages) > 100 {
				t.Fatal("next links do not end")
			}
		}
		if !equalIDs(fwd, facIDs) {
			t.Errorf("following next: %v, SQL says %v", fwd, facIDs)
		}
		_, last := getJSON(t, env, pages[len(pages)-1])
		var back []int64
		doc = last
		for {
			back = append(ids(doc), back...)
			prev, ok := link(doc, "prev", "")
			if !ok {
				break
			}
			_, doc = getJSON(t, env, rel(env, prev))
			if len(back) > 2*len(facIDs) {
				t.Fatal("prev links do not end")
			}
		}
		// The first page reached back may be short of a whole page at the start.
		if !equalIDs(back, facIDs) {
			t.Errorf("following prev: %v, SQL says %v", back, facIDs)
		}
	})
	t.Run("/conf/core/fc-timeStamp", func(t *testing.T) {
		_, doc := getJSON(t, env, fac+"/items?limit=1")
		if _, ok := doc["timeStamp"].(string); !ok {
			t.Errorf("timeStamp %v", doc["timeStamp"])
		}
	})
	t.Run("/conf/core/fc-numberMatched", func(t *testing.T) {
		_, doc := getJSON(t, env, fac+"/items?limit=2&status=operating")
		want := sqlInt(t, env, `SELECT count(*) FROM facility WHERE kind = $1 AND status = 'operating'`, kind)
		if doc["numberMatched"] != float64(want) {
			t.Errorf("numberMatched %v, SQL says %d", doc["numberMatched"], want)
		}
	})
	t.Run("/conf/core/fc-numberReturned", func(t *testing.T) {
		for _, lim := range []int{1, 4, 10000} {
			_, doc := getJSON(t, env, fmt.Sprintf("%s/items?limit=%d", fac, lim))
			if doc["numberReturned"] != float64(len(features(doc))) || len(features(doc)) != min(lim, len(facIDs)) {
				t.Errorf("limit %d: numberReturned %v for %d features", lim, doc["numberReturned"], len(features(doc)))
			}
		}
	})
	t.Run("/conf/core/f-op", func(t *testing.T) {
		p := fmt.Sprintf("%s/items/%d", fac, facIDs[0])
		resp, _ := getJSON(t, env, p)
		mustStatus(t, resp, 200, p)
		resp, _ = getJSON(t, env, fac+"/items/999999999")
		mustStatus(t, resp, 404, "unknown feature")
		resp, _ = getJSON(t, env, fac+"/items/abc")
		mustStatus(t, resp, 404, "malformed feature id")
		// A facility of another kind is not in this collection.
		other := sqlInt(t, env, `SELECT min(id) FROM facility WHERE kind <> $1`, kind)
		resp, _ = getJSON(t, env, fmt.Sprintf("%s/items/%d", fac, other))
		mustStatus(t, resp, 404, "feature of another collection")
	})
	t.Run("/conf/core/f-success", func(t *testing.T) {
		var name, ext string
		var lon, lat float64
		if err := env.Pool.QueryRow(context.Background(), `SELECT name, ext_id, ST_X(geom), ST_Y(geom) FROM facility WHERE id = $1`, facIDs[0]).Scan(&name, &ext, &lon, &lat); err != nil {
			t.Fatal(err)
		}
		resp, doc := getJSON(t, env, fmt.Sprintf("%s/items/%d", fac, facIDs[0]))
		if resp.Header.Get("Content-Type") != "application/geo+json" {
			t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
		}
		props := doc["properties"].(map[string]any)
		c := doc["geometry"].(map[string]any)["coordinates"].([]any)
		if doc["id"] != float64(facIDs[0]) || props["name"] != name || props["ext_id"] != ext || c[0] != lon || c[1] != lat {
			t.Errorf("feature %v, SQL says %s %s (%g %g)", doc, name, ext, lon, lat)
		}
		for _, r := range []string{"self", "alternate", "collection"} {
			if _, ok := link(doc, r, ""); !ok {
				t.Errorf("no %s link", r)
			}
		}
	})
	t.Run("/conf/core/crs84", func(t *testing.T) {
		resp, _ := env.Get(t, fac+"/items?limit=1")
		if h := resp.Header.Get("Content-Crs"); h != "<"+ogcapi.CRS84.URI+">" {
			t.Errorf("Content-Crs %q", h)
		}
	})
	t.Run("/conf/geojson/definition", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		get := doc["paths"].(map[string]any)["/collections/{collectionId}/items"].(map[string]any)["get"].(map[string]any)
		content := get["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)
		if content["application/geo+json"] == nil {
			t.Errorf("items do not declare application/geo+json: %v", content)
		}
	})
	t.Run("/conf/geojson/content", func(t *testing.T) {
		for _, p := range []string{fac + "/items?limit=2", "/ogc/collections/roads/items?limit=2", "/ogc/collections/divisions-village/items?limit=2"} {
			resp, doc := getJSON(t, env, p, "Accept", "application/geo+json")
			if resp.Header.Get("Content-Type") != "application/geo+json" || doc["type"] != "FeatureCollection" {
				t.Errorf("%s: %s %v", p, resp.Header.Get("Content-Type"), doc["type"])
			}
			for _, f := range features(doc) {
				if g, ok := f["geometry"].(map[string]any); ok && g["type"] == nil {
					t.Errorf("%s: geometry without type", p)
				}
			}
		}
	})
	t.Run("/conf/html/definition", func(t *testing.T) {
		for _, p := range []string{"/ogc", "/ogc/conformance", "/ogc/collections", fac, fac + "/items", fmt.Sprintf("%s/items/%d", fac, facIDs[0]), fac + "/queryables"} {
			resp, b := env.Get(t, p, "Accept", "text/html,application/xhtml+xml")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<!DOCTYPE html>") {
				t.Errorf("%s as HTML: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp, _ = env.Get(t, p+"?f=html")
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s?f=html: %s", p, resp.Header.Get("Content-Type"))
			}
			resp, _ = env.Get(t, p+"?f=json", "Accept", "text/html")
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s?f=json answered HTML", p)
			}
		}
	})
	t.Run("/conf/html/content", func(t *testing.T) {
		var name string
		if err := env.Pool.QueryRow(context.Background(), `SELECT name FROM facility WHERE id = $1`, facIDs[0]).Scan(&name); err != nil {
			t.Fatal(err)
		}
		_, b := env.Get(t, fac+"/items?f=html&limit=1")
		for _, want := range []string{name, "<h2>Links</h2>", ">next</a>", "numberReturned: 1"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("items page lacks %q", want)
			}
		}
		if strings.Contains(string(b), "<script") || strings.Contains(string(b), "http://cdn") {
			t.Error("the page loads scripts or external resources")
		}
	})
	t.Run("/conf/oas30/oas-definition-1", func(t *testing.T) {
		resp, _ := env.Get(t, "/ogc/api", "Accept", "application/vnd.oai.openapi+json;version=3.0")
		if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("/conf/oas30/oas-definition-2", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		if doc["info"] == nil || doc["paths"] == nil || !strings.HasPrefix(doc["openapi"].(string), "3.0") {
			t.Errorf("not an OpenAPI 3.0 document: %v", doc["openapi"])
		}
	})
	t.Run("/conf/oas30/oas-impl", func(t *testing.T) {
		// Every path without templates, and every collection's items path, answers 200.
		_, doc := getJSON(t, env, "/ogc/api")
		n := 0
		for p := range doc["paths"].(map[string]any) {
			if strings.Contains(p, "{") {
				continue
			}
			resp, _ := env.Get(t, "/ogc"+strings.TrimSuffix(p, "/"))
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: %d", p, resp.StatusCode)
			}
			n++
		}
		if n < 4+len(collections) {
			t.Errorf("only %d concrete paths", n)
		}
	})
	t.Run("/conf/oas30/completeness", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/", "/api", "/conformance", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}", "/collections/{collectionId}/queryables"} {
			if paths[p] == nil {
				t.Errorf("path %s missing", p)
			}
		}
		for _, c := range collections {
			items := paths["/collections/"+c["id"].(string)+"/items"].(map[string]any)["get"].(map[string]any)
			// Its queryables are parameters.
			_, q := getJSON(t, env, "/ogc/collections/"+c["id"].(string)+"/queryables")
			for name := range q["properties"].(map[string]any) {
				found := false
				for _, p := range items["parameters"].([]any) {
					if m, ok := p.(map[string]any); ok && m["name"] == name {
						found = true
					}
				}
				if !found {
					t.Errorf("%v: queryable %s is not a parameter", c["id"], name)
				}
			}
		}
	})
	t.Run("/conf/oas30/exceptions", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		get := doc["paths"].(map[string]any)["/collections/{collectionId}/items"].(map[string]any)["get"].(map[string]any)
		rs := get["responses"].(map[string]any)
		if rs["400"] == nil || rs["404"] == nil {
			t.Errorf("error responses missing: %v", rs)
		}
	})
	t.Run("/conf/oas30/security", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		post := doc["paths"].(map[string]any)["/collections/facilities-"+kind+"/items"].(map[string]any)["post"].(map[string]any)
		if post["security"] == nil || doc["components"].(map[string]any)["securitySchemes"] == nil {
			t.Error("writes do not declare their security")
		}
	})
	// Queryables (Part 3 queryables classes).
	t.Run("/conf/queryables/get-queryables-op", func(t *testing.T) {
		resp, doc := getJSON(t, env, fac+"/queryables")
		mustStatus(t, resp, 200, "queryables")
		if resp.Header.Get("Content-Type") != "application/schema+json" || doc["type"] != "object" {
			t.Errorf("%s %v", resp.Header.Get("Content-Type"), doc["type"])
		}
		if _, ok := doc["properties"].(map[string]any)["status"]; !ok {
			t.Error("status is not a queryable")
		}
	})
	t.Run("/conf/queryables-query-parameters/query-param", func(t *testing.T) {
		for _, st := range []string{"operating", "planned", "closed"} {
			want := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = $1 AND status = $2 ORDER BY id`, kind, st)
			_, doc := getJSON(t, env, fac+"/items?status="+st)
			if !equalIDs(ids(doc), want) {
				t.Errorf("status=%s: %v, SQL says %v", st, ids(doc), want)
			}
		}
		code := "339901001001"
		want := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = $1 AND admin_code = $2 ORDER BY id`, kind, code)
		_, doc := getJSON(t, env, fac+"/items?admin_code="+code)
		if len(want) == 0 || !equalIDs(ids(doc), want) {
			t.Errorf("admin_code: %v, SQL says %v", ids(doc), want)
		}
	})
	// Part 2 CRS (OGC 18-058 Annex A).
	t.Run("/conf/crs/fc-md-crs-list", func(t *testing.T) {
		for _, c := range collections {
			list, _ := c["crs"].([]any)
			for _, want := range []string{ogcapi.CRS84.URI, ogcapi.EPSG4326.URI, ogcapi.EPSG4490.URI} {
				if !slices.Contains(list, any(want)) {
					t.Errorf("%v: crs list lacks %s", c["id"], want)
				}
			}
		}
	})
	t.Run("/conf/crs/fc-md-storageCrs", func(t *testing.T) {
		for _, c := range collections {
			if c["storageCrs"] != ogcapi.CRS84.URI {
				t.Errorf("%v: storageCrs %v", c["id"], c["storageCrs"])
			}
		}
	})
	var lon, lat float64
	if err := env.Pool.QueryRow(context.Background(), `SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE id = $1`, facIDs[0]).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	t.Run("/conf/crs/fc-crs-action", func(t *testing.T) {
		for _, c := range []struct {
			crs      string
			x, y     float64
			wantHead string
		}{
			{"", lon, lat, ogcapi.CRS84.URI},
			{ogcapi.CRS84.URI, lon, lat, ogcapi.CRS84.URI},
			{ogcapi.EPSG4326.URI, lat, lon, ogcapi.EPSG4326.URI},
			{"EPSG:4326", lat, lon, ogcapi.EPSG4326.URI},
			{ogcapi.EPSG4490.URI, lat, lon, ogcapi.EPSG4490.URI},
		} {
			for _, p := range []string{fmt.Sprintf("%s/items/%d", fac, facIDs[0]), fac + "/items?limit=1"} {
				if c.crs != "" {
					sep := "?"
					if strings.Contains(p, "?") {
						sep = "&"
					}
					p += sep + "crs=" + url.QueryEscape(c.crs)
				}
				resp, doc := getJSON(t, env, p)
				f := doc
				if fs := features(doc); len(fs) > 0 {
					f = fs[0]
				}
				xy := f["geometry"].(map[string]any)["coordinates"].([]any)
				if xy[0] != c.x || xy[1] != c.y {
					t.Errorf("%s: %v, want [%g %g]", p, xy, c.x, c.y)
				}
				if h := resp.Header.Get("Content-Crs"); h != "<"+c.wantHead+">" {
					t.Errorf("%s: Content-Crs %q", p, h)
				}
			}
		}
		// Lines and polygons too: the road's first vertex, latitude first.
		var rlon, rlat float64
		var rid int64
		if err := env.Pool.QueryRow(context.Background(), `SELECT id, ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM road ORDER BY id LIMIT 1`).Scan(&rid, &rlon, &rlat); err != nil {
			t.Fatal(err)
		}
		_, doc := getJSON(t, env, fmt.Sprintf("/ogc/collections/roads/items/%d?crs=EPSG:4326", rid))
		first := doc["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)
		if math.Abs(first[0].(float64)-rlat) > 1e-9 || math.Abs(first[1].(float64)-rlon) > 1e-9 {
			t.Errorf("road start %v, want [%g %g]", first, rlat, rlon)
		}
	})
	t.Run("/conf/crs/fc-crs-definition", func(t *testing.T) {
		_, doc := getJSON(t, env, "/ogc/api")
		params := doc["components"].(map[string]any)["parameters"].(map[string]any)
		for _, name := range []string{"crs", "bbox-crs"} {
			enum, _ := params[name].(map[string]any)["schema"].(map[string]any)["enum"].([]any)
			for _, want := range []string{ogcapi.CRS84.URI, ogcapi.EPSG4326.URI, ogcapi.EPSG4490.URI} {
				if !slices.Contains(enum, any(want)) {
					t.Errorf("%s does not offer %s: %v", name, want, enum)
				}
			}
		}
	})
	t.Run("/conf/crs/fc-crs-valid-value", func(t *testing.T) {
		resp, _ := getJSON(t, env, fac+"/items?crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/3857"))
		mustStatus(t, resp, 400, "crs=3857")
	})
	t.Run("/conf/crs/fc-bbox-crs-action", func(t *testing.T) {
		b := [4]float64{119.9, 28.1, 120.1, 28.3}
		want := sqlIDs(t, env, `SELECT id FROM facility WHERE kind = $1 AND ST_Intersects(geom, ST_MakeEnvelope($2, $3, $4, $5, 4326)) ORDER BY id`, kind, b[0], b[1], b[2], b[3])
		for _, c := range []struct{ crs, bbox string }{
			{ogcapi.CRS84.URI, fmt.Sprintf("%g,%g,%g,%g", b[0], b[1], b[2], b[3])},
			{ogcapi.EPSG4326.URI, fmt.Sprintf("%g,%g,%g,%g", b[1], b[0], b[3], b[2])},
			{ogcapi.EPSG4490.URI, fmt.Sprintf("%g,%g,%g,%g", b[1], b[0], b[3], b[2])},
		} {
			_, doc := getJSON(t, env, fac+"/items?bbox="+c.bbox+"&bbox-crs="+url.QueryEscape(c.crs))
			if !equalIDs(ids(doc), want) {
				t.Errorf("bbox-crs %s: %v, SQL says %v", c.crs, ids(doc), want)
			}
		}
		resp, _ := getJSON(t, env, fac+"/items?bbox=1,2,3,4&bbox-crs=EPSG:3857")
		mustStatus(t, resp, 400, "bbox-crs=3857")
	})
	// ETag and 304 on items and pages.
	t.Run("etag", func(t *testing.T) {
		for _, p := range []string{fmt.Sprintf("%s/items/%d", fac, facIDs[0]), fac + "/items?limit=3", "/ogc/collections/divisions-township/items?limit=5"} {
			resp, _ := env.Get(t, p)
			tag := resp.Header.Get("ETag")
			if tag == "" {
				t.Fatalf("%s: no ETag", p)
			}
			resp, b := env.Get(t, p, "If-None-Match", tag)
			if resp.StatusCode != http.StatusNotModified || len(b) != 0 {
				t.Errorf("%s: If-None-Match: %d (%d bytes)", p, resp.StatusCode, len(b))
			}
			resp, _ = env.Get(t, p, "If-None-Match", `"other"`)
			mustStatus(t, resp, 200, p)
			// Another CRS is another representation.
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			resp, _ = env.Get(t, p+sep+"crs=EPSG:4326")
			if resp.Header.Get("ETag") == tag {
				t.Errorf("%s: the same ETag in EPSG:4326", p)
			}
		}
	})
	t.Run("null-geometry", func(t *testing.T) {
		// Divisions without an imported boundary have a null geometry.
		id := sqlInt(t, env, `SELECT min(id) FROM admin_unit WHERE level = 4 AND valid_to IS NULL AND geom IS NULL`)
		raw, b := env.Get(t, fmt.Sprintf("/ogc/collections/divisions-township/items/%d", id))
		mustStatus(t, raw, 200, "division")
		var f map[string]json.RawMessage
		if err := json.Unmarshal(b, &f); err != nil || string(f["geometry"]) != "null" {
			t.Errorf("geometry %s (%v)", f["geometry"], err)
		}
		withGeom := sqlInt(t, env, `SELECT min(id) FROM admin_unit WHERE level = 4 AND valid_to IS NULL AND geom IS NOT NULL`)
		_, doc := getJSON(t, env, fmt.Sprintf("/ogc/collections/divisions-township/items/%d", withGeom))
		if g, _ := doc["geometry"].(map[string]any); g == nil || g["type"] != "MultiPolygon" {
			t.Errorf("division %d: geometry %v", withGeom, doc["geometry"])
		}
	})
	t.Run("coverage-run", func(t *testing.T) {
		run := sqlInt(t, env, `SELECT min(id) FROM coverage_run WHERE status = 'done'`)
		var code string
		var pop, share float64
		if err := env.Pool.QueryRow(context.Background(), `SELECT code, population, share FROM coverage_run_unit WHERE run_id = $1 AND level = 4 ORDER BY code LIMIT 1`, run).Scan(&code, &pop, &share); err != nil {
			t.Fatal(err)
		}
		n := sqlInt(t, env, `SELECT count(*) FROM coverage_run_unit WHERE run_id = $1 AND level = 4`, run)
		_, doc := getJSON(t, env, fmt.Sprintf("/ogc/collections/coverage-run-%d/items?limit=10000", run))
		fs := features(doc)
		if int64(len(fs)) != n || doc["numberMatched"] != float64(n) {
			t.Fatalf("%d townships (numberMatched %v), SQL says %d", len(fs), doc["numberMatched"], n)
		}
		p := fs[0]["properties"].(map[string]any)
		if fs[0]["id"] != code || p["population"] != pop || p["share"] != share {
			t.Errorf("first township %v %v, SQL says %s %g %g", fs[0]["id"], p, code, pop, share)
		}
	})
}
