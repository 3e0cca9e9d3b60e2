package ogcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"fangyuan/tiles/tilestest"
)

// getJSON fetches path and decodes the JSON answer.
func getJSON(t *testing.T, env *tilestest.Env, path string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	resp, b := env.Get(t, path, header...)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d %s: not JSON: %v\n%.500s", path, resp.StatusCode, resp.Header.Get("Content-Type"), err, b)
	}
	return resp, m
}

func mustStatus(t *testing.T, resp *http.Response, want int, path string) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", path, resp.StatusCode, want)
	}
}

// links returns the links of a document by rel (several per rel possible).
func links(doc map[string]any) []map[string]any {
	ls, _ := doc["links"].([]any)
	out := make([]map[string]any, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.(map[string]any))
	}
	return out
}

func link(doc map[string]any, rel, typ string) (string, bool) {
	for _, l := range links(doc) {
		if l["rel"] == rel && (typ == "" || l["type"] == typ) {
			return l["href"].(string), true
		}
	}
	return "", false
}

// rel strips the server URL from an absolute href.
func rel(env *tilestest.Env, href string) string { return strings.TrimPrefix(href, env.URL) }

func features(doc map[string]any) []map[string]any {
	fs, _ := doc["features"].([]any)
	out := make([]map[string]any, len(fs))
	for i, f := range fs {
		out[i] = f.(map[string]any)
	}
	return out
}

func ids(doc map[string]any) []int64 {
	var out []int64
	for _, f := range features(doc) {
		out = append(out, int64(f["id"].(float64)))
	}
	return out
}

// sqlIDs runs a query returning ids.
func sqlIDs(t *testing.T, env *tilestest.Env, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := env.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sqlInt(t *testing.T, env *tilestest.Env, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// do sends a request with a body and headers.
func do(t *testing.T, env *tilestest.Env, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
