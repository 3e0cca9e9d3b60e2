package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
	"fangyuan/internal/pgtest"
)

// rawResp is what rawDo saw: the status, the error body's code and field, the request id.
type rawResp struct {
	Status    int
	Code      string
	Field     string
	Message   string
	RequestID string
	Body      []byte
}

// rawDo sends body as is (JSON text the test wrote by hand: \u0000, numbers beyond int32).
// chunked hides the length from the client so that the body goes out chunked.
func rawDo(t *testing.T, base, token, method, path string, body io.Reader, chunked bool, hdr map[string]string) rawResp {
	t.Helper()
	if chunked && body != nil {
		body = struct{ io.Reader }{body} // no Len: ContentLength stays unknown
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rawResp{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"), Body: raw}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
			t.Fatalf("%s %s: %d with a non-JSON error body %q", method, path, resp.StatusCode, raw)
		}
		out.Code, out.Field, out.Message = e.Error.Code, e.Error.Field, e.Error.Message
	}
	return out
}

func TestAPILimits(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	ctx := context.Background()
	planner := token(t, pool, "li.planner", auth.Planner)
	names := token(t, pool, "zhao.names", auth.NamesEditor)
	do := func(tok, method, path, body string) rawResp {
		t.Helper()
		return rawDo(t, srv.URL, tok, method, path, strings.NewReader(body), false, nil)
	}
	want400 := func(r rawResp, field, what string) {
		t.Helper()
		if r.Status != 400 || r.Field != field {
			t.Errorf("%s: %d field %q (%s), want 400 naming %q", what, r.Status, r.Field, r.Message, field)
		}
	}

	var township, county string
	if err := pool.QueryRow(ctx, `SELECT code FROM admin_unit WHERE level = 4 AND valid_to IS NULL AND code LIKE '339901%' ORDER BY code LIMIT 1`).Scan(&township); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT code FROM admin_unit WHERE level = 3 AND valid_to IS NULL AND code LIKE '339901%'`).Scan(&county); err != nil {
		t.Fatal(err)
	}
	// A well-formed code that the database does not hold.
	unknown := "339901998000"
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM admin_unit WHERE code = $1`, unknown).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%s should not exist: %d %v", unknown, n, err)
	}

	fac := func(ext, extra string) string {
		return `{"kind": "eldercare_center", "ext_id": "` + ext + `", "lon": 119.99, "lat": 28.24` + extra + `}`
	}
	name200 := strings.Repeat("名", 200) // 200 characters, 600 bytes: lengths count characters
	if r := do(planner, "POST", "/api/facilities", fac("L-200", `, "name": "`+name200+`"`)); r.Status != 201 {
		t.Errorf("a name of 200 characters: %d %s", r.Status, r.Body)
	}
	want400(do(planner, "POST", "/api/facilities", fac("L-201", `, "name": "`+name200+`名"`)), "name", "a name of 201 characters")
	want400(do(planner, "POST", "/api/facilities", fac("L-ext", `, "name": "x", "ext_id": "`+strings.Repeat("x", 201)+`"`)), "ext_id", "an ext_id of 201 characters")
	addr := strings.Repeat("址", 500)
	if r := do(planner, "POST", "/api/facilities", fac("L-A500", `, "name": "x", "address": "`+addr+`"`)); r.Status != 201 {
		t.Errorf("an address of 500 characters: %d %s", r.Status, r.Body)
	}
	want400(do(planner, "POST", "/api/facilities", fac("L-A501", `, "name": "x", "address": "`+addr+`址"`)), "address", "an address of 501 characters")
	want400(do(planner, "POST", "/api/facilities", fac("L-NUL", `, "name": "养老\u0000中心"`)), "name", `\u0000 in name`)
	want400(do(planner, "POST", "/api/facilities", fac("L-NUL2", `, "name": "x", "address": "\u0000"`)), "address", `\u0000 in address`)
	want400(do(planner, "POST", "/api/facilities", fac("L-NUL3", `, "name": "x", "status": "planned\u0000"`)), "status", `\u0000 in status`)
	want400(do(planner, "POST", "/api/facilities", fac("L-B1", `, "name": "x", "beds": 1000000000000`)), "beds", "beds 1e12")
	want400(do(planner, "POST", "/api/facilities", fac("L-B2", `, "name": "x", "beds": 2147483648`)), "beds", "beds 2^31")
	want400(do(planner, "POST", "/api/facilities", fac("L-B3", `, "name": "x", "beds": 1e12`)), "beds", "beds written 1e12")
	if r := do(planner, "POST", "/api/facilities", fac("L-B4", `, "name": "x", "beds": 2147483647`)); r.Status != 201 {
		t.Errorf("beds 2^31-1: %d %s", r.Status, r.Body)
	}
	want400(do(planner, "POST", "/api/facilities", fac("L-C1", `, "name": "x", "admin_code": "`+unknown+`"`)), "admin_code", "an unknown admin_code")
	r := do(planner, "POST", "/api/facilities", fac("L-C2", `, "name": "x", "admin_code": "`+township+`"`))
	if r.Status != 201 {
		t.Fatalf("a known admin_code: %d %s", r.Status, r.Body)
	}
	var created struct {
		ID         int64
		Properties struct{ Version int }
	}
	if err := json.Unmarshal(r.Body, &created); err != nil {
		t.Fatal(err)
	}
	put := fmt.Sprintf("/api/facilities/%d", created.ID)
	want400(do(planner, "PUT", put, `{"version": 1099511627776, "name": "x", "lon": 119.99, "lat": 28.24}`), "version", "PUT version 2^40")
	want400(do(planner, "PUT", put, `{"version": 1, "name": "x", "lon": 119.99, "lat": 28.24, "admin_code": "`+unknown+`"}`), "admin_code", "PUT an unknown admin_code")
	want400(do(planner, "PUT", put, `{"version": 1, "name": "x", "lon": 119.99, "lat": 28.24, "nursing_beds": 99999999999}`), "nursing_beds", "PUT nursing_beds 1e11")
	if r := do(planner, "PUT", put, `{"version": 1, "name": "y", "lon": 119.99, "lat": 28.24, "admin_code": "`+county+`"}`); r.Status != 200 {
		t.Errorf("PUT a known admin_code: %d %s", r.Status, r.Body)
	}
	// Nothing of the refused requests landed.
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM facility WHERE ext_id LIKE 'L-%'`).Scan(&n); err != nil || n != 4 {
		t.Errorf("facilities L-*: %d (%v), want the 4 accepted", n, err)
	}

	div := "/api/divisions/" + township
	var version int
	if err := pool.QueryRow(ctx, `SELECT version FROM admin_unit WHERE code = $1 AND valid_to IS NULL`, township).Scan(&version); err != nil {
		t.Fatal(err)
	}
	want400(do(names, "PATCH", div, `{"version": 1099511627776, "pinyin": "Ce Shi"}`), "version", "PATCH version 2^40")
	want400(do(names, "PATCH", div, fmt.Sprintf(`{"version": %d, "pinyin": "Ce\u0000Shi"}`, version)), "pinyin", `PATCH \u0000 in pinyin`)
	want400(do(names, "PATCH", div, fmt.Sprintf(`{"version": %d, "pinyin": "%s"}`, version, strings.Repeat("a", 201))), "pinyin", "PATCH pinyin of 201 characters")
	want400(do(names, "PATCH", div, fmt.Sprintf(`{"version": %d, "aliases": ["旧名", "%s"]}`, version, strings.Repeat("名", 201))), "aliases[1]", "PATCH an alias of 201 characters")
	want400(do(names, "PATCH", div, fmt.Sprintf(`{"version": %d, "aliases": ["旧\u0000名"]}`, version)), "aliases[0]", `PATCH \u0000 in an alias`)
	if r := do(names, "PATCH", div, fmt.Sprintf(`{"version": %d, "aliases": ["%s"]}`, version, name200)); r.Status != 200 {
		t.Errorf("PATCH an alias of 200 characters: %d %s", r.Status, r.Body)
	}

	// JSON bodies over the limit (8 MiB) get a 413, sent with a length or chunked.
	big := `{"kind": "eldercare_center", "ext_id": "BIG", "lon": 119.99, "lat": 28.24, "name": "` + strings.Repeat("a", 9<<20) + `"}`
	for _, chunked := range []bool{false, true} {
		r := rawDo(t, srv.URL, planner, "POST", "/api/facilities", strings.NewReader(big), chunked, nil)
		if r.Status != 413 || r.Code != "payload_too_large" {
			t.Errorf("9 MiB body (chunked %v): %d %s %s", chunked, r.Status, r.Code, r.Message)
		}
	}
	// white space past the limit after a complete object is over the limit too
	pad := fac("PAD", `, "name": "x"`) + strings.Repeat(" ", 9<<20)
	if r := rawDo(t, srv.URL, planner, "POST", "/api/facilities", strings.NewReader(pad), true, nil); r.Status != 413 {
		t.Errorf("object followed by 9 MiB of blanks: %d %s", r.Status, r.Body)
	}
	if r := do(planner, "POST", "/api/facilities", fac("TRAIL", `, "name": "x"`)+` {}`); r.Status != 400 || r.Field != "body" {
		t.Errorf("trailing data: %d %q", r.Status, r.Field)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM facility WHERE ext_id IN ('BIG', 'PAD', 'TRAIL')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused bodies stored %d facilities (%v)", n, err)
	}
}

func TestTokensKeepTheirRoles(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	ctx := context.Background()
	admin := token(t, pool, "chen.admin", auth.Admin)
	create := func(body string) (rawResp, string) {
		t.Helper()
		r := rawDo(t, srv.URL, admin, "POST", "/api/tokens", strings.NewReader(body), false, nil)
		var out struct {
			Token string
			Info  struct {
				ExpiresAt *time.Time `json:"expires_at"`
			}
		}
		if r.Status == 201 {
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatal(err)
			}
		}
		return r, out.Token
	}
	r, viewer := create(`{"name": "u1", "role": "viewer"}`)
	if r.Status != 201 {
		t.Fatalf("viewer token: %d %s", r.Status, r.Body)
	}
	r, adminU1 := create(`{"name": "u1", "role": "admin"}`)
	if r.Status != 201 {
		t.Fatalf("admin token: %d %s", r.Status, r.Body)
	}
	// u1's viewer token stays a viewer token.
	if r := rawDo(t, srv.URL, viewer, "GET", "/api/tokens", nil, false, nil); r.Status != 403 {
		t.Errorf("u1's viewer token on an admin route after u1 got an admin token: %d", r.Status)
	}
	r = rawDo(t, srv.URL, adminU1, "GET", "/api/tokens", nil, false, nil)
	if r.Status != 200 {
		t.Fatalf("u1's admin token: %d %s", r.Status, r.Body)
	}
	var list struct {
		Tokens []struct{ User, Role string }
	}
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, tk := range list.Tokens {
		if tk.User == "u1" {
			roles = append(roles, tk.Role)
		}
	}
	if strings.Join(roles, ",") != "viewer,admin" {
		t.Errorf("u1's tokens list roles %v, want [viewer admin]", roles)
	}
	// The database agrees, token by token.
	rows, err := pool.Query(ctx, `SELECT role FROM api_token WHERE user_name = 'u1' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var dbRoles []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		dbRoles = append(dbRoles, s)
	}
	if rows.Err() != nil || strings.Join(dbRoles, ",") != "viewer,admin" {
		t.Errorf("api_token roles of u1: %v %v", dbRoles, rows.Err())
	}

	// ttl_days is bounded: 200,000 days used to overflow into "never expires".
	for _, body := range []string{`{"name": "u2", "role": "viewer", "ttl_days": 200000}`, `{"name": "u2", "role": "viewer", "ttl_days": 3651}`,
		`{"name": "u2", "role": "viewer", "ttl_days": 1e20}`, `{"name": "u2", "role": "viewer", "ttl_days": -1}`} {
		if r, _ := create(body); r.Status != 400 || r.Field != "ttl_days" {
			t.Errorf("%s: %d field %q", body, r.Status, r.Field)
		}
	}
	if r, _ := create(`{"name": "u2\u0000", "role": "viewer"}`); r.Status != 400 || r.Field != "name" {
		t.Errorf(`user name with \u0000: %d field %q`, r.Status, r.Field)
	}
	if r, _ := create(`{"name": "` + strings.Repeat("u", 65) + `", "role": "viewer"}`); r.Status != 400 || r.Field != "name" {
		t.Errorf("user name of 65 characters: %d field %q", r.Status, r.Field)
	}
	before := time.Now()
	r, _ = create(`{"name": "u2", "role": "viewer", "ttl_days": 3650}`)
	if r.Status != 201 {
		t.Fatalf("ttl_days 3650: %d %s", r.Status, r.Body)
	}
	var exp time.Time
	if err := pool.QueryRow(ctx, `SELECT expires_at FROM api_token WHERE user_name = 'u2'`).Scan(&exp); err != nil {
		t.Fatal(err)
	}
	if lo, hi := before.Add(3650*24*time.Hour-time.Minute), time.Now().Add(3650*24*time.Hour+time.Minute); exp.Before(lo) || exp.After(hi) {
		t.Errorf("ttl_days 3650 expires at %v, want within [%v, %v]", exp, lo, hi)
	}
}

