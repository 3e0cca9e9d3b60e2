package glyphs

// Hand-written protobuf encoding of the glyph ranges MapLibre and Mapbox GL load
// (glyphs.proto, "Protocol Version 1" of mapboxgl.glyphs):
//
//	message glyph     { required uint32 id = 1; optional bytes bitmap = 2;
//	                    required uint32 width = 3; required uint32 height = 4;
//	                    required sint32 left = 5; required sint32 top = 6;
//	                    required uint32 advance = 7; }
//	message fontstack { required string name = 1; required string range = 2;
//	                    repeated glyph glyphs = 3; }
//	message glyphs    { repeated fontstack stacks = 1; }

const (
	wireVarint = 0
	wireBytes  = 2
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, field, wire int) []byte { return appendVarint(b, uint64(field<<3|wire)) }

func appendUint(b []byte, field int, v uint32) []byte {
	return appendVarint(appendTag(b, field, wireVarint), uint64(v))
}

// appendSint writes a sint32 (zigzag: 0, -1, 1, -2 … → 0, 1, 2, 3 …).
func appendSint(b []byte, field int, v int32) []byte {
	return appendVarint(appendTag(b, field, wireVarint), uint64(uint32(v<<1)^uint32(v>>31)))
}

func appendBytes(b []byte, field int, p []byte) []byte {
	b = appendVarint(appendTag(b, field, wireBytes), uint64(len(p)))
	return append(b, p...)
}

// Glyph is one rendered glyph: metrics in pixels at the 24 px em and its signed distance
// field of (Width+2·Buffer)×(Height+2·Buffer) bytes (none for an empty glyph such as a space).
type Glyph struct {
	ID            rune
	Bitmap        []byte
	Width, Height uint32
	Left, Top     int32
	Advance       uint32
}

// appendGlyph appends g as field 3 (glyphs) of a fontstack.
func appendGlyph(b []byte, g *Glyph) []byte {
	var m []byte
	m = appendUint(m, 1, uint32(g.ID))
	if len(g.Bitmap) > 0 {
		m = appendBytes(m, 2, g.Bitmap)
	}
	m = appendUint(m, 3, g.Width)
	m = appendUint(m, 4, g.Height)
	m = appendSint(m, 5, g.Left)
	m = appendSint(m, 6, g.Top)
	m = appendUint(m, 7, g.Advance)
	return appendBytes(b, 3, m)
}

// encodeGlyphs is the glyphs field entries of a range, to be wrapped by encodeRange.
func encodeGlyphs(gs []Glyph) []byte {
	var b []byte
	for i := range gs {
		b = appendGlyph(b, &gs[i])
	}
	return b
}

// encodeRange is the whole message: one fontstack named stack holding the encoded glyph
// entries of rng ("0-255").
func encodeRange(stack, rng string, entries []byte) []byte {
	var fs []byte
	fs = appendBytes(fs, 1, []byte(stack))
	fs = appendBytes(fs, 2, []byte(rng))
	fs = append(fs, entries...)
	out := make([]byte, 0, len(fs)+8)
	return appendBytes(out, 1, fs)
}
