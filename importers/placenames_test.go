package importers_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fangyuan/gazetteer"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

// placeCSV is a census export: Chinese headers, points from 经度/纬度, one heritage listing.
const placeCSV = "标准名称,罗马字母拼写,类别代码,行政区划代码,经度,纬度,地名来历,地名含义,历史沿革,遗产级别,地名文化遗产,批准文号,批准时间,别名\n" +
	"天宁花园,Tianning Huayuan,213,331102001001,119.951234,28.451234,以天宁社区得名。,居住小区。,2005年建成。,,,丽民地〔2005〕3号,2005-03-01,\n" +
	"下河古村,Xiahe Gucun,272,331102001201,119.962,28.462,宋代成村。,古村落。,始建于宋。,省级,千年古村落,丽民地〔2012〕8号,2012/5/20,下河村;老下河\n" +
	"紫金山,Zijin Shan,111,331102001,,,以山色得名。,山峰。,,,,,,\n"

func placeSetup(t *testing.T) (context.Context, *pgxpool.Pool, string) {
	t.Helper()
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := smallDivisions(t, t.TempDir())
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if _, err := importers.Boundaries(ctx, pool, importers.HostFS{}, writeFile(t, tmp, "t.geojson", fc(township)), importers.BoundaryOptions{Level: gazetteer.Township}); err != nil {
		t.Fatal(err)
	}
	return ctx, pool, tmp
}

