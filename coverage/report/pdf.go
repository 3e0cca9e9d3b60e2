package report

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// The county report is an A4 PDF (portrait, millimetres): a title, a map of the
// county's townships coloured by covered share (vector paths) with facilities,
// suggested sites, legend and scale bar, then the township, gap, site and
// standards tables. It embeds two TrueType fonts read from the system: Droid
// Sans Fallback for Chinese (it has no Latin glyphs) and DejaVu Sans for the rest.

// PDFFont is a TrueType font the report embeds.
type PDFFont struct {
	Name    string   // PDF font family
	Package string   // the Debian package that ships it
	Env     string   // environment variable naming another file
	Paths   []string // where it is looked for
}

var (
	// PDFFontCJK draws the Chinese text.
	PDFFontCJK = PDFFont{"DroidSansFallback", "fonts-droid-fallback", "FANGYUAN_REPORT_CJK_FONT",
		[]string{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"}}
	// PDFFontLatin draws digits, codes and English.
	PDFFontLatin = PDFFont{"DejaVuSans", "fonts-dejavu-core", "FANGYUAN_REPORT_LATIN_FONT",
		[]string{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}}
)

// ErrNoFont means a font of the report was not found.
var ErrNoFont = errors.New("no TrueType font")

var pdfFonts struct {
	sync.Mutex
	data map[string][]byte
}

func loadFont(f PDFFont) ([]byte, error) {
	pdfFonts.Lock()
	defer pdfFonts.Unlock()
	if b := pdfFonts.data[f.Name]; b != nil {
		return b, nil
	}
	paths := f.Paths
	if p := os.Getenv(f.Env); p != "" {
		paths = append([]string{p}, paths...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 4 && (string(b[:4]) == "\x00\x01\x00\x00" || string(b[:4]) == "true") {
			if pdfFonts.data == nil {
				pdfFonts.data = map[string][]byte{}
			}
			pdfFonts.data[f.Name] = b
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w %s for the PDF report (looked for %s): install the Debian package %s (make deps), or set %s to a .ttf",
		ErrNoFont, f.Name, strings.Join(paths, ", "), f.Package, f.Env)
}

// Page layout (mm).
const (
	pdfPageW, pdfPageH = 210.0, 297.0
	pdfMargin          = 12.0
	// MapX, MapY, MapW, MapH are the map frame on the first page.
	MapX, MapY, MapW, MapH = pdfMargin, 38.0, pdfPageW - 2*pdfMargin, 150.0
	// MapPad is the margin kept free inside the map frame.
	MapPad  = 5.0
	rowH    = 5.2
	footerY = pdfPageH - 8
)

// ShareClass is a colour class of the choropleth: townships whose covered share
// is in [Lo, Hi) (Hi = 1 includes 1) are filled with RGB.
type ShareClass struct {
	Lo, Hi float64
	RGB    [3]int
	Label  string
}

// ShareClasses are the choropleth's classes for a target share: below 50 %,
// 50–75 %, 75 % to the target, and meeting the target (breaks at or above the
// target are dropped).
func ShareClasses(target float64) []ShareClass {
	colours := [][3]int{{215, 48, 39}, {252, 141, 89}, {254, 224, 139}}
	breaks := []float64{0}
	for _, b := range []float64{0.5, 0.75} {
		if b < target {
			breaks = append(breaks, b)
		}
	}
	breaks = append(breaks, target)
	var cs []ShareClass
	for i := 0; i+1 < len(breaks); i++ {
		cs = append(cs, ShareClass{Lo: breaks[i], Hi: breaks[i+1], RGB: colours[len(colours)-(len(breaks)-1)+i],
			Label: fmt.Sprintf("%.0f–%.0f %%", 100*breaks[i], 100*breaks[i+1])})
	}
	cs = append(cs, ShareClass{Lo: target, Hi: 1, RGB: [3]int{26, 152, 80}, Label: fmt.Sprintf("≥ %.0f %% 达标 meets target", 100*target)})
	return cs
}

// classOf is the index of the class of share s.
func classOf(cs []ShareClass, s float64) int {
	for i, c := range cs {
		if s < c.Hi {
			return i
		}
	}
	return len(cs) - 1
}

// Marker colours of the map.
var (
	FacilityRGB     = [3]int{31, 78, 160}   // operating facility (filled circle)
	NotOperatingRGB = [3]int{120, 120, 120} // planned or closed (hollow circle)
	SiteRGB         = [3]int{200, 0, 160}   // suggested site (triangle)
)

// mapFrame projects WGS84 onto the map frame: equirectangular, scaled by the
// cosine of the centre latitude, fitted and centred.
type mapFrame struct {
	lon0, lat0, cos, k, cx, cy float64
}

func newMapFrame(b orb.Bound) mapFrame {
	c := b.Center()
	f := mapFrame{lon0: c[0], lat0: c[1], cos: math.Cos(c[1] * math.Pi / 180)}
	w := (b.Max[0] - b.Min[0]) * f.cos
	h := b.Max[1] - b.Min[1]
	w, h = math.Max(w, 1e-6), math.Max(h, 1e-6)
	f.k = math.Min((MapW-2*MapPad)/w, (MapH-2*MapPad)/h)
	f.cx, f.cy = MapX+MapW/2, MapY+MapH/2
	return f
}

func (f mapFrame) xy(p orb.Point) (float64, float64) {
	return f.cx + (p[0]-f.lon0)*f.cos*f.k, f.cy - (p[1]-f.lat0)*f.k
}

// MapPoint is where (lon, lat) falls on the first page of c's PDF, in mm from
// the top left corner.
func (c *County) MapPoint(lon, lat float64) (x, y float64) {
	return newMapFrame(c.Bound()).xy(orb.Point{lon, lat})
}

// pdfDoc draws mixed Chinese/Latin text.
type pdfDoc struct {
	pdf  *fpdf.Fpdf
	size float64
}

func isCJK(r rune) bool { return r >= 0x2E80 }

func textRuns(s string, fn func(cjk bool, run string)) {
	start, cur := 0, false
	for i, r := range s {
		c := isCJK(r)
		if i > start && c != cur {
			fn(cur, s[start:i])
			start = i
		}
		cur = c
	}
	if start < len(s) {
		fn(cur, s[start:])
	}
}

func (d *pdfDoc) font(cjk bool) {
	if cjk {
		d.pdf.SetFont(PDFFontCJK.Name, "", d.size)
	} else {
		d.pdf.SetFont(PDFFontLatin.Name, "", d.size)
	}
}

func (d *pdfDoc) width(s string) float64 {
	w := 0.0
	textRuns(s, func(cjk bool, run string) { d.font(cjk); w += d.pdf.GetStringWidth(run) })
	return w
}

func (d *pdfDoc) text(x, y float64, s string) {
	textRuns(s, func(cjk bool, run string) {
		d.font(cjk)
		d.pdf.Text(x, y, run)
		x += d.pdf.GetStringWidth(run)
	})
}

// wrap breaks s into lines no wider than width at the current size, at
// spaces where it can, else between characters.
func (d *pdfDoc) wrap(s string, width float64) []string {
	var lines []string
	for s != "" {
		if d.width(s) <= width {
			return append(lines, s)
		}
		// The longest prefix that fits, backed off to a space when there is one.
		cut, lastSpace := 0, -1
		for i, r := range s {
			if d.width(s[:i+len(string(r))]) > width {
				break
			}
			cut = i + len(string(r))
			if r == ' ' {
				lastSpace = i
			}
		}
		if cut == 0 {
			_, n := utf8.DecodeRuneInString(s)
			cut = n
		}
		if lastSpace > 0 && lastSpace > cut/2 {
			cut = lastSpace
		}
		lines = append(lines, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	return lines
}

// fitText draws s at size (shrunk down to 4.5 pt to fit width) aligned
// left (L), right (R) or centred (C) in [x, x+width].
func (d *pdfDoc) fitText(x, y, width, size float64, align byte, s string) {
	for d.size = size; d.size > 4.5 && d.width(s) > width; d.size -= 0.25 {
	}
	switch align {
	case 'R':
		x += width - d.width(s)
	case 'C':
		x += (width - d.width(s)) / 2
	}
	d.text(x, y, s)
}

// table draws rows under a header, breaking pages as needed; sub, when not
// nil, gives a full-width second line under a row (small type).
type column struct {
	head  string
	width float64
	align byte
}

func (d *pdfDoc) heading(y *float64, s string) {
	d.ensure(y, 2*rowH+8)
	*y += 4
	d.pdf.SetTextColor(0, 0, 0)
	d.size = 11
	d.text(pdfMargin, *y+4, s)
	*y += 7
}

// ensure starts a new page when fewer than need mm remain.
func (d *pdfDoc) ensure(y *float64, need float64) {
	if *y+need > footerY-4 {
		d.pdf.AddPage()
		d.pdf.SetTextColor(0, 0, 0)
		*y = pdfMargin
	}
}

func (d *pdfDoc) table(y *float64, cols []column, rows [][]string, sub []string) {
	header := func() {
		x := pdfMargin
		d.pdf.SetFillColor(221, 235, 247)
		d.pdf.Rect(pdfMargin, *y, pdfPageW-2*pdfMargin, rowH, "F")
		d.pdf.SetTextColor(0, 0, 0)
		for _, c := range cols {
			d.fitText(x+1, *y+rowH-1.5, c.width-2, 7, c.align, c.head)
			x += c.width
		}
		*y += rowH
	}
	d.ensure(y, 2*rowH)
	header()
	subW := pdfPageW - 2*pdfMargin - cols[0].width - 1
	for i, r := range rows {
		h := rowH
		var lines []string
		if sub != nil && sub[i] != "" {
			d.size = 6
			lines = d.wrap(sub[i], subW)
			h += 3 * float64(len(lines))
		}
		if *y+h > footerY-4 {
			d.pdf.AddPage()
			*y = pdfMargin
			header()
		}
		if i%2 == 1 {
			d.pdf.SetFillColor(245, 245, 245)
			d.pdf.Rect(pdfMargin, *y, pdfPageW-2*pdfMargin, h, "F")
		}
		x := pdfMargin
		d.pdf.SetTextColor(0, 0, 0)
		for j, c := range cols {
			d.fitText(x+1, *y+rowH-1.5, c.width-2, 7.5, c.align, r[j])
			x += c.width
		}
		d.pdf.SetTextColor(80, 80, 80)
		for k, line := range lines {
			d.size = 6
			d.text(pdfMargin+cols[0].width, *y+rowH+2+3*float64(k), line)
		}
		d.pdf.SetDrawColor(200, 200, 200)
		d.pdf.SetLineWidth(0.1)
		d.pdf.Line(pdfMargin, *y+h, pdfPageW-pdfMargin, *y+h)
		*y += h
	}
}

// WriteCountyPDF writes c as an A4 PDF report with the fonts embedded (subset).
func WriteCountyPDF(w io.Writer, c *County) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	title := fmt.Sprintf("%s %s覆盖分析报告", c.Name, c.KindName())
	pdf.SetTitle(title, true)
	pdf.SetSubject("Fangyuan coverage report, county "+c.Code+", kind "+c.Result.Standard.ID, true)
	pdf.SetCreator("fangyuan", true)
	pdf.SetAutoPageBreak(false, 0)
	for _, f := range []PDFFont{PDFFontCJK, PDFFontLatin} {
		b, err := loadFont(f)
		if err != nil {
			return err
		}
		pdf.AddUTF8FontFromBytes(f.Name, "", b)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("font: %w", err)
	}
	d := &pdfDoc{pdf: pdf}
	pdf.SetFooterFunc(func() {
		pdf.SetTextColor(110, 110, 110)
		d.size = 7
		d.text(pdfMargin, footerY+3, fmt.Sprintf("方圆 Fangyuan · %s %s · %s", c.Code, c.Name, c.Result.Standard.ID))
		s := fmt.Sprintf("第 %d 页 page %d", pdf.PageNo(), pdf.PageNo())
		d.text(pdfPageW-pdfMargin-d.width(s), footerY+3, s)
	})
	pdf.AddPage()

	// Title block.
	res := c.Result
	pdf.SetTextColor(0, 0, 0)
	d.fitText(pdfMargin, 19, pdfPageW-2*pdfMargin, 17, 'L', title)
	var meta []string
	if c.Meta.RunID > 0 {
		meta = append(meta, fmt.Sprintf("运行 run #%d", c.Meta.RunID))
	}
	if c.Meta.RunDate != "" {
		meta = append(meta, "运行日期 run date "+c.Meta.RunDate)
	}
	if c.Meta.AsOf != "" {
		meta = append(meta, "边界日期 boundaries as of "+c.Meta.AsOf)
	}
	if c.Meta.StandardsVersion > 0 {
		meta = append(meta, fmt.Sprintf("标准版本 standards v%d", c.Meta.StandardsVersion))
	}
	meta = append(meta, "县代码 county "+c.Code, res.Standard.ID)
	pdf.SetTextColor(60, 60, 60)
	d.fitText(pdfMargin, 26, pdfPageW-2*pdfMargin, 8, 'L', strings.Join(meta, " · "))
	var pop, cov float64
	flagged := 0
	for _, u := range c.Townships {
		pop += u.Population
		cov += u.Covered
		if len(u.Flags) > 0 {
			flagged++
		}
	}
	operating := 0
	for _, f := range c.Facilities {
		if f.Counted {
			operating++
		}
	}
	shr := 1.0
	if pop > 0 {
		shr = cov / pop
	}
	pdf.SetTextColor(0, 0, 0)
	d.fitText(pdfMargin, 32, pdfPageW-2*pdfMargin, 8.5, 'L', fmt.Sprintf("人口 population (%s) %s · 覆盖 covered %s (%.1f %%) · 目标 target %.0f %% · 乡镇 townships %d, 标记 flagged %d · 运营设施 operating facilities %d",
		res.Layer, fmtCount(pop), fmtCount(cov), 100*shr, 100*res.Target, len(c.Townships), flagged, operating))

	classes := ShareClasses(res.Target)
	drawMap(d, c, classes)
	y := MapY + MapH + 3
	drawLegend(d, &y, c, classes)

	// Tables.
	d.heading(&y, "乡镇覆盖 Coverage by township")
	cols := []column{{"代码 code", 22, 'L'}, {"名称 name", 26, 'L'}, {"人口 population", 22, 'R'}, {"覆盖 covered", 20, 'R'},
		{"覆盖率 share", 17, 'R'}, {"设施 facilities", 15, 'R'}, {"标记 flags", 64, 'L'}}
	var rows [][]string
	for _, u := range c.Townships {
		rows = append(rows, []string{u.Code, u.Name, fmtCount(u.Population), fmtCount(u.Covered), fmtShare(u.Share), fmt.Sprint(u.Facilities), flagsZh(u.Flags)})
	}
	d.table(&y, cols, rows, nil)

	d.heading(&y, "缺口排名 Gap ranking (most people not covered first)")
	if len(c.Gaps) == 0 {
		d.size = 8
		d.text(pdfMargin, y+4, "无缺口 no gaps: every township meets the standard")
		y += 6
	} else {
		cols = []column{{"排名 rank", 12, 'R'}, {"级别 level", 18, 'L'}, {"代码 code", 22, 'L'}, {"名称 name", 24, 'L'},
			{"未覆盖 uncovered", 22, 'R'}, {"覆盖率 share", 17, 'R'}, {"设施 facilities", 15, 'R'}, {"标记 flags", 56, 'L'}}
		rows = rows[:0]
		var sub []string
		for _, g := range c.Gaps {
			rows = append(rows, []string{fmt.Sprint(g.Rank), levelName(g.Level), g.Code, g.Name, fmtCount(g.Uncovered), fmtShare(g.Share), fmt.Sprint(g.Facilities), flagsZh(g.Flags)})
			sub = append(sub, g.Detail)
		}
		d.table(&y, cols, rows, sub)
		y += 1
		pdf.SetTextColor(90, 90, 90)
		d.size = 6.5
		d.text(pdfMargin, y+3, "排名为全次运行的排名 rank: the unit's place in the whole run's gap list")
		y += 4
	}

	d.heading(&y, "建议选址 Suggested sites")
	if len(c.Sites) == 0 {
		pdf.SetTextColor(0, 0, 0)
		d.size = 8
		d.text(pdfMargin, y+4, "无建议选址 / no suggestions")
		y += 6
	} else {
		cols = []column{{"编号 label", 20, 'L'}, {"乡镇代码 township", 28, 'L'}, {"乡镇 name", 32, 'L'}, {"经度 lon", 26, 'R'},
			{"纬度 lat", 26, 'R'}, {"新增覆盖 adds covered", 34, 'R'}}
		rows = rows[:0]
		for _, s := range c.Sites {
			rows = append(rows, []string{s.Label, s.TownshipCode, s.TownshipName, fmt.Sprintf("%.6f", s.Lon), fmt.Sprintf("%.6f", s.Lat), fmtCount(s.Added)})
		}
		d.table(&y, cols, rows, nil)
	}

	d.heading(&y, "适用标准 Standards applied")
	rows = rows[:0]
	for _, s := range c.Standards() {
		rows = append(rows, []string{s[0], s[1]})
	}
	d.table(&y, []column{{"项目 item", 50, 'L'}, {"内容 value", pdfPageW - 2*pdfMargin - 50, 'L'}}, rows, nil)
	if len(res.Notes) > 0 {
		d.heading(&y, "说明 Notes")
		pdf.SetTextColor(40, 40, 40)
		for _, n := range res.Notes {
			d.size = 7
			for _, line := range d.wrap("· "+n, pdfPageW-2*pdfMargin) {
				d.ensure(&y, 4)
				pdf.SetTextColor(40, 40, 40)
				d.size = 7
				d.text(pdfMargin, y+3.2, line)
				y += 3.6
			}
			y += 0.8
		}
	}
	return pdf.Output(w)
}

// drawMap draws the townships as filled vector paths, their names, the
// facilities and the suggested sites, clipped to the map frame.
func drawMap(d *pdfDoc, c *County, classes []ShareClass) {
	pdf := d.pdf
	f := newMapFrame(c.Bound())
	pdf.SetDrawColor(90, 90, 90)
	pdf.SetLineWidth(0.3)
	pdf.Rect(MapX, MapY, MapW, MapH, "D")
	pdf.ClipRect(MapX, MapY, MapW, MapH, false)
	pdf.SetLineJoinStyle("round")
	for _, u := range c.Townships {
		rgb := classes[classOf(classes, u.Share)].RGB
		pdf.SetFillColor(rgb[0], rgb[1], rgb[2])
		pdf.SetDrawColor(255, 255, 255)
		pdf.SetLineWidth(0.35)
		for _, poly := range c.Geometry[u.Code] {
			for _, ring := range poly {
				for i, p := range ring {
					x, y := f.xy(p)
					if i == 0 {
						pdf.MoveTo(x, y)
					} else {
						pdf.LineTo(x, y)
					}
				}
				pdf.ClosePath()
			}
		}
		pdf.DrawPath("B*")
	}
	// Township names at the centroid of each township's largest part.
	pdf.SetTextColor(30, 30, 30)
	for _, u := range c.Townships {
		var best orb.Polygon
		for _, poly := range c.Geometry[u.Code] {
			if best == nil || planar.Area(poly) > planar.Area(best) {
				best = poly
			}
		}
		p, _ := planar.CentroidArea(best)
		x, y := f.xy(p)
		d.size = 6.5
		d.text(x-d.width(u.Name)/2, y+1, u.Name)
	}
	b := orb.Bound{Min: orb.Point{MapX, MapY}, Max: orb.Point{MapX + MapW, MapY + MapH}}
	for _, fr := range c.Result.Facilities {
		x, y := f.xy(orb.Point(fr.Location))
		if !b.Contains(orb.Point{x, y}) {
			continue
		}
		if fr.Counted {
			pdf.SetFillColor(FacilityRGB[0], FacilityRGB[1], FacilityRGB[2])
			pdf.SetDrawColor(255, 255, 255)
			pdf.SetLineWidth(0.25)
			pdf.Circle(x, y, 1.2, "FD")
		} else {
			pdf.SetDrawColor(NotOperatingRGB[0], NotOperatingRGB[1], NotOperatingRGB[2])
			pdf.SetLineWidth(0.35)
			pdf.Circle(x, y, 1.1, "D")
		}
	}
	for _, s := range c.Sites {
		x, y := f.xy(orb.Point{s.Lon, s.Lat})
		siteMarker(pdf, x, y, 2)
		pdf.SetTextColor(SiteRGB[0], SiteRGB[1], SiteRGB[2])
		d.size = 6.5
		d.text(x+2.2, y-1.2, s.Label)
	}
	pdf.ClipEnd()
	drawScaleBar(d, f)
	// North arrow.
	nx, ny := MapX+MapW-8, MapY+6
	pdf.SetFillColor(40, 40, 40)
	pdf.Polygon([]fpdf.PointType{{X: nx, Y: ny}, {X: nx - 2, Y: ny + 6}, {X: nx, Y: ny + 4.5}, {X: nx + 2, Y: ny + 6}}, "F")
	pdf.SetTextColor(40, 40, 40)
	d.size = 7
	d.text(nx-d.width("N")/2, ny+9.5, "N")
}

func siteMarker(pdf *fpdf.Fpdf, x, y, r float64) {
	pdf.SetFillColor(SiteRGB[0], SiteRGB[1], SiteRGB[2])
	pdf.SetDrawColor(255, 255, 255)
	pdf.SetLineWidth(0.25)
	pdf.Polygon([]fpdf.PointType{{X: x, Y: y - r}, {X: x - r*0.9, Y: y + r*0.6}, {X: x + r*0.9, Y: y + r*0.6}}, "FD")
}

// drawScaleBar draws a bar of a round length at the map's bottom left: the
// length along the centre parallel (geodesic on WGS84).
func drawScaleBar(d *pdfDoc, f mapFrame) {
	pdf := d.pdf
	// metres per mm along the centre parallel.
	mPerMM := geo.DistanceHaversine(orb.Point{f.lon0, f.lat0}, orb.Point{f.lon0 + 1, f.lat0}) / (f.cos * f.k)
	want := mPerMM * MapW / 4
	length := 1.0
	for _, m := range []float64{1, 2, 5} {
		for e := 1.0; e <= 1e6; e *= 10 {
			if m*e <= want && m*e > length {
				length = m * e
			}
		}
	}
	mm := length / mPerMM
	x, y := MapX+5, MapY+MapH-6
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(x-2, y-6, mm+4+14, 9, "F")
	pdf.SetFillColor(30, 30, 30)
	pdf.Rect(x, y, mm/2, 1.2, "F")
	pdf.SetDrawColor(30, 30, 30)
	pdf.SetLineWidth(0.2)
	pdf.Rect(x, y, mm, 1.2, "D")
	label := fmt.Sprintf("%g km", length/1000)
	if length < 1000 {
		label = fmt.Sprintf("%g m", length)
	}
	pdf.SetTextColor(30, 30, 30)
	d.size = 6.5
	d.text(x, y-1.5, "0")
	d.text(x+mm-d.width(label)/2, y-1.5, label)
	d.text(x+mm+3, y+1.5, "比例尺")
}

// drawLegend writes the colour classes and the markers under the map.
func drawLegend(d *pdfDoc, y *float64, c *County, classes []ShareClass) {
	pdf := d.pdf
	x := pdfMargin
	pdf.SetTextColor(0, 0, 0)
	d.size = 7
	d.text(x, *y+3.2, "覆盖率 covered share:")
	x += d.width("覆盖率 covered share:") + 2
	for _, cl := range classes {
		pdf.SetFillColor(cl.RGB[0], cl.RGB[1], cl.RGB[2])
		pdf.Rect(x, *y+0.5, 5, 3.5, "F")
		x += 6
		d.size = 7
		d.text(x, *y+3.2, cl.Label)
		x += d.width(cl.Label) + 4
	}
	*y += 5.5
	x = pdfMargin
	pdf.SetFillColor(FacilityRGB[0], FacilityRGB[1], FacilityRGB[2])
	pdf.SetDrawColor(255, 255, 255)
	pdf.Circle(x+1.5, *y+2, 1.2, "FD")
	d.size = 7
	pdf.SetTextColor(0, 0, 0)
	d.text(x+4, *y+3.2, "运营设施 operating facility")
	x += 6 + d.width("运营设施 operating facility")
	pdf.SetDrawColor(NotOperatingRGB[0], NotOperatingRGB[1], NotOperatingRGB[2])
	pdf.SetLineWidth(0.35)
	pdf.Circle(x+1.5, *y+2, 1.1, "D")
	d.text(x+4, *y+3.2, "规划/停用 planned or closed (not counted)")
	x += 6 + d.width("规划/停用 planned or closed (not counted)")
	siteMarker(pdf, x+1.5, *y+2.2, 1.8)
	pdf.SetTextColor(0, 0, 0)
	s := fmt.Sprintf("建议选址 suggested site (%d)", len(c.Sites))
	d.text(x+4, *y+3.2, s)
	*y += 5.5
	pdf.SetTextColor(90, 90, 90)
	d.size = 6.5
	d.text(pdfMargin, *y+2.5, "示意图 sketch map: WGS84, equirectangular; 服务范围 reach: "+c.Result.Reach)
	*y += 4
}

func fmtCount(v float64) string {
	s := fmt.Sprintf("%d", persons(v))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtShare(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }
