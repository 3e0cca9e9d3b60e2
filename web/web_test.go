package web_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"fangyuan/web"
)

// The page must work on an isolated network: no file refers to anything outside the server.
func TestNoExternalReferences(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import\s+url\(["']?https?:|fetch\(["']https?:`)
	err := fs.WalkDir(web.Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "vendor/") {
			return err
		}
		b, _ := fs.ReadFile(web.Static(), p)
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers outside the server: %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The vendored MapLibre GL JS is the version web/e2e/package.json pins.
func TestVendoredMapLibre(t *testing.T) {
	var pkg struct{ Dependencies map[string]string }
	b, err := os.ReadFile("e2e/package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	v := pkg.Dependencies["maplibre-gl"]
	js, err := fs.ReadFile(web.Static(), "vendor/maplibre/maplibre-gl.js")
	if err != nil {
		t.Fatal(err)
	}
	if v == "" || !strings.Contains(string(js[:300]), "/v"+v+"/") {
		t.Fatalf("vendor/maplibre/maplibre-gl.js is not maplibre-gl %s: %q", v, js[:200])
	}
}

func TestHandler(t *testing.T) {
	h := web.Handler()
	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html", 200},
		{"/ui/app.js", "javascript", 200},
		{"/ui/vendor/maplibre/maplibre-gl.js", "javascript", 200},
		{"/ui/vendor/maplibre/maplibre-gl.css", "text/css", 200},
		{"/ui/nosuch.js", "application/json", 404},
		{"/ui/../web.go", "application/json", 404},
	} {
		req := httptest.NewRequest(http.MethodGet, c.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || !strings.Contains(rec.Header().Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %s", c.path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if c.status == 200 {
			etag := rec.Header().Get("ETag")
			req2 := httptest.NewRequest(http.MethodGet, c.path, nil)
			req2.Header.Set("If-None-Match", etag)
			rec2 := httptest.NewRecorder()
			h.ServeHTTP(rec2, req2)
			if etag == "" || rec2.Code != http.StatusNotModified {
				t.Errorf("%s: ETag %q, revalidation %d", c.path, etag, rec2.Code)
			}
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/ui/vendor/maplibre/maplibre-gl.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Body.Len() > 300<<10 {
		t.Errorf("maplibre-gl.js: %q, %d bytes", rec.Header().Get("Content-Encoding"), rec.Body.Len())
	}
}
