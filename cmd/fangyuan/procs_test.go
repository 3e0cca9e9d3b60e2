package main

// Helpers of the tests that run real fangyuan processes (fangyuan serve, fangyuan import)
// built from this package, to kill them with SIGKILL and start them again.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildFangyuan builds the fangyuan binary of this checkout into a temporary directory
// of t (the build cache makes it a link after the first one).
func buildFangyuan(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fangyuan")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	start := time.Now()
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("fangyuan built in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// proc is a running fangyuan process.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  *procLog
	base string // http://127.0.0.1:port of a server
	done chan struct{}
	err  error // the exit status, after done
}

// procLog is a process's output, in a file (a server under load logs a line per request).
type procLog struct{ path string }

func (l *procLog) String() string {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProc starts bin with args on the database url; it is killed when t ends.
func startProc(t *testing.T, name, bin, url string, args ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	p := &proc{t: t, name: name, log: &procLog{filepath.Join(dir, "output.log")}, done: make(chan struct{})}
	out, err := os.Create(p.log.path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "FANGYUAN_DATABASE_URL="+url, "FANGYUAN_HOME="+dir)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s output (last 40 lines):\n%s", name, lastLines(p.log.String(), 40))
		}
	})
	return p
}

// startServer starts `fangyuan serve` as node on the database url and waits until its
// /healthz answers 200.
func startServer(t *testing.T, bin, url, node string, args ...string) *proc {
	t.Helper()
	port := freePort(t)
	all := append([]string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--node-id", node}, args...)
	p := startProc(t, node, bin, url, all...)
	p.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if st, _, err := httpDo(p.base+"/healthz", "GET", "", "", 2*time.Second); err == nil && st == 200 {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before serving: %v\n%s", node, p.err, lastLines(p.log.String(), 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 2 minutes\n%s", node, lastLines(p.log.String(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL (no shutdown of any kind) and waits for the process to end.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// wait waits (bounded) for the process to end and returns its exit error.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.t.Fatalf("%s still running after %v\n%s", p.name, d, lastLines(p.log.String(), 40))
		return nil
	}
}

// httpDo sends one request with a bounded time and returns the status and body.
func httpDo(url, method, token, body string, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// errorBody reports whether b is the JSON error body of internal/api.
func errorBody(b []byte) (code string, ok bool) {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
		return "", false
	}
	return e.Error.Code, true
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
