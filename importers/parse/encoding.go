package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Text encodings reported in results and accepted as options.
const (
	EncodingUTF8    = "utf-8"
	EncodingGBK     = "gbk"
	EncodingGB18030 = "gb18030"
)

// NormalizeEncoding maps an encoding option to one of EncodingUTF8,
// EncodingGBK or EncodingGB18030. The empty string means auto-detect and is
// returned as is. Accepted (case-insensitive): utf-8, utf8, gbk, cp936, 936,
// gb2312, gb18030, 54936.
func NormalizeEncoding(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "utf-8", "utf8", "65001":
		return EncodingUTF8, nil
	case "gbk", "cp936", "936", "gb2312", "euc-cn":
		return EncodingGBK, nil
	case "gb18030", "54936":
		return EncodingGB18030, nil
	}
	return "", fmt.Errorf("unsupported encoding %q (want utf-8, gbk or gb18030)", s)
}

// decoderFor returns a decoder from enc to UTF-8 (nil for UTF-8).
func decoderFor(enc string) transform.Transformer {
	switch enc {
	case EncodingGBK:
		return &gbDecoder{inner: simplifiedchinese.GBK.NewDecoder()}
	case EncodingGB18030:
		return &gbDecoder{inner: simplifiedchinese.GB18030.NewDecoder(), gb18030: true}
	}
	return nil
}

// gbDecoder is the GBK/GB18030 decoder of golang.org/x/text completed with
// the two-byte codes its WHATWG-based table leaves undefined: the three
// user-defined areas, which GB18030 (and Windows code page 936) map to the
// private-use area U+E000..U+E765, and the codes in gbExtra. Chinese
// place-name data uses private-use characters for rare characters, and the
// national village table has some, so without this an office's GB18030
// export of it would not decode.
type gbDecoder struct {
	inner   transform.Transformer
	gb18030 bool
}

func (d *gbDecoder) Reset() { d.inner.Reset() }

// udaRune maps a two-byte code of a user-defined area, or one in gbExtra,
// to its code point.
func udaRune(c0, c1 byte) (rune, bool) {
	switch {
	case c0 >= 0xaa && c0 <= 0xaf && c1 >= 0xa1 && c1 <= 0xfe:
		return 0xe000 + rune(c0-0xaa)*94 + rune(c1-0xa1), true
	case c0 >= 0xf8 && c0 <= 0xfe && c1 >= 0xa1 && c1 <= 0xfe:
		return 0xe234 + rune(c0-0xf8)*94 + rune(c1-0xa1), true
	case c0 >= 0xa1 && c0 <= 0xa7 && c1 >= 0x40 && c1 <= 0xa0 && c1 != 0x7f && !(c0 == 0xa3 && c1 == 0xa0):
		i := rune(c1 - 0x40)
		if c1 > 0x7f {
			i--
		}
		return 0xe4c6 + rune(c0-0xa1)*96 + i, true
	}
	r, ok := gbExtra[uint16(c0)<<8|uint16(c1)]
	return r, ok
}

