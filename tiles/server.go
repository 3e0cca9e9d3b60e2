// Package tiles serves Mapbox Vector Tiles of the gazetteer, the facilities and coverage
// runs, with TileJSON per layer and a MapLibre style. Vector layers are drawn by PostGIS
// (ST_AsMVT, parameterised SQL under a statement_timeout); a run's population cells are
// drawn in Go (orb/encoding/mvt) from the in-memory grid. Tiles are cached gzip-compressed
// under a key that carries the change counter of their source tables (migration
// 005_tiles: statement triggers), so no tile outlives an import, an edit or a new run.
package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"fangyuan/internal/api"
	"fangyuan/tiles/pmtiles"
)

// Config configures a Server. The zero value works (no cells layer, 256 MiB cache).
type Config struct {
	// Cells draws the cells layer; nil leaves that layer unavailable (404).
	Cells CellSource
	// Cache holds encoded tiles; nil means an LRU of CacheBytes.
	Cache Cache
	// CacheBytes bounds the default cache (default 256 MiB).
	CacheBytes int
	// StatementTimeout bounds each tile query (default 10 s).
	StatementTimeout time.Duration
	// Basemap is an optional basemap under the own layers: an XYZ raster URL template
	// (http://tiles.intranet/{z}/{x}/{y}.png), the path of a local raster PMTiles archive
	// (served at /tiles/basemap/{z}/{x}/{y}), or "" for none (own layers only).
	Basemap string
	// BasemapAttribution is shown with the basemap.
	BasemapAttribution string
	Log                *slog.Logger
}

// Server makes and serves tiles.
type Server struct {
	pool  *pgxpool.Pool
	cfg   Config
	cache Cache
	group singleflight.Group
	cells cellMemo

	basemap *pmtiles.Archive

	boundsMu sync.Mutex
	bounds   [4]float64
	boundsAt int64 // epoch of admin_unit the bounds were read at (-1: never)
}

// New returns a Server on pool; it fails when cfg.Basemap names a PMTiles archive that
// cannot be read.
func New(pool *pgxpool.Pool, cfg Config) (*Server, error) {
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 256 << 20
	}
	if cfg.Cache == nil {
		cfg.Cache = NewLRU(cfg.CacheBytes)
	}
	if cfg.StatementTimeout <= 0 {
		cfg.StatementTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{pool: pool, cfg: cfg, cache: cfg.Cache, boundsAt: -1}
	if strings.HasSuffix(strings.ToLower(cfg.Basemap), ".pmtiles") && !strings.Contains(cfg.Basemap, "://") {
		a, err := pmtiles.Open(cfg.Basemap)
		if err != nil {
			return nil, fmt.Errorf("basemap: %w", err)
		}
		switch a.Header.TileType {
		case pmtiles.TypePNG, pmtiles.TypeJPEG, pmtiles.TypeWebP:
		default:
			return nil, fmt.Errorf("basemap %s: tiles of type %d; only raster archives (PNG, JPEG, WebP) can be a basemap", cfg.Basemap, a.Header.TileType)
		}
		s.basemap = a
	}
	return s, nil
}

// Cache returns the tile cache (for tests and benchmarks).
func (s *Server) Cache() Cache { return s.cache }

// Request names one tile.
type Request struct {
	Layer   string
	Z, X, Y int
	Param   string // raw ?kind= or ?run=
}

// ParseTile checks tile coordinates: z in [0, MaxZoom], x and y in [0, 2^z).
func ParseTile(zs, xs, ys string) (z, x, y int, err error) {
	z, err = strconv.Atoi(zs)
	if err != nil || z < 0 || z > MaxZoom {
		return 0, 0, 0, api.BadRequest("z", "zoom must be an integer from 0 to %d, not %q", MaxZoom, zs)
	}
	n := 1 << z
	x, err = strconv.Atoi(xs)
	if err != nil || x < 0 || x >= n {
		return 0, 0, 0, api.BadRequest("x", "must be an integer from 0 to %d at zoom %d, not %q", n-1, z, xs)
	}
	y, err = strconv.Atoi(ys)
	if err != nil || y < 0 || y >= n {
		return 0, 0, 0, api.BadRequest("y", "must be an integer from 0 to %d at zoom %d, not %q", n-1, z, ys)
	}
	return z, x, y, nil
}

