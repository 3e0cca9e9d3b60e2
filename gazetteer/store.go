package gazetteer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// Store reads and writes the gazetteer in PostGIS.
type Store struct {
	pool *pgxpool.Pool
	// units answers division lookups without geometry from memory (SetUnitSource); nil
	// sends every lookup to PostGIS.
	units UnitSource
	// writes counts the division edits this Store committed (WriteGeneration).
	writes atomic.Uint64
	// lookups answered by units and by PostGIS (LookupCounts).
	fromMemory, fromSQL atomic.Uint64
}

// UnitSource answers division lookups from an in-memory copy of admin_unit (the gazetteer
// snapshot of gazetteer/addr). It lives outside this package, which must not import it.
type UnitSource interface {
	// Division returns the unit with the 12-digit code valid on day (the zero time: today,
	// UTC) with its admin chain, as GetDivision returns it without geometry, and the
	// WriteGeneration of this Store that the copy was read after (the value taken before
	// its load began). ok is false when the copy holds no such unit.
	Division(code string, day time.Time) (d Division, gen uint64, ok bool)
}

// SetUnitSource makes GetDivision answer from src when src is current: its copy was read
// after every division edit this Store committed (read-your-writes for clients of this
// server). Other lookups (with geometry, codes src lacks, a copy older than the last
// edit) go to PostGIS. Call it before serving.
func (s *Store) SetUnitSource(src UnitSource) { s.units = src }

// WriteGeneration is the number of division edits this Store has committed. A UnitSource
// reads it before loading its copy and reports it with every answer.
func (s *Store) WriteGeneration() uint64 { return s.writes.Load() }

// LookupCounts reports how many GetDivision calls were answered from the UnitSource and
// how many by PostGIS.
func (s *Store) LookupCounts() (memory, sql uint64) { return s.fromMemory.Load(), s.fromSQL.Load() }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ErrVersionConflict means the row changed since the client read it.
var ErrVersionConflict = errors.New("the record was changed by someone else; reload it and try again")

func asOfOrToday(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t
}

// ListFilter selects divisions.
type ListFilter struct {
	Parent string // 12-digit code, "" for none
	Level  Level  // 0 for any
	AsOf   time.Time
	Limit  int
	Offset int
}