func TestPlaceNamesCSV(t *testing.T) {
	ctx, pool, tmp := placeSetup(t)
	p := writeFile(t, tmp, "places.csv", placeCSV)
	sum, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Inserted != 3 || sum.Encoding != "utf-8" {
		t.Fatalf("%+v %v", sum, err)
	}
	// Stored as written (values from the file above).
	var (
		pinyin, code, level, list, approved string
		lon, lat                            float64
		aliases                             []string
	)
	if err := pool.QueryRow(ctx, `SELECT pinyin, admin_code, heritage_level, heritage_list, approved_on::text, ST_X(geom), ST_Y(geom), aliases
		FROM place_name WHERE name = '下河古村'`).Scan(&pinyin, &code, &level, &list, &approved, &lon, &lat, &aliases); err != nil {
		t.Fatal(err)
	}
	if pinyin != "Xiahe Gucun" || code != "331102001201" || level != "provincial" || list != "千年古村落" || approved != "2012-05-20" ||
		lon != 119.962 || lat != 28.462 || strings.Join(aliases, "|") != "下河村|老下河" {
		t.Errorf("stored %q %q %q %q %q %v %v %v", pinyin, code, level, list, approved, lon, lat, aliases)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name WHERE name = '紫金山' AND admin_code = '331102001000' AND geom IS NULL AND heritage = false`); n != 1 {
		t.Errorf("9-digit township code not padded, or geometry invented: %d", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name_history WHERE act = 'name'`); n != 3 {
		t.Errorf("%d naming acts, want 3", n)
	}
	// Re-import: every row unchanged. A changed origin is one audited update.
	sum, err = importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Unchanged != 3 || sum.Inserted+sum.Updated != 0 {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
	writeFile(t, tmp, "places.csv", strings.Replace(placeCSV, "以山色得名。", "以紫色页岩得名。", 1))
	sum, err = importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Updated != 1 || sum.Unchanged != 2 {
		t.Fatalf("update: %+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'place_name' AND action = 'update'
		AND before->>'origin' = '以山色得名。' AND after->>'origin' = '以紫色页岩得名。'`); n != 1 {
		t.Error("origin change not audited with before/after")
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'place_name' AND action = 'import'`); n != 3 {
		t.Errorf("%d import entries, want 3", n)
	}
}

func TestPlaceNamesGBK(t *testing.T) {
	ctx, pool, tmp := placeSetup(t)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(placeCSV)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, tmp, "places-gbk.csv", gbk)
	sum, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Inserted != 3 || sum.Encoding != "gbk" {
		t.Fatalf("%+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name WHERE (name, origin) IN
		(('天宁花园', '以天宁社区得名。'), ('下河古村', '宋代成村。'), ('紫金山', '以山色得名。'))`); n != 3 {
		t.Errorf("GBK text not decoded: %d rows match", n)
	}
}

// placeGeoJSON has a point, a line and a polygon (a self-intersecting bow tie, repaired),
// with the English property names.
const placeGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"天宁桥","pinyin":"Tianning Qiao","category":"222","admin_code":"331102001"},"geometry":{"type":"Point","coordinates":[119.95,28.45]}},
{"type":"Feature","properties":{"name":"好溪","pinyin":"Hao Xi","category":"121","admin_code":"331102001","origin":"溪水清澈。"},"geometry":{"type":"LineString","coordinates":[[119.91,28.41],[119.95,28.44],[119.99,28.49]]}},
{"type":"Feature","properties":{"name":"白云湖","category":"122","admin_code":"331102001"},"geometry":{"type":"Polygon","coordinates":[[[119.92,28.42],[119.93,28.43],[119.93,28.42],[119.92,28.43],[119.92,28.42]]]}}
]}`

func TestPlaceNamesGeoJSON(t *testing.T) {
	ctx, pool, tmp := placeSetup(t)
	p := writeFile(t, tmp, "places.geojson", placeGeoJSON)
	sum, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Inserted != 3 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "repaired") {
		t.Errorf("repair not reported: %v", sum.Warnings)
	}
	got := map[string]string{}
	rows, err := pool.Query(ctx, `SELECT name, ST_GeometryType(geom) FROM place_name WHERE ST_IsValid(geom)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, g string
		if err := rows.Scan(&n, &g); err != nil {
			t.Fatal(err)
		}
		got[n] = g
	}
	rows.Close()
	if got["天宁桥"] != "ST_Point" || got["好溪"] != "ST_LineString" || got["白云湖"] != "ST_MultiPolygon" {
		t.Errorf("geometry types %v", got)
	}
	sum, err = importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Unchanged != 3 {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
}

func TestPlaceNamesShapefile(t *testing.T) {
	ogr := testenv.Tool(t, "ogr2ogr", "gdal-bin")
	ctx, pool, tmp := placeSetup(t)
	src := writeFile(t, tmp, "src.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"标准名称":"天宁桥","罗马字母拼写":"Tianning Qiao","类别代码":"222","行政区划代码":"331102001001","地名来历":"因天宁寺得名。"},"geometry":{"type":"Point","coordinates":[119.95,28.45]}},
{"type":"Feature","properties":{"标准名称":"下河埠","类别代码":"225","行政区划代码":"331102001201","地名来历":"河埠头。"},"geometry":{"type":"Point","coordinates":[119.96,28.46]}}]}`)
	shp := filepath.Join(tmp, "places.shp")
	if out, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", shp, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(tmp, "places.dbf")); err != nil {
		t.Fatal(err)
	}
	sum, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, shp, importers.Options{})
	if err != nil || sum.Inserted != 2 || sum.Encoding != "gbk" {
		t.Fatalf("%+v %v", sum, err)
	}
	// .dbf names hold 10 bytes: 罗马字母拼写 and 行政区划代码 arrive cut to 罗马字母拼, 行政区划代.
	if n := count(t, pool, `SELECT count(*) FROM place_name WHERE name = '天宁桥' AND pinyin = 'Tianning Qiao'`); n != 1 {
		t.Error("pinyin from the truncated 罗马字母拼写 field not stored")
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name WHERE (name, origin, category, admin_code) IN
		(('天宁桥', '因天宁寺得名。', '222', '331102001001'), ('下河埠', '河埠头。', '225', '331102001201'))
		AND ST_GeometryType(geom) = 'ST_Point'`); n != 2 {
		t.Errorf("shapefile rows stored: %d of 2", n)
	}
	sum, err = importers.PlaceNames(ctx, pool, importers.HostFS{}, shp, importers.Options{})
	if err != nil || sum.Unchanged != 2 {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
}

func TestPlaceNamesBadRows(t *testing.T) {
	ctx, pool, tmp := placeSetup(t)
	long := strings.Repeat("长", 201)
	body := "name,category,admin_code,lon,lat,origin\n" +
		"好名,212,331102001201,119.95,28.45,\n" + // line 2: good
		",212,331102001201,119.95,28.45,\n" + // 3: empty name
		"坏类,999,331102001201,119.95,28.45,\n" + // 4: unknown category
		"无区,212,331102009,119.95,28.45,\n" + // 5: no such division
		long + ",212,331102001201,119.95,28.45,\n" + // 6: name too long
		"反了,212,331102001201,28.45,119.95,\n" + // 7: lat/lon swapped
		"好名,212,331102001201,119.96,28.46,\n" + // 8: duplicate of line 2
		"长注,212,331102001201,119.95,28.45," + strings.Repeat("注", 4001) + "\n" + // 9: origin too long
		"半点,212,331102001201,119.95,,\n" // 10: lon without lat
	p := writeFile(t, tmp, "bad.csv", body)
	_, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		p + ":3: name: empty", p + ":4: category:", p + ":5: admin_code: 331102009000 names no current division",
		p + ":6: name: 201 characters, at most 200", p + ":7: lon/lat: lat/lon swapped", p + ":8: name: 好名",
		p + ":9: origin: 4001 characters, at most 4000", p + ":10: lat: empty",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM place_name`); n != 0 {
		t.Fatalf("%d place names written despite the error", n)
	}
	rej := filepath.Join(tmp, "bad.rejects.csv")
	sum, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, p, importers.Options{SkipInvalid: true, RejectFile: rej})
	if err != nil || sum.Inserted != 1 || sum.Rejected != 8 {
		t.Fatalf("skip invalid: %+v %v", sum, err)
	}
	b, err := os.ReadFile(rej)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 9 || !strings.Contains(string(b), "bad.csv:5: admin_code") {
		t.Errorf("reject file (%d lines):\n%s", lines, b)
	}
	// A NUL in a GeoJSON property is refused with its feature.
	g := writeFile(t, tmp, "nul.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"空\u0000字","category":"212","admin_code":"331102001201"},"geometry":null}]}`)
	if _, err := importers.PlaceNames(ctx, pool, importers.HostFS{}, g, importers.Options{}); err == nil || !strings.Contains(err.Error(), "name: contains a NUL") {
		t.Errorf("NUL: %v", err)
	}
}
