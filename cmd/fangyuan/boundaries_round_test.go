package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/pgtest"
)

// The inspection-round commands end to end: lines and markers imported, a round with a
// team, its package exported, the team's findings brought back (twice), a summary.
func TestBoundariesRoundCLI(t *testing.T) {
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	bnd := func(sub string, args ...string) (string, error) {
		var out bytes.Buffer
		handled, err := cmdBoundariesRound(ctx, sub, args, &out)
		if !handled {
			t.Fatalf("boundaries %s not handled", sub)
		}
		return out.String(), err
	}
	write("div/provinces.csv", "code,name\n33,\"浙江省\"\n")
	write("div/cities.csv", "code,name,provinceCode\n3399,\"方圆示范市\",33\n")
	write("div/areas.csv", "code,name,cityCode,provinceCode\n339901,\"方圆县\",3399,33\n")
	write("div/streets.csv", "code,name,areaCode,provinceCode,cityCode\n339901001,\"甲街道\",339901,33,3399\n339901002,\"乙街道\",339901,33,3399\n")
	write("div/villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n")
	if out, err := cli("import", "divisions", "--valid-from", "2023-06-30", filepath.Join(dir, "div")); err != nil {
		t.Fatalf("divisions: %s %v", out, err)
	}
	tw := write("tw.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"339901001"},"geometry":{"type":"Polygon","coordinates":[[[120.00,30.00],[120.01,30.00],[120.01,30.01],[120.00,30.01],[120.00,30.00]]]}},
{"type":"Feature","properties":{"code":"339901002"},"geometry":{"type":"Polygon","coordinates":[[[120.01,30.00],[120.02,30.00],[120.02,30.01],[120.01,30.01],[120.01,30.00]]]}}]}`)
	if out, err := cli("import", "boundaries", "--level", "township", tw); err != nil {
		t.Fatalf("boundaries: %s %v", out, err)
	}
	lines := write("lines.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"L1","left_code":"339901001","right_code":"339901002"},"geometry":{"type":"LineString","coordinates":[[120.01,30.00],[120.01,30.01]]}}]}`)
	out, err := cli("import", "boundary-lines", lines)
	if err != nil || !strings.Contains(out, "1 inserted") {
		t.Fatalf("boundary-lines: %q %v", out, err)
	}
	markers := write("markers.csv", "编号,界线,类型,经度,纬度,状况\n甲乙01,L1,三面型,120.01,30.00,完好\n甲乙02,L1,单立,120.01,30.005,完好\n甲乙03,L1,单立,120.0102,30.008,损坏\n")
	out, err = cli("import", "markers", markers)
	if err != nil || !strings.Contains(out, "3 inserted") {
		t.Fatalf("markers: %q %v", out, err)
	}
	if out, err = cli("import", "markers", markers); err != nil || !strings.Contains(out, "3 unchanged") {
		t.Fatalf("re-import markers: %q %v", out, err)
	}
	if out, err = bnd("markers-check", "--max-offset", "10"); err != nil || !strings.Contains(out, "warning: marker 甲乙03 (line L1): geometry: 19 m from its line") {
		t.Errorf("markers-check: %q %v", out, err)
	}
	if out, err = bnd("round", "create", "--name", "第五轮", "--year", "2026", "--unit", "339901"); err != nil || !strings.Contains(out, "第五轮 (2026): 1 lines") {
		t.Fatalf("round create: %q %v", out, err)
	}
	if out, err = bnd("team", "create", "--round", "第五轮", "--name", "第一组", "--lines", "L1"); err != nil || !strings.Contains(out, "1 lines, 3 markers") {
		t.Fatalf("team create: %q %v", out, err)
	}
	pkg := filepath.Join(dir, "pkg")
	out, err = bnd("package", "--round", "第五轮", "--team", "第一组", "-o", pkg, "--crs", "gcj02")
	if err != nil || !strings.Contains(out, "(gcj02): 1 lines, 3 markers") || !strings.Contains(out, "package.gpkg") {
		t.Fatalf("package: %q %v", out, err)
	}
	for _, f := range []string{"lines.geojson", "markers.geojson", "findings.geojson", "package.kml", "package.kmz", "package.gpkg", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(pkg, f)); err != nil {
			t.Errorf("package file: %v", err)
		}
	}
	findings := write("findings.csv", "界桩编号,状况,检查人,检查日期,备注\n甲乙02,移位,张三,2026-10-01,向东偏移\n")
	out, err = bnd("findings", "--round", "第五轮", findings)
	if err != nil || !strings.Contains(out, "1 applied, 0 unchanged, 0 conflicts") {
		t.Fatalf("findings: %q %v", out, err)
	}
	if out, err = bnd("findings", "--round", "第五轮", findings); err != nil || !strings.Contains(out, "0 applied, 1 unchanged") {
		t.Fatalf("findings again: %q %v", out, err)
	}
	bad := write("bad.csv", "界桩编号,状况,检查人,检查日期\n甲乙02,裂了,张三,2026-10-01\n")
	if _, err = bnd("findings", "--round", "第五轮", bad); err == nil || !strings.Contains(err.Error(), bad+":2: condition") {
		t.Errorf("bad findings: %v", err)
	}
	xlsx := filepath.Join(dir, "s.xlsx")
	if out, err = bnd("summary", "--round", "第五轮", "-o", xlsx); err != nil || !strings.Contains(out, "written") {
		t.Errorf("summary: %q %v", out, err)
	}
	if out, err = bnd("round", "show", "第五轮"); err != nil || !strings.Contains(out, `"inspected": 1`) || !strings.Contains(out, `"moved": 1`) {
		t.Errorf("round show: %q %v", out, err)
	}
	// Lines derived from the polygons: the pair's shared edge already has the official line
	// L1 with the same name, so the derivation is refused and names it.
	if _, err = bnd("lines", "derive", "--level", "township", "--within", "339901"); err == nil || !strings.Contains(err.Error(), "line L1 between the same units has this name already") {
		t.Errorf("lines derive: %v", err)
	}
	if _, err = bnd("lines", "derive", "--level", "hamlet", "--within", "339901"); err == nil {
		t.Error("bad level accepted")
	}
	if handled, _ := cmdBoundariesRound(ctx, "derive", nil, &bytes.Buffer{}); handled {
		t.Error("derive must be left to the caller")
	}

	// Topology checks on the database: the two townships tile cleanly; moved 100 m west,
	// the second overlaps the first by what PostGIS computes.
	probs := filepath.Join(dir, "problems.geojson")
	if out, err = cli("boundaries", "check", "--db", "--level", "township", "--within", "339901", "-o", probs); err != nil || !strings.Contains(out, "2 units: no topology problems") {
		t.Errorf("check --db: %q %v", out, err)
	}
	tw2 := write("tw2.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"339901002"},"geometry":{"type":"Polygon","coordinates":[[[120.009,30.00],[120.02,30.00],[120.02,30.01],[120.009,30.01],[120.009,30.00]]]}}]}`)
	if out, err := cli("import", "boundaries", "--level", "township", tw2); err != nil {
		t.Fatalf("boundaries: %s %v", out, err)
	}
	if out, err = cli("boundaries", "check", "--db", "--level", "township", "--within", "339901", "-o", probs); err != nil || !strings.Contains(out, "2 units: 1 overlap") {
		t.Errorf("check --db: %q %v", out, err)
	}
	conn, err := pgx.Connect(ctx, os.Getenv("FANGYUAN_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pgArea float64
	if err := conn.QueryRow(ctx, `SELECT ST_Area(ST_Intersection(a.geom, b.geom)::geography) FROM admin_unit a, admin_unit b
	  WHERE a.code = '339901001000' AND b.code = '339901002000' AND a.valid_to IS NULL AND b.valid_to IS NULL`).Scan(&pgArea); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(probs)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				Kind   string   `json:"kind"`
				Codes  []string `json:"codes"`
				AreaM2 float64  `json:"area_m2"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil || len(fc.Features) != 1 {
		t.Fatalf("%s: %v %s", probs, err, raw)
	}
	if p := fc.Features[0].Properties; p.Kind != "overlap" || strings.Join(p.Codes, ",") != "339901001000,339901002000" || math.Abs(p.AreaM2-pgArea) > 0.01*pgArea {
		t.Errorf("finding %+v, PostGIS overlap %.0f m²", p, pgArea)
	}
	for _, args := range [][]string{
		{"boundaries", "check", "--db", "--level", "township", "-o", probs},
		{"boundaries", "check", "--db", "--level", "township", "--within", "339901", tw, "-o", probs},
		{"boundaries", "check", "--level", "township", "--within", "339901", tw, "-o", probs},
	} {
		if _, err := cli(args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v (want a usage error)", args, err)
		}
	}
}
