package addr_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"fangyuan/gazetteer/addr"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// The batch endpoints are tested over real loopback TCP (httptest.NewServer): the defect
// they guard against (answer streamed before the body was read, so Go's HTTP/1.1 server
// dropped the rest of the body) does not show with an in-memory ResponseRecorder.

const batchRows = 100_000

func batchServer(t testing.TB, guard api.Guard) *httptest.Server {
	_, st := demo(t)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), guard, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv
}

// batchInput is one generated batch: the body in both formats and what each row must say.
type batchInput struct {
	csv, ndjson []byte
	ids         []string // row i+1's id
	wantStatus  []string // row i+1's status, "" when any non-error status is right
}

// geocodeInput cycles through the demo facilities' street addresses (they geocode, see
// TestGeocodeDemoFacilities), rows with no address (status error) and ids that need CSV
// quoting.
func geocodeInput(t testing.TB, n int) batchInput {
	var addrs []string
	for _, f := range demoFacilities(t) {
		if strings.HasSuffix(f.address, "号") {
			addrs = append(addrs, f.address)
		}
	}
	var in batchInput
	var c, j bytes.Buffer
	c.WriteString("id,address\n")
	for i := 1; i <= n; i++ {
		id := "g" + strconv.Itoa(i)
		if i%17 == 0 {
			id += ",q" // a comma: quoted in CSV
		}
		a, want := addrs[i%len(addrs)], ""
		if i%101 == 0 {
			a, want = "", "error"
		}
		fmt.Fprintf(&c, "%q,%s\n", id, a)
		jb, _ := json.Marshal(map[string]string{"id": id, "address": a})
		j.Write(jb)
		j.WriteByte('\n')
		in.ids = append(in.ids, id)
		in.wantStatus = append(in.wantStatus, want)
	}
	in.csv, in.ndjson = c.Bytes(), j.Bytes()
	return in
}

// reverseInput cycles through points inside the demo county 方圆县 (339901: 119.95–120.05 E,
// 28.20–28.30 N) and, every 50th row, a longitude out of range (status error).
func reverseInput(n int) batchInput {
	var in batchInput
	var c, j bytes.Buffer
	c.WriteString("id,lon,lat\n")
	for i := 1; i <= n; i++ {
		id := "p" + strconv.Itoa(i)
		lon, lat, want := 119.96+float64(i%80)/1000, 28.21+float64(i%70)/1000, "ok"
		if i%50 == 0 {
			lon, want = 500, "error"
		}
		fmt.Fprintf(&c, "%s,%.6f,%.6f\n", id, lon, lat)
		fmt.Fprintf(&j, "{\"id\":%q,\"lon\":%.6f,\"lat\":%.6f}\n", id, lon, lat)
		in.ids = append(in.ids, id)
		in.wantStatus = append(in.wantStatus, want)
	}
	in.csv, in.ndjson = c.Bytes(), j.Bytes()
	return in
}

