package auth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fangyuan/internal/api"
)

// Routes are the admin endpoints for tokens and the audit log.
func (s *Store) Routes() []api.Route {
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/tokens", Summary: "List API tokens (without secrets)", Tag: "auth", Role: string(Admin), Handler: s.handleListTokens},
		{Method: http.MethodPost, Path: "/api/tokens", Summary: "Create an API token for a user with a role", Tag: "auth", Role: string(Admin),
			Body: `{"name": "zhang.san", "role": "planner", "ttl_days": 365}`, Handler: s.handleCreateToken},
		{Method: http.MethodDelete, Path: "/api/tokens/{id}", Summary: "Revoke an API token", Tag: "auth", Role: string(Admin),
			Params: []api.Param{{Name: "id", In: "path", Type: "integer"}}, Handler: s.handleRevokeToken},
		{Method: http.MethodGet, Path: "/api/audit", Summary: "Read the audit log (newest first)", Tag: "auth", Role: string(Admin),
			Params: []api.Param{
				{Name: "entity", In: "query", Type: "string", Example: "facility"},
				{Name: "key", In: "query", Type: "string"},
				{Name: "actor", In: "query", Type: "string"},
				{Name: "before_id", In: "query", Type: "integer", Description: "page: only entries with a smaller id"},
				{Name: "limit", In: "query", Type: "integer", Description: "1–1000, default 100"},
			}, Handler: s.handleAudit},
	}
}

func (s *Store) handleListTokens(w http.ResponseWriter, r *http.Request) error {
	toks, err := s.ListTokens(r.Context())
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"tokens": toks})
}

func (s *Store) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name    string `json:"name"`
		Role    string `json:"role"`
		TTLDays int64  `json:"ttl_days"`
	}
	if err := api.DecodeJSON(r, &req); err != nil {
		return err
	}
	role, err := ParseRole(req.Role)
	if err != nil {
		return api.BadRequest("role", "%v", err)
	}
	if req.Name == "" {
		return api.BadRequest("name", "required")
	}
	if err := CheckTokenRequest(req.Name, req.TTLDays); err != nil {
		return badTokenRequest(err)
	}
	secret, tok, err := s.CreateToken(r.Context(), req.Name, role, time.Duration(req.TTLDays)*24*time.Hour)
	if errors.Is(err, ErrBadTokenRequest) {
		return badTokenRequest(err)
	}
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": tok})
}

// badTokenRequest turns "bad token request: field: reason" into a 400 naming the field.
func badTokenRequest(err error) error {
	msg := strings.TrimPrefix(err.Error(), ErrBadTokenRequest.Error()+": ")
	field, reason, ok := strings.Cut(msg, ": ")
	if !ok {
		return api.BadRequest("body", "%s", msg)
	}
	return api.BadRequest(field, "%s", reason)
}

func (s *Store) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil {
		return api.BadRequest("id", "must be an integer")
	}
	if err := s.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Store) handleAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := api.QueryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	before, err := api.QueryInt(r, "before_id", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	recs, err := s.ListAudit(r.Context(), AuditFilter{Entity: q.Get("entity"), Key: q.Get("key"), Actor: q.Get("actor"), BeforeID: int64(before), Limit: limit})
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"entries": recs})
}
