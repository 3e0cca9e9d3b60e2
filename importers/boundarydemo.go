package importers

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/boundary"
	"fangyuan/geo"
)

// The demo county's code prefix and the demo rounds.
const (
	demoCountyPrefix = "339901"
	DemoPastRound    = "第四轮"
	DemoOpenRound    = "第五轮"
)

// sqlDemoMarkerSites: for each township line of the demo county, four points along its
// longest part (at 1/4, 1/2, 3/4, 7/8) and that part's geodesic length, and its first and
// last vertex, each with the number of
// units within 30 m of it (plus one when part of that circle is outside every unit): a
// three-way junction when ≥ 3.
const sqlDemoMarkerSites = `
WITH l AS (
  SELECT b.id, b.ext_id, lu.name AS left_name, ru.name AS right_name,
    (SELECT g.geom FROM ST_Dump(b.geom) g ORDER BY ST_Length(g.geom) DESC, g.path LIMIT 1) AS part
  FROM boundary_line b
  JOIN admin_unit lu ON lu.code = b.left_code AND lu.valid_to IS NULL
  JOIN admin_unit ru ON ru.code = b.right_code AND ru.valid_to IS NULL
  WHERE b.level = 4 AND b.left_code LIKE $1 || '%' AND b.origin = 'derived'
)
SELECT l.ext_id, l.left_name, l.right_name,
  ARRAY(SELECT ST_X(ST_LineInterpolatePoint(part, f)) FROM unnest(ARRAY[0.25, 0.5, 0.75, 0.875]) WITH ORDINALITY u(f, k) ORDER BY k),
  ARRAY(SELECT ST_Y(ST_LineInterpolatePoint(part, f)) FROM unnest(ARRAY[0.25, 0.5, 0.75, 0.875]) WITH ORDINALITY u(f, k) ORDER BY k),
  ARRAY[ST_X(ST_StartPoint(part)), ST_X(ST_EndPoint(part))], ARRAY[ST_Y(ST_StartPoint(part)), ST_Y(ST_EndPoint(part))],
  ARRAY(SELECT (WITH near AS (
       SELECT a.geom FROM admin_unit a WHERE a.valid_to IS NULL AND a.level = 4 AND a.geom IS NOT NULL
         AND ST_DWithin(a.geom::geography, e.g::geography, 30)),
     circle AS (SELECT ST_Buffer(e.g::geography, 30)::geometry AS c)
     SELECT count(*)::int + CASE WHEN count(*) > 0 AND ST_Area(ST_Difference((SELECT c FROM circle), ST_Union(near.geom))::geography)
         > 0.01 * ST_Area((SELECT c FROM circle)::geography) THEN 1 ELSE 0 END FROM near)
   FROM (VALUES (1, ST_StartPoint(part)), (2, ST_EndPoint(part))) e(k, g) ORDER BY e.k),
  ST_Length(part::geography)
FROM l ORDER BY l.ext_id`

