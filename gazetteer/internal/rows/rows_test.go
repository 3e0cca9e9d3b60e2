package rows

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           []string // "n:field=value" or "n:error"
		bad            bool
	}{
		{"csv", "text/csv", "\ufeffID,Address\n1,丽水莲都\n2,\"a,b\"\n", []string{"1:address=丽水莲都", "2:address=a,b"}, false},
		{"csv sniffed", "", "lon,lat\n120,28\n", []string{"1:lon=120"}, false},
		{"jsonl", "application/x-ndjson", "{\"lon\":120.5,\"id\":7}\n\n{bad\n{\"address\":\"x\"}\n", []string{"1:lon=120.5", "2:error", "3:address=x"}, false},
		{"jsonl sniffed", "", "{\"q\":\"丽水\"}\n", []string{"1:q=丽水"}, false},
		{"empty csv", "text/csv", "", nil, true},
		{"xml", "application/xml", "<a/>", nil, true},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		if tt.ct != "" {
			req.Header.Set("Content-Type", tt.ct)
		}
		r, err := NewReader(req)
		if (err != nil) != tt.bad {
			t.Errorf("%s: err %v", tt.name, err)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for {
			row, ok := r.Next()
			if !ok {
				break
			}
			if row.Err != nil {
				got = append(got, itoa(row.N)+":error")
				continue
			}
			for _, k := range []string{"address", "lon", "q"} {
				if v := row.Fields[k]; v != "" {
					got = append(got, itoa(row.N)+":"+k+"="+v)
					break
				}
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }
