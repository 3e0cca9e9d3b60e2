// Package api is the HTTP plumbing shared by the domain packages: handlers that return an
// error, one place that maps errors to status codes and JSON bodies, a route table that is
// both the router and the OpenAPI document, and the request middleware.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// Error is an error with an HTTP status and a machine-readable code. Handlers return it
// (or wrap it); everything else becomes a 500 with the detail only in the server log.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details any    `json:"details,omitempty"`
	// RetryAfter is the Retry-After header, in seconds, of a 429 or 503 (default
	// DefaultRetryAfter).
	RetryAfter int `json:"-"`
}

// DefaultRetryAfter is the Retry-After, in seconds, of 503 and 429 answers that name none.
const DefaultRetryAfter = 5

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// BadRequest reports a bad parameter or body field.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing resource.
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// Conflict reports an edit that lost a race or breaks a uniqueness rule.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

// Unauthorized reports a missing or invalid token.
func Unauthorized(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports a valid token whose role does not allow the request.
func Forbidden(format string, args ...any) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}

// Unavailable reports that a dependency (the database) cannot be reached; the client
// should retry later.
func Unavailable(format string, args ...any) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: fmt.Sprintf(format, args...)}
}

// IsUnavailable reports whether err means the database cannot be reached (connection
// refused or lost, the server shutting down or starting, too many connections, the pool
// closed) rather than a fault of the query or of the request.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded) {
		return false // a timeout or a client gone (these are net.Errors too)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01–57P05: admin/crash shutdown, cannot
		// connect now, database dropped, idle session timeout; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	if errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// A statement that never reached the server (the connection was already gone).
	return pgconn.SafeToRetry(err)
}

// classify maps any error to the *Error sent to the client. ok is false for errors the
// client cannot have caused (they are logged and answered with a generic 500).
func classify(err error) (e *Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return NotFound("not found"), true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's read or write deadline passed: the client sent its body too slowly.
		return &Error{Status: http.StatusRequestTimeout, Code: "request_timeout", Message: "the request body was not received in time"}, true
	}
	if IsUnavailable(err) {
		return Unavailable("the database is unavailable; try again shortly"), true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			return &Error{Status: http.StatusConflict, Code: "conflict", Message: pgErr.Message, Details: pgErr.Detail}, true
		case "23514", "23502", "22P02", "22003", "23503": // check, not null, bad text repr, out of range, fk
			return &Error{Status: http.StatusBadRequest, Code: "constraint", Message: pgErr.Message, Details: pgErr.ConstraintName}, true
		case "57014": // query_canceled (statement_timeout)
			return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the query took too long"}, true
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long"}, true
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}, false
}

// NotFoundIf turns pgx.ErrNoRows into a 404 with the given message; other errors pass.
func NotFoundIf(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return NotFound(format, args...)
	}
	return err
}
