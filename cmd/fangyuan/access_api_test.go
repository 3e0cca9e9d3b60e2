package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"fangyuan/coverage"
	"fangyuan/coverage/access"
	"fangyuan/coverage/inputs"
	"fangyuan/geo/geotiff"
	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/testenv"
)

type accessJSON struct {
	Kind, Field, Decay, Measure string
	Need, Mean                  float64
	Townships                   []access.Township
}

func fetchRaw(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return resp, b
}

// TestAccessAPI: GET /api/coverage/access on the demo database equals the
// package run on the demo files; the CSV, GeoTIFF and PNG agree with it; bad
// parameters are 400s naming the field.
func TestAccessAPI(t *testing.T) {
	srv, _ := demoServer(t, auth.ReadsOpen)
	c := client{t: t, base: srv.URL}

	// The same computation from the files.
	ctx := context.Background()
	dir := filepath.Join(testenv.RepoRoot(t), "data", "demo")
	g, err := inputs.LoadPopulation(filepath.Join(dir, "population.tif"), nil)
	if err != nil {
		t.Fatal(err)
	}
	towns, err := inputs.LoadUnits(importers.HostFS{}, filepath.Join(dir, "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	facs, err := inputs.LoadFacilities(importers.HostFS{}, filepath.Join(dir, "facilities", "eldercare_institution.csv"), inputs.FacilityFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	std, _ := coverage.DefaultStandards().Kind("eldercare_institution")
	reg, err := coverage.PrepareRegion(ctx, g, towns, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	dc, _ := access.ParseDecay("step")
	want, err := access.Compute(ctx, access.Input{Standard: std, Grid: g, Region: reg, Facilities: facs, Distances: access.Straight{Radius: std.RadiusM}, Decay: dc})
	if err != nil {
		t.Fatal(err)
	}
	wantBy := map[string]access.Township{}
	for _, u := range want.Townships {
		wantBy[u.Code] = u
	}

	var got accessJSON
	q := "kind=eldercare_institution&decay=step&measure=straight"
	if code := c.do("GET", "/api/coverage/access?"+q, nil, &got); code != 200 {
		t.Fatalf("access: %d", code)
	}
	if got.Field != "beds" || math.Abs(got.Need-0.036) > 1e-12 || len(got.Townships) != len(want.Townships) {
		t.Fatalf("access: field %q need %v, %d townships; want beds 0.036, %d", got.Field, got.Need, len(got.Townships), len(want.Townships))
	}
	short := 0
	for _, u := range got.Townships {
		w, ok := wantBy[strings.TrimSuffix(u.Code, "000")] // the database pads codes to 12 digits
		if !ok {
			t.Fatalf("township %s not in the files", u.Code)
		}
		for _, x := range [][3]any{{"mean", u.Mean, w.Mean}, {"min", u.Min, w.Min}, {"population", u.Population, w.Population}, {"shortfall", u.Shortfall, w.Shortfall}} {
			a, b := x[1].(float64), x[2].(float64)
			if math.Abs(a-b) > 1e-6*math.Max(math.Abs(b), 1e-9) {
				t.Errorf("township %s %s: API %.10g, files %.10g", u.Code, x[0], a, b)
			}
		}
		if u.Short {
			short++
		}
	}
	t.Logf("demo: mean %.4f beds per older person (need %.3f), %d of %d townships short", got.Mean, got.Need, short, len(got.Townships))

	// CSV: one row per township, the JSON's means.
	_, raw := fetchRaw(t, srv.URL+"/api/coverage/access?format=csv&"+q)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(got.Townships)+1 || strings.Join(rows[0], ",") != strings.Join(access.CSVHeader, ",") {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		var mean float64
		fmt.Sscan(r[3], &mean)
		if w := wantBy[strings.TrimSuffix(r[0], "000")].Mean; math.Abs(mean-w) > 1e-6*math.Max(w, 1e-9) {
			t.Errorf("csv %s: mean %s, want %.10g", r[0], r[3], w)
		}
	}

	// GeoTIFF: the frame of the townships, the per-cell values.
	_, raw = fetchRaw(t, srv.URL+"/api/coverage/access.tif?"+q)
	tif, err := geotiff.Read(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	f := want.Frame
	if tif.Width != f.W || tif.Height != f.H || math.Abs(tif.West-(f.West+float64(f.Col0)*f.DX)) > 1e-9 {
		t.Fatalf("tif: %d×%d at %v, want %d×%d", tif.Width, tif.Height, tif.West, f.W, f.H)
	}
	checked := 0
	for i, a := range want.Cells {
		v := tif.Bands[0].Data[i]
		if want.Inside[i] <= 0 {
			if v != access.NoData {
				t.Fatalf("tif cell %d outside the townships: %v, want %v", i, v, access.NoData)
			}
			continue
		}
		if math.Abs(float64(v)-a) > 1e-6*math.Max(a, 1e-6) {
			t.Fatalf("tif cell %d: %v, want %v", i, v, a)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("tif: no cell inside the townships")
	}

	// PNG: the frame's size, its bounds in the header.
	resp, raw := fetchRaw(t, srv.URL+"/api/coverage/access.png?"+q)
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != f.W || b.Dy() != f.H || len(strings.Split(resp.Header.Get("X-Fangyuan-Bounds"), ",")) != 4 {
		t.Fatalf("png: %v, bounds header %q", b, resp.Header.Get("X-Fangyuan-Bounds"))
	}

	// Travel time over the demo road network answers too.
	var tr accessJSON
	if code := c.do("GET", "/api/coverage/access?kind=eldercare_institution&measure=travel", nil, &tr); code != 200 || !strings.Contains(tr.Measure, "travel time") || tr.Mean <= 0 {
		t.Fatalf("travel: %d, measure %q, mean %v", code, tr.Measure, tr.Mean)
	}

	for _, bad := range []struct{ query, field string }{
		{"decay=step", "kind"},
		{"kind=eldercare_institution&decay=linear", "decay"},
		{"kind=eldercare_institution&measure=bus", "measure"},
		{"kind=eldercare_institution&field=chairs", "field"},
		{"kind=eldercare_center", "field"}, // no capacity ratio
		{"kind=spa", "kind"},
	} {
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		if code := c.do("GET", "/api/coverage/access?"+bad.query, nil, &e); code != 400 || e.Error.Field != bad.field {
			t.Errorf("%s: %d field %q, want 400 %q", bad.query, code, e.Error.Field, bad.field)
		}
	}
}
