// Package rows reads the bodies of the gazetteer's batch endpoints (CSV with a header row,
// or JSON lines, one object per line) and streams their NDJSON answers.
//
// A batch is all or nothing at the request level: Read consumes and checks the whole body
// before a single answer byte is written, so a body that is too large, cut short or cannot
// be split into rows fails with a 4xx JSON error (an *api.Error) and no rows, and a body
// that reads fine gets exactly one answer line per row, in order (Stream). Writing while
// the body was still unread made Go's HTTP/1.1 server drop the rest of it (issue 8).
//
// What fails the whole request (400 unless noted, before any output):
//   - more than MaxRows rows, or a body over MaxBody bytes: 413 too_large;
//   - a content type other than CSV, JSON lines or text/plain: 415;
//   - CSV that cannot be split into records (a bare or unterminated quote: the row
//     boundaries after it are unknown), a CSV header without the columns the endpoint
//     needs, a JSON line longer than MaxLine bytes, JSON whose first line starts an array;
//   - a body that ends early or cannot be read (client gone, broken chunked encoding);
//   - no rows at all.
//
// What fails one row (an "error" answer line for it, the rest are answered): a JSON line
// that is not a JSON object, and whatever the endpoint finds wrong in a row's fields (no
// address, a coordinate out of range, text that is not UTF-8).
package rows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"fangyuan/internal/api"
)

// Limits of one batch request.
const (
	// MaxRows is the most rows one batch request may hold.
	MaxRows = 100_000
	// MaxBody bounds a batch request body in bytes (32 MiB: 100,000 rows of 335 bytes).
	MaxBody = 32 << 20
	// MaxLine bounds one JSON line.
	MaxLine = 1 << 20
)

// ReadTimeout is how long the whole body may take to arrive; WriteTimeout is how long each
// chunk of answers may take to leave. They replace the server's own deadlines for the
// batch routes, which stream for longer than ordinary requests.
const (
	ReadTimeout  = 5 * time.Minute
	WriteTimeout = 2 * time.Minute
)

// Row is one input row: its 1-based number (data rows; the CSV header and blank JSON lines
// are not counted) and its fields by lower-cased name.
type Row struct {
	N      int
	Fields map[string]string
	Err    error // this row could not be read (a JSON line that is not an object)
}

// Get returns the first non-empty field among names.
func (r Row) Get(names ...string) string {
	for _, n := range names {
		if v := r.Fields[n]; v != "" {
			return v
		}
	}
	return ""
}

// Columns describes a CSV column the endpoint needs: any one of Names (lower case).
type Columns struct {
	What  string // e.g. "an address"
	Names []string
}

// Read reads the whole body of a batch request and returns keep(row) for every row, in
// order. keep should return something small: Read holds one T per row until the answers
// are written. need lists the columns a CSV header must have. A nil error means at least
// one row and at most MaxRows; otherwise the error is an *api.Error to return before
// writing anything.
func Read[T any](w http.ResponseWriter, r *http.Request, need []Columns, keep func(Row) T) ([]T, error) {
	if r.ContentLength > MaxBody {
		return nil, tooLarge("the body is %d bytes; a batch may have at most %d bytes (%d MiB)", r.ContentLength, MaxBody, MaxBody>>20)
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(ReadTimeout)) // not every writer has deadlines
	body := bufio.NewReaderSize(http.MaxBytesReader(innermost(w), r.Body, MaxBody), 64<<10)

	ct := strings.ToLower(r.Header.Get("Content-Type"))
	isJSON := strings.Contains(ct, "json")
	if ct == "" || strings.HasPrefix(ct, "text/plain") {
		b, err := body.Peek(1)
		if err != nil && err != io.EOF {
			return nil, readError(err)
		}
		isJSON = len(b) == 1 && b[0] == '{'
	} else if !isJSON && !strings.Contains(ct, "csv") {
		return nil, &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send text/csv or application/x-ndjson, not " + ct}
	}
	var (
		out []T
		err error
	)
	if isJSON {
		out, err = readJSONLines(body, keep)
	} else {
		out, err = readCSV(body, need, keep)
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, api.BadRequest("body", "no rows: send a CSV header row and data rows, or JSON lines")
	}
	return out, nil
}

func readCSV[T any](body io.Reader, need []Columns, keep func(Row) T) ([]T, error) {
	c := csv.NewReader(body)
	c.FieldsPerRecord = -1 // short rows are the endpoint's business (a missing field)
	c.ReuseRecord = true
	h, err := c.Read()
	if err == io.EOF {
		return nil, api.BadRequest("body", "empty body: send a CSV header row and data rows")
	}
	if err != nil {
		return nil, csvError(err)
	}
	header := make([]string, len(h))
	has := map[string]bool{}
	for i := range h {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h[i], "\ufeff")))
		has[header[i]] = true
	}
	for _, col := range need {
		found := false
		for _, n := range col.Names {
			found = found || has[n]
		}
		if !found {
			return nil, api.BadRequest("body", "the CSV header (%s) has no column for %s: name one %s",
				strings.Join(header, ","), col.What, strings.Join(col.Names, ", "))
		}
	}
	var out []T
	for n := 1; ; n++ {
		rec, err := c.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		if n > MaxRows {
			return nil, tooManyRows()
		}
		row := Row{N: n, Fields: make(map[string]string, len(header))}
		for i, v := range rec {
			if i < len(header) && header[i] != "" {
				row.Fields[header[i]] = strings.TrimSpace(v)
			}
		}
		out = append(out, keep(row))
	}
}

