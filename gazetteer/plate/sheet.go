package plate

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
)

// The sheets embed two TrueType fonts read from the system at run time: Droid Sans
// Fallback for the Chinese characters (it has no Latin glyphs) and DejaVu Sans for pinyin,
// digits and ids.
type FontSpec struct {
	Name    string   // PDF font family
	Package string   // the Debian package that ships it
	Env     string   // environment variable naming another file
	Paths   []string // where it is looked for
}

var (
	// CJKFont is the font of the Chinese text.
	CJKFont = FontSpec{"DroidSansFallback", "fonts-droid-fallback", "FANGYUAN_PLATE_FONT",
		[]string{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"}}
	// LatinFont is the font of pinyin, digits and ids.
	LatinFont = FontSpec{"DejaVuSans", "fonts-dejavu-core", "FANGYUAN_PLATE_LATIN_FONT",
		[]string{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}}
)

var fontCache struct {
	sync.Mutex
	data map[string][]byte
}

// ErrNoFont means a font of the sheets was not found.
var ErrNoFont = errors.New("no TrueType font")

// Font reads a font of the sheets from the system (once).
func Font(f FontSpec) ([]byte, error) {
	fontCache.Lock()
	defer fontCache.Unlock()
	if b := fontCache.data[f.Name]; b != nil {
		return b, nil
	}
	paths := f.Paths
	if p := os.Getenv(f.Env); p != "" {
		paths = append([]string{p}, paths...)
	}
	b, err := FontAt(f, paths)
	if err == nil {
		if fontCache.data == nil {
			fontCache.data = map[string][]byte{}
		}
		fontCache.data[f.Name] = b
	}
	return b, err
}

// FontAt reads the first of paths that is a TrueType font.
func FontAt(f FontSpec, paths []string) ([]byte, error) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 4 && (string(b[:4]) == "\x00\x01\x00\x00" || string(b[:4]) == "true") {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w %s for the plate sheet (looked for %s): install the Debian package %s (make deps), or set %s to a .ttf",
		ErrNoFont, f.Name, strings.Join(paths, ", "), f.Package, f.Env)
}

// isCJK is whether r is drawn in the Chinese font.
func isCJK(r rune) bool { return r >= 0x2E80 }

// textRuns splits s into runs of the same font.
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

// mixed draws strings in the two fonts on a PDF.
type mixed struct {
	pdf  *fpdf.Fpdf
	size float64
}

func (m *mixed) font(cjk bool) {
	if cjk {
		m.pdf.SetFont(CJKFont.Name, "", m.size)
	} else {
		m.pdf.SetFont(LatinFont.Name, "", m.size)
	}
}

func (m *mixed) width(s string) float64 {
	w := 0.0
	textRuns(s, func(cjk bool, run string) { m.font(cjk); w += m.pdf.GetStringWidth(run) })
	return w
}

func (m *mixed) text(x, y float64, s string) {
	textRuns(s, func(cjk bool, run string) {
		m.font(cjk)
		m.pdf.Text(x, y, run)
		x += m.pdf.GetStringWidth(run)
	})
}

// fit sets the largest size ≤ max at which s fits in width mm.
func (m *mixed) fit(s string, max, width float64) {
	for m.size = max; m.size > 4; m.size -= 0.5 {
		if m.width(s) <= width {
			return
		}
	}
}

// center draws s centred on cx at the largest size ≤ max that fits in width.
func (m *mixed) center(cx, y, max, width float64, s string) {
	m.fit(s, max, width)
	m.text(cx-m.width(s)/2, y, s)
}

// The GB 17733 门牌 layout on A4: 2 × 4 plates of 90 × 60 mm, white text on blue, the
// road name with its pinyin above the number, the QR code of the plate's page at the
// right with the plate id under it, the township and county at the foot.
const (
	pageW, pageH   = 210.0, 297.0
	plateW, plateH = 90.0, 60.0
	cols, rows     = 2, 4
	marginX        = 10.0
	top            = 16.0
	gapX, gapY     = 10.0, 8.0
	qrBox          = 30.0
)

var plateBlue = [3]int{0, 72, 158}

func slot(i int) (x, y float64) {
	k := i % (cols * rows)
	return marginX + float64(k%cols)*(plateW+gapX), top + float64(k/cols)*(plateH+gapY)
}

// foot is the township and county of an address (the two deepest levels above the road).
func foot(a Address) (zh, py string) {
	ds := a.Divisions
	if len(ds) > 2 {
		ds = ds[len(ds)-2:]
	}
	var z, p []string
	for i := len(ds) - 1; i >= 0; i-- {
		z = append([]string{ds[i].Name}, z...)
		if ds[i].Pinyin != "" {
			p = append([]string{ds[i].Pinyin}, p...)
		}
	}
	return strings.Join(z, ""), strings.Join(p, ", ")
}

// SheetPDF writes the print sheet of a road's plates as PDF with the Chinese font
// embedded (subset).
func (s *Store) SheetPDF(w io.Writer, road string, plates []Plate) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("门牌 "+road, true)
	pdf.SetCreator("fangyuan", true)
	pdf.SetAutoPageBreak(false, 0)
	for _, f := range []FontSpec{CJKFont, LatinFont} {
		b, err := Font(f)
		if err != nil {
			return err
		}
		pdf.AddUTF8FontFromBytes(f.Name, "", b)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("font: %w", err)
	}
	m := &mixed{pdf: pdf}
	pages := max(1, (len(plates)+cols*rows-1)/(cols*rows))
	for pg := 0; pg < pages; pg++ {
		pdf.AddPage()
		pdf.SetTextColor(0, 0, 0)
		m.size = 9
		m.text(marginX, 10, fmt.Sprintf("门牌打印单 %s — %d 块 — 第 %d/%d 页", road, len(plates), pg+1, pages))
		end := min(len(plates), (pg+1)*cols*rows)
		for i := pg * cols * rows; i < end; i++ {
			p := plates[i]
			a := p.Address
			x, y := slot(i)
			pdf.SetFillColor(plateBlue[0], plateBlue[1], plateBlue[2])
			pdf.RoundedRect(x, y, plateW, plateH, 3, "1234", "F")
			pdf.SetDrawColor(255, 255, 255)
			pdf.SetLineWidth(0.6)
			pdf.RoundedRect(x+2, y+2, plateW-4, plateH-4, 2, "1234", "D")
			pdf.SetTextColor(255, 255, 255)
			textW := plateW - qrBox - 12
			cx := x + 4 + textW/2
			center := func(txt string, max, baseline float64) { m.center(cx, baseline, max, textW, txt) }
			center(a.Road, 16, y+13)
			center(a.RoadPinyin, 7, y+18.5)
			center(a.NumberText(), 30, y+36)
			center(a.NumberPinyin(), 7, y+42)
			if a.Building != "" {
				center(a.Building, 8, y+47)
			}
			zh, py := foot(a)
			center(zh, 7, y+52)
			center(py, 5.5, y+56)
			// The QR code on a white square.
			qx, qy := x+plateW-qrBox-5, y+6
			pdf.SetFillColor(255, 255, 255)
			pdf.Rect(qx, qy, qrBox, qrBox, "F")
			q, err := EncodeQR(p.URL)
			if err != nil {
				return err
			}
			mod := qrBox / float64(q.Size()+2*Quiet)
			pdf.SetFillColor(0, 0, 0)
			q.runs(func(mx, my, n int) {
				pdf.Rect(qx+float64(mx+Quiet)*mod, qy+float64(my+Quiet)*mod, float64(n)*mod+0.01, mod+0.01, "F")
			})
			pdf.SetTextColor(255, 255, 255)
			m.center(qx+qrBox/2, qy+qrBox+5, 7, qrBox+4, p.ID)
			m.center(qx+qrBox/2, qy+qrBox+9, 5, qrBox+4, "扫码查看地址")
		}
	}
	return pdf.Output(w)
}

