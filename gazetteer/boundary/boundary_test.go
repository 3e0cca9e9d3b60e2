package boundary_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fangyuan/gazetteer/boundary"
	"fangyuan/geo"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The fixture: four square townships of 0.01° in a 2×2 tiling of a county,
//
//	C 339901003 | D 339901004      y 30.01–30.02
//	A 339901001 | B 339901002      y 30.00–30.01
//	x 120.00–120.01 | 120.01–120.02
//
// with four official lines: A|B and C|D along x = 120.01, A|C and B|D along y = 30.01.
// The centre (120.01, 30.01) is where all four meet; (120.01, 30.00) is where A, B and the
// outside meet.

func writeFile(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const townshipsGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"339901001"},"geometry":{"type":"Polygon","coordinates":[[[120.00,30.00],[120.01,30.00],[120.01,30.01],[120.00,30.01],[120.00,30.00]]]}},
{"type":"Feature","properties":{"code":"339901002"},"geometry":{"type":"Polygon","coordinates":[[[120.01,30.00],[120.02,30.00],[120.02,30.01],[120.01,30.01],[120.01,30.00]]]}},
{"type":"Feature","properties":{"code":"339901003"},"geometry":{"type":"Polygon","coordinates":[[[120.00,30.01],[120.01,30.01],[120.01,30.02],[120.00,30.02],[120.00,30.01]]]}},
{"type":"Feature","properties":{"code":"339901004"},"geometry":{"type":"Polygon","coordinates":[[[120.01,30.01],[120.02,30.01],[120.02,30.02],[120.01,30.02],[120.01,30.01]]]}}
]}`

const linesGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"L-AB","left_code":"339901001","right_code":"339901002"},"geometry":{"type":"LineString","coordinates":[[120.01,30.00],[120.01,30.01]]}},
{"type":"Feature","properties":{"id":"L-CD","left_code":"339901003","right_code":"339901004","name":"丙镇—丁乡线"},"geometry":{"type":"LineString","coordinates":[[120.01,30.01],[120.01,30.02]]}},
{"type":"Feature","properties":{"id":"L-AC","left_code":"339901003","right_code":"339901001"},"geometry":{"type":"LineString","coordinates":[[120.00,30.01],[120.01,30.01]]}},
{"type":"Feature","properties":{"id":"L-BD","left_code":"339901004","right_code":"339901002","level":"township"},"geometry":{"type":"MultiLineString","coordinates":[[[120.01,30.01],[120.02,30.01]]]}}
]}`

const markersCSV = "number,line,kind,lon,lat,condition,photos,installed_on\n" +
	"AB01,L-AB,single,120.01,30.003,intact,ab01-a.jpg;ab01-b.jpg,2016-05-01\n" +
	"AB02,L-AB,单立,120.0102,30.006,完好,,2016-05-01\n" +
	"J01,L-AB,三面型,120.01,30.01,intact,,2016-05-02\n" +
	"E01,L-AB,triple,120.01,30.00,damaged,,2016-05-02\n" +
	"CD01,L-CD,paired,120.011,30.015,intact,,\n" +
	"AC01,,single,120.005,30.0101,intact,,\n"

func ctx() context.Context { return dbtest.CLI() }

