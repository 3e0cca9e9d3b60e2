package addr_test

import (
	"encoding/csv"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"fangyuan/data"
	"fangyuan/gazetteer/addr"
)

// Every demo place name geocodes to its own point, written alone or after the county:
// expected points and codes are the CSV's.
func TestGeocodeDemoPlaceNames(t *testing.T) {
	_, st := demo(t)
	b, err := fs.ReadFile(data.Demo, "demo/placenames.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 250 {
		t.Fatalf("%d demo place names", len(recs)-1)
	}
	for _, r := range recs[1:] {
		name, code := r[0], r[3]
		code += strings.Repeat("0", 12-len(code))
		lon, _ := strconv.ParseFloat(r[4], 64)
		lat, _ := strconv.ParseFloat(r[5], 64)
		for _, q := range []string{name, "方圆县" + name} {
			g := addr.Geocode(st.Search, st.Locate, q, today)
			if g.Status != "ok" || g.Precision != addr.PrecisionPlace || g.Point == nil || g.Code != code {
				t.Errorf("%s: %s %s %v code %s, want place %v,%v in %s", q, g.Status, g.Precision, g.Point, g.Code, lon, lat, code)
				continue
			}
			if d := metres(*g.Point, [2]float64{lon, lat}); d > 0.01 {
				t.Errorf("%s: %.3f m from its point", q, d)
			}
		}
	}
}
