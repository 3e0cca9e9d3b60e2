package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/tern/v2/migrate"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Roles belong to tokens: a new token of a user never changes the user's other tokens.
func TestTokensOfOneUserKeepTheirRoles(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	s := auth.NewStore(pool)
	viewer, _, err := s.CreateToken(ctx, "u1", auth.Viewer, 0)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := s.CreateToken(ctx, "u1", auth.Admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	planner, _, err := s.CreateToken(ctx, "u1", auth.Planner, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		secret string
		want   auth.Role
	}{{viewer, auth.Viewer}, {admin, auth.Admin}, {planner, auth.Planner}} {
		p, err := s.Authenticate(context.Background(), c.secret)
		if err != nil || p.Name != "u1" || p.Role != c.want {
			t.Errorf("token %s…: %+v %v, want u1 as %s", c.secret[:9], p, err, c.want)
		}
	}
	toks, err := s.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, tk := range toks {
		roles = append(roles, string(tk.Role))
	}
	if strings.Join(roles, ",") != "viewer,admin,planner" {
		t.Errorf("listed roles %v", roles)
	}
	// the user is created once, audited once; each token is audited with its role
	var users, tokens int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'user.create'), count(*) FILTER (WHERE action = 'token.create') FROM audit_log`).Scan(&users, &tokens); err != nil || users != 1 || tokens != 3 {
		t.Errorf("audit: %d user.create, %d token.create (%v); want 1 and 3", users, tokens, err)
	}
}

func TestTokenLifetimeIsBounded(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := dbtest.CLI()
	s := auth.NewStore(pool)
	// 200,000 days overflowed time.Duration into a negative: "never expires".
	days := int64(200000)
	for _, d := range []time.Duration{time.Duration(days) * 24 * time.Hour, auth.MaxTTL + time.Hour, -time.Hour} {
		if _, _, err := s.CreateToken(ctx, "u1", auth.Viewer, d); !errors.Is(err, auth.ErrBadTokenRequest) {
			t.Errorf("ttl %v: %v, want ErrBadTokenRequest", d, err)
		}
	}
	if err := auth.CheckTokenRequest("u1", 200000); err == nil || !strings.Contains(err.Error(), "ttl_days") {
		t.Errorf("CheckTokenRequest(200000 days) = %v", err)
	}
	if err := auth.CheckTokenRequest("u1", 3650); err != nil {
		t.Errorf("CheckTokenRequest(3650 days) = %v", err)
	}
	before := time.Now()
	_, tok, err := s.CreateToken(ctx, "u1", auth.Viewer, auth.MaxTTL)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt == nil || tok.ExpiresAt.Sub(before) < 3649*24*time.Hour || tok.ExpiresAt.Sub(before) > 3651*24*time.Hour {
		t.Errorf("a token of %d days expires at %v", auth.MaxTTLDays, tok.ExpiresAt)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_token`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d tokens stored (%v), want only the valid one", n, err)
	}
}

func TestAuditRecordTakesTheRequestID(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := api.WithRequestID(dbtest.CLI(), "req-42")
	if err := auth.Record(ctx, pool, auth.Entry{Action: "update", Entity: "thing", Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	if err := auth.Record(ctx, pool, auth.Entry{Action: "update", Entity: "thing", Key: "k2", RequestID: "explicit"}); err != nil {
		t.Fatal(err)
	}
	recs, err := auth.NewStore(pool).ListAudit(context.Background(), auth.AuditFilter{Entity: "thing"})
	if err != nil || len(recs) != 2 {
		t.Fatalf("%+v %v", recs, err)
	}
	if recs[1].RequestID != "req-42" || recs[0].RequestID != "explicit" {
		t.Errorf("request ids %q, %q; want req-42, explicit", recs[1].RequestID, recs[0].RequestID)
	}
	// CLIContext gives each command its own id.
	a, b := api.RequestID(auth.CLIContext(context.Background())), api.RequestID(auth.CLIContext(context.Background()))
	if !strings.HasPrefix(a, "cli-") || len(a) != 20 || a == b {
		t.Errorf("CLI request ids %q, %q", a, b)
	}
}

// Migration 006 moves each user's role onto the user's tokens and records it.
func TestMigrationMovesRolesToTokens(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	pool, err := db.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(ctx, conn.Conn(), "fangyuan_schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(db.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO app_user (name, role) VALUES ('zhang', 'planner'), ('li', 'admin')`,
		`INSERT INTO api_token (user_name, prefix, hash) VALUES ('zhang', 'fy_a', '\x01'), ('zhang', 'fy_b', '\x02'), ('li', 'fy_c', '\x03')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Release()
	if err := db.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT t.prefix || '=' || t.role || '/' || coalesce(a.after->>'role', '-')
		FROM api_token t LEFT JOIN audit_log a ON a.entity = 'api_token' AND a.entity_key = t.id::text AND a.action = 'token.role'
		ORDER BY t.id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		got = append(got, s)
	}
	if want := "fy_a=planner/planner,fy_b=planner/planner,fy_c=admin/admin"; strings.Join(got, ",") != want {
		t.Errorf("after migration: %v, want %s", got, want)
	}
}