// setup loads the divisions, the township polygons and the lines.
func setup(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	pool := dbtest.Pool(t)
	dir := t.TempDir()
	div := filepath.Join(dir, "div")
	if err := os.MkdirAll(div, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, div, "provinces.csv", []byte("code,name\n33,\"浙江省\"\n"))
	writeFile(t, div, "cities.csv", []byte("code,name,provinceCode\n3399,\"方圆示范市\",33\n"))
	writeFile(t, div, "areas.csv", []byte("code,name,cityCode,provinceCode\n339901,\"方圆县\",3399,33\n"))
	writeFile(t, div, "streets.csv", []byte("code,name,areaCode,provinceCode,cityCode\n"+
		"339901001,\"甲街道\",339901,33,3399\n339901002,\"乙街道\",339901,33,3399\n339901003,\"丙镇\",339901,33,3399\n339901004,\"丁乡\",339901,33,3399\n"))
	writeFile(t, div, "villages.csv", []byte("code,name,streetCode,provinceCode,cityCode,areaCode\n"))
	if _, err := importers.Divisions(ctx(), pool, importers.HostFS{}, div, importers.DivisionOptions{ValidFrom: time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	tw := writeFile(t, dir, "townships.geojson", []byte(townshipsGeoJSON))
	if _, err := importers.Boundaries(ctx(), pool, importers.HostFS{}, tw, importers.BoundaryOptions{Level: 4, CodeField: "code"}); err != nil {
		t.Fatal(err)
	}
	lf := writeFile(t, dir, "lines.geojson", []byte(linesGeoJSON))
	sum, err := importers.BoundaryLines(ctx(), pool, importers.HostFS{}, lf, importers.Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 4 {
		t.Fatalf("lines: %+v", sum)
	}
	return pool, dir
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func importMarkers(t *testing.T, pool *pgxpool.Pool, dir string) importers.Summary {
	t.Helper()
	p := writeFile(t, dir, "markers.csv", []byte(markersCSV))
	sum, err := importers.Markers(ctx(), pool, importers.HostFS{}, p, importers.MarkerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestLinesImport(t *testing.T) {
	pool, dir := setup(t)
	// Names from the units where the file has none; the file's name where it has one.
	var name string
	if err := pool.QueryRow(context.Background(), `SELECT name FROM boundary_line WHERE ext_id = 'L-AB'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "甲街道—乙街道线" {
		t.Errorf("L-AB name %q", name)
	}
	// Length: 0.01° of latitude at 30°N is 1109.3 m (meridian arc, hand-computed from the
	// WGS84 meridian radius of curvature M = a(1−e²)/(1−e² sin²φ)^1.5 = 6,356,206 m... at
	// 30.005°: M·0.01·π/180 ≈ 1108.9 m). Compare with PostGIS's own geodesic length.
	var stored, pg float64
	if err := pool.QueryRow(context.Background(), `SELECT length_m, ST_Length(geom::geography) FROM boundary_line WHERE ext_id = 'L-AB'`).Scan(&stored, &pg); err != nil {
		t.Fatal(err)
	}
	if stored < 1100 || stored > 1120 || stored != pg {
		t.Errorf("length %v (PostGIS %v)", stored, pg)
	}
	if n := queryInt(t, pool, `SELECT level FROM boundary_line WHERE ext_id = 'L-BD'`); n != 4 {
		t.Errorf("level %d", n)
	}
	// Re-import: unchanged.
	lf := filepath.Join(dir, "lines.geojson")
	sum, err := importers.BoundaryLines(ctx(), pool, importers.HostFS{}, lf, importers.Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unchanged != 4 || sum.Inserted+sum.Updated != 0 {
		t.Errorf("re-import: %+v", sum)
	}
	// An edited geometry: one update, audited.
	edited := strings.Replace(linesGeoJSON, "[[120.00,30.01],[120.01,30.01]]", "[[120.00,30.01],[120.005,30.0101],[120.01,30.01]]", 1)
	sum, err = importers.BoundaryLines(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "lines2.geojson", []byte(edited)), importers.Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Updated != 1 || sum.Unchanged != 3 {
		t.Errorf("edit: %+v", sum)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'boundary_line' AND action = 'update' AND entity_key = 'L-AC'`); n != 1 {
		t.Errorf("audit rows %d", n)
	}
	// Bad files: unknown code, same codes, a polygon; nothing written.
	bad := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"X1","left_code":"339901001","right_code":"339901009"},"geometry":{"type":"LineString","coordinates":[[120.0,30.0],[120.1,30.0]]}},
{"type":"Feature","properties":{"id":"X2","left_code":"339901001","right_code":"339901001"},"geometry":{"type":"LineString","coordinates":[[120.0,30.0],[120.1,30.0]]}},
{"type":"Feature","properties":{"id":"X3","left_code":"339901001","right_code":"339901002"},"geometry":{"type":"Point","coordinates":[120.0,30.0]}}
]}`
	bp := writeFile(t, dir, "bad-lines.geojson", []byte(bad))
	_, err = importers.BoundaryLines(ctx(), pool, importers.HostFS{}, bp, importers.Options{}, "")
	var rej *importers.RejectedError
	if !errors.As(err, &rej) || len(rej.Rejects) != 3 {
		t.Fatalf("bad lines: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"bad-lines.geojson:3: right_code: same as left_code", "bad-lines.geojson:4: geometry: Point, want LineString",
		"bad-lines.geojson:feature 1: right_code: no current division with this code"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM boundary_line`); n != 4 {
		t.Errorf("%d lines after a failed import", n)
	}
}

func TestMarkersImportAndChecks(t *testing.T) {
	pool, dir := setup(t)
	sum := importMarkers(t, pool, dir)
	if sum.Inserted != 6 || sum.Rejected != 0 {
		t.Fatalf("markers: %+v", sum)
	}
	// CD01 is 0.001° of longitude off its line at 30.015°N: 0.001·π/180·N·cos φ with
	// N = 6,383,482 m (prime vertical radius at 30°) ≈ 96.5 m > 50 m. AB02 is 0.0002° off
	// (≈ 19 m): no warning.
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "marker CD01: 96 m from its line") || !strings.Contains(sum.Warnings[0], "markers.csv:6:") {
		t.Errorf("warnings: %q", sum.Warnings)
	}
	// The nearest line for AC01 (no line given) is L-AC (0.0001° of latitude ≈ 11 m away).
	var line string
	if err := pool.QueryRow(context.Background(), `SELECT b.ext_id FROM boundary_marker m JOIN boundary_line b ON b.id = m.line_id WHERE m.number = 'AC01'`).Scan(&line); err != nil {
		t.Fatal(err)
	}
	if line != "L-AC" {
		t.Errorf("AC01 on %s", line)
	}
	var kind, cond string
	var photos []string
	if err := pool.QueryRow(context.Background(), `SELECT kind, condition, photos FROM boundary_marker WHERE number = 'J01'`).Scan(&kind, &cond, &photos); err != nil {
		t.Fatal(err)
	}
	if kind != "triple" || cond != "intact" {
		t.Errorf("J01 %s %s", kind, cond)
	}
	if err := pool.QueryRow(context.Background(), `SELECT photos FROM boundary_marker WHERE number = 'AB01'`).Scan(&photos); err != nil || strings.Join(photos, ",") != "ab01-a.jpg,ab01-b.jpg" {
		t.Errorf("photos %v %v", photos, err)
	}
	// Re-import: unchanged.
	sum = importMarkers(t, pool, dir)
	if sum.Unchanged != 6 || sum.Inserted+sum.Updated != 0 {
		t.Errorf("re-import: %+v", sum)
	}
	// The same file in GBK, one condition changed: one update.
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.Replace(markersCSV, "AB02,L-AB,单立,120.0102,30.006,完好", "AB02,L-AB,单立,120.0102,30.006,损坏", 1))
	if err != nil {
		t.Fatal(err)
	}
	sum, err = importers.Markers(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "markers-gbk.csv", []byte(gbk)), importers.MarkerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Encoding != "gbk" || sum.Updated != 1 || sum.Unchanged != 5 {
		t.Errorf("gbk: %+v", sum)
	}
	// The check endpoint's store call finds the same warning on the stored markers.
	probs, err := boundary.NewStore(pool).CheckMarkers(context.Background(), boundary.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || probs[0].Number != "CD01" || probs[0].Line != "L-CD" {
		t.Errorf("checks: %+v", probs)
	}
}

