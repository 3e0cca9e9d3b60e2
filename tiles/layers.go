package tiles

import (
	"fmt"
	"math"
	"regexp"
	"strconv"

	"fangyuan/internal/api"
)

// MaxZoom is the deepest zoom served; deeper requests get 400.
const MaxZoom = 22

// MaxTileBytes is the size a tile is kept under: a tile that comes out larger is made
// again with a coarser simplification and a smaller feature cap.
const MaxTileBytes = 450 << 10

// Layer describes one tile layer: what TileJSON says about it and where its data comes from.
type Layer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
	// Param is the query parameter the layer takes ("kind", "run" or "").
	Param string `json:"-"`
	// ParamRequired makes the parameter mandatory.
	ParamRequired bool `json:"-"`
	// Tables are the source tables whose changes invalidate the layer's cached tiles.
	Tables []string `json:"-"`

	query string          // SQL with one %s for the geometry expression; "" for in-memory layers
	fixed string          // value of $6 when the layer has no parameter
	cap   func(z int) int // feature cap per zoom
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// paramValue validates the layer parameter from the request.
func (l *Layer) paramValue(raw string) (string, error) {
	switch l.Param {
	case "":
		return l.fixed, nil
	case "kind":
		if raw == "" {
			return "", nil
		}
		if !codePattern.MatchString(raw) {
			return "", api.BadRequest("kind", "must be a facility kind such as eldercare_center, not %q", raw)
		}
		return raw, nil
	case "run":
		if raw == "" {
			return "", api.BadRequest("run", "required: the id of a coverage run (GET /api/coverage/runs)")
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return "", api.BadRequest("run", "must be a positive integer run id, not %q", raw)
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("layer %s: unknown parameter %q", l.ID, l.Param)
}

// Tolerance is the simplification tolerance in degrees at zoom z: half a pixel of a
// 256-pixel tile.
func Tolerance(z int) float64 { return 360 / (256 * math.Exp2(float64(z))) / 2 }

func simplified() string { return mvtGeom(`ST_Simplify(%[1]s.geom, $4::float8, true)`) }

func division(id, desc string, level, minZoom int) *Layer {
	return &Layer{
		ID: id, Description: desc, MinZoom: minZoom, MaxZoom: MaxZoom,
		Fields: map[string]string{"code": "String", "name": "String", "kind": "String", "level": "Number", "parent_code": "String"},
		Tables: []string{"admin_unit"},
		query:  wrapMVT(id, fmt.Sprintf(divisionsInner, fmt.Sprintf(simplified(), "a"))),
		fixed:  strconv.Itoa(level),
		cap:    func(z int) int { return 8000 },
	}
}

// Layers are the tile layers, by URL name.
var Layers = map[string]*Layer{}

// LayerOrder is the order layers are listed and drawn in.
var LayerOrder []string

func register(l *Layer) {
	Layers[l.ID] = l
	LayerOrder = append(LayerOrder, l.ID)
}

func init() {
	register(division("province", "省 provinces", 1, 0))
	register(division("prefecture", "地级 prefectures", 2, 0))
	register(division("county", "县级 counties", 3, 0))
	register(division("township", "乡级 townships", 4, 5))
	register(division("village", "村级 villages and communities", 5, 9))
	register(&Layer{
		ID: "boundary_lines", Description: "界线 boundary lines", MinZoom: 0, MaxZoom: MaxZoom,
		Fields: map[string]string{"id": "Number", "name": "String", "level": "Number", "left_code": "String", "right_code": "String"},
		Tables: []string{"boundary_line"},
		query:  wrapMVT("boundary_lines", fmt.Sprintf(boundaryLinesInner, fmt.Sprintf(simplified(), "l"))),
		cap:    func(z int) int { return 20000 },
	})
	register(&Layer{
		ID: "roads", Description: "道路 roads", MinZoom: 8, MaxZoom: MaxZoom,
		Fields: map[string]string{"id": "Number", "name": "String", "kind": "String", "admin_code": "String"},
		Tables: []string{"road"},
		query:  wrapMVT("roads", fmt.Sprintf(roadsInner, fmt.Sprintf(simplified(), "r"))),
		cap: func(z int) int {
			if z < 11 {
				return 5000
			}
			return 20000
		},
	})
	register(&Layer{
		ID: "house_numbers", Description: "门牌 current house numbers (planned and active; one point per number, label as on the plate: 12号, 甲12号, 12号之一)",
		MinZoom: 14, MaxZoom: MaxZoom,
		Fields: map[string]string{"id": "Number", "road_id": "Number", "number": "Number", "suffix": "String", "building": "String", "label": "String", "status": "String"},
		Tables: []string{"house_number"},
		query:  wrapMVT("house_numbers", fmt.Sprintf(houseNumbersInner, mvtGeom(`h.geom`))),
		cap:    func(z int) int { return 20000 },
	})
	register(&Layer{
		ID: "facilities", Description: "设施 facilities (?kind= one kind)", MinZoom: 0, MaxZoom: MaxZoom, Param: "kind",
		Fields: map[string]string{"id": "Number", "kind": "String", "name": "String", "status": "String", "beds": "Number", "admin_code": "String"},
		Tables: []string{"facility"},
		query:  wrapMVT("facilities", fmt.Sprintf(facilitiesInner, mvtGeom(`f.geom`))),
		cap: func(z int) int {
			if z < 8 {
				return 5000
			}
			return 20000
		},
	})
	register(&Layer{
		ID: "coverage", Description: "覆盖 a coverage run's townships: share covered and flags (?run=)", MinZoom: 0, MaxZoom: MaxZoom,
		Param: "run", ParamRequired: true,
		Fields: map[string]string{"code": "String", "name": "String", "population": "Number", "covered": "Number", "uncovered": "Number",
			"share": "Number", "facilities": "Number", "flags": "String (comma-separated)", "flagged": "Boolean", "rank": "Number"},
		Tables: []string{"coverage_run_unit", "admin_unit"},
		query:  wrapMVT("coverage", fmt.Sprintf(coverageInner, fmt.Sprintf(simplified(), "a"))),
		cap:    func(z int) int { return 8000 },
	})
	register(&Layer{
		ID: "cells", Description: "覆盖栅格 a coverage run's population cells, aggregated below cell resolution (?run=)", MinZoom: 0, MaxZoom: MaxZoom,
		Param: "run", ParamRequired: true,
		Fields: map[string]string{"population": "Number", "covered": "Number", "share": "Number", "cells": "Number"},
		Tables: []string{"coverage_run_unit", "population_grid"},
		cap:    func(z int) int { return 16384 },
	})
}
