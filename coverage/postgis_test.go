package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/geo"
	"fangyuan/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The PostGIS formulation of coverage, the reference the engine must equal and
// the baseline of the benchmark: populated grid cells as polygons (SRID 4326),
// the fraction of each cell inside each township as
// ST_Area(ST_Intersection(cell, township)) / ST_Area(cell) (planar degrees, the
// cell rule of the engine; cells wholly within skip the intersection), a cell
// covered when its centre is within the radius of any operating facility
// (geography ST_DWithin: geodesic on the spheroid; EXISTS: the union, counted
// once), summed per township.
const (
	sqlSchema = `
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE cell_raw (idx bigint, pop float8, x0 float8, y0 float8, x1 float8, y1 float8, cx float8, cy float8);
CREATE TABLE township (code text PRIMARY KEY, geom geometry(MultiPolygon, 4326) NOT NULL);
CREATE TABLE facility (id text PRIMARY KEY, geog geography(Point, 4326) NOT NULL);
CREATE INDEX ON facility USING gist (geog);`

	sqlCells = `
CREATE TABLE cell AS
SELECT idx, pop,
       ST_MakeEnvelope(x0, y0, x1, y1, 4326) AS geom,
       ST_SetSRID(ST_MakePoint(cx, cy), 4326)::geography AS center
FROM cell_raw;
CREATE INDEX ON cell USING gist (geom);
CREATE INDEX ON cell USING gist (center);
CREATE UNIQUE INDEX ON cell (idx);
ANALYZE cell;`

	sqlTownshipIndex = `CREATE INDEX ON township USING gist (geom); ANALYZE township; ANALYZE facility;`

	sqlCoverage = `
WITH frac AS (
    SELECT t.code, c.idx, c.pop,
           CASE WHEN ST_Within(c.geom, t.geom) THEN 1.0
                ELSE ST_Area(ST_Intersection(c.geom, t.geom)) / ST_Area(c.geom) END AS f
    FROM township t JOIN cell c ON ST_Intersects(c.geom, t.geom)
), covered AS (
    SELECT c.idx FROM cell c
    WHERE EXISTS (SELECT 1 FROM facility f WHERE ST_DWithin(f.geog, c.center, $1))
)
SELECT fr.code,
       sum(fr.pop * fr.f) AS population,
       coalesce(sum(fr.pop * fr.f) FILTER (WHERE cv.idx IS NOT NULL), 0) AS covered
FROM frac fr LEFT JOIN covered cv ON cv.idx = fr.idx
GROUP BY fr.code`

	// sqlRegionTotal is the grid total inside the region: every cell split by
	// its area inside the union of the townships.
	sqlRegionTotal = `
WITH region AS (SELECT ST_Union(geom) AS geom FROM township)
SELECT coalesce(sum(c.pop * CASE WHEN ST_Within(c.geom, r.geom) THEN 1.0
                                 ELSE ST_Area(ST_Intersection(c.geom, r.geom)) / ST_Area(c.geom) END), 0)
FROM cell c, region r WHERE ST_Intersects(c.geom, r.geom)`
)

// sqlBaseline is a PostGIS database holding one study area.
type sqlBaseline struct {
	conn *pgx.Conn
}

func newSQLBaseline(t testing.TB) *sqlBaseline {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, sqlSchema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return &sqlBaseline{conn: conn}
}

