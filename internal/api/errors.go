// Package api is the HTTP plumbing shared by the domain packages: handlers that return an
// error, one place that maps errors to status codes and JSON bodies, a route table that is
// both the router and the OpenAPI document, and the request middleware.
package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Error is an error with an HTTP status and a machine-readable code. Handlers return it
// (or wrap it); everything else becomes a 500 with the detail only in the server log.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details any    `json:"details,omitempty"`
}

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

// classify maps any error to the *Error sent to the client. ok is false for errors the
// client cannot have caused (they are logged and answered with a generic 500).
func classify(err error) (e *Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return NotFound("not found"), true
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