func TestAuditRowsCarryRequestIDs(t *testing.T) {
	srv, pool := demoServer(t, auth.ReadsOpen)
	ctx := context.Background()
	planner := token(t, pool, "li.planner", auth.Planner)
	admin := token(t, pool, "chen.admin", auth.Admin)
	hdr := map[string]string{"X-Request-Id": "limits-test-7"}
	body := `{"kind": "eldercare_center", "ext_id": "RID-1", "name": "x", "lon": 119.99, "lat": 28.24}`
	r := rawDo(t, srv.URL, planner, "POST", "/api/facilities", strings.NewReader(body), false, hdr)
	if r.Status != 201 || r.RequestID != "limits-test-7" {
		t.Fatalf("create: %d, X-Request-Id %q", r.Status, r.RequestID)
	}
	var id string
	if err := pool.QueryRow(ctx, `SELECT request_id FROM audit_log WHERE entity = 'facility' AND entity_key = 'eldercare_center/RID-1' AND action = 'create'`).Scan(&id); err != nil || id != "limits-test-7" {
		t.Errorf("audit of the create: request_id %q (%v), want limits-test-7", id, err)
	}
	// Without the header the server makes an id, sends it back, and audits with it.
	r = rawDo(t, srv.URL, admin, "POST", "/api/tokens", strings.NewReader(`{"name": "u3", "role": "planner"}`), false, nil)
	if r.Status != 201 || r.RequestID == "" {
		t.Fatalf("token create: %d, X-Request-Id %q", r.Status, r.RequestID)
	}
	rows, err := pool.Query(ctx, `SELECT action, request_id FROM audit_log WHERE via = 'api' AND action IN ('user.create', 'token.create') AND (entity_key = 'u3' OR after->>'user' = 'u3') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a, rid string
		_ = rows.Scan(&a, &rid)
		got = append(got, a+"="+rid)
	}
	if want := "user.create=" + r.RequestID + ",token.create=" + r.RequestID; strings.Join(got, ",") != want {
		t.Errorf("audit rows of the token request: %v, want %s", got, want)
	}
	// No row written through the API lacks a request id.
	var empty int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE via = 'api' AND request_id = ''`).Scan(&empty); err != nil || empty != 0 {
		t.Errorf("%d API audit rows without a request id (%v)", empty, err)
	}
}

