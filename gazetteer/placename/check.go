package placename

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/search"
)

// Draft is the generated pinyin of a name: toneless syllables separated by spaces
// (github.com/mozillazg/go-pinyin, with the place-name readings of gazetteer.DraftPinyin).
func Draft(name string) string {
	full, _ := gazetteer.DraftPinyin(name)
	return full
}

//go:embed disallowed.txt
var defaultWords []byte

// EnvWords names a file that replaces the built-in disallowed words of the name check
// (one word a line, # comments).
const EnvWords = "FANGYUAN_PLACENAME_WORDS"

// DefaultWords are the built-in disallowed words (disallowed.txt).
func DefaultWords() []string {
	w, _ := parseWords(defaultWords)
	return w
}

func parseWords(b []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if e := CheckText("word", s, MaxNameRunes); e != nil {
			return nil, fmt.Errorf("line %d: %v", line, e)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// LoadWords reads a disallowed-words file.
func LoadWords(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := parseWords(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Open returns a Store on pool whose name check uses the disallowed words of the file
// named by $FANGYUAN_PLACENAME_WORDS, or the built-in ones when it is unset.
func Open(pool *pgxpool.Pool) (*Store, error) {
	s := NewStore(pool)
	if path := os.Getenv(EnvWords); path != "" {
		w, err := LoadWords(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvWords, err)
		}
		s.words = w
	}
	return s, nil
}

// SetWords replaces the disallowed words of the name check.
func (s *Store) SetWords(words []string) { s.words = append([]string(nil), words...) }

// Words are the disallowed words of the name check.
func (s *Store) Words() []string { return append([]string(nil), s.words...) }

// Kinds of findings of the name check, strongest first.
const (
	FindingDuplicate     = "duplicate"      // 重名: the same name
	FindingHomophone     = "homophone"      // 同音: the same toneless pinyin
	FindingNearDuplicate = "near_duplicate" // 近似: one character apart
	FindingDisallowed    = "disallowed_word"
)

// Finding is one reason a proposed name may not be allowed. It names the existing record
// (ID, Name, AdminCode, Category), or the disallowed Word.
type Finding struct {
	Kind      string `json:"kind"`
	ID        int64  `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Pinyin    string `json:"pinyin,omitempty"`
	AdminCode string `json:"admin_code,omitempty"`
	Category  string `json:"category,omitempty"`
	Word      string `json:"word,omitempty"`
	Message   string `json:"message"`
}

// CheckQuery is a proposed name.
type CheckQuery struct {
	Name     string
	Category string // "" compares with every category
	Within   string // a division code (2–12 digits): compared within its county; "" everywhere
}

// CheckResult is the answer of the name check.
type CheckResult struct {
	Name     string    `json:"name"`
	Pinyin   string    `json:"pinyin"` // the draft pinyin compared
	Category string    `json:"category,omitempty"`
	Scope    string    `json:"scope"` // the code prefix compared within ("" everywhere)
	OK       bool      `json:"ok"`    // no findings
	Findings []Finding `json:"findings"`
}

// Toneless turns pinyin (official with tone marks or numbers, or a draft) into
// lower-case toneless letters without spaces or separators: "Qīngshí Zhèn" → "qingshizhen".
func Toneless(p string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(p) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'ü':
			b.WriteRune('v')
		default:
			if base, ok := toneBase[r]; ok {
				b.WriteRune(base)
			}
		}
	}
	return b.String()
}

var toneBase = func() map[rune]rune {
	m := map[rune]rune{}
	for base, marked := range map[rune]string{'a': "āáǎà", 'e': "ēéěè", 'i': "īíǐì", 'o': "ōóǒò", 'u': "ūúǔù", 'v': "ǖǘǚǜ"} {
		for _, r := range marked {
			m[r] = base
		}
	}
	return m
}()

// Scope returns the code prefix a name check of within compares in: the county of a
// county-or-lower code (6 digits), else the code's own significant digits.
func Scope(within string) (string, error) {
	if within == "" {
		return "", nil
	}
	code, lvl, err := gazetteer.PadCode(within)
	if err != nil {
		return "", err
	}
	if lvl >= gazetteer.County {
		lvl = gazetteer.County
	}
	return gazetteer.ShortCode(code, lvl), nil
}

// Check looks for reasons a proposed name may not be allowed: a current place name of the
// same category in the same county with the same name (duplicate), the same toneless
// pinyin (homophone) or one character apart (near_duplicate: one substitution, insertion
// or deletion), and disallowed words. Each record is reported once, with its strongest
// finding; findings are in that order, then by record id.
func (s *Store) Check(ctx context.Context, q CheckQuery) (CheckResult, error) {
	name := strings.TrimSpace(q.Name)
	res := CheckResult{Name: name, Pinyin: Draft(name), Category: q.Category, Findings: []Finding{}}
	scope, err := Scope(q.Within)
	if err != nil {
		return res, err
	}
	res.Scope = scope
	rows, err := s.pool.Query(ctx, sqlCheckCandidates, nilIfEmpty(scope), nilIfEmpty(q.Category))
	if err != nil {
		return res, err
	}
	defer rows.Close()
	mine := Toneless(res.Pinyin)
	nr := []rune(name)
	var byKind [3][]Finding
	for rows.Next() {
		var f Finding
		var draft string
		if err := rows.Scan(&f.ID, &f.Name, &f.Pinyin, &draft, &f.Category, &f.AdminCode); err != nil {
			return res, err
		}
		switch {
		case f.Name == name:
			f.Kind, f.Message = FindingDuplicate, fmt.Sprintf("%s is already the name of place %d (%s, category %s)", f.Name, f.ID, f.AdminCode, f.Category)
			byKind[0] = append(byKind[0], f)
		case mine != "" && (mine == Toneless(draft) || (f.Pinyin != "" && mine == Toneless(f.Pinyin))):
			f.Kind, f.Message = FindingHomophone, fmt.Sprintf("sounds like %s (place %d, %s): both read %s", f.Name, f.ID, f.AdminCode, mine)
			byKind[1] = append(byKind[1], f)
		case len(nr) >= 2 && search.OneEditApart(nr, []rune(f.Name)):
			f.Kind, f.Message = FindingNearDuplicate, fmt.Sprintf("one character from %s (place %d, %s)", f.Name, f.ID, f.AdminCode)
			byKind[2] = append(byKind[2], f)
		}
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	for _, fs := range byKind {
		res.Findings = append(res.Findings, fs...)
	}
	for _, w := range s.words {
		if strings.Contains(name, w) {
			res.Findings = append(res.Findings, Finding{Kind: FindingDisallowed, Word: w, Message: fmt.Sprintf("contains the disallowed word %s", w)})
		}
	}
	res.OK = len(res.Findings) == 0
	return res, nil
}
