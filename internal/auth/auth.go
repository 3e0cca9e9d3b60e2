// Package auth owns API tokens (stored hashed), roles, and the audit log that every write
// goes through.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/user"
	"slices"
	"strings"

	"fangyuan/internal/api"
)

// Role is what a token may do.
type Role string

// The roles. Admin may do everything; each editor role may write its own data; viewer
// reads only.
const (
	Viewer         Role = "viewer"
	Planner        Role = "planner"         // facilities, coverage runs
	NamesEditor    Role = "names-editor"    // divisions' names, place names, roads, house numbers, plates
	BoundaryEditor Role = "boundary-editor" // boundaries, boundary lines, markers
	Admin          Role = "admin"           // tokens, users, everything
)

// Roles lists every role in order of increasing power.
var Roles = []Role{Viewer, Planner, NamesEditor, BoundaryEditor, Admin}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if !slices.Contains(Roles, r) {
		return "", fmt.Errorf("unknown role %q (want one of %s)", s, strings.Join(roleNames(), ", "))
	}
	return r, nil
}

func roleNames() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	return out
}

// Allows reports whether a principal with role have may do what needs role need. An
// empty need is a read, which every role may do. A need may list alternatives separated
// by "|" (planner|names-editor): any one of them allows (a route whose handler then
// narrows by the resource, as the OGC API's editable collections do).
func Allows(have, need Role) bool {
	if a, b, ok := strings.Cut(string(need), "|"); ok {
		return Allows(have, Role(a)) || Allows(have, Role(b))
	}
	switch {
	case need == "" || need == Viewer:
		return have != ""
	case have == Admin:
		return true
	default:
		return have == need
	}
}

// Principal is who is calling.
type Principal struct {
	Name string
	Role Role
	Via  string // api | cli | system
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal in ctx and whether there is one.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// CLI is the principal of a command run on the server by an operating-system user: it
// has admin rights (it could edit the database directly anyway) and is audited by name.
func CLI() Principal {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Principal{Name: "cli:" + name, Role: Admin, Via: "cli"}
}

// CLIContext returns ctx acting as the CLI principal, with a request id "cli-" and 16
// hex digits of its own: every audit row one command writes carries that id, as the
// rows of an HTTP request carry the request's.
func CLIContext(ctx context.Context) context.Context {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return api.WithRequestID(WithPrincipal(ctx, CLI()), "cli-"+hex.EncodeToString(b[:]))
}
