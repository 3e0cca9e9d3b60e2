package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"fangyuan/internal/api"
	"fangyuan/internal/db"
)

// service holds the endpoints about the service itself.
type service struct {
	pool     *pgxpool.Pool
	version  string
	router   *api.Router
	registry *prometheus.Registry
	log      *slog.Logger
}

func (s service) routes() []api.Route {
	metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	return []api.Route{
		{Method: http.MethodGet, Path: "/healthz", Tag: "service", Summary: "Health: the database answers and the schema is current", Public: true,
			Description: "200 with status ok; 503 with status unavailable and the reason (database unavailable, or the schema version) otherwise.",
			Handler:     s.handleHealth},
		{Method: http.MethodGet, Path: "/api/version", Tag: "service", Summary: "Service, schema, PostgreSQL and PostGIS versions", Public: true,
			Handler: s.handleVersion},
		{Method: http.MethodGet, Path: "/api/openapi.json", Tag: "service", Summary: "This OpenAPI document", Public: true,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				return api.WriteJSON(w, http.StatusOK, s.router.OpenAPI("Fangyuan 方圆 API", s.version))
			}},
		// A read like any other: with --reads token it needs a token.
		{Method: http.MethodGet, Path: "/metrics", Tag: "service", Summary: "Prometheus metrics (HTTP requests by route, Go runtime, process)",
			Produces: []string{"text/plain"},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				metrics.ServeHTTP(w, r)
				return nil
			}},
	}
}

// handleHealth answers 200 when the database answers and the schema is current. The
// reason of a failure stays in the server log: the answer never shows the database's
// address or user.
func (s service) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	applied, newest, err := db.SchemaVersion(ctx, s.pool)
	if err != nil {
		s.log.WarnContext(r.Context(), "health check: database unavailable", "err", err, "request_id", api.RequestID(r.Context()))
		w.Header().Set("Retry-After", fmt.Sprint(api.DefaultRetryAfter))
		return api.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "database unavailable"})
	}
	if applied != newest {
		return api.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": fmt.Sprintf("schema at version %d of %d (run fangyuan migrate)", applied, newest)})
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "ok", "schema_version": applied})
}

func (s service) handleVersion(w http.ResponseWriter, r *http.Request) error {
	var pg, postgis string
	if err := s.pool.QueryRow(r.Context(), sqlVersions).Scan(&pg, &postgis); err != nil {
		return err
	}
	applied, _, err := db.SchemaVersion(r.Context(), s.pool)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"name": "fangyuan", "version": s.version, "schema_version": applied, "postgresql": pg, "postgis": postgis})
}
