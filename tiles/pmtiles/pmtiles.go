// Package pmtiles reads tiles from a local PMTiles v3 archive (one file holding a whole
// tile pyramid: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md), so an
// offline office can have a basemap without a tile server or the internet.
package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// Compression codes of the header.
const (
	CompressionUnknown = 0
	CompressionNone    = 1
	CompressionGzip    = 2
	CompressionBrotli  = 3
	CompressionZstd    = 4
)

// Tile types of the header.
const (
	TypeUnknown = 0
	TypeMVT     = 1
	TypePNG     = 2
	TypeJPEG    = 3
	TypeWebP    = 4
	TypeAVIF    = 5
)

// HeaderLen is the size of the fixed header.
const HeaderLen = 127

// Header is the fixed header of an archive.
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	AddressedTiles, TileEntries    uint64
	TileContents                   uint64
	Clustered                      bool
	InternalCompression            uint8
	TileCompression                uint8
	TileType                       uint8
	MinZoom, MaxZoom               uint8
	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
	CenterLon, CenterLat           float64
}

// ContentType is the MIME type of the archive's tiles.
func (h Header) ContentType() string {
	switch h.TileType {
	case TypeMVT:
		return "application/vnd.mapbox-vector-tile"
	case TypePNG:
		return "image/png"
	case TypeJPEG:
		return "image/jpeg"
	case TypeWebP:
		return "image/webp"
	case TypeAVIF:
		return "image/avif"
	}
	return "application/octet-stream"
}

// ParseHeader decodes the fixed header.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen || string(b[:7]) != "PMTiles" {
		return Header{}, errors.New("not a PMTiles archive (no PMTiles magic)")
	}
	if b[7] != 3 {
		return Header{}, fmt.Errorf("PMTiles version %d: only version 3 is supported", b[7])
	}
	u := func(off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
	e7 := func(off int) float64 { return float64(int32(binary.LittleEndian.Uint32(b[off:]))) / 1e7 }
	return Header{
		RootOffset: u(8), RootLength: u(16), MetadataOffset: u(24), MetadataLength: u(32),
		LeafOffset: u(40), LeafLength: u(48), DataOffset: u(56), DataLength: u(64),
		AddressedTiles: u(72), TileEntries: u(80), TileContents: u(88),
		Clustered: b[96] == 1, InternalCompression: b[97], TileCompression: b[98], TileType: b[99],
		MinZoom: b[100], MaxZoom: b[101],
		MinLon: e7(102), MinLat: e7(106), MaxLon: e7(110), MaxLat: e7(114),
		CenterZoom: b[118], CenterLon: e7(119), CenterLat: e7(123),
	}, nil
}

// Encode writes the fixed header (for tests and tools that write archives).
func (h Header) Encode() []byte {
	b := make([]byte, HeaderLen)
	copy(b, "PMTiles")
	b[7] = 3
	for i, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength, h.LeafOffset, h.LeafLength,
		h.DataOffset, h.DataLength, h.AddressedTiles, h.TileEntries, h.TileContents} {
		binary.LittleEndian.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97], b[98], b[99], b[100], b[101] = h.InternalCompression, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom
	put := func(off int, v float64) { binary.LittleEndian.PutUint32(b[off:], uint32(int32(v*1e7))) }
	put(102, h.MinLon)
	put(106, h.MinLat)
	put(110, h.MaxLon)
	put(114, h.MaxLat)
	b[118] = h.CenterZoom
	put(119, h.CenterLon)
	put(123, h.CenterLat)
	return b
}

// TileID is the position of z/x/y on the Hilbert curves of all zooms (the archive's key).
func TileID(z uint8, x, y uint32) uint64 {
	acc := (uint64(1)<<(2*uint64(z)) - 1) / 3
	if z == 0 {
		return 0
	}
	for s := uint32(1) << (z - 1); s > 0; s >>= 1 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		acc += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x = s - 1 - x&(s-1) // only the bits below s matter from here on
				y = s - 1 - y&(s-1)
			}
			x, y = y, x
		}
	}
	return acc
}

// Entry is one directory entry: a run of tiles, or (RunLength 0) a leaf directory.
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// DecodeDirectory decodes an uncompressed directory.
func DecodeDirectory(b []byte) ([]Entry, error) {
	r := bytes.NewReader(b)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(b)) {
		return nil, fmt.Errorf("directory: bad entry count")
	}
	es := make([]Entry, n)
	var last uint64
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		last += v
		es[i].TileID = last
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		es[i].RunLength = uint32(v)
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		es[i].Length = uint32(v)
	}
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		if v == 0 && i > 0 {
			es[i].Offset = es[i-1].Offset + uint64(es[i-1].Length)
		} else {
			es[i].Offset = v - 1
		}
	}
	return es, nil
}

