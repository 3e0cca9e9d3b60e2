package geotiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"fangyuan/geo"
	"golang.org/x/image/tiff/lzw"
)

// maxCells bounds Width×Height×bands of a grid Read will allocate
// (1<<30 float32 values = 4 GiB).
var maxCells int64 = 1 << 30

// blockSlack is how many bytes a single strip or tile may hold beyond
// four times the image (a 256×256 tile holding a 5×3 grid is legal).
var blockSlack int64 = 16 << 20

// ReadFile reads the GeoTIFF at path; see Read.
func ReadFile(path string) (*geo.Grid, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	g, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// layout describes the raster data of the first IFD.
type layout struct {
	order          binary.ByteOrder
	width, height  int
	spp            int // samples per pixel (bands)
	bits           int // bits per sample
	format         int // sample format
	compression    int
	predictor      int
	planar         int
	tiled          bool
	blockW, blockH int // tile size, or width × rows per strip
	across, down   int // blocks per row of blocks / per column
	offsets        []uint64
	counts         []uint64
}

// Read decodes the first image of a GeoTIFF: every band converted to float32,
// georeferenced in EPSG:4326 (EPSG:4490 and WGS84-datum user-defined
// geographic CRSs are accepted as equal; pixel-is-point grids are shifted
// half a cell to the pixel-is-area corner, as GDAL does), nodata from the
// GDAL_NODATA tag (as the float32 the cells hold), band names from GDAL metadata (band1, band2, ... when absent). Strips or
// tiles are decompressed in parallel. Errors wrap ErrFormat (malformed,
// truncated) or ErrUnsupported (a valid file this package cannot take; the
// message names the gdal command that converts it).
func Read(r io.ReaderAt, size int64) (*geo.Grid, error) {
	d, err := readIFD(r, size)
	if err != nil {
		return nil, err
	}
	keys, err := parseGeoKeys(d)
	if err != nil {
		return nil, err
	}
	rasterType, err := checkCRS(keys)
	if err != nil {
		return nil, err
	}
	tr, err := readTransform(d, rasterType)
	if err != nil {
		return nil, err
	}
	l, err := readLayout(d, size)
	if err != nil {
		return nil, err
	}
	g := &geo.Grid{West: tr.west, North: tr.north, DX: tr.dx, DY: tr.dy, Width: l.width, Height: l.height}

	convert := converter(l)
	if s, ok := d.ascii(tagGDALNoData); ok {
		s = strings.TrimSpace(s)
		v, err := parseNoData(s)
		if err != nil {
			return nil, formatErr("GDAL_NODATA %q is not a number", s)
		}
		// The value as a cell holding it reads, so that IsNoData matches
		// exactly (uint32 4294967295 becomes 4294967296 as a float32).
		g.HasNoData = true
		g.NoData = float64(toFloat32(v))
	}

	names := bandNames(d, l.spp)
	n := l.width * l.height
	g.Bands = make([]geo.Band, l.spp)
	for b := range g.Bands {
		g.Bands[b] = geo.Band{Name: names[b], Data: make([]float32, n)}
	}
	if err := decodeBlocks(r, size, l, g, convert); err != nil {
		return nil, err
	}
	return g, nil
}

func parseNoData(s string) (float64, error) {
	switch strings.ToLower(s) {
	case "nan", "-nan":
		return math.NaN(), nil
	case "inf", "+inf", "infinity":
		return math.Inf(1), nil
	case "-inf", "-infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

func readLayout(d *ifd, size int64) (*layout, error) {
	l := &layout{order: d.order}
	var err error
	get := func(tag uint16, def uint64, name string) int {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = d.uint(tag, def, name)
		if err == nil && v > math.MaxInt32 {
			err = formatErr("%s is %d", name, v)
		}
		return int(v)
	}
	l.width = get(tagImageWidth, 0, "ImageWidth")
	l.height = get(tagImageLength, 0, "ImageLength")
	l.spp = get(tagSamplesPerPixel, 1, "SamplesPerPixel")
	l.bits = get(tagBitsPerSample, 1, "BitsPerSample")
	l.format = get(tagSampleFormat, sfUint, "SampleFormat")
	l.compression = get(tagCompression, compNone, "Compression")
	l.predictor = get(tagPredictor, predNone, "Predictor")
	l.planar = get(tagPlanarConfiguration, planarChunky, "PlanarConfiguration")
	if err != nil {
		return nil, err
	}
	if l.width <= 0 || l.height <= 0 {
		return nil, formatErr("image size %d×%d", l.width, l.height)
	}
	if l.spp <= 0 || l.spp > 4096 {
		return nil, formatErr("SamplesPerPixel is %d", l.spp)
	}
	if int64(l.width)*int64(l.height)*int64(l.spp) > maxCells {
		return nil, unsupported("grid of %d×%d×%d values is larger than the %d this reader allocates", l.width, l.height, l.spp, maxCells)
	}
	if l.format == sfVoid {
		l.format = sfUint
	}
	switch {
	case (l.format == sfUint || l.format == sfInt) && (l.bits == 8 || l.bits == 16 || l.bits == 32 || l.bits == 64):
	case l.format == sfFloat && (l.bits == 32 || l.bits == 64):
	case l.format == sfFloat && l.bits == 16:
	default:
		return nil, unsupported("%d-bit samples of format %d: convert with gdal_translate -ot Float32 in.tif out.tif", l.bits, l.format)
	}
	switch l.compression {
	case compNone, compLZW, compDeflate, compDeflateOld, compPackBits:
	default:
		name := compressionNames[l.compression]
		if name == "" {
			name = strconv.Itoa(l.compression)
		}
		return nil, unsupported("compression %s: convert with gdal_translate -co COMPRESS=DEFLATE in.tif out.tif", name)
	}
	switch l.predictor {
	case predNone, predHorizontal:
	case predFloat:
		if l.format != sfFloat {
			return nil, formatErr("floating-point predictor on integer samples")
		}
	default:
		return nil, unsupported("predictor %d: convert with gdal_translate -co COMPRESS=DEFLATE -co PREDICTOR=1 in.tif out.tif", l.predictor)
	}
	if l.planar != planarChunky && l.planar != planarSeparate {
		return nil, formatErr("PlanarConfiguration is %d", l.planar)
	}
	if l.spp == 1 {
		l.planar = planarSeparate // same layout; simpler code paths
	}

	_, hasTW := d.entries[tagTileWidth]
	if hasTW {
		l.tiled = true
		l.blockW = get(tagTileWidth, 0, "TileWidth")
		l.blockH = get(tagTileLength, 0, "TileLength")
		if err != nil {
			return nil, err
		}
		if l.blockW <= 0 || l.blockH <= 0 {
			return nil, formatErr("tile size %d×%d", l.blockW, l.blockH)
		}
	} else {
		l.blockW = l.width
		rps := get(tagRowsPerStrip, math.MaxInt32, "RowsPerStrip")
		if err != nil {
			return nil, err
		}
		if rps <= 0 {
			return nil, formatErr("RowsPerStrip is %d", rps)
		}
		l.blockH = min(rps, l.height)
	}
	bytesPerBlockRow := int64(l.blockW) * int64(l.bits/8)
	if l.planar == planarChunky {
		bytesPerBlockRow *= int64(l.spp)
	}
	// A block may be larger than the image (a 256×256 tile holding a 5×3
	// grid), but not absurdly so: that bounds what one worker allocates.
	imageBytes := int64(l.width) * int64(l.height) * int64(l.spp) * int64(l.bits/8)
	if blockBytes := bytesPerBlockRow * int64(l.blockH); blockBytes > 1<<31 || blockBytes > max(blockSlack, 4*imageBytes) {
		return nil, unsupported("block of %d×%d samples is too large for a %d×%d image: retile with gdal_translate -co TILED=YES in.tif out.tif", l.blockW, l.blockH, l.width, l.height)
	}
	l.across = (l.width + l.blockW - 1) / l.blockW
	l.down = (l.height + l.blockH - 1) / l.blockH
	nBlocks := int64(l.across) * int64(l.down)
	if l.planar == planarSeparate {
		nBlocks *= int64(l.spp)
	}
	offTag, cntTag, what := uint16(tagStripOffsets), uint16(tagStripByteCounts), "strip"
	if l.tiled {
		offTag, cntTag, what = tagTileOffsets, tagTileByteCounts, "tile"
	}
	var okOff, okCnt bool
	l.offsets, okOff, err = d.uints(offTag)
	if err != nil {
		return nil, err
	}
	l.counts, okCnt, err = d.uints(cntTag)
	if err != nil {
		return nil, err
	}
	if !okOff || !okCnt {
		return nil, formatErr("missing %s offsets or byte counts", what)
	}
	if int64(len(l.offsets)) != nBlocks || int64(len(l.counts)) != nBlocks {
		return nil, formatErr("%d %s offsets and %d byte counts, want %d for a %d×%d image in %d×%d blocks",
			len(l.offsets), what, len(l.counts), nBlocks, l.width, l.height, l.blockW, l.blockH)
	}
	for i := range l.offsets {
		if l.counts[i] == 0 {
			continue // sparse block
		}
		if l.offsets[i] > uint64(size) || l.counts[i] > uint64(size)-l.offsets[i] {
			return nil, formatErr("%s %d: %d bytes at offset %d run past the end of the file (%d bytes): file truncated?", what, i, l.counts[i], l.offsets[i], size)
		}
	}
	return l, nil
}

// gdalUnescape undoes the second level of escaping GDAL applies to
// metadata item text (see gdalEscape).
var gdalUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'")

// bandNames reads band descriptions from the GDAL_METADATA XML
// (<Item name="DESCRIPTION" sample="N" role="description">); bands without
// one, or with a duplicate, are named band1, band2, ...
func bandNames(d *ifd, n int) []string {
	names := make([]string, n)
	if s, ok := d.ascii(tagGDALMetadata); ok {
		var md struct {
			Items []struct {
				Name   string `xml:"name,attr"`
				Sample string `xml:"sample,attr"`
				Role   string `xml:"role,attr"`
				Value  string `xml:",chardata"`
			} `xml:"Item"`
		}
		if xml.Unmarshal([]byte(s), &md) == nil {
			for _, it := range md.Items {
				if !strings.EqualFold(it.Role, "description") && !strings.EqualFold(it.Name, "DESCRIPTION") {
					continue
				}
				i, err := strconv.Atoi(it.Sample)
				if err != nil || i < 0 || i >= n || it.Sample == "" {
					continue
				}
				names[i] = strings.TrimSpace(gdalUnescape.Replace(it.Value))
			}
		}
	}
	seen := map[string]bool{}
	for i, s := range names {
		if s == "" || seen[s] {
			names[i] = "band" + strconv.Itoa(i+1)
		}
		seen[names[i]] = true
	}
	// A default name may collide with an explicit one ("band2" given to band 1).
	for i := range names {
		for j := 0; j < i; j++ {
			if names[i] == names[j] {
				names[i] = fmt.Sprintf("band%d_%d", i+1, i+1)
			}
		}
	}
	return names
}

// sampleConv converts raw samples (file byte order) to float32.
type sampleConv struct {
	order  binary.ByteOrder
	bits   int
	format int
}

func converter(l *layout) sampleConv {
	return sampleConv{order: l.order, bits: l.bits, format: l.format}
}

// toFloat32 converts like GDAL does (a plain IEEE conversion: finite values
// beyond float32's range become ±Inf).
func toFloat32(v float64) float32 { return float32(v) }

// row converts n samples taken every `step` samples from src (starting at
// sample 0) into dst.
func (c sampleConv) row(dst []float32, src []byte, n, step int) {
	le := c.order == binary.LittleEndian
	switch c.bits {
	case 8:
		if c.format == sfInt {
			for i := 0; i < n; i++ {
				dst[i] = float32(int8(src[i*step]))
			}
		} else {
			for i := 0; i < n; i++ {
				dst[i] = float32(src[i*step])
			}
		}
	case 16:
		st := 2 * step
		switch c.format {
		case sfInt:
			for i := 0; i < n; i++ {
				dst[i] = float32(int16(c.order.Uint16(src[i*st:])))
			}
		case sfFloat:
			for i := 0; i < n; i++ {
				dst[i] = halfToFloat32(c.order.Uint16(src[i*st:]))
			}
		default:
			for i := 0; i < n; i++ {
				dst[i] = float32(c.order.Uint16(src[i*st:]))
			}
		}
	case 32:
		st := 4 * step
		switch {
		case c.format == sfFloat && le:
			for i := 0; i < n; i++ {
				dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[i*st:]))
			}
		case c.format == sfFloat:
			for i := 0; i < n; i++ {
				dst[i] = math.Float32frombits(binary.BigEndian.Uint32(src[i*st:]))
			}
		case c.format == sfInt:
			for i := 0; i < n; i++ {
				dst[i] = float32(int32(c.order.Uint32(src[i*st:])))
			}
		default:
			for i := 0; i < n; i++ {
				dst[i] = float32(c.order.Uint32(src[i*st:]))
			}
		}
	case 64:
		st := 8 * step
		switch c.format {
		case sfFloat:
			for i := 0; i < n; i++ {
				dst[i] = toFloat32(math.Float64frombits(c.order.Uint64(src[i*st:])))
			}
		case sfInt:
			for i := 0; i < n; i++ {
				dst[i] = float32(int64(c.order.Uint64(src[i*st:])))
			}
		default:
			for i := 0; i < n; i++ {
				dst[i] = float32(c.order.Uint64(src[i*st:]))
			}
		}
	}
}

// halfToFloat32 converts an IEEE 754 binary16 value.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	default:
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	}
}

