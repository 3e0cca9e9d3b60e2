package importers

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"fangyuan/coverage/network"
	"fangyuan/importers/parse"
)

// OSMFS imports the network of an OSM file (PBF or XML) read from fsys (the
// embedded demo's data/demo/network.osm), as OSM does.
func OSMFS(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, path string, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "road network", Source: path}
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return sum, err
	}
	res, err := parse.ScanOSM(ctx, path, bytes.NewReader(b), parse.OSMOptions{})
	if err != nil {
		return sum, err
	}
	nw, err := network.FromOSM(res.Ways)
	if err != nil {
		return sum, fmt.Errorf("%s: %w", path, err)
	}
	return storeNetwork(ctx, pool, nw, path, sum, start, opts)
}

// OSM imports the roads and ferries of an .osm.pbf extract as the stored road
// network (network_edge), replacing the one stored, in one transaction. With
// bound not nil only the ways with a node inside it are kept.
func OSM(ctx context.Context, pool *pgxpool.Pool, path string, bound *orb.Bound, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{What: "road network", Source: path}
	phase(opts, "reading %s", path)
	nw, err := network.ReadOSMFile(ctx, path, bound)
	if err != nil {
		return sum, err
	}
	return storeNetwork(ctx, pool, nw, path, sum, start, opts)
}

// RoadNetwork imports a bureau's road network (路网: GeoJSON or Shapefile lines with class,
// speed, oneway, … columns; parse.ReadRoadNetwork) as the stored road network
// (network_edge), replacing the one stored, in one transaction; an OpenStreetMap file is
// imported as OSM does. A road file with rejected features is refused before anything is
// written, naming them.
func RoadNetwork(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, path string, bound *orb.Bound, opts Options) (Summary, error) {
	if !network.IsRoadFile(path) {
		return OSM(ctx, pool, path, bound, opts)
	}
	start := time.Now()
	sum := Summary{What: "road network", Source: path}
	phase(opts, "reading %s", path)
	nw, src, err := network.ReadRoadFile(fsys, path, bound, opts.Encoding)
	sum.Encoding = src.Encoding
	if err != nil {
		return sum, err
	}
	return storeNetwork(ctx, pool, nw, path, sum, start, opts)
}

func storeNetwork(ctx context.Context, pool *pgxpool.Pool, nw *network.Network, path string, sum Summary, start time.Time, opts Options) (Summary, error) {
	sum.Read = len(nw.Edges)
	phase(opts, "storing %d edges", len(nw.Edges))
	err := inTx(ctx, pool, "network_edge", &sum, func(tx pgx.Tx) error {
		n, err := network.Replace(ctx, tx, nw, path)
		if err != nil {
			return err
		}
		sum.Inserted = int(n)
		return nil
	})
	if err != nil {
		return sum, fmt.Errorf("%s: %w", path, err)
	}
	sum.Duration = time.Since(start)
	return sum, nil
}