// EncodeDirectory encodes entries sorted by TileID (uncompressed).
func EncodeDirectory(es []Entry) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(es)))
	var last uint64
	for _, e := range es {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range es {
		if i > 0 && e.Offset == es[i-1].Offset+uint64(es[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return b
}

// Archive reads tiles from an open archive; safe for concurrent use.
type Archive struct {
	r      io.ReaderAt
	Header Header
	root   []Entry
	mu     sync.Mutex
	leaves map[uint64][]Entry // by offset; small archives keep all, big ones the last 64
}

// Open opens the archive at path.
func Open(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	a, err := New(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// New reads the header and root directory of r.
func New(r io.ReaderAt) (*Archive, error) {
	hb := make([]byte, HeaderLen)
	if _, err := r.ReadAt(hb, 0); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return nil, err
	}
	if h.InternalCompression != CompressionNone && h.InternalCompression != CompressionGzip {
		return nil, fmt.Errorf("directories compressed with code %d: only none and gzip are supported (convert with pmtiles convert)", h.InternalCompression)
	}
	a := &Archive{r: r, Header: h, leaves: map[uint64][]Entry{}}
	if a.root, err = a.directory(h.RootOffset, h.RootLength); err != nil {
		return nil, fmt.Errorf("root directory: %w", err)
	}
	return a, nil
}

func (a *Archive) directory(off, n uint64) ([]Entry, error) {
	if n > 64<<20 {
		return nil, fmt.Errorf("directory of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := a.r.ReadAt(b, int64(off)); err != nil {
		return nil, err
	}
	if a.Header.InternalCompression == CompressionGzip {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if b, err = io.ReadAll(io.LimitReader(zr, 256<<20)); err != nil {
			return nil, err
		}
	}
	return DecodeDirectory(b)
}

// Tile returns the stored bytes of z/x/y (compressed as Header.TileCompression says), or
// nil when the archive has no such tile.
func (a *Archive) Tile(z uint8, x, y uint32) ([]byte, error) {
	if z < a.Header.MinZoom || z > a.Header.MaxZoom {
		return nil, nil
	}
	id := TileID(z, x, y)
	dir := a.root
	for depth := 0; depth < 4; depth++ {
		i := sort.Search(len(dir), func(i int) bool { return dir[i].TileID > id }) - 1
		if i < 0 {
			return nil, nil
		}
		e := dir[i]
		if e.RunLength > 0 {
			if id-e.TileID >= uint64(e.RunLength) {
				return nil, nil
			}
			b := make([]byte, e.Length)
			if _, err := a.r.ReadAt(b, int64(a.Header.DataOffset+e.Offset)); err != nil {
				return nil, err
			}
			return b, nil
		}
		a.mu.Lock()
		leaf, ok := a.leaves[e.Offset]
		a.mu.Unlock()
		if !ok {
			var err error
			if leaf, err = a.directory(a.Header.LeafOffset+e.Offset, uint64(e.Length)); err != nil {
				return nil, fmt.Errorf("leaf directory: %w", err)
			}
			a.mu.Lock()
			if len(a.leaves) >= 64 {
				clear(a.leaves)
			}
			a.leaves[e.Offset] = leaf
			a.mu.Unlock()
		}
		dir = leaf
	}
	return nil, errors.New("directories nested too deep")
}

// WriteFile writes an archive of tiles (keyed by z, x, y; stored as given, so set
// h.TileCompression to match) with gzip-compressed directories: a root directory and,
// for its second half, one leaf directory. h's offsets and counts are filled in.
func WriteFile(path string, h Header, tiles map[[3]uint32][]byte) error {
	type tile struct {
		id   uint64
		data []byte
	}
	ts := make([]tile, 0, len(tiles))
	for k, v := range tiles {
		ts = append(ts, tile{TileID(uint8(k[0]), k[1], k[2]), v})
	}
	if len(ts) == 0 {
		return errors.New("no tiles")
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	var data []byte
	entries := make([]Entry, 0, len(ts))
	for _, x := range ts {
		entries = append(entries, Entry{TileID: x.id, Offset: uint64(len(data)), Length: uint32(len(x.data)), RunLength: 1})
		data = append(data, x.data...)
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b) //nolint:errcheck // bytes.Buffer
		w.Close()  //nolint:errcheck
		return buf.Bytes()
	}
	half := len(entries) / 2
	var leaf []byte
	rootEntries := entries
	if half > 0 {
		leaf = gz(EncodeDirectory(entries[half:]))
		rootEntries = append(append([]Entry(nil), entries[:half]...), Entry{TileID: entries[half].TileID, Length: uint32(len(leaf))})
	}
	root := gz(EncodeDirectory(rootEntries))
	h.InternalCompression = CompressionGzip
	if h.TileCompression == CompressionUnknown {
		h.TileCompression = CompressionNone
	}
	h.AddressedTiles, h.TileEntries, h.TileContents, h.Clustered = uint64(len(ts)), uint64(len(ts)), uint64(len(ts)), true
	h.RootOffset, h.RootLength = HeaderLen, uint64(len(root))
	h.LeafOffset, h.LeafLength = h.RootOffset+h.RootLength, uint64(len(leaf))
	h.DataOffset, h.DataLength = h.LeafOffset+h.LeafLength, uint64(len(data))
	meta := []byte("{}")
	h.MetadataOffset, h.MetadataLength = h.DataOffset+h.DataLength, uint64(len(meta))
	var out []byte
	for _, part := range [][]byte{h.Encode(), root, leaf, data, meta} {
		out = append(out, part...)
	}
	return os.WriteFile(path, out, 0o644)
}
