package parse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// csvFile is an open, decoded CSV file positioned after its header row.
type csvFile struct {
	name     string
	encoding string
	header   []string       // as in the file, trimmed
	index    map[string]int // lower-cased header name → column
	r        *csv.Reader
	c        io.Closer
}

// openCSV opens a CSV file (see openText for the encoding) and reads its
// header row. Duplicate column names are a fatal error.
func openCSV(fsys fs.FS, name, enc string) (*csvFile, error) {
	rc, enc, err := openText(fsys, name, enc)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(rc)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		rc.Close()
		return nil, &Error{File: name, Line: 1, Reason: "empty file: no header row"}
	}
	if err != nil {
		rc.Close()
		return nil, csvError(name, err)
	}
	f := &csvFile{name: name, encoding: enc, r: r, c: rc, index: make(map[string]int, len(head))}
	for i, h := range head {
		h = strings.TrimSpace(h)
		f.header = append(f.header, h)
		k := strings.ToLower(h)
		if k == "" {
			continue
		}
		if j, dup := f.index[k]; dup {
			rc.Close()
			return nil, &Error{File: name, Line: 1, Field: h, Reason: fmt.Sprintf("duplicate column (columns %d and %d)", j+1, i+1)}
		}
		f.index[k] = i
	}
	return f, nil
}

func (f *csvFile) Close() error { return f.c.Close() }

// column returns the column of the first of names present in the header
// (case-insensitive), or -1. Two different names both present is a fatal
// error: the file is ambiguous.
func (f *csvFile) column(names ...string) (int, error) {
	col := -1
	for _, n := range names {
		if i, ok := f.index[strings.ToLower(n)]; ok {
			if col >= 0 && i != col {
				return -1, &Error{File: f.name, Line: 1, Field: n, Reason: fmt.Sprintf(
					"ambiguous: columns %q and %q mean the same; keep one", f.header[col], f.header[i])}
			}
			col = i
		}
	}
	return col, nil
}

// columns maps each wanted field to its column (column), leaving out the fields whose
// column is absent; a field for which required says true must be present (missing).
func (f *csvFile) columns(cols []column, required func(field string) bool) (map[string]int, error) {
	idx := make(map[string]int, len(cols))
	for _, c := range cols {
		i, err := f.column(c.aliases...)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			if required(c.field) {
				return nil, f.missing(c.field)
			}
			continue
		}
		idx[c.field] = i
	}
	return idx, nil
}

// missing returns the fatal error for a required column that is absent.
func (f *csvFile) missing(field string) *Error {
	return &Error{File: f.name, Line: 1, Field: field, Reason: fmt.Sprintf("missing column (have: %s)", strings.Join(f.header, ", "))}
}

// next reads the next record. At the end it returns io.EOF. A record that
// cannot be parsed is returned as a reject (rej != nil) and reading may go
// on; err is set only for fatal problems.
func (f *csvFile) next() (rec []string, line int, rej *Reject, err error) {
	for {
		rec, err = f.r.Read()
		if err == nil {
			line, _ = f.r.FieldPos(0)
			if blank(rec) {
				continue // a line of blanks: nothing to import
			}
			if len(rec) != len(f.header) {
				return nil, line, &Reject{
					Err: Error{File: f.name, Line: line, Reason: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(f.header))},
					Raw: clone(rec),
				}, nil
			}
			return rec, line, nil, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, 0, nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Line, &Reject{Err: Error{File: f.name, Line: pe.Line, Reason: "CSV syntax: " + pe.Err.Error()}, Raw: clone(rec)}, nil
		}
		return nil, 0, nil, fmt.Errorf("%s: %w", f.name, err)
	}
}

// blank reports whether rec is an empty line (all fields empty).
func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Line, Reason: "CSV syntax: " + pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func clone(rec []string) []string {
	if rec == nil {
		return nil
	}
	return append([]string(nil), rec...)
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }
