package format

import (
	"encoding/json"
	"io"

	"github.com/paulmach/orb"
)

// WriteGeoJSON writes l as an RFC 7946 FeatureCollection: no crs member, lon/lat
// coordinates, polygon exterior rings counter-clockwise and holes clockwise (the
// right-hand rule). Properties keep the field order of the layer.
func WriteGeoJSON(w io.Writer, l *Layer) error {
	if err := l.Check(); err != nil {
		return err
	}
	type feature struct {
		Type       string          `json:"type"`
		Geometry   any             `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	feats := make([]feature, len(l.Features))
	for i, f := range l.Features {
		props, err := orderedProps(l.Fields, f.Values)
		if err != nil {
			return err
		}
		feats[i] = feature{Type: "Feature", Geometry: geometryJSON(f.Geometry), Properties: props}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Type     string    `json:"type"`
		Name     string    `json:"name,omitempty"`
		Features []feature `json:"features"`
	}{"FeatureCollection", l.Name, feats})
}

// orderedProps renders values as a JSON object in field order.
func orderedProps(fields []Field, values []any) (json.RawMessage, error) {
	buf := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(jsonValue(values[i]))
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}

type jsonGeom struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func coords(ps []orb.Point) [][2]float64 {
	out := make([][2]float64, len(ps))
	for i, p := range ps {
		out[i] = [2]float64{p[0], p[1]}
	}
	return out
}

// rhr returns the rings of p with the exterior counter-clockwise and holes clockwise.
func rhr(p orb.Polygon) [][][2]float64 {
	out := make([][][2]float64, len(p))
	for i, r := range p {
		r = append(orb.Ring(nil), r...)
		if o := r.Orientation(); (i == 0 && o == orb.CW) || (i > 0 && o == orb.CCW) {
			r.Reverse()
		}
		out[i] = coords(r)
	}
	return out
}

func geometryJSON(g orb.Geometry) any {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return jsonGeom{"Point", [2]float64{g[0], g[1]}}
	case orb.MultiPoint:
		return jsonGeom{"MultiPoint", coords(g)}
	case orb.LineString:
		return jsonGeom{"LineString", coords(g)}
	case orb.MultiLineString:
		out := make([][][2]float64, len(g))
		for i, l := range g {
			out[i] = coords(l)
		}
		return jsonGeom{"MultiLineString", out}
	case orb.Polygon:
		return jsonGeom{"Polygon", rhr(g)}
	case orb.MultiPolygon:
		out := make([][][][2]float64, len(g))
		for i, p := range g {
			out[i] = rhr(p)
		}
		return jsonGeom{"MultiPolygon", out}
	}
	return nil
}
