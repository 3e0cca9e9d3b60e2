package placename

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fangyuan/gazetteer"
)

// Text limits.
const (
	MaxNameRunes  = 200  // name, pinyin, aliases, heritage list, approval number
	MaxNotesRunes = 4000 // origin, meaning, history
)

// FieldError names the field of an Input that is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// CheckText rejects text with a NUL or control character other than tab and newline,
// invalid UTF-8, or more than max characters.
func CheckText(field, s string, max int) *FieldError {
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	for _, r := range s {
		if r == 0 {
			return fieldErr(field, "contains a NUL character (\\u0000)")
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return fieldErr(field, "contains the control character U+%04X", r)
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fieldErr(field, "%d characters, at most %d", n, max)
	}
	return nil
}

// ParseDate accepts YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD and YYYY年M月D日) and returns
// it as YYYY-MM-DD.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	r := strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")
	t, err := time.Parse("2006-1-2", r.Replace(s))
	if err != nil || t.Year() < 1800 || t.Year() > 2200 {
		return "", fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return t.Format(time.DateOnly), nil
}

// Normalize trims the text fields of in, pads its admin code to 12 digits and validates
// everything that can be checked without the database: the first problem is returned
// with its field.
func (in *Input) Normalize() *FieldError {
	in.Name = strings.TrimSpace(in.Name)
	in.Pinyin = strings.Join(strings.Fields(in.Pinyin), " ")
	in.Origin, in.Meaning, in.History = strings.TrimSpace(in.Origin), strings.TrimSpace(in.Meaning), strings.TrimSpace(in.History)
	in.HeritageList, in.ApprovalNo = strings.TrimSpace(in.HeritageList), strings.TrimSpace(in.ApprovalNo)
	if in.Name == "" {
		return fieldErr("name", "required")
	}
	for _, c := range []struct {
		field, v string
		max      int
	}{
		{"name", in.Name, MaxNameRunes}, {"pinyin", in.Pinyin, MaxNameRunes},
		{"origin", in.Origin, MaxNotesRunes}, {"meaning", in.Meaning, MaxNotesRunes}, {"history", in.History, MaxNotesRunes},
		{"heritage_list", in.HeritageList, MaxNameRunes}, {"approval_no", in.ApprovalNo, MaxNameRunes},
	} {
		if e := CheckText(c.field, c.v, c.max); e != nil {
			return e
		}
	}
	if strings.ContainsAny(in.Name, "\t\n\r") {
		return fieldErr("name", "must be one line")
	}
	var clean []string
	for i, a := range in.Aliases {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if e := CheckText("aliases", a, MaxNameRunes); e != nil {
			e.Reason = fmt.Sprintf("alias %d: %s", i+1, e.Reason)
			return e
		}
		clean = append(clean, a)
	}
	in.Aliases = clean
	cat, err := ParseCategory(in.Category)
	if err != nil {
		return fieldErr("category", "%v", err)
	}
	in.Category = cat
	if in.AdminCode != "" {
		code, _, err := gazetteer.PadCode(in.AdminCode)
		if err != nil {
			return fieldErr("admin_code", "%v", err)
		}
		in.AdminCode = code
	}
	lvl, err := ParseHeritageLevel(in.HeritageLevel)
	if err != nil {
		return fieldErr("heritage_level", "%v", err)
	}
	in.HeritageLevel = lvl
	if (lvl == "") != (in.HeritageList == "") {
		if lvl == "" {
			return fieldErr("heritage_level", "required with heritage_list %q", in.HeritageList)
		}
		return fieldErr("heritage_list", "required with heritage_level %s (e.g. 千年古镇, 千年古村落)", lvl)
	}
	if in.Status == "" {
		in.Status = "standard"
	}
	if in.Status != "standard" && in.Status != "draft" {
		return fieldErr("status", "%q: standard or draft (retire by POST /api/placenames/{id}/retire)", in.Status)
	}
	d, err := ParseDate(in.ApprovedOn)
	if err != nil {
		return fieldErr("approved_on", "%v", err)
	}
	in.ApprovedOn = d
	return nil
}