// LoadBoundaryDemo adds the boundary-inspection demo to a database holding the demo
// county's divisions and boundaries: township and village lines derived from the
// polygons, about a hundred markers on the township lines (three-way markers at the
// junctions), a closed past round (第四轮, 2021) with two teams whose findings were brought
// back, and an open round (第五轮, 2026) for the same teams. It is idempotent.
func LoadBoundaryDemo(ctx context.Context, pool *pgxpool.Pool, log io.Writer) error {
	store := boundary.NewStore(pool)
	say := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	for _, lv := range []int{4, 5} {
		start := time.Now()
		sum := Summary{What: fmt.Sprintf("boundary lines (derived, level %d)", lv), Source: "demo:" + demoCountyPrefix}
		err := inTx(ctx, pool, "boundary_line", &sum, func(tx pgx.Tx) error {
			res, err := store.DeriveLines(ctx, tx, boundary.DeriveOptions{Level: lv, UnitPrefix: demoCountyPrefix, ToleranceM: 30}, sum.Source)
			if err != nil {
				return err
			}
			if len(res.Problems) > 0 {
				p := res.Problems[0]
				return fmt.Errorf("derived line %d: %s: %s", p.Index, p.Field, p.Reason)
			}
			if n := len(res.Findings); n > 0 {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d topology finding(s) left over from the derivation (GET /api/boundary/topology)", n))
			}
			ch := res.Changes
			sum.Changes = ch
			sum.Read = ch.Inserted + ch.Updated + ch.Unchanged
			return nil
		})
		sum.Duration = time.Since(start)
		if err != nil {
			return fmt.Errorf("demo lines: %w", err)
		}
		say("%s", sum)
	}
	markers, err := demoMarkers(ctx, pool)
	if err != nil {
		return err
	}
	start := time.Now()
	sum := Summary{What: "boundary markers", Source: "demo:markers", Read: len(markers)}
	err = inTx(ctx, pool, "boundary_marker", &sum, func(tx pgx.Tx) error {
		ch, problems, err := store.ImportMarkers(ctx, tx, markers, sum.Source, boundary.CheckOptions{})
		for _, p := range problems {
			if p.Reject {
				return fmt.Errorf("demo marker %s: %s", p.Number, p.Reason)
			}
		}
		sum.Changes = ch
		return err
	})
	sum.Duration = time.Since(start)
	if err != nil {
		return fmt.Errorf("demo markers: %w", err)
	}
	say("%s", sum)
	if _, err := store.Round(ctx, DemoPastRound); err == nil {
		return nil // the rounds exist already
	}
	lines, _, err := store.Lines(ctx, boundary.Filter{Level: 4, UnitPrefix: demoCountyPrefix})
	if err != nil {
		return err
	}
	var ids []string
	for _, l := range lines {
		if l.Origin == boundary.OriginDerived {
			ids = append(ids, l.ExtID)
		}
	}
	teamLines := [2][]string{}
	for i, id := range ids {
		teamLines[i%2] = append(teamLines[i%2], id)
	}
	teams := []string{"第一组", "第二组"}
	leaders := []string{"张建国", "李秀英"}
	inspectors := []string{"张建国", "李秀英"}
	for _, rd := range []struct {
		name   string
		year   int
		status string
	}{{DemoPastRound, 2021, "closed"}, {DemoOpenRound, 2026, "open"}} {
		r, err := store.CreateRound(ctx, boundary.RoundInput{Name: rd.name, Year: rd.year, Lines: ids, Status: rd.status})
		if err != nil {
			return fmt.Errorf("demo round: %w", err)
		}
		for ti, tn := range teams {
			t, err := store.CreateTeam(ctx, r.ID, boundary.TeamInput{Name: tn, Leader: leaders[ti], Lines: teamLines[ti]})
			if err != nil {
				return fmt.Errorf("demo team: %w", err)
			}
			if rd.name != DemoPastRound {
				continue
			}
			// The past round: the package the team carried, and what it brought back.
			dir, err := os.MkdirTemp("", "fangyuan-demo-package-")
			if err != nil {
				return err
			}
			_, err = store.WritePackage(ctx, r.ID, t.ID, geo.WGS84, dir)
			os.RemoveAll(dir)
			if err != nil {
				return fmt.Errorf("demo package: %w", err)
			}
			ms, _, err := store.Markers(ctx, boundary.Filter{RoundID: r.ID, TeamID: t.ID})
			if err != nil {
				return err
			}
			var rows []boundary.FindingInput
			for i, m := range ms {
				f := boundary.FindingInput{Line: i + 2, Number: m.Number, Condition: "intact", Inspector: inspectors[ti],
					InspectedOn: time.Date(2021, 10, 8+i%20, 0, 0, 0, 0, time.UTC), Notes: "完好"}
				switch {
				case i%11 == 3:
					f.Condition, f.Notes, f.Photos = "damaged", "桩体破损，字迹模糊", []string{m.Number + "-2021.jpg"}
				case i%17 == 5:
					f.Condition, f.Notes = "missing", "界桩丢失，需补设"
				case i%13 == 7:
					f.Condition, f.Notes, f.HasPoint, f.Lon, f.Lat = "moved", "界桩移位约5米，已重新测量", true, m.Lon+0.00005, m.Lat
				}
				rows = append(rows, f)
			}
			fsum := Summary{What: "findings", Source: fmt.Sprintf("demo:%s/%s", rd.name, tn)}
			err = inTx(ctx, pool, "inspection_finding", &fsum, func(tx pgx.Tx) error {
				res, problems, err := store.ImportFindings(ctx, tx, r.ID, t.ID, rows, fsum.Source)
				if err != nil {
					return err
				}
				if len(problems) > 0 {
					return fmt.Errorf("demo finding %s: %s", problems[0].Number, problems[0].Reason)
				}
				fsum.Updated = res.Applied
				return nil
			})
			if err != nil {
				return fmt.Errorf("demo findings: %w", err)
			}
			say("findings of %s %s: %d applied", rd.name, tn, fsum.Updated)
		}
	}
	return nil
}

