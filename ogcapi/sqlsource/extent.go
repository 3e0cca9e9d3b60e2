package sqlsource

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/ogcapi"
)

// Extents are aggregates (ST_Extent, min and max of the validity) over every record of the
// collection, cached per pool and statement: computed on the first request, then at most
// once per ExtentTTL, in the background while the previous value is served. A computation
// that exceeds ExtentTimeout gives no extent (the documents then omit it) until the next
// attempt.
var (
	ExtentTTL     = time.Minute
	ExtentTimeout = 2 * time.Second
)

type extentEntry struct {
	ext        ogcapi.Extent
	err        error
	at         time.Time
	refreshing bool
}

var extents = struct {
	sync.Mutex
	m map[string]*extentEntry
}{m: map[string]*extentEntry{}}

var _ ogcapi.Extenter = (*Source)(nil)

// extentSQL is the aggregate statement of the collection.
func (c *Source) extentSQL() string {
	geom, from, to, open := "NULL::geometry", "NULL::date", "NULL::date", "false"
	if c.s.Geom != "" {
		geom = c.s.Geom
	}
	if c.s.Meta.Temporal && c.s.ValidFrom != "" {
		from = c.s.ValidFrom
	}
	if c.s.Meta.Temporal && c.s.ValidTo != "" {
		to, open = c.s.ValidTo, "bool_or("+c.s.ValidTo+" IS NULL)"
	} else if c.s.Meta.Temporal {
		open = "true" // records without an end
	}
	where := ""
	if c.s.Where != "" {
		where = " WHERE " + c.s.Where
	}
	return "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1, open FROM (SELECT ST_Extent(" + geom + ") AS e, min(" + from +
		")::text AS t0, max(" + to + ")::text AS t1, coalesce(" + open + ", false) AS open FROM " + c.s.From + where + ") s"
}

// Extent returns the collection's extent (cached; see ExtentTTL).
func (c *Source) Extent(ctx context.Context) (ogcapi.Extent, error) {
	sql := c.extentSQL()
	key := fmt.Sprintf("%p\x00%s\x00%v", c.pool, sql, c.s.Args)
	extents.Lock()
	e, ok := extents.m[key]
	if ok {
		if time.Since(e.at) > ExtentTTL && !e.refreshing {
			e.refreshing = true
			go c.refreshExtent(key, sql)
		}
		ext, err := e.ext, e.err
		extents.Unlock()
		return ext, err
	}
	extents.Unlock()
	ext, err := c.computeExtent(ctx, sql)
	if ctx.Err() != nil {
		return ext, err // the client went away: cache nothing
	}
	extents.Lock()
	extents.m[key] = &extentEntry{ext: ext, err: err, at: time.Now()}
	extents.Unlock()
	return ext, err
}

func (c *Source) refreshExtent(key, sql string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*ExtentTimeout)
	defer cancel()
	ext, err := c.computeExtent(ctx, sql)
	extents.Lock()
	extents.m[key] = &extentEntry{ext: ext, err: err, at: time.Now()}
	extents.Unlock()
}

func (c *Source) computeExtent(ctx context.Context, sql string) (ogcapi.Extent, error) {
	ext := ogcapi.Extent{Temporal: c.s.Meta.Temporal && (c.s.ValidFrom != "" || c.s.ValidTo != "")}
	var (
		x0, y0, x1, y1 *float64
		t0, t1         *string
		open           bool
	)
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", ExtentTimeout.Milliseconds())); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sql, c.s.Args...).Scan(&x0, &y0, &x1, &y1, &t0, &t1, &open)
	})
	if err != nil {
		if strings.Contains(err.Error(), "statement timeout") {
			return ogcapi.Extent{}, nil // too dear to know: no extent
		}
		return ogcapi.Extent{}, fmt.Errorf("collection %s: extent: %w", c.s.Meta.ID, err)
	}
	if x0 != nil && y0 != nil && x1 != nil && y1 != nil {
		ext.BBox = &[4]float64{*x0, *y0, *x1, *y1}
	}
	day := func(s *string) time.Time {
		if s == nil {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, *s)
		if err != nil { // -infinity, infinity: an open end
			return time.Time{}
		}
		return t
	}
	if ext.Temporal {
		ext.Start = day(t0)
		if !open {
			ext.End = day(t1)
		}
	}
	return ext, nil
}