// Transform walks src character by character (as the inner decoder would
// split it), hands runs of ordinary characters to the inner decoder and
// decodes the codes udaRune knows itself.
func (d *gbDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	run := 0 // start of the pending run of ordinary characters
	i := 0
	for i < len(src) {
		c0 := src[i]
		if c0 < 0x81 || c0 == 0xff {
			i++
			continue
		}
		if i+1 >= len(src) {
			break // incomplete: the inner decoder decides
		}
		c1 := src[i+1]
		if c1 >= 0x30 && c1 <= 0x39 {
			if !d.gb18030 {
				i++
				continue
			}
			if i+3 >= len(src) {
				break
			}
			i += 4
			continue
		}
		if c1 < 0x40 || c1 == 0x7f || c1 == 0xff {
			i++ // invalid trail byte: the inner decoder emits U+FFFD for c0
			continue
		}
		r, ok := udaRune(c0, c1)
		if !ok {
			i += 2
			continue
		}
		n, m, err := d.inner.Transform(dst[nDst:], src[run:i], true)
		nDst += n
		if err != nil {
			return nDst, run + m, err
		}
		if len(dst)-nDst < utf8.RuneLen(r) {
			return nDst, i, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		i += 2
		run = i
	}
	n, m, err := d.inner.Transform(dst[nDst:], src[run:], atEOF)
	return nDst + n, run + m, err
}

const utf8BOM = "\xef\xbb\xbf"

// openText opens a text file and returns a reader that yields its content as
// UTF-8 without a byte-order mark, and the encoding it was read with: enc
// when given, else the detected one (UTF-8, then GBK, then GB18030).
//
// The whole file is checked before it is returned, so a decoding problem is
// reported up front (as an *Error naming the line) and never half-way
// through a parse. Memory use does not grow with the file size.
func openText(fsys fs.FS, name, opt string) (io.ReadCloser, string, error) {
	enc, err := NormalizeEncoding(opt)
	if err != nil {
		return nil, "", fileError(name, "", err.Error())
	}
	if err := sniffBinary(fsys, name); err != nil {
		return nil, "", err
	}
	if enc == "" {
		var firstErr *Error
		for _, cand := range []string{EncodingUTF8, EncodingGBK, EncodingGB18030} {
			e, err := checkText(fsys, name, cand)
			if err != nil {
				return nil, "", err
			}
			if e == nil {
				enc = cand
				break
			}
			if e.Reason == reasonNUL {
				return nil, "", nulError(name, e.Line)
			}
			if firstErr == nil || e.Line > firstErr.Line {
				firstErr = e // report the line where the decoder that got furthest failed
			}
		}
		if enc == "" {
			firstErr.Reason = fmt.Sprintf("neither UTF-8 nor GBK/GB18030 text (undecodable bytes on this line); "+
				"convert the file to UTF-8 first, e.g. iconv -f BIG5 -t UTF-8 %s > utf8-%s (use the file's real encoding after -f)",
				shellQuote(path.Base(name)), path.Base(name))
			return nil, "", firstErr
		}
	} else {
		e, err := checkText(fsys, name, enc)
		if err != nil {
			return nil, "", err
		}
		if e != nil {
			if e.Reason == reasonNUL {
				return nil, "", nulError(name, e.Line)
			}
			e.Reason = fmt.Sprintf("not valid %s text (encoding option %q); check the encoding, or convert the file first, e.g. iconv -f GB18030 -t UTF-8 %s > utf8-%s",
				strings.ToUpper(enc), opt, shellQuote(path.Base(name)), path.Base(name))
			return nil, "", e
		}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	var r io.Reader = bufio.NewReaderSize(f, 256<<10)
	if dec := decoderFor(enc); dec != nil {
		r = transform.NewReader(r, dec)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if p, _ := br.Peek(3); string(p) == utf8BOM {
		_, _ = br.Discard(3)
	}
	return readCloser{br, f}, enc, nil
}

// readText returns the whole file as UTF-8 (see openText).
func readText(fsys fs.FS, name, enc string) ([]byte, string, error) {
	rc, enc, err := openText(fsys, name, enc)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return data, enc, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

const reasonNUL = "NUL byte"

func nulError(name string, line int) *Error {
	return &Error{File: name, Line: line, Reason: fmt.Sprintf(
		"contains NUL bytes: not a text file, or UTF-16 text; if it is UTF-16, convert it first: iconv -f UTF-16 -t UTF-8 %s > utf8-%s",
		shellQuote(path.Base(name)), path.Base(name))}
}

// sniffBinary recognizes a few common non-text files by their first bytes.
func sniffBinary(fsys fs.FS, name string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	var head [4]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", name, err)
	}
	h := string(head[:n])
	base := path.Base(name)
	switch {
	case strings.HasPrefix(h, "\xff\xfe"), strings.HasPrefix(h, "\xfe\xff"):
		return &Error{File: name, Line: 1, Reason: fmt.Sprintf(
			"UTF-16 text (byte-order mark); convert it first: iconv -f UTF-16 -t UTF-8 %s > utf8-%s", shellQuote(base), base)}
	case h == "PK\x03\x04":
		return &Error{File: name, Line: 0, Reason: "a ZIP archive (an .xlsx workbook?), not a text file; export it as CSV (UTF-8) or unpack it first"}
	case h == "\xd0\xcf\x11\xe0":
		return &Error{File: name, Line: 0, Reason: "an .xls workbook, not a text file; export it as CSV (UTF-8) first"}
	}
	return nil
}

// checkText reads the whole file and reports the first line that does not
// decode with enc (or that holds a NUL byte), or nil if the file is clean.
// The returned error is an I/O error.
func checkText(fsys fs.FS, name, enc string) (*Error, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if enc == EncodingUTF8 {
		return checkUTF8(f, name)
	}
	return checkDecoded(transform.NewReader(bufio.NewReaderSize(f, 256<<10), decoderFor(enc)), name)
}

// checkUTF8 validates r as UTF-8 in chunks, carrying an incomplete rune
// across chunk boundaries.
func checkUTF8(r io.Reader, name string) (*Error, error) {
	buf := make([]byte, 256<<10)
	carry := 0
	line := 1
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		chunk := buf[:n]
		cut := n
		if !eof {
			// Leave an incomplete trailing rune for the next round.
			for i := n - 1; i >= 0 && i >= n-utf8.UTFMax; i-- {
				if utf8.RuneStart(chunk[i]) {
					if !utf8.FullRune(chunk[i:]) {
						cut = i
					}
					break
				}
			}
		}
		part := chunk[:cut]
		if i := bytes.IndexByte(part, 0); i >= 0 {
			return &Error{File: name, Line: line + bytes.Count(part[:i], nl), Reason: reasonNUL}, nil
		}
		if !utf8.Valid(part) {
			off := 0
			for off < len(part) {
				r, size := utf8.DecodeRune(part[off:])
				if r == utf8.RuneError && size <= 1 {
					break
				}
				off += size
			}
			return &Error{File: name, Line: line + bytes.Count(part[:off], nl), Reason: "invalid UTF-8"}, nil
		}
		line += bytes.Count(part, nl)
		if eof {
			return nil, nil
		}
		carry = copy(buf, chunk[cut:])
	}
}

var (
	nl          = []byte{'\n'}
	replacement = []byte(string(utf8.RuneError))
)

// checkDecoded scans decoder output for U+FFFD (undecodable input) and NUL.
func checkDecoded(r io.Reader, name string) (*Error, error) {
	buf := make([]byte, 256<<10)
	carry := 0
	line := 1
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		chunk := buf[:n]
		// Keep the last two bytes for the next round so that a U+FFFD split
		// across reads is still seen; they are counted next time.
		cut := n
		if !eof && n > 2 {
			cut = n - 2
		}
		part := chunk[:cut]
		if i := bytes.IndexByte(part, 0); i >= 0 {
			return &Error{File: name, Line: line + bytes.Count(part[:i], nl), Reason: reasonNUL}, nil
		}
		if i := bytes.Index(chunk, replacement); i >= 0 {
			return &Error{File: name, Line: line + bytes.Count(chunk[:i], nl), Reason: "undecodable bytes"}, nil
		}
		line += bytes.Count(part, nl)
		if eof {
			return nil, nil
		}
		carry = copy(buf, chunk[cut:])
	}
}

// decodeBytes decodes b from enc to UTF-8, reporting false if b is not valid
// in enc.
func decodeBytes(enc string, b []byte) (string, bool) {
	if enc == EncodingUTF8 || enc == "" {
		return string(b), utf8.Valid(b)
	}
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), true
	}
	out, _, err := transform.Bytes(decoderFor(enc), b)
	if err != nil || bytes.Contains(out, replacement) {
		return string(out), false
	}
	return string(out), true
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80)
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