// SheetSVG writes the same sheet as one SVG document, the A4 pages one under another
// (text in the system's Chinese font).
func (s *Store) SheetSVG(w io.Writer, road string, plates []Plate) error {
	pages := max(1, (len(plates)+cols*rows-1)/(cols*rows))
	var b bytes.Buffer
	esc := html.EscapeString
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="%gmm" viewBox="0 0 %g %g" font-family="DejaVu Sans, Droid Sans Fallback, WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif">
<title>门牌 %s</title>
`, pageW, pageH*float64(pages), pageW, pageH*float64(pages), esc(road))
	text := func(x, y, size float64, fill, anchor, txt string) {
		fmt.Fprintf(&b, `<text x="%.2f" y="%.2f" font-size="%.2f" fill="%s" text-anchor="%s">%s</text>`+"\n", x, y, size*0.3528, fill, anchor, esc(txt))
	}
	for pg := 0; pg < pages; pg++ {
		oy := float64(pg) * pageH
		fmt.Fprintf(&b, `<g class="page" transform="translate(0 %g)">`+"\n", oy)
		fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#fff"/>`+"\n", pageW, pageH)
		text(marginX, 10, 9, "#000", "start", fmt.Sprintf("门牌打印单 %s — %d 块 — 第 %d/%d 页", road, len(plates), pg+1, pages))
		end := min(len(plates), (pg+1)*cols*rows)
		for i := pg * cols * rows; i < end; i++ {
			p := plates[i]
			a := p.Address
			x, y := slot(i)
			fmt.Fprintf(&b, `<g class="plate" id="plate-%s">`+"\n", p.ID)
			fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" rx="3" fill="rgb(%d,%d,%d)"/>`+"\n", x, y, plateW, plateH, plateBlue[0], plateBlue[1], plateBlue[2])
			fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" rx="2" fill="none" stroke="#fff" stroke-width="0.6"/>`+"\n", x+2, y+2, plateW-4, plateH-4)
			cx := x + 4 + (plateW-qrBox-12)/2
			text(cx, y+13, 16, "#fff", "middle", a.Road)
			text(cx, y+18.5, 7, "#fff", "middle", a.RoadPinyin)
			text(cx, y+36, 30, "#fff", "middle", a.NumberText())
			text(cx, y+42, 7, "#fff", "middle", a.NumberPinyin())
			if a.Building != "" {
				text(cx, y+47, 8, "#fff", "middle", a.Building)
			}
			zh, py := foot(a)
			text(cx, y+52, 7, "#fff", "middle", zh)
			text(cx, y+56, 5.5, "#fff", "middle", py)
			qx, qy := x+plateW-qrBox-5, y+6
			q, err := EncodeQR(p.URL)
			if err != nil {
				return err
			}
			n := float64(q.Size() + 2*Quiet)
			fmt.Fprintf(&b, `<g transform="translate(%g %g) scale(%g)"><rect width="%g" height="%g" fill="#fff"/><path fill="#000" shape-rendering="crispEdges" d="%s"/></g>`+"\n",
				qx, qy, qrBox/n, n, n, q.SVGPath())
			text(qx+qrBox/2, qy+qrBox+5, 7, "#fff", "middle", p.ID)
			text(qx+qrBox/2, qy+qrBox+9, 5, "#fff", "middle", "扫码查看地址")
			b.WriteString("</g>\n")
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}