// decodeBlocks decompresses every strip or tile, in parallel, into g.
func decodeBlocks(r io.ReaderAt, size int64, l *layout, g *geo.Grid, conv sampleConv) error {
	nBlocks := len(l.offsets)
	workers := min(runtime.GOMAXPROCS(0), nBlocks)
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := newBlockDecoder(r, l)
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= nBlocks {
					return
				}
				if err := dec.block(i, g, conv); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

type blockDecoder struct {
	r    io.ReaderAt
	l    *layout
	comp []byte // compressed bytes
	raw  []byte // decoded block
	tmp  []byte // predictor scratch
	zr   io.ReadCloser
}

func newBlockDecoder(r io.ReaderAt, l *layout) *blockDecoder {
	return &blockDecoder{r: r, l: l}
}

// block decodes block i (strip or tile; with separate planes, the blocks
// of band b come after those of band b-1) into the grid.
func (d *blockDecoder) block(i int, g *geo.Grid, conv sampleConv) error {
	l := d.l
	perPlane := l.across * l.down
	band, bi := 0, i
	if l.planar == planarSeparate {
		band, bi = i/perPlane, i%perPlane
	}
	bx, by := bi%l.across, bi/l.across
	x0, y0 := bx*l.blockW, by*l.blockH
	rows := l.blockH
	if !l.tiled {
		rows = min(l.blockH, l.height-y0) // the last strip may be short
	}
	cols := min(l.blockW, l.width-x0)
	rowRows := min(rows, l.height-y0)
	bps := l.bits / 8
	spr := l.blockW // samples per block row, per plane
	if l.planar == planarChunky {
		spr *= l.spp
	}
	rowBytes := spr * bps
	need := rowBytes * rows
	what := "strip"
	if l.tiled {
		what = "tile"
	}

	if l.counts[i] == 0 { // sparse block: nodata (or 0)
		fill := float32(0)
		if g.HasNoData {
			fill = float32(g.NoData)
		}
		for b := range g.Bands {
			if l.planar == planarSeparate && b != band {
				continue
			}
			for y := 0; y < rowRows; y++ {
				row := g.Bands[b].Data[(y0+y)*l.width+x0:][:cols]
				for x := range row {
					row[x] = fill
				}
			}
		}
		return nil
	}

	if l.compression == compNone && l.counts[i] < uint64(need) {
		return formatErr("%s %d has %d bytes, want %d", what, i, l.counts[i], need)
	}
	if cap(d.raw) < need {
		d.raw = make([]byte, need)
	}
	raw := d.raw[:need]
	if err := d.decompress(i, raw); err != nil {
		return fmt.Errorf("%s %d: %w", what, i, err)
	}
	if err := d.unpredict(raw, rowBytes, rows); err != nil {
		return fmt.Errorf("%s %d: %w", what, i, err)
	}
	if l.planar == planarSeparate {
		dst := g.Bands[band].Data
		for y := 0; y < rowRows; y++ {
			conv.row(dst[(y0+y)*l.width+x0:][:cols], raw[y*rowBytes:], cols, 1)
		}
		return nil
	}
	for b := range g.Bands {
		dst := g.Bands[b].Data
		for y := 0; y < rowRows; y++ {
			conv.row(dst[(y0+y)*l.width+x0:][:cols], raw[y*rowBytes+b*bps:], cols, l.spp)
		}
	}
	return nil
}

var errShort = errors.New("data ends early")

func (d *blockDecoder) decompress(i int, dst []byte) error {
	l := d.l
	off, n := int64(l.offsets[i]), int64(l.counts[i])
	if l.compression == compNone {
		if n < int64(len(dst)) {
			return formatErr("has %d bytes, want %d", n, len(dst))
		}
		_, err := d.r.ReadAt(dst, off)
		if err != nil && !(errors.Is(err, io.EOF)) {
			return fmt.Errorf("%w: reading: %v", ErrFormat, err)
		}
		return nil
	}
	if cap(d.comp) < int(n) {
		d.comp = make([]byte, n)
	}
	comp := d.comp[:n]
	if k, err := d.r.ReadAt(comp, off); k < len(comp) {
		return fmt.Errorf("%w: reading %d bytes at offset %d: %v", ErrFormat, n, off, err)
	}
	var err error
	switch l.compression {
	case compDeflate, compDeflateOld:
		if d.zr == nil {
			d.zr, err = zlib.NewReader(bytes.NewReader(comp))
		} else {
			err = d.zr.(zlib.Resetter).Reset(bytes.NewReader(comp), nil)
		}
		if err != nil {
			return fmt.Errorf("%w: deflate: %v", ErrFormat, err)
		}
		if _, err := io.ReadFull(d.zr, dst); err != nil {
			return fmt.Errorf("%w: deflate: %v (%v)", ErrFormat, err, errShort)
		}
	case compLZW:
		lr := lzw.NewReader(bytes.NewReader(comp), lzw.MSB, 8)
		_, err := io.ReadFull(lr, dst)
		lr.Close()
		if err != nil {
			return fmt.Errorf("%w: LZW: %v (%v)", ErrFormat, err, errShort)
		}
	case compPackBits:
		if err := unpackBits(dst, comp); err != nil {
			return err
		}
	}
	return nil
}

// unpackBits decodes PackBits (Apple/TIFF run-length) data into dst.
func unpackBits(dst, src []byte) error {
	o := 0
	for i := 0; o < len(dst); {
		if i >= len(src) {
			return fmt.Errorf("%w: PackBits: %v after %d of %d bytes", ErrFormat, errShort, o, len(dst))
		}
		c := int8(src[i])
		i++
		switch {
		case c >= 0:
			n := int(c) + 1
			if i+n > len(src) || o+n > len(dst) {
				return fmt.Errorf("%w: PackBits: literal run past the end", ErrFormat)
			}
			copy(dst[o:], src[i:i+n])
			i += n
			o += n
		case c != -128:
			n := 1 - int(c)
			if i >= len(src) || o+n > len(dst) {
				return fmt.Errorf("%w: PackBits: repeat run past the end", ErrFormat)
			}
			b := src[i]
			i++
			for k := 0; k < n; k++ {
				dst[o+k] = b
			}
			o += n
		}
	}
	return nil
}

// unpredict undoes the predictor on a decoded block of `rows` rows of
// rowBytes bytes.
func (d *blockDecoder) unpredict(raw []byte, rowBytes, rows int) error {
	l := d.l
	stride := 1
	if l.planar == planarChunky {
		stride = l.spp
	}
	bps := l.bits / 8
	switch l.predictor {
	case predHorizontal:
		for y := 0; y < rows; y++ {
			horizontalAcc(raw[y*rowBytes:][:rowBytes], bps, stride, l.order)
		}
	case predFloat:
		if cap(d.tmp) < rowBytes {
			d.tmp = make([]byte, rowBytes)
		}
		tmp := d.tmp[:rowBytes]
		for y := 0; y < rows; y++ {
			floatAcc(raw[y*rowBytes:][:rowBytes], tmp, bps, stride, l.order)
		}
	}
	return nil
}

// horizontalAcc undoes TIFF predictor 2: each sample is stored as the
// difference from the sample `stride` samples before it, with wrap-around
// integer arithmetic on the sample's bits.
func horizontalAcc(row []byte, bps, stride int, order binary.ByteOrder) {
	switch bps {
	case 1:
		for i := stride; i < len(row); i++ {
			row[i] += row[i-stride]
		}
	case 2:
		n := len(row) / 2
		for i := stride; i < n; i++ {
			order.PutUint16(row[2*i:], order.Uint16(row[2*i:])+order.Uint16(row[2*(i-stride):]))
		}
	case 4:
		n := len(row) / 4
		if order == binary.LittleEndian {
			for i := stride; i < n; i++ {
				binary.LittleEndian.PutUint32(row[4*i:], binary.LittleEndian.Uint32(row[4*i:])+binary.LittleEndian.Uint32(row[4*(i-stride):]))
			}
			return
		}
		for i := stride; i < n; i++ {
			order.PutUint32(row[4*i:], order.Uint32(row[4*i:])+order.Uint32(row[4*(i-stride):]))
		}
	case 8:
		n := len(row) / 8
		for i := stride; i < n; i++ {
			order.PutUint64(row[8*i:], order.Uint64(row[8*i:])+order.Uint64(row[8*(i-stride):]))
		}
	}
}

// floatAcc undoes TIFF predictor 3 (Adobe floating point): the row's bytes
// were differenced with a stride of `stride` bytes after being regrouped so
// that all most-significant bytes come first, then the next bytes, and so on.
// The result is written back in the file's byte order.
func floatAcc(row, tmp []byte, bps, stride int, order binary.ByteOrder) {
	for i := stride; i < len(row); i++ {
		row[i] += row[i-stride]
	}
	copy(tmp, row)
	n := len(row) / bps
	if bps == 4 {
		p0, p1, p2, p3 := tmp[:n], tmp[n:2*n], tmp[2*n:3*n], tmp[3*n:4*n]
		if order == binary.LittleEndian {
			for i := 0; i < n; i++ {
				r := row[4*i : 4*i+4]
				r[0], r[1], r[2], r[3] = p3[i], p2[i], p1[i], p0[i]
			}
		} else {
			for i := 0; i < n; i++ {
				r := row[4*i : 4*i+4]
				r[0], r[1], r[2], r[3] = p0[i], p1[i], p2[i], p3[i]
			}
		}
		return
	}
	if order == binary.BigEndian {
		for i := 0; i < n; i++ {
			for k := 0; k < bps; k++ {
				row[i*bps+k] = tmp[k*n+i]
			}
		}
		return
	}
	for i := 0; i < n; i++ {
		for k := 0; k < bps; k++ {
			row[i*bps+bps-1-k] = tmp[k*n+i]
		}
	}
}
