package plate

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// QR is a QR code's modules: Dark[y][x], without the quiet zone.
type QR struct{ Dark [][]bool }

type matrixWriter struct{ q *QR }

func (m matrixWriter) Write(mat qrcode.Matrix) error { m.q.Dark = mat.Bitmap(); return nil }
func (m matrixWriter) Close() error                  { return nil }

// EncodeQR encodes text with error correction level M (15 %: a scratched plate still reads).
func EncodeQR(text string) (QR, error) {
	var q QR
	c, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return q, fmt.Errorf("qr %q: %w", text, err)
	}
	if err := c.Save(matrixWriter{&q}); err != nil {
		return q, err
	}
	return q, nil
}

// Size is the number of modules on a side.
func (q QR) Size() int { return len(q.Dark) }

// Quiet is the quiet zone of the standard in modules.
const Quiet = 4

// PNG renders q with scale pixels a module and the quiet zone, black on white.
func (q QR) PNG(scale int) ([]byte, error) {
	n := (q.Size() + 2*Quiet) * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y, row := range q.Dark {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetColorIndex((x+Quiet)*scale+dx, (y+Quiet)*scale+dy, 1)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// runs calls fn for each horizontal run of dark modules (row y, columns x..x+n-1).
func (q QR) runs(fn func(x, y, n int)) {
	for y, row := range q.Dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			s := x
			for x < len(row) && row[x] {
				x++
			}
			fn(s, y, x-s)
		}
	}
}

// SVGPath is a path of the dark modules in module units, offset by the quiet zone.
func (q QR) SVGPath() string {
	var b strings.Builder
	q.runs(func(x, y, n int) { fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+Quiet, y+Quiet, n, n) })
	return b.String()
}

// SVG renders q as a standalone SVG document, size pixels wide.
func (q QR) SVG(size int) []byte {
	n := q.Size() + 2*Quiet
	return []byte(fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">
<rect width="%d" height="%d" fill="#fff"/>
<path fill="#000" d="%s"/>
</svg>
`, size, size, n, n, n, n, q.SVGPath()))
}