// layer returns the layer named id or a 404.
func layer(id string) (*Layer, error) {
	l, ok := Layers[id]
	if !ok {
		return nil, api.NotFound("no tile layer %q (layers: %v)", id, LayerOrder)
	}
	return l, nil
}

// epoch is the change counter of tables.
func (s *Server) epoch(ctx context.Context, tables []string) (int64, error) {
	var e int64
	if err := s.pool.QueryRow(ctx, sqlEpoch, tables).Scan(&e); err != nil {
		return 0, fmt.Errorf("tile epoch: %w", err)
	}
	return e, nil
}

// Get returns the tile, from the cache when its source tables have not changed since it
// was made. hit reports a cache hit.
func (s *Server) Get(ctx context.Context, req Request) (t Tile, hit bool, err error) {
	l, err := layer(req.Layer)
	if err != nil {
		return Tile{}, false, err
	}
	if req.Z < 0 || req.Z > MaxZoom || req.X < 0 || req.X >= 1<<req.Z || req.Y < 0 || req.Y >= 1<<req.Z {
		return Tile{}, false, api.BadRequest("z", "tile %d/%d/%d is outside the tile grid", req.Z, req.X, req.Y)
	}
	param, err := l.paramValue(req.Param)
	if err != nil {
		return Tile{}, false, err
	}
	if l.ID == "cells" && s.cfg.Cells == nil {
		return Tile{}, false, api.NotFound("the cells layer is not available on this server")
	}
	ep, err := s.epoch(ctx, l.Tables)
	if err != nil {
		return Tile{}, false, err
	}
	key := fmt.Sprintf("%s/%d/%d/%d?%s#%d", l.ID, req.Z, req.X, req.Y, param, ep)
	if t, ok := s.cache.Get(key); ok {
		return t, true, nil
	}
	v, err, _ := s.group.Do(key, func() (any, error) {
		raw, err := s.render(ctx, l, req.Z, req.X, req.Y, param, ep)
		if err != nil {
			return Tile{}, err
		}
		t, err := encode(raw)
		if err != nil {
			return Tile{}, err
		}
		s.cache.Set(key, t)
		return t, nil
	})
	if err != nil {
		return Tile{}, false, err
	}
	return v.(Tile), false, nil
}

// gzipWriters are reused: a new compressor allocates about a megabyte of tables.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func encode(raw []byte) (Tile, error) {
	sum := sha256.Sum256(raw)
	t := Tile{Size: len(raw), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if len(raw) == 0 {
		return t, nil
	}
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return Tile{}, err
	}
	if err := zw.Close(); err != nil {
		return Tile{}, err
	}
	t.Gzip = buf.Bytes()
	return t, nil
}

// Render makes a tile without the cache (benchmarks compare it with direct SQL).
func (s *Server) Render(ctx context.Context, req Request) ([]byte, error) {
	l, err := layer(req.Layer)
	if err != nil {
		return nil, err
	}
	param, err := l.paramValue(req.Param)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, l, req.Z, req.X, req.Y, param, -1)
}

func (s *Server) render(ctx context.Context, l *Layer, z, x, y int, param string, ep int64) ([]byte, error) {
	if z < l.MinZoom || z > l.MaxZoom {
		return nil, nil
	}
	if l.query == "" { // cells, drawn in Go
		status, layer, err := s.checkRun(ctx, param)
		if err != nil {
			return nil, err
		}
		if status != "done" {
			return nil, nil // nothing to draw until the run has finished
		}
		return s.renderCells(ctx, z, x, y, param, layer, ep)
	}
	tol, limit := Tolerance(z), l.cap(z)
	for attempt := 0; ; attempt++ {
		raw, err := s.query(ctx, l, z, x, y, tol, limit, param)
		if err != nil {
			return nil, err
		}
		if len(raw) <= MaxTileBytes || attempt == 3 {
			if len(raw) > MaxTileBytes {
				s.cfg.Log.Warn("tile over the size target", "layer", l.ID, "z", z, "x", x, "y", y, "bytes", len(raw))
			}
			return raw, nil
		}
		// Too big: coarser geometry and fewer features.
		tol *= 4
		limit = max(limit/2, 100)
	}
}

