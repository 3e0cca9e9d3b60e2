package parse

import (
	"fangyuan/internal/limits"
	"strconv"
	"strings"
)

// Error locates one problem in an input file: file, line, field and why.
//
// Line is 1-based; 0 means the whole file. Feature is the 1-based index of a
// GeoJSON feature or Shapefile record (0 for CSV input). For GeoJSON both are
// set: Line is the line on which the feature starts.
type Error struct {
	File    string
	Line    int
	Feature int
	Field   string
	Reason  string
}

// Error formats e as "file:line: field: reason". Parts that are unknown are
// left out; a feature index is written as "file:feature 12: ..." when the
// line is unknown, and appended as "(feature 12)" when it is known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	case e.Feature > 0:
		b.WriteString(":feature ")
		b.WriteString(strconv.Itoa(e.Feature))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Line > 0 && e.Feature > 0 {
		b.WriteString(" (feature ")
		b.WriteString(strconv.Itoa(e.Feature))
		b.WriteByte(')')
	}
	return b.String()
}

// A Reject is an input row or feature that failed validation.
//
// Raw holds the original values so that the caller can write a reject file:
// the CSV record as read (after decoding to UTF-8), or a feature's
// properties as strings. The column names for Raw are the Fields of the
// result that holds the Reject (for divisions: the Header of the file). For
// GeoJSON, Fields grows as new property names appear, so Raw of an early
// feature may be shorter than the final Fields: pad it with empty strings.
// Raw is nil for a CSV record that could not be split (a quoting error).
type Reject struct {
	Err Error
	Raw []string
}

// fileError returns a whole-file *Error.
func fileError(file, field, reason string) *Error {
	return &Error{File: file, Field: field, Reason: reason}
}

// textField is a value to check against a text limit (package limits).
type textField struct {
	field, value string
	max          int
}

// textProblem returns the first of fields whose value breaks its limit, with the
// reason; "" when all are fine.
func textProblem(fields ...textField) (field, reason string) {
	for _, f := range fields {
		if r := limits.Text(f.value, f.max); r != "" {
			return f.field, r
		}
	}
	return "", ""
}