func scanDivision(row pgx.Row, extra ...any) (Division, error) {
	var d Division
	dest := append([]any{&d.Code, &d.Level, &d.Kind, &d.Name, &d.ParentCode, &d.Pinyin, &d.PinyinDraft, &d.Aliases,
		&d.ValidFrom, &d.ValidTo, &d.HasGeometry, &d.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.LevelName = d.Level.String()
	return d, nil
}

// ListDivisions returns the units matching f and the total number matching.
func (s *Store) ListDivisions(ctx context.Context, f ListFilter) ([]Division, int, error) {
	var parent, level any
	if f.Parent != "" {
		parent = f.Parent
	}
	if f.Level != 0 {
		level = int16(f.Level)
	}
	rows, err := s.pool.Query(ctx, sqlListDivisions, asOfOrToday(f.AsOf), parent, level, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		out   []Division
		total int
	)
	for rows.Next() {
		d, err := scanDivision(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// GetDivision returns the unit with the 12-digit code as of a date, with its admin chain
// and, when withGeom, its geometry as GeoJSON.
func (s *Store) GetDivision(ctx context.Context, code string, asOf time.Time, withGeom bool) (Division, error) {
	asOf = asOfOrToday(asOf)
	if s.units != nil && !withGeom {
		written := s.writes.Load()
		if d, gen, ok := s.units.Division(code, asOf); ok && gen >= written {
			s.fromMemory.Add(1)
			return d, nil
		}
	}
	s.fromSQL.Add(1)
	var (
		geom         []byte
		codes, names []string
		levels       []int16
	)
	d, err := scanDivision(s.pool.QueryRow(ctx, sqlGetDivision, asOf, code, withGeom), &geom, &codes, &levels, &names)
	if err != nil {
		return d, err
	}
	d.Geometry = geom
	if len(codes) != len(levels) || len(codes) != len(names) {
		return d, fmt.Errorf("division %s: chain of %d codes, %d levels, %d names", code, len(codes), len(levels), len(names))
	}
	d.Chain = make([]ChainLink, len(codes))
	for i := range codes {
		d.Chain[i] = ChainLink{Code: codes[i], Level: Level(levels[i]), Name: names[i]}
	}
	return d, nil
}

// NamesPatch is an edit of a unit's official pinyin and aliases by the place-name office.
type NamesPatch struct {
	Version int       `json:"version"`
	Pinyin  *string   `json:"pinyin"`
	Aliases *[]string `json:"aliases"`
}

// UpdateDivisionNames applies p to the current unit with code if its version still
// matches, and audits the change.
func (s *Store) UpdateDivisionNames(ctx context.Context, code string, p NamesPatch) (Division, error) {
	var out Division
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scanDivision(tx.QueryRow(ctx, sqlDivisionForUpdate, code))
		if err != nil {
			return err
		}
		if before.Version != p.Version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, p.Version, before.Version)
		}
		pin, aliases := before.Pinyin, before.Aliases
		if p.Pinyin != nil {
			pin = p.Pinyin
			if strings.TrimSpace(*pin) == "" {
				pin = nil
			}
		}
		if p.Aliases != nil {
			aliases = *p.Aliases
		}
		if aliases == nil {
			aliases = []string{}
		}
		var version int
		if err := tx.QueryRow(ctx, sqlUpdateDivisionNames, code, pin, aliases, p.Version).Scan(&version); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrVersionConflict
			}
			return err
		}
		out = before
		out.Pinyin, out.Aliases, out.Version = pin, aliases, version
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "admin_unit", Key: code,
			Before: map[string]any{"pinyin": before.Pinyin, "aliases": before.Aliases, "version": before.Version},
			After:  map[string]any{"pinyin": pin, "aliases": aliases, "version": version}})
	})
	if err == nil {
		// Committed: lookups fall back to PostGIS until the in-memory copy is read again.
		s.writes.Add(1)
	}
	return out, err
}

// ImportOptions control a division import.
type ImportOptions struct {
	ValidFrom time.Time // the snapshot date: new units and new versions are valid from it
	Source    string    // file or dataset name, kept on the rows and in the audit log
	// RetireMissing ends the validity of current units of the imported provinces that the
	// snapshot no longer lists (merged or abolished units).
	RetireMissing bool
}

// ImportDivisions upserts units in tx: new codes are inserted, changed ones get a new
// version valid from opts.ValidFrom (the old name stays as an alias), unchanged ones are
// counted. Every update is audited with its before and after.
func (s *Store) ImportDivisions(ctx context.Context, tx pgx.Tx, units []DivisionInput, opts ImportOptions) (db.Changes, error) {
	var ch db.Changes
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageDivisions); err != nil {
		return ch, err
	}
	provinces := map[string]bool{}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_division"},
		[]string{"code", "level", "kind", "name", "parent_code", "pinyin_draft", "pinyin_initials"},
		pgx.CopyFromSlice(len(units), func(i int) ([]any, error) {
			u := units[i]
			provinces[u.Code[:2]] = true
			full, ini := DraftPinyin(u.Name)
			var parent any
			if u.ParentCode != "" {
				parent = u.ParentCode
			}
			return []any{u.Code, int16(u.Level), u.Kind, u.Name, parent, full, ini}, nil
		}))
	if err != nil {
		return ch, fmt.Errorf("stage divisions: %w", err)
	}
	if err := checkOrphans(ctx, tx, sqlCheckDivisionParents, "parent code"); err != nil {
		return ch, err
	}
	if _, err := tx.Exec(ctx, sqlClassifyDivisions); err != nil {
		return ch, err
	}
	if ch, err = db.CountOps(ctx, tx, sqlCountDivisionOps); err != nil {
		return ch, err
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{sqlAuditDivisionUpdates, []any{p.Name, p.Via, opts.ValidFrom, opts.Source}},
		{sqlUpdateDivisionsInPlace, []any{opts.ValidFrom, opts.Source}},
		{sqlCloseDivisionVersions, []any{opts.ValidFrom}},
		{sqlInsertDivisionVersions, []any{opts.ValidFrom, opts.Source}},
		{sqlInsertNewDivisions, []any{opts.ValidFrom, opts.Source}},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return ch, err
		}
	}
	if opts.RetireMissing {
		var codes []string
		for c := range provinces {
			codes = append(codes, c)
		}
		tag, err := tx.Exec(ctx, sqlRetireMissingDivisions, opts.ValidFrom, codes, p.Name, p.Via)
		if err != nil {
			return ch, err
		}
		ch.Retired = int(tag.RowsAffected())
	}
	return ch, nil
}

