package tiles

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fangyuan/internal/api"
	"fangyuan/tiles/pmtiles"
)

var layerEnum = func() []string { return append([]string(nil), LayerOrder...) }

// Routes are the tile endpoints.
func (s *Server) Routes() []api.Route {
	layerParam := api.Param{Name: "layer", In: "path", Type: "string", Enum: layerEnum(), Example: "township"}
	extra := []api.Param{
		{Name: "kind", In: "query", Type: "string", Description: "facilities: only this kind", Example: "eldercare_center"},
		{Name: "run", In: "query", Type: "integer", Description: "coverage, cells: the coverage run id"},
	}
	return []api.Route{
		{Method: http.MethodGet, Path: "/tiles/{layer}/{z}/{x}/{y}.mvt", Tag: "tiles",
			Summary:     "A Mapbox Vector Tile (gzip when accepted, ETag/304)",
			Description: "400 for z outside 0–22 or x/y outside the zoom; 404 for an unknown layer or run; 204 for an empty tile.",
			Params: append([]api.Param{layerParam,
				{Name: "z", In: "path", Type: "integer"}, {Name: "x", In: "path", Type: "integer"}, {Name: "y", In: "path", Type: "integer"}}, extra...),
			Produces: []string{"application/vnd.mapbox-vector-tile"},
			Handler:  s.handleTile},
		{Method: http.MethodGet, Path: "/tiles/{layer}.json", Tag: "tiles", Summary: "TileJSON 3.0 of a layer",
			Params: append([]api.Param{layerParam}, extra...), Handler: s.handleTileJSON},
		{Method: http.MethodGet, Path: "/tiles/style.json", Tag: "tiles", Summary: "MapLibre style of all layers (a run's coverage with ?run=, one facility kind with ?kind=)",
			Params: extra, Handler: s.handleStyle},
		{Method: http.MethodGet, Path: "/tiles/basemap/{z}/{x}/{y}", Tag: "tiles", Summary: "A tile of the configured PMTiles basemap (404 when none is configured)",
			Params:  []api.Param{{Name: "z", In: "path", Type: "integer"}, {Name: "x", In: "path", Type: "integer"}, {Name: "y", In: "path", Type: "integer"}},
			Handler: s.handleBasemap},
		{Method: http.MethodGet, Path: "/tiles/layers", Tag: "tiles", Summary: "The tile layers and their fields", Handler: s.handleLayers},
	}
}

func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) error {
	l, err := layer(api.PathParam(r, "layer"))
	if err != nil {
		return err
	}
	z, x, y, err := ParseTile(api.PathParam(r, "z"), api.PathParam(r, "x"), api.PathParam(r, "y"))
	if err != nil {
		return err
	}
	t, hit, err := s.Get(r.Context(), Request{Layer: l.ID, Z: z, X: x, Y: y, Param: r.URL.Query().Get(l.Param)})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", t.ETag)
	h.Set("Cache-Control", "no-cache") // revalidate: tiles change with imports and runs
	h.Set("Vary", "Accept-Encoding")
	h.Set("Access-Control-Allow-Origin", "*")
	if hit {
		h.Set("X-Tile-Cache", "hit")
	} else {
		h.Set("X-Tile-Cache", "miss")
	}
	if etagMatch(r.Header.Get("If-None-Match"), t.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if len(t.Gzip) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(t.Gzip)))
		_, err = w.Write(t.Gzip)
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(t.Gzip))
	if err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(t.Size))
	_, err = io.Copy(w, zr)
	return err
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// baseURL is the scheme and host the client reached us at.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tileURL is the tile URL template of a layer.
func tileURL(r *http.Request, l *Layer, param string) string {
	u := baseURL(r) + "/tiles/" + l.ID + "/{z}/{x}/{y}.mvt"
	if l.Param != "" && param != "" {
		u += "?" + l.Param + "=" + url.QueryEscape(param)
	}
	return u
}

func (s *Server) handleTileJSON(w http.ResponseWriter, r *http.Request) error {
	l, err := layer(api.PathParam(r, "layer"))
	if err != nil {
		return err
	}
	raw := r.URL.Query().Get(l.Param)
	param, err := l.paramValue(raw)
	if err != nil {
		return err
	}
	if l.Param == "" {
		param = ""
	}
	b, err := s.Bounds(r.Context())
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{
		"tilejson":    "3.0.0",
		"name":        "fangyuan " + l.ID,
		"description": l.Description,
		"scheme":      "xyz",
		"format":      "pbf",
		"tiles":       []string{tileURL(r, l, param)},
		"minzoom":     l.MinZoom,
		"maxzoom":     l.MaxZoom,
		"bounds":      b,
		"center":      []float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 9},
		"vector_layers": []any{map[string]any{
			"id": l.ID, "description": l.Description, "minzoom": l.MinZoom, "maxzoom": l.MaxZoom, "fields": l.Fields,
		}},
	})
}

func (s *Server) handleLayers(w http.ResponseWriter, r *http.Request) error {
	out := make([]*Layer, 0, len(LayerOrder))
	for _, id := range LayerOrder {
		out = append(out, Layers[id])
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"layers": out})
}

func (s *Server) handleBasemap(w http.ResponseWriter, r *http.Request) error {
	if s.basemap == nil {
		return api.NotFound("no PMTiles basemap is configured")
	}
	z, x, y, err := ParseTile(api.PathParam(r, "z"), api.PathParam(r, "x"), api.PathParam(r, "y"))
	if err != nil {
		return err
	}
	b, err := s.basemap.Tile(uint8(z), uint32(x), uint32(y))
	if err != nil {
		return err
	}
	if b == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", s.basemap.Header.ContentType())
	h.Set("Cache-Control", "public, max-age=86400")
	if s.basemap.Header.TileCompression == pmtiles.CompressionGzip {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, err = w.Write(b)
	return err
}