func TestMarkersBadFile(t *testing.T) {
	pool, dir := setup(t)
	bad := "number,line,kind,lon,lat,condition\n" +
		"M1,L-AB,triple,120.01,30.005,intact\n" + // mid-edge: only A and B within 30 m
		"M2,L-XX,single,120.01,30.004,intact\n" + // unknown line
		"M3,L-AB,single,120.01,30.004,broken\n" + // bad condition
		"M1,L-AB,single,120.01,30.004,intact\n" + // duplicate number
		"M5,L-AB,single,,30.004,intact\n" + // half a coordinate
		"M6,L-AB,sideways,120.01,30.004,intact\n" + // bad kind
		"M7,L-AB,single,120.01,30.007,intact\n" // good
	p := writeFile(t, dir, "bad-markers.csv", []byte(bad))
	_, err := importers.Markers(ctx(), pool, importers.HostFS{}, p, importers.MarkerOptions{})
	var rej *importers.RejectedError
	if !errors.As(err, &rej) || len(rej.Rejects) != 6 {
		t.Fatalf("want 6 rejects, got %v", err)
	}
	for _, want := range []string{
		"bad-markers.csv:2: kind: marker M1: a three-way marker (triple) must lie where three units meet: 2 unit(s) within 30 m",
		"bad-markers.csv:3: line: marker M2: no boundary line with id or name \"L-XX\"",
		"bad-markers.csv:4: condition: \"broken\" is not one of",
		"bad-markers.csv:5: number: duplicate marker number M1 (first at line 2)",
		"bad-markers.csv:6: lon/lat: give both coordinates or neither",
		"bad-markers.csv:7: kind: \"sideways\"",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM boundary_marker`); n != 0 {
		t.Fatalf("%d markers written by a failed import", n)
	}
	// --skip-invalid: the good row only, the rest in the reject file.
	rf := filepath.Join(dir, "rejects.csv")
	sum, err := importers.Markers(ctx(), pool, importers.HostFS{}, p, importers.MarkerOptions{Options: importers.Options{SkipInvalid: true, RejectFile: rf}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 1 || sum.Rejected != 6 {
		t.Errorf("skip: %+v", sum)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM boundary_marker WHERE number = 'M7'`); n != 1 {
		t.Errorf("M7 not imported")
	}
	body, err := os.ReadFile(rf)
	if err != nil || strings.Count(string(body), "\n") != 7 {
		t.Errorf("reject file: %q %v", body, err)
	}
	// Missing required column: fatal, located.
	_, err = importers.Markers(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "nonum.csv", []byte("line,lon,lat\nL-AB,120.01,30.0\n")), importers.MarkerOptions{})
	if err == nil || !strings.Contains(err.Error(), "nonum.csv:1: number: missing column") {
		t.Errorf("missing column: %v", err)
	}
}