// post sends body to path; chunked hides the length (the client streams it through a pipe,
// Transfer-Encoding: chunked).
func post(t testing.TB, srv *httptest.Server, path, ct string, body []byte, chunked bool, token string) *http.Response {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		pr, pw := io.Pipe()
		go func() {
			// Small writes, as an uploading client does.
			for b := body; len(b) > 0; {
				k := min(len(b), 4096)
				if _, err := pw.Write(b[:k]); err != nil {
					return
				}
				b = b[k:]
			}
			pw.Close()
		}()
		rd = pr
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", ct)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type outLine struct {
	Row    int    `json:"row"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

func readLines(t testing.TB, resp *http.Response) []outLine {
	t.Helper()
	var out []outLine
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l outLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the answer after %d lines: %v", len(out), err)
	}
	return out
}

// Every input row gets exactly one output line, with its row number and id, in order:
// 100,000 rows, CSV and JSON lines, with and without a known length, for both endpoints,
// and 2,000 rows (≈ 110 KB: the old handler lost the rest of a known-length body this size
// once its first 1,000 answers were flushed).
func TestBatchEveryRowAnswered(t *testing.T) {
	srv := batchServer(t, nil)
	for _, size := range []int{2000, batchRows} {
		testBatchEveryRowAnswered(t, srv, size)
	}
}

func testBatchEveryRowAnswered(t *testing.T, srv *httptest.Server, batchRows int) {
	inputs := map[string]batchInput{
		"/api/geocode/batch": geocodeInput(t, batchRows),
		"/api/reverse/batch": reverseInput(batchRows),
	}
	for _, path := range []string{"/api/geocode/batch", "/api/reverse/batch"} {
		in := inputs[path]
		for _, format := range []string{"csv", "ndjson"} {
			for _, chunked := range []bool{false, true} {
				name := fmt.Sprintf("%s %s %d rows chunked=%v", path, format, batchRows, chunked)
				body, ct := in.csv, "text/csv"
				if format == "ndjson" {
					body, ct = in.ndjson, "application/x-ndjson"
				}
				resp := post(t, srv, path, ct, body, chunked, "")
				if resp.StatusCode != http.StatusOK {
					b, _ := io.ReadAll(resp.Body)
					t.Errorf("%s: HTTP %d: %s", name, resp.StatusCode, b)
					continue
				}
				lines := readLines(t, resp)
				if len(lines) != batchRows {
					t.Errorf("%s: %d lines for %d rows", name, len(lines), batchRows)
				}
				bad := 0
				for i, l := range lines {
					if i >= batchRows {
						break
					}
					want := in.wantStatus[i]
					ok := l.Row == i+1 && l.ID == in.ids[i] &&
						(want == l.Status || (want == "" && l.Status != "error" && l.Status != ""))
					if !ok {
						if bad++; bad <= 5 {
							t.Errorf("%s: line %d is row %d id %q status %s (%s), want row %d id %q status %q",
								name, i+1, l.Row, l.ID, l.Status, l.Error, i+1, in.ids[i], want)
						}
					}
				}
				if bad > 5 {
					t.Errorf("%s: %d wrong lines in all", name, bad)
				}
			}
		}
	}
}

// wantJSONError checks that resp is the status with an *api.Error JSON body and no rows.
func wantJSONError(t *testing.T, name string, resp *http.Response, status int, code string) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s: reading the answer: %v", name, err)
		return
	}
	var body struct {
		Error *api.Error `json:"error"`
	}
	if resp.StatusCode != status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		json.Unmarshal(b, &body) != nil || body.Error == nil || body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("%s: HTTP %d %s %.300s, want %d with a JSON error %s", name, resp.StatusCode, resp.Header.Get("Content-Type"), b, status, code)
	}
	if bytes.Contains(b, []byte(`"row":`)) {
		t.Errorf("%s: rows were written before the error: %.300s", name, b)
	}
}

// More than 100,000 rows, or a body over the byte limit, is a 413 with a JSON error before
// any row is answered.
func TestBatchOverLimits(t *testing.T) {
	srv := batchServer(t, nil)
	geo, rev := geocodeInput(t, batchRows+1), reverseInput(batchRows+1)
	for _, chunked := range []bool{false, true} {
		wantJSONError(t, fmt.Sprintf("geocode csv 100,001 rows chunked=%v", chunked),
			post(t, srv, "/api/geocode/batch", "text/csv", geo.csv, chunked, ""), http.StatusRequestEntityTooLarge, "too_large")
		wantJSONError(t, fmt.Sprintf("reverse ndjson 100,001 rows chunked=%v", chunked),
			post(t, srv, "/api/reverse/batch", "application/x-ndjson", rev.ndjson, chunked, ""), http.StatusRequestEntityTooLarge, "too_large")
	}

	// 40,000 rows of 1 KB: 40 MB, under the row limit and over the 32 MiB byte limit.
	pad := strings.Repeat("x", 1000)
	var c, j bytes.Buffer
	c.WriteString("id,lon,lat,note\n")
	for i := 1; i <= 40_000; i++ {
		fmt.Fprintf(&c, "%d,120.0,28.25,%s\n", i, pad)
		fmt.Fprintf(&j, "{\"id\":%d,\"address\":\"丽水莲都\",\"note\":%q}\n", i, pad)
	}
	for _, chunked := range []bool{false, true} {
		wantJSONError(t, fmt.Sprintf("reverse csv 40 MB chunked=%v", chunked),
			post(t, srv, "/api/reverse/batch", "text/csv", c.Bytes(), chunked, ""), http.StatusRequestEntityTooLarge, "too_large")
		wantJSONError(t, fmt.Sprintf("geocode ndjson 40 MB chunked=%v", chunked),
			post(t, srv, "/api/geocode/batch", "application/x-ndjson", j.Bytes(), chunked, ""), http.StatusRequestEntityTooLarge, "too_large")
	}
}

// A body that cannot be split into rows is a 400 with a JSON error before any row:
// broken CSV quoting, a body cut short, a header without the needed columns, no rows.
func TestBatchMalformedBody(t *testing.T) {
	srv := batchServer(t, nil)
	many := geocodeInput(t, 5000).csv
	tests := []struct {
		name, path, ct, body string
	}{
		{"geocode: stray quote before more rows", "/api/geocode/batch", "text/csv", string(many) + "\"g5001,丽水莲都\n" + string(many[11:])},
		{"geocode: unterminated quote at the end", "/api/geocode/batch", "text/csv", string(many) + "\"g5001,丽水莲都\n5002,丽水莲都\n"},
		{"geocode: bare quote mid-field", "/api/geocode/batch", "text/csv", "id,address\n1,丽水\"莲都\n2,丽水莲都\n"},
		{"reverse: quote mid-field", "/api/reverse/batch", "text/csv", "id,lon,lat\n1,120.0,28.25\n2,1\"20,28\n"},
		{"geocode: header without an address column", "/api/geocode/batch", "text/csv", "id,name\n1,丽水莲都\n"},
		{"reverse: header without lat", "/api/reverse/batch", "text/csv", "id,lon\n1,120\n"},
		{"geocode: empty body", "/api/geocode/batch", "text/csv", ""},
		{"reverse: blank lines only", "/api/reverse/batch", "application/x-ndjson", "\n\n"},
		{"reverse: JSON line over 1 MiB", "/api/reverse/batch", "application/x-ndjson", "{\"lon\":120,\"lat\":28.25}\n{\"note\":\"" + strings.Repeat("x", 1<<20) + "\"}\n"},
	}
	for _, tt := range tests {
		wantJSONError(t, tt.name, post(t, srv, tt.path, tt.ct, []byte(tt.body), false, ""), http.StatusBadRequest, "bad_request")
	}
	wantJSONError(t, "xml", post(t, srv, "/api/reverse/batch", "application/xml", []byte("<a/>"), false, ""), http.StatusUnsupportedMediaType, "unsupported_media_type")
}

// A body that ends before its declared length (the client went away mid-upload) is a 400
// before any row, not a 200 with the rows that arrived.
func TestBatchTruncatedBody(t *testing.T) {
	srv := batchServer(t, nil)
	for _, tt := range []struct{ path, ct string }{{"/api/geocode/batch", "text/csv"}, {"/api/reverse/batch", "application/x-ndjson"}} {
		body := geocodeInput(t, 20_000).csv
		if tt.path == "/api/reverse/batch" {
			body = reverseInput(20_000).ndjson
		}
		// A raw connection: declare the full length, send half, half-close.
		host := strings.TrimPrefix(srv.URL, "http://")
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		conn := c.(*net.TCPConn)
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", tt.path, host, tt.ct, len(body))
		conn.Write(body[:len(body)/2])
		conn.CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			conn.Close()
			continue
		}
		wantJSONError(t, tt.path+" cut short", resp, http.StatusBadRequest, "bad_request")
		conn.Close()
	}
}

// The batch endpoints are reads: with --reads token they need a token of any role (viewer
// is enough), and without one they are a 401.
func TestBatchNeedsViewerWhenReadsAreTokenOnly(t *testing.T) {
	pool, _ := demo(t)
	store := auth.NewStore(pool)
	secret, _, err := store.CreateToken(dbtest.CLI(), "batch-viewer", auth.Viewer, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := batchServer(t, &auth.Guard{Store: store, Reads: auth.ReadsToken})
	for _, tt := range []struct{ path, body string }{
		{"/api/geocode/batch", "id,address\n1,方圆县鹤鸣街道人民路132号\n"},
		{"/api/reverse/batch", "id,lon,lat\n1,120.0,28.25\n"},
	} {
		wantJSONError(t, tt.path+" without a token", post(t, srv, tt.path, "text/csv", []byte(tt.body), false, ""), http.StatusUnauthorized, "unauthorized")
		wantJSONError(t, tt.path+" with a bad token", post(t, srv, tt.path, "text/csv", []byte(tt.body), false, "fy_nottoken"), http.StatusUnauthorized, "unauthorized")
		resp := post(t, srv, tt.path, "text/csv", []byte(tt.body), false, secret)
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s with a viewer token: HTTP %d %s", tt.path, resp.StatusCode, b)
			continue
		}
		if lines := readLines(t, resp); len(lines) != 1 || lines[0].Row != 1 || lines[0].ID != "1" || lines[0].Status != "ok" {
			t.Errorf("%s with a viewer token: %+v", tt.path, lines)
		}
	}
}

// The API document states both limits on both batch routes.
func TestBatchLimitsDocumented(t *testing.T) {
	_, st := demo(t)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	doc, err := json.Marshal(rt.OpenAPI("fangyuan", "test"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/geocode/batch", "/api/reverse/batch"} {
		desc := d.Paths[p]["post"].Description
		for _, want := range []string{"100,000 rows", "32 MiB (33,554,432 bytes)", "413", "viewer"} {
			if !strings.Contains(desc, want) {
				t.Errorf("%s: the description does not say %q: %q", p, want, desc)
			}
		}
	}
}
