package housenumber

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/api"
)

// Township is a township (乡级) holding roads: the place-name office's page (门牌管理)
// starts from it.
type Township struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	CountyCode string `json:"county_code"`
	County     string `json:"county"`
	Roads      int    `json:"roads"`
	Numbers    int    `json:"numbers"` // current (not retired) house numbers on its roads
}

// sqlTownships are the current townships that roads belong to (a road's admin code, or
// the township of a village code), with their road and current house-number counts.
const sqlTownships = `
WITH rc AS (
  SELECT left(r.admin_code, 9) || '000' AS code, count(*) AS roads,
    sum((SELECT count(*) FROM house_number h WHERE h.road_id = r.id AND h.status <> 'retired')) AS numbers
  FROM road r WHERE r.admin_code IS NOT NULL AND substr(r.admin_code, 7, 3) <> '000'
  GROUP BY 1
)
SELECT t.code, t.name, coalesce(t.parent_code, ''), coalesce(c.name, ''), rc.roads, rc.numbers
FROM rc JOIN admin_unit t ON t.code = rc.code AND t.level = 4 AND t.valid_to IS NULL
LEFT JOIN admin_unit c ON c.code = t.parent_code AND c.valid_to IS NULL
WHERE ($1 = '' OR t.code LIKE $1 || '%')
ORDER BY t.code`

// Townships returns the townships holding roads whose code starts with prefix ("" all).
func (s *Store) Townships(ctx context.Context, prefix string) ([]Township, error) {
	rows, err := s.pool.Query(ctx, sqlTownships, prefix)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Township, error) {
		var t Township
		return t, row.Scan(&t.Code, &t.Name, &t.CountyCode, &t.County, &t.Roads, &t.Numbers)
	})
}

func (h handlers) townships(w http.ResponseWriter, r *http.Request) error {
	prefix := ""
	if within := r.URL.Query().Get("within"); within != "" {
		var err error
		if prefix, err = h.divisionPrefix(within); err != nil {
			return api.BadRequest("within", "%v", err)
		}
	}
	ts, err := h.s.Townships(r.Context(), prefix)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []Township{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"townships": ts})
}
