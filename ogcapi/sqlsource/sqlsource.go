// Package sqlsource implements ogcapi.Collection over a PostGIS relation read by keyset:
// WHERE key > $last ORDER BY key LIMIT n+1, so every page costs the same however deep it
// is and stays stable while rows are inserted or deleted between pages. The domain
// packages describe their relations (SQL fragments kept in their sql.go files); this
// package only assembles the statement.
package sqlsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/ogcapi"
)

// Spec describes a collection as SQL.
type Spec struct {
	Meta ogcapi.Meta
	// From is the FROM clause, e.g. "facility f".
	From string
	// Where is a fixed condition on From (may be ""); it may use $1…$len(Args).
	Where string
	Args  []any
	// Key is the keyset column: unique, indexed, and also the feature id.
	Key string
	// KeyPrefix is a column that Where fixes to the first argument: Where must be exactly
	// KeyPrefix + " = $1" (e.g. "f.kind = $1"). The page is then read as the range of an
	// index on (KeyPrefix, Key): (prefix, key) > ($1, cursor) AND prefix <= $1, ORDER BY
	// prefix, key. Written with "prefix = $1" the planner treats the prefix as a constant,
	// orders by Key alone and may scan Key's own index filtering by prefix, reading every
	// row of the other prefixes that come first (0.25 s behind 500,000 of them).
	KeyPrefix string
	// IntKey: Key is an integer (cursors and ids are parsed as numbers).
	IntKey bool
	// Geom is a geometry expression in SRID 4326, or "" for none.
	Geom string
	// Columns give each property of Meta.Properties its SQL expression, in the same order.
	Columns []string
	// Version is the row version expression, or "".
	Version string
	// ValidFrom and ValidTo are the date expressions of a temporal collection's validity
	// [from, to) (Meta.Temporal); ValidTo NULL means still valid, and "" means the records
	// have no end. They serve datetime instants and intervals and the temporal extent.
	ValidFrom, ValidTo string
	// Current is the condition selecting the current records when no datetime is given
	// (Meta.Temporal); default ValidTo IS NULL (every record without ValidTo). AsOf is
	// the one for a date, with %[1]s standing for the date; default from ValidFrom and
	// ValidTo.
	Current, AsOf string
}

// Source is a collection read from PostGIS.
type Source struct {
	pool *pgxpool.Pool
	s    Spec
}

// New returns the collection of spec on pool.
func New(pool *pgxpool.Pool, spec Spec) (*Source, error) {
	if spec.KeyPrefix != "" && (spec.Where != spec.KeyPrefix+" = $1" || len(spec.Args) == 0) {
		return nil, fmt.Errorf("collection %s: KeyPrefix %s needs Where %q with an argument, not %q", spec.Meta.ID, spec.KeyPrefix, spec.KeyPrefix+" = $1", spec.Where)
	}
	if len(spec.Columns) != len(spec.Meta.Properties) {
		return nil, fmt.Errorf("collection %s: %d columns for %d properties", spec.Meta.ID, len(spec.Columns), len(spec.Meta.Properties))
	}
	return &Source{pool: pool, s: spec}, nil
}

// Must is New that panics on a malformed spec (a programming error).
func Must(pool *pgxpool.Pool, spec Spec) *Source {
	s, err := New(pool, spec)
	if err != nil {
		panic(err)
	}
	return s
}

// Meta describes the collection.
func (c *Source) Meta() ogcapi.Meta { return c.s.Meta }

// Pool is the pool the collection reads.
func (c *Source) Pool() *pgxpool.Pool { return c.pool }

func (c *Source) selectList() string {
	var b strings.Builder
	b.WriteString(c.s.Key + "::text, ")
	if c.s.Geom == "" {
		b.WriteString("NULL::text, ")
	} else {
		b.WriteString("ST_AsGeoJSON(" + c.s.Geom + ", 9)::text, ")
	}
	b.WriteString("json_build_object(")
	for i, p := range c.s.Meta.Properties {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + strings.ReplaceAll(p.Name, "'", "''") + "', " + c.s.Columns[i])
	}
	b.WriteString(")::text, ")
	if c.s.Version == "" {
		b.WriteString("0")
	} else {
		b.WriteString(c.s.Version)
	}
	return b.String()
}

