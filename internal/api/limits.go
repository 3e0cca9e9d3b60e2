package api

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"fangyuan/internal/limits"
)

// CheckText returns a 400 naming field when s is longer than max characters or holds a
// character PostgreSQL cannot store (NUL); nil when s is fine. See package limits for
// the classes of fields (limits.Name, limits.Address, limits.Note).
func CheckText(field, s string, max int) error {
	if reason := limits.Text(s, max); reason != "" {
		return BadRequest(field, "%s", reason)
	}
	return nil
}

// CheckInt returns a 400 naming field when v is outside [min, max].
func CheckInt(field string, v, min, max int64) error {
	if reason := limits.Int(v, min, max); reason != "" {
		return BadRequest(field, "%s", reason)
	}
	return nil
}

// TooLarge reports a request body over the limit (413).
func TooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Field: "body",
		Message: fmt.Sprintf("the request body is larger than the limit of %d bytes (%d MiB)", limit, limit>>20)}
}

// restOfBody checks what follows the decoded JSON value: only white space, and the body
// within its limit (the decoder may have stopped reading before the limit was reached).
func restOfBody(rest io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := rest.Read(buf)
		for _, c := range buf[:n] {
			switch c {
			case ' ', '\t', '\r', '\n':
			default:
				return BadRequest("body", "trailing data after the JSON object")
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkNUL walks a decoded JSON value and refuses strings with a NUL character, naming
// the field by its JSON path ("aliases[2]"). PostgreSQL rejects NUL in text (SQLSTATE
// 22021); without this check such a request would end in a 500.
func checkNUL(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkNUL(v.Elem(), path)
	case reflect.String:
		if i := strings.IndexByte(v.String(), 0); i >= 0 {
			if path == "" {
				path = "body"
			}
			return BadRequest(path, "contains a NUL character (\\u0000) at byte %d", i)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				name = ""
			}
			if err := checkNUL(v.Field(i), joinPath(path, name)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // []byte, json.RawMessage: not text
		}
		for i := range v.Len() {
			if err := checkNUL(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if strings.IndexByte(k, 0) >= 0 {
				return BadRequest(joinPath(path, "key"), "contains a NUL character (\\u0000)")
			}
			if err := checkNUL(iter.Value(), joinPath(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinPath(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "":
		return path
	}
	return path + "." + name
}
