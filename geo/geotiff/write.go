package geotiff

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"fangyuan/geo"
)

// Compression selects how Write compresses strips or tiles.
type Compression int

const (
	// Deflate (zlib, TIFF compression 8) is the default.
	Deflate Compression = iota
	// NoCompression stores raw float32 samples.
	NoCompression
)

// Interleave selects how Write lays out several bands.
type Interleave int

const (
	// InterleaveBand (the default) stores each band in its own strips or
	// tiles (PlanarConfiguration 2): reading one layer touches only its data.
	InterleaveBand Interleave = iota
	// InterleavePixel stores the bands of a pixel together
	// (PlanarConfiguration 1), GDAL's default.
	InterleavePixel
)

// Predictor selects the TIFF predictor Write applies before compression.
type Predictor int

const (
	// PredictorNone (the default) stores samples as they are.
	PredictorNone Predictor = iota
	// PredictorHorizontal (TIFF predictor 2) stores differences between
	// neighbouring samples' bit patterns.
	PredictorHorizontal
	// PredictorFloat (TIFF predictor 3) regroups the bytes of floating-point
	// samples and differences them: usually the best ratio for float data.
	PredictorFloat
)

// WriteOptions controls Write. The zero value writes deflate-compressed,
// band-interleaved strips of about 256 KiB without a predictor.
type WriteOptions struct {
	Compression Compression
	// Level is the deflate level (1 fastest … 9 smallest); 0 means 6.
	Level      int
	Predictor  Predictor
	Interleave Interleave
	// TileSize > 0 writes square tiles of that many cells (a multiple of 16,
	// as TIFF requires); 0 writes strips.
	TileSize int
	// RowsPerStrip sets the strip height; 0 picks about 256 KiB per strip.
	RowsPerStrip int
}

// WriteFile writes g to path; see Write.
func WriteFile(path string, g *geo.Grid, opts WriteOptions) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return Write(f, g, opts)
}

// Write writes g as a little-endian classic GeoTIFF with float32 samples:
// EPSG:4326 GeoKeys (geographic model, PixelIsArea), ModelPixelScale and
// ModelTiepoint, the nodata value in GDAL_NODATA and the band names as GDAL
// band descriptions, so gdalinfo and QGIS show them. Strips or tiles are
// compressed in parallel.
func Write(w io.Writer, g *geo.Grid, opts WriteOptions) error {
	return write(w, g, opts, nil)
}

