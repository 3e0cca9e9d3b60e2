// Package limits holds the bounds on user-supplied values that the importers, the API
// and the schema (migration 006_limits.sql) all enforce: text lengths by class of
// field, and the range of the integer columns. Lengths count characters (Unicode code
// points), as PostgreSQL's char_length does, not bytes.
package limits

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Maximum lengths of text fields, in characters.
const (
	// Name is for names, pinyin, aliases, kinds, identifiers and numbers of things.
	Name = 200
	// Address is for addresses, file names and source descriptions.
	Address = 500
	// Note is for free text: notes, findings, origin and history of a place name.
	Note = 4000
)

// MaxAliases bounds the aliases of one unit.
const MaxAliases = 100

// Int32 bounds an integer column (PostgreSQL integer).
const (
	MinInt32 = math.MinInt32
	MaxInt32 = math.MaxInt32
)

// Text returns why s is not acceptable as a text value of at most max characters, or ""
// when it is. PostgreSQL cannot store NUL characters (SQLSTATE 22021) nor invalid UTF-8,
// so both are refused here, before the database sees them.
func Text(s string, max int) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Sprintf("contains a NUL character (\\u0000) at byte %d", i)
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", n, max)
	}
	return ""
}

// Int returns why v is not within [min, max], or "".
func Int(v int64, min, max int64) string {
	if v < min || v > max {
		return fmt.Sprintf("%d is out of range (%d to %d)", v, min, max)
	}
	return ""
}
