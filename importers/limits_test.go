package importers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fangyuan/importers"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// wantRejected checks that err is a RejectedError listing exactly the given
// "file:line: field: reason" prefixes, in any order.
func wantRejected(t *testing.T, err error, want ...string) {
	t.Helper()
	var rej *importers.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("err = %v, want a RejectedError", err)
	}
	if len(rej.Rejects) != len(want) {
		t.Errorf("%d rejects, want %d:\n%v", len(rej.Rejects), len(want), err)
	}
	for _, w := range want {
		found := false
		for _, r := range rej.Rejects {
			if strings.HasPrefix(r.Err.Error(), w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no reject starts with %q:\n%v", w, err)
		}
	}
}

func TestDivisionNameLimit(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	dir := smallDivisions(t, t.TempDir())
	villages := filepath.Join(dir, "villages.csv")
	writeVillages := func(name string) {
		writeFile(t, dir, "villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode\n"+
			"331102001001,\"天宁社区居委会\",331102001,33,3311,331102\n331102001201,\""+name+"\",331102001,33,3311,331102\n")
	}
	writeVillages(strings.Repeat("村", 201))
	_, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot})
	wantRejected(t, err, villages+":3: name: is 201 characters long; at most 200 are allowed")
	if n := count(t, pool, `SELECT count(*) FROM admin_unit`); n != 0 {
		t.Fatalf("%d units after a refused import", n)
	}
	// 200 characters (600 bytes) are fine.
	writeVillages(strings.Repeat("村", 200))
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT char_length(name) FROM admin_unit WHERE code = '331102001201'`); n != 200 {
		t.Fatalf("stored name has %d characters", n)
	}
}

func TestFacilityLimitsAndAdminCodes(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, smallDivisions(t, t.TempDir()), importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	p := writeFile(t, tmp, "f.csv", "id,name,lon,lat,address,beds,admin_code\n"+
		"F1,甲养老院,119.91,28.41,丽水市莲都区,10,331102001\n"+ // 2: fine (a current township)
		"F2,乙养老院,119.91,28.41,,10,331102002\n"+ // 3: no such township
		"F3,"+strings.Repeat("名", 201)+",119.91,28.41,,,\n"+ // 4: name too long
		"F4,丙养老院,119.91,28.41,,3000000000,\n"+ // 5: beds beyond int32
		"F6,戊养老院,119.91,28.41,"+strings.Repeat("址", 501)+",,\n"+ // 6: address too long
		"F7,己养老院,119.91,28.41,"+strings.Repeat("址", 500)+",2147483647,331102000000\n") // 7: fine (the county)
	_, err := importers.Facilities(ctx, pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: "eldercare_institution"})
	wantRejected(t, err,
		p+":3: admin_code: 331102002000 names no current division",
		p+":4: name: is 201 characters long; at most 200 are allowed",
		p+":5: beds: 3000000000 is more than the maximum of 2147483647",
		p+":6: address: is 501 characters long; at most 500 are allowed")
	if n := count(t, pool, `SELECT count(*) FROM facility`); n != 0 {
		t.Fatalf("%d facilities after a refused import", n)
	}
	rejects := filepath.Join(tmp, "f.rejects.csv")
	sum, err := importers.Facilities(ctx, pool, importers.HostFS{}, p, importers.FacilityOptions{Kind: "eldercare_institution",
		Options: importers.Options{SkipInvalid: true, RejectFile: rejects}})
	if err != nil || sum.Inserted != 2 || sum.Rejected != 4 {
		t.Fatalf("skip invalid: %+v %v", sum, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM facility WHERE ext_id IN ('F1', 'F7') AND admin_code IS NOT NULL`); n != 2 {
		t.Fatalf("imported facilities with their admin codes: %d", n)
	}
	b, err := os.ReadFile(rejects)
	if err != nil || strings.Count(string(b), "\n") != 5 || !strings.Contains(string(b), "331102002000 names no current division") {
		t.Fatalf("reject file: %v\n%s", err, b)
	}
}

func TestRoadNameLimit(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, smallDivisions(t, t.TempDir()), importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
		t.Fatal(err)
	}
	road := func(name, kind string) string {
		return `{"type":"Feature","properties":{"name":"` + name + `","kind":"` + kind + `"},` +
			`"geometry":{"type":"LineString","coordinates":[[119.91,28.41],[119.95,28.42]]}}`
	}
	// A NUL byte in a file fails it as not text; in GeoJSON a NUL can also hide in an escape.
	p := writeFile(t, t.TempDir(), "roads.geojson", fc(road("人民路", "secondary"), road(strings.Repeat("路", 201), "secondary"),
		road("解放街", strings.Repeat("k", 201)), road(`中山\u0000路`, "secondary")))
	_, err := importers.Roads(ctx, pool, importers.HostFS{}, p, importers.Options{})
	wantRejected(t, err, p+":1: name: is 201 characters long", p+":1: kind: is 201 characters long", p+":1: name: contains a NUL character")
	if n := count(t, pool, `SELECT count(*) FROM road`); n != 0 {
		t.Fatalf("%d roads after a refused import", n)
	}
}

// Every audit row of one command-line import, the bulk rows of changed units included,
// carries that run's "cli-..." request id.
func TestImportAuditRequestID(t *testing.T) {
	pool := dbtest.Pool(t)
	dir := smallDivisions(t, t.TempDir())
	run := func() string {
		ctx := auth.CLIContext(context.Background())
		if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: snapshot}); err != nil {
			t.Fatal(err)
		}
		var id string
		if err := pool.QueryRow(ctx, `SELECT request_id FROM audit_log WHERE action = 'import' ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := run()
	// A renamed township: the import writes an update row by a bulk statement.
	writeFile(t, dir, "streets.csv", "code,name,areaCode,provinceCode,cityCode\n331102001,\"新紫金街道\",331102,33,3311\n")
	second := run()
	if !strings.HasPrefix(first, "cli-") || !strings.HasPrefix(second, "cli-") || first == second {
		t.Fatalf("request ids of two runs: %q, %q", first, second)
	}
	rows, err := pool.Query(context.Background(), `SELECT action, entity, request_id FROM audit_log ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a, e, id string
		if err := rows.Scan(&a, &e, &id); err != nil {
			t.Fatal(err)
		}
		run := map[string]string{first: "1", second: "2"}[id]
		got = append(got, a+"/"+e+"@"+run)
	}
	if want := "import/admin_unit@1,update/admin_unit@2,import/admin_unit@2"; strings.Join(got, ",") != want {
		t.Fatalf("audit rows %v, want %s", got, want)
	}
}
