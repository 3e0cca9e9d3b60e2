package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
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

// CreateToken makes (or re-roles) user name with role and issues a new token for it. The
// secret is returned once and only its hash is stored. The creation is audited as the
// principal in ctx.
func (s *Store) CreateToken(ctx context.Context, name string, role Role, ttl time.Duration) (secret string, tok Token, err error) {
	if _, err := ParseRole(string(role)); err != nil {
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
		var inserted bool
		if err := tx.QueryRow(ctx, sqlUpsertUser, name, string(role)).Scan(&inserted); err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		if err := tx.QueryRow(ctx, sqlInsertToken, name, tok.Prefix, hashToken(secret), tok.ExpiresAt).Scan(&tok.ID, &tok.CreatedAt); err != nil {
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
