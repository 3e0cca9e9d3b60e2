package boundary_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/data"
	"fangyuan/gazetteer"
	"fangyuan/gazetteer/boundary"
	"fangyuan/geo/topology"
	"fangyuan/importers"
	"fangyuan/importers/parse"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// demoDB loads the demo county's divisions and its county, township and village polygons.
func demoDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.Pool(t)
	if _, err := importers.Divisions(ctx(), pool, data.Demo, "demo/divisions/fangyuan-demo", importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		file  string
		level gazetteer.Level
	}{{"demo/boundaries/county.geojson", gazetteer.County}, {"demo/boundaries/townships.geojson", gazetteer.Township}, {"demo/boundaries/villages.geojson", gazetteer.Village}} {
		if _, err := importers.Boundaries(ctx(), pool, data.Demo, b.file, importers.BoundaryOptions{Level: b.level, CodeField: "code", NameField: "name"}); err != nil {
			t.Fatal(err)
		}
	}
	return pool
}

type storedLine struct {
	id, name string
	length   float64
}

func storedLines(t *testing.T, pool *pgxpool.Pool, level int) map[[2]string]storedLine {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT left_code::text, right_code::text, ext_id, name, length_m FROM boundary_line WHERE origin = 'derived' AND level = $1`, level)
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]storedLine{}
	for rows.Next() {
		var l, r string
		var s storedLine
		if err := rows.Scan(&l, &r, &s.id, &s.name, &s.length); err != nil {
			t.Fatal(err)
		}
		out[[2]string{l, r}] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func derive(t *testing.T, pool *pgxpool.Pool, o boundary.DeriveOptions) boundary.DeriveResult {
	t.Helper()
	var res boundary.DeriveResult
	err := pgx.BeginFunc(ctx(), pool, func(tx pgx.Tx) error {
		var err error
		res, err = boundary.NewStore(pool).DeriveLines(ctx(), tx, o, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %+v", res.Problems)
	}
	return res
}

// TestDeriveOnDatabase: the lines derived from the polygons in PostGIS are the pairs
// PostGIS finds sharing a boundary longer than the tolerance, with PostGIS's geodesic
// length of that shared edge (within 0.5 %), the id SHA-256(level|left|right) in short
// codes, the name 左—右线 from admin_unit; the same ids, names and lengths as the file
// derivation of the demo file (short codes), and the same ids after a slight edit.
func TestDeriveOnDatabase(t *testing.T) {
	pool := demoDB(t)
	res := derive(t, pool, boundary.DeriveOptions{Level: 4, UnitPrefix: "339901"})
	got := storedLines(t, pool, 4)
	if res.Lines != len(got) || res.Changes.Inserted != len(got) || len(got) == 0 {
		t.Fatalf("derive: %+v, %d stored", res, len(got))
	}
	rows, err := pool.Query(context.Background(), `
WITH u AS (SELECT code::text AS code, name, geom FROM admin_unit WHERE valid_to IS NULL AND level = 4 AND code LIKE '339901%')
SELECT a.code, b.code, a.name, b.name,
  ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom)), 2)::geography) AS len
