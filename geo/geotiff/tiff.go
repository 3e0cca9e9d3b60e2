// Package geotiff reads and writes GeoTIFF population grids (geo.Grid) in
// pure Go: classic TIFF and BigTIFF, either byte order, strips and tiles,
// no compression / deflate / LZW / PackBits with the horizontal and
// floating-point predictors, integer and floating-point samples, several
// bands (pixel- or band-interleaved), GDAL nodata and band names, and
// GeoTIFF georeferencing in EPSG:4326 or EPSG:4490 (north-up, pixel-is-area
// or pixel-is-point). Projected or rotated grids are rejected with the
// command that fixes them.
package geotiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// TIFF tags used here.
const (
	tagNewSubfileType      = 254
	tagImageWidth          = 256
	tagImageLength         = 257
	tagBitsPerSample       = 258
	tagCompression         = 259
	tagPhotometric         = 262
	tagStripOffsets        = 273
	tagSamplesPerPixel     = 277
	tagRowsPerStrip        = 278
	tagStripByteCounts     = 279
	tagPlanarConfiguration = 284
	tagPredictor           = 317
	tagTileWidth           = 322
	tagTileLength          = 323
	tagTileOffsets         = 324
	tagTileByteCounts      = 325
	tagExtraSamples        = 338
	tagSampleFormat        = 339
	tagModelPixelScale     = 33550
	tagModelTiepoint       = 33922
	tagModelTransformation = 34264
	tagGeoKeyDirectory     = 34735
	tagGeoDoubleParams     = 34736
	tagGeoASCIIParams      = 34737
	tagGDALMetadata        = 42112
	tagGDALNoData          = 42113
)

// TIFF field types.
const (
	dtByte      = 1
	dtASCII     = 2
	dtShort     = 3
	dtLong      = 4
	dtRational  = 5
	dtSByte     = 6
	dtUndefined = 7
	dtSShort    = 8
	dtSLong     = 9
	dtSRational = 10
	dtFloat     = 11
	dtDouble    = 12
	dtIFD       = 13
	dtLong8     = 16
	dtSLong8    = 17
	dtIFD8      = 18
)

var typeSize = map[uint16]int64{
	dtByte: 1, dtASCII: 1, dtShort: 2, dtLong: 4, dtRational: 8, dtSByte: 1, dtUndefined: 1,
	dtSShort: 2, dtSLong: 4, dtSRational: 8, dtFloat: 4, dtDouble: 8, dtIFD: 4,
	dtLong8: 8, dtSLong8: 8, dtIFD8: 8,
}

// Compression schemes.
const (
	compNone        = 1
	compLZW         = 5
	compJPEG        = 7
	compDeflate     = 8
	compPackBits    = 32773
	compDeflateOld  = 32946
	compLERC        = 34887
	compZSTD        = 50000
	compWEBP        = 50001
	compJPEGOld     = 6
	compCCITTRLE    = 2
	compCCITTFax3   = 3
	compCCITTFax4   = 4
	compLZMA        = 34925
	compJPEGXL      = 50002
	predNone        = 1
	predHorizontal  = 2
	predFloat       = 3
	sfUint          = 1
	sfInt           = 2
	sfFloat         = 3
	sfVoid          = 4
	planarChunky    = 1
	planarSeparate  = 2
	photoMinIsBlack = 1
)

var compressionNames = map[int]string{
	compCCITTRLE: "CCITT RLE", compCCITTFax3: "CCITT Group 3", compCCITTFax4: "CCITT Group 4",
	compJPEGOld: "old JPEG", compJPEG: "JPEG", compLERC: "LERC", compZSTD: "ZSTD", compWEBP: "WEBP",
	compLZMA: "LZMA", compJPEGXL: "JPEG-XL",
}

// ErrFormat is wrapped by every error about a malformed or truncated file;
// ErrUnsupported by every error about a valid TIFF this package cannot use
// (the message says how to convert it).
var (
	ErrFormat      = errors.New("geotiff: invalid TIFF")
	ErrUnsupported = errors.New("geotiff: unsupported")
)

func formatErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
}

func unsupported(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, a...))
}

// entry is one IFD entry with its raw value bytes (in file byte order).
type entry struct {
	tag, typ uint16
	count    uint64
	raw      []byte
}

// ifd is the first image file directory of a file.
type ifd struct {
	order   binary.ByteOrder
	big     bool
	entries map[uint16]*entry
}

// maxTagBytes bounds the value of one tag (offset arrays of large tiled
// files, GDAL metadata); it is also bounded by the file size.
const maxTagBytes = 1 << 28