func readJSONLines[T any](body io.Reader, keep func(Row) T) ([]T, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	var out []T
	n, line := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if n == 0 && b[0] == '[' {
			return nil, api.BadRequest("body", "JSON line %d starts a JSON array: send JSON lines, one object per line", line)
		}
		if n++; n > MaxRows {
			return nil, tooManyRows()
		}
		row := Row{N: n}
		row.Fields, row.Err = jsonFields(b)
		out = append(out, keep(row))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, api.BadRequest("body", "JSON line %d is longer than %d bytes", line+1, MaxLine)
		}
		return nil, readError(err)
	}
	return out, nil
}

// jsonFields reads one JSON object: strings trimmed, numbers as written, null as absent,
// arrays and objects as their JSON text.
func jsonFields(b []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, errors.New("not a JSON object: data after the object (one object per line)")
	}
	fields := make(map[string]string, len(m))
	for k, v := range m {
		k = strings.ToLower(k)
		switch v := v.(type) {
		case string:
			fields[k] = strings.TrimSpace(v)
		case json.Number:
			fields[k] = v.String()
		case nil:
		default:
			b, _ := json.Marshal(v)
			fields[k] = string(b)
		}
	}
	return fields, nil
}

func tooLarge(format string, args ...any) *api.Error {
	return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Field: "body", Message: fmt.Sprintf(format, args...)}
}

func tooManyRows() *api.Error {
	return tooLarge("more than %d rows; split the batch (no row was processed)", MaxRows)
}

// readError is the error for a body that could not be read to its end.
func readError(err error) *api.Error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge("the body is over %d bytes (%d MiB), the most a batch may have; split the batch (no row was processed)", MaxBody, MaxBody>>20)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return api.BadRequest("body", "the body ended early (fewer bytes than announced, or the upload was cut); no row was processed")
	}
	return api.BadRequest("body", "reading the body: %v; no row was processed", err)
}

func csvError(err error) *api.Error {
	var pe *csv.ParseError
	if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrFieldCount)) {
		return api.BadRequest("body", "CSV line %d, column %d: %v: the rows after it cannot be told apart, so none was processed (quote fields holding \" or , as \"a \"\"b\"\", c\")",
			pe.Line, pe.Column, pe.Err)
	}
	if errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	return readError(err)
}

// innermost unwraps middleware's response writers so that http.MaxBytesReader reaches the
// server's own: hitting the limit then makes the server close the connection cleanly
// after the 413 instead of trying to read the rest as another request.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// chunk is how many answers are computed between two writes.
const chunk = 1024

// Stream answers rows 0…n-1 with answer(i), written as one JSON line each, in order, with
// a 200 and Content-Type application/x-ndjson. Answers are computed in chunks by up to
// GOMAXPROCS goroutines (answer must be safe for concurrent use) and each chunk is flushed
// to the client as it is done. A client that goes away ends the stream; it is not an error.
func Stream[T any](w http.ResponseWriter, r *http.Request, n int, answer func(i int) T) error {
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	w.WriteHeader(http.StatusOK)
	workers := min(runtime.GOMAXPROCS(0), 8)
	bufs := make([]bytes.Buffer, workers)
	lens := make([]int, chunk) // answer i's line is lens[i-start] bytes of bufs[(i-start)%workers]
	done := make(chan struct{}, workers)
	bw := bufio.NewWriterSize(w, 64<<10)
	for start := 0; start < n; start += chunk {
		if r.Context().Err() != nil {
			return nil // the client went away
		}
		end := min(start+chunk, n)
		for k := range workers {
			go func(k int) {
				defer func() { done <- struct{}{} }()
				b := &bufs[k]
				b.Reset()
				enc := json.NewEncoder(b)
				enc.SetEscapeHTML(false)
				for i := start + k; i < end; i += workers {
					off := b.Len()
					if err := encode(enc, answer, i); err != nil {
						b.Truncate(off)
						fmt.Fprintf(b, "{\"row\":%d,\"status\":\"error\",\"error\":%q}\n", i+1, "internal error: "+err.Error())
					}
					lens[i-start] = b.Len() - off
				}
			}(k)
		}
		for range workers {
			<-done
		}
		for i := range end - start {
			if _, err := bw.Write(bufs[i%workers].Next(lens[i])); err != nil {
				return nil // the client went away
			}
		}
		if err := bw.Flush(); err != nil {
			return nil
		}
		_ = rc.Flush()
		_ = rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	}
	return nil
}

// encode writes answer(i); a panic while answering (this runs outside the handler's
// goroutine, beyond the router's recoverer) becomes an error for that row alone.
func encode[T any](enc *json.Encoder, answer func(int) T, i int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("answering the row failed: %v", p)
		}
	}()
	return enc.Encode(answer(i))
}

// Doc describes the limits and failure rules in the batch routes' API documentation.
const Doc = "The whole body is read and checked before the first answer line: a request fails as a whole, with a JSON error and no rows, " +
	"when it has more than 100,000 rows or more than 32 MiB (33,554,432 bytes) of body (413 too_large), " +
	"when it is not CSV or JSON lines (415), or when it cannot be split into rows: broken CSV quoting, a CSV header without the needed columns, " +
	"a JSON line over 1 MiB, a body cut short, no rows (400). Otherwise the answer is 200 with exactly one JSON line per row, in input order, " +
	"carrying the row number (1-based, CSV header and blank lines not counted) and the row's id; a row's own problem " +
	"(a line that is not a JSON object, a missing or bad field) is status error on that row's line. The routes are reads: " +
	"with reads token-only (--reads token) they need a token of any role (viewer or above)."
