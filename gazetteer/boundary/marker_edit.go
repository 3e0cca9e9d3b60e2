package boundary

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/auth"
)

// CreateMarker adds one marker through ImportMarkers (its line resolved and checked as an
// import's markers are) and audits it. A number already taken is a *ConflictError; a
// rejecting check (no line, a three-way marker not at a junction) an *InputError. It
// returns the stored marker and the warnings of the checks.
func (s *Store) CreateMarker(ctx context.Context, in MarkerInput, opts CheckOptions) (Marker, []MarkerProblem, error) {
	var (
		out      Marker
		warnings []MarkerProblem
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := scanMarker(tx.QueryRow(ctx, sqlMarkerByNumber, in.Number)); err == nil {
			return &ConflictError{Reason: fmt.Sprintf("marker %s exists already", in.Number)}
		} else if err != pgx.ErrNoRows {
			return err
		}
		_, problems, err := s.ImportMarkers(ctx, tx, []MarkerInput{in}, "api", opts)
		if err != nil {
			return err
		}
		for _, p := range problems {
			if p.Reject {
				return &InputError{Field: p.Field, Reason: p.Reason}
			}
			warnings = append(warnings, p)
		}
		if out, err = scanMarker(tx.QueryRow(ctx, sqlMarkerByNumber, in.Number)); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "boundary_marker", Key: out.Number, After: out})
	})
	return out, warnings, err
}

// DeleteMarker removes marker id if version still matches and no inspection round refers
// to it (its findings are its history: a lost marker is set to condition missing
// instead), and audits it.
func (s *Store) DeleteMarker(ctx context.Context, id int64, version int) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := scanMarker(tx.QueryRow(ctx, sqlGetMarkerForUpdate, id))
		if err != nil {
			return err
		}
		if before.Version != version {
			return fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, before.Version)
		}
		var used bool
		if err := tx.QueryRow(ctx, sqlMarkerInRounds, id).Scan(&used); err != nil {
			return err
		}
		if used {
			return &ConflictError{Reason: fmt.Sprintf("marker %s has inspection findings or packages: they keep its history; set its condition to missing instead", before.Number)}
		}
		if _, err := tx.Exec(ctx, sqlDeleteMarker, id, version); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "delete", Entity: "boundary_marker", Key: before.Number, Before: before})
	})
}