// The CLI: tokens of one user keep their roles, ttl is bounded, and the audit rows of one
// command share a "cli-" request id.
func TestCLITokensAndLimits(t *testing.T) {
	url := pgtest.NewDatabase(t)
	t.Setenv("FANGYUAN_DATABASE_URL", url)
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	if out, err := cli("token", "create", "--role", "viewer", "--name", "u1"); err != nil || !strings.HasPrefix(out, "fy_") {
		t.Fatalf("viewer token: %q %v", out, err)
	}
	if out, err := cli("token", "create", "--role", "admin", "--name", "u1", "--ttl-days", "3650"); err != nil || !strings.HasPrefix(out, "fy_") {
		t.Fatalf("admin token: %q %v", out, err)
	}
	out, err := cli("token", "list")
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "u1" {
			roles = append(roles, f[2])
		}
	}
	if strings.Join(roles, ",") != "viewer,admin" {
		t.Errorf("token list roles of u1: %v in\n%s", roles, out)
	}
	for _, ttl := range []string{"200000", "3651", "-1"} {
		if _, err := cli("token", "create", "--role", "viewer", "--name", "u2", "--ttl-days", ttl); !errors.Is(err, errUsage) || !strings.Contains(fmt.Sprint(err), "--ttl-days") {
			t.Errorf("--ttl-days %s: %v, want a usage error naming --ttl-days", ttl, err)
		}
	}
	pool, err := db.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT action, request_id FROM audit_log WHERE via = 'cli' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var actions []string
	for rows.Next() {
		var a, rid string
		_ = rows.Scan(&a, &rid)
		actions = append(actions, a)
		ids = append(ids, rid)
	}
	// first command: user.create + token.create; second: token.create; nothing for the refused ones
	if strings.Join(actions, ",") != "user.create,token.create,token.create" {
		t.Fatalf("CLI audit rows: %v", actions)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "cli-") || len(id) != len("cli-")+16 {
			t.Errorf("CLI audit request id %q, want cli- and 16 hex digits", id)
		}
	}
	if ids[0] != ids[1] || ids[1] == ids[2] {
		t.Errorf("request ids %v: the rows of one command share one, two commands differ", ids)
	}
}
