package gazetteer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// Road is a named road with its house-numbering rule (门牌编号规则).
type Road struct {
	ID              int64           `json:"id"`
	Name            string          `json:"name"`
	AdminCode       *string         `json:"admin_code"`
	Kind            string          `json:"kind"`
	NumberingOrigin string          `json:"numbering_origin"` // start | end of the line
	OddSide         string          `json:"odd_side"`         // left | right walking away from the origin
	OneSided        bool            `json:"one_sided"`
	Version         int             `json:"version"`
	LengthM         int             `json:"length_m"`
	Geometry        json.RawMessage `json:"geometry"`
}

// RoadInput is a road as an importer hands it to the store.
type RoadInput struct {
	Name            string
	AdminCode       string // 12 digits or ""
	Kind            string
	NumberingOrigin string
	OddSide         string
	OneSided        bool
	Geometry        orb.LineString
}

// ImportRoads upserts roads by (admin code, name) in tx and audits updates.
func (s *Store) ImportRoads(ctx context.Context, tx pgx.Tx, roads []RoadInput, source string) (db.Changes, error) {
	var ch db.Changes
	p, ok := auth.FromContext(ctx)
	if !ok {
		return ch, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStageRoads); err != nil {
		return ch, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_road"},
		[]string{"name", "admin_code", "kind", "wkb", "numbering_origin", "odd_side", "one_sided", "pinyin_draft"},
		pgx.CopyFromSlice(len(roads), func(i int) ([]any, error) {
			r := roads[i]
			b, err := wkb.Marshal(r.Geometry)
			if err != nil {
				return nil, fmt.Errorf("road %s: %w", r.Name, err)
			}
			var admin any
			if r.AdminCode != "" {
				admin = r.AdminCode
			}
			full, _ := DraftPinyin(r.Name)
			return []any{r.Name, admin, r.Kind, b, r.NumberingOrigin, r.OddSide, r.OneSided, full}, nil
		}))
	if err != nil {
		return ch, fmt.Errorf("stage roads: %w", err)
	}
	if err := checkOrphans(ctx, tx, `SELECT admin_code, admin_code FROM (`+sqlCheckRoadAdmin+`) x`, "admin code"); err != nil {
		return ch, err
	}
	if _, err := tx.Exec(ctx, sqlClassifyRoads); err != nil {
		return ch, err
	}
	if ch, err = db.CountOps(ctx, tx, sqlCountRoadOps); err != nil {
		return ch, err
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{sqlAuditRoadUpdates, []any{p.Name, p.Via, source}},
		{sqlApplyRoadUpdates, []any{source}},
		{sqlInsertRoads, []any{source}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// RoadFilter selects roads.
type RoadFilter struct {
	AdminPrefix string // significant digits of a division code, "" for all
	BBox        *[4]float64
	Limit       int
	Offset      int
}

// ListRoads returns roads matching f and the total count.
func (s *Store) ListRoads(ctx context.Context, f RoadFilter) ([]Road, int, error) {
	var admin any
	if f.AdminPrefix != "" {
		admin = f.AdminPrefix
	}
	bbox := []any{nil, nil, nil, nil}
	if f.BBox != nil {
		bbox = []any{f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]}
	}
	rows, err := s.pool.Query(ctx, sqlListRoads, append(append([]any{admin}, bbox...), f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		out   []Road
		total int
	)
	for rows.Next() {
		var r Road
		if err := rows.Scan(&r.ID, &r.Name, &r.AdminCode, &r.Kind, &r.NumberingOrigin, &r.OddSide, &r.OneSided, &r.Version, &r.LengthM, &r.Geometry, &total); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
