// Package rows reads the bodies of the gazetteer's batch endpoints: CSV with a header row,
// or JSON lines (one object per line), row by row, and writes the NDJSON answers.
package rows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MaxRows is the most rows one batch request may hold.
const MaxRows = 100_000

// MaxBody bounds a batch request body.
const MaxBody = 64 << 20

// Row is one input row: its 1-based number (data rows; the CSV header is not counted) and
// its fields by lower-cased name.
type Row struct {
	N      int
	Fields map[string]string
	Err    error // this row could not be read
}

// Reader yields rows from a CSV or JSON-lines body.
type Reader struct {
	csv    *csv.Reader
	header []string
	lines  *bufio.Scanner
	n      int
}

// NewReader picks the format from the content type (text/csv, application/x-ndjson,
// application/jsonl, application/json) or, when absent, from the first byte.
func NewReader(r *http.Request) (*Reader, error) {
	body := bufio.NewReader(http.MaxBytesReader(nil, r.Body, MaxBody))
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	isJSON := strings.Contains(ct, "json")
	if ct == "" || strings.HasPrefix(ct, "text/plain") {
		b, _ := body.Peek(1)
		isJSON = len(b) == 1 && b[0] == '{'
	}
	if isJSON {
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		return &Reader{lines: sc}, nil
	}
	if ct != "" && !strings.Contains(ct, "csv") && !strings.HasPrefix(ct, "text/plain") {
		return nil, fmt.Errorf("send text/csv or application/x-ndjson, not %s", ct)
	}
	c := csv.NewReader(body)
	c.FieldsPerRecord = -1
	c.ReuseRecord = false
	h, err := c.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty body: send a CSV header row and data rows")
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %v", err)
	}
	for i := range h {
		h[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h[i], "\ufeff")))
	}
	return &Reader{csv: c, header: h}, nil
}

// Next returns the next row; ok is false at the end of the body.
func (r *Reader) Next() (row Row, ok bool) {
	if r.csv != nil {
		rec, err := r.csv.Read()
		if err == io.EOF {
			return row, false
		}
		r.n++
		row.N = r.n
		if err != nil {
			if _, isParse := err.(*csv.ParseError); !isParse {
				return row, false
			}
			row.Err = err
			return row, true
		}
		row.Fields = make(map[string]string, len(r.header))
		for i, v := range rec {
			if i < len(r.header) {
				row.Fields[r.header[i]] = strings.TrimSpace(v)
			}
		}
		return row, true
	}
	for r.lines.Scan() {
		line := bytes.TrimSpace(r.lines.Bytes())
		if len(line) == 0 {
			continue
		}
		r.n++
		row.N = r.n
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			row.Err = fmt.Errorf("not a JSON object: %v", err)
			return row, true
		}
		row.Fields = make(map[string]string, len(m))
		for k, v := range m {
			k = strings.ToLower(k)
			switch v := v.(type) {
			case string:
				row.Fields[k] = strings.TrimSpace(v)
			case float64:
				row.Fields[k] = strconv.FormatFloat(v, 'f', -1, 64)
			case nil:
			default:
				b, _ := json.Marshal(v)
				row.Fields[k] = string(b)
			}
		}
		return row, true
	}
	if err := r.lines.Err(); err != nil {
		r.n++
		return Row{N: r.n, Err: err}, true
	}
	return row, false
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

// Writer streams NDJSON answers, flushing every so often.
type Writer struct {
	w   http.ResponseWriter
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewWriter starts a 200 NDJSON response.
func NewWriter(w http.ResponseWriter) *Writer {
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &Writer{w: w, bw: bw, enc: enc}
}

// Write writes one answer line.
func (w *Writer) Write(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.n++
	if w.n%1000 == 0 {
		return w.Flush()
	}
	return nil
}

// Flush sends what is buffered.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return err
	}
	_ = http.NewResponseController(w.w).Flush() // not every writer can flush; the data still goes out
	return nil
}

// LimitError is the line written when a batch exceeds MaxRows.
func LimitError(n int) map[string]any {
	return map[string]any{"row": n, "status": "error", "error": fmt.Sprintf("batch limit is %d rows; this row and the rest were not processed", MaxRows)}
}
