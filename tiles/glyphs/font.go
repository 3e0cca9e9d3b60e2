package glyphs

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// DefaultFont is the font stack "Fangyuan Sans" is drawn with, the same fonts as the
// plate sheets: DejaVu Sans (Debian fonts-dejavu-core) for Latin letters, digits and
// pinyin, then Droid Sans Fallback (fonts-droid-fallback), which covers the CJK ideographs
// of road names but has no Latin letters. A code point comes from the first face that has
// it. Both are installed by make deps.
var DefaultFont = []string{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"}

// FontEnv names other font files, comma-separated, tried in order for each code point
// (a .ttf or .otf, or "file.ttc:N" for face N of a collection).
const FontEnv = "FANGYUAN_GLYPH_FONT"

// ErrNoFont means a font file could not be opened.
var ErrNoFont = errors.New("no font for the map labels")

// Font is a stack of parsed font faces that renders glyphs as SDFs. Its methods are safe
// for concurrent use.
type Font struct {
	faces  []*face
	digest [32]byte // of the files, for ETags
	ascent int      // pixels at the 24 px em
	bufs   sync.Pool
}

type face struct {
	path string
	sfnt *sfnt.Font
	file *os.File
}

// OpenFont opens the faces at specs ("path" or "path:face"), in fallback order. The files
// stay open: glyphs are read from them as they are needed, so a font costs little heap.
func OpenFont(specs ...string) (*Font, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no font file given", ErrNoFont)
	}
	f := &Font{}
	f.bufs.New = func() any { return new(sfnt.Buffer) }
	h := sha256.New()
	b := new(sfnt.Buffer)
	for _, spec := range specs {
		fc, err := openFace(spec, h)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: %v", ErrNoFont, err)
		}
		f.faces = append(f.faces, fc)
		m, err := fc.sfnt.Metrics(b, fixed.I(EmPixels), font.HintingNone)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%w: font %s: %v", ErrNoFont, fc.path, err)
		}
		// One ascent for the whole stack, so the faces share a baseline.
		f.ascent = max(f.ascent, m.Ascent.Round())
	}
	h.Sum(f.digest[:0])
	return f, nil
}

func openFace(spec string, h io.Writer) (*face, error) {
	path, index := spec, 0
	if i := strings.LastIndexByte(spec, ':'); i > 0 {
		if n, err := strconv.Atoi(spec[i+1:]); err == nil && n >= 0 {
			path, index = spec[:i], n
		}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*face, error) { fh.Close(); return nil, fmt.Errorf("font %s: %w", path, err) }
	io.WriteString(h, spec+"\x00")
	if _, err := io.Copy(h, fh); err != nil {
		return fail(err)
	}
	c, err := sfnt.ParseCollectionReaderAt(fh)
	if err != nil {
		return fail(err)
	}
	if index >= c.NumFonts() {
		return fail(fmt.Errorf("has %d faces, not face %d", c.NumFonts(), index))
	}
	sf, err := c.Font(index)
	if err != nil {
		return fail(err)
	}
	return &face{path: path, sfnt: sf, file: fh}, nil
}

// FindFont opens the faces of $FANGYUAN_GLYPH_FONT, else DefaultFont.
func FindFont() (*Font, error) {
	specs := DefaultFont
	if p := os.Getenv(FontEnv); p != "" {
		specs = strings.Split(p, ",")
	}
	f, err := OpenFont(specs...)
	if err != nil {
		return nil, fmt.Errorf("%v: install the Debian packages fonts-dejavu-core and fonts-droid-fallback (make deps) or set %s to font files", err, FontEnv)
	}
	return f, nil
}

// Close closes the font files.
func (f *Font) Close() error {
	for _, fc := range f.faces {
		fc.file.Close()
	}
	return nil
}

// Files are the font files in fallback order.
func (f *Font) Files() []string {
	var out []string
	for _, fc := range f.faces {
		out = append(out, fc.path)
	}
	return out
}

// Ascent is the stack's ascent in pixels at the 24 px em (the largest of its faces'); a
// glyph's Top is the height of its top edge above the baseline minus this (the convention
// of node-fontnik's glyphs, which MapLibre's text shaping assumes).
func (f *Font) Ascent() int { return f.ascent }