FROM u a JOIN u b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)`)
	if err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for rows.Next() {
		var l, r, ln, rn string
		var length float64
		if err := rows.Scan(&l, &r, &ln, &rn, &length); err != nil {
			t.Fatal(err)
		}
		if length <= 30 {
			continue
		}
		pairs++
		s, ok := got[[2]string{l, r}]
		h := sha256.Sum256([]byte("township|" + l[:9] + "|" + r[:9]))
		switch {
		case !ok:
			t.Errorf("PostGIS pair %s|%s (%.0f m): no derived line", l, r, length)
		case s.id != hex.EncodeToString(h[:8]):
			t.Errorf("%s|%s: id %s", l, r, s.id)
		case s.name != ln+"—"+rn+"线":
			t.Errorf("%s|%s: name %s", l, r, s.name)
		case math.Abs(s.length-length) > 0.005*length:
			t.Errorf("%s|%s: %.1f m, PostGIS %.1f m", l, r, s.length, length)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if pairs != len(got) {
		t.Errorf("%d PostGIS pairs, %d derived lines", pairs, len(got))
	}

	// The file derivation (`fangyuan boundaries derive`) of the same polygons in the demo
	// file, whose codes are 9 digits: the same ids, names and lengths.
	fr, err := parse.ReadBoundaries(data.Demo, "demo/boundaries/townships.geojson", parse.BoundaryOptions{CodeField: "code", NameField: "name"})
	if err != nil {
		t.Fatal(err)
	}
	var units []topology.Unit
	for _, f := range fr.Features {
		units = append(units, topology.Unit{Code: f.Code, Name: f.Name, Geom: f.Geometry})
	}
	fileLines, _, err := topology.Derive(units, topology.Options{Level: "township", LinesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]storedLine{}
	for _, s := range got {
		byID[s.id] = s
	}
	for _, l := range fileLines {
		s, ok := byID[l.ID]
		if !ok || s.name != l.Name || math.Abs(s.length-l.LengthM) > 0.01 {
			t.Errorf("file line %s %s|%s %s %.2f m: database has %+v", l.ID, l.LeftCode, l.RightCode, l.Name, l.LengthM, s)
		}
	}
	if len(fileLines) != len(got) {
		t.Errorf("%d lines from the file, %d on the database", len(fileLines), len(got))
	}

	// Re-derived unchanged: nothing changes. After a slight edit (every township moved
	// 2 m east), the same ids, every line updated.
	if res = derive(t, pool, boundary.DeriveOptions{Level: 4, UnitPrefix: "339901"}); res.Changes.Unchanged != len(got) || res.Changes.Inserted+res.Changes.Updated != 0 {
		t.Errorf("re-derived: %+v", res.Changes)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE admin_unit SET geom = ST_Translate(geom, 0.00002, 0) WHERE level = 4 AND code LIKE '339901%'`); err != nil {
		t.Fatal(err)
	}
	res = derive(t, pool, boundary.DeriveOptions{Level: 4, UnitPrefix: "339901"})
	again := storedLines(t, pool, 4)
	if res.Changes.Inserted != 0 || res.Changes.Updated != len(got) || len(again) != len(got) {
		t.Errorf("after the edit: %+v, %d lines", res.Changes, len(again))
	}
	for k, s := range got {
		if again[k].id != s.id {
			t.Errorf("%v: id %s after the edit, %s before", k, again[k].id, s.id)
		}
	}

	// Bad input.
	err = pgx.BeginFunc(ctx(), pool, func(tx pgx.Tx) error {
		_, err := boundary.NewStore(pool).DeriveLines(ctx(), tx, boundary.DeriveOptions{Level: 4, UnitPrefix: "449901"}, "test")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no current township with a polygon within 449901") {
		t.Errorf("empty unit: %v", err)
	}
}

type findingFC struct {
	Type     string `json:"type"`
	Features []struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties struct {
			Kind   string   `json:"kind"`
			Of     string   `json:"of"`
			Codes  []string `json:"codes"`
			AreaM2 float64  `json:"area_m2"`
		} `json:"properties"`
	} `json:"features"`
}

