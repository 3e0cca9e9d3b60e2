package rows

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"fangyuan/internal/api"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           []string // "n:field=value" or "n:error"
		status         int      // the *api.Error status when the body fails as a whole
	}{
		{"csv", "text/csv", "\ufeffID,Address\n1,丽水莲都\n2,\"a,b\"\n", []string{"1:address=丽水莲都", "2:address=a,b"}, 0},
		{"csv sniffed", "", "lon,lat\n120,28\n", []string{"1:lon=120"}, 0},
		{"csv short row", "text/csv", "id,address\n1\n2,x\n", []string{"1:", "2:address=x"}, 0},
		{"jsonl", "application/x-ndjson", "{\"lon\":120.5,\"id\":7}\n\n{bad\n[1]\n{\"a\":1}{\"b\":2}\n{\"address\":\"x\"}", []string{"1:lon=120.5", "2:error", "3:error", "4:error", "5:address=x"}, 0},
		{"jsonl keeps numbers as written", "application/jsonl", "{\"lon\":120.50,\"id\":12345678901234567890}\n", []string{"1:lon=120.50"}, 0},
		{"jsonl sniffed", "", "{\"q\":\"丽水\"}\n", []string{"1:q=丽水"}, 0},
		{"json array", "application/json", "\n[{\"q\":\"丽水\"}]\n", nil, 400},
		{"empty csv", "text/csv", "", nil, 400},
		{"header only", "text/csv", "id,address\n", nil, 400},
		{"blank jsonl", "application/x-ndjson", "\n \n", nil, 400},
		{"bare quote", "text/csv", "id,address\n1,a\"b\n", nil, 400},
		{"unterminated quote", "text/csv", "id,address\n1,\"ab\n2,c\n", nil, 400},
		{"no address column", "text/csv", "id,name\n1,x\n", nil, 400},
		{"xml", "application/xml", "<a/>", nil, 415},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		if tt.ct != "" {
			req.Header.Set("Content-Type", tt.ct)
		}
		need := []Columns{{What: "the address", Names: []string{"address", "lon", "q"}}}
		got, err := Read(httptest.NewRecorder(), req, need, func(row Row) string {
			if row.Err != nil {
				return strconv.Itoa(row.N) + ":error"
			}
			for _, k := range []string{"address", "lon", "q"} {
				if v := row.Fields[k]; v != "" {
					return strconv.Itoa(row.N) + ":" + k + "=" + v
				}
			}
			return strconv.Itoa(row.N) + ":"
		})
		var e *api.Error
		switch {
		case tt.status != 0 && (!errors.As(err, &e) || e.Status != tt.status):
			t.Errorf("%s: err %v, want status %d", tt.name, err, tt.status)
		case tt.status == 0 && err != nil:
			t.Errorf("%s: err %v", tt.name, err)
		case strings.Join(got, "|") != strings.Join(tt.want, "|"):
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// The limits hold at exactly MaxRows rows and MaxBody bytes, and fail one past them.
func TestReadLimits(t *testing.T) {
	read := func(body string, length int64) error {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/csv")
		req.ContentLength = length
		_, err := Read(httptest.NewRecorder(), req, nil, func(Row) struct{} { return struct{}{} })
		return err
	}
	status := func(err error) int {
		var e *api.Error
		if errors.As(err, &e) {
			return e.Status
		}
		return 0
	}
	rowsBody := func(n int) string { return "a\n" + strings.Repeat("1\n", n) }
	if err := read(rowsBody(MaxRows), -1); err != nil {
		t.Errorf("%d rows: %v", MaxRows, err)
	}
	if err := read(rowsBody(MaxRows+1), -1); status(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("%d rows: %v, want 413", MaxRows+1, err)
	}
	// One row whose field fills the body to exactly MaxBody bytes, then one byte more.
	exact := "a\n" + strings.Repeat("x", MaxBody-3) + "\n"
	if err := read(exact, -1); err != nil {
		t.Errorf("%d bytes: %v", len(exact), err)
	}
	if err := read(exact+"\n", -1); status(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes: %v, want 413", len(exact)+1, err)
	}
	if err := read("a\n1\n", MaxBody+1); status(err) != http.StatusRequestEntityTooLarge {
		t.Errorf("announced %d bytes: %v, want 413", MaxBody+1, err)
	}
}

// Stream writes one line per row in order, whatever the number of workers and chunks, and a
// row whose answer panics gets an error line of its own.
func TestStream(t *testing.T) {
	for _, n := range []int{1, 7, chunk, chunk + 1, 3*chunk + 5} {
		rec := httptest.NewRecorder()
		err := Stream(rec, httptest.NewRequest("POST", "/", nil), n, func(i int) map[string]any {
			if i == 5 {
				panic("boom")
			}
			return map[string]any{"row": i + 1, "s": strings.Repeat("é", i%13)}
		})
		if err != nil || rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-ndjson; charset=utf-8" {
			t.Fatalf("n=%d: %v %d %s", n, err, rec.Code, rec.Header().Get("Content-Type"))
		}
		lines := strings.Split(strings.TrimSuffix(rec.Body.String(), "\n"), "\n")
		if len(lines) != n {
			t.Fatalf("n=%d: %d lines", n, len(lines))
		}
		for i, l := range lines {
			want := `{"row":` + strconv.Itoa(i+1) + `,"s":"` + strings.Repeat("é", i%13) + `"}`
			if i == 5 {
				want = `{"row":6,"status":"error","error":"internal error: answering the row failed: boom"}`
			}
			if l != want {
				t.Fatalf("n=%d line %d: %s, want %s", n, i+1, l, want)
			}
		}
	}
}
