package plate

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Check characters computed by hand (Python: value of the base32 digits mod 37).
func TestCheckCharacterByHand(t *testing.T) {
	for _, c := range []struct{ body, check string }{
		{"0000000000", "0"},
		{"0000000001", "1"},
		{"ABCDEFGH12", "H"}, // (…) mod 37 = 17 → H
		{"ZZZZZZZZZZ", "X"}, // (32^10 − 1) mod 37 = 29 → X
	} {
		id, err := ParseID(c.body + c.check)
		if err != nil || id != c.body+c.check {
			t.Errorf("ParseID(%s%s) = %q, %v; want valid", c.body, c.check, id, err)
		}
	}
}

// seeded is a deterministic reader of random bytes.
type seeded struct{ r *rand.Rand }

func (s seeded) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(s.r.UintN(256))
	}
	return len(p), nil
}

// Every single-character substitution and every adjacent transposition of a sample of
// ids is caught by the check character.
func TestCheckCatchesTyposExhaustively(t *testing.T) {
	src := seeded{rand.New(rand.NewPCG(10, 37))}
	substitutions, transpositions := 0, 0
	for range 500 {
		id, err := NewID(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ParseID(id); err != nil || got != id {
			t.Fatalf("a fresh id %s does not parse: %v", id, err)
		}
		for i := 0; i < IDLen; i++ {
			for _, c := range Alphabet {
				if byte(c) == id[i] {
					continue
				}
				typo := id[:i] + string(c) + id[i+1:]
				if _, err := ParseID(typo); !errors.Is(err, ErrIDCheck) {
					t.Fatalf("substitution %s → %s not caught: %v", id, typo, err)
				}
				substitutions++
			}
		}
		for i := 0; i+1 < IDLen; i++ {
			if id[i] == id[i+1] {
				continue
			}
			typo := id[:i] + string(id[i+1]) + string(id[i]) + id[i+2:]
			if _, err := ParseID(typo); !errors.Is(err, ErrIDCheck) {
				t.Fatalf("transposition %s → %s not caught: %v", id, typo, err)
			}
			transpositions++
		}
	}
	if substitutions != 500*IDLen*31 || transpositions < 500*9 {
		t.Fatalf("checked %d substitutions and %d transpositions", substitutions, transpositions)
	}
}

func TestParseIDNormalisesAndRejects(t *testing.T) {
	id, err := NewID(seeded{rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	typed := strings.ToLower(id[:4] + "-" + id[4:8] + " " + id[8:])
	if got, err := ParseID(typed); err != nil || got != id {
		t.Errorf("ParseID(%q) = %q, %v; want %s", typed, got, err, id)
	}
	// Crockford's reading of look-alikes: O is 0, I and L are 1.
	if got, err := ParseID("ABCDEFGHI2H"); err != nil || got != "ABCDEFGH12H" {
		t.Errorf("ParseID with I for 1 = %q, %v", got, err)
	}
	for _, bad := range []string{"", "ABC", "ABCDEFGH12HH", "ABCDEFGH1UH", "ABCDEFGH1_H", "中文中文中文中文中文中"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrIDFormat) {
			t.Errorf("ParseID(%q) = %v; want ErrIDFormat", bad, err)
		}
	}
}

func TestNewIDFromCryptoRand(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id, err := NewID(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != IDLen || strings.Trim(id, Alphabet) != "" {
			t.Fatalf("id %q is not 11 base32 characters", id)
		}
		if _, err := ParseID(id); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("id %s drawn twice in 2000 draws of 50 bits", id)
		}
		seen[id] = true
	}
}
