package main

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/importers"
)

// importPlaceNames is `fangyuan import placenames FILE`: a place-name census export (CSV,
// GeoJSON or Shapefile).
func importPlaceNames(ctx context.Context, src string, opts importers.Options) func(*pgxpool.Pool) (importers.Summary, error) {
	return func(pool *pgxpool.Pool) (importers.Summary, error) {
		return importers.PlaceNames(ctx, pool, importers.HostFS{}, src, opts)
	}
}
