package parse

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func TestOpenText(t *testing.T) {
	// A UTF-8 text with a multi-byte character straddling every possible
	// position of the 256 KiB chunk boundary of the detection pass.
	var big strings.Builder
	for big.Len() < 600<<10 {
		big.WriteString("莲都区,a\n丽水市,bb\n")
	}
	tests := []struct {
		name    string
		data    string
		opt     string
		want    string // decoded text
		wantEnc string
		wantErr string
	}{
		{name: "ascii", data: "a,b\n", want: "a,b\n", wantEnc: EncodingUTF8},
		{name: "empty", data: "", want: "", wantEnc: EncodingUTF8},
		{name: "utf-8", data: "丽水\n", want: "丽水\n", wantEnc: EncodingUTF8},
		{name: "utf-8 bom", data: "\xef\xbb\xbf丽水\n", want: "丽水\n", wantEnc: EncodingUTF8},
		{name: "utf-8 large", data: big.String(), want: big.String(), wantEnc: EncodingUTF8},
		{name: "utf-8 large shifted", data: "x" + big.String(), want: "x" + big.String(), wantEnc: EncodingUTF8},
		{name: "utf-8 large shifted 2", data: "xy" + big.String(), want: "xy" + big.String(), wantEnc: EncodingUTF8},
		{name: "gbk", data: "\xc0\xf6\xcb\xae\n", want: "丽水\n", wantEnc: EncodingGBK},
		{name: "gbk euro", data: "\x80\n", want: "€\n", wantEnc: EncodingGBK},
		{name: "gb18030 four-byte", data: "\x95\x36\x8c\x35\n", want: "\U00021413\n", wantEnc: EncodingGB18030},
		{name: "gbk user-defined area", data: "\xc0\xf6\xad\xf7\n", want: "丽\ue170\n", wantEnc: EncodingGBK},
		{name: "gbk user-defined areas 2 and 3", data: "\xf8\xa1\xa1\x40\xa7\xa0\xa3\xa0", want: "\ue234\ue4c6\ue765\u3000", wantEnc: EncodingGBK},
		{name: "gb18030-2005 vertical form", data: "\xa6\xd9", want: "\ufe10", wantEnc: EncodingGBK},
		{name: "option gb18030", data: "\xc0\xf6\xcb\xae\n", opt: "gb18030", want: "丽水\n", wantEnc: EncodingGB18030},
		{name: "option cp936", data: "\xc0\xf6\xcb\xae\n", opt: "CP936", want: "丽水\n", wantEnc: EncodingGBK},
		{name: "option utf8 on gbk", data: "a\n\xc0\xf6\xcb\xae\n", opt: "utf8",
			wantErr: `t.csv:2: not valid UTF-8 text (encoding option "utf8")`},
		{name: "option gbk on gb18030", data: "a\nb\n\x95\x36\x8c\x35\n", opt: "gbk",
			wantErr: `t.csv:3: not valid GBK text (encoding option "gbk")`},
		{name: "unknown option", data: "a", opt: "latin1", wantErr: `t.csv: unsupported encoding "latin1" (want utf-8, gbk or gb18030)`},
		{name: "invalid", data: "a\nb\nc\xff\n", wantErr: "t.csv:3: neither UTF-8 nor GBK/GB18030 text"},
		{name: "invalid late in utf-8", data: big.String() + "\xff", wantErr: "t.csv:" + itoa(strings.Count(big.String(), "\n")+1) + ": neither UTF-8"},
		{name: "truncated gbk", data: "a\n\xc0", wantErr: "t.csv:2: neither UTF-8"},
		{name: "utf-16le", data: "\xff\xfea\x00", wantErr: "t.csv:1: UTF-16 text (byte-order mark); convert it first: iconv -f UTF-16 -t UTF-8 t.csv > utf8-t.csv"},
		{name: "utf-16be", data: "\xfe\xff\x00a", wantErr: "t.csv:1: UTF-16 text"},
		{name: "nul", data: "a\nb\x00", wantErr: "t.csv:2: contains NUL bytes"},
		{name: "xls", data: "\xd0\xcf\x11\xe0\xa1\xb1", wantErr: "t.csv: an .xls workbook, not a text file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"t.csv": {Data: []byte(tt.data)}}
			rc, enc, err := openText(fsys, "t.csv", tt.opt)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				asParseError(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want || enc != tt.wantEnc {
				t.Errorf("got %q (%s), want %q (%s)", firstN(string(got), 40), enc, firstN(tt.want, 40), tt.wantEnc)
			}
		})
	}
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// TestGBDecoderMatchesIconv checks the GB18030 decoder against glibc's on
// every two-byte code and a sample of four-byte codes: iconv writes the
// UTF-8 of each code on its own line.
func TestGBDecoderMatchesIconv(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	var codes []string
	for c0 := 0x81; c0 <= 0xfe; c0++ {
		for c1 := 0x40; c1 <= 0xfe; c1++ {
			if c1 == 0x7f {
				continue
			}
			code := string([]byte{byte(c0), byte(c1)})
			codes = append(codes, code)
		}
	}
	for c0 := 0x81; c0 <= 0x84; c0++ {
		for c2 := 0x81; c2 <= 0xfe; c2 += 7 {
			codes = append(codes, string([]byte{byte(c0), 0x30 + byte(c2%10), byte(c2), 0x30 + byte(c0%10)}))
		}
	}
	for _, c := range codes {
		src.WriteString(c)
		src.WriteByte('\n')
	}
	in := writeFile(t, dir, "all.txt", src.String())
	out := filepath.Join(dir, "all.utf8")
	// -c drops the codes glibc has no mapping for, leaving their lines
	// empty; those are not compared.
	iconvFile(t, "GB18030", "UTF-8", in, out, "-c")
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := decodeBytes(EncodingGB18030, []byte(src.String()))
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Fatalf("%d lines, iconv gives %d", len(gotLines), len(wantLines))
	}
	diff, skipped := 0, 0
	for i := range codes {
		if wantLines[i] == "" {
			// No mapping in glibc: it must not decode here either.
			skipped++
			if !strings.ContainsRune(gotLines[i], utf8.RuneError) {
				t.Errorf("code % X: got %q, iconv has no mapping", codes[i], gotLines[i])
			}
			continue
		}
		if gotLines[i] != wantLines[i] {
			diff++
			// golang.org/x/text follows the WHATWG index, which maps A3A0
			// to U+3000 where GB18030 has U+E5E5; that one is expected.
			if codes[i] != "\xa3\xa0" {
				t.Errorf("code % X: got %q, iconv %q", codes[i], gotLines[i], wantLines[i])
			}
		}
	}
	t.Logf("%d codes compared, %d differ from glibc, %d unmapped in glibc", len(codes)-skipped, diff, skipped)
}
