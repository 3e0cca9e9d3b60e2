package importers_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

// BenchmarkHouseNumberImport: `fangyuan import housenumbers` of a 1.6 M-row CSV (8,000
// roads × 200 numbers, road names matched within their township) into the empty, indexed
// house_number table (GiST on the point, the unique current-number B-tree, the foreign
// keys): a bulk load, which drops and rebuilds them in the import's transaction.
// Baseline measured in the same run: COPY of the same 1.6 M rows (already parsed) into an
// unindexed table. Run with -benchtime=1x.
func BenchmarkHouseNumberImport(b *testing.B) {
	const roads, perRoad = 8000, 200
	pool := dbtest.Pool(b)
	ctx := dbtest.CLI()
	for _, q := range []string{
		`INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom) VALUES
		 ('339901001000', 4, '镇', '城关镇', '339901000000', '2000-01-01', ST_Multi(ST_MakeEnvelope(119, 27, 121, 29, 4326)))`,
		// roads 1.5 km east–west, 0.002° apart
		fmt.Sprintf(`INSERT INTO road (name, admin_code, geom) SELECT '路' || g, '339901001000',
		 ST_MakeLine(ST_MakePoint(119.5 + (g %% 40) * 0.02, 27.5 + (g / 40) * 0.002), ST_MakePoint(119.5153 + (g %% 40) * 0.02, 27.5 + (g / 40) * 0.002))
		 FROM generate_series(0, %d) g`, roads-1),
	} {
		if _, err := pool.Exec(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "hn.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "road,admin_code,number,lon,lat")
	type row struct {
		road   string
		number int
		lon    float64
		lat    float64
	}
	rows := make([]row, 0, roads*perRoad)
	for g := 0; g < roads; g++ {
		lon0, lat0 := 119.5+float64(g%40)*0.02, 27.5+float64(g/40)*0.002
		for k := 0; k < perRoad/2; k++ {
			for s := 0; s < 2; s++ {
				n := 2*k + 1 + s
				lat := lat0 + 0.000135*float64(1-2*s)
				lon := lon0 + (float64(k)+0.5)*0.000152
				rows = append(rows, row{fmt.Sprintf("路%d", g), n, lon, lat})
				fmt.Fprintf(w, "路%d,339901001,%d,%.6f,%.6f\n", g, n, lon, lat)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := pool.Exec(context.Background(), `TRUNCATE house_number CASCADE`); err != nil {
			b.Fatal(err)
		}
		// Baseline: COPY of the same rows into an unindexed table.
		t0 := time.Now()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE hn_base (road text, admin_code text, number int, lon float8, lat float8) ON COMMIT DROP`); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"hn_base"}, []string{"road", "admin_code", "number", "lon", "lat"},
				pgx.CopyFromSlice(len(rows), func(j int) ([]any, error) {
					return []any{rows[j].road, "339901001", rows[j].number, rows[j].lon, rows[j].lat}, nil
				}))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		base := time.Since(t0)
		b.StartTimer()
		t0 = time.Now()
		sum, err := importers.HouseNumbers(ctx, pool, importers.HostFS{}, path, importers.Options{Log: phaseLog{b, t0}})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		if sum.Inserted != roads*perRoad || len(sum.Warnings) != 0 {
			b.Fatalf("import: %s", sum)
		}
		b.ReportMetric(d.Seconds(), "import-s")
		b.ReportMetric(base.Seconds(), "copy-baseline-s")
		b.ReportMetric(d.Seconds()/base.Seconds(), "x-baseline")
		b.Logf("%d rows: import %.1f s (target ≤ 60 s), baseline COPY into an unindexed table %.1f s, ratio %.1f", len(rows), d.Seconds(), base.Seconds(), d.Seconds()/base.Seconds())
	}
}

// phaseLog logs the importer's phases with the time since t0.
type phaseLog struct {
	b  *testing.B
	t0 time.Time
}

func (l phaseLog) Write(p []byte) (int, error) {
	l.b.Logf("%6.1f s  %s", time.Since(l.t0).Seconds(), p)
	return len(p), nil
}
