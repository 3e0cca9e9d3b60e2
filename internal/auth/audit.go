package auth

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"fangyuan/internal/api"
)

// Execer is what Record needs: a pgx.Tx (usually) or a pool.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Entry is one audited write. Before and After are marshalled to JSON (nil → NULL).
type Entry struct {
	Action string // create | update | delete | import | token.create ...
	Entity string // table-level name: admin_unit, facility, api_token ...
	Key    string // natural key of the row
	Before any
	After  any
	Detail any
	// RequestID ties the entry to a request log line; empty: the request id in the
	// context (api.RequestID: the HTTP request's, or a command-line run's).
	RequestID string
}

// ErrNoPrincipal means a write was attempted without anybody to attribute it to.
var ErrNoPrincipal = errors.New("audit: no principal in context")

// Record writes e to the audit log in the caller's transaction, attributed to the principal
// in ctx. A write without a principal is refused: nothing lands unattributed.
func Record(ctx context.Context, db Execer, e Entry) error {
	p, ok := FromContext(ctx)
	if !ok {
		return ErrNoPrincipal
	}
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return err
	}
	detail, err := jsonOrNil(e.Detail)
	if err != nil {
		return err
	}
	if e.RequestID == "" {
		e.RequestID = api.RequestID(ctx)
	}
	_, err = db.Exec(ctx, sqlInsertAudit, p.Name, p.Via, e.Action, e.Entity, e.Key, before, after, detail, e.RequestID)
	return err
}

func jsonOrNil(v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return v, nil
	case []byte:
		return v, nil
	}
	return json.Marshal(v)
}

// AuditRecord is a row of the audit log.
type AuditRecord struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Via       string          `json:"via"`
	Action    string          `json:"action"`
	Entity    string          `json:"entity"`
	Key       string          `json:"key"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	Detail    json.RawMessage `json:"detail,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
}

// AuditFilter selects audit records, newest first; BeforeID pages backwards.
type AuditFilter struct {
	Entity, Key, Actor string
	BeforeID           int64
	Limit              int
}

// ListAudit returns audit records matching f.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	if f.BeforeID <= 0 {
		f.BeforeID = 1<<63 - 1
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, sqlListAudit, f.Entity, f.Key, f.Actor, f.BeforeID, f.Limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (AuditRecord, error) {
		var a AuditRecord
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Via, &a.Action, &a.Entity, &a.Key, &a.Before, &a.After, &a.Detail, &a.RequestID)
		return a, err
	})
}

// BindRequestID makes the request id in ctx the default of audit rows written by bulk
// statements in tx (INSERT INTO audit_log ... SELECT, which do not name request_id):
// migration 006 defaults the column to the transaction-local setting fangyuan.request_id.
func BindRequestID(ctx context.Context, tx Execer) error {
	_, err := tx.Exec(ctx, sqlBindRequestID, api.RequestID(ctx))
	return err
}
