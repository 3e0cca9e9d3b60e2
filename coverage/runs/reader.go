package runs

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/coverage/popgrid"
)

// NewReader returns a Service for the read side of a node on a streaming replica
// (internal/app with a read pool): it serves the GET routes, the OGC collection and the
// cells of finished runs from pool, and starts no queue worker (a worker claims runs by
// UPDATE, which a standby refuses). Runs are queued and executed by the node's Service on
// the primary, never by a reader.
func NewReader(pool *pgxpool.Pool, standards *coverage.Standards, log *slog.Logger) *Service {
	s := &Service{pool: pool, grids: popgrid.NewStore(pool), standards: standards, log: log,
		base: context.Background(), wake: make(chan struct{}, 1), region: map[string]*coverage.Region{}, graphs: map[string]*cachedGraph{}}
	s.limit.Store(DefaultQueueLimit)
	return s
}
