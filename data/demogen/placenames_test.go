package main

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPlaceNames checks the committed place names: about 300, unique, every point inside
// the boundary of the division its code names, heritage-listed ones present.
func TestPlaceNames(t *testing.T) {
	b := loadBoundaries(t)
	polys := map[string][][][]pt{}
	for _, f := range append(append([]gjFeature{}, b.townships...), b.villages...) {
		polys[f.str("code")] = f.mp
	}
	f, err := os.Open(committedDir + "/placenames.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != placeNameHeader {
		t.Fatalf("header %v", recs[0])
	}
	recs = recs[1:]
	if len(recs) < 250 || len(recs) > 350 {
		t.Errorf("%d place names, want about 300", len(recs))
	}
	seen := map[string]bool{}
	heritage := map[string]int{}
	cats := map[string]bool{}
	for i, r := range recs {
		name, code := r[0], r[3]
		if seen[name] {
			t.Errorf("line %d: %s repeated", i+2, name)
		}
		seen[name] = true
		cats[r[2]] = true
		lon, _ := strconv.ParseFloat(r[4], 64)
		lat, _ := strconv.ParseFloat(r[5], 64)
		mp, ok := polys[code]
		switch {
		case !ok:
			t.Errorf("line %d: %s: code %s is no demo township or village", i+2, name, code)
		case !inMulti(pt{lon, lat}, mp):
			t.Errorf("line %d: %s at %v,%v lies outside %s", i+2, name, lon, lat, code)
		}
		if r[10] != "" {
			heritage[r[10]]++
			if r[9] == "" || r[11] == "" {
				t.Errorf("line %d: %s is listed (%s) without level or approval", i+2, name, r[10])
			}
		}
	}
	if heritage["千年古镇"] == 0 || heritage["千年古村落"] == 0 {
		t.Errorf("heritage listings %v, want 千年古镇 and 千年古村落", heritage)
	}
	if len(cats) < 12 {
		t.Errorf("%d categories, want a dozen or more", len(cats))
	}
}
