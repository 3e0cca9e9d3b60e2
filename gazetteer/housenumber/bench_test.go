package housenumber

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCheck: the validation report of 10,000 house numbers (50 roads × 200) within a
// township. Baseline measured in the same run: PostGIS projecting every number onto its
// road (ST_LineLocatePoint, geodesic ST_Distance, the side by ST_LineInterpolatePoint) in
// one statement — the geometry the report computes, without its checks.
func BenchmarkCheck(b *testing.B) {
	pool := dbtestPool(b)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, geom) VALUES
		 ('339901001000', 4, '镇', '城关镇', '339901000000', '2000-01-01', ST_Multi(ST_MakeEnvelope(119, 27, 121, 29, 4326)))`,
		`INSERT INTO road (name, admin_code, geom) SELECT '路' || g, '339901001000',
		 ST_MakeLine(ST_MakePoint(120, 28 + g * 0.002), ST_MakePoint(120.0153, 28 + g * 0.002)) FROM generate_series(0, 49) g`,
		`INSERT INTO house_number (road_id, number, geom)
		 SELECT r.id, 2 * k + 1 + s, ST_SetSRID(ST_MakePoint(120 + (k + 0.5) * 0.000152, ST_Y(ST_StartPoint(r.geom)) + 0.000135 * (1 - 2 * s)), 4326)
		 FROM road r, generate_series(0, 99) k, generate_series(0, 1) s`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	st := NewStore(pool)
	var base, check time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t0 := time.Now()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM (
		  SELECT ST_LineLocatePoint(r.geom, h.geom) AS f, ST_Distance(h.geom::geography, r.geom::geography) AS d,
		    ST_Azimuth(ST_LineInterpolatePoint(r.geom, ST_LineLocatePoint(r.geom, h.geom)), h.geom) AS az
		  FROM house_number h JOIN road r ON r.id = h.road_id WHERE r.admin_code LIKE '339901001%') s`).Scan(&n); err != nil || n != 10000 {
			b.Fatalf("baseline: %d %v", n, err)
		}
		base += time.Since(t0)
		b.StartTimer()
		t0 = time.Now()
		rep, err := st.Check(ctx, "339901001")
		if err != nil {
			b.Fatal(err)
		}
		check += time.Since(t0)
		if rep.Numbers != 10000 || len(rep.Findings) != 0 {
			b.Fatalf("report: %d numbers, %d findings (%v)", rep.Numbers, len(rep.Findings), rep.Findings[:min(3, len(rep.Findings))])
		}
	}
	b.ReportMetric(check.Seconds()/float64(b.N)*1000, "check-ms")
	b.ReportMetric(base.Seconds()/float64(b.N)*1000, "postgis-baseline-ms")
	b.ReportMetric(check.Seconds()/base.Seconds(), "x-baseline")
}
