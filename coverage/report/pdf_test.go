package report

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"fangyuan/coverage"
	"fangyuan/coverage/inputs"
	"fangyuan/internal/testenv"
)

func demoTownshipGeoms(t *testing.T) map[string]orb.MultiPolygon {
	t.Helper()
	us, err := inputs.LoadUnits(hostFS{}, filepath.Join(testenv.RepoRoot(t), "data", "demo", "boundaries", "townships.geojson"), "townships", inputs.UnitFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := map[string]orb.MultiPolygon{}
	for _, u := range us {
		g[u.Code] = u.Geometry
	}
	return g
}

func tool(t *testing.T, name string, args ...string) string {
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

// renderPage1 writes c as PDF, renders page 1 at dpi and returns the PDF's
// text and the page image.
func renderPage1(t *testing.T, c *County, dpi int) (string, image.Image, int) {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := WriteCountyPDF(&buf, c); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tool(t, "pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", path, filepath.Join(dir, "p"))
	fh, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	info := tool(t, "pdfinfo", path)
	pages := 0
	for _, l := range strings.Split(info, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Pages:" {
			pages, _ = strconv.Atoi(f[1])
		}
	}
	return tool(t, "pdftotext", "-layout", path, "-"), img, pages
}

// countRGB counts the pixels of colour c inside the map frame.
func countRGB(img image.Image, dpi int, c [3]int) int {
	px := func(mm float64) int { return int(mm / 25.4 * float64(dpi)) }
	n := 0
	for y := px(MapY) + 2; y < px(MapY+MapH)-2; y++ {
		for x := px(MapX) + 2; x < px(MapX+MapW)-2; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if int(r>>8) == c[0] && int(g>>8) == c[1] && int(b>>8) == c[2] {
				n++
			}
		}
	}
	return n
}

// TestCountyPDFSites: suggested sites given to the report are listed (labels,
// townships, added population) and drawn as markers of their own colour at
// their place on the map; without sites the report says so and the map has
// no site marker. The tables run onto a second page.
func TestCountyPDFSites(t *testing.T) {
	res := demoResult(t, "eldercare_center")
	geoms := demoTownshipGeoms(t)
	// Two sites inside 枫渡镇 and 雾岭乡 (hand-picked points inside their boundaries).
	sites := []Site{
		{Label: "甲1", Lon: 119.88, Lat: 28.24, TownshipCode: "339901102", TownshipName: "枫渡镇", Added: 4321.4},
		{Lon: 119.70, Lat: 28.36, TownshipCode: "339901200", TownshipName: "雾岭乡", Added: 987},
	}
	for _, s := range sites {
		var in bool
		for _, p := range geoms[s.TownshipCode] {
			in = in || polygonContains(p, orb.Point{s.Lon, s.Lat})
		}
		if !in {
			t.Fatalf("test data: site %v is not inside %s", s, s.TownshipName)
		}
	}
	c, err := NewCounty(res, "339901", geoms, sites, Meta{RunID: 7, RunDate: "2026-12-01", AsOf: "2023-06-30", StandardsVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	const dpi = 100
	text, img, pages := renderPage1(t, c, dpi)
	for _, s := range []string{"甲1", "S2", "4,321", "987", "建议选址 suggested site (2)", "运行 run #7", "2023-06-30"} {
		if !strings.Contains(text, s) {
			t.Errorf("pdftotext has no %q", s)
		}
	}
	if strings.Contains(text, "无建议选址") {
		t.Error("the report with sites says there are none")
	}
	if pages < 2 {
		t.Errorf("%d pages: the tables should run onto page 2", pages)
	}
	// The marker at each site: site-coloured pixels right at its place.
	for _, s := range sites {
		x, y := c.MapPoint(s.Lon, s.Lat)
		px, py := int(x/25.4*dpi), int(y/25.4*dpi)
		n := 0
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				r, g, b, _ := img.At(px+dx, py+dy).RGBA()
				if [3]int{int(r >> 8), int(g >> 8), int(b >> 8)} == SiteRGB {
					n++
				}
			}
		}
		if n < 5 {
			t.Errorf("site %s: %d site-coloured pixels at (%d, %d)", s.Label, n, px, py)
		}
	}

	none, err := NewCounty(res, "339901000000", geoms, nil, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	text, img, _ = renderPage1(t, none, dpi)
	if !strings.Contains(text, "无建议选址 / no suggestions") {
		t.Error("the report without sites does not say 无建议选址 / no suggestions")
	}
	if n := countRGB(img, dpi, SiteRGB); n != 0 {
		t.Errorf("%d site-coloured pixels on the map of a report without sites", n)
	}
	if n := countRGB(img, dpi, FacilityRGB); n == 0 {
		t.Error("no facility on the map")
	}

	// The XLSX sites sheet lists the sites as given.
	var buf bytes.Buffer
	if err := WriteCountyXLSX(&buf, c); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetSites, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"编号 label", "乡镇代码 township", "乡镇 township name", "经度 lon", "纬度 lat", "新增覆盖 adds covered"},
		{"甲1", "339901102", "枫渡镇", "119.88", "28.24", "4321"},
		{"S2", "339901200", "雾岭乡", "119.7", "28.36", "987"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("sites sheet %v, want %v", rows, want)
	}
}

// polygonContains is an even-odd ray test (independent of the engine's).
func polygonContains(p orb.Polygon, pt orb.Point) bool {
	in := false
	for _, ring := range p {
		for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
			a, b := ring[i], ring[j]
			if (a[1] > pt[1]) != (b[1] > pt[1]) && pt[0] < (b[0]-a[0])*(pt[1]-a[1])/(b[1]-a[1])+a[0] {
				in = !in
			}
		}
	}
	return in
}