// write is Write with a hook that may edit the tags before the layout is
// fixed (tests use it to build unusual files).
func write(w io.Writer, g *geo.Grid, opts WriteOptions, hook func(*tagSet)) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if opts.TileSize < 0 || opts.TileSize%16 != 0 {
		return fmt.Errorf("geotiff: TileSize %d is not a positive multiple of 16", opts.TileSize)
	}
	if opts.RowsPerStrip < 0 || opts.Level < 0 || opts.Level > 9 {
		return fmt.Errorf("geotiff: invalid options %+v", opts)
	}
	if opts.Compression != Deflate && opts.Compression != NoCompression {
		return fmt.Errorf("geotiff: unknown compression %d", opts.Compression)
	}
	if opts.Predictor < PredictorNone || opts.Predictor > PredictorFloat {
		return fmt.Errorf("geotiff: unknown predictor %d", opts.Predictor)
	}
	nb := len(g.Bands)
	chunky := opts.Interleave == InterleavePixel && nb > 1
	spp := 1 // samples per pixel within a block
	if chunky {
		spp = nb
	}
	var blockW, blockH int
	if opts.TileSize > 0 {
		blockW, blockH = opts.TileSize, opts.TileSize
	} else {
		blockW = g.Width
		blockH = opts.RowsPerStrip
		if blockH == 0 {
			blockH = max(1, (256<<10)/(4*spp*g.Width))
		}
		blockH = min(blockH, g.Height)
	}
	across := (g.Width + blockW - 1) / blockW
	down := (g.Height + blockH - 1) / blockH
	planes := 1
	if !chunky {
		planes = nb
	}
	nBlocks := across * down * planes

	blocks := make([][]byte, nBlocks)
	if err := encodeBlocks(g, opts, blocks, blockW, blockH, across, down, spp, chunky); err != nil {
		return err
	}

	// Tags.
	t := newTagSet()
	t.long(tagImageWidth, uint32(g.Width))
	t.long(tagImageLength, uint32(g.Height))
	t.shorts(tagBitsPerSample, repeat16(32, nb))
	if opts.Compression == Deflate {
		t.shorts(tagCompression, []uint16{compDeflate})
	} else {
		t.shorts(tagCompression, []uint16{compNone})
	}
	t.shorts(tagPhotometric, []uint16{photoMinIsBlack})
	t.shorts(tagSamplesPerPixel, []uint16{uint16(nb)})
	if chunky || nb == 1 {
		t.shorts(tagPlanarConfiguration, []uint16{planarChunky})
	} else {
		t.shorts(tagPlanarConfiguration, []uint16{planarSeparate})
	}
	switch opts.Predictor {
	case PredictorHorizontal:
		t.shorts(tagPredictor, []uint16{predHorizontal})
	case PredictorFloat:
		t.shorts(tagPredictor, []uint16{predFloat})
	}
	counts := make([]uint32, nBlocks)
	var dataSize uint64
	for i, b := range blocks {
		counts[i] = uint32(len(b))
		dataSize += uint64(len(b))
	}
	offTag, cntTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if opts.TileSize > 0 {
		offTag, cntTag = tagTileOffsets, tagTileByteCounts
		t.long(tagTileWidth, uint32(blockW))
		t.long(tagTileLength, uint32(blockH))
	} else {
		t.long(tagRowsPerStrip, uint32(blockH))
	}
	offsets := make([]uint32, nBlocks) // filled in once the layout is known
	t.longs(offTag, offsets)
	t.longs(cntTag, counts)
	if nb > 1 {
		t.shorts(tagExtraSamples, make([]uint16, nb-1))
	}
	t.shorts(tagSampleFormat, repeat16(sfFloat, nb))
	t.doubles(tagModelPixelScale, []float64{g.DX, g.DY, 0})
	t.doubles(tagModelTiepoint, []float64{0, 0, 0, g.West, g.North, 0})
	t.shorts(tagGeoKeyDirectory, []uint16{
		1, 1, 0, 5,
		keyGTModelType, 0, 1, modelGeographic,
		keyGTRasterType, 0, 1, rasterPixelArea,
		keyGeographicType, 0, 1, 4326,
		keyGeogCitation, tagGeoASCIIParams, 7, 0,
		keyGeogAngularUnits, 0, 1, angularDegree,
	})
	t.ascii(tagGeoASCIIParams, "WGS 84|")
	t.ascii(tagGDALMetadata, gdalMetadata(g))
	if g.HasNoData {
		t.ascii(tagGDALNoData, formatNoData(g.NoData))
	}

	if hook != nil {
		hook(t)
	}

	// Layout: header, IFD, out-of-line tag values, block data.
	entries := t.sorted()
	ifdSize := 2 + 12*len(entries) + 4
	pos := uint64(8 + ifdSize)
	for _, e := range entries {
		if len(e.raw) > 4 {
			pos += pos & 1 // word alignment
			e.offset = pos
			pos += uint64(len(e.raw))
		}
	}
	pos += pos & 1
	for i, b := range blocks {
		offsets[i] = uint32(pos)
		pos += uint64(len(b))
	}
	if pos > math.MaxUint32 {
		return fmt.Errorf("geotiff: %d bytes exceed the 4 GiB of a classic TIFF: write fewer bands or split the grid", pos)
	}
	t.longs(offTag, offsets) // re-encode with the final offsets (same size)

	bw := bufio.NewWriterSize(w, 1<<20)
	le := binary.LittleEndian
	var hdr [8]byte
	copy(hdr[:], "II")
	le.PutUint16(hdr[2:], 42)
	le.PutUint32(hdr[4:], 8)
	bw.Write(hdr[:])
	ifd := make([]byte, ifdSize)
	le.PutUint16(ifd, uint16(len(entries)))
	for i, e := range entries {
		b := ifd[2+12*i:]
		le.PutUint16(b[0:], e.tag)
		le.PutUint16(b[2:], e.typ)
		le.PutUint32(b[4:], uint32(e.count))
		if len(e.raw) <= 4 {
			copy(b[8:12], e.raw)
		} else {
			le.PutUint32(b[8:], uint32(e.offset))
		}
	}
	bw.Write(ifd) // next IFD offset: the trailing 4 zero bytes
	written := uint64(8 + ifdSize)
	pad := func(to uint64) {
		for written < to {
			bw.WriteByte(0)
			written++
		}
	}
	for _, e := range entries {
		if len(e.raw) > 4 {
			pad(e.offset)
			bw.Write(e.raw)
			written += uint64(len(e.raw))
		}
	}
	for i, b := range blocks {
		pad(uint64(offsets[i]))
		bw.Write(b)
		written += uint64(len(b))
	}
	return bw.Flush()
}

