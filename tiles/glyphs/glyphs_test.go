package glyphs_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"fangyuan/internal/api"
	"fangyuan/tiles/glyphs"
)

// ---- an independent decoder of glyphs.proto, written from the .proto text ----

type pbGlyph struct {
	id, width, height, advance uint32
	left, top                  int32
	bitmap                     []byte
	seen                       map[int]bool
}

type pbStack struct {
	name, rng string
	glyphs    []pbGlyph
}

type reader struct{ b []byte }

func (r *reader) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if len(r.b) == 0 {
			return 0, errors.New("truncated varint")
		}
		c := r.b[0]
		r.b = r.b[1:]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint too long")
}

// field reads a key; for length-delimited fields it returns the payload, else the value.
func (r *reader) field() (num, wire int, v uint64, payload []byte, err error) {
	key, err := r.varint()
	if err != nil {
		return
	}
	num, wire = int(key>>3), int(key&7)
	switch wire {
	case 0:
		v, err = r.varint()
	case 2:
		var n uint64
		if n, err = r.varint(); err != nil {
			return
		}
		if n > uint64(len(r.b)) {
			err = fmt.Errorf("field %d: length %d beyond the message", num, n)
			return
		}
		payload, r.b = r.b[:n], r.b[n:]
	default:
		err = fmt.Errorf("field %d: unexpected wire type %d", num, wire)
	}
	return
}

func decodeGlyphs(b []byte) ([]pbStack, error) {
	var stacks []pbStack
	r := &reader{b}
	for len(r.b) > 0 {
		num, wire, _, p, err := r.field()
		if err != nil {
			return nil, err
		}
		if num != 1 || wire != 2 {
			return nil, fmt.Errorf("glyphs: field %d wire %d", num, wire)
		}
		s, err := decodeStack(p)
		if err != nil {
			return nil, err
		}
		stacks = append(stacks, s)
	}
	return stacks, nil
}

func decodeStack(b []byte) (pbStack, error) {
	var s pbStack
	r := &reader{b}
	var haveName, haveRange bool
	for len(r.b) > 0 {
		num, wire, _, p, err := r.field()
		if err != nil {
			return s, err
		}
		if wire != 2 {
			return s, fmt.Errorf("fontstack: field %d wire %d", num, wire)
		}
		switch num {
		case 1:
			s.name, haveName = string(p), true
		case 2:
			s.rng, haveRange = string(p), true
		case 3:
			g, err := decodeGlyph(p)
			if err != nil {
				return s, err
			}
			s.glyphs = append(s.glyphs, g)
		default:
			return s, fmt.Errorf("fontstack: unknown field %d", num)
		}
	}
	if !haveName || !haveRange {
		return s, errors.New("fontstack: required name or range missing")
	}
	return s, nil
}

func decodeGlyph(b []byte) (pbGlyph, error) {
	g := pbGlyph{seen: map[int]bool{}}
	r := &reader{b}
	zigzag := func(v uint64) int32 { return int32(uint32(v>>1) ^ -uint32(v&1)) }
	for len(r.b) > 0 {
		num, wire, v, p, err := r.field()
		if err != nil {
			return g, err
		}
		want := 0
		if num == 2 {
			want = 2
		}
		if wire != want {
			return g, fmt.Errorf("glyph: field %d wire %d", num, wire)
		}
		g.seen[num] = true
		switch num {
		case 1:
			g.id = uint32(v)
		case 2:
			g.bitmap = p
		case 3:
			g.width = uint32(v)
		case 4:
			g.height = uint32(v)
		case 5:
			g.left = zigzag(v)
		case 6:
			g.top = zigzag(v)
		case 7:
			g.advance = uint32(v)
		default:
			return g, fmt.Errorf("glyph: unknown field %d", num)
		}
	}
	for _, req := range []int{1, 3, 4, 5, 6, 7} {
		if !g.seen[req] {
			return g, fmt.Errorf("glyph %d: required field %d missing", g.id, req)
		}
	}
	return g, nil
}