// OrphanError lists staged rows that refer to codes that do not exist.
type OrphanError struct {
	What  string
	Pairs [][2]string // code, missing reference
}

func (e *OrphanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d row(s) refer to an unknown %s:", len(e.Pairs), e.What)
	for _, p := range e.Pairs {
		fmt.Fprintf(&b, " %s→%s", p[0], p[1])
	}
	return b.String()
}

func checkOrphans(ctx context.Context, tx pgx.Tx, sql, what string) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return err
	}
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return err
	}
	if len(pairs) > 0 {
		return &OrphanError{What: what, Pairs: pairs}
	}
	return nil
}

// BoundaryInput is one polygon to attach to the unit with Code (12 digits).
type BoundaryInput struct {
	Index    int // position in the source, for messages
	Code     string
	Geometry orb.MultiPolygon
}

// BoundaryProblem is a feature that was repaired or could not be matched.
type BoundaryProblem struct {
	Index     int    `json:"index"`
	Code      string `json:"code"`
	Unmatched bool   `json:"unmatched,omitempty"`
	Repaired  string `json:"repaired,omitempty"` // why the geometry was invalid
	Empty     bool   `json:"empty,omitempty"`
}

// ImportBoundaries attaches polygons to the current units of a level in tx. Invalid
// geometry is repaired with ST_MakeValid and reported; features whose code matches no unit
// of that level are reported and, unless skipUnmatched, fail the import.
func (s *Store) ImportBoundaries(ctx context.Context, tx pgx.Tx, level Level, feats []BoundaryInput, source string) (db.Changes, []BoundaryProblem, error) {
	var ch db.Changes
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, nil, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageBoundaries); err != nil {
		return ch, nil, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_boundary"}, []string{"idx", "code", "wkb"},
		pgx.CopyFromSlice(len(feats), func(i int) ([]any, error) {
			b, err := wkb.Marshal(feats[i].Geometry)
			if err != nil {
				return nil, fmt.Errorf("feature %d: %w", feats[i].Index, err)
			}
			return []any{feats[i].Index, feats[i].Code, b}, nil
		}))
	if err != nil {
		return ch, nil, fmt.Errorf("stage boundaries: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlPrepareBoundaries, int16(level)); err != nil {
		return ch, nil, err
	}
	rows, err := tx.Query(ctx, sqlBoundaryProblems)
	if err != nil {
		return ch, nil, err
	}
	problems, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BoundaryProblem, error) {
		var bp BoundaryProblem
		var reason *string
		err := r.Scan(&bp.Index, &bp.Code, &bp.Unmatched, &reason, &bp.Empty)
		if reason != nil {
			bp.Repaired = *reason
		}
		return bp, err
	})
	if err != nil {
		return ch, nil, err
	}
	if err := tx.QueryRow(ctx, sqlCountBoundaryOps).Scan(&ch.Inserted, &ch.Updated, &ch.Unchanged); err != nil {
		return ch, nil, err
	}
	if _, err := tx.Exec(ctx, sqlAuditBoundaryUpdates, p.Name, p.Via, source); err != nil {
		return ch, nil, err
	}
	if _, err := tx.Exec(ctx, sqlApplyBoundaries); err != nil {
		return ch, nil, err
	}
	return ch, problems, nil
}