func TestNewCountyErrors(t *testing.T) {
	res := demoResult(t, "eldercare_center")
	geoms := demoTownshipGeoms(t)
	if _, err := NewCounty(res, "339902", geoms, nil, Meta{}); !errors.Is(err, ErrNoCounty) || !strings.Contains(err.Error(), "339901") {
		t.Errorf("unknown county: %v", err)
	}
	delete(geoms, "339901203")
	if _, err := NewCounty(res, "339901", geoms, nil, Meta{}); err == nil || !strings.Contains(err.Error(), "339901203") {
		t.Errorf("missing boundary: %v", err)
	}
	for in, want := range map[string]string{"339901000000": "339901", " 339901 ": "339901", "339901001000": "339901001000"} {
		if got := CountyCode(in); got != want {
			t.Errorf("CountyCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestShareClasses: the classes cover [0, 1] without gaps and end at the target.
func TestShareClasses(t *testing.T) {
	for _, c := range []struct {
		target float64
		lows   []float64
	}{{0.9, []float64{0, 0.5, 0.75, 0.9}}, {0.6, []float64{0, 0.5, 0.6}}, {0.4, []float64{0, 0.4}}, {1, []float64{0, 0.5, 0.75, 1}}} {
		cs := ShareClasses(c.target)
		var lows []float64
		for i, cl := range cs {
			lows = append(lows, cl.Lo)
			if i > 0 && cs[i-1].Hi != cl.Lo {
				t.Errorf("target %v: class %d starts at %v, the previous ends at %v", c.target, i, cl.Lo, cs[i-1].Hi)
			}
		}
		if !slices.Equal(lows, c.lows) {
			t.Errorf("target %v: classes start at %v, want %v", c.target, lows, c.lows)
		}
		if got := cs[classOf(cs, c.target)].Lo; got != c.target {
			t.Errorf("target %v: a share at the target is in the class from %v", c.target, got)
		}
		if classOf(cs, 0.0) != 0 || classOf(cs, 1.0) != len(cs)-1 {
			t.Errorf("target %v: 0 and 1 in classes %d and %d", c.target, classOf(cs, 0), classOf(cs, 1))
		}
	}
}

// TestCountyReportRuleLevels: the county report carries the gaps of every
// level a kind's rule applies to — the prefecture (地级市) for a prefecture rule
// with a maximum, villages for a share-of-villages rule — and states the rule
// with its maximum and share in Chinese and English, in the PDF as in the XLSX.
func TestCountyReportRuleLevels(t *testing.T) {
	geoms := demoTownshipGeoms(t)
	cases := []struct {
		kind   string
		facs   []coverage.Facility
		level  coverage.Level
		flag   string
		rule   []string // in the standards applied
		zhFlag string
	}{
		// Three regional child-welfare facilities in the demo county's
		// prefecture (3399): one more than the rule's maximum of 2.
		{"regional_child_welfare", []coverage.Facility{
			{ID: "R1", Name: "甲", Location: orb.Point{119.88, 28.24}},
			{ID: "R2", Name: "乙", Location: orb.Point{119.70, 28.36}},
			{ID: "R3", Name: "丙", Location: orb.Point{119.881, 28.241}},
		}, coverage.LevelPrefecture, coverage.FlagTooMany, []string{"每个地级市 1–2 个", "1–2 per prefecture"}, "设施过多"},
		// One canteen for the whole county: most villages are beyond it.
		{"elderly_canteen", []coverage.Facility{
			{ID: "C1", Name: "幸福食堂", Location: orb.Point{119.88, 28.24}},
		}, coverage.LevelTownship, coverage.FlagVillageShare, []string{"村（社区）覆盖比例", "of villages and communities"}, "村覆盖比例不足"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			res := demoResultWith(t, tc.kind, tc.facs)
			var want []coverage.Gap
			for _, g := range res.Gaps {
				if g.Level == tc.level && slices.Contains(g.Flags, tc.flag) {
					want = append(want, g)
				}
			}
			if len(want) == 0 {
				t.Fatalf("test data: the run has no %s gap flagged %s: %+v", tc.level, tc.flag, res.Gaps)
			}
			c, err := NewCounty(res, "339901", geoms, nil, Meta{RunID: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !slices.ContainsFunc(c.Gaps, func(g coverage.Gap) bool { return g.Level == w.Level && g.Code == w.Code }) {
					t.Errorf("the county report lacks the %s gap %s (%v)", w.Level, w.Code, w.Flags)
				}
			}
			var rule string
			for _, r := range c.Standards() {
				if strings.HasPrefix(r[0], "存在规则") {
					rule = r[1]
				}
			}
			for _, s := range tc.rule {
				if !strings.Contains(rule, s) {
					t.Errorf("presence rule %q lacks %q", rule, s)
				}
			}
			var buf bytes.Buffer
			if err := WriteCountyXLSX(&buf, c); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			gaps, err := f.GetRows(SheetGaps)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range gaps[1:] {
				found = found || (len(r) > 9 && r[2] == want[0].Code && strings.Contains(r[9], tc.flag) && strings.Contains(r[1], strings.Fields(levelName(tc.level))[0]))
			}
			if !found {
				t.Errorf("the XLSX gaps sheet has no row for %s %s with %s: %v", tc.level, want[0].Code, tc.flag, gaps)
			}
			// The PDF, as pdftotext reads it: the rule and the flag in Chinese.
			dir := t.TempDir()
			buf.Reset()
			if err := WriteCountyPDF(&buf, c); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "r.pdf")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(tool(t, "pdftotext", path, "-")), "")
			for _, s := range []string{tc.zhFlag, strings.ReplaceAll(tc.rule[0], " ", "")} {
				if !strings.Contains(text, s) {
					t.Errorf("pdftotext has no %q", s)
				}
			}
		})
	}
}
