package auth

// All SQL of the auth package.
const (
	// A token's user is created with its first token; an existing user is left as it is
	// (roles belong to tokens: issuing a token never changes another token's role).
	sqlEnsureUser = `
INSERT INTO app_user (name) VALUES ($1)
ON CONFLICT (name) DO NOTHING`

	sqlInsertToken = `
INSERT INTO api_token (user_name, role, prefix, hash, expires_at) VALUES ($1, $2, $3, $4, $5)
RETURNING id, created_at`

	sqlLookupToken = `
SELECT t.id, u.name, t.role, u.disabled, t.revoked_at IS NOT NULL,
       t.expires_at IS NOT NULL AND t.expires_at <= now(),
       t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'
FROM api_token t JOIN app_user u ON u.name = t.user_name
WHERE t.hash = $1`

	// last_used_at is kept to the minute so that reads do not write on every request.
	sqlTouchToken = `UPDATE api_token SET last_used_at = now() WHERE id = $1`

	sqlListTokens = `
SELECT t.id, t.user_name, t.role, t.prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
FROM api_token t
ORDER BY t.id`

	sqlRevokeToken = `
UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
RETURNING user_name, prefix`

	sqlInsertAudit = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	sqlBindRequestID = `SELECT set_config('fangyuan.request_id', $1, true)`

	sqlListAudit = `
SELECT id, at, actor, via, action, entity, entity_key, before, after, detail, request_id
FROM audit_log
WHERE ($1 = '' OR entity = $1) AND ($2 = '' OR entity_key = $2) AND ($3 = '' OR actor = $3)
  AND id < $4
ORDER BY id DESC
LIMIT $5`
)