func TestMarkersGeoJSON(t *testing.T) {
	pool, dir := setup(t)
	gj := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"编号":"G1","界线":"L-BD","类型":"三面型","状况":"完好"},"geometry":{"type":"Point","coordinates":[120.02,30.01]}},
{"type":"Feature","properties":{"编号":"G2","界线":"L-BD","类型":"单立","状况":"移位"},"geometry":{"type":"Point","coordinates":[120.015,30.01]}}
]}`
	sum, err := importers.Markers(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "m.geojson", []byte(gj)), importers.MarkerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// G1 at (120.02, 30.01): B, D and the outside meet there.
	if sum.Inserted != 2 {
		t.Errorf("%+v", sum)
	}
	var cond string
	if err := pool.QueryRow(context.Background(), `SELECT condition FROM boundary_marker WHERE number = 'G2'`).Scan(&cond); err != nil || cond != "moved" {
		t.Errorf("G2 %q %v", cond, err)
	}
	bad := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"number":"G3","line":"L-BD"},"geometry":{"type":"LineString","coordinates":[[120.02,30.01],[120.03,30.01]]}},
{"type":"Feature","properties":{"number":"G4","line":"L-BD","kind":"triple"},"geometry":{"type":"Point","coordinates":[120.015,30.01]}}
]}`
	_, err = importers.Markers(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "bad.geojson", []byte(bad)), importers.MarkerOptions{})
	if err == nil || !strings.Contains(err.Error(), "bad.geojson:2: geometry: LineString, want Point (feature 1)") ||
		!strings.Contains(err.Error(), "bad.geojson:3: kind: marker G4: a three-way marker (triple) must lie where three units meet: 2 unit(s)") {
		t.Errorf("bad geojson: %v", err)
	}
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// roundWithTeams creates 第五轮 over the county with two teams.
func roundWithTeams(t *testing.T, pool *pgxpool.Pool) (boundary.Round, int64, int64) {
	t.Helper()
	s := boundary.NewStore(pool)
	r, err := s.CreateRound(ctx(), boundary.RoundInput{Name: "第五轮", Year: 2026, ScopeUnit: "339901000000", UnitPrefix: "339901"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines != 4 {
		t.Fatalf("round lines %d", r.Lines)
	}
	t1, err := s.CreateTeam(ctx(), r.ID, boundary.TeamInput{Name: "第一组", Leader: "李明", Lines: []string{"L-AB", "L-AC"}})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := s.CreateTeam(ctx(), r.ID, boundary.TeamInput{Name: "第二组", Lines: []string{"L-CD", "L-BD"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateTeam(ctx(), r.ID, boundary.TeamInput{Name: "第三组", Lines: []string{"L-AB"}})
	var ce *boundary.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "L-AB (第一组)") {
		t.Errorf("taken line: %v", err)
	}
	return r, t1.ID, t2.ID
}

type fc struct {
	Type     string          `json:"type"`
	CRS      json.RawMessage `json:"crs"`
	Features []struct {
		Type     string `json:"type"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func readFC(t *testing.T, path string) (fc, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c fc
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	_ = json.Unmarshal(b, &top)
	return c, top
}

func TestPackageFindingsRoundTrip(t *testing.T) {
	pool, dir := setup(t)
	importMarkers(t, pool, dir)
	s := boundary.NewStore(pool)
	r, team1, _ := roundWithTeams(t, pool)
	pkgDir := filepath.Join(dir, "pkg")
	man, err := s.WritePackage(ctx(), r.ID, team1, geo.WGS84, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	// Team 1 has L-AB (AB01, AB02, J01, E01) and L-AC (AC01).
	if man.Counts["lines"] != 2 || man.Counts["markers"] != 5 || man.Counts["findings"] != 0 {
		t.Errorf("counts %v", man.Counts)
	}
	// The manifest on disk lists every other file with its SHA-256.
	var disk boundary.Manifest
	b, err := os.ReadFile(filepath.Join(pkgDir, boundary.FileManifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &disk); err != nil {
		t.Fatal(err)
	}
	if len(disk.Files) != 6 {
		t.Errorf("manifest files %d", len(disk.Files))
	}
	for _, f := range disk.Files {
		if got := sha(t, filepath.Join(pkgDir, f.Name)); got != f.SHA256 {
			t.Errorf("%s: sha256 %s, manifest %s", f.Name, got, f.SHA256)
		}
	}
	markers, top := readFC(t, filepath.Join(pkgDir, boundary.FileMarkers))
	if _, has := top["crs"]; has {
		t.Error("markers.geojson has a crs member (RFC 7946 forbids it)")
	}
	var numbers []string
	for _, f := range markers.Features {
		numbers = append(numbers, f.Properties["number"].(string))
		if f.Properties["version"].(float64) != 1 {
			t.Errorf("%v version %v", f.Properties["number"], f.Properties["version"])
		}
	}
	if strings.Join(numbers, ",") != "AB01,AB02,AC01,E01,J01" {
		t.Errorf("package markers %v", numbers)
	}

	// Meanwhile, in the system, someone edits J01: the team's finding on it must conflict.
	j01, _, err := s.Markers(context.Background(), boundary.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var j boundary.Marker
	for _, m := range j01 {
		if m.Number == "J01" {
			j = m
		}
	}
	if _, err := s.UpdateMarker(ctx(), j.ID, j.Version, boundary.MarkerEdit{Kind: j.Kind, Condition: "damaged", Lon: j.Lon, Lat: j.Lat, Notes: "office edit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateMarker(ctx(), j.ID, j.Version, boundary.MarkerEdit{Kind: j.Kind, Condition: "intact", Lon: j.Lon, Lat: j.Lat}); !errors.Is(err, boundary.ErrVersionConflict) {
		t.Errorf("stale edit: %v", err)
	}

	// The team edits markers.geojson: AB01 damaged, AB02 re-measured 0.0001° east, J01
	// reported missing; AC01 and E01 not visited.
	raw, err := os.ReadFile(filepath.Join(pkgDir, boundary.FileMarkers))
	if err != nil {
		t.Fatal(err)
	}
	var edit map[string]any
	if err := json.Unmarshal(raw, &edit); err != nil {
		t.Fatal(err)
	}
	for _, f := range edit["features"].([]any) {
		f := f.(map[string]any)
		p := f["properties"].(map[string]any)
		switch p["number"] {
		case "AB01":
			p["condition"], p["inspector"], p["date"], p["notes"], p["photos"] = "damaged", "张三", "2026-10-01", "桩体裂缝", "ab01-2026.jpg"
		case "AB02":
			p["inspector"], p["date"] = "张三", "2026-10-01"
			f["geometry"].(map[string]any)["coordinates"] = []float64{120.0103, 30.006}
		case "J01":
			p["condition"], p["inspector"], p["date"] = "missing", "李四", "2026-10-02"
		}
	}
	eb, _ := json.Marshal(edit)
	back := writeFile(t, dir, "back.geojson", eb)
	sum, err := importers.Findings(ctx(), pool, importers.HostFS{}, back, importers.FindingOptions{RoundID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 2 || len(sum.Conflicts) != 1 || sum.Conflicts[0].Number != "J01" || sum.Skipped != 2 {
		t.Fatalf("findings: %s", sum)
	}
	if c := sum.Conflicts[0]; c.BaseVersion != 1 || c.CurrentVersion != 2 {
		t.Errorf("conflict %+v", c)
	}
	var cond, notes string
	var version int
	var photos []string
	var last time.Time
	if err := pool.QueryRow(context.Background(), `SELECT condition, findings, version, photos, last_inspected FROM boundary_marker WHERE number = 'AB01'`).
		Scan(&cond, &notes, &version, &photos, &last); err != nil {
		t.Fatal(err)
	}
	if cond != "damaged" || notes != "桩体裂缝" || version != 2 || strings.Join(photos, ",") != "ab01-2026.jpg" || last.Format(time.DateOnly) != "2026-10-01" {
		t.Errorf("AB01 after: %s %s %d %v %v", cond, notes, version, photos, last)
	}
	var x float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(geom) FROM boundary_marker WHERE number = 'AB02'`).Scan(&x); err != nil || x != 120.0103 {
		t.Errorf("AB02 x %v %v", x, err)
	}
	// J01 keeps the office's edit; the team's finding is recorded as a conflict.
	if err := pool.QueryRow(context.Background(), `SELECT condition, version FROM boundary_marker WHERE number = 'J01'`).Scan(&cond, &version); err != nil || cond != "damaged" || version != 2 {
		t.Errorf("J01 overwritten: %s %d %v", cond, version, err)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM inspection_finding WHERE status = 'conflict' AND marker_before->>'number' = 'J01' AND marker_after IS NULL`); n != 1 {
		t.Errorf("conflict rows %d", n)
	}
	// History: before and after of the applied findings.
	if n := queryInt(t, pool, `SELECT count(*) FROM inspection_finding WHERE status = 'applied' AND (marker_before->>'version')::int = 1 AND (marker_after->>'version')::int = 2`); n != 2 {
		t.Errorf("history rows %d", n)
	}
	// E01 untouched (not visited).
	if n := queryInt(t, pool, `SELECT version FROM boundary_marker WHERE number = 'E01'`); n != 1 {
		t.Errorf("E01 version %d", n)
	}

	// Re-import: nothing changes.
	before := queryInt(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'boundary_marker'`)
	sum, err = importers.Findings(ctx(), pool, importers.HostFS{}, back, importers.FindingOptions{RoundID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Applied != 0 || sum.Unchanged != 3 || len(sum.Conflicts) != 1 || !sum.Conflicts[0].Recorded {
		t.Errorf("re-import: %s", sum)
	}
	if n := queryInt(t, pool, `SELECT sum(version) FROM boundary_marker`); n != 2+2+2+1+1+1 {
		t.Errorf("versions changed on re-import: %d", n)
	}
	if after := queryInt(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'boundary_marker'`); after != before {
		t.Errorf("audit grew on re-import: %d → %d", before, after)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM inspection_finding`); n != 3 {
		t.Errorf("findings %d", n)
	}

	// The next package carries the new versions and the previous findings.
	man2, err := s.WritePackage(ctx(), r.ID, team1, geo.WGS84, filepath.Join(dir, "pkg2"))
	if err != nil {
		t.Fatal(err)
	}
	if man2.Counts["findings"] != 3 || man2.PackageID == man.PackageID {
		t.Errorf("second package %+v", man2)
	}
	// CSV findings without a version column use the latest package's: AC01 now.
	csv := "number,condition,inspector,date,notes\nAC01,intact,王五,2026/10/3,完好无损\n"
	sum, err = importers.Findings(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "f.csv", []byte(csv)), importers.FindingOptions{RoundID: r.ID})
	if err != nil || sum.Applied != 1 {
		t.Fatalf("csv findings: %v %s", err, sum)
	}

	// Progress per team.
	rr, err := s.Round(context.Background(), "第五轮")
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Teams) != 2 || rr.Teams[0].Name != "第一组" || rr.Teams[0].Inspected != 3 || rr.Teams[0].Markers != 5 ||
		rr.Teams[0].Conflicts != 1 || rr.Teams[0].Conditions["damaged"] != 1 || rr.Teams[0].Packages != 2 {
		t.Errorf("progress %+v", rr.Teams)
	}
}

func TestFindingsBadFiles(t *testing.T) {
	pool, dir := setup(t)
	importMarkers(t, pool, dir)
	s := boundary.NewStore(pool)
	r, team1, _ := roundWithTeams(t, pool)
	if _, err := s.WritePackage(ctx(), r.ID, team1, geo.WGS84, filepath.Join(dir, "pkg")); err != nil {
		t.Fatal(err)
	}
	bad := "number,condition,inspector,date,lon,lat\n" +
		"AB01,cracked,张三,2026-10-01,,\n" +
		"AB02,intact,张三,2026-13-01,,\n" +
		"AB02,intact,张三,2026-10-01,,\n" +
		"ZZ99,intact,张三,2026-10-01,,\n" +
		"CD01,intact,张三,2026-10-01,,\n" +
		"J01,intact,张三,2026-10-01,30.01,120.01\n" +
		"E01,intact,张三,2026-10-01,,\n"
	p := writeFile(t, dir, "bad.csv", []byte(bad))
	_, err := importers.Findings(ctx(), pool, importers.HostFS{}, p, importers.FindingOptions{RoundID: r.ID, TeamID: team1})
	if err == nil {
		t.Fatal("bad findings accepted")
	}
	for _, want := range []string{
		"bad.csv:2: condition: \"cracked\" is not one of",
		"bad.csv:3: date: \"2026-13-01\" is not a date",
		"bad.csv:5: number: no marker ZZ99",
		"bad.csv:6: number: marker CD01 (line L-CD) is not on a line of this team",
		"bad.csv:7: lon/lat: lat/lon swapped?",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM inspection_finding`); n != 0 {
		t.Errorf("%d findings written by a failed import", n)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM boundary_marker WHERE version > 1`); n != 0 {
		t.Errorf("%d markers changed by a failed import", n)
	}
	// Missing required column.
	_, err = importers.Findings(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "nodate.csv", []byte("number,condition\nAB01,intact\n")), importers.FindingOptions{RoundID: r.ID})
	if err == nil || !strings.Contains(err.Error(), "nodate.csv:1: date: missing column") {
		t.Errorf("missing column: %v", err)
	}
	// A marker in no package of the round.
	r2, err := s.CreateRound(ctx(), boundary.RoundInput{Name: "第六轮", Year: 2031, Lines: []string{"L-AB"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = importers.Findings(ctx(), pool, importers.HostFS{}, writeFile(t, dir, "f.csv", []byte("number,condition,date,inspector\nAB01,intact,2031-05-01,x\n")), importers.FindingOptions{RoundID: r2.ID})
	if err == nil || !strings.Contains(err.Error(), "f.csv:2: version: marker AB01 was in no package of this round") {
		t.Errorf("no package: %v", err)
	}
}

func ogrinfo(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.Tool(t, "ogrinfo", "gdal-bin")
	out, err := exec.Command(bin, append([]string{"-ro", "-al"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
	}
	return string(out)
}

var layerCount = regexp.MustCompile(`(?m)^Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)`)

func layerCounts(out string) map[string]string {
	m := map[string]string{}
	for _, g := range layerCount.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	return m
}

func TestPackageFormatsAndGCJ02(t *testing.T) {
	pool, dir := setup(t)
	importMarkers(t, pool, dir)
	s := boundary.NewStore(pool)
	r, team1, team2 := roundWithTeams(t, pool)
	wgs := filepath.Join(dir, "wgs")
	if _, err := s.WritePackage(ctx(), r.ID, team1, geo.WGS84, wgs); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{boundary.FileGeoPackage, boundary.FileKML, boundary.FileKMZ} {
		c := layerCounts(ogrinfo(t, "-so", filepath.Join(wgs, f)))
		if c["lines"] != "2" || c["markers"] != "5" || c["findings"] != "0" {
			t.Errorf("%s: layers %v", f, c)
		}
	}
	gpkg := ogrinfo(t, filepath.Join(wgs, boundary.FileGeoPackage), "markers")
	for _, want := range []string{"number (String) = AB01", "kind (String) = triple", "condition (String) = damaged", "line (String) = L-AB",
		"photos (String) = ab01-a.jpg;ab01-b.jpg", "installed_on (Date) = 2016/05/01", "version (Integer64) = 1", "POINT (120.01 30.003)"} {
		if !strings.Contains(gpkg, want) {
			t.Errorf("gpkg markers lack %q:\n%s", want, gpkg)
		}
	}
	lines := ogrinfo(t, filepath.Join(wgs, boundary.FileGeoPackage), "lines")
	for _, want := range []string{"id (String) = L-AB", "name (String) = 甲街道—乙街道线", "left_code (String) = 339901001000", "Geometry: Multi Line String"} {
		if !strings.Contains(lines, want) {
			t.Errorf("gpkg lines lack %q:\n%s", want, lines)
		}
	}
	kml := ogrinfo(t, filepath.Join(wgs, boundary.FileKML), "markers")
	for _, want := range []string{"number (String) = E01", "condition (String) = damaged", "line_name (String) = 甲街道—乙街道线"} {
		if !strings.Contains(kml, want) {
			t.Errorf("kml markers lack %q:\n%s", want, kml)
		}
	}

	// GCJ-02 for team 2 (CD01 on L-CD; nothing on L-BD).
	gcj := filepath.Join(dir, "gcj")
	man, err := s.WritePackage(ctx(), r.ID, team2, geo.GCJ02, gcj)
	if err != nil {
		t.Fatal(err)
	}
	if man.CRS != "gcj02" || man.Counts["markers"] != 1 {
		t.Errorf("gcj manifest %+v", man)
	}
	c, _ := readFC(t, filepath.Join(gcj, boundary.FileMarkers))
	var pt [2]float64
	if err := json.Unmarshal(c.Features[0].Geometry.Coordinates, &pt); err != nil {
		t.Fatal(err)
	}
	want := geo.WGS84ToGCJ02(orb.Point{120.011, 30.015})
	if pt[0] != want[0] || pt[1] != want[1] {
		t.Errorf("gcj point %v, want %v", pt, want)
	}
	if d := geo.Distance(orb.Point{pt[0], pt[1]}, orb.Point{120.011, 30.015}); d < 100 || d > 1000 {
		t.Errorf("GCJ-02 offset %.0f m: not shifted?", d)
	}
	srs := ogrinfo(t, filepath.Join(gcj, boundary.FileGeoPackage), "-sql",
		"SELECT s.srs_name FROM gpkg_geometry_columns g JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id WHERE g.table_name = 'markers'")
	if !strings.Contains(srs, "srs_name (String) = GCJ-02") {
		t.Errorf("gpkg markers SRS:\n%s", srs)
	}
	// The team reports CD01 intact without moving it: back through GCJ-02 the marker stays.
	raw, err := os.ReadFile(filepath.Join(gcj, boundary.FileMarkers))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `"inspector":"","date":null`, `"inspector":"王五","date":"2026-10-05"`, 1)
	back := writeFile(t, dir, "gcj-back.geojson", []byte(edited))
	sum, err := importers.Findings(ctx(), pool, importers.HostFS{}, back, importers.FindingOptions{RoundID: r.ID, TeamID: team2, CRS: geo.GCJ02})
	if err != nil || sum.Applied != 1 {
		t.Fatalf("gcj findings: %v %s", err, sum)
	}
	var x, y float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(geom), ST_Y(geom) FROM boundary_marker WHERE number = 'CD01'`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	if x != 120.011 || y != 30.015 {
		t.Errorf("CD01 moved by the GCJ-02 round trip: %v %v", x, y)
	}
}
