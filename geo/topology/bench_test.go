package topology_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/geo/topology"
	"fangyuan/internal/db/dbtest"
)

// PostGIS baselines: the same computations, each pair of units found with
// the GiST index (&&, ST_DWithin).
const (
	// lines: b snapped to a, the intersection of their boundaries
	pgDeriveSQL = `
WITH m AS (SELECT code, ST_Transform(geom, 4549) AS g FROM p)
SELECT count(*), coalesce(sum(l), 0) FROM (
  SELECT ST_Length(ST_Transform(ST_Intersection(ST_Boundary(a.g), ST_Boundary(ST_Snap(b.g, a.g, 30))), 4326)::geography) AS l
  FROM m a JOIN m b ON a.code < b.code AND ST_DWithin(a.g, b.g, 30)) s WHERE l > 30`
	// overlaps between siblings, gaps (holes of the union), units outside
	// their parent, parents not covered by their units
	pgOverlapSQL = `
SELECT count(*), coalesce(sum(ST_Area(d.geom::geography)), 0)
FROM p a JOIN p b ON a.code < b.code AND a.geom && b.geom,
     LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)) d`
	pgGapSQL = `
SELECT count(*), coalesce(sum(ST_Area(ST_MakePolygon(ST_InteriorRingN(u.geom, n))::geography)), 0)
FROM (SELECT (ST_Dump(ST_Union(geom))).geom FROM p) u, generate_series(1, ST_NumInteriorRings(u.geom)) n`
	pgOutsideSQL = `
SELECT count(*), coalesce(sum(ST_Area(d.geom::geography)), 0)
FROM p c JOIN pp ON pp.code = c.parent AND c.geom && pp.geom,
     LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(c.geom, pp.geom), 3)) d`
	pgUncoveredSQL = `
SELECT count(*), coalesce(sum(ST_Area(d.geom::geography)), 0)
FROM pp, LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(pp.geom, (SELECT ST_Union(c.geom) FROM p c WHERE c.parent = pp.code)), 3)) d`
)

// province is a province-sized set: 1,364 townships (31 × 44) of ~200
// vertices, every vertex moved by up to 2 m, 12 planted overlaps and 12 gaps
// of a 250 m vertex push.
func province() []topology.Unit {
	clean := tiling(31, 44)
	us := cloneUnits(clean)
	owners := edgeOwners(clean)
	for n := 0; n < 24; n++ {
		i := 40 + n*56
		k, _ := sharedRun(clean, owners, i, 1, func(int) bool { return true })
		if n%2 == 0 {
			pushVertex(us, i, k, 250)
		} else {
			pushVertex(us, i, k, -250)
		}
	}
	jitter(us, 2, 5)
	return us
}