type builder struct {
	conds []string
	args  []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// where builds the conditions of q (cursor aside).
func (c *Source) where(q ogcapi.Query) (*builder, error) {
	b := &builder{args: append([]any(nil), c.s.Args...)}
	if c.s.Where != "" {
		b.conds = append(b.conds, "("+c.s.Where+")")
	}
	if c.s.Meta.Temporal {
		if cond := c.temporal(b, q); cond != "" {
			b.conds = append(b.conds, "("+cond+")")
		}
	}
	if q.BBox != nil {
		if c.s.Geom == "" {
			b.conds = append(b.conds, "false")
		} else {
			env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, 4326)", b.arg(q.BBox[0]), b.arg(q.BBox[1]), b.arg(q.BBox[2]), b.arg(q.BBox[3]))
			b.conds = append(b.conds, fmt.Sprintf("(%[1]s && %[2]s AND ST_Intersects(%[1]s, %[2]s))", c.s.Geom, env))
		}
	}
	names := make([]string, 0, len(q.Filters))
	for n := range q.Filters {
		names = append(names, n)
	}
	slices.Sort(names) // the same statement text for the same filters
	for _, n := range names {
		i := slices.IndexFunc(c.s.Meta.Properties, func(p ogcapi.Property) bool { return p.Name == n && p.Queryable })
		if i < 0 {
			return nil, fmt.Errorf("%s is not a queryable of %s", n, c.s.Meta.ID)
		}
		b.conds = append(b.conds, fmt.Sprintf("(%s)::text = %s", c.s.Columns[i], b.arg(q.Filters[n])))
	}
	return b, nil
}

// temporal is the condition of datetime (none: the current records): an instant selects
// the records valid on its date, a closed interval [start, end] the records whose
// validity [from, to) meets it: from <= end and (to is open or to > start).
func (c *Source) temporal(b *builder, q ogcapi.Query) string {
	date := func(t time.Time) string { return b.arg(t.Format(time.DateOnly)) + "::date" }
	switch {
	case q.Interval:
		var conds []string
		if !q.End.IsZero() && c.s.ValidFrom != "" {
			conds = append(conds, c.s.ValidFrom+" <= "+date(q.End))
		}
		if !q.Start.IsZero() && c.s.ValidTo != "" {
			conds = append(conds, "("+c.s.ValidTo+" IS NULL OR "+c.s.ValidTo+" > "+date(q.Start)+")")
		}
		return strings.Join(conds, " AND ")
	case !q.AsOf.IsZero():
		if c.s.AsOf != "" {
			return fmt.Sprintf(c.s.AsOf, date(q.AsOf))
		}
		d := date(q.AsOf)
		var conds []string
		if c.s.ValidFrom != "" {
			conds = append(conds, c.s.ValidFrom+" <= "+d)
		}
		if c.s.ValidTo != "" {
			conds = append(conds, "("+c.s.ValidTo+" IS NULL OR "+c.s.ValidTo+" > "+d+")")
		}
		return strings.Join(conds, " AND ")
	case c.s.Current != "":
		return c.s.Current
	case c.s.ValidTo != "":
		return c.s.ValidTo + " IS NULL"
	}
	return ""
}

func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (c *Source) keyArg(b *builder, v string) (string, error) {
	if c.s.IntKey {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", ogcapi.ErrBadCursor
		}
		return b.arg(n), nil
	}
	return b.arg(v), nil
}