// TestTopologyOnDatabase: GET /api/boundary/topology on the demo villages, and POST
// /api/boundary/topology/check of the copy with planted problems against the townships in
// the database; overlaps above 1 ha and the part of the grown village outside its township
// as PostGIS computes them (within 1 %).
func TestTopologyOnDatabase(t *testing.T) {
	pool := demoDB(t)
	as := auth.NewStore(pool)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as, Reads: auth.ReadsOpen}, nil)
	rt.Handle(boundary.NewStore(pool).Routes()...)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	anon := client{t, srv.URL, ""}

	// The village layer in the database: PostGIS finds no overlap above 1 ha, and neither
	// does the check; nothing sticks out of its township by more than 1 ha.
	code, body, hdr := anon.do("GET", "/api/boundary/topology?level=village&within=339901", "", nil)
	var fc findingFC
	if code != 200 || hdr.Get("Content-Type") != "application/geo+json" || json.Unmarshal(body, &fc) != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("topology %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	var pgOverlap float64
	if err := pool.QueryRow(context.Background(), `
WITH u AS (SELECT code, geom FROM admin_unit WHERE valid_to IS NULL AND level = 5 AND code LIKE '339901%')
SELECT coalesce(max(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) FROM u a JOIN u b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)`).Scan(&pgOverlap); err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		if p := f.Properties; (p.Kind == "overlap" || p.Kind == "outside_parent") && p.AreaM2 > 10000 {
			t.Errorf("clean villages: %s %v %.0f m² (PostGIS: largest overlap %.0f m²)", p.Kind, p.Codes, p.AreaM2, pgOverlap)
		}
	}
	if pgOverlap > 10000 {
		t.Errorf("PostGIS finds an overlap of %.0f m² in the clean villages", pgOverlap)
	}

	// The planted problems, uploaded.
	raw, err := fs.ReadFile(data.Demo, "demo/boundaries/villages-with-problems.geojson")
	if err != nil {
		t.Fatal(err)
	}
	code, body, hdr = anon.do("POST", "/api/boundary/topology/check?level=village&within=339901&name=villages-with-problems.geojson", "application/geo+json", raw)
	fc = findingFC{}
	if code != 200 || hdr.Get("Content-Type") != "application/geo+json" || json.Unmarshal(body, &fc) != nil {
		t.Fatalf("check %d %s", code, body)
	}
	// PostGIS on the same file.
	var in struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(context.Background(), `CREATE TEMP TABLE p (code text, geom geometry)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range in.Features {
		if _, err := conn.Exec(context.Background(), `INSERT INTO p VALUES ($1, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))`, f.Properties["code"], string(f.Geometry)); err != nil {
			t.Fatal(err)
		}
	}
	sums := map[string]float64{}
	for _, f := range fc.Features {
		p := f.Properties
		k := p.Kind
		if k == "sliver" {
			k = p.Of
		}
		sums[k+" "+strings.Join(p.Codes, ",")] += p.AreaM2
	}
	rows, err := conn.Query(context.Background(), `SELECT a.code, b.code, ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
	  FROM p a JOIN p b ON a.code < b.code AND ST_Intersects(a.geom, b.geom) ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	big := 0
	for rows.Next() {
		var a, b string
		var area float64
		if err := rows.Scan(&a, &b, &area); err != nil {
			t.Fatal(err)
		}
		if area <= 10000 {
			continue
		}
		big++
		got := sums["overlap "+a+","+b]
		t.Logf("overlap %s|%s: PostGIS %.0f m², found %.0f m²", a, b, area, got)
		if math.Abs(got-area) > 0.01*area {
			t.Errorf("overlap %s|%s: found %.0f m², PostGIS %.0f m²", a, b, got, area)
		}
	}
	rows.Close()
	if big < 2 {
		t.Errorf("%d overlaps above 1 ha in the planted file (want the shifted and the grown village's)", big)
	}
	var outside float64
	if err := conn.QueryRow(context.Background(), `SELECT ST_Area(ST_Difference(p.geom, a.geom)::geography) FROM p JOIN admin_unit a
	  ON a.code = '339901101000' AND a.valid_to IS NULL WHERE p.code = '339901101200'`).Scan(&outside); err != nil {
		t.Fatal(err)
	}
	got := sums["outside_parent 339901101200,339901101000"]
	t.Logf("outside its township: PostGIS %.0f m², found %.0f m²", outside, got)
	if outside <= 0 || math.Abs(got-outside) > 0.01*outside {
		t.Errorf("grown village outside its township: found %.0f m², PostGIS %.0f m²", got, outside)
	}
	var gaps int
	for k := range sums {
		if strings.HasPrefix(k, "gap ") {
			gaps++
		}
	}
	if gaps == 0 {
		t.Errorf("no gap found (%v)", sums)
	}

	// Bad requests.
	for _, c := range []struct {
		method, path, body, want string
	}{
		{"GET", "/api/boundary/topology?level=hamlet&within=339901", "", `"field":"level"`},
		{"GET", "/api/boundary/topology?level=village", "", `"field":"within"`},
		{"GET", "/api/boundary/topology?level=village&within=339901&tolerance=-3", "", `"field":"tolerance"`},
		{"GET", "/api/boundary/topology?level=village&within=449901", "", "no current village"},
		{"POST", "/api/boundary/topology/check?level=village", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "1 bad feature"},
		{"POST", "/api/boundary/topology/check?level=village", `{"type":"Feat`, `"field":"body"`},
	} {
		code, body, _ := anon.do(c.method, c.path, "application/geo+json", []byte(c.body))
		if code != 400 || !strings.Contains(string(body), c.want) {
			t.Errorf("%s %s: %d %s (want 400 with %s)", c.method, c.path, code, body, c.want)
		}
	}
}
