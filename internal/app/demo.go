package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"fangyuan/data"
	"fangyuan/importers"
	"fangyuan/internal/auth"
)

// sqlCountDivisions tells an empty database from one holding data.
const sqlCountDivisions = `SELECT count(*) FROM admin_unit`

// LoadDemoIfEmpty loads the embedded demo data through the importers, then runs coverage
// for every facility kind, on a database without divisions (serve --demo). Import
// progress goes to progress (may be nil).
func (s *Server) LoadDemoIfEmpty(ctx context.Context, log *slog.Logger, progress io.Writer) error {
	var n int
	if err := s.Pool.QueryRow(ctx, sqlCountDivisions).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		log.Info("demo data not loaded: the database already holds divisions", "divisions", n)
		return nil
	}
	log.Info("loading the embedded demo data (first start)")
	start := time.Now()
	ctx = auth.CLIContext(ctx)
	if err := importers.LoadDemo(ctx, s.Pool, data.Demo, progress); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if err := importers.LoadBoundaryDemo(ctx, s.Pool, progress); err != nil {
		return fmt.Errorf("boundary demo data: %w", err)
	}
	log.Info("running coverage for every facility kind on the demo data")
	if err := s.Runs.RunAllKinds(ctx); err != nil {
		return fmt.Errorf("demo coverage runs: %w", err)
	}
	log.Info("demo data loaded", "seconds", time.Since(start).Round(time.Millisecond).Seconds())
	return nil
}
