package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tokenPrefix marks Fangyuan tokens so that secret scanners and people recognise them.
const tokenPrefix = "fy_"

// Store keeps users, tokens and the audit log in PostGIS.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Token describes an issued token; the secret itself is never stored.
type Token struct {
	ID         int64      `json:"id"`
	User       string     `json:"user"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// ErrInvalidToken is returned for unknown, revoked or expired tokens and disabled users.
var ErrInvalidToken = errors.New("invalid token")

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// MaxTTLDays bounds a token's lifetime (ten years); 0 days means it never expires.
const MaxTTLDays = 3650

// MaxTTL is MaxTTLDays as a duration.
const MaxTTL = MaxTTLDays * 24 * time.Hour

// userName is what app_user.name accepts.
var userName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ErrBadTokenRequest marks a token request with a bad name or lifetime.
var ErrBadTokenRequest = errors.New("bad token request")

// CheckTokenRequest validates the user name and the lifetime in days of a new token,
// naming the field ("name", "ttl_days") in the message.
func CheckTokenRequest(name string, ttlDays int64) error {
	switch {
	case !userName.MatchString(name):
		return fmt.Errorf("%w: name: %q must be 1–64 letters, digits or . _ @ -", ErrBadTokenRequest, name)
	case ttlDays < 0:
		return fmt.Errorf("%w: ttl_days: must not be negative", ErrBadTokenRequest)
	case ttlDays > MaxTTLDays:
		return fmt.Errorf("%w: ttl_days: %d is more than the maximum of %d days (10 years); 0 means never expires", ErrBadTokenRequest, ttlDays, MaxTTLDays)
	}
	return nil
}

// CreateToken issues a new token with role for user name, creating the user on its
// first token. The role is the token's own: the user's other tokens keep theirs. The
// secret is returned once and only its hash is stored. ttl is 0 (never expires) up to
// MaxTTL. The creation is audited as the principal in ctx.
func (s *Store) CreateToken(ctx context.Context, name string, role Role, ttl time.Duration) (secret string, tok Token, err error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", tok, err
	}
	if ttl < 0 || ttl > MaxTTL {
		return "", tok, fmt.Errorf("%w: ttl_days: the lifetime %v is outside 0 to %d days", ErrBadTokenRequest, ttl, MaxTTLDays)
	}
	if err := CheckTokenRequest(name, 0); err != nil {
		return "", tok, err
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", tok, err
	}
	secret = tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	tok = Token{User: name, Role: role, Prefix: secret[:len(tokenPrefix)+6]}
	if ttl > 0 {
		t := time.Now().Add(ttl).UTC()
		tok.ExpiresAt = &t
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlEnsureUser, name)
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		if tag.RowsAffected() == 1 {
			if err := Record(ctx, tx, Entry{Action: "user.create", Entity: "app_user", Key: name, After: map[string]any{"name": name}}); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, sqlInsertToken, name, string(role), tok.Prefix, hashToken(secret), tok.ExpiresAt).Scan(&tok.ID, &tok.CreatedAt); err != nil {
			return fmt.Errorf("token: %w", err)
		}
		return Record(ctx, tx, Entry{Action: "token.create", Entity: "api_token", Key: fmt.Sprint(tok.ID),
			After: map[string]any{"user": name, "role": role, "prefix": tok.Prefix, "expires_at": tok.ExpiresAt}})
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, tok, nil
}

// Authenticate resolves a secret to its principal.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Principal{}, ErrInvalidToken
	}
	var (
		id                         int64
		p                          = Principal{Via: "api"}
		disabled, revoked, expired bool
		touch                      bool
	)
	err := s.pool.QueryRow(ctx, sqlLookupToken, hashToken(secret)).Scan(&id, &p.Name, &p.Role, &disabled, &revoked, &expired, &touch)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, err
	}
	switch {
	case revoked:
		return Principal{}, fmt.Errorf("%w: revoked", ErrInvalidToken)
	case expired:
		return Principal{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	case disabled:
		return Principal{}, fmt.Errorf("%w: user %s is disabled", ErrInvalidToken, p.Name)
	}
	if touch {
		if _, err := s.pool.Exec(ctx, sqlTouchToken, id); err != nil {
			return Principal{}, err
		}
	}
	return p, nil
}

// ListTokens returns every token (without secrets).
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.pool.Query(ctx, sqlListTokens)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Token, error) {
		var t Token
		err := row.Scan(&t.ID, &t.User, &t.Role, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
		return t, err
	})
}

// RevokeToken revokes token id; it reports pgx.ErrNoRows for unknown or already revoked ids.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var user, prefix string
		if err := tx.QueryRow(ctx, sqlRevokeToken, id).Scan(&user, &prefix); err != nil {
			return err
		}
		return Record(ctx, tx, Entry{Action: "token.revoke", Entity: "api_token", Key: fmt.Sprint(id),
			Before: map[string]any{"user": user, "prefix": prefix}})
	})
}
