package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/paulmach/orb"
)

// readGeoJSON reads a GeoJSON FeatureCollection. It walks the top-level
// object with a streaming decoder so that each feature's starting line is
// known; features are decoded one at a time.
func readGeoJSON(fsys fs.FS, name, opt string) (*featureSet, error) {
	data, enc, err := readText(fsys, name, opt)
	if err != nil {
		return nil, err
	}
	from := "detected"
	if strings.TrimSpace(opt) != "" {
		from = "option"
	}
	s := &featureSet{Source: Source{Path: name, Format: FormatGeoJSON, Encoding: enc, EncodingFrom: from}}
	syntax := func(err error) error {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], nl)
		case errors.As(err, &te):
			line = 1 + bytes.Count(data[:min(int(te.Offset), len(data))], nl)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			line = 1 + bytes.Count(data, nl)
			err = errors.New("unexpected end of file")
		}
		return &Error{File: name, Line: line, Reason: "invalid JSON: " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &Error{File: name, Line: 1, Reason: "not a GeoJSON object (want a FeatureCollection)"}
	}
	typ := ""
	sawFeatures := false
	fieldIdx := map[string]bool{}
	line, lineOff := 1, 0
	lineAt := func(off int) int {
		if off > lineOff {
			line += bytes.Count(data[lineOff:off], nl)
			lineOff = off
		}
		return line
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return nil, syntax(err)
			}
			if typ != "FeatureCollection" {
				return nil, &Error{File: name, Line: lineAt(int(dec.InputOffset())), Field: "type",
					Reason: fmt.Sprintf("%q: want a FeatureCollection", typ)}
			}
		case "crs":
			var crs struct {
				Type       string `json:"type"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			}
			if err := dec.Decode(&crs); err != nil {
				return nil, syntax(err)
			}
			if crs.Properties.Name != "" {
				c, ok := geojsonCRS(crs.Properties.Name)
				if !ok {
					return nil, &Error{File: name, Line: lineAt(int(dec.InputOffset())), Field: "crs", Reason: fmt.Sprintf(
						"%s is not WGS84/CGCS2000 longitude/latitude; reproject it first: %s", crs.Properties.Name, reprojectFix(name))}
				}
				s.CRS = c
			}
		case "features":
			sawFeatures = true
			tok, err := dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			if tok == nil {
				break // "features": null
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, &Error{File: name, Line: lineAt(int(dec.InputOffset())), Field: "features", Reason: "not an array"}
			}
			for dec.More() {
				start := skipSpace(data, int(dec.InputOffset()))
				f := feature{index: len(s.features) + 1, line: lineAt(start)}
				var rf struct {
					Type       string          `json:"type"`
					Geometry   json.RawMessage `json:"geometry"`
					Properties json.RawMessage `json:"properties"`
				}
				if err := dec.Decode(&rf); err != nil {
					return nil, syntax(err)
				}
				if rf.Type != "Feature" {
					return nil, &Error{File: name, Line: f.line, Feature: f.index, Field: "type", Reason: fmt.Sprintf("%q: want Feature", rf.Type)}
				}
				props, err := decodeProps(rf.Properties)
				if err != nil {
					return nil, &Error{File: name, Line: f.line, Feature: f.index, Field: "properties", Reason: err.Error()}
				}
				f.props = props
				for _, p := range props {
					if !fieldIdx[p.key] {
						fieldIdx[p.key] = true
						s.Fields = append(s.Fields, p.key)
					}
				}
				f.geom, err = decodeGeometry(rf.Geometry)
				if err != nil {
					f.geomErr = err.Error()
				}
				s.features = append(s.features, f)
				s.fieldsAt = append(s.fieldsAt, len(s.Fields))
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, syntax(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntax(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, syntax(err)
	}
	if typ == "" {
		return nil, &Error{File: name, Field: "type", Reason: `missing: want "type": "FeatureCollection"`}
	}
	if !sawFeatures {
		return nil, &Error{File: name, Field: "features", Reason: "missing"}
	}
	return s, nil
}

func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// geojsonCRS recognizes the legacy "crs" names of WGS84 and CGCS2000.
func geojsonCRS(name string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch {
	case strings.HasSuffix(n, "CRS84"), strings.HasSuffix(n, "CRS:84"),
		strings.HasSuffix(n, "EPSG::4326"), strings.HasSuffix(n, "EPSG:4326"):
		return "EPSG:4326", true
	case strings.HasSuffix(n, "EPSG::4490"), strings.HasSuffix(n, "EPSG:4490"):
		return "EPSG:4490", true
	}
	return "", false
}

// decodeProps decodes a properties object into strings, in file order:
// strings as they are, numbers as written, true/false, null as "", and
// objects and arrays as compact JSON.
func decodeProps(raw json.RawMessage) ([]prop, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var props []prop
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		val, err := jsonString(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		replaced := false
		for i := range props {
			if props[i].key == key {
				props[i].val, replaced = val, true
			}
		}
		if !replaced {
			props = append(props, prop{key, val})
		}
	}
	return props, nil
}

func jsonString(v json.RawMessage) (string, error) {
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case 'n':
		return "", nil
	case '{', '[':
		var b bytes.Buffer
		err := json.Compact(&b, v)
		return b.String(), err
	}
	return string(v), nil // number, true, false
}

// decodeGeometry decodes a GeoJSON geometry into orb types (x, y only; a
// third ordinate is dropped). A null geometry is nil without error.
func decodeGeometry(raw json.RawMessage) (orb.Geometry, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	if len(g.Coordinates) == 0 && g.Type != "GeometryCollection" {
		return nil, fmt.Errorf("%s without coordinates", g.Type)
	}
	switch g.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("Point coordinates: %w", err)
		}
		return toPoint(c)
	case "MultiPoint", "LineString":
		var c [][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("%s coordinates: %w", g.Type, err)
		}
		ps, err := toPoints(c)
		if err != nil {
			return nil, err
		}
		if g.Type == "MultiPoint" {
			return orb.MultiPoint(ps), nil
		}
		return orb.LineString(ps), nil
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("%s coordinates: %w", g.Type, err)
		}
		if g.Type == "Polygon" {
			return toPolygon(c)
		}
		mls := make(orb.MultiLineString, 0, len(c))
		for _, l := range c {
			ps, err := toPoints(l)
			if err != nil {
				return nil, err
			}
			mls = append(mls, ps)
		}
		return mls, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("MultiPolygon coordinates: %w", err)
		}
		mp := make(orb.MultiPolygon, 0, len(c))
		for _, pc := range c {
			p, err := toPolygon(pc)
			if err != nil {
				return nil, err
			}
			mp = append(mp, p)
		}
		return mp, nil
	case "GeometryCollection":
		return nil, errors.New("GeometryCollection is not supported")
	}
	return nil, fmt.Errorf("unknown geometry type %q", g.Type)
}

func toPoint(c []float64) (orb.Point, error) {
	if len(c) < 2 {
		return orb.Point{}, fmt.Errorf("position with %d numbers, want 2", len(c))
	}
	return orb.Point{c[0], c[1]}, nil
}

func toPoints(c [][]float64) ([]orb.Point, error) {
	ps := make([]orb.Point, len(c))
	for i, x := range c {
		p, err := toPoint(x)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

func toPolygon(c [][][]float64) (orb.Polygon, error) {
	p := make(orb.Polygon, 0, len(c))
	for _, r := range c {
		ps, err := toPoints(r)
		if err != nil {
			return nil, err
		}
		p = append(p, orb.Ring(ps))
	}
	return p, nil
}
