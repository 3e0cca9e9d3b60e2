package rows

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fangyuan/internal/api"
)

// FuzzReadStream: any body is either a 4xx *api.Error before any output, or a 200 with one
// JSON line per row numbered 1…n in order; never a panic.
func FuzzReadStream(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"text/csv", "id,address\n1,丽水莲都\n2,\"a,b\"\n"},
		{"text/csv", "id,lon,lat\n1,120,28\n2,1\"20,28\n"},
		{"text/csv", "\ufeffid,address\r\n1,\"x\r\n\"\"y\"\"\"\r\n"},
		{"application/x-ndjson", "{\"id\":1,\"address\":\"x\"}\n\n{bad\n[1]\nnull\n"},
		{"application/json", "[{\"a\":1}]"},
		{"", "{\"q\":\"丽水\"}"},
		{"", "address\n"},
		{"text/plain", ""},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		need := []Columns{{What: "the address", Names: []string{"address"}}}
		got, err := Read(rec, req, need, func(r Row) int { return r.N })
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Message == "" {
				t.Fatalf("error %v is not a 4xx *api.Error", err)
			}
			if rec.Body.Len() != 0 {
				t.Fatalf("output before the error: %q", rec.Body.String())
			}
			return
		}
		for i, n := range got {
			if n != i+1 {
				t.Fatalf("row %d numbered %d", i+1, n)
			}
		}
		if err := Stream(rec, req, len(got), func(i int) map[string]int { return map[string]int{"row": got[i]} }); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n")
		if len(lines) != len(got) {
			t.Fatalf("%d lines for %d rows", len(lines), len(got))
		}
		for i, l := range lines {
			var v struct{ Row int }
			if json.Unmarshal([]byte(l), &v) != nil || v.Row != i+1 {
				t.Fatalf("line %d: %s", i+1, l)
			}
		}
	})
}