// demoFourthMarkerM: a township line longer than this (more than 3.5 km between its
// markers at quarters) gets a fourth marker; 7 of the demo's 24 lines, 100 markers in all.
const demoFourthMarkerM = 14_000

// demoMarkers places the demo markers: three along each township line (the middle one a
// paired marker), a fourth at 7/8 on a line longer than demoFourthMarkerM, and a three-way marker at each distinct junction where a line starts or
// ends (numbered after the first line reaching it: J at its start, K at its end).
func demoMarkers(ctx context.Context, pool *pgxpool.Pool) ([]boundary.MarkerInput, error) {
	rows, err := pool.Query(ctx, sqlDemoMarkerSites, demoCountyPrefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []boundary.MarkerInput
	used := map[string]bool{}
	junctions := map[[2]int64]bool{}
	installed := time.Date(2011, 5, 1, 0, 0, 0, 0, time.UTC)
	ordinal := 0
	for rows.Next() {
		var ext, ln, rn string
		var xs, ys, ex, ey []float64
		var units []int32
		var length float64
		if err := rows.Scan(&ext, &ln, &rn, &xs, &ys, &ex, &ey, &units, &length); err != nil {
			return nil, err
		}
		ordinal++
		prefix := string([]rune(ln)[:1]) + string([]rune(rn)[:1])
		if used[prefix+"01"] {
			prefix = fmt.Sprintf("%s%d-", prefix, ordinal)
		}
		d := installed.AddDate(0, 0, ordinal)
		if length <= demoFourthMarkerM {
			xs, ys = xs[:3], ys[:3]
		}
		for i := range xs {
			kind := "single"
			if i == 1 {
				kind = "paired"
			}
			n := fmt.Sprintf("%s%02d", prefix, i+1)
			used[n] = true
			out = append(out, boundary.MarkerInput{Index: len(out) + 1, Number: n, LineRef: ext, Kind: kind, Condition: "intact",
				Lon: xs[i], Lat: ys[i], InstalledOn: &d})
		}
		for k, tag := range []string{"J", "K"} {
			key := [2]int64{int64(math.Round(ex[k] * 1e5)), int64(math.Round(ey[k] * 1e5))}
			if units[k] < 3 || junctions[key] {
				continue
			}
			junctions[key] = true
			n := prefix + tag
			if used[n] {
				n = fmt.Sprintf("%s%s%d", prefix, tag, ordinal)
			}
			used[n] = true
			out = append(out, boundary.MarkerInput{Index: len(out) + 1, Number: n, LineRef: ext, Kind: "triple", Condition: "intact",
				Lon: ex[k], Lat: ey[k], InstalledOn: &d})
		}
	}
	return out, rows.Err()
}
