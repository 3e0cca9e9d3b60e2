package plate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/plate"
	"fangyuan/internal/app"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

const publicURL = "https://dmb.example.cn"

type env struct {
	pool           *pgxpool.Pool
	url            string
	editor, viewer string
	road, road2    int64
	hn             []int64 // active numbers of road 1 in number order; hn[1] is 甲2
	retired        int64
}

// setup makes divisions, two roads with house numbers and facilities by SQL, and serves
// the whole service (internal/app) with token reads.
func setup(t *testing.T) *env {
	t.Helper()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	e := &env{pool: pool}
	_, err := pool.Exec(ctx, `
INSERT INTO admin_unit (code, level, kind, name, parent_code, pinyin, valid_from) VALUES
 ('330000000000', 1, '省', '浙江省', NULL, 'Zhejiang Sheng', '2020-01-01'),
 ('331100000000', 2, '地级市', '丽水市', '330000000000', 'Lishui Shi', '2020-01-01'),
 ('331102000000', 3, '市辖区', '莲都区', '331100000000', 'Liandu Qu', '2020-01-01'),
 ('331102001000', 4, '街道', '紫金街道', '331102000000', 'Zijin Jiedao', '2020-01-01');
INSERT INTO facility (kind, ext_id, name, status, geom) VALUES
 ('eldercare_center', 'E1', '紫金居家养老服务中心', 'operating', ST_SetSRID(ST_MakePoint(119.9105, 28.4520), 4326)),
 ('eldercare_center', 'E2', '远处养老服务中心', 'operating', ST_SetSRID(ST_MakePoint(119.95, 28.50), 4326)),
 ('eldercare_center', 'E3', '已关闭的中心', 'closed', ST_SetSRID(ST_MakePoint(119.9101, 28.4501), 4326)),
 ('funeral_home', 'F1', '莲都殡仪馆', 'operating', ST_SetSRID(ST_MakePoint(119.98, 28.40), 4326)),
 ('childrens_home', 'C1', '规划中的儿童之家', 'planned', ST_SetSRID(ST_MakePoint(119.91, 28.45), 4326))`)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO road (name, pinyin, admin_code, geom) VALUES
 ('中山路', 'Zhongshan Lu', '331102001000', ST_GeomFromText('LINESTRING(119.90 28.45, 119.92 28.45)', 4326)) RETURNING id`).Scan(&e.road); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO road (name, admin_code, geom, pinyin_draft) VALUES
 ('解放街', '331102001000', ST_GeomFromText('LINESTRING(119.90 28.46, 119.92 28.46)', 4326), 'jie fang jie') RETURNING id`).Scan(&e.road2); err != nil {
		t.Fatal(err)
	}
	for i, n := range []struct {
		number int
		suffix string
	}{{1, ""}, {2, "甲"}, {3, ""}, {4, ""}, {5, ""}, {6, "之一"}} {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO house_number (road_id, number, suffix, admin_code, geom, valid_from)
VALUES ($1, $2, $3, '331102001000', ST_SetSRID(ST_MakePoint(119.90 + $4 * 0.002, 28.4501), 4326), '2020-01-01') RETURNING id`,
			e.road, n.number, n.suffix, float64(i+1)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		e.hn = append(e.hn, id)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO house_number (road_id, number, geom, status, valid_from, valid_to)
VALUES ($1, 9, ST_SetSRID(ST_MakePoint(119.915, 28.4501), 4326), 'retired', '2020-01-01', '2021-01-01') RETURNING id`, e.road).Scan(&e.retired); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := pool.Exec(ctx, `INSERT INTO house_number (road_id, number, geom, valid_from)
VALUES ($1, $2::int, ST_SetSRID(ST_MakePoint(119.90 + $2::int * 0.001, 28.4601), 4326), '2020-01-01')`, e.road2, i); err != nil {
			t.Fatal(err)
		}
	}
	a, err := app.New(ctx, pool, app.Config{Reads: auth.ReadsToken, PublicURL: publicURL, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	e.url = srv.URL
	st := auth.NewStore(pool)
	if e.editor, _, err = st.CreateToken(dbtest.CLI(), "dmb.editor", auth.NamesEditor, 0); err != nil {
		t.Fatal(err)
	}
	if e.viewer, _, err = st.CreateToken(dbtest.CLI(), "dmb.viewer", auth.Viewer, 0); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request with token (may be "") and a JSON body (may be nil).
func (e *env) do(t *testing.T, method, path, token string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

func (e *env) issue(t *testing.T, hn int64, date string) plate.Plate {
	t.Helper()
	code, b, _ := e.do(t, "POST", "/api/plates", e.editor, map[string]any{"house_number_id": hn, "date": date})
	if code != http.StatusCreated {
		t.Fatalf("issue plate for %d: %d %s", hn, code, b)
	}
	var p plate.Plate
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

type plateJSON struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	Version     int     `json:"version"`
	OrderedOn   string  `json:"ordered_on"`
	InstalledOn *string `json:"installed_on"`
	DamagedOn   *string `json:"damaged_on"`
	RemovedOn   *string `json:"removed_on"`
	URL         string  `json:"url"`
	Address     struct {
		Road, RoadPinyin string
		Divisions        []struct{ Code, Name string }
	} `json:"address"`
	History []struct{ Status, Date string } `json:"history"`
}

func decode(t *testing.T, b []byte) plateJSON {
	t.Helper()
	var p plateJSON
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return p
}

func TestIssueAndStatusTransitions(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Writes need names-editor.
	if code, b, _ := e.do(t, "POST", "/api/plates", e.viewer, map[string]any{"house_number_id": e.hn[0]}); code != http.StatusForbidden {
		t.Fatalf("viewer issuing: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "POST", "/api/plates", "", map[string]any{"house_number_id": e.hn[0]}); code != http.StatusUnauthorized {
		t.Fatalf("anonymous issuing: %d %s", code, b)
	}
	p := e.issue(t, e.hn[0], "2026-10-01")
	if len(p.ID) != plate.IDLen || p.URL != publicURL+"/p/"+p.ID || p.Status != "ordered" || p.Version != 1 {
		t.Fatalf("issued %+v", p)
	}
	// The row as PostgreSQL has it, and the audit row in the same transaction.
	var status, ordered, actor string
	if err := e.pool.QueryRow(ctx, `SELECT status, ordered_on::text FROM plate WHERE id = $1 AND house_number_id = $2`, p.ID, e.hn[0]).Scan(&status, &ordered); err != nil || status != "ordered" || ordered != "2026-10-01" {
		t.Fatalf("plate row: %q %q %v", status, ordered, err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT actor FROM audit_log WHERE entity = 'plate' AND entity_key = $1 AND action = 'create'`, p.ID).Scan(&actor); err != nil || actor != "dmb.editor" {
		t.Fatalf("audit: %q %v", actor, err)
	}
	// A second plate for the same number, a retired number, a missing one.
	for _, c := range []struct {
		hn   int64
		want int
	}{{e.hn[0], 409}, {e.retired, 409}, {999999, 400}, {0, 400}} {
		if code, b, _ := e.do(t, "POST", "/api/plates", e.editor, map[string]any{"house_number_id": c.hn}); code != c.want {
			t.Errorf("issue for %d: %d %s; want %d", c.hn, code, b, c.want)
		}
	}
	if code, b, _ := e.do(t, "POST", "/api/plates", e.editor, map[string]any{"house_number_id": e.hn[1], "date": "2026-13-01"}); code != 400 || !strings.Contains(string(b), `"field":"date"`) {
		t.Errorf("bad date: %d %s", code, b)
	}

	path := "/api/plates/" + p.ID + "/status"
	steps := []struct {
		version      int
		status, date string
		want         int
	}{
		{1, "damaged", "2026-10-05", 409},   // ordered → damaged is not allowed
		{1, "ordered", "2026-10-05", 409},   // nor back to ordered
		{1, "lost", "2026-10-05", 400},      // no such status
		{1, "installed", "2026-09-01", 400}, // before the order
		{1, "installed", "2026-10-10", 200},
		{1, "damaged", "2026-11-01", 409}, // stale version
		{2, "damaged", "2026-11-01", 200},
		{3, "installed", "2026-11-15", 200}, // repaired
		{4, "damaged", "2026-11-20", 200},
		{5, "removed", "2026-11-25", 200},
		{6, "installed", "2026-11-26", 409}, // removed is final
	}
	for _, s := range steps {
		code, b, _ := e.do(t, "POST", path, e.editor, map[string]any{"version": s.version, "status": s.status, "date": s.date})
		if code != s.want {
			t.Fatalf("%+v: %d %s", s, code, b)
		}
	}
	code, b, _ := e.do(t, "GET", "/api/plates/"+p.ID, e.viewer, nil)
	if code != 200 {
		t.Fatalf("get: %d %s", code, b)
	}
	got := decode(t, b)
	var hist []string
	for _, h := range got.History {
		hist = append(hist, h.Status+"@"+h.Date)
	}
	want := "ordered@2026-10-01 installed@2026-10-10 damaged@2026-11-01 installed@2026-11-15 damaged@2026-11-20 removed@2026-11-25"
	if strings.Join(hist, " ") != want || got.Status != "removed" || got.Version != 6 || got.RemovedOn == nil || *got.RemovedOn != "2026-11-25" {
		t.Fatalf("history %v, plate %+v", hist, got)
	}
	var audits int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'plate' AND entity_key = $1 AND action = 'update'`, p.ID).Scan(&audits); err != nil || audits != 5 {
		t.Fatalf("%d update audit rows, want 5 (%v)", audits, err)
	}
	// Once removed, the number gets a new plate.
	if p2 := e.issue(t, e.hn[0], "2026-11-26"); p2.ID == p.ID {
		t.Fatal("the new plate reuses the id")
	}
	// Lookups of a mistyped or unknown id.
	typo := []byte(p.ID)
	typo[3] = map[bool]byte{true: 'A', false: 'B'}[typo[3] != 'A']
	if code, b, _ := e.do(t, "GET", "/api/plates/"+string(typo), e.viewer, nil); code != 400 || !strings.Contains(string(b), "check character") {
		t.Errorf("mistyped id: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "GET", "/api/plates/00000000000", e.viewer, nil); code != 404 {
		t.Errorf("unknown id: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "POST", "/api/plates/00000000000/status", e.editor, map[string]any{"version": 1, "status": "installed"}); code != 404 {
		t.Errorf("status of an unknown id: %d %s", code, b)
	}
}

// Two editors changing the same version: exactly one wins, the other gets 409.
func TestConcurrentStatusOneWins(t *testing.T) {
	e := setup(t)
	p := e.issue(t, e.hn[2], "2026-10-01")
	codes := make(chan int, 2)
	for _, st := range []string{"installed", "removed"} {
		go func() { // no t.Fatal off the test goroutine: a transport error is code 0
			body := `{"version": 1, "status": "` + st + `", "date": "2026-10-02"}`
			req, _ := http.NewRequest("POST", e.url+"/api/plates/"+p.ID+"/status", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.editor)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	a, b := <-codes, <-codes
	if a+b != 200+409 {
		t.Fatalf("codes %d and %d; want one 200 and one 409", a, b)
	}
	var events int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM plate_event WHERE plate_id = $1`, p.ID).Scan(&events); err != nil || events != 2 {
		t.Fatalf("%d events (%v)", events, err)
	}
}

func TestIssueRoadAndDemo(t *testing.T) {
	e := setup(t)
	ctx := dbtest.CLI()
	e.issue(t, e.hn[3], "2026-10-01")
	st := plate.NewStore(e.pool, publicURL)
	ids, err := st.IssueRoad(ctx, e.road, mustDate("2026-10-02"))
	if err != nil {
		t.Fatal(err)
	}
	// Six active numbers, one already plated; the retired one gets none.
	if len(ids) != 5 {
		t.Fatalf("issued %d plates, want 5", len(ids))
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM plate p JOIN house_number h ON h.id = p.house_number_id WHERE h.road_id = $1 AND h.status = 'active'`, e.road).Scan(&n); err != nil || n != 6 {
		t.Fatalf("%d plates on the road's active numbers, want 6 (%v)", n, err)
	}
	if again, err := st.IssueRoad(ctx, e.road, mustDate("2026-10-02")); err != nil || len(again) != 0 {
		t.Fatalf("second run issued %v, %v", again, err)
	}
	if _, err := st.IssueRoad(ctx, 999999, mustDate("2026-10-02")); err == nil {
		t.Fatal("no error for a missing road")
	}
	// The demo plates: every second active number (by id) of those without one — here
	// road 2's three numbers (ids ordered) are the 7th–9th active numbers overall.
	var want int
	if err := e.pool.QueryRow(ctx, `
SELECT count(*) FROM (SELECT id, row_number() OVER (ORDER BY id) n FROM house_number WHERE status = 'active') x
WHERE n % 2 = 1 AND NOT EXISTS (SELECT 1 FROM plate WHERE house_number_id = x.id)`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	got, err := st.IssueDemo(ctx)
	if err != nil || got != want || want != 2 {
		t.Fatalf("demo issued %d (%v), want %d (= 2)", got, err, want)
	}
	var installed int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM plate p JOIN house_number h ON h.id = p.house_number_id WHERE h.road_id = $1 AND p.status = 'installed' AND p.installed_on = '2026-11-20'`, e.road2).Scan(&installed); err != nil || installed != 2 {
		t.Fatalf("%d demo plates installed, want 2 (%v)", installed, err)
	}
	rows, err := e.pool.Query(ctx, `SELECT p.id, string_agg(ev.status || '@' || ev.on_date, ' ' ORDER BY ev.id),
  (SELECT count(*) FROM audit_log a WHERE a.entity = 'plate' AND a.entity_key = p.id AND a.actor LIKE 'cli:%')
FROM plate p JOIN house_number h ON h.id = p.house_number_id JOIN plate_event ev ON ev.plate_id = p.id
WHERE h.road_id = $1 GROUP BY p.id`, e.road2)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, hist string
		var audits int
		if err := rows.Scan(&id, &hist, &audits); err != nil {
			t.Fatal(err)
		}
		if _, err := plate.ParseID(id); err != nil || hist != "ordered@2026-11-02 installed@2026-11-20" || audits != 1 {
			t.Errorf("demo plate %s (%v): history %q, %d audit rows", id, err, hist, audits)
		}
	}
	if again, err := st.IssueDemo(ctx); err != nil || again != 0 {
		t.Fatalf("second demo run issued %d (%v)", again, err)
	}
}

// The QR PNG and SVG the service serves decode (zbarimg; the SVG through rsvg-convert) to
// exactly the plate's URL.
func TestQRDecodes(t *testing.T) {
	e := setup(t)
	p := e.issue(t, e.hn[1], "2026-10-01")
	dir := t.TempDir()
	code, png, h := e.do(t, "GET", "/api/plates/"+p.ID+"/qr.png", e.viewer, nil)
	if code != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %d %s", code, h.Get("Content-Type"))
	}
	write(t, filepath.Join(dir, "qr.png"), png)
	want := publicURL + "/p/" + p.ID
	if got := zbar(t, filepath.Join(dir, "qr.png")); got != want {
		t.Fatalf("PNG decodes to %q, want %q", got, want)
	}
	code, svg, h := e.do(t, "GET", "/api/plates/"+p.ID+"/qr.svg", e.viewer, nil)
	if code != 200 || h.Get("Content-Type") != "image/svg+xml" || !bytes.HasPrefix(svg, []byte("<?xml")) {
		t.Fatalf("qr.svg: %d %s", code, svg)
	}
	write(t, filepath.Join(dir, "qr.svg"), svg)
	run(t, "rsvg-convert", "-o", filepath.Join(dir, "qrsvg.png"), filepath.Join(dir, "qr.svg"))
	if got := zbar(t, filepath.Join(dir, "qrsvg.png")); got != want {
		t.Fatalf("SVG decodes to %q, want %q", got, want)
	}
	if code, b, _ := e.do(t, "GET", "/api/plates/"+p.ID+"/qr.png?scale=0", e.viewer, nil); code != 400 {
		t.Errorf("scale=0: %d %s", code, b)
	}
	if code, _, _ := e.do(t, "GET", "/api/plates/00000000000/qr.png", e.viewer, nil); code != 404 {
		t.Errorf("QR of an unknown plate: %d", code)
	}
}

// The PDF sheet renders (pdftoppm), embeds a CJK font (pdffonts) and carries the Chinese
// text (pdftotext); each plate's QR on the rendered page decodes to its URL; the SVG sheet
// renders with rsvg-convert.
func TestSheet(t *testing.T) {
	e := setup(t)
	st := plate.NewStore(e.pool, publicURL)
	ids, err := st.IssueRoad(dbtest.CLI(), e.road, mustDate("2026-10-01"))
	if err != nil || len(ids) != 6 {
		t.Fatalf("issue: %v %v", ids, err)
	}
	dir := t.TempDir()
	code, pdf, h := e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates.pdf", e.road), e.viewer, nil)
	if code != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("plates.pdf: %d %s", code, pdf)
	}
	write(t, filepath.Join(dir, "sheet.pdf"), pdf)
	run(t, "pdftoppm", "-png", "-r", "150", filepath.Join(dir, "sheet.pdf"), filepath.Join(dir, "page"))
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) != 1 {
		t.Fatalf("%d rendered pages, want 1 (6 plates, 8 a page)", len(pages))
	}
	fonts := run(t, "pdffonts", filepath.Join(dir, "sheet.pdf"))
	if !regexp.MustCompile(`(?m)^\S*droidsansfallback\s+CID TrueType\s+Identity-H\s+yes\s`).MatchString(fonts) ||
		!regexp.MustCompile(`(?m)^\S*dejavusans\s+CID TrueType\s+Identity-H\s+yes\s`).MatchString(fonts) {
		t.Fatalf("pdffonts lists no embedded CJK font:\n%s", fonts)
	}
	text := run(t, "pdftotext", "-layout", filepath.Join(dir, "sheet.pdf"), "-")
	for _, s := range []string{"中山路", "Zhongshan Lu", "甲2号", "6号之一", "紫金街道", "Liandu Qu"} {
		if !strings.Contains(text, s) {
			t.Errorf("pdftotext has no %q:\n%s", s, text)
		}
	}
	// zbarimg finds every plate's QR code on the rendered page.
	out, err := exec.Command("zbarimg", "--quiet", "--raw", pages[0]).Output()
	if err != nil {
		t.Fatalf("zbarimg on the sheet: %v", err)
	}
	found := strings.Fields(string(out))
	if len(found) != 6 {
		t.Fatalf("zbarimg found %d codes on the sheet, want 6: %v", len(found), found)
	}
	for _, id := range ids {
		if !strings.Contains(string(out), publicURL+"/p/"+id) {
			t.Errorf("no QR of plate %s on the sheet", id)
		}
	}
	if os.Getenv("FANGYUAN_UPDATE_SCREENSHOT") != "" {
		run(t, "pdftoppm", "-png", "-r", "60", "-singlefile", filepath.Join(dir, "sheet.pdf"), filepath.Join("..", "..", "docs", "plate-sheet"))
	}

	code, svg, h := e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates.svg", e.road), e.viewer, nil)
	if code != 200 || h.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("plates.svg: %d", code)
	}
	if n := bytes.Count(svg, []byte(`class="plate"`)); n != 6 || !bytes.Contains(svg, []byte("中山路")) {
		t.Fatalf("SVG sheet has %d plates", n)
	}
	write(t, filepath.Join(dir, "sheet.svg"), svg)
	run(t, "rsvg-convert", "-d", "150", "-p", "150", "-o", filepath.Join(dir, "sheetsvg.png"), filepath.Join(dir, "sheet.svg"))
	out, err = exec.Command("zbarimg", "--quiet", "--raw", filepath.Join(dir, "sheetsvg.png")).Output()
	if err != nil || len(strings.Fields(string(out))) != 6 {
		t.Fatalf("zbarimg on the SVG sheet: %v %q", err, out)
	}
	// A road without plates, and no road.
	if code, b, _ := e.do(t, "GET", "/api/roads/999999/plates.pdf", e.viewer, nil); code != 404 {
		t.Errorf("missing road: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates.pdf", e.road2), e.viewer, nil); code != 404 || !strings.Contains(string(b), "issue them first") {
		t.Errorf("road without plates: %d %s", code, b)
	}
}

func TestMissingFontNamesThePackage(t *testing.T) {
	for _, f := range []plate.FontSpec{plate.CJKFont, plate.LatinFont} {
		_, err := plate.FontAt(f, []string{filepath.Join(t.TempDir(), "none.ttf")})
		if err == nil || !strings.Contains(err.Error(), "install the Debian package "+f.Package) {
			t.Errorf("err = %v; want one naming %s", err, f.Package)
		}
	}
}

// The public page /p/<id>: no token even with token reads, the address in Chinese and
// pinyin, the division chain, the status, the nearest operating facility of each kind with
// its geodesic distance (PostGIS ST_Distance on geography over all facilities, the
// independent answer); unknown and mistyped ids get HTML 404 and 400 pages.
func TestPublicPage(t *testing.T) {
	e := setup(t)
	p := e.issue(t, e.hn[1], "2026-10-01")
	code, b, h := e.do(t, "GET", "/p/"+p.ID, "", nil)
	page := string(b)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("/p/%s: %d %s", p.ID, code, b)
	}
	for _, s := range []string{"浙江省丽水市莲都区紫金街道中山路甲2号", "Jia 2 Hao, Zhongshan Lu, Zijin Jiedao, Liandu Qu, Lishui Shi, Zhejiang Sheng", "已订制", p.ID, "居家养老服务中心", "紫金居家养老服务中心", "殡仪馆", "莲都殡仪馆"} {
		if !strings.Contains(page, s) {
			t.Errorf("page has no %q", s)
		}
	}
	for _, s := range []string{"已关闭的中心", "规划中的儿童之家", "http://", "https://", "<script"} {
		if strings.Contains(page, s) {
			t.Errorf("page has %q", s)
		}
	}
	// Expected distances: the nearest operating facility of each kind by brute force.
	rows, err := e.pool.Query(context.Background(), `
SELECT DISTINCT ON (f.kind) f.name, ST_Distance(f.geom::geography, h.geom::geography, true)
FROM facility f, house_number h WHERE h.id = $1 AND f.status = 'operating'
ORDER BY f.kind, 2`, e.hn[1])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	kinds := 0
	for rows.Next() {
		var name string
		var d float64
		if err := rows.Scan(&name, &d); err != nil {
			t.Fatal(err)
		}
		kinds++
		want := fmt.Sprintf("%.0f 米", d)
		if d >= 1000 {
			want = fmt.Sprintf("%.1f 公里", d/1000)
		}
		if !strings.Contains(page, name+"</span></td><td class=\"d\">"+want) {
			t.Errorf("page lacks %s at %s", name, want)
		}
	}
	if kinds != 2 {
		t.Fatalf("%d kinds with operating facilities, want 2", kinds)
	}
	if code, b, h := e.do(t, "GET", "/p/00000000000", "", nil); code != 404 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "未找到该门牌") {
		t.Errorf("unknown id: %d %s", code, b)
	}
	typo := p.ID[:plate.BodyLen-1] + string(other(p.ID[plate.BodyLen-1])) + p.ID[plate.BodyLen:]
	if code, b, _ := e.do(t, "GET", "/p/"+typo, "", nil); code != 400 || !strings.Contains(string(b), "校验码不符") {
		t.Errorf("mistyped id: %d %s", code, b)
	}
	if code, b, _ := e.do(t, "GET", "/p/abc", "", nil); code != 400 || !strings.Contains(string(b), "不是有效的门牌编号") {
		t.Errorf("malformed id: %d %s", code, b)
	}
	// The API itself still needs a token under token reads.
	if code, _, _ := e.do(t, "GET", "/api/plates/"+p.ID, "", nil); code != 401 {
		t.Errorf("API without a token: %d", code)
	}
}

func other(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a tool and returns its output; a missing tool fails the test naming the package.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		pkg := map[string]string{"rsvg-convert": "librsvg2-bin", "zbarimg": "zbar-tools"}[name]
		if pkg == "" {
			pkg = "poppler-utils"
		}
		t.Fatalf("%s not found: install the Debian package %s (make deps)", name, pkg)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func zbar(t *testing.T, png string) string {
	t.Helper()
	run(t, "zbarimg", "--version")
	out, err := exec.Command("zbarimg", "--quiet", "--raw", png).Output() // stdout only: zbar logs D-Bus noise on stderr
	if err != nil {
		t.Fatalf("zbarimg %s: %v", png, err)
	}
	return strings.TrimSpace(string(out))
}

func mustDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
