package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/internal/testenv"
)

type hostFS struct{}

func (hostFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }

// demoResult runs a kind on the demo data, with villages, plus one facility
// outside every township.
func demoResult(t *testing.T, kind string) *coverage.Result {
	t.Helper()
	return demoResultWith(t, kind, nil)
}

// demoResultWith is demoResult with the given facilities (nil: the kind's
// demo file) instead of the demo file's.
func demoResultWith(t *testing.T, kind string, facs []coverage.Facility) *coverage.Result {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), "data", "demo")
	g, err := inputs.LoadPopulation(filepath.Join(dir, "population.tif"), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := coverage.Input{Grid: g}
	if in.Standard, err = coverage.DefaultStandards().Kind(kind); err != nil {
		t.Fatal(err)
	}
	if in.Townships, err = inputs.LoadUnits(hostFS{}, filepath.Join(dir, "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{}); err != nil {
		t.Fatal(err)
	}
	if in.Villages, err = inputs.LoadUnits(hostFS{}, filepath.Join(dir, "boundaries", "villages.geojson"), "villages", inputs.UnitFileOptions{}); err != nil {
		t.Fatal(err)
	}
	if in.Counties, err = inputs.LoadUnits(hostFS{}, filepath.Join(dir, "boundaries", "county.geojson"), "counties", inputs.UnitFileOptions{}); err != nil {
		t.Fatal(err)
	}
	if in.Facilities = facs; facs == nil {
		if in.Facilities, err = inputs.LoadFacilities(hostFS{}, filepath.Join(dir, "facilities", kind+".csv"), inputs.FacilityFileOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	in.Facilities = append(in.Facilities, coverage.Facility{ID: "OUT-1", Name: "海上设施", Location: [2]float64{120.3, 28.3}})
	res, err := coverage.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCSV(t *testing.T) {
	res := demoResult(t, "eldercare_institution")
	var buf bytes.Buffer
	if err := WriteCSV(&buf, res); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := append(slices.Clone(CSVHeader), "beds", "beds_needed", "nursing_beds", "nursing_beds_needed", "dementia_beds", "dementia_beds_needed")
	if !slices.Equal(recs[0], wantHeader) {
		t.Errorf("header %v", recs[0])
	}
	if !slices.Equal(recs[0][:7], []string{"code", "name", "layer_population", "covered_population", "share", "facilities", "flags"}) {
		t.Errorf("the first columns are %v", recs[0][:7])
	}
	if len(recs) != 1+len(res.Townships) {
		t.Fatalf("%d rows for %d townships", len(recs)-1, len(res.Townships))
	}
	var sum int64
	for i, r := range recs[1:] {
		u := res.Townships[i]
		if r[0] != u.Code || r[1] != u.Name {
			t.Errorf("row %d: %v", i+1, r[:2])
		}
		p, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			t.Fatalf("population %q", r[2])
		}
		sum += p
		if s, _ := strconv.ParseFloat(r[4], 64); s < 0 || s > 1 {
			t.Errorf("share %q", r[4])
		}
		if r[6] != strings.Join(u.Flags, ";") {
			t.Errorf("flags %q, want %v", r[6], u.Flags)
		}
	}
	if d := sum - int64(res.Population+0.5); d < -7 || d > 7 { // 13 roundings
		t.Errorf("populations add up to %d, total %.1f", sum, res.Population)
	}
	if !strings.Contains(string(b), "岚峰乡") {
		t.Error("Chinese names lost")
	}
}

func TestGeoJSON(t *testing.T) {
	res := demoResult(t, "eldercare_center")
	var buf bytes.Buffer
	if err := WriteGeoJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(res.Townships) {
		t.Fatalf("%d features for %d townships", len(fc.Features), len(res.Townships))
	}
	found := false
	for _, f := range fc.Features {
		if f.Geometry.GeoJSONType() != "MultiPolygon" {
			t.Errorf("%v: %s", f.Properties["code"], f.Geometry.GeoJSONType())
		}
		if f.Properties["name"] == "枫渡镇" {
			found = true
			if !strings.Contains(f.Properties.MustString("flags"), "NO_FACILITY") || f.Properties["gap_rank"] == nil {
				t.Errorf("枫渡镇: %v", f.Properties)
			}
		}
		for _, k := range []string{"code", "name", "layer_population", "covered_population", "uncovered_population", "share", "facilities", "flags", "kind", "layer"} {
			if _, ok := f.Properties[k]; !ok {
				t.Errorf("%v: no property %s", f.Properties["code"], k)
			}
		}
	}
	if !found {
		t.Error("no 枫渡镇")
	}
	out, _ := fc.ExtraMembers["facilities_outside"].([]any)
	if len(out) != 1 || out[0].(map[string]any)["id"] != "OUT-1" {
		t.Errorf("facilities_outside: %v", fc.ExtraMembers["facilities_outside"])
	}
	if fc.ExtraMembers["kind"] != "eldercare_center" || fc.ExtraMembers["notes"] == nil {
		t.Errorf("members: %v", fc.ExtraMembers)
	}
}

func TestXLSX(t *testing.T) {
	res := demoResult(t, "eco_burial")
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, res); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{SheetTownships, SheetGaps, SheetFacilities, SheetVillages, SheetCounties, SheetNotes}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	rows := func(sheet string) [][]string {
		r, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tw := rows(SheetTownships)
	if len(tw) != 1+len(res.Townships) || tw[0][0] != "代码 code" {
		t.Fatalf("townships sheet: %d rows, header %v", len(tw), tw[0])
	}
	for i, r := range tw[1:] {
		u := res.Townships[i]
		if r[0] != u.Code || r[1] != u.Name {
			t.Errorf("township row %d: %v", i+1, r[:2])
		}
		if p, _ := strconv.ParseFloat(r[3], 64); p != float64(int64(u.Population+0.5)) {
			t.Errorf("%s: population cell %q, want %.0f", u.Code, r[3], u.Population)
		}
		if s, _ := strconv.ParseFloat(r[6], 64); s < 0 || s > 1 {
			t.Errorf("%s: share cell %q", u.Code, r[6])
		}
	}
	gaps := rows(SheetGaps)
	if len(gaps) != 1+len(res.Gaps) {
		t.Errorf("gaps sheet: %d rows for %d gaps", len(gaps)-1, len(res.Gaps))
	}
	if len(gaps) > 1 && (gaps[1][0] != "1" || gaps[1][3] != res.Gaps[0].Name) {
		t.Errorf("first gap row %v", gaps[1])
	}
	if !slices.ContainsFunc(gaps[1:], func(r []string) bool { return r[3] == "鳌屿乡" && strings.Contains(r[9], "NO_FACILITY") }) {
		t.Error("鳌屿乡 is not among the gaps with NO_FACILITY")
	}
	facs := rows(SheetFacilities)
	if len(facs) != 1+len(res.Facilities) {
		t.Errorf("facilities sheet: %d rows for %d facilities", len(facs)-1, len(res.Facilities))
	}
	last := facs[len(facs)-1]
	if last[0] != "OUT-1" || !strings.Contains(last[13], "outside every township") {
		t.Errorf("outside facility row %v", last)
	}
	if v := rows(SheetVillages); len(v) != 1+len(res.Villages) {
		t.Errorf("villages sheet: %d rows for %d villages", len(v)-1, len(res.Villages))
	}
	notes := rows(SheetNotes)
	if !slices.ContainsFunc(notes, func(r []string) bool { return len(r) > 1 && strings.Contains(r[1], "cell rule") }) {
		t.Error("notes do not state the cell rule")
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]string{"a.csv": "csv", "b.GeoJSON": "geojson", "c.json": "geojson", "d.xlsx": "xlsx", "e.xls": "", "f": ""} {
		if got := FormatOf(in); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", in, got, want)
		}
	}
	if err := Write(&bytes.Buffer{}, "pdf", &coverage.Result{}); err == nil {
		t.Error("pdf accepted")
	}
}
