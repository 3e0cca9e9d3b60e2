// Package glyphs serves the SDF glyph ranges MapLibre draws map labels with
// (GET /fonts/{fontstack}/{range}.pbf), rendered by the binary from a font installed on
// the machine, so labels need nothing from outside the server. A range is rendered on its
// first request (about 256 glyphs: outline → coverage → Euclidean distance transform →
// SDF bytes) and kept encoded in a byte-bounded LRU.
package glyphs

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"fangyuan/internal/api"
)

// StackName is the one font stack served; styles name it in "text-font".
const StackName = "Fangyuan Sans"

// URLTemplate is the style's "glyphs" path (after the server's base URL).
const URLTemplate = "/fonts/{fontstack}/{range}.pbf"

// generator changes when the rendering changes, so ETags of old renderings stop matching.
const generator = "sdf-v1"

// MaxRune is the last code point a range may hold.
const MaxRune = 0x10FFFF

// Config configures a Server. The zero value finds the default font and caches 32 MiB.
type Config struct {
	// Font lists the font files, comma-separated, in fallback order ("path" or
	// "path:face" of a collection); "" means
	// $FANGYUAN_GLYPH_FONT, else DefaultFont.
	Font string
	// CacheBytes bounds the encoded ranges kept (default 32 MiB: every CJK range of the
	// BMP, about 80, takes ~ 20 MiB).
	CacheBytes int
	Log        *slog.Logger
}

// Server renders and serves glyph ranges.
type Server struct {
	cfg Config

	fontOnce sync.Once
	font     *Font
	fontErr  error

	group singleflight.Group
	mu    sync.Mutex
	lru   *list.List // of *entry, most recent first
	byKey map[rune]*list.Element
	bytes int

	// Rendered counts ranges rendered and RenderTime their total time (for the benchmarks).
	statsMu    sync.Mutex
	rendered   int
	renderTime time.Duration
}

type entry struct {
	start   rune
	entries []byte // encoded glyph fields of the range
}

// entryOverhead approximates the bytes an entry costs besides its payload (list element,
// map slot, struct).
const entryOverhead = 160

// New returns a Server; the font is opened on the first request.
func New(cfg Config) *Server {
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 32 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Server{cfg: cfg, lru: list.New(), byKey: map[rune]*list.Element{}}
}

// Font returns the font, opening it on first use.
func (s *Server) Font() (*Font, error) {
	s.fontOnce.Do(func() {
		if s.cfg.Font != "" {
			s.font, s.fontErr = OpenFont(strings.Split(s.cfg.Font, ",")...)
		} else {
			s.font, s.fontErr = FindFont()
		}
		if s.fontErr != nil {
			s.cfg.Log.Warn("map labels unavailable", "err", s.fontErr)
		}
	})
	return s.font, s.fontErr
}

// CacheBytes is the memory the cached ranges take (payload plus bookkeeping).
func (s *Server) CacheBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// CachedRanges is the number of ranges in the cache.
func (s *Server) CachedRanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Stats returns the ranges rendered so far and their total rendering time.
func (s *Server) Stats() (rendered int, total time.Duration) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.rendered, s.renderTime
}