func repeat16(v uint16, n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// formatNoData writes the nodata value the way GDAL parses it.
func formatNoData(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// gdalEscape is the escaping GDAL applies to metadata values before the XML
// serializer escapes them again: GDAL writes (and reads) item text escaped
// twice.
var gdalEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// gdalMetadata renders band names as GDAL band descriptions.
func gdalMetadata(g *geo.Grid) string {
	var b strings.Builder
	b.WriteString("<GDALMetadata>\n")
	for i, band := range g.Bands {
		fmt.Fprintf(&b, `  <Item name="DESCRIPTION" sample="%d" role="description">`, i)
		xml.EscapeText(&b, []byte(gdalEscape.Replace(band.Name)))
		b.WriteString("</Item>\n")
	}
	b.WriteString("</GDALMetadata>")
	return b.String()
}

// encodeBlocks fills blocks[i] with the compressed bytes of block i, using
// every core.
func encodeBlocks(g *geo.Grid, opts WriteOptions, blocks [][]byte, blockW, blockH, across, down, spp int, chunky bool) error {
	perPlane := across * down
	level := opts.Level
	if level == 0 {
		level = 6
	}
	rowBytes := blockW * spp * 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), len(blocks))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var zw *zlib.Writer
			raw := make([]byte, rowBytes*blockH)
			tmp := make([]byte, rowBytes)
			for i := range jobs {
				plane, bi := i/perPlane, i%perPlane
				bx, by := bi%across, bi/across
				x0, y0 := bx*blockW, by*blockH
				rows := blockH
				if opts.TileSize == 0 {
					rows = min(blockH, g.Height-y0) // the last strip is short
				}
				blk := raw[:rows*rowBytes]
				clear(blk) // tiles past the grid's edge are zero
				cols := min(blockW, g.Width-x0)
				for y := 0; y < rows && y0+y < g.Height; y++ {
					row := blk[y*rowBytes:]
					for b := 0; b < spp; b++ {
						band := &g.Bands[b]
						if !chunky {
							band = &g.Bands[plane]
						}
						src := band.Data[(y0+y)*g.Width+x0:][:cols]
						for x, v := range src {
							binary.LittleEndian.PutUint32(row[(x*spp+b)*4:], math.Float32bits(v))
						}
					}
				}
				for y := 0; y < rows; y++ {
					row := blk[y*rowBytes:][:rowBytes]
					switch opts.Predictor {
					case PredictorHorizontal:
						horizontalDiff32(row, spp)
					case PredictorFloat:
						floatDiff(row, tmp, 4, spp)
					}
				}
				var out []byte
				if opts.Compression == NoCompression {
					out = append([]byte(nil), blk...)
				} else {
					var buf bytes.Buffer
					buf.Grow(len(blk) / 2)
					var err error
					if zw == nil {
						zw, err = zlib.NewWriterLevel(&buf, level)
					} else {
						zw.Reset(&buf)
					}
					if err == nil {
						_, err = zw.Write(blk)
					}
					if err == nil {
						err = zw.Close()
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					}
					out = buf.Bytes()
				}
				blocks[i] = out
			}
		}()
	}
	for i := range blocks {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// horizontalDiff32 applies TIFF predictor 2 to a row of little-endian 32-bit
// samples, `stride` samples per pixel.
func horizontalDiff32(row []byte, stride int) {
	n := len(row) / 4
	le := binary.LittleEndian
	for i := n - 1; i >= stride; i-- {
		le.PutUint32(row[4*i:], le.Uint32(row[4*i:])-le.Uint32(row[4*(i-stride):]))
	}
}

// floatDiff applies TIFF predictor 3 to a row of little-endian samples of
// bps bytes: regroup bytes most-significant first, then difference them with
// a stride of `stride` bytes.
func floatDiff(row, tmp []byte, bps, stride int) {
	n := len(row) / bps
	copy(tmp, row)
	for i := 0; i < n; i++ {
		for k := 0; k < bps; k++ {
			row[k*n+i] = tmp[i*bps+bps-1-k]
		}
	}
	for i := len(row) - 1; i >= stride; i-- {
		row[i] -= row[i-stride]
	}
}

// tagSet collects IFD entries for writing (little-endian).
type tagSet struct{ m map[uint16]*wentry }

type wentry struct {
	tag, typ uint16
	count    int
	raw      []byte
	offset   uint64
}

func newTagSet() *tagSet { return &tagSet{m: map[uint16]*wentry{}} }

func (t *tagSet) put(tag, typ uint16, count int, raw []byte) {
	t.m[tag] = &wentry{tag: tag, typ: typ, count: count, raw: raw}
}

func (t *tagSet) long(tag uint16, v uint32) { t.longs(tag, []uint32{v}) }

func (t *tagSet) longs(tag uint16, v []uint32) {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], x)
	}
	if e, ok := t.m[tag]; ok && len(e.raw) == len(raw) {
		copy(e.raw, raw) // keep the entry (and its assigned offset)
		return
	}
	t.put(tag, dtLong, len(v), raw)
}

func (t *tagSet) shorts(tag uint16, v []uint16) {
	raw := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(raw[2*i:], x)
	}
	t.put(tag, dtShort, len(v), raw)
}

func (t *tagSet) doubles(tag uint16, v []float64) {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(x))
	}
	t.put(tag, dtDouble, len(v), raw)
}

func (t *tagSet) ascii(tag uint16, s string) {
	raw := append([]byte(s), 0)
	t.put(tag, dtASCII, len(raw), raw)
}

func (t *tagSet) sorted() []*wentry {
	out := make([]*wentry, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].tag < out[j].tag })
	return out
}
