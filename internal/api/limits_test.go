package api

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeJSONLimits(t *testing.T) {
	type inner struct {
		Aliases []string          `json:"aliases"`
		Tags    map[string]string `json:"tags"`
	}
	type body struct {
		Name  string  `json:"name"`
		Note  *string `json:"note"`
		Inner inner   `json:"inner"`
		N     int32   `json:"n"`
	}
	big := `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		what, in string
		chunked  bool
		status   int
		field    string
	}{
		{"fine", `{"name":"名","inner":{"aliases":["a"]}}`, false, 0, ""},
		{"over the limit, with a length", big, false, 413, "body"},
		{"over the limit, chunked", big, true, 413, "body"},
		{"blanks past the limit", `{"name":"x"}` + strings.Repeat(" ", MaxBodyBytes), true, 413, "body"},
		{"blanks within the limit", `{"name":"x"}` + strings.Repeat(" ", 1000), true, 0, ""},
		{"trailing object", `{"name":"x"} {}`, false, 400, "body"},
		{"NUL", `{"name":"a\u0000b"}`, false, 400, "name"},
		{"NUL behind a pointer", `{"note":"\u0000"}`, false, 400, "note"},
		{"NUL in a slice", `{"inner":{"aliases":["ok","x\u0000"]}}`, false, 400, "inner.aliases[1]"},
		{"NUL in a map", `{"inner":{"tags":{"k":"\u0000"}}}`, false, 400, "inner.tags.k"},
		{"int32 overflow", `{"n":2147483648}`, false, 400, "n"},
	}
	for _, tt := range tests {
		var rd io.Reader = strings.NewReader(tt.in)
		if tt.chunked {
			rd = struct{ io.Reader }{rd}
		}
		r := httptest.NewRequest("POST", "/", rd)
		if tt.chunked {
			r.ContentLength = -1
		}
		var b body
		err := DecodeJSON(r, &b)
		if tt.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.what, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != tt.status || e.Field != tt.field {
			t.Errorf("%s: %v (%+v), want %d naming %q", tt.what, err, e, tt.status, tt.field)
		}
	}
}

func TestCheckText(t *testing.T) {
	if err := CheckText("name", strings.Repeat("名", 200), 200); err != nil {
		t.Errorf("200 characters: %v", err)
	}
	for _, s := range []string{strings.Repeat("名", 201), "a\x00", "\xff"} {
		var e *Error
		if err := CheckText("name", s, 200); !errors.As(err, &e) || e.Status != 400 || e.Field != "name" {
			t.Errorf("CheckText(%q…) = %v", s[:min(len(s), 6)], err)
		}
	}
	if err := CheckInt("beds", 1<<31, 0, 1<<31-1); err == nil {
		t.Error("CheckInt(2^31) accepted")
	}
}
