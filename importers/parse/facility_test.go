package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"fangyuan/geo"
)

const facilityCSV = `编号,名称,经度,纬度,地址,床位数,护理型床位,认知症床位,状态,行政区划代码,备注
LS001,莲都区万象街道居家养老服务中心,119.9228,28.4676,丽水市莲都区万象街道,120,70,10,运营,331102001,"含""日间照料"""
LS002,龙泉市颐养院,119.1416,28.0743,,,,,在建,331181,
LS003,定海区东港街道照料中心,122.1065,30.0199,舟山市定海区,0,0,0,closed,330902,
`

func intp(i int) *int { return &i }

func TestReadFacilitiesCSV(t *testing.T) {
	dir := t.TempDir()
	utf8Path := writeFile(t, dir, "fac.csv", facilityCSV)
	iconvFile(t, "UTF-8", "GBK", utf8Path, filepath.Join(dir, "fac-gbk.csv"))
	english := strings.Replace(facilityCSV, "编号,名称,经度,纬度,地址,床位数,护理型床位,认知症床位,状态,行政区划代码,备注",
		"ID,Name,Lng,Lat,Address,Beds,Nursing_Beds,Dementia_Beds,Status,Admin_Code,备注", 1)
	writeFile(t, dir, "fac-en.csv", english)

	want := []FacilityRow{
		{Line: 2, ID: "LS001", Name: "莲都区万象街道居家养老服务中心", Address: "丽水市莲都区万象街道", Status: StatusOperating, AdminCode: "331102001",
			Lon: 119.9228, Lat: 28.4676, SrcLon: 119.9228, SrcLat: 28.4676, Beds: intp(120), NursingBeds: intp(70), DementiaBeds: intp(10),
			Extra: map[string]string{"备注": `含"日间照料"`}},
		{Line: 3, ID: "LS002", Name: "龙泉市颐养院", Status: StatusPlanned, AdminCode: "331181",
			Lon: 119.1416, Lat: 28.0743, SrcLon: 119.1416, SrcLat: 28.0743, Extra: map[string]string{"备注": ""}},
		{Line: 4, ID: "LS003", Name: "定海区东港街道照料中心", Address: "舟山市定海区", Status: StatusClosed, AdminCode: "330902",
			Lon: 122.1065, Lat: 30.0199, SrcLon: 122.1065, SrcLat: 30.0199, Beds: intp(0), NursingBeds: intp(0), DementiaBeds: intp(0),
			Extra: map[string]string{"备注": ""}},
	}
	gcj := make([]FacilityRow, len(want))
	for i, r := range want {
		p := geo.GCJ02ToWGS84(orb.Point{r.SrcLon, r.SrcLat})
		r.Lon, r.Lat = p[0], p[1]
		gcj[i] = r
	}
	tests := []struct {
		name    string
		path    string
		opts    FacilityOptions
		wantEnc string
		want    []FacilityRow
	}{
		{"utf-8", "fac.csv", FacilityOptions{}, EncodingUTF8, want},
		{"gbk", "fac-gbk.csv", FacilityOptions{}, EncodingGBK, want},
		{"english headers", "fac-en.csv", FacilityOptions{}, EncodingUTF8, want},
		{"gcj-02", "fac.csv", FacilityOptions{CRS: geo.GCJ02}, EncodingUTF8, gcj},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ReadFacilities(os.DirFS(dir), tt.path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rejects) != 0 {
				t.Fatalf("rejects: %v", rejectTexts(res.Rejects))
			}
			if d := cmp.Diff(tt.want, res.Rows); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
			if res.Encoding != tt.wantEnc || res.Format != FormatCSV || len(res.Fields) != 11 {
				t.Errorf("source = %+v", res.Source)
			}
		})
	}
	// The GCJ-02 conversion moves points by a few hundred metres.
	res, _ := ReadFacilities(os.DirFS(dir), "fac.csv", FacilityOptions{CRS: geo.GCJ02})
	if d := geo.Distance(orb.Point{res.Rows[0].Lon, res.Rows[0].Lat}, orb.Point{res.Rows[0].SrcLon, res.Rows[0].SrcLat}); d < 100 || d > 1000 {
		t.Errorf("GCJ-02 shift %.0f m", d)
	}
}

func TestReadFacilitiesGeoJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "fac.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"LS001","name":"莲都区居家养老服务中心","beds":120,"nursing_beds":70,"status":"运营","kind":"eldercare_center"},"geometry":{"type":"Point","coordinates":[119.9228,28.4676]}},
{"type":"Feature","properties":{"id":"LS002","name":"龙泉市颐养院"},"geometry":{"type":"Point","coordinates":[119.1416,28.0743,150.0]}},
{"type":"Feature","properties":{"id":"LS003","name":"线"},"geometry":{"type":"LineString","coordinates":[[119.1,28.0],[119.2,28.1]]}},
{"type":"Feature","properties":{"id":"LS001","name":"重复"},"geometry":{"type":"Point","coordinates":[119.1,28.0]}},
{"type":"Feature","properties":{"id":"LS004","name":"颠倒"},"geometry":{"type":"Point","coordinates":[28.0,119.1]}},
{"type":"Feature","properties":{"id":"LS005","name":""},"geometry":{"type":"Point","coordinates":[119.1,28.0]}},
{"type":"Feature","properties":{"id":"LS006","name":"空几何"},"geometry":null}
]}`)
	bd := geo.BD09.ToWGS84(orb.Point{119.9228, 28.4676})
	res, err := ReadFacilities(os.DirFS(dir), "fac.geojson", FacilityOptions{CRS: geo.BD09})
	if err != nil {
		t.Fatal(err)
	}
	want := []FacilityRow{
		{Line: 2, ID: "LS001", Name: "莲都区居家养老服务中心", Status: StatusOperating, Lon: bd[0], Lat: bd[1], SrcLon: 119.9228, SrcLat: 28.4676,
			Beds: intp(120), NursingBeds: intp(70), Extra: map[string]string{"kind": "eldercare_center"}},
		{Line: 3, ID: "LS002", Name: "龙泉市颐养院", Status: StatusOperating, SrcLon: 119.1416, SrcLat: 28.0743},
	}
	p := geo.BD09.ToWGS84(orb.Point{119.1416, 28.0743})
	want[1].Lon, want[1].Lat = p[0], p[1]
	if d := cmp.Diff(want, res.Rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	wantRejects := []string{
		"fac.geojson:4: geometry: LineString, want Point (feature 3)",
		"fac.geojson:5: id: duplicate id LS001 (first at feature 1) (feature 4)",
		"fac.geojson:6: lon/lat: lat/lon swapped? (lon 28, lat 119.1) (feature 5)",
		"fac.geojson:7: name: empty (feature 6)",
		"fac.geojson:8: geometry: empty (null geometry) (feature 7)",
	}
	if d := cmp.Diff(wantRejects, rejectTexts(res.Rejects)); d != "" {
		t.Errorf("rejects (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"LS001", "重复", "", "", "", ""}, res.Rejects[1].Raw); d != "" {
		t.Errorf("raw of a reject (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"id", "name", "beds", "nursing_beds", "status", "kind"}, res.Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}

func TestReadFacilitiesBadInput(t *testing.T) {
	const head = "id,name,lon,lat,beds,nursing_beds,dementia_beds,status\n"
	tests := []struct {
		name    string
		data    string
		file    string // default f.csv
		opts    FacilityOptions
		wantErr string
		rejects []string
	}{
		{name: "empty id", data: head + ",养老院,120.1,30.2,,,,\n", rejects: []string{"f.csv:2: id: empty"}},
		{name: "empty name", data: head + "A1, ,120.1,30.2,,,,\n", rejects: []string{"f.csv:2: name: empty"}},
		{name: "empty lon", data: head + "A1,养老院,,30.2,,,,\n", rejects: []string{"f.csv:2: lon: empty"}},
		{name: "unparsable lon", data: head + "A1,养老院,120.1E,30.2,,,,\n", rejects: []string{`f.csv:2: lon: "120.1E" is not a number`}},
		{name: "unparsable lat", data: head + "A1,养老院,120.1,北纬30,,,,\n", rejects: []string{`f.csv:2: lat: "北纬30" is not a number`}},
		{name: "NaN", data: head + "A1,养老院,NaN,30.2,,,,\n", rejects: []string{`f.csv:2: lon: "NaN" is not a finite number`}},
		{name: "infinite", data: head + "A1,养老院,120.1,-Inf,,,,\n", rejects: []string{`f.csv:2: lat: "-Inf" is not a finite number`}},
		{name: "lon out of range", data: head + "A1,养老院,-200,30.2,,,,\n", rejects: []string{"f.csv:2: lon: longitude -200 out of range [-180, 180]"}},
		{name: "lat out of range", data: head + "A1,养老院,100,95,,,,\n", rejects: []string{"f.csv:2: lat: latitude 95 out of range [-90, 90]"}},
		{name: "swapped", data: head + "A1,养老院,30.2,120.1,,,,\n", rejects: []string{"f.csv:2: lon/lat: lat/lon swapped? (lon 30.2, lat 120.1)"}},
		{name: "duplicate id", data: head + "A1,养老院,120.1,30.2,,,,\nA2,福利院,120.1,30.2,,,,\nA1,殡仪馆,120.1,30.2,,,,\n",
			rejects: []string{"f.csv:4: id: duplicate id A1 (first at line 2)"}},
		{name: "negative beds", data: head + "A1,养老院,120.1,30.2,-5,,,\n", rejects: []string{"f.csv:2: beds: -5 is negative"}},
		{name: "negative dementia beds", data: head + "A1,养老院,120.1,30.2,,,-1,\n", rejects: []string{"f.csv:2: dementia_beds: -1 is negative"}},
		{name: "beds not a number", data: head + "A1,养老院,120.1,30.2,12.5,,,\n", rejects: []string{`f.csv:2: beds: "12.5" is not a whole number`}},
		{name: "beds written as decimal", data: head + "A1,养老院,120.1,30.2,120.0,60,,\n"},
		{name: "nursing beds above beds", data: head + "A1,养老院,120.1,30.2,50,80,,\n", rejects: []string{"f.csv:2: nursing_beds: 80 is more than beds (50)"}},
		{name: "dementia beds above beds", data: head + "A1,养老院,120.1,30.2,50,20,60,\n", rejects: []string{"f.csv:2: dementia_beds: 60 is more than beds (50)"}},
		{name: "unknown status", data: head + "A1,养老院,120.1,30.2,,,,营业\n",
			rejects: []string{`f.csv:2: status: "营业" is not one of operating, planned, closed (运营, 在建, 规划, 停用, 关闭)`}},
		{name: "status words", data: head + "A1,a,120.1,30.2,,,,Operating\nA2,b,120.1,30.2,,,,规划\nA3,c,120.1,30.2,,,,停用\nA4,d,120.1,30.2,,,,关闭\nA5,e,120.1,30.2,,,,PLANNED\n"},
		{name: "wrong field count", data: head + "A1,养老院,120.1,30.2\n", rejects: []string{"f.csv:2: has 4 fields, the header has 8"}},
		{name: "blank lines skipped", data: head + "\n , , , , , , , \nA1,养老院,120.1,30.2,,,,\n"},
		{name: "missing lat column", data: "id,name,lon\nA1,养老院,120.1\n", wantErr: "f.csv:1: lat: missing column (have: id, name, lon)"},
		{name: "missing id column", data: "名称,经度,纬度\n养老院,120.1,30.2\n", wantErr: "f.csv:1: id: missing column (have: 名称, 经度, 纬度)"},
		{name: "ambiguous columns", data: "id,name,lon,经度,lat\n",
			wantErr: `f.csv:1: 经度: ambiguous: columns "lon" and "经度" mean the same; keep one`},
		{name: "unsupported format", file: "f.xlsx", data: "PK\x03\x04", wantErr: `f.xlsx: unsupported format ".xlsx" (want .csv, .geojson, .json)`},
		{name: "undecodable", data: "id,name,lon,lat\nA1,\xff\xff,120.1,30.2\n", wantErr: "f.csv:2: neither UTF-8 nor GBK/GB18030 text"},
		{name: "bad crs", data: head, opts: FacilityOptions{CRS: geo.CRS(9)}, wantErr: "f.csv: unknown coordinate system CRS(9)"},
		{name: "geojson without id", file: "f.geojson", data: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":null}]}`,
			wantErr: "f.geojson: id: no such field (have: name)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := tt.file
			if file == "" {
				file = "f.csv"
			}
			writeFile(t, dir, file, tt.data)
			res, err := ReadFacilities(os.DirFS(dir), file, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v\nwant      %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.rejects, rejectTexts(res.Rejects)); d != "" {
				t.Errorf("rejects (-want +got):\n%s", d)
			}
			for _, r := range res.Rejects {
				if len(r.Raw) == 0 {
					t.Errorf("reject %s without raw record", r.Err.Error())
				}
			}
			if len(res.Rejects) == 0 && len(res.Rows) == 0 {
				t.Errorf("no rows")
			}
		})
	}
}
