package parse

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paulmach/orb"
)

const roadSource = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"中山街","admin_code":"331102","numbering_origin":"end","odd_side":"right","one_sided":"true","kind":"主干路"},
 "geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46],[119.93,28.46]]}},
{"type":"Feature","properties":{"name":"解放街","admin_code":"331102","numbering_origin":"start","odd_side":"left","one_sided":"false","kind":"次干路"},
 "geometry":{"type":"MultiLineString","coordinates":[[[119.90,28.44],[119.91,28.44]],[[119.91,28.44],[119.92,28.445],[119.93,28.45]]]}},
{"type":"Feature","properties":{"name":"应星楼巷","admin_code":"","numbering_origin":"","odd_side":"","one_sided":"","kind":""},
 "geometry":{"type":"LineString","coordinates":[[119.915,28.455],[119.916,28.456]]}}
]}
`

func TestReadRoads(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "roads.geojson", roadSource)
	ogr2ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", filepath.Join(dir, "roads.shp"), src)

	want := []RoadFeature{
		{Index: 1, Name: "中山街", AdminCode: "331102", NumberingOrigin: "end", OddSide: "right", OneSided: true, Kind: "主干路",
			Geometry: orb.LineString{{119.91, 28.45}, {119.92, 28.46}, {119.93, 28.46}}},
		{Index: 2, Name: "解放街", AdminCode: "331102", NumberingOrigin: "start", OddSide: "left", Kind: "次干路",
			Geometry: orb.LineString{{119.90, 28.44}, {119.91, 28.44}, {119.92, 28.445}, {119.93, 28.45}}},
		{Index: 3, Name: "应星楼巷", NumberingOrigin: "start", OddSide: "left",
			Geometry: orb.LineString{{119.915, 28.455}, {119.916, 28.456}}},
	}
	for _, tc := range []struct {
		path    string
		enc     string
		origin  string // property name of numbering_origin
		wantCRS string
	}{
		{"roads.geojson", EncodingUTF8, "numbering_origin", ""},
		// A .dbf field name holds 10 characters: GDAL writes numbering_.
		{"roads.shp", EncodingGBK, "numbering_", "EPSG:4326"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := ReadRoads(os.DirFS(dir), tc.path, RoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rejects) != 0 {
				t.Fatalf("rejects: %v", rejectTexts(res.Rejects))
			}
			if d := cmp.Diff(want, res.Features, cmpopts.IgnoreFields(RoadFeature{}, "Props")); d != "" {
				t.Errorf("roads (-want +got):\n%s", d)
			}
			if got := res.Features[0].Props[tc.origin]; got != "end" {
				t.Errorf("Props[%q] = %q; props %v", tc.origin, got, res.Features[0].Props)
			}
			if res.Encoding != tc.enc || res.CRS != tc.wantCRS {
				t.Errorf("source = %+v", res.Source)
			}
		})
	}
}

func TestReadRoadsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"中山街","one_sided":true},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}},
{"type":"Feature","properties":{"name":" "},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}},
{"type":"Feature","properties":{"name":"点"},"geometry":{"type":"Point","coordinates":[119.91,28.45]}},
{"type":"Feature","properties":{"name":"断开"},"geometry":{"type":"MultiLineString","coordinates":[[[119.90,28.44],[119.91,28.44]],[[119.912,28.44],[119.92,28.44]]]}},
{"type":"Feature","properties":{"name":"中间","numbering_origin":"middle"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}},
{"type":"Feature","properties":{"name":"上面","odd_side":"up"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}},
{"type":"Feature","properties":{"name":"也许","one_sided":"maybe"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}},
{"type":"Feature","properties":{"name":"一点"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45]]}},
{"type":"Feature","properties":{"name":"原地"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.91,28.45]]}},
{"type":"Feature","properties":{"name":"左右","odd_side":"右","numbering_origin":"终点","one_sided":"是"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}}
]}`)
	// -skipfailures: a line Shapefile cannot hold the Point, GDAL leaves it out.
	ogr2ogr(t, "-skipfailures", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "bad.shp"), bad)
	writeFile(t, dir, "noname.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"路":"中山街"},"geometry":{"type":"LineString","coordinates":[[119.91,28.45],[119.92,28.46]]}}]}`)

	t.Run("geojson", func(t *testing.T) {
		res, err := ReadRoads(os.DirFS(dir), "bad.geojson", RoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"bad.geojson:3: name: empty (feature 2)",
			"bad.geojson:4: geometry: Point, want LineString or MultiLineString (feature 3)",
			"bad.geojson:5: geometry: MultiLineString with 2 parts that do not join end to end (part 2 starts 196 m from where part 1 ends); split it into one feature per part (feature 4)",
			`bad.geojson:6: numbering_origin: "middle": want start or end (feature 5)`,
			`bad.geojson:7: odd_side: "up": want left or right (feature 6)`,
			`bad.geojson:8: one_sided: "maybe": want true or false (feature 7)`,
			"bad.geojson:9: geometry: line with 1 point(s), want at least 2 (feature 8)",
			"bad.geojson:10: geometry: line of zero length (all points equal) (feature 9)",
		}
		if d := cmp.Diff(want, rejectTexts(res.Rejects)); d != "" {
			t.Errorf("rejects (-want +got):\n%s", d)
		}
		if len(res.Features) != 2 || !res.Features[0].OneSided || res.Features[1].OddSide != "right" ||
			res.Features[1].NumberingOrigin != "end" || !res.Features[1].OneSided {
			t.Errorf("features: %+v", res.Features)
		}
	})
	t.Run("shapefile", func(t *testing.T) {
		res, err := ReadRoads(os.DirFS(dir), "bad.shp", RoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := rejectTexts(res.Rejects)
		// A line Shapefile cannot hold the Point: GDAL left it out, so the
		// records after it are numbered one less.
		want := []string{
			"bad.shp:feature 2: name: empty",
			"bad.shp:feature 3: geometry: MultiLineString with 2 parts that do not join end to end (part 2 starts 196 m from where part 1 ends); split it into one feature per part",
			`bad.shp:feature 4: numbering_origin: "middle": want start or end`,
			`bad.shp:feature 5: odd_side: "up": want left or right`,
			`bad.shp:feature 6: one_sided: "maybe": want true or false`,
			"bad.shp:feature 7: geometry: line with 1 point(s), want at least 2",
			"bad.shp:feature 8: geometry: line of zero length (all points equal)",
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("rejects (-want +got):\n%s", d)
		}
		if len(res.Features) != 2 || !res.Features[0].OneSided {
			t.Errorf("features: %+v", res.Features)
		}
	})
	t.Run("no name field", func(t *testing.T) {
		_, err := ReadRoads(os.DirFS(dir), "noname.geojson", RoadOptions{})
		if want := "noname.geojson: name: no such field (have: 路)"; errText(err) != want {
			t.Errorf("error = %v, want %s", err, want)
		}
	})
}
