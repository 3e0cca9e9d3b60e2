package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"fangyuan/internal/api"
)

// ReadPolicy says whether reads need a token.
type ReadPolicy string

// Read policies.
const (
	ReadsOpen  ReadPolicy = "open"
	ReadsToken ReadPolicy = "token"
)

// ParseReadPolicy validates a read policy.
func ParseReadPolicy(s string) (ReadPolicy, error) {
	switch ReadPolicy(s) {
	case ReadsOpen, ReadsToken:
		return ReadPolicy(s), nil
	}
	return "", fmt.Errorf("reads must be open or token, not %q", s)
}

// Guard implements api.Guard: writes need a token whose role allows them; reads are open
// or token-only by policy.
type Guard struct {
	Store *Store
	Reads ReadPolicy
}

var _ api.Guard = (*Guard)(nil)

// Check authenticates r and authorises it for role need.
func (g *Guard) Check(r *http.Request, need string) (context.Context, error) {
	ctx := r.Context()
	secret := bearer(r)
	if secret == "" {
		if need == "" && g.Reads != ReadsToken {
			return ctx, nil
		}
		return nil, api.Unauthorized("this request needs an API token: send Authorization: Bearer <token> (make one with `fangyuan token create`)")
	}
	p, err := g.Store.Authenticate(ctx, secret)
	if errors.Is(err, ErrInvalidToken) {
		return nil, api.Unauthorized("%v", err)
	}
	if err != nil {
		return nil, err
	}
	if !Allows(p.Role, Role(need)) {
		return nil, api.Forbidden("role %s may not do this; it needs role %s", p.Role, need)
	}
	return WithPrincipal(ctx, p), nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Token"))
}
