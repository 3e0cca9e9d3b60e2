package boundary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/auth"
)

// Round is an inspection round (联检轮次) with its teams' progress.
type Round struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Year      int       `json:"year"`
	ScopeUnit *string   `json:"scope_unit"`
	Status    string    `json:"status"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Lines     int       `json:"lines"`
	Teams     []Team    `json:"teams,omitempty"`
}

// Team is a team of a round with its progress.
type Team struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Leader     string         `json:"leader"`
	Lines      int            `json:"lines"`
	Markers    int            `json:"markers"`
	Inspected  int            `json:"inspected"`
	Conflicts  int            `json:"conflicts"`
	Packages   int            `json:"packages"`
	Conditions map[string]int `json:"conditions"`
}

// RoundInput creates a round: its scope is the lines given by id, and every line with a
// side in ScopeUnit (12 digits) when given.
type RoundInput struct {
	Name      string
	Year      int
	ScopeUnit string // 12-digit code, or ""
	// UnitPrefix is the significant prefix of ScopeUnit (e.g. 339901 for a county).
	UnitPrefix string
	Lines      []string // line ext_ids
	Status     string
}

// ErrNotFound is returned for a round or team that does not exist.
var ErrNotFound = errors.New("not found")

// InputError is a bad field of a request (the handlers map it to 400).
type InputError struct{ Field, Reason string }

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// ConflictError is a request that contradicts the stored state (409).
type ConflictError struct{ Reason string }

func (e *ConflictError) Error() string { return e.Reason }

func scanRound(row pgx.Row) (Round, error) {
	var r Round
	err := row.Scan(&r.ID, &r.Name, &r.Year, &r.ScopeUnit, &r.Status, &r.Version, &r.CreatedAt, &r.Lines)
	return r, err
}

// lineIDs resolves line ext_ids to ids, failing on unknown ones.
func lineIDs(ctx context.Context, tx pgx.Tx, extIDs []string) ([]int64, error) {
	found := map[string]int64{}
	rows, err := tx.Query(ctx, sqlLineIDsByExtID, extIDs)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e string
		var id int64
		if err := rows.Scan(&e, &id); err != nil {
			rows.Close()
			return nil, err
		}
		found[e] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var ids []int64
	var missing []string
	for _, e := range extIDs {
		if id, ok := found[e]; ok {
			ids = append(ids, id)
		} else {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		return nil, &InputError{Field: "lines", Reason: "no boundary line with id " + strings.Join(missing, ", ")}
	}
	return ids, nil
}

// CreateRound creates a round with its scope and audits it.
func (s *Store) CreateRound(ctx context.Context, in RoundInput) (Round, error) {
	var out Round
	if strings.TrimSpace(in.Name) == "" {
		return out, &InputError{"name", "required (e.g. 第五轮)"}
	}
	if in.Year < 1949 || in.Year > 2200 {
		return out, &InputError{"year", fmt.Sprintf("%d is not a plausible year", in.Year)}
	}
	if in.Status == "" {
		in.Status = "open"
	}
	if in.ScopeUnit == "" && len(in.Lines) == 0 {
		return out, &InputError{"lines", "give the lines of the round, or a unit whose lines it covers"}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, sqlInsertRound, strings.TrimSpace(in.Name), in.Year, nilIfZero(in.ScopeUnit), in.Status).Scan(&id); err != nil {
			return err
		}
		if in.ScopeUnit != "" {
			if _, err := tx.Exec(ctx, sqlRoundLinesOfUnit, id, in.UnitPrefix); err != nil {
				return err
			}
		}
		if len(in.Lines) > 0 {
			if _, err := lineIDs(ctx, tx, in.Lines); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, sqlRoundLinesByExtID, id, in.Lines); err != nil {
				return err
			}
		}
		var err error
		if out, err = scanRound(tx.QueryRow(ctx, sqlGetRound, id)); err != nil {
			return err
		}
		if out.Lines == 0 {
			return &InputError{"unit", "the round has no lines: no boundary line touches that unit"}
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "inspection_round", Key: out.Name, After: out})
	})
	return out, err
}

// TeamInput creates a team and assigns it lines of the round (ext_ids).
type TeamInput struct {
	Name, Leader string
	Lines        []string
}

// CreateTeam adds a team to a round and assigns it lines; a line of another team is a
// conflict, a line outside the round's scope a bad input.
func (s *Store) CreateTeam(ctx context.Context, roundID int64, in TeamInput) (Team, error) {
	var out Team
	if strings.TrimSpace(in.Name) == "" {
		return out, &InputError{"name", "required (e.g. 第一组)"}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := scanRound(tx.QueryRow(ctx, sqlGetRound, roundID)); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, sqlInsertTeam, roundID, strings.TrimSpace(in.Name), in.Leader).Scan(&id); err != nil {
			return err
		}
		if len(in.Lines) > 0 {
			ids, err := lineIDs(ctx, tx, in.Lines)
			if err != nil {
				return err
			}
			var outside []string
			rows, err := tx.Query(ctx, sqlNotInRound, roundID, ids)
			if err != nil {
				return err
			}
			if outside, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return err
			}
			if len(outside) > 0 {
				return &InputError{"lines", "not in the round's scope: " + strings.Join(outside, ", ")}
			}
			rows, err = tx.Query(ctx, sqlAssignedElsewhere, roundID, id, ids)
			if err != nil {
				return err
			}
			taken, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
				var l, t string
				err := r.Scan(&l, &t)
				return l + " (" + t + ")", err
			})
			if err != nil {
				return err
			}
			if len(taken) > 0 {
				return &ConflictError{"lines already assigned to another team: " + strings.Join(taken, ", ")}
			}
			if _, err := tx.Exec(ctx, sqlAssignLines, roundID, id, ids); err != nil {
				return err
			}
		}
		teams, err := teamsOf(ctx, tx, roundID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			if t.ID == id {
				out = t
			}
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "inspection_team", Key: strconv.FormatInt(roundID, 10) + "/" + out.Name, After: out})
	})
	return out, err
}

func teamsOf(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, roundID int64) ([]Team, error) {
	rows, err := q.Query(ctx, sqlTeamProgress, roundID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) {
		var t Team
		var cond []byte
		err := r.Scan(&t.ID, &t.Name, &t.Leader, &t.Lines, &t.Markers, &t.Inspected, &t.Conflicts, &t.Packages, &cond)
		if err == nil {
			err = json.Unmarshal(cond, &t.Conditions)
		}
		return t, err
	})
}

// Rounds lists the rounds, newest first, without teams.
func (s *Store) Rounds(ctx context.Context) ([]Round, error) {
	rows, err := s.pool.Query(ctx, sqlListRounds)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Round, error) { return scanRound(r) })
}

// Round returns a round by id, or by name when ref is not a number, with its teams.
func (s *Store) Round(ctx context.Context, ref string) (Round, error) {
	var r Round
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		r, err = scanRound(s.pool.QueryRow(ctx, sqlGetRound, id))
	} else {
		r, err = scanRound(s.pool.QueryRow(ctx, sqlGetRoundByName, ref))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("round %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.Teams, err = teamsOf(ctx, s.pool, r.ID)
	return r, err
}

// TeamID resolves a team of round by id or name.
func (s *Store) TeamID(ctx context.Context, roundID int64, ref string) (int64, error) {
	var id int64
	var err error
	if n, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		err = s.pool.QueryRow(ctx, sqlTeamByID, roundID, n).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			err = s.pool.QueryRow(ctx, sqlTeamByName, roundID, ref).Scan(&id)
		}
	} else {
		err = s.pool.QueryRow(ctx, sqlTeamByName, roundID, ref).Scan(&id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("team %q of round %d: %w", ref, roundID, ErrNotFound)
	}
	return id, err
}