// ---- the server under test ----

func serve(t *testing.T, cfg glyphs.Config) (*glyphs.Server, string) {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := glyphs.New(cfg)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, api.NewMetrics(prometheus.NewRegistry()))
	rt.Handle(s.Routes()...)
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func fetchRange(t *testing.T, base, stack, rng string) pbStack {
	t.Helper()
	resp, body := get(t, base+"/fonts/"+strings.ReplaceAll(stack, " ", "%20")+"/"+rng+".pbf")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("%s %s: %d %s %.200s", stack, rng, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	stacks, err := decodeGlyphs(body)
	if err != nil {
		t.Fatalf("%s: decode: %v", rng, err)
	}
	if len(stacks) != 1 || stacks[0].name != stack || stacks[0].rng != rng {
		t.Fatalf("%s: stacks %d, name %q range %q", rng, len(stacks), stacks[0].name, stacks[0].rng)
	}
	return stacks[0]
}

// charset is the set of code points a font maps, as fontconfig's fc-query reads it (an
// independent cmap reader).
func charset(t *testing.T, file string) map[rune]bool {
	t.Helper()
	if _, err := exec.LookPath("fc-query"); err != nil {
		t.Fatal("fc-query not found: install fontconfig (apt-get install -y fontconfig)")
	}
	out, err := exec.Command("fc-query", "--format", "%{charset}", file).Output()
	if err != nil {
		t.Fatalf("fc-query %s: %v", file, err)
	}
	set := map[rune]bool{}
	for _, f := range strings.Fields(string(out)) {
		a, b, ok := strings.Cut(f, "-")
		lo, err := strconv.ParseUint(a, 16, 32)
		if err != nil {
			t.Fatalf("fc-query charset %q", f)
		}
		hi := lo
		if ok {
			if hi, err = strconv.ParseUint(b, 16, 32); err != nil {
				t.Fatalf("fc-query charset %q", f)
			}
		}
		for r := lo; r <= hi; r++ {
			set[rune(r)] = true
		}
	}
	return set
}

// refFace is a face of one of the stack's fonts through x/image/font/opentype's Face, a
// rasteriser path separate from the server's (font.Face.Glyph draws the mask itself).
func refFace(t testing.TB, file string) font.Face {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := opentype.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 24, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

func TestGlyphRanges(t *testing.T) {
	latinFile, cjkFile := glyphs.DefaultFont[0], glyphs.DefaultFont[1]
	for _, f := range glyphs.DefaultFont {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v: install fonts-dejavu-core and fonts-droid-fallback (make deps)", err)
		}
	}
	_, base := serve(t, glyphs.Config{})
	latinSet, cjkSet := charset(t, latinFile), charset(t, cjkFile)
	latin, cjk := refFace(t, latinFile), refFace(t, cjkFile)
	ascent := max(latin.Metrics().Ascent.Round(), cjk.Metrics().Ascent.Round())

	byID := map[rune]pbGlyph{}
	// the ranges of Latin letters, 国 (U+56FD), 口 and 厂 (U+53E3, U+5382), 路 (U+8DEF), the first
	// ideographs and the full-width forms
	for _, rng := range []string{"0-255", "19968-20223", "22016-22271", "21248-21503", "36096-36351", "65280-65535"} {
		st := fetchRange(t, base, glyphs.StackName, rng)
		lo, _ := strconv.Atoi(strings.Split(rng, "-")[0])
		// ids: exactly the code points of the range either font has, in order
		var want []rune
		for r := rune(lo); r < rune(lo)+256; r++ {
			if (latinSet[r] || cjkSet[r]) && !unicode.IsControl(r) {
				want = append(want, r)
			}
		}
		var got []rune
		for _, g := range st.glyphs {
			got = append(got, rune(g.id))
			byID[rune(g.id)] = g
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %d glyph ids, fc-query has %d code points\n got %v\nwant %v", rng, len(got), len(want), got, want)
		}
		for _, g := range st.glyphs {
			switch {
			case g.width == 0 || g.height == 0:
				if len(g.bitmap) != 0 {
					t.Errorf("U+%04X: empty glyph with a %d-byte bitmap", g.id, len(g.bitmap))
				}
			case len(g.bitmap) != int((g.width+6)*(g.height+6)):
				t.Errorf("U+%04X: bitmap %d bytes, want (%d+6)×(%d+6)", g.id, len(g.bitmap), g.width, g.height)
			}
			if g.advance > 48 || g.width > 48 || g.height > 48 || g.left < -12 || g.left > 24 || g.top < -40 || g.top > 12 {
				t.Errorf("U+%04X: metrics out of range: %+v", g.id, g)
			}
		}
	}
	guo, i, w := byID['国'], byID['i'], byID['W']
	if guo.advance < 23 || guo.advance > 25 {
		t.Errorf("advance of 国 %d, want about 24 (one em)", guo.advance)
	}
	if !(i.advance > 0 && i.advance < w.advance) || !(i.width < w.width) {
		t.Errorf("i (advance %d, width %d) is not narrower than W (advance %d, width %d)", i.advance, i.width, w.advance, w.width)
	}
	if sp := byID[' ']; sp.advance == 0 || len(sp.bitmap) != 0 {
		t.Errorf("space: advance %d, bitmap %d bytes", sp.advance, len(sp.bitmap))
	}

	// The field against the reference mask: fully covered pixels read above 192, pixels
	// 7 px or more from any ink read about 0.
	for _, c := range []struct {
		r    rune
		face font.Face
	}{{'国', cjk}, {'口', cjk}, {'厂', cjk}, {'路', cjk}, {'W', latin}, {'L', latin}, {'8', latin}} {
		g, ok := byID[c.r]
		if !ok {
			t.Fatalf("%q not served", c.r)
		}
		dr, mask, mp, adv, ok := c.face.Glyph(fixed.P(0, 0), c.r)
		if !ok {
			t.Fatalf("reference face has no %q", c.r)
		}
		if got := uint32(adv.Round()); got != g.advance {
			t.Errorf("%q: advance %d, reference %d", c.r, g.advance, got)
		}
		if int(g.width) != dr.Dx() || int(g.height) != dr.Dy() || int(g.left) != dr.Min.X || int(g.top) != -dr.Min.Y-ascent {
			t.Errorf("%q: box %d×%d at left %d top %d; reference %v (ascent %d)", c.r, g.width, g.height, g.left, g.top, dr, ascent)
		}
		W, H := int(g.width)+6, int(g.height)+6
		cover := func(bx, by int) int { // reference coverage at a bitmap pixel
			x, y := bx-3+dr.Min.X, by-3+dr.Min.Y
			if x < dr.Min.X || x >= dr.Max.X || y < dr.Min.Y || y >= dr.Max.Y {
				return 0
			}
			_, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA()
			return int(a >> 8)
		}
		var inside, far int
		for by := 0; by < H; by++ {
			for bx := 0; bx < W; bx++ {
				v := g.bitmap[by*W+bx]
				if cover(bx, by) == 255 {
					inside++
					if v <= 192 {
						t.Errorf("%q: covered pixel (%d,%d) reads %d, want > 192", c.r, bx, by, v)
					}
					continue
				}
				near := math.Inf(1)
				for qy := 0; qy < H; qy++ {
					for qx := 0; qx < W; qx++ {
						if cover(qx, qy) > 0 {
							near = min(near, math.Hypot(float64(qx-bx), float64(qy-by)))
						}
					}
				}
				if near >= 7 {
					far++
					if v > 8 {
						t.Errorf("%q: pixel (%d,%d) %.1f px from any ink reads %d, want about 0", c.r, bx, by, near, v)
					}
				}
			}
		}
		if inside < 10 {
			t.Errorf("%q: only %d covered pixels", c.r, inside)
		}
		if (c.r == 'L' || c.r == '厂') && far == 0 {
			t.Errorf("%q: no pixel far from the ink (the far-outside check ran on nothing)", c.r)
		}
	}
}

func TestGlyphHTTP(t *testing.T) {
	s, base := serve(t, glyphs.Config{})
	u := base + "/fonts/Fangyuan%20Sans/19968-20223.pbf"
	resp, body := get(t, u, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("X-Glyph-Cache") != "miss" {
		t.Fatalf("first request: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := decodeGlyphs(raw); err != nil || len(st) != 1 || len(st[0].glyphs) != 256 {
		t.Fatalf("gzip body: %v", err)
	}
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=604800") {
		t.Fatalf("cache headers: %v", resp.Header)
	}
	resp, _ = get(t, u)
	if resp.StatusCode != 200 || resp.Header.Get("X-Glyph-Cache") != "hit" || resp.Header.Get("ETag") != etag {
		t.Fatalf("second request: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ = get(t, u, "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	// a stack naming ours among others is served under the requested name
	if st := fetchRange(t, base, "Fangyuan Sans,Noto Sans Regular", "0-255"); len(st.glyphs) < 150 {
		t.Fatalf("comma stack: %d glyphs", len(st.glyphs))
	}
	for _, c := range []struct {
		path   string
		status int
		field  string
	}{
		{"/fonts/Open%20Sans%20Regular/0-255.pbf", 404, ""},
		{"/fonts/Fangyuan%20Sans/0-256.pbf", 400, "range"},
		{"/fonts/Fangyuan%20Sans/1-256.pbf", 400, "range"},
		{"/fonts/Fangyuan%20Sans/256-511x.pbf", 400, "range"},
		{"/fonts/Fangyuan%20Sans/-256-0.pbf", 400, "range"},
		{"/fonts/Fangyuan%20Sans/1114112-1114367.pbf", 400, "range"},
	} {
		resp, body := get(t, base+c.path)
		var e struct {
			Error struct {
				Code, Message, Field string
			} `json:"error"`
		}
		if resp.StatusCode != c.status || json.Unmarshal(body, &e) != nil || e.Error.Message == "" || (c.field != "" && !strings.Contains(string(body), c.field)) {
			t.Errorf("%s: %d %s, want %d with a JSON error", c.path, resp.StatusCode, body, c.status)
		}
	}
	if n, _ := s.Stats(); n != 2 {
		t.Errorf("%d ranges rendered, want 2 (19968-20223 and 0-255)", n)
	}
}

func TestGlyphCacheBounded(t *testing.T) {
	// one CJK range encodes to about 220 kB: a 500 kB cache holds two
	s, base := serve(t, glyphs.Config{CacheBytes: 500 << 10})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ { // concurrent first requests of one range render it once
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + "/fonts/Fangyuan%20Sans/20224-20479.pbf")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if n, _ := s.Stats(); n != 1 {
		t.Fatalf("8 concurrent requests rendered %d times", n)
	}
	for start := 20480; start < 20480+5*256; start += 256 {
		fetchRange(t, base, glyphs.StackName, fmt.Sprintf("%d-%d", start, start+255))
		if b := s.CacheBytes(); b > 500<<10 {
			t.Fatalf("cache holds %d bytes, bound 500 KiB", b)
		}
	}
	if n := s.CachedRanges(); n < 1 || n > 2 {
		t.Fatalf("%d ranges cached", n)
	}
	resp, _ := get(t, base+"/fonts/Fangyuan%20Sans/20224-20479.pbf")
	if resp.Header.Get("X-Glyph-Cache") != "miss" {
		t.Fatalf("the least recently used range was not evicted")
	}
}

func TestMissingFont(t *testing.T) {
	_, base := serve(t, glyphs.Config{Font: "/nonexistent/font.ttf"})
	resp, body := get(t, base+"/fonts/Fangyuan%20Sans/0-255.pbf")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "font") {
		t.Fatalf("missing font: %d %s", resp.StatusCode, body)
	}
}
