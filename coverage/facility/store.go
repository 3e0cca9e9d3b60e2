package facility

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/coverage"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// Facility is one facility as stored.
type Facility struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	ExtID        string    `json:"ext_id"`
	Name         string    `json:"name"`
	Beds         *int      `json:"beds"`
	NursingBeds  *int      `json:"nursing_beds"`
	DementiaBeds *int      `json:"dementia_beds"`
	Status       string    `json:"status"`
	Lon          float64   `json:"lon"`
	Lat          float64   `json:"lat"`
	Address      string    `json:"address"`
	AdminCode    *string   `json:"admin_code"`
	Source       string    `json:"source"`
	Version      int       `json:"version"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Input is a facility as an importer or the API hands it to the store. Coordinates are
// WGS84.
type Input struct {
	Line         int // source line, for messages
	ExtID        string
	Name         string
	Beds         *int
	NursingBeds  *int
	DementiaBeds *int
	Status       string
	Lon, Lat     float64
	Address      string
	AdminCode    string // 12 digits, or "" to assign by point in polygon
}

// Store reads and writes facilities.
type Store struct {
	pool      *pgxpool.Pool
	standards *coverage.Standards // the standards in force: they define the kinds
}

// NewStore returns a Store on pool with the built-in standards (see WithStandards).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, standards: defaultStandards} }

// WithStandards returns a copy of the store whose kinds are those of std (nil:
// the built-in standards): the API, the OGC collections and imports accept
// only these kinds.
func (s *Store) WithStandards(std *coverage.Standards) *Store {
	c := *s
	c.standards = orDefault(std)
	return &c
}

// Standards returns the standards in force.
func (s *Store) Standards() *coverage.Standards { return s.standards }

// Kinds returns the facility kinds of the standards in force.
func (s *Store) Kinds() []Kind { return KindsOf(s.standards) }

// Kind returns kind id of the standards in force; the error wraps
// ErrUnknownKind and lists the known kinds.
func (s *Store) Kind(id string) (Kind, error) { return KindByID(s.standards, id) }

// UnknownAdminCodeError means a facility names an admin code that is no current
// division.
type UnknownAdminCodeError struct{ Code string }

func (e *UnknownAdminCodeError) Error() string {
	return fmt.Sprintf("admin_code %s names no current division (import the divisions first, or leave it empty to assign it from the boundaries)", e.Code)
}

// Querier is a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// UnknownAdminCodes returns those of the 12-digit codes that name no current division,
// sorted.
func UnknownAdminCodes(ctx context.Context, q Querier, codes []string) ([]string, error) {
	rows, err := q.Query(ctx, sqlUnknownAdminCodes, codes)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// checkAdminCode fails with *UnknownAdminCodeError when code is set and names no current
// division.
func checkAdminCode(ctx context.Context, q Querier, code string) error {
	if code == "" {
		return nil
	}
	unknown, err := UnknownAdminCodes(ctx, q, []string{code})
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return &UnknownAdminCodeError{Code: code}
	}
	return nil
}

// ErrVersionConflict means the facility changed since the client read it.
var ErrVersionConflict = errors.New("the facility was changed by someone else; reload it and try again")

func scan(row pgx.Row, extra ...any) (Facility, error) {
	var f Facility
	err := row.Scan(append([]any{&f.ID, &f.Kind, &f.ExtID, &f.Name, &f.Beds, &f.NursingBeds, &f.DementiaBeds, &f.Status,
		&f.Lon, &f.Lat, &f.Address, &f.AdminCode, &f.Source, &f.Version, &f.UpdatedAt}, extra...)...)
	return f, err
}

// Filter selects facilities.
type Filter struct {
	Kind, Status string
	AdminPrefix  string // significant digits of a division code
	BBox         *[4]float64
	Limit        int
	Offset       int
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// List returns the facilities matching f and the total count.
func (s *Store) List(ctx context.Context, f Filter) ([]Facility, int, error) {
	bbox := []any{nil, nil, nil, nil}
	if f.BBox != nil {
		bbox = []any{f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]}
	}
	args := append([]any{nilIfEmpty(f.Kind), nilIfEmpty(f.Status), nilIfEmpty(f.AdminPrefix)}, bbox...)
	rows, err := s.pool.Query(ctx, sqlListFacilities, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		out   []Facility
		total int
	)
	for rows.Next() {
		fac, err := scan(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, fac)
	}
	return out, total, rows.Err()
}

// Get returns one facility.
func (s *Store) Get(ctx context.Context, id int64) (Facility, error) {
	return scan(s.pool.QueryRow(ctx, sqlGetFacility, id))
}

// Create inserts a facility of kind and audits it.
func (s *Store) Create(ctx context.Context, kind string, in Input) (Facility, error) {
	var out Facility
	if _, err := s.Kind(kind); err != nil {
		return out, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkAdminCode(ctx, tx, in.AdminCode); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, sqlInsertFacility, kind, in.ExtID, in.Name, in.Beds, in.NursingBeds, in.DementiaBeds,
			in.Status, in.Lon, in.Lat, in.Address, nilIfEmpty(in.AdminCode), "api").Scan(&id); err != nil {
			return err
		}
		var err error
		if out, err = scan(tx.QueryRow(ctx, sqlGetFacility, id)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "facility", Key: kind + "/" + in.ExtID, After: out})
	})
	return out, err
}

// Update replaces the editable fields of facility id if version still matches.
func (s *Store) Update(ctx context.Context, id int64, version int, in Input) (Facility, error) {
	var out Facility
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scan(tx.QueryRow(ctx, sqlGetFacilityForUpdate, id))
		if err != nil {
			return err
		}
		if before.Version != version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, before.Version)
		}
		if err := checkAdminCode(ctx, tx, in.AdminCode); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlUpdateFacility, id, in.Name, in.Beds, in.NursingBeds, in.DementiaBeds, in.Status,
			in.Lon, in.Lat, in.Address, nilIfEmpty(in.AdminCode), version); err != nil {
			return err
		}
		if out, err = scan(tx.QueryRow(ctx, sqlGetFacility, id)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "facility", Key: before.Kind + "/" + before.ExtID, Before: before, After: out})
	})
	return out, err
}

// Delete removes facility id if version still matches.
func (s *Store) Delete(ctx context.Context, id int64, version int) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scan(tx.QueryRow(ctx, sqlGetFacilityForUpdate, id))
		if err != nil {
			return err
		}
		if before.Version != version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, before.Version)
		}
		if _, err := tx.Exec(ctx, sqlDeleteFacility, id, version); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "delete", Entity: "facility", Key: before.Kind + "/" + before.ExtID, Before: before})
	})
}

// ImportResult is what a facility import did.
type ImportResult struct {
	db.Changes
	// Outside lists the source lines of facilities that no boundary covers (only when
	// boundaries exist); they are imported without an admin code.
	Outside []int `json:"outside,omitempty"`
}

// Import upserts facilities of kind by (kind, ext_id) in tx, assigns admin codes by point
// in polygon where the file gives none, and audits every update.
func (s *Store) Import(ctx context.Context, tx pgx.Tx, kind string, rows []Input, source string) (ImportResult, error) {
	var res ImportResult
	if _, err := s.Kind(kind); err != nil {
		return res, err
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		return res, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageFacilities); err != nil {
		return res, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_facility"},
		[]string{"line", "ext_id", "name", "beds", "nursing_beds", "dementia_beds", "status", "lon", "lat", "address", "admin_code"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.Line, r.ExtID, r.Name, r.Beds, r.NursingBeds, r.DementiaBeds, r.Status, r.Lon, r.Lat, r.Address, nilIfEmpty(r.AdminCode)}, nil
		}))
	if err != nil {
		return res, fmt.Errorf("stage facilities: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlClassifyFacilities, kind); err != nil {
		return res, err
	}
	if res.Changes, err = db.CountOps(ctx, tx, sqlCountFacilityOps); err != nil {
		return res, err
	}
	rs, err := tx.Query(ctx, sqlFacilitiesOutside)
	if err != nil {
		return res, err
	}
	res.Outside, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) (int, error) {
		var line int
		var ext string
		err := r.Scan(&line, &ext)
		return line, err
	})
	if err != nil {
		return res, err
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{sqlAuditFacilityUpdates, []any{p.Name, p.Via, kind, source}},
		{sqlApplyFacilityUpdates, []any{source}},
		{sqlInsertFacilities, []any{kind, source}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return res, err
		}
	}
	return res, nil
}

// AssignAdminCodes gives facilities without an admin code the deepest unit covering them;
// run after boundaries change. It returns how many were assigned.
func AssignAdminCodes(ctx context.Context, tx pgx.Tx) (int, error) {
	tag, err := tx.Exec(ctx, sqlAssignAdminCodes)
	return int(tag.RowsAffected()), err
}