// load stores the populated cells of band on frame f, the townships and the
// operating facilities.
func (b *sqlBaseline) load(ctx context.Context, g *geo.Grid, band string, f Frame, townships []Unit, facs []Facility) error {
	bd, ok := g.Band(band)
	if !ok {
		return fmt.Errorf("no band %s", band)
	}
	var rows [][]any
	for r := range f.H {
		for c := range f.W {
			gi := (f.Row0+r)*g.Width + f.Col0 + c
			v := bd.Data[gi]
			if !(v > 0) || g.IsNoData(v) {
				continue
			}
			cb := g.CellBounds(f.Col0+c, f.Row0+r)
			cc := g.CellCenter(f.Col0+c, f.Row0+r)
			rows = append(rows, []any{int64(r*f.W + c), float64(v), cb.Min[0], cb.Min[1], cb.Max[0], cb.Max[1], cc[0], cc[1]})
		}
	}
	if _, err := b.conn.CopyFrom(ctx, pgx.Identifier{"cell_raw"}, []string{"idx", "pop", "x0", "y0", "x1", "y1", "cx", "cy"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	if _, err := b.conn.Exec(ctx, sqlCells); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	for _, u := range townships {
		w, err := wkb.Marshal(u.Geometry)
		if err != nil {
			return err
		}
		if _, err := b.conn.Exec(ctx, `INSERT INTO township VALUES ($1, ST_Multi(ST_GeomFromWKB($2, 4326)))`, u.Code, w); err != nil {
			return fmt.Errorf("township %s: %w", u.Code, err)
		}
	}
	var invalid []string
	rs, err := b.conn.Query(ctx, `SELECT code || ': ' || ST_IsValidReason(geom) FROM township WHERE NOT ST_IsValid(geom)`)
	if err != nil {
		return err
	}
	if invalid, err = pgx.CollectRows(rs, pgx.RowTo[string]); err != nil {
		return err
	}
	if len(invalid) > 0 {
		return fmt.Errorf("invalid township polygons: %v", invalid)
	}
	if err := b.setFacilities(ctx, facs); err != nil {
		return err
	}
	_, err = b.conn.Exec(ctx, sqlTownshipIndex)
	return err
}

func (b *sqlBaseline) setFacilities(ctx context.Context, facs []Facility) error {
	if _, err := b.conn.Exec(ctx, `TRUNCATE facility`); err != nil {
		return err
	}
	for _, f := range facs {
		if statusOf(f) != StatusOperating {
			continue
		}
		if _, err := b.conn.Exec(ctx, `INSERT INTO facility VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography)`, f.ID, f.Location[0], f.Location[1]); err != nil {
			return fmt.Errorf("facility %s: %w", f.ID, err)
		}
	}
	_, err := b.conn.Exec(ctx, `ANALYZE facility`)
	return err
}

type popCov struct{ pop, covered float64 }

func (b *sqlBaseline) coverage(ctx context.Context, radius float64) (map[string]popCov, error) {
	rs, err := b.conn.Query(ctx, sqlCoverage, radius)
	if err != nil {
		return nil, err
	}
	out := map[string]popCov{}
	for rs.Next() {
		var code string
		var pc popCov
		if err := rs.Scan(&code, &pc.pop, &pc.covered); err != nil {
			return nil, err
		}
		out[code] = pc
	}
	return out, rs.Err()
}

func (b *sqlBaseline) regionTotal(ctx context.Context) (float64, error) {
	var t float64
	err := b.conn.QueryRow(ctx, sqlRegionTotal).Scan(&t)
	return t, err
}

// agreeTol is how far, in persons, a township's population or covered population
// may differ from the SQL formulation: both sum exact fractions of the same cells, so
// only floating-point rounding separates them (measured 10⁻⁹–10⁻⁸ person).
const agreeTol = 1e-6

// compareTownships checks the engine's townships against the SQL per-township
// figures within agreeTol.
func compareTownships(t *testing.T, label string, res *Result, want map[string]popCov) {
	t.Helper()
	worst := 0.0
	for _, u := range res.Townships {
		w := want[u.Code] // a township with no populated cell has no SQL row: zero
		dp, dc := math.Abs(u.Population-w.pop), math.Abs(u.Covered-w.covered)
		worst = max(worst, dp, dc)
		if dp > agreeTol || dc > agreeTol {
			t.Errorf("%s: township %s: population %.3f covered %.3f; PostGIS %.3f and %.3f", label, u.Code, u.Population, u.Covered, w.pop, w.covered)
		}
	}
	codes := make([]string, 0, len(want))
	for c := range want {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		found := false
		for _, u := range res.Townships {
			found = found || u.Code == c
		}
		if !found {
			t.Errorf("%s: PostGIS has township %s, the engine does not", label, c)
		}
	}
	t.Logf("%s: %d townships, largest difference %.2g person", label, len(res.Townships), worst)
}

// TestPostGISDemo: on the demo data, every kind's per-township population and
// covered population equal the PostGIS SQL formulation within agreeTol, and
// the townships add up to the grid total inside the county.
func TestPostGISDemo(t *testing.T) {
	ctx := context.Background()
	d := loadDemo(t)
	reg, err := PrepareRegion(ctx, d.grid, d.townships, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One database per layer: the cells hold that layer's values.
	byLayer := map[string][]Standard{}
	var layers []string
	for _, k := range demoKinds(d) {
		if _, ok := byLayer[k.Layer]; !ok {
			layers = append(layers, k.Layer)
		}
		byLayer[k.Layer] = append(byLayer[k.Layer], k)
	}
	for _, layer := range layers {
		t.Run(layer, func(t *testing.T) {
			b := newSQLBaseline(t)
			start := time.Now()
			if err := b.load(ctx, d.grid, layer, reg.Frame, d.townships, nil); err != nil {
				t.Fatal(err)
			}
			t.Logf("loaded in %v", time.Since(start))
			var regionTotal float64
			for i, k := range byLayer[layer] {
				facs := demoFacilities(t, d, k.ID)
				if err := b.setFacilities(ctx, facs); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				want, err := b.coverage(ctx, k.RadiusM)
				if err != nil {
					t.Fatal(err)
				}
				sqlTime := time.Since(start)
				start = time.Now()
				res, err := Run(ctx, Input{Standard: k, Grid: d.grid, Region: reg, Facilities: facs})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: PostGIS %v, engine %v", k.ID, sqlTime.Round(time.Millisecond), time.Since(start).Round(time.Microsecond))
				compareTownships(t, k.ID, res, want)
				if i == 0 {
					if regionTotal, err = b.regionTotal(ctx); err != nil {
						t.Fatal(err)
					}
				}
				if math.Abs(res.Population-regionTotal) > agreeTol {
					t.Errorf("%s: townships add up to %.3f, the grid total inside the region is %.3f", k.ID, res.Population, regionTotal)
				}
			}
		})
	}
}

// TestPostGISRandom: random township tilings (with enclaves and two-part
// townships), random populations (also outside the region) and random
// facilities (some planned or closed, some outside every township).
func TestPostGISRandom(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			spec := smallSynth(seed)
			d := synthesize(spec)
			radius := []float64{600, 1000, 2000, 3500}[rand.New(rand.NewPCG(seed, 9)).IntN(4)]
			k := Standard{ID: "synthetic", Layer: "total", Presence: Presence{Level: LevelTownship, Min: 1}, RadiusM: radius, TargetShare: 0.9}
			res, err := Run(ctx, Input{Standard: k, Grid: d.grid, Townships: d.townships, Facilities: d.facilities})
			if err != nil {
				t.Fatal(err)
			}
			b := newSQLBaseline(t)
			if err := b.load(ctx, d.grid, "total", res.Frame, d.townships, d.facilities); err != nil {
				t.Fatal(err)
			}
			want, err := b.coverage(ctx, radius)
			if err != nil {
				t.Fatal(err)
			}
			compareTownships(t, fmt.Sprintf("%d townships, %d facilities, radius %v m", len(d.townships), len(d.facilities), radius), res, want)
			total, err := b.regionTotal(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Population-total) > agreeTol {
				t.Errorf("townships add up to %.3f, the grid total inside the region is %.3f", res.Population, total)
			}
			if res.Covered <= 0 || res.Covered >= res.Population {
				t.Errorf("covered %.0f of %.0f: the case does not test partial coverage", res.Covered, res.Population)
			}
			if len(res.Outside) != spec.outsideFacilities {
				t.Errorf("%d facilities outside every township, want %d", len(res.Outside), spec.outsideFacilities)
			}
		})
	}
}
