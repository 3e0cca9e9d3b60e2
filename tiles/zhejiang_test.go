package tiles_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/geo"
)

// Zhejiang-size synthetic data for the size test and the benchmarks: one province, 10
// prefectures, 90 counties, 1,365 townships (a 39 × 35 grid over 118.0–122.8°E,
// 27.0–31.2°N, each edge densified to a vertex every ~40 m, ~1,200 vertices a township),
// 27,300 villages (~300 vertices each), 38,220 facilities, 27,300 roads and a finished
// coverage run with every township's result.
const (
	zjWest, zjSouth = 118.0, 27.0
	zjCols, zjRows  = 39, 35
	zjDX, zjDY      = 0.123, 0.12
)

const zhejiangSQL = `
INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom)
SELECT '330000000000', 1, '省', '浙江省（合成）', NULL, '2023-06-30', NULL;

INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom)
SELECT '33' || lpad((p + 1)::text, 2, '0') || '00000000', 2, '地级市', '合成市' || (p + 1), '330000000000', '2023-06-30', NULL
FROM generate_series(0, 9) p;

CREATE TEMP TABLE zj_town AS
SELECT col, row, col / 4 AS cc, row / 4 AS cr, ((row / 4) * 10 + col / 4) AS county,
       ((row % 4) * 4 + col % 4) AS k,
       ST_MakeEnvelope(118.0 + col * 0.123, 27.0 + row * 0.12, 118.0 + (col + 1) * 0.123, 27.0 + (row + 1) * 0.12, 4326) AS env
FROM generate_series(0, 38) col, generate_series(0, 34) row;

CREATE TEMP TABLE zj_county AS
SELECT county, '33' || lpad((county / 9 + 1)::text, 2, '0') || lpad((county % 9 + 1)::text, 2, '0') || '000000' AS code,
       ST_Union(env) AS geom
FROM zj_town GROUP BY county;

INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom)
SELECT code, 3, '县', '合成县' || county, substr(code, 1, 4) || '00000000', '2023-06-30',
       ST_Multi(ST_Segmentize(geom, 0.0004))
FROM zj_county;

ALTER TABLE zj_town ADD COLUMN code text;
UPDATE zj_town t SET code = substr(c.code, 1, 6) || lpad((t.k + 1)::text, 3, '0') || '000' FROM zj_county c WHERE c.county = t.county;

INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom)
SELECT code, 4, '镇', '合成镇' || col || '-' || row, substr(code, 1, 6) || '000000', '2023-06-30',
       ST_Multi(ST_Segmentize(env, 0.0004))
FROM zj_town;

INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom)
SELECT substr(t.code, 1, 9) || lpad((201 + v)::text, 3, '0'), 5, '村', '合成村' || t.col || '-' || t.row || '-' || v, t.code, '2023-06-30',
       ST_Multi(ST_Segmentize(ST_MakeEnvelope(
           ST_XMin(t.env) + (v % 4) * 0.123 / 4, ST_YMin(t.env) + (v / 4) * 0.12 / 5,
           ST_XMin(t.env) + (v % 4 + 1) * 0.123 / 4, ST_YMin(t.env) + (v / 4 + 1) * 0.12 / 5, 4326), 0.0004))
FROM zj_town t, generate_series(0, 19) v;

INSERT INTO facility (kind, ext_id, name, status, geom, admin_code)
SELECT kind, t.code || '-' || kind, '合成' || kind || t.code,
       (ARRAY['operating', 'operating', 'operating', 'planned', 'closed'])[1 + (t.col * 7 + t.row * 3 + length(kind)) % 5],
       ST_SetSRID(ST_MakePoint(ST_XMin(t.env) + 0.123 * ((t.col * 13 + length(kind) * 7) % 97) / 97.0,
                               ST_YMin(t.env) + 0.12 * ((t.row * 17 + length(kind) * 5) % 89) / 89.0), 4326), t.code
FROM zj_town t, unnest(ARRAY['eldercare_center', 'eldercare_institution', 'childrens_home', 'child_welfare',
                             'eco_burial', 'funeral_venue', 'funeral_home', 'daycare_center']) kind;

INSERT INTO facility (kind, ext_id, name, geom, admin_code)
SELECT 'daycare_center', a.code, '合成照料中心' || a.code, ST_PointOnSurface(a.geom), a.code
FROM admin_unit a WHERE a.level = 5;

INSERT INTO road (name, admin_code, kind, geom)
SELECT '合成路' || a.code, a.code, 'village',
       ST_Segmentize(ST_MakeLine(ST_MakePoint(ST_XMin(a.geom), ST_YMin(a.geom) + 0.003),
                                 ST_MakePoint(ST_XMax(a.geom), ST_YMax(a.geom) - 0.003))::geometry(LineString, 4326), 0.0004)
FROM admin_unit a WHERE a.level = 5;

INSERT INTO coverage_run (kind, layer, radius_m, as_of, status, params, summary, created_by, finished_at)
VALUES ('eldercare_center', 'age60plus', 2000, '2023-06-30', 'done', '{}', '{}', 'bench', now());

INSERT INTO coverage_run_unit (run_id, level, code, name, parent_code, population, covered, uncovered, share, facilities, not_operating, flags, rank)
SELECT r.id, 4, t.code, '合成镇' || t.col || '-' || t.row, substr(t.code, 1, 6) || '000000', 20000,
       20000 * s, 20000 * (1 - s), s, 1, 0,
       CASE WHEN s < 0.9 THEN ARRAY['BELOW_TARGET'] ELSE '{}' END, NULL
FROM (SELECT max(id) id FROM coverage_run) r,
     (SELECT *, ((col * 31 + row * 17) % 100) / 100.0 AS s FROM zj_town) t;
`

// loadZhejiang fills pool with the synthetic province and returns its run id.
func loadZhejiang(t testing.TB, pool *pgxpool.Pool) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, zhejiangSQL); err != nil {
		t.Fatalf("synthetic Zhejiang: %v", err)
	}
	var run int64
	if err := tx.QueryRow(ctx, `SELECT max(id) FROM coverage_run`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE admin_unit; ANALYZE facility; ANALYZE road; ANALYZE coverage_run_unit`); err != nil {
		t.Fatal(err)
	}
	return run
}

// zhejiangCells is a 100 m population grid over the synthetic province (4,920 × 4,200
// cells) with a pseudo-random population and coverage.
type zhejiangCells struct {
	grid    *geo.Grid
	covered []bool
}

func newZhejiangCells() *zhejiangCells {
	w, h := 4920, 4200
	g := &geo.Grid{West: zjWest, North: zjSouth + zjRows*zjDY, DX: 0.001, DY: 0.001, Width: w, Height: h}
	pop := make([]float32, w*h)
	cov := make([]bool, w*h)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range pop {
		if r.IntN(3) == 0 {
			pop[i] = float32(r.IntN(40))
			cov[i] = r.IntN(4) != 0
		}
	}
	g.Bands = []geo.Band{{Name: "age60plus", Data: pop}}
	return &zhejiangCells{grid: g, covered: cov}
}

func (z *zhejiangCells) Cells(ctx context.Context, runID int64) (*geo.Grid, []bool, error) {
	return z.grid, z.covered, nil
}
