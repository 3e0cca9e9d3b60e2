package tiles

import (
	"net/http"

	"fangyuan/internal/api"
	"fangyuan/tiles/glyphs"
)

// Colours of the coverage choropleth by covered share (red: gap, green: covered).
var shareStops = []any{0.0, "#b2182b", 0.5, "#ef8a62", 0.8, "#fddbc7", 0.9, "#d9f0d3", 1.0, "#1b7837"}

func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	kind, err := Layers["facilities"].paramValue(q.Get("kind"))
	if err != nil {
		return err
	}
	run := ""
	if q.Get("run") != "" {
		if run, err = Layers["coverage"].paramValue(q.Get("run")); err != nil {
			return err
		}
	}
	b, err := s.Bounds(r.Context())
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, s.Style(r, kind, run, b))
}

// labelFont is the "text-font" of every label: the one font stack the server's glyph
// endpoint (tiles/glyphs) serves.
var labelFont = []string{glyphs.StackName}

// Style is the MapLibre style (version 8) of the own layers. Its glyphs come from the
// server itself (GET /fonts/{fontstack}/{range}.pbf, rendered from an installed font) and
// it has no sprite, so it needs nothing from outside the server.
func (s *Server) Style(r *http.Request, kind, run string, b [4]float64) map[string]any {
	src := func(id, param string) map[string]any {
		l := Layers[id]
		return map[string]any{"type": "vector", "tiles": []string{tileURL(r, l, param)},
			"minzoom": l.MinZoom, "maxzoom": min(l.MaxZoom, 16), "bounds": b}
	}
	sources := map[string]any{
		"county":         src("county", ""),
		"township":       src("township", ""),
		"village":        src("village", ""),
		"roads":          src("roads", ""),
		"boundary_lines": src("boundary_lines", ""),
		"house_numbers":  src("house_numbers", ""),
		"facilities":     src("facilities", kind),
	}
	layers := []any{
		map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f3f1ec"}},
	}
	if s.cfg.Basemap != "" {
		bm := map[string]any{"type": "raster", "tiles": []string{s.cfg.Basemap}, "tileSize": 256, "attribution": s.cfg.BasemapAttribution}
		if s.basemap != nil {
			h := s.basemap.Header
			bm["tiles"] = []string{baseURL(r) + "/tiles/basemap/{z}/{x}/{y}"}
			bm["minzoom"], bm["maxzoom"] = h.MinZoom, h.MaxZoom
		}
		sources["basemap"] = bm
		layers = append(layers, map[string]any{"id": "basemap", "type": "raster", "source": "basemap"})
	}
	layers = append(layers,
		map[string]any{"id": "county-fill", "type": "fill", "source": "county", "source-layer": "county",
			"paint": map[string]any{"fill-color": "#ffffff", "fill-opacity": 0.6}},
	)
	if run != "" {
		sources["coverage"] = src("coverage", run)
		sources["cells"] = src("cells", run)
		layers = append(layers,
			map[string]any{"id": "coverage-fill", "type": "fill", "source": "coverage", "source-layer": "coverage",
				"paint": map[string]any{"fill-color": append([]any{"interpolate", []any{"linear"}, []any{"get", "share"}}, shareStops...), "fill-opacity": 0.75}},
			map[string]any{"id": "cells-fill", "type": "fill", "source": "cells", "source-layer": "cells", "minzoom": 11,
				"paint": map[string]any{"fill-color": append([]any{"interpolate", []any{"linear"}, []any{"get", "share"}}, shareStops...), "fill-opacity": 0.55,
					"fill-outline-color": "rgba(0,0,0,0)"}},
		)
	}
	layers = append(layers,
		map[string]any{"id": "village-line", "type": "line", "source": "village", "source-layer": "village", "minzoom": 11,
			"paint": map[string]any{"line-color": "#9a9a9a", "line-width": 0.5, "line-dasharray": []any{2, 2}}},
		map[string]any{"id": "township-line", "type": "line", "source": "township", "source-layer": "township",
			"paint": map[string]any{"line-color": "#666666", "line-width": 1}},
		map[string]any{"id": "county-line", "type": "line", "source": "county", "source-layer": "county",
			"paint": map[string]any{"line-color": "#333333", "line-width": 2.2}},
		map[string]any{"id": "boundary-lines", "type": "line", "source": "boundary_lines", "source-layer": "boundary_lines",
			"paint": map[string]any{"line-color": "#7b3294", "line-width": 1.5, "line-dasharray": []any{4, 2}}},
		map[string]any{"id": "roads", "type": "line", "source": "roads", "source-layer": "roads",
			"paint": map[string]any{"line-color": "#c8a064", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 8, 0.6, 14, 3}}},
	)
	if run != "" {
		layers = append(layers,
			map[string]any{"id": "coverage-flagged", "type": "line", "source": "coverage", "source-layer": "coverage",
				"filter": []any{"==", []any{"get", "flagged"}, true},
				"paint":  map[string]any{"line-color": "#b2182b", "line-width": 2.5}},
			map[string]any{"id": "coverage-selected", "type": "line", "source": "coverage", "source-layer": "coverage",
				"filter": []any{"==", []any{"get", "code"}, ""},
				"paint":  map[string]any{"line-color": "#2166ac", "line-width": 4}},
		)
	}
	layers = append(layers,
		map[string]any{"id": "house-numbers", "type": "circle", "source": "house_numbers", "source-layer": "house_numbers", "minzoom": 15,
			"paint": map[string]any{
				"circle-radius": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 15, 1.5, 18, 4},
				"circle-color":  []any{"match", []any{"get", "status"}, "planned", "#2c7bb6", "#5a5a5a"},
			}},
		map[string]any{"id": "facilities", "type": "circle", "source": "facilities", "source-layer": "facilities",
			"paint": map[string]any{
				"circle-radius":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 6, 3, 14, 7},
				"circle-color":        []any{"match", []any{"get", "status"}, "operating", "#1a9641", "planned", "#2c7bb6", "#8c8c8c"},
				"circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2,
			}},
		// Labels last, above everything: road names along the roads, house numbers (门牌)
		// beside their points.
		map[string]any{"id": "road-names", "type": "symbol", "source": "roads", "source-layer": "roads", "minzoom": 12,
			"filter": []any{"!=", []any{"coalesce", []any{"get", "name"}, ""}, ""},
			"layout": map[string]any{
				"symbol-placement": "line", "symbol-spacing": 300, "text-max-angle": 35,
				"text-field": []any{"get", "name"}, "text-font": labelFont,
				"text-size": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 12, 11, 17, 15},
			},
			"paint": map[string]any{"text-color": "#4a3b28", "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.5}},
		map[string]any{"id": "house-number-labels", "type": "symbol", "source": "house_numbers", "source-layer": "house_numbers", "minzoom": 16,
			"layout": map[string]any{
				"text-field": []any{"get", "label"}, "text-font": labelFont, "text-size": 11,
				"text-anchor": "top", "text-offset": []any{0, 0.5},
			},
			"paint": map[string]any{"text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
	)
	return map[string]any{
		"version": 8,
		"name":    "Fangyuan 方圆",
		"center":  []float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2},
		"zoom":    9,
		"glyphs":  baseURL(r) + glyphs.URLTemplate,
		"sources": sources,
		"layers":  layers,
	}
}