func BenchmarkTopologyProvince(b *testing.B) {
	pool := dbtest.Pool(b)
	ctx := context.Background()
	us := province()
	var verts int
	for _, u := range us {
		verts += len(u.Geom[0][0])
	}
	loadPostGIS(b, pool, "p", us)
	if _, err := pool.Exec(ctx, `CREATE TABLE pp AS SELECT parent AS code, ST_Multi(ST_Union(geom))::geometry(MultiPolygon, 4326) AS geom FROM p GROUP BY parent;
		CREATE INDEX ON pp USING gist (geom); ANALYZE pp`); err != nil {
		b.Fatal(err)
	}
	// the parents as PostGIS built them
	rows, err := pool.Query(ctx, `SELECT code, ST_AsGeoJSON(geom) FROM pp ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	var parents []topology.Unit
	for rows.Next() {
		var code, gj string
		if err := rows.Scan(&code, &gj); err != nil {
			b.Fatal(err)
		}
		var g geojson.Geometry
		if err := json.Unmarshal([]byte(gj), &g); err != nil {
			b.Fatal(err)
		}
		parents = append(parents, topology.Unit{Code: code, Geom: g.Geometry().(orb.MultiPolygon)})
	}
	rows.Close()

	opt := topology.Options{Level: "township"}
	var lines []topology.Line
	var dGo, cGo time.Duration
	var findings []topology.Finding
	var dGoCPU, cGoCPU time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		c0, t0 := selfCPU(b), time.Now()
		lines, _, err = topology.Derive(us, topology.Options{Level: "township", LinesOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		c1, t1 := selfCPU(b), time.Now()
		findings, err = topology.Check(us, parents, opt)
		if err != nil {
			b.Fatal(err)
		}
		dGo += t1.Sub(t0)
		cGo += time.Since(t1)
		dGoCPU += c1 - c0
		cGoCPU += selfCPU(b) - c1
	}
	b.StopTimer()
	dGo /= time.Duration(b.N)
	cGo /= time.Duration(b.N)
	dGoCPU /= time.Duration(b.N)
	cGoCPU /= time.Duration(b.N)

	// PostGIS on one connection, so that its backend's CPU time can be read
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		b.Fatal(err)
	}
	var pgCPU [2]time.Duration // derive, check
	timed := func(slot int, sql string) (time.Duration, int, float64) {
		c0 := procCPU(b, pid)
		t0 := time.Now()
		var n int
		var v float64
		if err := conn.QueryRow(ctx, sql).Scan(&n, &v); err != nil {
			b.Fatal(err)
		}
		pgCPU[slot] += procCPU(b, pid) - c0
		return time.Since(t0), n, v
	}
	dPG, pairs, pgLen := timed(0, pgDeriveSQL)
	var cPG time.Duration
	var pgPieces [4]int
	for i, sql := range []string{pgOverlapSQL, pgGapSQL, pgOutsideSQL, pgUncoveredSQL} {
		d, n, _ := timed(1, sql)
		cPG += d
		pgPieces[i] = n
	}
	var goLen float64
	for _, l := range lines {
		goLen += l.LengthM
	}
	big := map[string]int{}
	for _, f := range findings {
		if f.AreaM2 > 1e4 {
			big[f.Kind]++
		}
	}
	fmt.Printf("province: %d townships, %d vertices\n", len(us), verts)
	fmt.Printf("derive: Go %.2f s (%d lines, %.1f km); PostGIS %.2f s (%d pairs, %.1f km); PostGIS/Go %.1f×\n",
		dGo.Seconds(), len(lines), goLen/1000, dPG.Seconds(), pairs, pgLen/1000, dPG.Seconds()/dGo.Seconds())
	fmt.Printf("check:  Go %.2f s (%d findings, %v over 1 ha); PostGIS %.2f s (overlap, gap, outside, uncovered pieces %v); PostGIS/Go %.1f×\n",
		cGo.Seconds(), len(findings), big, cPG.Seconds(), pgPieces, cPG.Seconds()/cGo.Seconds())
	fmt.Printf("total:  Go %.2f s, PostGIS %.2f s, PostGIS/Go %.1f× (wall clock, load average %s)\n", (dGo + cGo).Seconds(), (dPG + cPG).Seconds(), (dPG+cPG).Seconds()/(dGo+cGo).Seconds(), loadAvg())
	fmt.Printf("CPU:    Go derive %.2f s + check %.2f s (all threads); PostGIS backend derive %.2f s + check %.2f s; PostGIS/Go %.1f×\n",
		dGoCPU.Seconds(), cGoCPU.Seconds(), pgCPU[0].Seconds(), pgCPU[1].Seconds(), (pgCPU[0]+pgCPU[1]).Seconds()/(dGoCPU+cGoCPU).Seconds())
	b.ReportMetric(dGo.Seconds(), "derive-s")
	b.ReportMetric(cGo.Seconds(), "check-s")
	b.ReportMetric((dPG+cPG).Seconds()/(dGo+cGo).Seconds(), "x-postgis")
	if math.Abs(goLen-pgLen) > 0.005*pgLen {
		b.Errorf("total line length %.1f km, PostGIS %.1f km", goLen/1000, pgLen/1000)
	}
}

// selfCPU is the user+system CPU time of this process.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user+system CPU time of process pid (a PostgreSQL backend
// on this machine), from /proc/pid/stat (clock ticks of 10 ms).
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}