// QuerySQL is the SQL a layer's tiles are made with (empty for in-memory layers), for
// benchmarks that time the same query directly.
func QuerySQL(layerID string) string {
	if l, ok := Layers[layerID]; ok {
		return l.query
	}
	return ""
}

// QueryParam is the value a layer's SQL takes as $6 for the request parameter raw.
func QueryParam(layerID, raw string) (string, error) {
	l, err := layer(layerID)
	if err != nil {
		return "", err
	}
	return l.paramValue(raw)
}

// FeatureCap is a layer's feature cap at zoom z.
func FeatureCap(layerID string, z int) int { return Layers[layerID].cap(z) }

// query makes a tile in one round trip: the batch runs in one implicit transaction, so
// the local statement_timeout holds for the tile query alone. For a run's layer the
// run's status comes in the same batch (404 for an unknown run, empty until it is done).
func (s *Server) query(ctx context.Context, l *Layer, z, x, y int, tol float64, limit int, param string) ([]byte, error) {
	b := &pgx.Batch{}
	b.Queue(sqlStatementTimeout, strconv.FormatInt(s.cfg.StatementTimeout.Milliseconds(), 10))
	var status, layer string
	found := true
	if l.Param == "run" {
		id, _ := strconv.ParseInt(param, 10, 64)
		b.Queue(sqlRunStatus, id).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&status, &layer)
			if errors.Is(err, pgx.ErrNoRows) {
				found = false
				return nil
			}
			return err
		})
	}
	var raw []byte
	b.Queue(l.query, z, x, y, tol, limit, param).QueryRow(func(row pgx.Row) error { return row.Scan(&raw) })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("tile %s/%d/%d/%d: %w", l.ID, z, x, y, err)
	}
	switch {
	case !found:
		return nil, api.NotFound("no coverage run %s", param)
	case l.Param == "run" && status != "done":
		return nil, nil
	}
	return raw, nil
}

// checkRun returns a run's status and population layer; 404 for an unknown run.
func (s *Server) checkRun(ctx context.Context, param string) (status, layer string, err error) {
	id, _ := strconv.ParseInt(param, 10, 64)
	err = s.pool.QueryRow(ctx, sqlRunStatus, id).Scan(&status, &layer)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", api.NotFound("no coverage run %d", id)
	}
	return status, layer, err
}

func (s *Server) renderCells(ctx context.Context, z, x, y int, param, band string, ep int64) ([]byte, error) {
	id, _ := strconv.ParseInt(param, 10, 64)
	key := fmt.Sprintf("%d#%d", id, ep)
	d, ok := s.cells.get(key)
	if !ok || ep < 0 {
		g, covered, err := s.cfg.Cells.Cells(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("cells of run %d: %w", id, err)
		}
		if d, ok = newCellData(g, band, covered); !ok {
			return nil, fmt.Errorf("cells of run %d: grid and coverage do not match", id)
		}
		s.cells.put(key, d)
	}
	return cellsTile(d, z, x, y)
}

// Bounds is the extent of the current divisions (west, south, east, north).
func (s *Server) Bounds(ctx context.Context) ([4]float64, error) {
	ep, err := s.epoch(ctx, []string{"admin_unit"})
	if err != nil {
		return [4]float64{}, err
	}
	s.boundsMu.Lock()
	defer s.boundsMu.Unlock()
	if s.boundsAt == ep {
		return s.bounds, nil
	}
	var b [4]*float64
	if err := s.pool.QueryRow(ctx, sqlBounds).Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		return [4]float64{}, err
	}
	if b[0] == nil {
		s.bounds = [4]float64{73, 18, 135, 54} // China, when no boundary is loaded yet
	} else {
		s.bounds = [4]float64{*b[0], *b[1], *b[2], *b[3]}
	}
	s.boundsAt = ep
	return s.bounds, nil
}
