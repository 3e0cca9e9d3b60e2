package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
	"fangyuan/internal/pgtest"
	"fangyuan/internal/testenv"
)

// happyCanteen is the kind the test adds to a copy of the default standards: 幸福食堂
// with a share-of-villages target, nothing else changed.
const happyCanteen = `    {
      "id": "happy_canteen",
      "name": "幸福食堂",
      "name_en": "Happiness canteen",
      "layer": "age60plus",
      "presence": {"level": "township", "min": 0, "village_share": 0.8},
      "radius_m": 800,
      "target_share": 0.5
    }`

// kindsSetup loads the demo divisions, township and village boundaries and the
// population grid through the CLI, and returns the CLI and a pool.
func kindsSetup(t *testing.T) (func(args ...string) (string, error), *pgxpool.Pool) {
	t.Helper()
	t.Setenv("FANGYUAN_DATABASE_URL", pgtest.NewDatabase(t))
	t.Setenv("FANGYUAN_STANDARDS", "")
	ctx := context.Background()
	root := testenv.RepoRoot(t)
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	for _, args := range [][]string{
		{"import", "divisions", "--valid-from", "2023-06-30", filepath.Join(root, "data/demo/divisions/fangyuan-demo")},
		{"import", "boundaries", "--level", "county", filepath.Join(root, "data/demo/boundaries/county.geojson")},
		{"import", "boundaries", "--level", "township", filepath.Join(root, "data/demo/boundaries/townships.geojson")},
		{"import", "boundaries", "--level", "village", filepath.Join(root, "data/demo/boundaries/villages.geojson")},
		{"import", "population", "--name", "demo", "--year", "2023", "--band", "total=1", "--band", "age60plus=2", "--band", "age0_17=3",
			filepath.Join(root, "data/demo/population.tif")},
	} {
		if out, err := cli(args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	pool, err := openDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return cli, pool
}

func kindsServer(t *testing.T, pool *pgxpool.Pool, std *coverage.Standards) (anon, planner client) {
	t.Helper()
	a, err := app.New(context.Background(), pool, app.Config{Reads: auth.ReadsOpen, Standards: std})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return client{t: t, base: srv.URL}, client{t: t, base: srv.URL, token: token(t, pool, "kinds.planner", auth.Planner)}
}

type unitJSON struct {
	Code, Name string
	Facilities int
	Flags      []string
	Detail     string
}

func runUnits(t *testing.T, planner client, kind, level string) []unitJSON {
	t.Helper()
	var started runJSON
	if code := planner.do("POST", "/api/coverage/runs", map[string]any{"kind": kind}, &started); code != 202 {
		t.Fatalf("start %s: %d", kind, code)
	}
	r := waitRun(t, planner, started.ID)
	if r.Status != "done" {
		t.Fatalf("run %s: %+v", kind, r)
	}
	var units struct{ Items []unitJSON }
	if code := planner.do("GET", fmt.Sprintf("/api/coverage/runs/%d/%s", r.ID, level), nil, &units); code != 200 {
		t.Fatalf("%s: %d", level, code)
	}
	return units.Items
}

// TestStandardsAddKind is issue 14's "done when": a deployment adds 幸福食堂 with a
// village-share target by editing only the standards file, imports facilities of
// that kind through the CLI and gets its flags. The expected flags come from
// PostGIS: a village is served when the centre of the grid cell holding its
// centroid lies within the radius of an operating canteen (geography ST_DWithin),
// urban or rural by the demo's code ranges (001–199 居委会, 200–399 村委会).
func TestStandardsAddKind(t *testing.T) {
	ctx := context.Background()
	cli, pool := kindsSetup(t)
	dir := t.TempDir()

	// The standards file: the defaults with one kind appended, as a text edit.
	def := string(coverage.DefaultStandardsJSON)
	const end = "\n    }\n  ],\n  \"profiles\""
	if strings.Count(def, end) != 1 {
		t.Fatalf("the default standards file does not end its kinds with %q", end)
	}
	edited := strings.Replace(def, end, "\n    },\n"+happyCanteen+"\n  ],\n  \"profiles\"", 1)
	stdFile := filepath.Join(dir, "standards.json")
	if err := os.WriteFile(stdFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	// Canteens at the centroid of every village but the first, sixth, … of each
	// township (code order); one planned canteen at a village left out.
	rows, err := pool.Query(ctx, `
SELECT code, ST_X(c), ST_Y(c), row_number() OVER (PARTITION BY left(code, 9) ORDER BY code) - 1
FROM (SELECT code, ST_Centroid(geom) AS c FROM admin_unit WHERE level = 5 AND valid_to IS NULL AND geom IS NOT NULL) v ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "name", "lon", "lat", "status"})
	nVillages, nCanteens, planned := 0, 0, 0
	for rows.Next() {
		var code string
		var lon, lat float64
		var k int
		if err := rows.Scan(&code, &lon, &lat, &k); err != nil {
			t.Fatal(err)
		}
		nVillages++
		status := "operating"
		if k%5 == 0 {
			if planned > 0 {
				continue
			}
			status, planned = "planned", 1
		}
		nCanteens++
		w.Write([]string{"HC-" + code, code + " 幸福食堂", fmt.Sprintf("%.7f", lon), fmt.Sprintf("%.7f", lat), status})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if nVillages != 152 {
		t.Fatalf("%d demo villages, want 152", nVillages)
	}
	facFile := filepath.Join(dir, "canteens.csv")
	if err := os.WriteFile(facFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without the edited standards the kind is unknown, and the error lists the kinds.
	_, err = cli("import", "facilities", "--kind", "happy_canteen", facFile)
	if err == nil || !strings.Contains(err.Error(), `unknown facility kind "happy_canteen"`) || !strings.Contains(err.Error(), "elderly_canteen, social_work_station") {
		t.Fatalf("unknown kind: %v", err)
	}
	// A bad standards file is a clear error naming the file and field.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(edited, happyCanteen, strings.Replace(happyCanteen, `"village_share": 0.8`, `"village_share": 80`, 1), 1)), 0o644)
	if _, err := cli("import", "facilities", "--standards", bad, "--kind", "happy_canteen", facFile); err == nil ||
		!strings.Contains(err.Error(), bad+": kinds[12].presence.village_share: 80 must be a share in (0, 1]") {
		t.Fatalf("bad standards: %v", err)
	}
	out, err := cli("import", "facilities", "--standards", stdFile, "--kind", "happy_canteen", facFile)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d inserted", nCanteens)) {
		t.Fatalf("import canteens: %q %v", out, err)
	}

	// The expected flags, from PostGIS.
	type want struct {
		villages, served int
	}
	wantT := map[string]*want{}
	wantC := map[string]*want{}
	urbanByCode := 0
	rows, err = pool.Query(ctx, `
WITH g AS (SELECT west, north, dx, dy FROM population_grid ORDER BY id DESC LIMIT 1),
v AS (
  SELECT u.code, u.name, (SELECT p.geom FROM ST_Dump(u.geom) p ORDER BY ST_Area(p.geom) DESC LIMIT 1) AS part
  FROM admin_unit u WHERE u.level = 5 AND u.valid_to IS NULL AND u.geom IS NOT NULL),
c AS (
  SELECT v.code, v.name, ST_Contains(v.part, ST_Centroid(v.part)) AS inside,
    ST_SetSRID(ST_MakePoint(g.west + (floor((ST_X(ST_Centroid(v.part)) - g.west) / g.dx) + 0.5) * g.dx,
                            g.north - (floor((g.north - ST_Y(ST_Centroid(v.part))) / g.dy) + 0.5) * g.dy), 4326) AS centre
  FROM v, g)
SELECT c.code, c.name, c.inside, substr(c.code, 10, 3)::int < 200,
  EXISTS (SELECT 1 FROM facility f WHERE f.kind = 'happy_canteen' AND f.status = 'operating'
          AND ST_DWithin(f.geom::geography, c.centre::geography, 800))
FROM c ORDER BY c.code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, name string
		var inside, urban, served bool
		if err := rows.Scan(&code, &name, &inside, &urban, &served); err != nil {
			t.Fatal(err)
		}
		if !inside {
			t.Fatalf("village %s: its centroid lies outside it; the expected centre would need the engine's fallback", code)
		}
		if urban != coverage.VillageIsUrban(name) {
			t.Errorf("village %s %s: urban by code %v, by name %v", code, name, urban, !urban)
		}
		if urban {
			urbanByCode++
		}
		tk, ck := code[:9], code[:6]
		for k, m := range map[string]map[string]*want{tk: wantT, ck: wantC} {
			if m[k] == nil {
				m[k] = &want{}
			}
			m[k].villages++
			if served {
				m[k].served++
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(wantT) != 13 || len(wantC) != 1 || urbanByCode == 0 {
		t.Fatalf("expected: %d townships, %d counties, %d urban", len(wantT), len(wantC), urbanByCode)
	}
	flaggedWant := 0
	for _, w := range wantT {
		if float64(w.served) < 0.8*float64(w.villages)-1e-9 {
			flaggedWant++
		}
	}
	if flaggedWant == 0 || flaggedWant == 13 {
		t.Fatalf("the placement flags %d of 13 townships: the test would not tell a rule from a constant", flaggedWant)
	}

	// The server with the edited standards: the API knows the kind, the run flags it.
	std, err := coverage.LoadStandards(stdFile)
	if err != nil {
		t.Fatal(err)
	}
	anon, planner := kindsServer(t, pool, std)
	var kinds struct {
		Kinds []struct {
			ID, Name string
			HasBeds  bool `json:"has_beds"`
		}
	}
	if code := anon.do("GET", "/api/facility-kinds", nil, &kinds); code != 200 || len(kinds.Kinds) != 13 ||
		kinds.Kinds[12].ID != "happy_canteen" || kinds.Kinds[12].Name != "幸福食堂" || kinds.Kinds[12].HasBeds {
		t.Fatalf("facility kinds: %d %+v", code, kinds)
	}
	var e struct {
		Error struct{ Field, Message string }
	}
	if code := planner.do("POST", "/api/facilities", map[string]any{"kind": "soup_kitchen", "ext_id": "X", "name": "x", "lon": 120, "lat": 28.2}, &e); code != 400 ||
		e.Error.Field != "kind" || !strings.Contains(e.Error.Message, `unknown facility kind "soup_kitchen"`) || !strings.Contains(e.Error.Message, "happy_canteen") {
		t.Fatalf("unknown kind POST: %d %+v", code, e)
	}
	e.Error.Field = ""
	if code := planner.do("POST", "/api/coverage/runs", map[string]any{"kind": "soup_kitchen"}, &e); code != 400 || e.Error.Field != "kind" {
		t.Fatalf("unknown kind run: %d %+v", code, e)
	}
	var created struct{ ID int64 }
	if code := planner.do("POST", "/api/facilities", map[string]any{"kind": "happy_canteen", "ext_id": "HC-NEW", "name": "新幸福食堂", "lon": 120, "lat": 28.2, "status": "planned"}, &created); code != 201 {
		t.Fatalf("POST happy_canteen: %d", code)
	}

	townships := runUnits(t, planner, "happy_canteen", "townships")
	if len(townships) != 13 {
		t.Fatalf("%d townships", len(townships))
	}
	flagged := 0
	for _, u := range townships {
		w := wantT[u.Code[:9]]
		wantFlag := float64(w.served) < 0.8*float64(w.villages)-1e-9
		if got := slices.Contains(u.Flags, coverage.FlagVillageShare); got != wantFlag {
			t.Errorf("township %s %s: flags %v; PostGIS: %d of %d villages served (80 %% target)", u.Code, u.Name, u.Flags, w.served, w.villages)
		}
		if wantFlag {
			flagged++
			if want := fmt.Sprintf("%d of %d villages and communities served", w.served, w.villages); !strings.Contains(u.Detail, want) {
				t.Errorf("township %s detail %q, want %q", u.Code, u.Detail, want)
			}
		}
	}
	counties := runUnits(t, planner, "happy_canteen", "counties")
	if len(counties) != 1 {
		t.Fatalf("counties %+v", counties)
	}
	wc := wantC["339901"]
	if got, want := slices.Contains(counties[0].Flags, coverage.FlagVillageShare), float64(wc.served) < 0.8*float64(wc.villages); got != want {
		t.Errorf("county flags %v; PostGIS %d of %d served", counties[0].Flags, wc.served, wc.villages)
	}
	t.Logf("happy_canteen: %d of 13 townships below the 80 %% village share; county %d of %d villages served", flagged, wc.served, wc.villages)
}

// TestPrefecturePresenceRun: the default regional child-welfare kind (1–2 per
// prefecture city) on the demo prefecture 3399, through import, API and run: three
// facilities are too many, one is right, none too few. The expected counts come
// from PostGIS (operating facilities inside the prefecture's townships).
func TestPrefecturePresenceRun(t *testing.T) {
	ctx := context.Background()
	cli, pool := kindsSetup(t)
	dir := t.TempDir()
	facFile := filepath.Join(dir, "rcw.csv")
	os.WriteFile(facFile, []byte("id,name,lon,lat,beds,status\n"+
		"RCW-1,方圆示范市区域性儿童福利中心,120.016,28.214,120,operating\n"+
		"RCW-2,青岚区域性儿童福利机构,119.95,28.25,60,operating\n"+
		"RCW-3,第三区域性儿童福利机构,120.05,28.18,40,operating\n"+
		"RCW-4,规划中的儿童福利机构,120.03,28.20,40,planned\n"), 0o644)
	if out, err := cli("import", "facilities", "--kind", "regional_child_welfare", facFile); err != nil || !strings.Contains(out, "4 inserted") {
		t.Fatalf("import: %q %v", out, err)
	}
	_, planner := kindsServer(t, pool, nil)
	sqlCount := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM facility f WHERE f.kind = 'regional_child_welfare' AND f.status = 'operating'
  AND EXISTS (SELECT 1 FROM admin_unit a WHERE a.level = 4 AND a.valid_to IS NULL AND left(a.code, 4) = '3399' AND ST_Intersects(a.geom, f.geom))`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		remove []string // ext ids deleted before the run
		flags  []string
	}{
		{nil, []string{coverage.FlagTooMany}},
		{[]string{"RCW-2", "RCW-3"}, nil},
		{[]string{"RCW-1"}, []string{coverage.FlagNoFacility}},
	} {
		for _, id := range c.remove {
			if _, err := pool.Exec(ctx, `DELETE FROM facility WHERE kind = 'regional_child_welfare' AND ext_id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
		n := sqlCount()
		pref := runUnits(t, planner, "regional_child_welfare", "prefectures")
		if len(pref) != 1 || pref[0].Code != "339900000000" || pref[0].Name != "方圆示范市（虚构）" {
			t.Fatalf("prefectures %+v", pref)
		}
		if pref[0].Facilities != n || !slices.Equal(pref[0].Flags, c.flags) {
			t.Errorf("after removing %v: %d facilities, flags %v; PostGIS counts %d, want flags %v", c.remove, pref[0].Facilities, pref[0].Flags, n, c.flags)
		}
		wantTooFew := n < 1
		for _, u := range runUnits(t, planner, "regional_child_welfare", "townships") {
			if got := slices.Contains(u.Flags, coverage.FlagPrefectureNoFacility); got != wantTooFew {
				t.Errorf("township %s flags %v with %d in the prefecture", u.Code, u.Flags, n)
			}
		}
	}
}
