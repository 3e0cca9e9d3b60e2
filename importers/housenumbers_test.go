package importers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

// demoRoads loads what house numbers need of the demo: its divisions, township
// boundaries and roads.
func demoRoads(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if _, err := importers.Divisions(ctx, pool, data.Demo, "demo/divisions/fangyuan-demo", importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
		t.Fatal(err)
	}
	if _, err := importers.Boundaries(ctx, pool, data.Demo, "demo/boundaries/townships.geojson", importers.BoundaryOptions{Level: gazetteer.Township, CodeField: "code", NameField: "name"}); err != nil {
		t.Fatal(err)
	}
	if _, err := importers.Roads(ctx, pool, data.Demo, "demo/roads.geojson", importers.Options{}); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TestDemoHouseNumbersCheck: the validation report of the demo county finds exactly the
// numbers the CSV's planted column names, each with its kind.
func TestDemoHouseNumbersCheck(t *testing.T) {
	pool := demoRoads(t)
	ctx := dbtest.CLI()
	sum, err := importers.HouseNumbers(ctx, pool, data.Demo, "demo/housenumbers.csv", importers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := fs.ReadFile(data.Demo, "demo/housenumbers.csv")
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != len(recs)-1 || sum.Inserted != len(recs)-1 || sum.Rejected != 0 || len(sum.Warnings) != 0 {
		t.Fatalf("import: %s", sum)
	}
	if n := len(recs) - 1; n < 2000 || n > 10000 {
		t.Fatalf("%d demo house numbers, want a few thousand", n)
	}
	planted := slices.Index(recs[0], "planted")
	if planted < 0 {
		t.Fatalf("no planted column in %v", recs[0])
	}
	var want []string
	for _, r := range recs[1:] {
		if r[planted] != "" {
			want = append(want, fmt.Sprintf("%s %s号 %s", r[0], r[2], r[planted]))
		}
	}
	slices.Sort(want)
	if len(want) != 6 {
		t.Fatalf("planted: %v", want)
	}
	rep, err := housenumber.NewStore(pool).Check(context.Background(), "339901")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %d号 %s", f.Road, f.Number, f.Kind))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("findings\n%v\nwant the planted\n%v", got, want)
	}
	if rep.Numbers != len(recs)-1 {
		t.Fatalf("checked %d numbers, want %d", rep.Numbers, len(recs)-1)
	}
	// A re-import changes nothing.
	sum, err = importers.HouseNumbers(ctx, pool, data.Demo, "demo/housenumbers.csv", importers.Options{})
	if err != nil || sum.Unchanged != len(recs)-1 || sum.Inserted != 0 || sum.Updated != 0 {
		t.Fatalf("re-import: %s, %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'house_number' AND action = 'import'`); n != 2 {
		t.Fatalf("%d import audit rows, want 2", n)
	}
}

// TestHouseNumberImportMatching: names within the township, the nearest road with a
// warning, rows without a road and repeated rows rejected with their line, GBK, GeoJSON.
func TestHouseNumberImportMatching(t *testing.T) {
	pool := demoRoads(t)
	ctx := dbtest.CLI()
	dir := t.TempDir()
	var rmLon, rmLat float64 // a point 15 m north of 人民路's first vertex… taken from PostGIS
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, 0.1) p FROM road WHERE name = '人民路') s`).Scan(&rmLon, &rmLat); err != nil {
		t.Fatal(err)
	}
	body := "道路,行政区划代码,门牌号,后缀,幢,经度,纬度\n" +
		fmt.Sprintf("人民路,339901001,8号,,,%.6f,%.6f\n", rmLon, rmLat) +
		fmt.Sprintf("不存在路,339901001,10,,,%.6f,%.6f\n", rmLon, rmLat) + // nearest road: 人民路, warning
		"不存在路,339901001,12,,,121.5,29.5\n" + // no road near: rejected
		fmt.Sprintf("人民路,339901001,8,,,%.6f,%.6f\n", rmLon, rmLat) + // repeats line 2: rejected
		fmt.Sprintf("人民路,339901001,14,戊,,%.6f,%.6f\n", rmLon, rmLat) // bad suffix: rejected by the reader
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(body)
	path := writeFile(t, dir, "hn.csv", gbk)
	_, err := importers.HouseNumbers(ctx, pool, importers.HostFS{}, path, importers.Options{})
	var rej *importers.RejectedError
	if !errors.As(err, &rej) || len(rej.Rejects) != 1 || rej.Rejects[0].Err.Field != "suffix" || rej.Rejects[0].Err.Line != 6 {
		t.Fatalf("want the bad suffix on line 6 first: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM house_number`); n != 0 {
		t.Fatalf("%d rows written by a failed import", n)
	}
	// Skipping: the reader's reject plus the two the database finds.
	rejects := filepath.Join(dir, "rejects.csv")
	sum, err := importers.HouseNumbers(ctx, pool, importers.HostFS{}, path, importers.Options{SkipInvalid: true, RejectFile: rejects})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 2 || sum.Rejected != 3 || len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "line 3") || !strings.Contains(sum.Warnings[0], "人民路") {
		t.Fatalf("summary: %s", sum)
	}
	rj, _ := os.ReadFile(rejects)
	for _, w := range []string{":4: road: no road 不存在路", ":5: number: 8号 is also on line 2", ":6: suffix"} {
		if !strings.Contains(string(rj), w) {
			t.Errorf("reject file lacks %q:\n%s", w, rj)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM house_number h JOIN road r ON r.id = h.road_id WHERE r.name = '人民路' AND h.number IN (8, 10)`); n != 2 {
		t.Fatalf("%d numbers on 人民路", n)
	}
	// GeoJSON points; a row without a road name goes to the nearest road.
	gj := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"road":"人民路","admin_code":"339901001","number":"20","building":"3"},"geometry":{"type":"Point","coordinates":[%.6f,%.6f]}},
{"type":"Feature","properties":{"number":"22"},"geometry":{"type":"Point","coordinates":[%.6f,%.6f]}}]}`, rmLon, rmLat, rmLon, rmLat)
	path = writeFile(t, dir, "hn.geojson", gj)
	sum, err = importers.HouseNumbers(ctx, pool, importers.HostFS{}, path, importers.Options{})
	if err != nil || sum.Inserted != 2 || len(sum.Warnings) != 1 {
		t.Fatalf("geojson: %s %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM house_number WHERE building = '3' AND number = 20`); n != 1 {
		t.Fatalf("building 3: %d", n)
	}
	// Moving a number on record updates it (and audits the update); the rest is unchanged.
	path = writeFile(t, dir, "moved.csv", "road,admin_code,number,lon,lat\n"+
		fmt.Sprintf("人民路,339901001,8,%.6f,%.6f\n人民路,339901001,10,%.6f,%.6f\n", rmLon, rmLat+0.00005, rmLon, rmLat))
	sum, err = importers.HouseNumbers(ctx, pool, importers.HostFS{}, path, importers.Options{})
	if err != nil || sum.Updated != 1 || sum.Unchanged != 1 || sum.Inserted != 0 {
		t.Fatalf("moved: %s %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'house_number' AND action = 'update'`); n != 1 {
		t.Fatalf("%d update audit rows, want 1", n)
	}
}

// TestHouseNumberImportValidFrom: the optional valid_from column (编制日期) dates the new
// numbers; without it they are in force from the day of the import; a bad date is rejected
// with its line and field.
func TestHouseNumberImportValidFrom(t *testing.T) {
	pool := demoRoads(t)
	ctx := dbtest.CLI()
	dir := t.TempDir()
	var lon, lat float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, 0.3) p FROM road WHERE name = '人民路') s`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, dir, "bad.csv", "道路,行政区划代码,门牌号,编制日期,经度,纬度\n"+
		fmt.Sprintf("人民路,339901001,30,2024-01-01,%.6f,%.6f\n人民路,339901001,32,2024-13-01,%.6f,%.6f\n", lon, lat, lon, lat))
	_, err := importers.HouseNumbers(ctx, pool, importers.HostFS{}, bad, importers.Options{})
	var rej *importers.RejectedError
	if !errors.As(err, &rej) || len(rej.Rejects) != 1 || rej.Rejects[0].Err.Field != "valid_from" || rej.Rejects[0].Err.Line != 3 {
		t.Fatalf("want valid_from rejected on line 3: %v", err)
	}
	good := writeFile(t, dir, "good.csv", "road,admin_code,number,valid_from,lon,lat\n"+
		fmt.Sprintf("人民路,339901001,30,2024-01-01,%.6f,%.6f\n人民路,339901001,32,,%.6f,%.6f\n", lon, lat, lon, lat))
	if sum, err := importers.HouseNumbers(ctx, pool, importers.HostFS{}, good, importers.Options{}); err != nil || sum.Inserted != 2 {
		t.Fatalf("import: %s %v", sum, err)
	}
	for _, c := range []struct {
		number int
		want   string // SQL expression of the expected day
	}{{30, "DATE '2024-01-01'"}, {32, "current_date"}} {
		var ok bool
		if err := pool.QueryRow(context.Background(), `SELECT valid_from = `+c.want+` AND activated_on = `+c.want+`
			FROM house_number h JOIN road r ON r.id = h.road_id WHERE r.name = '人民路' AND h.number = $1`, c.number).Scan(&ok); err != nil || !ok {
			t.Errorf("number %d: valid_from/activated_on not %s (%v)", c.number, c.want, err)
		}
	}
}
