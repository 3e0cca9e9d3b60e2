// Package popgrid keeps population grids (人口栅格) in PostGIS in a form that reloads into
// memory fast: each band in chunks of rows, little-endian float32 compressed with deflate,
// decompressed in parallel on load. It owns the population_grid tables, their SQL and
// their HTTP handlers.
package popgrid

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/geo"
	"fangyuan/internal/auth"
)

// Meta describes a stored grid.
type Meta struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Year        int       `json:"year"`
	West        float64   `json:"west"`
	North       float64   `json:"north"`
	DX          float64   `json:"dx"`
	DY          float64   `json:"dy"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Bands       []string  `json:"bands"`
	Totals      []float64 `json:"totals"`
	NoData      *float32  `json:"nodata"`
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Version     int       `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Cells is the number of cells per band.
func (m Meta) Cells() int { return m.Width * m.Height }

// Store reads and writes population grids.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// chunkCells is about how many cells go into one stored chunk (1 MiB of float32).
const chunkCells = 1 << 18

func chunkRows(width int) int { return max(1, chunkCells/width) }

// Fingerprint identifies a grid's geometry, band names and values.
func Fingerprint(g *geo.Grid) string {
	h := sha256.New()
	fmt.Fprintf(h, "%v %v %v %v %d %d %v %v|", g.West, g.North, g.DX, g.DY, g.Width, g.Height, g.HasNoData, g.NoData)
	buf := make([]byte, 4*g.Width)
	for _, b := range g.Bands {
		fmt.Fprintf(h, "%s|", b.Name)
		for r := 0; r < g.Height; r++ {
			putFloats(buf, b.Data[r*g.Width:(r+1)*g.Width])
			h.Write(buf)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func putFloats(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// ImportResult says what Import did.
type ImportResult struct {
	ID        int64
	Inserted  bool
	Updated   bool
	Unchanged bool
}

// Import stores g as (name, year) in tx: a new grid is inserted, a grid with the same
// name and year but other values replaces the old one (audited), identical values are
// left alone.
func (s *Store) Import(ctx context.Context, tx pgx.Tx, name string, year int, g *geo.Grid, source string) (ImportResult, error) {
	var res ImportResult
	if err := g.Validate(); err != nil {
		return res, err
	}
	fp := Fingerprint(g)
	bands := make([]string, len(g.Bands))
	totals := make([]float64, len(g.Bands))
	for i, b := range g.Bands {
		bands[i] = b.Name
		for _, v := range b.Data {
			if !g.IsNoData(v) {
				totals[i] += float64(v)
			}
		}
	}
	var nodata *float32
	if g.HasNoData {
		v := float32(g.NoData)
		nodata = &v
	}
	var (
		oldID int64
		oldFP string
		old   Meta
	)
	err := tx.QueryRow(ctx, sqlFindGrid, name, year).Scan(&oldID, &oldFP, &old.Width, &old.Height, &old.Bands, &old.Totals)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return res, err
	case oldFP == fp:
		return ImportResult{ID: oldID, Unchanged: true}, nil
	}
	extent := g.Bounds()
	args := []any{name, year, g.West, g.North, g.DX, g.DY, g.Width, g.Height, bands, totals, nodata, chunkRows(g.Width),
		extent.Min[0], extent.Min[1], extent.Max[0], extent.Max[1], fp, source}
	if oldID != 0 {
		if _, err := tx.Exec(ctx, sqlDeleteChunks, oldID); err != nil {
			return res, err
		}
		if _, err := tx.Exec(ctx, sqlUpdateGrid, append([]any{oldID}, args[2:]...)...); err != nil {
			return res, err
		}
		res = ImportResult{ID: oldID, Updated: true}
		if err := auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "population_grid", Key: fmt.Sprintf("%s/%d", name, year),
			Before: map[string]any{"fingerprint": oldFP, "width": old.Width, "height": old.Height, "bands": old.Bands, "totals": old.Totals},
			After:  map[string]any{"fingerprint": fp, "width": g.Width, "height": g.Height, "bands": bands, "totals": totals}}); err != nil {
			return res, err
		}
	} else {
		if err := tx.QueryRow(ctx, sqlInsertGrid, args...).Scan(&res.ID); err != nil {
			return res, err
		}
		res.Inserted = true
	}
	rows := chunkRows(g.Width)
	var chunks [][]any
	for bi, b := range g.Bands {
		for r0 := 0; r0 < g.Height; r0 += rows {
			r1 := min(g.Height, r0+rows)
			data, err := compress(b.Data[r0*g.Width : r1*g.Width])
			if err != nil {
				return res, err
			}
			chunks = append(chunks, []any{res.ID, int16(bi), r0, data})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"population_chunk"}, []string{"grid_id", "band", "row0", "data"}, pgx.CopyFromRows(chunks)); err != nil {
		return res, fmt.Errorf("store grid chunks: %w", err)
	}
	return res, nil
}

func compress(vals []float32) ([]byte, error) {
	raw := make([]byte, 4*len(vals))
	putFloats(raw, vals)
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decompress(dst []float32, data []byte) error {
	raw := make([]byte, 4*len(dst))
	r := flate.NewReader(bytes.NewReader(data))
	defer r.Close()
	if _, err := io.ReadFull(r, raw); err != nil {
		return fmt.Errorf("corrupt population chunk: %w", err)
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return nil
}

func scanMeta(row pgx.Row) (Meta, error) {
	var m Meta
	err := row.Scan(&m.ID, &m.Name, &m.Year, &m.West, &m.North, &m.DX, &m.DY, &m.Width, &m.Height, &m.Bands, &m.Totals,
		&m.NoData, &m.Fingerprint, &m.Source, &m.Version, &m.UpdatedAt)
	return m, err
}

// List returns every stored grid.
func (s *Store) List(ctx context.Context) ([]Meta, error) {
	rows, err := s.pool.Query(ctx, sqlListGrids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Meta
	for rows.Next() {
		m, err := scanMeta(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Get returns the description of grid id.
func (s *Store) Get(ctx context.Context, id int64) (Meta, error) {
	return scanMeta(s.pool.QueryRow(ctx, sqlGetGrid, id))
}

// Load reads grid id into memory.
func (s *Store) Load(ctx context.Context, id int64) (*geo.Grid, Meta, error) {
	meta, err := s.Get(ctx, id)
	if err != nil {
		return nil, meta, err
	}
	g := &geo.Grid{West: meta.West, North: meta.North, DX: meta.DX, DY: meta.DY, Width: meta.Width, Height: meta.Height}
	if meta.NoData != nil {
		g.HasNoData, g.NoData = true, float64(*meta.NoData)
	}
	for _, name := range meta.Bands {
		g.Bands = append(g.Bands, geo.Band{Name: name, Data: make([]float32, meta.Cells())})
	}
	rows, err := s.pool.Query(ctx, sqlLoadChunks, id)
	if err != nil {
		return nil, meta, err
	}
	defer rows.Close()
	type chunk struct {
		band, row0 int
		data       []byte
	}
	work := make(chan chunk, 16)
	errc := make(chan error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				r1 := min(meta.Height, c.row0+chunkRows(meta.Width))
				if c.band >= len(g.Bands) || c.row0 < 0 || c.row0 >= r1 {
					errc <- fmt.Errorf("population grid %d: chunk band %d row %d out of range", id, c.band, c.row0)
					continue
				}
				if err := decompress(g.Bands[c.band].Data[c.row0*meta.Width:r1*meta.Width], c.data); err != nil {
					errc <- err
				}
			}
		}()
	}
	n := 0
	for rows.Next() {
		var c chunk
		var band int16
		if err := rows.Scan(&band, &c.row0, &c.data); err != nil {
			close(work)
			wg.Wait()
			return nil, meta, err
		}
		c.band = int(band)
		work <- c
		n++
	}
	close(work)
	wg.Wait()
	close(errc)
	if err := rows.Err(); err != nil {
		return nil, meta, err
	}
	if err := <-errc; err != nil {
		return nil, meta, err
	}
	if want := len(meta.Bands) * ((meta.Height + chunkRows(meta.Width) - 1) / chunkRows(meta.Width)); n != want {
		return nil, meta, fmt.Errorf("population grid %d: %d chunks stored, want %d", id, n, want)
	}
	return g, meta, nil
}
