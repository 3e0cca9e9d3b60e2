// Package plate is the 数字门牌 digital plates of house numbers: ids with a check
// character, status ordered → installed → damaged → removed with dates, QR codes of
// <public-url>/p/<id>, print sheets per road in the GB 17733 layout (PDF with an embedded
// Chinese font, and SVG) and the public page /p/<id>.
package plate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Alphabet is Crockford's base32: digits and letters without I, L, O and U.
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// BodyLen is the number of random characters of an id; IDLen adds the check character.
const (
	BodyLen = 10
	IDLen   = BodyLen + 1
)

// checkValue is the value of the base32 string body mod 37 (Crockford's check symbol).
// 37 is prime and does not divide 32^k nor 31 (= 32 − 1), so a change of one character,
// or a swap of two adjacent different characters, changes the value mod 37.
func checkValue(body string) (int, bool) {
	v := 0
	for i := 0; i < len(body); i++ {
		d := strings.IndexByte(Alphabet, body[i])
		if d < 0 {
			return 0, false
		}
		v = (v*32 + d) % 37
	}
	return v, true
}

// NewID draws an id from r (crypto/rand.Reader when nil): 10 random base32 characters
// whose check value is below 32, and that check character.
func NewID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [BodyLen]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("plate id: %w", err)
		}
		for i := range b {
			b[i] = Alphabet[b[i]&31]
		}
		c, _ := checkValue(string(b[:]))
		if c < 32 {
			return string(b[:]) + string(Alphabet[c]), nil
		}
	}
}

// Errors of ParseID.
var (
	ErrIDFormat = errors.New("a plate id is 11 characters of 0-9 and A-Z without I, L, O and U")
	ErrIDCheck  = errors.New("the check character does not match: the id is mistyped")
)

// ParseID normalises s as people type it (case, spaces and hyphens; I and L read as 1,
// O as 0) and verifies the check character.
func ParseID(s string) (string, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	s = strings.NewReplacer("I", "1", "L", "1", "O", "0").Replace(s)
	if len(s) != IDLen {
		return "", ErrIDFormat
	}
	c, ok := checkValue(s[:BodyLen])
	if !ok || strings.IndexByte(Alphabet, s[BodyLen]) < 0 {
		return "", ErrIDFormat
	}
	if c >= 32 || Alphabet[c] != s[BodyLen] {
		return "", ErrIDCheck
	}
	return s, nil
}
