package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// GeoJSON (RFC 7946) is written by hand rather than with orb/geojson: the
// output must be byte-stable (one feature per line, properties in struct
// field order, shortest round-trip float formatting), and orb/geojson
// v0.14.0 pulls in the mongo-driver bson package, which this module does not
// carry.

type feature struct {
	props any    // a struct: encoding/json keeps field order
	geom  []byte // encoded geometry object
}

// encodeCollection writes a FeatureCollection with the foreign members
// "name" and "synthetic": true, one feature per line.
func encodeCollection(name string, feats []feature) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"type":"FeatureCollection","name":%s,"synthetic":true,"features":[`, mustJSON(name))
	for i, f := range feats {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"type\":\"Feature\",\"properties\":")
		b.Write(mustJSON(f.props))
		b.WriteString(",\"geometry\":")
		b.Write(f.geom)
		b.WriteByte('}')
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func appendPt(b []byte, p pt) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
	return append(b, ']')
}

func appendLine(b []byte, line []pt) []byte {
	b = append(b, '[')
	for i, p := range line {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPt(b, p)
	}
	return append(b, ']')
}

func appendPolygon(b []byte, p [][]pt) []byte {
	b = append(b, '[')
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLine(b, r)
	}
	return append(b, ']')
}

// geomPolygonal encodes a Polygon, or a MultiPolygon when there are several
// parts.
func geomPolygonal(mp [][][]pt) []byte {
	if len(mp) == 1 {
		return append(appendPolygon([]byte(`{"type":"Polygon","coordinates":`), mp[0]), '}')
	}
	b := []byte(`{"type":"MultiPolygon","coordinates":[`)
	for i, p := range mp {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPolygon(b, p)
	}
	return append(b, "]}"...)
}

func geomLineString(line []pt) []byte {
	b := appendLine([]byte(`{"type":"LineString","coordinates":`), line)
	return append(b, '}')
}
