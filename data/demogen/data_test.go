package main

// Checks on the committed demo files themselves (read back as a consumer
// would), independent of the generator's internal state.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fangyuan/geo/geotiff"
)

type gjFeature struct {
	props map[string]any
	kind  string   // geometry type
	mp    [][][]pt // Polygon / MultiPolygon as a list of polygons
	line  []pt     // LineString
}

func loadGeoJSON(t *testing.T, rel string) []gjFeature {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(committedDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type      string `json:"type"`
		Synthetic bool   `json:"synthetic"`
		Features  []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if fc.Type != "FeatureCollection" || !fc.Synthetic {
		t.Fatalf("%s: type %q synthetic %v", rel, fc.Type, fc.Synthetic)
	}
	var out []gjFeature
	for i, f := range fc.Features {
		g := gjFeature{props: f.Properties, kind: f.Geometry.Type}
		if f.Type != "Feature" || f.Properties["synthetic"] != true {
			t.Fatalf("%s: feature %d: type %q, synthetic %v", rel, i, f.Type, f.Properties["synthetic"])
		}
		var err error
		switch g.kind {
		case "Polygon":
			var p [][]pt
			err = json.Unmarshal(f.Geometry.Coordinates, &p)
			g.mp = [][][]pt{p}
		case "MultiPolygon":
			err = json.Unmarshal(f.Geometry.Coordinates, &g.mp)
		case "LineString":
			err = json.Unmarshal(f.Geometry.Coordinates, &g.line)
		default:
			err = fmt.Errorf("unexpected geometry %q", g.kind)
		}
		if err != nil {
			t.Fatalf("%s: feature %d: %v", rel, i, err)
		}
		out = append(out, g)
	}
	return out
}

func (f gjFeature) str(key string) string { s, _ := f.props[key].(string); return s }

// probe returns a point just inside the first polygon of mp: 1e-7° to the
// left of the middle of its outer ring's first edge.
func probe(mp [][][]pt) pt {
	r := mp[0][0]
	a, b := r[0], r[1]
	dx, dy := b[0]-a[0], b[1]-a[1]
	n := math.Hypot(dx, dy)
	return pt{(a[0]+b[0])/2 - dy/n*1e-7, (a[1]+b[1])/2 + dx/n*1e-7}
}

// checkValid checks OGC/RFC 7946 validity of a (multi)polygon: closed rings
// of at least 4 points, no repeated points, outer rings counter-clockwise
// and holes clockwise, no two edges meeting anywhere but at a shared
// vertex, holes inside their shell, polygons not inside one another.
func checkValid(mp [][][]pt) error {
	type seg struct{ a, b pt }
	var segs []seg
	for pi, p := range mp {
		if len(p) == 0 {
			return fmt.Errorf("polygon %d has no rings", pi)
		}
		for ri, r := range p {
			if len(r) < 4 {
				return fmt.Errorf("polygon %d ring %d has %d points", pi, ri, len(r))
			}
			if r[0] != r[len(r)-1] {
				return fmt.Errorf("polygon %d ring %d is not closed", pi, ri)
			}
			seen := map[pt]bool{}
			for _, q := range r[:len(r)-1] {
				if seen[q] {
					return fmt.Errorf("polygon %d ring %d repeats point %v", pi, ri, q)
				}
				seen[q] = true
			}
			a := ringArea(r)
			if (ri == 0) != (a > 0) {
				return fmt.Errorf("polygon %d ring %d has the wrong orientation (area %g)", pi, ri, a)
			}
			if ri > 0 {
				for _, q := range r {
					if !seen0(p[0], q) && !inRing(q, p[0]) {
						return fmt.Errorf("polygon %d hole %d point %v is outside the shell", pi, ri, q)
					}
				}
			}
			for i := 0; i+1 < len(r); i++ {
				segs = append(segs, seg{r[i], r[i+1]})
			}
		}
	}
	for i := range segs {
		for j := i + 1; j < len(segs); j++ {
			s, u := segs[i], segs[j]
			if !segsIntersect(s.a, s.b, u.a, u.b) {
				continue
			}
			var shared, other1, other2 pt
			switch {
			case s.b == u.a:
				shared, other1, other2 = s.b, s.a, u.b
			case s.a == u.b:
				shared, other1, other2 = s.a, s.b, u.a
			case s.a == u.a:
				shared, other1, other2 = s.a, s.b, u.b
			case s.b == u.b:
				shared, other1, other2 = s.b, s.a, u.a
			default:
				return fmt.Errorf("edges %v-%v and %v-%v intersect", s.a, s.b, u.a, u.b)
			}
			// Meeting at a shared vertex is fine unless the edges overlap.
			if orient(shared, other1, other2) == 0 && (onSegment(shared, other1, other2) || onSegment(shared, other2, other1)) {
				return fmt.Errorf("edges %v-%v and %v-%v overlap", s.a, s.b, u.a, u.b)
			}
		}
	}
	for i := range mp {
		q := probe(mp[i : i+1])
		for j := range mp {
			if i != j && inPolygon(q, mp[j]) {
				return fmt.Errorf("polygon %d lies inside polygon %d", i, j)
			}
		}
	}
	return nil
}

func seen0(r []pt, q pt) bool { return slices.Contains(r, q) }

type dirEdge [4]float64

// boundaryEdges returns the directed edges of a set of (multi)polygons with
// every edge that also occurs reversed cancelled out: for a tiling, what is
// left is exactly the boundary of the union.
func boundaryEdges(mps ...[][][]pt) map[dirEdge]int {
	m := map[dirEdge]int{}
	for _, mp := range mps {
		for _, p := range mp {
			for _, r := range p {
				for i := 0; i+1 < len(r); i++ {
					e := dirEdge{r[i][0], r[i][1], r[i+1][0], r[i+1][1]}
					rev := dirEdge{e[2], e[3], e[0], e[1]}
					if m[rev] > 0 {
						m[rev]--
						if m[rev] == 0 {
							delete(m, rev)
						}
					} else {
						m[e]++
					}
				}
			}
		}
	}
	return m
}

func sameEdges(a, b map[dirEdge]int) error {
	for e, n := range a {
		if b[e] != n {
			return fmt.Errorf("edge %v: %d vs %d", e, n, b[e])
		}
	}
	for e, n := range b {
		if a[e] != n {
			return fmt.Errorf("edge %v: %d vs %d", e, a[e], n)
		}
	}
	return nil
}

func relClose(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

type boundaries struct {
	county    gjFeature
	townships []gjFeature
	villages  []gjFeature
}

func loadBoundaries(t *testing.T) boundaries {
	t.Helper()
	c := loadGeoJSON(t, "boundaries/county.geojson")
	if len(c) != 1 {
		t.Fatalf("county.geojson has %d features", len(c))
	}
	return boundaries{c[0], loadGeoJSON(t, "boundaries/townships.geojson"), loadGeoJSON(t, "boundaries/villages.geojson")}
}

func TestBoundariesValid(t *testing.T) {
	b := loadBoundaries(t)
	all := append(append([]gjFeature{b.county}, b.townships...), b.villages...)
	for _, f := range all {
		if err := checkValid(f.mp); err != nil {
			t.Errorf("%s %s: %v", f.str("code"), f.str("name"), err)
		}
		if (f.kind == "MultiPolygon") != (len(f.mp) > 1) {
			t.Errorf("%s: %s with %d parts", f.str("code"), f.kind, len(f.mp))
		}
		for _, p := range f.mp {
			for _, r := range p {
				for _, q := range r {
					if q[0] < 119.5 || q[0] > 120.3 || q[1] < 27.95 || q[1] > 28.55 {
						t.Fatalf("%s: point %v outside the demo area", f.str("code"), q)
					}
				}
			}
		}
	}
}

func TestVillagesTileCounty(t *testing.T) {
	b := loadBoundaries(t)
	countyArea := multiArea(b.county.mp)
	var villageMPs, townMPs [][][][]pt
	var vSum, tSum float64
	for _, v := range b.villages {
		vSum += multiArea(v.mp)
		villageMPs = append(villageMPs, v.mp)
	}
	for _, tw := range b.townships {
		tSum += multiArea(tw.mp)
		townMPs = append(townMPs, tw.mp)
	}
	if !relClose(vSum, countyArea) {
		t.Errorf("sum of village areas %.12g != county area %.12g", vSum, countyArea)
	}
	if !relClose(tSum, countyArea) {
		t.Errorf("sum of township areas %.12g != county area %.12g", tSum, countyArea)
	}
	countyEdges := boundaryEdges(b.county.mp)
	if err := sameEdges(boundaryEdges(villageMPs...), countyEdges); err != nil {
		t.Errorf("villages do not tile the county edge for edge: %v", err)
	}
	if err := sameEdges(boundaryEdges(townMPs...), countyEdges); err != nil {
		t.Errorf("townships do not tile the county edge for edge: %v", err)
	}
	for _, tw := range b.townships {
		var mine [][][][]pt
		var area float64
		for _, v := range b.villages {
			if strings.HasPrefix(v.str("code"), tw.str("code")) {
				mine = append(mine, v.mp)
				area += multiArea(v.mp)
			}
		}
		if len(mine) == 0 {
			t.Errorf("township %s has no villages", tw.str("code"))
			continue
		}
		if !relClose(area, multiArea(tw.mp)) {
			t.Errorf("township %s: village areas %.12g != township area %.12g", tw.str("code"), area, multiArea(tw.mp))
		}
		if err := sameEdges(boundaryEdges(mine...), boundaryEdges(tw.mp)); err != nil {
			t.Errorf("township %s is not tiled by its villages: %v", tw.str("code"), err)
		}
	}
	// Every village lies in exactly one township, the one its code names.
	for _, v := range b.villages {
		var in []string
		for _, p := range v.mp {
			q := probe([][][]pt{p})
			for _, tw := range b.townships {
				if inMulti(q, tw.mp) {
					in = append(in, tw.str("code"))
				}
			}
		}
		want := v.str("code")[:9]
		for _, c := range in {
			if c != want {
				t.Errorf("village %s lies (partly) in township %s", v.str("code"), c)
			}
		}
		if len(in) != len(v.mp) {
			t.Errorf("village %s: its %d parts are in %d townships", v.str("code"), len(v.mp), len(in))
		}
	}
}

var (
	reTownship = regexp.MustCompile(`^339901(\d{3})$`)
	reVillage  = regexp.MustCompile(`^(339901\d{3})(\d{3})$`)
)

func readCSV(t *testing.T, rel string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(committedDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return rows
}

func TestDivisionCodesAndNames(t *testing.T) {
	b := loadBoundaries(t)
	if b.county.str("code") != countyCode || b.county.str("name") != countyName {
		t.Errorf("county %s %s", b.county.str("code"), b.county.str("name"))
	}
	streets := readCSV(t, "divisions/fangyuan-demo/streets.csv")[1:]
	villages := readCSV(t, "divisions/fangyuan-demo/villages.csv")[1:]
	if len(streets) != len(b.townships) || len(villages) != len(b.villages) {
		t.Fatalf("CSV has %d/%d rows, GeoJSON %d/%d", len(streets), len(villages), len(b.townships), len(b.villages))
	}
	if len(b.townships) < 10 || len(b.townships) > 15 || len(b.villages) < 120 || len(b.villages) > 180 {
		t.Errorf("%d townships, %d villages", len(b.townships), len(b.villages))
	}
	for i, tw := range b.townships {
		code, name := tw.str("code"), tw.str("name")
		if streets[i][0] != code || streets[i][1] != name || streets[i][2] != countyCode {
			t.Errorf("streets.csv row %d %v != GeoJSON %s %s", i+2, streets[i], code, name)
		}
		m := reTownship.FindStringSubmatch(code)
		if m == nil {
			t.Fatalf("township code %q", code)
		}
		n, _ := strconv.Atoi(m[1])
		var suffix string
		switch {
		case n >= 1 && n <= 99:
			suffix = "街道"
		case n >= 100 && n <= 199:
			suffix = "镇"
		case n >= 200 && n <= 399:
			suffix = "乡"
		}
		if suffix == "" || !strings.HasSuffix(name, suffix) || tw.str("kind") != suffix {
			t.Errorf("township %s %s (kind %s): digits %03d want a name ending in %q", code, name, tw.str("kind"), n, suffix)
		}
	}
	for i, v := range b.villages {
		code, name := v.str("code"), v.str("name")
		if villages[i][0] != code || villages[i][1] != name || villages[i][2] != code[:9] || villages[i][5] != countyCode {
			t.Errorf("villages.csv row %d %v != GeoJSON %s %s", i+2, villages[i], code, name)
		}
		m := reVillage.FindStringSubmatch(code)
		if m == nil {
			t.Fatalf("village code %q", code)
		}
		n, _ := strconv.Atoi(m[2])
		switch {
		case n >= 1 && n <= 199:
			if !strings.HasSuffix(name, "社区居委会") || v.str("kind") != "居委会" {
				t.Errorf("village %s %s: 居委会 digits but not …社区居委会", code, name)
			}
		case n >= 200 && n <= 399:
			if !strings.HasSuffix(name, "村委会") || v.str("kind") != "村委会" {
				t.Errorf("village %s %s: 村委会 digits but not …村委会", code, name)
			}
		default:
			t.Errorf("village %s: digits %03d out of class", code, n)
		}
	}
}

func TestZhejiangExtract(t *testing.T) {
	want := map[string]int{"provinces.csv": 1, "cities.csv": 11, "areas.csv": 90, "streets.csv": 1387, "villages.csv": 25547}
	for name, n := range want {
		rows := readCSV(t, "divisions/zhejiang-2023/"+name)
		if strings.Join(rows[0], ",") != divisionHeaders[name] {
			t.Errorf("%s header %v", name, rows[0])
		}
		if len(rows)-1 != n {
			t.Errorf("%s: %d rows, want %d", name, len(rows)-1, n)
		}
		for _, r := range rows[1:] {
			if !strings.HasPrefix(r[0], "33") {
				t.Fatalf("%s: row %v is not in Zhejiang", name, r)
			}
		}
	}
}

func TestRoads(t *testing.T) {
	b := loadBoundaries(t)
	roads := loadGeoJSON(t, "roads.geojson")
	if len(roads) < 40 || len(roads) > 80 {
		t.Errorf("%d roads, want 40–80", len(roads))
	}
	towns := map[string]gjFeature{}
	for _, tw := range b.townships {
		towns[tw.str("code")] = tw
	}
	for i, r := range roads {
		name := r.str("name")
		tw, ok := towns[r.str("admin_code")]
		switch {
		case r.kind != "LineString" || len(r.line) < 2:
			t.Errorf("road %d %s: %s with %d points", i, name, r.kind, len(r.line))
		case !ok:
			t.Errorf("road %d %s: admin_code %q is not a township", i, name, r.str("admin_code"))
		case !slices.Contains([]string{"primary", "secondary", "residential"}, r.str("kind")):
			t.Errorf("road %d %s: kind %q", i, name, r.str("kind"))
		case r.str("numbering_origin") != "start" || (r.str("odd_side") != "left" && r.str("odd_side") != "right"):
			t.Errorf("road %d %s: numbering %q/%q", i, name, r.str("numbering_origin"), r.str("odd_side"))
		case r.props["one_sided"] != true && r.props["one_sided"] != false:
			t.Errorf("road %d %s: one_sided %v", i, name, r.props["one_sided"])
		case !lineInside(r.line, b.county.mp):
			t.Errorf("road %d %s leaves the county (crosses the sea?)", i, name)
		case !inMulti(r.line[0], tw.mp):
			t.Errorf("road %d %s does not start in its township %s", i, name, tw.str("name"))
		}
		for k := 0; k+1 < len(r.line); k++ {
			if r.line[k] == r.line[k+1] {
				t.Errorf("road %d %s repeats a point", i, name)
			}
		}
	}
}

func TestFacilities(t *testing.T) {
	b := loadBoundaries(t)
	statuses := map[string]int{}
	eldercare := map[string]bool{}
	eco := map[string]bool{}
	for _, k := range facilityKinds {
		rows := readCSV(t, "facilities/"+k.kind+".csv")
		if strings.Join(rows[0], ",") != facilityHeader {
			t.Fatalf("%s: header %v", k.kind, rows[0])
		}
		if len(rows) < 2 {
			t.Errorf("%s: no rows", k.kind)
		}
		ids := map[string]bool{}
		for _, r := range rows[1:] {
			id, name, addr, status := r[0], r[1], r[4], r[8]
			if ids[id] {
				t.Errorf("%s: duplicate id %s", k.kind, id)
			}
			ids[id] = true
			lon, err1 := strconv.ParseFloat(r[2], 64)
			lat, err2 := strconv.ParseFloat(r[3], 64)
			if err1 != nil || err2 != nil {
				t.Errorf("%s %s: bad coordinates %q %q", k.kind, id, r[2], r[3])
				continue
			}
			p := pt{lon, lat}
			if !inMulti(p, b.county.mp) {
				t.Errorf("%s %s %s at %v is outside the county", k.kind, id, name, p)
			}
			var in []string
			for _, tw := range b.townships {
				if strings.HasPrefix(addr, countyName+tw.str("name")) {
					in = append(in, tw.str("name"))
					if !inMulti(p, tw.mp) {
						t.Errorf("%s %s %s: address in %s but point %v is not", k.kind, id, name, tw.str("name"), p)
					}
					switch k.kind {
					case "eldercare_center":
						eldercare[tw.str("name")] = true
					case "eco_burial":
						eco[tw.str("name")] = true
					}
				}
			}
			if len(in) != 1 {
				t.Errorf("%s %s: address %q names %d townships", k.kind, id, addr, len(in))
			}
			statuses[status]++
			if status != "operating" && status != "planned" && status != "closed" {
				t.Errorf("%s %s: status %q", k.kind, id, status)
			}
			if k.kind == "eldercare_institution" {
				var beds [3]int
				for i := range beds {
					if beds[i], err1 = strconv.Atoi(r[5+i]); err1 != nil {
						t.Errorf("%s %s: beds column %d %q", k.kind, id, i, r[5+i])
					}
				}
				if beds[0] <= 0 || beds[1] > beds[0] || beds[2] > beds[0] {
					t.Errorf("%s %s: beds %v", k.kind, id, beds)
				}
			} else if r[5] != "" || r[6] != "" || r[7] != "" {
				t.Errorf("%s %s: beds columns should be empty", k.kind, id)
			}
		}
	}
	// The deliberate gaps the README lists.
	if statuses["planned"] != 1 || statuses["closed"] != 1 {
		t.Errorf("statuses %v: want exactly one planned and one closed", statuses)
	}
	for _, tw := range b.townships {
		name := tw.str("name")
		if eldercare[name] == (name == gapNoCenterTown) {
			t.Errorf("%s: eldercare center present = %v", name, eldercare[name])
		}
		if eco[name] == (name == gapNoEcoBurial) {
			t.Errorf("%s: eco-burial site present = %v", name, eco[name])
		}
	}
}

func TestPopulationGrid(t *testing.T) {
	b := loadBoundaries(t)
	g, err := geotiff.ReadFile(filepath.Join(committedDir, "population.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if g.DX != 1.0/1200 || g.DY != 1.0/1200 || len(g.Bands) != 3 {
		t.Fatalf("grid %v×%v cells of %v×%v°, %d bands", g.Width, g.Height, g.DX, g.DY, len(g.Bands))
	}
	for i, name := range []string{"total", "age60plus", "age0_17"} {
		if g.Bands[i].Name != name {
			t.Errorf("band %d is %q, want %q", i+1, g.Bands[i].Name, name)
		}
	}
	var sum [3]float64
	outsideNonZero := 0
	for row := 0; row < g.Height; row++ {
		for col := 0; col < g.Width; col++ {
			i := row*g.Width + col
			for k := range sum {
				v := g.Bands[k].Data[i]
				if v < 0 || math.IsNaN(float64(v)) {
					t.Fatalf("band %d cell %d,%d = %v", k+1, col, row, v)
				}
				sum[k] += float64(v)
			}
			if g.Bands[0].Data[i] > 0 {
				c := g.CellCenter(col, row)
				if !inMulti(pt{c[0], c[1]}, b.county.mp) {
					outsideNonZero++
				}
			}
		}
	}
	if outsideNonZero > 0 {
		t.Errorf("%d populated cells have their centre outside the county", outsideNonZero)
	}
	if sum[0] < 350000 || sum[0] > 450000 {
		t.Errorf("total population %.0f, want 350–450 k", sum[0])
	}
	if s := sum[1] / sum[0]; s < 0.20 || s > 0.35 {
		t.Errorf("60+ share %.3f", s)
	}
	if s := sum[2] / sum[0]; s < 0.12 || s > 0.18 {
		t.Errorf("0–17 share %.3f", s)
	}
}

// TestCheckValidCatches makes sure the validity checker is not vacuous.
func TestCheckValidCatches(t *testing.T) {
	sq := [][]pt{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	cases := map[string][][][]pt{
		"bow tie":         {{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}},
		"repeated point":  {{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		"clockwise shell": {{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}},
		"open ring":       {{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}},
		"hole outside":    {{sq[0], {{2, 2}, {2, 3}, {3, 3}, {3, 2}, {2, 2}}}},
		"nested parts":    {sq, {{{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.8}, {0.2, 0.2}}}},
		"overlap edge":    {sq, {{{1, 0.2}, {2, 0.2}, {2, 0.8}, {1, 0.8}, {1, 0.2}}}},
	}
	for name, mp := range cases {
		if checkValid(mp) == nil {
			t.Errorf("%s: not caught", name)
		}
	}
	touching := [][][]pt{sq, {{{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}}}
	if err := checkValid(touching); err != nil {
		t.Errorf("parts touching at one vertex: %v", err)
	}
}

func TestNamesUnique(t *testing.T) {
	b := loadBoundaries(t)
	seen := map[string]string{}
	for _, f := range append(append([]gjFeature{}, b.townships...), b.villages...) {
		name := f.str("name")
		if prev, dup := seen[name]; dup {
			t.Errorf("name %s used by %s and %s", name, prev, f.str("code"))
		}
		seen[name] = f.str("code")
	}
}
