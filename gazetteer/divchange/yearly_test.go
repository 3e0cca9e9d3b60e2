package divchange_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"fangyuan/gazetteer/divchange"
	"fangyuan/geo/topology"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var (
	y2023 = time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)
	y2024 = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
)

func update(ctx context.Context, pool *pgxpool.Pool, dir string, from time.Time, dry bool) (*divchange.Report, error) {
	return importers.DivisionChanges(ctx, pool, importers.HostFS{}, dir, importers.DivisionChangeOptions{
		DivisionOptions: importers.DivisionOptions{ValidFrom: from}, DryRun: dry})
}

// rowKeys renders report rows the way truth.add does.
func rowKeys(cs []divchange.Change) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		o, n := cmpOr(c.OldCode, "-"), cmpOr(c.NewCode, "-")
		k := string(c.Kind) + " " + o + " " + n
		if c.Ambiguous {
			k += " ?"
		}
		out[k] = true
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func diffKeys(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s: %d rows, want %d; missing %d %v; unexpected %d %v", what, len(got), len(want),
			len(missing), head(missing), len(extra), head(extra))
	}
}

func head(s []string) []string {
	if len(s) > 12 {
		return append(s[:12:12], "...")
	}
	return s
}

// state is everything an update could write, as one string.
func state(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `SELECT concat_ws(' | ',
  (SELECT count(*) || ' ' || md5(string_agg(code || name || coalesce(parent_code, '') || valid_from || coalesce(valid_to::text, '') || version || coalesce(pinyin, '') || array_to_string(aliases, ','), ',' ORDER BY id)) FROM admin_unit),
  (SELECT count(*) FROM admin_code_change), (SELECT count(*) FROM division_change_report),
  (SELECT count(*) FROM division_change_row), (SELECT count(*) FROM division_change_pending),
  (SELECT count(*) FROM audit_log),
  (SELECT string_agg(id || '=' || admin_code || '/' || version, ',' ORDER BY id) FROM facility),
  (SELECT string_agg(id || '=' || admin_code, ',' ORDER BY id) FROM road),
  (SELECT string_agg(id || '=' || admin_code, ',' ORDER BY id) FROM house_number),
  (SELECT string_agg(id || '=' || admin_code, ',' ORDER BY id) FROM place_name),
  (SELECT string_agg(id || '=' || left_code || right_code || md5(ST_AsText(geom)), ',' ORDER BY id) FROM boundary_line),
  (SELECT string_agg(id || '=' || scope_unit, ',' ORDER BY id) FROM inspection_round))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type dep struct {
	entity string
	id     int64
	code   string // 12 digits, what it carries before the update
	field  string
	// conflict: expected to wait although its unit has a one-to-one successor
	conflict bool
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func TestYearlyUpdate(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	w := readWorld(t, testenv.DivisionData(t), "33")
	base := t.TempDir()
	w.write(t, base)
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, base, importers.DivisionOptions{ValidFrom: y2023}); err != nil {
		t.Fatal(err)
	}
	// The unchanged table, dated a year later, changes nothing.
	same, err := update(ctx, pool, base, y2024, true)
	if err != nil || !same.Empty() {
		t.Fatalf("unchanged table: %v, %d changes %v", err, len(same.Changes), head(keys(rowKeys(same.Changes))))
	}

	tr, picked := nextYear(t, w)
	next := t.TempDir()
	w.write(t, next)
	p := func(role string) string {
		c, ok := picked[role]
		if !ok {
			t.Fatalf("no %s picked", role)
		}
		return pad(c)
	}

	// Records on the affected units (and one on a unit that does not change).
	steady := pad(w.kids(w.kids("33")[7])[0])
	var deps []dep
	fac := func(code string) {
		id := exec(t, pool, `INSERT INTO facility (kind, ext_id, name, geom, admin_code) VALUES ('eldercare_center', $1, $2, ST_Point(120, 30, 4326), $3) RETURNING id`,
			fmt.Sprintf("f%d", len(deps)), "养老服务中心"+code, code)
		deps = append(deps, dep{entity: "facility", id: id, code: code, field: "admin_code"})
	}
	for _, role := range []string{"moved_village", "merged_township_0", "merged_village", "ambiguous_village", "split_county",
		"split_township", "moved_county", "subdistrict", "recoded_township", "split_moved_township"} {
		fac(p(role))
	}
	fac(steady)
	road := func(code, name string, conflict bool) int64 {
		id := exec(t, pool, `INSERT INTO road (name, admin_code, geom) VALUES ($1, $2, ST_MakeLine(ST_Point(120, 30, 4326), ST_Point(120.01, 30, 4326))) RETURNING id`, name, code)
		deps = append(deps, dep{entity: "road", id: id, code: code, field: "admin_code", conflict: conflict})
		return id
	}
	road(p("merged_township_0"), "人民路", true) // both move to the merge target: a person decides
	road(p("merged_township_1"), "人民路", true)
	jiefang := road(p("merged_township_0"), "解放路", false)
	wenhua := road(p("moved_county"), "文化路", false)
	road(p("split_county"), "建设路", false)
	hn := func(roadID int64, n int, code string) {
		id := exec(t, pool, `INSERT INTO house_number (road_id, number, admin_code, geom) VALUES ($1, $2, $3, ST_Point(120.005, 30.0001, 4326)) RETURNING id`, roadID, n, code)
		deps = append(deps, dep{entity: "house_number", id: id, code: code, field: "admin_code"})
	}
	hn(jiefang, 1, p("moved_village"))
	hn(jiefang, 3, p("moved_village"))
	hn(wenhua, 2, p("moved_county"))
	hn(jiefang, 5, p("ambiguous_village"))
	pn := func(code, name string, conflict bool) {
		id := exec(t, pool, `INSERT INTO place_name (category, name, admin_code) VALUES ('1302', $1, $2) RETURNING id`, name, code)
		deps = append(deps, dep{entity: "place_name", id: id, code: code, field: "admin_code", conflict: conflict})
	}
	pn(p("subdistrict"), "古樟树", false)
	pn(p("ambiguous_village"), "石拱桥", false)
	pn(p("merged_township_0"), "老街", true) // the merge target already has a 老街
	pn(p("merge_target"), "老街", false)
	line := func(a, b, name string) int64 {
		l, r := min(a, b), max(a, b)
		return exec(t, pool, `INSERT INTO boundary_line (ext_id, name, level, left_code, right_code, geom)
VALUES ($1, $2, $3, $4, $5, ST_Multi(ST_MakeLine(ST_Point(120, 30, 4326), ST_Point(120.02, 30.01, 4326)))) RETURNING id`,
			"t-"+l+"-"+r, name, levelOf(l), l, r)
	}
	collapsed := line(p("merge_target"), p("merged_township_0"), "合并线")
	follows := line(p("merged_township_0"), p("ambiguous_township"), "外线")
	neighbour := ""
	for _, c := range w.kids(picked["moved_county"][:4]) {
		if c != picked["moved_county"] {
			neighbour = pad(c)
			break
		}
	}
	swapped := line(p("moved_county"), neighbour, "县界")
	splitNeighbour := ""
	for _, c := range w.kids(picked["split_county"][:4]) {
		if c != picked["split_county"] && c != picked["split_new_county"] {
			splitNeighbour = pad(c)
			break
		}
	}
	splitLine := line(p("split_county"), splitNeighbour, "拆分县界")
	for i, l := range []int64{follows, swapped} {
		exec(t, pool, `INSERT INTO boundary_marker (line_id, number, kind, geom) VALUES ($1, $2, 'single', ST_Point(120.01, 30.005, 4326)) RETURNING id`, l, fmt.Sprintf("M%d", i))
	}
	// Derived lines are named after their units (左—右线): the renamed county's derived line
	// takes its new name; an imported line between the same two keeps its official name.
	renamedCounty := p("renamed_county")
	rcNeighbour := ""
	for _, c := range w.kids(picked["renamed_county"][:4]) {
		if c != picked["renamed_county"] {
			rcNeighbour = pad(c)
			break
		}
	}
	unitName := func(code string) string {
		var n string
		if err := pool.QueryRow(ctx, `SELECT name FROM admin_unit WHERE code = $1 AND valid_to IS NULL`, code).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	lo, hi := min(renamedCounty, rcNeighbour), max(renamedCounty, rcNeighbour)
	derivedName := topology.LineName(unitName(lo), unitName(hi))
	derived := exec(t, pool, `INSERT INTO boundary_line (ext_id, name, level, left_code, right_code, origin, geom)
VALUES ($1, $2, 3, $3, $4, 'derived', ST_Multi(ST_MakeLine(ST_Point(120.1, 30, 4326), ST_Point(120.12, 30.01, 4326)))) RETURNING id`,
		topology.LineID("county", lo, hi), derivedName, lo, hi)
	official := line(lo, hi, "两县界线")
	// A derived line moved onto a recoded county takes the id of its new codes; a derived
	// line moved by a merge onto a pair that has a derived line already keeps its name (the
	// pair's name is taken: UNIQUE (left_code, right_code, name)) and its id.
	derivedLine := func(level, a, b string) (int64, string) {
		l, r := min(a, b), max(a, b)
		n := topology.LineName(unitName(l), unitName(r))
		return exec(t, pool, `INSERT INTO boundary_line (ext_id, name, level, left_code, right_code, origin, geom)
VALUES ($1, $2, $3, $4, $5, 'derived', ST_Multi(ST_MakeLine(ST_Point(120.2, 30, 4326), ST_Point(120.22, 30.01, 4326)))) RETURNING id`,
			topology.LineID(level, l, r), n, map[string]int{"county": 3, "township": 4}[level], l, r), n
	}
	recodedLine, _ := derivedLine("county", p("moved_county"), neighbour)
	mergeC := ""
	for _, c := range w.kids(picked["merge_county"]) {
		if c != picked["merge_target"] && c != picked["merged_township_0"] && c != picked["merged_township_1"] && c != picked["merged_township_2"] {
			mergeC = pad(c)
			break
		}
	}
	targetLine, targetName := derivedLine("township", p("merge_target"), mergeC)
	mergedLine, mergedName := derivedLine("township", p("merged_township_0"), mergeC)
	round := exec(t, pool, `INSERT INTO inspection_round (name, year, scope_unit) VALUES ('第五轮', 2026, $1) RETURNING id`, p("moved_county"))
	if _, err := pool.Exec(ctx, `UPDATE admin_unit SET pinyin = 'Moved County', geom = ST_Multi(ST_Buffer(ST_Point(120, 30, 4326), 0.01, 4))
WHERE code = $1 AND valid_to IS NULL`, p("moved_county")); err != nil {
		t.Fatal(err)
	}
	var oldSwappedGeom string
	if err := pool.QueryRow(ctx, `SELECT ST_AsText(geom) FROM boundary_line WHERE id = $1`, swapped).Scan(&oldSwappedGeom); err != nil {
		t.Fatal(err)
	}

	// Dry run: the report lists every change the generator made and nothing else, and
	// nothing is written.
	before := state(t, pool)
	start := time.Now()
	dry, err := update(ctx, pool, next, y2024, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dry run: %d rows in %v; %+v", len(dry.Changes), time.Since(start), dry.Summary)
	diffKeys(t, "dry-run report", rowKeys(dry.Changes), tr.rows)
	if got := state(t, pool); got != before {
		t.Fatalf("the dry run wrote:\n%s\n%s", before, got)
	}
	var text bytes.Buffer
	if err := divchange.WriteText(&text, dry); err != nil || !strings.Contains(text.String(), "dry run, nothing written") {
		t.Fatalf("text report: %v\n%.500s", err, text.String())
	}

	// Apply: the same report, kept; the units are the new table's.
	applied, err := update(ctx, pool, next, y2024, false)
	if err != nil {
		t.Fatal(err)
	}
	if applied.ID == 0 {
		t.Fatal("no report id")
	}
	diffKeys(t, "applied report", rowKeys(applied.Changes), tr.rows)
	checkUnits(t, pool, w)

	// Records follow one-to-one mappings; the others wait, listed; nothing is dropped.
	wantPending := map[string]bool{}
	for _, d := range deps {
		var got string
		if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT admin_code FROM %s WHERE id = $1`, d.entity), d.id).Scan(&got); err != nil {
			t.Fatalf("%s %d: %v (dropped?)", d.entity, d.id, err)
		}
		want := d.code
		switch {
		case d.conflict || tr.undecided[d.code]:
			wantPending[fmt.Sprintf("%s %d %s", d.entity, d.id, d.field)] = true
		case tr.moves[d.code] != "":
			want = tr.moves[d.code]
		}
		if got != want {
			t.Errorf("%s %d on %s: now %s, want %s", d.entity, d.id, d.code, got, want)
		}
	}
	wantPending[fmt.Sprintf("boundary_line %d sides", collapsed)] = true
	side := "left_code"
	if p("split_county") > splitNeighbour {
		side = "right_code"
	}
	wantPending[fmt.Sprintf("boundary_line %d %s", splitLine, side)] = true
	gotPending := map[string]bool{}
	for _, pd := range applied.Pending {
		gotPending[fmt.Sprintf("%s %d %s", pd.Entity, pd.ID, pd.Field)] = true
		if pd.Reason == "" {
			t.Errorf("pending %+v: no reason", pd)
		}
	}
	diffKeys(t, "pending", gotPending, wantPending)
	lineIs := func(id int64, l, r string) {
		t.Helper()
		var gl, gr string
		if err := pool.QueryRow(ctx, `SELECT left_code, right_code FROM boundary_line WHERE id = $1`, id).Scan(&gl, &gr); err != nil || gl != l || gr != r {
			t.Errorf("line %d: %s|%s %v, want %s|%s", id, gl, gr, err, l, r)
		}
	}
	lineIs(collapsed, min(p("merge_target"), p("merged_township_0")), max(p("merge_target"), p("merged_township_0")))
	lineIs(follows, min(p("merge_target"), p("ambiguous_township")), max(p("merge_target"), p("ambiguous_township")))
	nc := p("moved_county_new")
	lineIs(swapped, min(nc, neighbour), max(nc, neighbour))
	var reversed bool
	if err := pool.QueryRow(ctx, `SELECT ST_AsText(geom) = ST_AsText(ST_Reverse($2::geometry)) FROM boundary_line WHERE id = $1`, swapped, "SRID=4326;"+oldSwappedGeom).Scan(&reversed); err != nil {
		t.Fatal(err)
	}
	if wantRev := (p("moved_county") < neighbour) != (nc < neighbour); reversed != wantRev {
		t.Errorf("line %d: geometry reversed %v, want %v (its sides swapped: %v)", swapped, reversed, wantRev, wantRev)
	}
	var markers int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM boundary_marker WHERE line_id = ANY ($1)`, []int64{follows, swapped}).Scan(&markers); err != nil || markers != 2 {
		t.Errorf("markers on moved lines: %d %v, want 2", markers, err)
	}
	var scope string
	if err := pool.QueryRow(ctx, `SELECT scope_unit FROM inspection_round WHERE id = $1`, round).Scan(&scope); err != nil || scope != nc {
		t.Errorf("inspection round scope %s %v, want %s", scope, err, nc)
	}
	// The recoded county keeps its boundary and official pinyin under the new code.
	var pin string
	var hasGeom bool
	if err := pool.QueryRow(ctx, `SELECT coalesce(pinyin, ''), geom IS NOT NULL FROM admin_unit WHERE code = $1 AND valid_to IS NULL`, nc).Scan(&pin, &hasGeom); err != nil || pin != "Moved County" || !hasGeom {
		t.Errorf("recoded county %s: pinyin %q geometry %v %v", nc, pin, hasGeom, err)
	}
	// The old → new mapping is in admin_code_change; every move is audited.
	var mapped int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_code_change WHERE changed_on = $1`, y2024).Scan(&mapped); err != nil || mapped != applied.Summary.Mapping || mapped == 0 {
		t.Errorf("admin_code_change rows %d %v, want %d", mapped, err, applied.Summary.Mapping)
	}
	var change string
	if err := pool.QueryRow(ctx, `SELECT change FROM admin_code_change WHERE old_code = $1 AND new_code = $2`, p("moved_county"), nc).Scan(&change); err != nil || change != "reparent" {
		t.Errorf("mapping of the moved county: %q %v", change, err)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE (detail->>'division_change_report')::bigint = $1 AND action = 'update'`, applied.ID).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, n := range applied.Summary.Moved {
		moved += n
	}
	if audited != moved || moved == 0 {
		t.Errorf("audited moves %d, moved %d", audited, moved)
	}

	// The derived line says the county's new name; the imported one is unchanged.
	newNames := map[string]string{renamedCounty: w.nodes[picked["renamed_county"]].name, rcNeighbour: unitName(rcNeighbour)}
	if newNames[renamedCounty] == derivedName || !strings.HasSuffix(newNames[renamedCounty], "市") {
		t.Fatalf("the renamed county is %q", newNames[renamedCounty])
	}
	lineName := func(id int64) string {
		var n string
		if err := pool.QueryRow(ctx, `SELECT name FROM boundary_line WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got, want := lineName(derived), topology.LineName(newNames[lo], newNames[hi]); got != want {
		t.Errorf("derived line after the rename: %q, want %q (was %q)", got, want, derivedName)
	}
	if got := lineName(official); got != "两县界线" {
		t.Errorf("imported line renamed to %q", got)
	}
	var ext string
	if err := pool.QueryRow(ctx, `SELECT ext_id FROM boundary_line WHERE id = $1`, recodedLine).Scan(&ext); err != nil || ext != topology.LineID("county", min(nc, neighbour), max(nc, neighbour)) {
		t.Errorf("derived line on the recoded county: id %q %v, want its new codes' %q", ext, err, topology.LineID("county", min(nc, neighbour), max(nc, neighbour)))
	}
	if got := lineName(targetLine); got != targetName {
		t.Errorf("the merge target's derived line renamed to %q", got)
	}
	lineIs(mergedLine, min(p("merge_target"), mergeC), max(p("merge_target"), mergeC))
	if got := lineName(mergedLine); got != mergedName {
		t.Errorf("the merged township's derived line took %q (the pair's name is another line's)", got)
	}
	var renameAudit int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'boundary_line' AND entity_key = $1 AND action = 'rename'
AND before->>'name' = $2 AND (detail->>'division_change_report')::bigint = $3`, fmt.Sprint(derived), derivedName, applied.ID).Scan(&renameAudit); err != nil || renameAudit != 1 {
		t.Errorf("audit of the line's rename: %d %v", renameAudit, err)
	}

	checkAPI(t, pool, applied, len(wantPending))

	// Running the same update again changes nothing.
	before = state(t, pool)
	again, err := update(ctx, pool, next, y2024, false)
	if err != nil || !again.Empty() {
		t.Fatalf("second run: %v, %d changes %v", err, len(again.Changes), head(keys(rowKeys(again.Changes))))
	}
	if got := state(t, pool); got != before {
		t.Fatalf("the second run wrote:\n%s\n%s", before, got)
	}
	checkResolve(t, pool, applied)
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func levelOf(code string) int {
	switch {
	case code[2:] == "0000000000":
		return 1
	case code[4:] == "00000000":
		return 2
	case code[6:] == "000000":
		return 3
	case code[9:] == "000":
		return 4
	}
	return 5
}

// checkUnits compares the current units of province 33 with the generated table.
func checkUnits(t *testing.T, pool *pgxpool.Pool, w *world) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, name, coalesce(parent_code, '') FROM admin_unit WHERE valid_to IS NULL AND code LIKE '33%'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	var code, name, parent string
	for rows.Next() {
		if err := rows.Scan(&code, &name, &parent); err != nil {
			t.Fatal(err)
		}
		got[code+" "+name+" "+parent] = true
	}
	want := map[string]bool{}
	for c, n := range w.nodes {
		par := ""
		if pc := parentOf(c); pc != "" {
			par = pad(pc)
		}
		want[pad(c)+" "+n.name+" "+par] = true
	}
	diffKeys(t, "current units", got, want)
}

func checkAPI(t *testing.T, pool *pgxpool.Pool, rep *divchange.Report, pending int) {
	t.Helper()
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rt.Handle(divchange.NewStore(pool).Routes()...)
	get := func(path string, status int) []byte {
		t.Helper()
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != status {
			t.Fatalf("GET %s: %d %s, want %d", path, rec.Code, rec.Body.String(), status)
		}
		return rec.Body.Bytes()
	}
	var list struct {
		Reports []divchange.Report `json:"reports"`
	}
	if err := json.Unmarshal(get("/api/divisions/changes?since=2024-01-01", 200), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Reports) != 1 || list.Reports[0].ID != rep.ID || len(list.Reports[0].Changes) != len(rep.Changes) {
		t.Fatalf("reports since 2024-01-01: %d", len(list.Reports))
	}
	if !slices.Equal(list.Reports[0].Changes, rep.Changes) {
		t.Error("the kept rows differ from the applied report")
	}
	if err := json.Unmarshal(get("/api/divisions/changes?since=2024-07-01", 200), &list); err != nil || len(list.Reports) != 0 {
		t.Fatalf("reports since 2024-07-01: %d %v", len(list.Reports), err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(get("/api/divisions/changes?format=csv", 200), []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != len(rep.Changes)+1 || recs[0][2] != "kind" {
		t.Fatalf("CSV: %d records %v", len(recs), err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(get("/api/divisions/changes?format=xlsx", 200)))
	if err != nil {
		t.Fatal(err)
	}
	xr, err := x.GetRows(divchange.SheetChanges)
	if err != nil || len(xr) != len(rep.Changes)+1 {
		t.Fatalf("XLSX changes: %d rows %v", len(xr), err)
	}
	xp, err := x.GetRows(divchange.SheetPending)
	if err != nil || len(xp) != pending+1 {
		t.Fatalf("XLSX pending: %d rows %v, want %d", len(xp), err, pending+1)
	}
	var pend struct {
		Pending []divchange.Pending `json:"pending"`
	}
	if err := json.Unmarshal(get(fmt.Sprintf("/api/divisions/changes/%d/pending", rep.ID), 200), &pend); err != nil || len(pend.Pending) != pending {
		t.Fatalf("pending: %d %v, want %d", len(pend.Pending), err, pending)
	}
	recs, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(get(fmt.Sprintf("/api/divisions/changes/%d/pending?format=csv", rep.ID), 200), []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != pending+1 {
		t.Fatalf("pending CSV: %d %v", len(recs), err)
	}
	for path, status := range map[string]int{
		"/api/divisions/changes?since=2024-13-01":                     400,
		"/api/divisions/changes?format=pdf":                           400,
		"/api/divisions/changes/abc/pending":                          400,
		fmt.Sprintf("/api/divisions/changes/%d/pending", rep.ID+1000): 404,
	} {
		body := get(path, status)
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("GET %s: not a JSON error body: %s", path, body)
		}
	}
}

// A missing directory, a missing file and a bad row fail with the file (and line) named,
// and write nothing.
func TestYearlyUpdateBadInput(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	w := readWorld(t, testenv.DivisionData(t), "33")
	base := t.TempDir()
	w.write(t, base)
	if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, base, importers.DivisionOptions{ValidFrom: y2023}); err != nil {
		t.Fatal(err)
	}
	before := state(t, pool)
	missing := filepath.Join(t.TempDir(), "nope")
	noStreets := t.TempDir()
	w.write(t, noStreets)
	if err := os.Remove(filepath.Join(noStreets, "streets.csv")); err != nil {
		t.Fatal(err)
	}
	badRow := t.TempDir()
	w.write(t, badRow)
	b, err := os.ReadFile(filepath.Join(badRow, "villages.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 4)
	lines[2] = "33010200100x" + lines[2][12:]
	if err := os.WriteFile(filepath.Join(badRow, "villages.csv"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want string
	}{
		{missing, "nope/provinces.csv"},
		{noStreets, "streets.csv: missing file"},
		{badRow, "villages.csv:3"},
	} {
		for _, dry := range []bool{true, false} {
			_, err := update(ctx, pool, c.dir, y2024, dry)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (dry run %v): %v, want an error naming %q", c.dir, dry, err, c.want)
			}
		}
	}
	// An older table than the units it would change is refused.
	tr, _ := nextYear(t, w)
	_ = tr
	next := t.TempDir()
	w.write(t, next)
	if _, err := update(ctx, pool, next, y2023, false); err == nil || !strings.Contains(err.Error(), "already valid from") {
		t.Errorf("table dated like the current units: %v", err)
	}
	if got := state(t, pool); got != before {
		t.Fatalf("bad input wrote:\n%s\n%s", before, got)
	}
}