// lookup returns the first face that maps r to a glyph.
func (f *Font) lookup(b *sfnt.Buffer, r rune) (*face, sfnt.GlyphIndex) {
	for _, fc := range f.faces {
		if gi, err := fc.sfnt.GlyphIndex(b, r); err == nil && gi != 0 {
			return fc, gi
		}
	}
	return nil, 0
}

// Has reports whether a face of the stack maps r to a glyph.
func (f *Font) Has(r rune) bool {
	b := f.bufs.Get().(*sfnt.Buffer)
	defer f.bufs.Put(b)
	fc, _ := f.lookup(b, r)
	return fc != nil
}

// renderer holds one goroutine's scratch buffers.
type renderer struct {
	buf   sfnt.Buffer
	ras   *vector.Rasterizer
	alpha *image.Alpha
	s     scratch
}

// Range renders the glyphs of the code points lo..hi the font has, in code point order.
func (f *Font) Range(lo, hi rune) ([]Glyph, error) {
	rd := &renderer{ras: vector.NewRasterizer(1, 1)}
	var out []Glyph
	for r := lo; r <= hi; r++ {
		g, ok, err := f.render(rd, r)
		if err != nil {
			return nil, fmt.Errorf("glyph U+%04X: %w", r, err)
		}
		if ok {
			out = append(out, g)
		}
	}
	return out, nil
}

// Glyph renders one code point; ok is false when the font has no glyph for it.
func (f *Font) Glyph(r rune) (g Glyph, ok bool, err error) {
	return f.render(&renderer{ras: vector.NewRasterizer(1, 1)}, r)
}

func (f *Font) render(rd *renderer, r rune) (Glyph, bool, error) {
	b := &rd.buf
	if unicode.IsControl(r) { // never drawn (a font may still map U+0000 to .notdef's twin)
		return Glyph{}, false, nil
	}
	fc, gi := f.lookup(b, r)
	if fc == nil {
		return Glyph{}, false, nil
	}
	ppem := fixed.I(EmPixels)
	adv, err := fc.sfnt.GlyphAdvance(b, gi, ppem, font.HintingNone)
	if err != nil {
		return Glyph{}, false, err
	}
	g := Glyph{ID: r, Advance: uint32(max(adv.Round(), 0))}
	segs, err := fc.sfnt.LoadGlyph(b, gi, ppem, nil)
	if errors.Is(err, sfnt.ErrColoredGlyph) {
		return Glyph{}, false, nil
	}
	if err != nil {
		return Glyph{}, false, err
	}
	if len(segs) == 0 {
		g.Top = -int32(f.ascent)
		return g, true, nil // a space: metrics only
	}
	// Pixel box of the outline (sfnt's y axis points down).
	bd := segs.Bounds()
	x0, y0 := bd.Min.X.Floor(), bd.Min.Y.Floor()
	x1, y1 := bd.Max.X.Ceil(), bd.Max.Y.Ceil()
	w, h := x1-x0, y1-y0
	if w <= 0 || h <= 0 {
		g.Top = -int32(f.ascent)
		return g, true, nil
	}
	g.Width, g.Height = uint32(w), uint32(h)
	g.Left, g.Top = int32(x0), int32(-y0-f.ascent)

	// Coverage of the padded bitmap: the outline shifted by the border.
	W, H := w+2*Buffer, h+2*Buffer
	rd.ras.Reset(W, H)
	ox, oy := float32(Buffer-x0), float32(Buffer-y0)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X)/64 + ox, float32(p.Y)/64 + oy
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			rd.ras.ClosePath()
			rd.ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			rd.ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			rd.ras.QuadTo(ax, ay, bx, by)
		case sfnt.SegmentOpCubeTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			cx, cy := pt(s.Args[2])
			rd.ras.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	rd.ras.ClosePath()
	if rd.alpha == nil || cap(rd.alpha.Pix) < W*H {
		rd.alpha = image.NewAlpha(image.Rect(0, 0, W, H))
	} else {
		rd.alpha.Pix = rd.alpha.Pix[:W*H]
		clear(rd.alpha.Pix)
		rd.alpha.Stride, rd.alpha.Rect = W, image.Rect(0, 0, W, H)
	}
	rd.ras.Draw(rd.alpha, rd.alpha.Rect, image.Opaque, image.Point{})
	g.Bitmap = sdf(rd.alpha.Pix, W, H, &rd.s)
	return g, true, nil
}
