package main

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/importers"
)

// importHouseNumbers is `fangyuan import housenumbers FILE`.
func importHouseNumbers(ctx context.Context, src string, opts importers.Options) func(*pgxpool.Pool) (importers.Summary, error) {
	return func(pool *pgxpool.Pool) (importers.Summary, error) {
		return importers.HouseNumbers(ctx, pool, importers.HostFS{}, src, opts)
	}
}
