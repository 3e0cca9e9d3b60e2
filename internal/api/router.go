package api

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// HandlerFunc is an HTTP handler that reports failure by returning an error; Router turns
// the error into a status code and a JSON body in one place.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Param documents a path or query parameter.
type Param struct {
	Name        string
	In          string // "path" or "query"
	Type        string // "string", "integer", "number", "boolean"
	Required    bool
	Description string
	Example     string
	Enum        []string
}

// Route is one endpoint: what the router serves and what the OpenAPI document says.
type Route struct {
	Method      string
	Path        string // chi pattern, e.g. /api/divisions/{code}
	Summary     string
	Description string
	Tag         string
	Params      []Param
	Body        string // request body description (JSON), empty when none
	Produces    []string
	// Role is the role a write needs ("planner", "admin", ...). Empty means a read: open
	// or token-only as the deployment decides.
	Role string
	// Public routes (health, version, the API document) need no token even when reads do.
	Public  bool
	Handler HandlerFunc
}

// Guard decides whether a request may run a route needing role (empty for reads). It
// returns the context to run with (carrying who is calling) or a *Error (401/403).
type Guard interface {
	Check(r *http.Request, role string) (context.Context, error)
}

// Router serves routes through chi and documents them.
type Router struct {
	mux    chi.Router
	guard  Guard
	log    *slog.Logger
	routes []Route
}

// NewRouter returns a router with the standard middleware (request id, recovery, logging,
// metrics). guard may be nil (everything allowed; tests of single packages).
func NewRouter(log *slog.Logger, guard Guard, m *Metrics) *Router {
	mux := chi.NewRouter()
	mux.Use(requestID, recoverer(log), logRequests(log), m.middleware)
	mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, NotFound("no route for %s %s", r.Method, r.URL.Path))
	})
	mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: r.Method + " is not allowed on " + r.URL.Path})
	})
	return &Router{mux: mux, guard: guard, log: log}
}

// Handle registers routes. A GET route also answers HEAD (the same handler; the server
// drops the body), unless a HEAD route of its own is registered first.
func (rt *Router) Handle(routes ...Route) {
	for _, route := range routes {
		rt.routes = append(rt.routes, route)
		h := rt.wrap(route)
		rt.mux.Method(route.Method, route.Path, h)
		if route.Method == http.MethodGet && !rt.has(http.MethodHead, route.Path) {
			rt.mux.Method(http.MethodHead, route.Path, h)
		}
	}
}

func (rt *Router) has(method, path string) bool {
	for _, r := range rt.routes {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// Mount serves a plain http.Handler under a prefix (static files, metrics). It is not
// documented in OpenAPI.
func (rt *Router) Mount(pattern string, h http.Handler) { rt.mux.Handle(pattern, h) }

// Routes returns the registered routes sorted by path and method.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

func (rt *Router) wrap(route Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.guard != nil && !route.Public {
			ctx, err := rt.guard.Check(r, route.Role)
			if err != nil {
				writeError(w, r, rt.log, err)
				return
			}
			r = r.WithContext(ctx)
		}
		if err := route.Handler(w, r); err != nil {
			writeError(w, r, rt.log, err)
		}
	})
}

// writeError is the one place where errors become responses.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, ok := classify(err)
	if !ok {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
	} else if e.Status >= 500 {
		log.WarnContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	if e.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="fangyuan"`)
	}
	if e.Status == http.StatusServiceUnavailable || e.Status == http.StatusTooManyRequests {
		after := e.RetryAfter
		if after <= 0 {
			after = DefaultRetryAfter
		}
		h.Set("Retry-After", strconv.Itoa(after))
	}
	// A handler may have chosen another type (GeoJSON, CSV) before it failed.
	h.Set("Content-Type", jsonType)
	h.Del("Content-Disposition")
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	body := struct {
		Error     *Error `json:"error"`
		RequestID string `json:"request_id,omitempty"`
	}{e, RequestID(r.Context())}
	_ = WriteJSON(w, e.Status, body)
}

// PathParam returns a chi URL parameter.
func PathParam(r *http.Request, name string) string { return strings.TrimSpace(chi.URLParam(r, name)) }
