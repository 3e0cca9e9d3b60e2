package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	tests := []struct {
		in, ctype, field string
		status           int
	}{
		{`{"name":"x","n":1}`, "application/json", "", 0},
		{``, "application/json", "body", 400},
		{`{"name":`, "application/json", "body", 400},
		{`{"n":"one"}`, "application/json", "n", 400},
		{`{"nme":"x"}`, "application/json", "nme", 400},
		{`{"name":"x"} {}`, "application/json", "body", 400},
		{`name=x`, "application/x-www-form-urlencoded", "", 415},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
		r.Header.Set("Content-Type", tt.ctype)
		var b body
		err := DecodeJSON(r, &b)
		var e *Error
		switch {
		case tt.status == 0 && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.status != 0 && (!errors.As(err, &e) || e.Status != tt.status || e.Field != tt.field):
			t.Errorf("%q: %v, want %d naming %q", tt.in, err, tt.status, tt.field)
		}
	}
}

func TestQueryBBox(t *testing.T) {
	tests := []struct {
		q  string
		ok bool
	}{
		{"119.6,28.0,120.2,28.5", true},
		{"", true},
		{"1,2,3", false},
		{"a,2,3,4", false},
		{"NaN,2,3,4", false},
		{"121,31,120,30", false},
		{"0,-91,1,1", false},
		{"-181,0,1,1", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/?bbox="+tt.q, nil)
		_, _, err := QueryBBox(r, "bbox")
		if (err == nil) != tt.ok {
			t.Errorf("bbox=%q: %v", tt.q, err)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err    error
		status int
		ok     bool
	}{
		{BadRequest("x", "bad"), 400, true},
		{pgx.ErrNoRows, 404, true},
		{&pgconn.PgError{Code: "23505"}, 409, true},
		{&pgconn.PgError{Code: "23P01"}, 409, true},
		{&pgconn.PgError{Code: "23514"}, 400, true},
		{errors.New("disk on fire"), 500, false},
		// The database cannot be reached: 503.
		{&pgconn.PgError{Code: "57P01"}, 503, true}, // admin_shutdown
		{&pgconn.PgError{Code: "57P03"}, 503, true}, // cannot_connect_now (starting up)
		{&pgconn.PgError{Code: "08006"}, 503, true}, // connection_failure
		{&pgconn.PgError{Code: "53300"}, 503, true}, // too_many_connections
		{fmt.Errorf("list: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), 503, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), 503, true},
		{&pgconn.PgError{Code: "57014"}, 503, true}, // statement timeout
		{fmt.Errorf("q: %w", context.DeadlineExceeded), 503, true},
		// The client's body did not arrive before the server's read deadline: not an outage.
		{fmt.Errorf("read body: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), 408, true},
	}
	for _, tt := range tests {
		e, ok := classify(tt.err)
		if e.Status != tt.status || ok != tt.ok {
			t.Errorf("classify(%v) = %d %v, want %d %v", tt.err, e.Status, ok, tt.status, tt.ok)
		}
	}
	// A timeout is a timeout, not an outage.
	if e, _ := classify(context.DeadlineExceeded); e.Code != "timeout" {
		t.Errorf("deadline exceeded: code %s", e.Code)
	}
	if e, _ := classify(&pgconn.PgError{Code: "57P01"}); e.Code != "unavailable" {
		t.Errorf("admin shutdown: code %s", e.Code)
	}
}

// 503 and 429 carry Retry-After; an error replaces the Content-Type a handler had set.
func TestErrorHeaders(t *testing.T) {
	rt := NewRouter(discardLogger(), nil, nil)
	rt.Handle(Route{Method: http.MethodGet, Path: "/down", Handler: func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", GeoJSONType)
		return fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"})
	}}, Route{Method: http.MethodGet, Path: "/busy", Handler: func(w http.ResponseWriter, r *http.Request) error {
		return &Error{Status: http.StatusTooManyRequests, Code: "queue_full", Message: "full", RetryAfter: 30}
	}})
	for path, want := range map[string]string{"/down": "5", "/busy": "30"} {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Header().Get("Retry-After") != want || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d Retry-After %q Content-Type %q", path, rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("Content-Type"))
		}
	}
}

// A panicking handler answers 500 with a JSON body, and the server keeps serving.
func TestRecover(t *testing.T) {
	rt := NewRouter(discardLogger(), nil, nil)
	rt.Handle(Route{Method: "GET", Path: "/boom", Handler: func(w http.ResponseWriter, r *http.Request) error { panic("boom") }})
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"code":"internal"`) || w.Header().Get("X-Request-Id") == "" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestBufferedWriter(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	w := NewBufferedWriter(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}), 20*time.Millisecond)
	fmt.Fprintln(w, "one")
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	flushed := out.String()
	mu.Unlock()
	if flushed != "one\n" {
		t.Fatalf("after the interval: %q", flushed)
	}
	fmt.Fprintln(w, "two")
	if err := w.Close(); err != nil || out.String() != "one\ntwo\n" {
		t.Fatalf("after Close: %q %v", out.String(), err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A handler that takes longer than the server's write timeout gets its answer through
// when it extends its deadlines with ExtendDeadlines, and loses it when it does not.
func TestExtendDeadlines(t *testing.T) {
	slow := func(extend bool) http.Handler {
		rt := NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
		rt.Handle(Route{Method: http.MethodGet, Path: "/slow", Handler: func(w http.ResponseWriter, r *http.Request) error {
			if extend {
				if err := ExtendDeadlines(w, 5*time.Second); err != nil {
					return err
				}
			}
			time.Sleep(400 * time.Millisecond)
			return WriteJSON(w, http.StatusOK, map[string]string{"status": "late but whole"})
		}})
		return rt
	}
	for _, extend := range []bool{true, false} {
		srv := httptest.NewUnstartedServer(slow(extend))
		srv.Config.WriteTimeout = 100 * time.Millisecond
		srv.Start()
		resp, err := http.Get(srv.URL + "/slow")
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		got := err == nil && strings.Contains(string(body), "late but whole")
		if got != extend {
			t.Errorf("extend=%v: answer received %v (err %v, body %q)", extend, got, err, body)
		}
		srv.Close()
	}
}