// Items returns one page.
func (c *Source) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	page := ogcapi.Page{Matched: -1}
	b, err := c.where(q)
	if err != nil {
		return page, err
	}
	base := whereSQL(b.conds)
	countArgs := append([]any(nil), b.args...)
	order := " ORDER BY " + c.s.Key + " ASC"
	conds := b.conds
	var k string
	if q.After != "" || q.Before != "" {
		if k, err = c.keyArg(b, q.After+q.Before); err != nil {
			return page, err
		}
	}
	if p := c.s.KeyPrefix; p != "" {
		// The range of the (prefix, key) index; conds[0] is Where (prefix = $1).
		conds = append([]string(nil), conds[1:]...)
		switch {
		case q.After != "":
			conds = append(conds, "("+p+", "+c.s.Key+") > ($1, "+k+")", p+" <= $1")
		case q.Before != "":
			conds = append(conds, "("+p+", "+c.s.Key+") < ($1, "+k+")", p+" >= $1")
		default:
			conds = append(conds, p+" >= $1", p+" <= $1")
		}
		order = " ORDER BY " + p + " ASC, " + c.s.Key + " ASC"
		if q.Before != "" {
			order = " ORDER BY " + p + " DESC, " + c.s.Key + " DESC"
		}
	} else {
		switch {
		case q.After != "":
			conds = append(conds, c.s.Key+" > "+k)
		case q.Before != "":
			conds = append(conds, c.s.Key+" < "+k)
			order = " ORDER BY " + c.s.Key + " DESC"
		}
	}
	sql := "SELECT " + c.selectList() + " FROM " + c.s.From + whereSQL(conds) + order + " LIMIT " + b.arg(q.Limit+1)
	// Planned with the values at hand every time (an unnamed statement), not by a cached
	// generic plan, which estimates every parameter alike (a bbox of a street and one of a
	// province, a rare kind and a common one).
	rows, err := c.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, b.args...)...)
	if err != nil {
		return page, err
	}
	page.Features, err = pgx.CollectRows(rows, c.scan)
	if err != nil {
		return page, err
	}
	if len(page.Features) > q.Limit {
		page.More = true
		page.Features = page.Features[:q.Limit]
	}
	if q.Before != "" {
		slices.Reverse(page.Features)
	}
	if q.CountCap > 0 {
		// An exact count whose cost is bounded: it stops after CountCap+1 rows.
		cs := "SELECT count(*) FROM (SELECT 1 FROM " + c.s.From + base + " LIMIT " + strconv.Itoa(q.CountCap+1) + ") s"
		var n int64
		if err := c.pool.QueryRow(ctx, cs, append([]any{pgx.QueryExecModeExec}, countArgs...)...).Scan(&n); err != nil {
			return page, err
		}
		if n <= int64(q.CountCap) {
			page.Matched = n
		}
	}
	return page, nil
}

func (c *Source) scan(row pgx.CollectableRow) (ogcapi.Feature, error) {
	var (
		f    ogcapi.Feature
		geom *string
		prop string
	)
	if err := row.Scan(&f.Key, &geom, &prop, &f.Version); err != nil {
		return f, err
	}
	f.ID, f.NumericID = f.Key, c.s.IntKey
	if geom != nil {
		f.Geometry = json.RawMessage(*geom)
	}
	f.Properties = json.RawMessage(prop)
	return f, nil
}

// Item returns one feature by id (whatever its validity: an id names one record).
func (c *Source) Item(ctx context.Context, fid string) (ogcapi.Feature, error) {
	b := &builder{args: append([]any(nil), c.s.Args...)}
	if c.s.Where != "" {
		b.conds = append(b.conds, "("+c.s.Where+")")
	}
	k, err := c.keyArg(b, fid)
	if err != nil {
		return ogcapi.Feature{}, ogcapi.ErrNotFound
	}
	b.conds = append(b.conds, c.s.Key+" = "+k)
	rows, err := c.pool.Query(ctx, "SELECT "+c.selectList()+" FROM "+c.s.From+whereSQL(b.conds), b.args...)
	if err != nil {
		return ogcapi.Feature{}, err
	}
	f, err := pgx.CollectExactlyOneRow(rows, c.scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ogcapi.ErrNotFound
	}
	return f, err
}