// ParseRange checks a range like "19968-20223": 256 code points starting at a multiple
// of 256, as MapLibre requests them.
func ParseRange(raw string) (start rune, err error) {
	a, b, ok := strings.Cut(raw, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo < 0 || lo%256 != 0 || hi != lo+255 || hi > MaxRune {
		return 0, api.BadRequest("range", "must be START-END with START a multiple of 256 and END = START+255, up to %d (e.g. 0-255, 19968-20223), not %q", MaxRune, raw)
	}
	return rune(lo), nil
}

// Range returns the encoded glyph entries of the range at start (from the cache, else
// rendered once however many ask at the same time); hit reports a cache hit.
func (s *Server) Range(ctx context.Context, start rune) (entries []byte, hit bool, err error) {
	f, err := s.Font()
	if err != nil {
		return nil, false, api.Unavailable("%v", err)
	}
	s.mu.Lock()
	if el, ok := s.byKey[start]; ok {
		s.lru.MoveToFront(el)
		s.mu.Unlock()
		return el.Value.(*entry).entries, true, nil
	}
	s.mu.Unlock()
	v, err, _ := s.group.Do(strconv.Itoa(int(start)), func() (any, error) {
		t0 := time.Now()
		gs, err := f.Range(start, start+255)
		if err != nil {
			return nil, err
		}
		b := encodeGlyphs(gs)
		el := time.Since(t0)
		s.statsMu.Lock()
		s.rendered++
		s.renderTime += el
		s.statsMu.Unlock()
		s.put(start, b)
		return b, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.([]byte), false, nil
}

func (s *Server) put(start rune, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byKey[start]; ok {
		return
	}
	size := len(b) + entryOverhead
	if size > s.cfg.CacheBytes {
		return
	}
	s.byKey[start] = s.lru.PushFront(&entry{start: start, entries: b})
	s.bytes += size
	for s.bytes > s.cfg.CacheBytes {
		last := s.lru.Back()
		e := last.Value.(*entry)
		s.lru.Remove(last)
		delete(s.byKey, e.start)
		s.bytes -= len(e.entries) + entryOverhead
	}
}

// Routes is the glyph endpoint. It is public: glyphs carry no data, and the public plate
// page may draw labels too.
func (s *Server) Routes() []api.Route {
	return []api.Route{{
		Method: http.MethodGet, Path: URLTemplate, Tag: "tiles", Public: true,
		Summary: "SDF glyphs of 256 code points for map labels (MapLibre glyphs PBF; gzip when accepted, ETag/304)",
		Description: "The font stack is \"" + StackName + "\" (a comma-separated stack is served when it names it). " +
			"404 for another font stack; 400 for a range that is not START-(START+255) with START a multiple of 256.",
		Params: []api.Param{
			{Name: "fontstack", In: "path", Type: "string", Example: StackName},
			{Name: "range", In: "path", Type: "string", Example: "19968-20223"},
		},
		Produces: []string{"application/x-protobuf"},
		Handler:  s.handle,
	}}
}

// stackServed reports whether the requested stack (names separated by commas) names ours.
func stackServed(stack string) bool {
	for _, name := range strings.Split(stack, ",") {
		if strings.TrimSpace(name) == StackName {
			return true
		}
	}
	return false
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) error {
	stack := api.PathParam(r, "fontstack")
	if strings.Contains(stack, "%") {
		if u, err := url.PathUnescape(stack); err == nil {
			stack = u
		}
	}
	if !stackServed(stack) {
		return api.NotFound("no font stack %q: this server has %q", stack, StackName)
	}
	rng := api.PathParam(r, "range")
	start, err := ParseRange(rng)
	if err != nil {
		return err
	}
	f, err := s.Font()
	if err != nil {
		return api.Unavailable("%v", err)
	}
	sum := sha256.Sum256([]byte(generator + "\x00" + hex.EncodeToString(f.digest[:]) + "\x00" + stack + "\x00" + rng))
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=604800") // a week; the ETag changes with the font
	h.Set("Vary", "Accept-Encoding")
	h.Set("Access-Control-Allow-Origin", "*")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	entries, hit, err := s.Range(r.Context(), start)
	if err != nil {
		return err
	}
	if hit {
		h.Set("X-Glyph-Cache", "hit")
	} else {
		h.Set("X-Glyph-Cache", "miss")
	}
	body := encodeRange(stack, rng, entries)
	h.Set("Content-Type", "application/x-protobuf")
	if acceptsGzip(r) {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, err := zw.Write(body)
		if err == nil {
			err = zw.Close()
		}
		gzipWriters.Put(zw)
		if err != nil {
			return fmt.Errorf("gzip glyphs: %w", err)
		}
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func etagMatch(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part != "" && (part == etag || part == "*") {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