// readIFD parses the header and the first IFD of a TIFF or BigTIFF file.
func readIFD(r io.ReaderAt, size int64) (*ifd, error) {
	var hdr [16]byte
	if size < 8 {
		return nil, formatErr("file is %d bytes, too short for a TIFF header", size)
	}
	n := int64(16)
	if size < n {
		n = size
	}
	if _, err := r.ReadAt(hdr[:n], 0); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return nil, fmt.Errorf("%w: reading header: %v", ErrFormat, err)
	}
	d := &ifd{entries: map[uint16]*entry{}}
	switch string(hdr[:2]) {
	case "II":
		d.order = binary.LittleEndian
	case "MM":
		d.order = binary.BigEndian
	default:
		return nil, formatErr("not a TIFF file (starts with %q, want \"II\" or \"MM\")", hdr[:2])
	}
	var off uint64
	switch magic := d.order.Uint16(hdr[2:]); magic {
	case 42:
		off = uint64(d.order.Uint32(hdr[4:]))
	case 43:
		if size < 16 {
			return nil, formatErr("BigTIFF header truncated")
		}
		if d.order.Uint16(hdr[4:]) != 8 || d.order.Uint16(hdr[6:]) != 0 {
			return nil, formatErr("BigTIFF header has offset size %d, want 8", d.order.Uint16(hdr[4:]))
		}
		d.big = true
		off = d.order.Uint64(hdr[8:])
	default:
		return nil, formatErr("TIFF magic number is %d, want 42 (TIFF) or 43 (BigTIFF)", magic)
	}
	if off < 8 || off >= uint64(size) {
		return nil, formatErr("first IFD offset %d is outside the file (%d bytes)", off, size)
	}

	countSize, entrySize, valSize := int64(2), int64(12), int64(4)
	if d.big {
		countSize, entrySize, valSize = 8, 20, 8
	}
	buf := make([]byte, countSize)
	if err := readFull(r, buf, int64(off), size, "IFD entry count"); err != nil {
		return nil, err
	}
	var nEntries uint64
	if d.big {
		nEntries = d.order.Uint64(buf)
	} else {
		nEntries = uint64(d.order.Uint16(buf))
	}
	if nEntries == 0 || nEntries > 4096 || int64(nEntries)*entrySize > size {
		return nil, formatErr("IFD at offset %d has %d entries", off, nEntries)
	}
	ebuf := make([]byte, int64(nEntries)*entrySize)
	if err := readFull(r, ebuf, int64(off)+countSize, size, "IFD entries"); err != nil {
		return nil, err
	}
	for i := uint64(0); i < nEntries; i++ {
		e := ebuf[int64(i)*entrySize:][:entrySize]
		en := &entry{tag: d.order.Uint16(e[0:]), typ: d.order.Uint16(e[2:])}
		var valField []byte
		if d.big {
			en.count = d.order.Uint64(e[4:])
			valField = e[12:20]
		} else {
			en.count = uint64(d.order.Uint32(e[4:]))
			valField = e[8:12]
		}
		ts, ok := typeSize[en.typ]
		if !ok {
			continue // unknown field type: skip the entry, as the spec says
		}
		if en.count > maxTagBytes/uint64(ts) {
			return nil, formatErr("tag %d has %d values", en.tag, en.count)
		}
		nb := int64(en.count) * ts
		if nb <= valSize {
			en.raw = append([]byte(nil), valField[:nb]...)
		} else {
			var voff uint64
			if d.big {
				voff = d.order.Uint64(valField)
			} else {
				voff = uint64(d.order.Uint32(valField))
			}
			if voff > uint64(size) || nb > size-int64(voff) {
				return nil, formatErr("tag %d: %d bytes at offset %d run past the end of the file (%d bytes)", en.tag, nb, voff, size)
			}
			en.raw = make([]byte, nb)
			if err := readFull(r, en.raw, int64(voff), size, fmt.Sprintf("tag %d", en.tag)); err != nil {
				return nil, err
			}
		}
		d.entries[en.tag] = en
	}
	return d, nil
}

func readFull(r io.ReaderAt, buf []byte, off, size int64, what string) error {
	if off < 0 || off > size || int64(len(buf)) > size-off {
		return formatErr("%s: %d bytes at offset %d run past the end of the file (%d bytes)", what, len(buf), off, size)
	}
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %s at offset %d: %v", ErrFormat, what, off, err)
}

// uints returns the values of an integer tag.
func (d *ifd) uints(tag uint16) ([]uint64, bool, error) {
	e, ok := d.entries[tag]
	if !ok {
		return nil, false, nil
	}
	n := int(e.count)
	out := make([]uint64, n)
	switch e.typ {
	case dtByte, dtUndefined:
		for i := range out {
			out[i] = uint64(e.raw[i])
		}
	case dtShort:
		for i := range out {
			out[i] = uint64(d.order.Uint16(e.raw[2*i:]))
		}
	case dtLong, dtIFD:
		for i := range out {
			out[i] = uint64(d.order.Uint32(e.raw[4*i:]))
		}
	case dtLong8, dtIFD8:
		for i := range out {
			out[i] = d.order.Uint64(e.raw[8*i:])
		}
	default:
		return nil, true, formatErr("tag %d has type %d, want an unsigned integer type", tag, e.typ)
	}
	return out, true, nil
}

// uint returns the single value of an integer tag, or def when absent. A tag
// with several values must have them all equal (BitsPerSample,
// SampleFormat).
func (d *ifd) uint(tag uint16, def uint64, name string) (uint64, error) {
	v, ok, err := d.uints(tag)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if len(v) == 0 {
		return 0, formatErr("%s (tag %d) has no value", name, tag)
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return 0, unsupported("%s differs between bands (%v): convert with gdal_translate -ot Float32", name, v)
		}
	}
	return v[0], nil
}

// floats returns the values of a DOUBLE (or FLOAT) tag.
func (d *ifd) floats(tag uint16) ([]float64, bool, error) {
	e, ok := d.entries[tag]
	if !ok {
		return nil, false, nil
	}
	out := make([]float64, int(e.count))
	switch e.typ {
	case dtDouble:
		for i := range out {
			out[i] = math.Float64frombits(d.order.Uint64(e.raw[8*i:]))
		}
	case dtFloat:
		for i := range out {
			out[i] = float64(math.Float32frombits(d.order.Uint32(e.raw[4*i:])))
		}
	default:
		return nil, true, formatErr("tag %d has type %d, want DOUBLE", tag, e.typ)
	}
	return out, true, nil
}

// ascii returns the value of an ASCII tag without its trailing NULs.
func (d *ifd) ascii(tag uint16) (string, bool) {
	e, ok := d.entries[tag]
	if !ok || (e.typ != dtASCII && e.typ != dtByte && e.typ != dtUndefined) {
		return "", false
	}
	s := e.raw
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return string(s), true
}
