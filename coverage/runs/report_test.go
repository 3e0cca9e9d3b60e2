package runs_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"fangyuan/coverage/report"
	"fangyuan/coverage/runs"
	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/app"
	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const reportCounty = "339901"

// TestCountyReport: the county report of a run on the demo data, over HTTP.
// The PDF (rendered by poppler) carries the county name, the kind name and
// every gap township's name as text, embeds the Chinese font, and its map fills
// each township, at the township's PostGIS point on surface, with the colour of
// its covered share's class; the XLSX read back equals the run's rows in SQL.
func TestCountyReport(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	a, err := app.New(ctx, pool, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	// First without a site source (app.New wires the planner's; internal/app
	// TestCountyReportSites checks those): the report says it has none.
	a.Runs.SetSiteSource(nil)
	run, err := a.Runs.RunSync(dbtest.CLI(), runs.Params{Kind: "eldercare_center"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, http.Header, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, b
	}
	base := fmt.Sprintf("/api/coverage/runs/%d/report", run.ID)

	// Expected figures, from SQL.
	var countyName string
	if err := pool.QueryRow(ctx, `SELECT name FROM admin_unit WHERE code = $1 AND level = 3 AND valid_to IS NULL`, reportCounty+"000000").Scan(&countyName); err != nil {
		t.Fatal(err)
	}
	type township struct {
		code, name          string
		pop, covered, share float64
		rank                *int
		flags               []string
		px, py              float64 // point on surface
	}
	rows, err := pool.Query(ctx, `
SELECT u.code, u.name, u.population, u.covered, u.share, u.rank, u.flags, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))
FROM coverage_run_unit u JOIN coverage_run r ON r.id = u.run_id
JOIN admin_unit a ON a.code = u.code AND a.valid_from <= r.as_of AND (a.valid_to IS NULL OR a.valid_to > r.as_of)
WHERE u.run_id = $1 AND u.level = 4 AND u.parent_code = $2 ORDER BY u.code`, run.ID, reportCounty)
	if err != nil {
		t.Fatal(err)
	}
	var towns []township
	for rows.Next() {
		var tw township
		if err := rows.Scan(&tw.code, &tw.name, &tw.pop, &tw.covered, &tw.share, &tw.rank, &tw.flags, &tw.px, &tw.py); err != nil {
			t.Fatal(err)
		}
		towns = append(towns, tw)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(towns) != 13 {
		t.Fatalf("%d townships in county %s, want the demo's 13", len(towns), reportCounty)
	}
	var minX, minY, maxX, maxY float64
	if err := pool.QueryRow(ctx, `
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
  SELECT ST_Extent(a.geom)::geometry AS e FROM coverage_run_unit u JOIN coverage_run r ON r.id = u.run_id
  JOIN admin_unit a ON a.code = u.code AND a.valid_from <= r.as_of AND (a.valid_to IS NULL OR a.valid_to > r.as_of)
  WHERE u.run_id = $1 AND u.level = 4 AND u.parent_code = $2) x`, run.ID, reportCounty).Scan(&minX, &minY, &maxX, &maxY); err != nil {
		t.Fatal(err)
	}

	// PDF.
	code, h, pdf := get(base + ".pdf?county=" + reportCounty)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("report.pdf: %d %s %.300s", code, h.Get("Content-Type"), pdf)
	}
	if cd := h.Get("Content-Disposition"); !strings.Contains(cd, fmt.Sprintf("coverage-%d-eldercare_center-%s.pdf", run.ID, reportCounty)) {
		t.Errorf("Content-Disposition %q", cd)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	text := poppler(t, "pdftotext", "-layout", pdfPath, "-")
	squeezed := strings.Join(strings.Fields(text), "")
	want := []string{countyName, "居家养老服务中心", "缺口排名", "无建议选址", "2000 m"}
	gaps := 0
	for _, tw := range towns {
		if tw.rank != nil {
			want = append(want, tw.name)
			gaps++
		}
	}
	if gaps == 0 {
		t.Fatal("the demo run has no gaps in the county: the test proves nothing")
	}
	for _, s := range want {
		if !strings.Contains(text, s) && !strings.Contains(squeezed, strings.ReplaceAll(s, " ", "")) {
			t.Errorf("pdftotext has no %q", s)
		}
	}
	fonts := poppler(t, "pdffonts", pdfPath)
	if !regexp.MustCompile(`(?m)^\S*droidsansfallback\s+CID TrueType\s+Identity-H\s+yes\s`).MatchString(fonts) {
		t.Errorf("pdffonts lists no embedded Chinese font:\n%s", fonts)
	}
	const dpi = 100.0
	poppler(t, "pdftoppm", "-png", "-r", strconv.Itoa(int(dpi)), "-f", "1", "-l", "1", "-singlefile", pdfPath, filepath.Join(dir, "page1"))
	img := readPNG(t, filepath.Join(dir, "page1.png"))
	if os.Getenv("FANGYUAN_UPDATE_SCREENSHOT") != "" {
		poppler(t, "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdfPath, filepath.Join("..", "..", "docs", "report-example"))
	}
	// The map's projection as the report documents it: equirectangular scaled by
	// the cosine of the centre latitude, fitted with MapPad inside the frame.
	lon0, lat0 := (minX+maxX)/2, (minY+maxY)/2
	cos := math.Cos(lat0 * math.Pi / 180)
	k := math.Min((report.MapW-2*report.MapPad)/((maxX-minX)*cos), (report.MapH-2*report.MapPad)/(maxY-minY))
	toPx := func(lon, lat float64) (int, int) {
		x := report.MapX + report.MapW/2 + (lon-lon0)*cos*k
		y := report.MapY + report.MapH/2 - (lat-lat0)*k
		return int(x / 25.4 * dpi), int(y / 25.4 * dpi)
	}
	// The classes for the 90 % target, by hand.
	classes := [][3]uint8{{215, 48, 39}, {252, 141, 89}, {254, 224, 139}, {26, 152, 80}}
	classOf := func(s float64) int {
		switch {
		case s < 0.5:
			return 0
		case s < 0.75:
			return 1
		case s < 0.9:
			return 2
		}
		return 3
	}
	seen := map[int]bool{}
	for _, tw := range towns {
		x, y := toPx(tw.px, tw.py)
		counts := make([]int, len(classes))
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				r, g, b, _ := img.At(x+dx, y+dy).RGBA()
				for i, c := range classes {
					if uint8(r>>8) == c[0] && uint8(g>>8) == c[1] && uint8(b>>8) == c[2] {
						counts[i]++
					}
				}
			}
		}
		best := 0
		for i := range counts {
			if counts[i] > counts[best] {
				best = i
			}
		}
		want := classOf(tw.share)
		seen[want] = true
		if counts[want] == 0 || best != want {
			t.Errorf("%s %s (share %.3f): map pixels near (%d, %d) by class %v, want class %d", tw.code, tw.name, tw.share, x, y, counts, want)
		}
	}
	if len(seen) < 2 {
		t.Errorf("the demo county's townships fall in %d colour class: the map check is weak", len(seen))
	}
	// Operating facilities are drawn as blue dots inside the frame.
	var operating int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_run_facility WHERE run_id = $1 AND counted`, run.ID).Scan(&operating); err != nil {
		t.Fatal(err)
	}
	x0, y0 := toPx(minX, maxY)
	x1, y1 := toPx(maxX, minY)
	blue := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if [3]int{int(r >> 8), int(g >> 8), int(b >> 8)} == report.FacilityRGB {
				blue++
			}
		}
	}
	if operating == 0 || blue < 4*operating {
		t.Errorf("%d operating facilities, %d facility-blue pixels on the map", operating, blue)
	}

	// XLSX: the same tables.
	code, h, xl := get(base + ".xlsx?county=339901000000")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("report.xlsx: %d %s %.300s", code, h.Get("Content-Type"), xl)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{report.SheetTownships, report.SheetGaps, report.SheetSites, report.SheetStandards}; !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	sheet := func(name string) [][]string {
		r, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tr := sheet(report.SheetTownships)
	if len(tr) != 1+len(towns) {
		t.Fatalf("townships sheet: %d rows for %d townships", len(tr)-1, len(towns))
	}
	for i, tw := range towns {
		r := append(tr[i+1], make([]string, 12)...)
		rank := ""
		if tw.rank != nil {
			rank = strconv.Itoa(*tw.rank)
		}
		got := []string{r[0], r[1], r[3], r[4], r[6], r[9], r[10]}
		exp := []string{tw.code, tw.name, fmt.Sprint(math.Round(tw.pop)), fmt.Sprint(math.Round(tw.covered)),
			strconv.FormatFloat(math.Round(tw.share*1e4)/1e4, 'f', -1, 64), strings.Join(tw.flags, ";"), rank}
		if !slices.Equal(got, exp) {
			t.Errorf("township row %d: %v, want %v", i+1, got, exp)
		}
	}
	var wantGaps [][]string
	grows, err := pool.Query(ctx, `
SELECT rank, code, name, round(uncovered)::bigint FROM coverage_run_unit
WHERE run_id = $1 AND rank IS NOT NULL AND ((level = 4 AND parent_code = $2) OR (level = 3 AND code = $2 || '000000'))
ORDER BY rank`, run.ID, reportCounty)
	if err != nil {
		t.Fatal(err)
	}
	for grows.Next() {
		var rank int
		var code, name string
		var unc int64
		if err := grows.Scan(&rank, &code, &name, &unc); err != nil {
			t.Fatal(err)
		}
		wantGaps = append(wantGaps, []string{strconv.Itoa(rank), code, name, strconv.FormatInt(unc, 10)})
	}
	if err := grows.Err(); err != nil {
		t.Fatal(err)
	}
	gr := sheet(report.SheetGaps)
	var gotGaps [][]string
	for _, r := range gr[1:] {
		gotGaps = append(gotGaps, []string{r[0], r[2], r[3], r[5]})
	}
	if !slices.EqualFunc(gotGaps, wantGaps, slices.Equal) {
		t.Errorf("gaps sheet %v\nwant (SQL) %v", gotGaps, wantGaps)
	}
	if s := sheet(report.SheetSites); len(s) != 2 || s[1][0] != "无建议选址 / no suggestions" {
		t.Errorf("sites sheet %v", s)
	}
	std := sheet(report.SheetStandards)
	if !slices.ContainsFunc(std, func(r []string) bool { return len(r) > 1 && r[1] == "2000 m" }) {
		t.Errorf("standards sheet has no 2000 m radius: %v", std)
	}

	// Suggested sites from a SiteSource: listed in both files, and its error is the request's.
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit
  WHERE code = '339901102000' AND valid_to IS NULL) x`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		asked []string
	)
	a.Runs.SetSiteSource(func(_ context.Context, id int64, county string) ([]report.Site, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, fmt.Sprint(id, "/", county))
		if county == "339901" {
			return []report.Site{{Label: "新址1", Lon: lon, Lat: lat, TownshipCode: "339901102000", TownshipName: "枫渡镇", Added: 4321}}, nil
		}
		return nil, fmt.Errorf("planner down")
	})
	code, _, pdf = get(base + ".pdf?county=339901000000")
	if code != 200 {
		t.Fatalf("report.pdf with sites: %d", code)
	}
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	text = poppler(t, "pdftotext", "-layout", pdfPath, "-")
	if !strings.Contains(text, "新址1") || !strings.Contains(text, "4,321") || strings.Contains(text, "无建议选址") {
		t.Errorf("the PDF does not list the suggested site:\n%s", text)
	}
	code, _, xl = get(base + ".xlsx?county=339901")
	if code != 200 {
		t.Fatalf("report.xlsx with sites: %d", code)
	}
	fs, err := excelize.OpenReader(bytes.NewReader(xl))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if r, err := fs.GetRows(report.SheetSites, excelize.Options{RawCellValue: true}); err != nil || len(r) != 2 || r[1][0] != "新址1" || r[1][5] != "4321" {
		t.Errorf("sites sheet %v %v", r, err)
	}
	mu.Lock()
	if want := []string{fmt.Sprint(run.ID, "/339901"), fmt.Sprint(run.ID, "/339901")}; !slices.Equal(asked, want) {
		t.Errorf("the site source was asked %v, want %v", asked, want)
	}
	mu.Unlock()
	a.Runs.SetSiteSource(func(context.Context, int64, string) ([]report.Site, error) { return nil, fmt.Errorf("planner down") })
	if code, h, b := get(base + ".pdf?county=339901"); code != 500 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("a failing site source: %d %s %s", code, h.Get("Content-Type"), b)
	}
	a.Runs.SetSiteSource(nil)

	// Bad requests.
	for _, c := range []struct {
		path  string
		code  int
		field string
	}{
		{base + ".pdf", 400, "county"},
		{base + ".xlsx?county=", 400, "county"},
		{base + ".pdf?county=999999", 404, ""},
		{"/api/coverage/runs/999999/report.pdf?county=339901", 404, ""},
	} {
		code, h, b := get(c.path)
		if code != c.code || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(string(b), `"field":"`+c.field) && c.field != "" {
			t.Errorf("%s: %d %s %s, want %d", c.path, code, h.Get("Content-Type"), b, c.code)
		}
	}
}

func poppler(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: install the Debian package poppler-utils (make deps)", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
