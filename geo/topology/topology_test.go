package topology_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/geo"
	"fangyuan/geo/topology"
	"fangyuan/importers/parse"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// demoUnits reads a demo boundary layer with the package's own reader.
func demoUnits(t testing.TB, name string) []topology.Unit {
	t.Helper()
	res, err := parse.ReadBoundaries(os.DirFS(testenv.RepoRoot(t)), "data/demo/boundaries/"+name+".geojson", parse.BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejects) > 0 {
		t.Fatalf("%s: %d rejects", name, len(res.Rejects))
	}
	units := make([]topology.Unit, len(res.Features))
	for i, f := range res.Features {
		units[i] = topology.Unit{Code: f.Code, Name: f.Name, Parent: f.Props["parent_code"], Geom: f.Geometry}
	}
	return units
}

func cloneUnits(us []topology.Unit) []topology.Unit {
	out := make([]topology.Unit, len(us))
	for i, u := range us {
		out[i] = u
		out[i].Geom = orb.Clone(u.Geom).(orb.MultiPolygon)
	}
	return out
}

// edgeOwners maps each undirected edge of the (exactly matching) tiling to
// the units that have it.
type edgeKey [2]orb.Point

func ek(a, b orb.Point) edgeKey {
	if b[0] < a[0] || b[0] == a[0] && b[1] < a[1] {
		a, b = b, a
	}
	return edgeKey{a, b}
}

func edgeOwners(us []topology.Unit) map[edgeKey][]int {
	m := map[edgeKey][]int{}
	for i, u := range us {
		for _, p := range u.Geom {
			for _, r := range p {
				for k := 1; k < len(r); k++ {
					m[ek(r[k-1], r[k])] = append(m[ek(r[k-1], r[k])], i)
				}
			}
		}
	}
	return m
}

// densify inserts the midpoint of every edge of unit i that it shares with a
// unit of a larger code (or with nothing), so that the two polygons of a
// pair no longer have the same vertices.
func densify(us []topology.Unit, owners map[edgeKey][]int, i int) {
	for pi, p := range us[i].Geom {
		for ri, r := range p {
			var out orb.Ring
			for k := 1; k < len(r); k++ {
				out = append(out, r[k-1])
				o := owners[ek(r[k-1], r[k])]
				if len(o) == 1 || len(o) == 2 && us[o[0]].Code > us[i].Code || len(o) == 2 && us[o[1]].Code > us[i].Code {
					out = append(out, orb.Point{(r[k-1][0] + r[k][0]) / 2, (r[k-1][1] + r[k][1]) / 2})
				}
			}
			us[i].Geom[pi][ri] = append(out, out[0])
		}
	}
}

// jitter moves every vertex of every unit (each unit on its own) by up to m
// metres, seeded.
func jitter(us []topology.Unit, m float64, seed uint64) {
	for i := range us {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		for _, p := range us[i].Geom {
			for _, r := range p {
				for k := 0; k < len(r)-1; k++ {
					r[k] = offset(r[k], rng.Float64()*360, m*math.Sqrt(rng.Float64()))
				}
				r[len(r)-1] = r[0]
			}
		}
	}
}

func offset(p orb.Point, bearing, m float64) orb.Point {
	kx, ky := geo.MetresPerDegree(p[1])
	s, c := math.Sincos(bearing * math.Pi / 180)
	return orb.Point{p[0] + m*s/kx, p[1] + m*c/ky}
}

// pushVertex moves vertex k of unit i's first ring by m metres along the
// outward normal (negative m: inward); the ring is counter-clockwise.
func pushVertex(us []topology.Unit, i, k int, m float64) {
	r := us[i].Geom[0][0]
	n := len(r) - 1
	prev, next := r[(k+n-1)%n], r[(k+1)%n]
	kx, ky := geo.MetresPerDegree(r[k][1])
	dx, dy := (next[0]-prev[0])*kx, (next[1]-prev[1])*ky
	l := math.Hypot(dx, dy)
	nx, ny := dy/l, -dx/l // right of the direction of travel: outside a CCW ring
	r[k] = orb.Point{r[k][0] + m*nx/kx, r[k][1] + m*ny/ky}
	if k == 0 {
		r[n] = r[0]
	}
}

// sharedRun finds in unit i's first ring `count` consecutive vertices whose
// neighbouring edges are all shared with one other unit satisfying ok; it
// returns the first vertex index and that unit.
func sharedRun(us []topology.Unit, owners map[edgeKey][]int, i, count int, ok func(j int) bool) (int, int) {
	r := us[i].Geom[0][0]
	n := len(r) - 1
	for k := 0; k < n; k++ {
		other := -1
		good := true
		for s := 0; s <= count; s++ {
			a, b := r[(k+s+n-1)%n], r[(k+s)%n]
			o := owners[ek(a, b)]
			if len(o) != 2 {
				good = false
				break
			}
			j := o[0]
			if j == i {
				j = o[1]
			}
			if other >= 0 && j != other || !ok(j) {
				good = false
				break
			}
			other = j
		}
		if good {
			return k, other
		}
	}
	return -1, -1
}

// outerVertex finds a vertex of unit i's first ring whose two edges belong to
// unit i alone (the outer edge of the layer).
func outerVertex(us []topology.Unit, owners map[edgeKey][]int, i int) int {
	r := us[i].Geom[0][0]
	n := len(r) - 1
	for k := 0; k < n; k++ {
		if len(owners[ek(r[(k+n-1)%n], r[k])]) == 1 && len(owners[ek(r[k], r[k+1])]) == 1 && len(owners[ek(r[(k+n-2)%n], r[(k+n-1)%n])]) == 1 && len(owners[ek(r[k+1], r[(k+2)%n])]) == 1 {
			return k
		}
	}
	return -1
}

// loadPostGIS stores units in table name (code, geom).
func loadPostGIS(t testing.TB, pool *pgxpool.Pool, name string, us []topology.Unit) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE TABLE "+name+" (code text PRIMARY KEY, parent text, geom geometry(MultiPolygon, 4326) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		b, err := json.Marshal(geojson.NewGeometry(u.Geom))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "INSERT INTO "+name+" VALUES ($1, $2, ST_SetSRID(ST_GeomFromGeoJSON($3), 4326))", u.Code, u.Parent, string(b)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "CREATE INDEX ON "+name+" USING gist (geom); ANALYZE "+name); err != nil {
		t.Fatal(err)
	}
}

// The reference for lines: for each pair a < b of units whose boundaries
// come within the tolerance, b snapped to a (in CGCS2000 / 3-degree
// Gauss-Kruger CM 120E, metres) and the geodesic length of the intersection
// of their boundaries.
const refLinesSQL = `
WITH m AS (SELECT code, ST_Transform(geom, 4549) AS g FROM %[1]s)
SELECT a.code, b.code,
       ST_Length(ST_Transform(ST_Intersection(ST_Boundary(a.g), ST_Boundary(ST_Snap(b.g, a.g, $1))), 4326)::geography)
FROM m a JOIN m b ON a.code < b.code AND ST_DWithin(a.g, b.g, $1)`

type pair struct{ a, b string }

func refLines(t testing.TB, pool *pgxpool.Pool, table string, tol float64) map[pair]float64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), fmt.Sprintf(refLinesSQL, table), tol)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[pair]float64{}
	for rows.Next() {
		var p pair
		var l float64
		if err := rows.Scan(&p.a, &p.b, &l); err != nil {
			t.Fatal(err)
		}
		if l > tol {
			out[p] = l
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// refPiece is one polygon of a PostGIS overlay result.
type refPiece struct {
	kind  string
	codes string
	area  float64
}

// The references for areas: each connected piece larger than 1 ha.
const (
	refOverlapSQL = `
SELECT 'overlap', a.code || ',' || b.code, ST_Area(d.geom::geography)
FROM %[1]s a JOIN %[1]s b ON a.code < b.code AND a.geom && b.geom,
     LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)) d`
	refGapSQL = `
SELECT 'gap', '', ST_Area(ST_MakePolygon(ST_InteriorRingN(p.geom, n))::geography)
FROM (SELECT (ST_Dump(ST_Union(geom))).geom FROM %[1]s) p, generate_series(1, ST_NumInteriorRings(p.geom)) n`
	refOutsideSQL = `
SELECT 'outside_parent', c.code || ',' || p.code, ST_Area(d.geom::geography)
FROM %[1]s c JOIN %[2]s p ON p.code = c.parent,
     LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(c.geom, p.geom), 3)) d`
	refUncoveredSQL = `
SELECT 'uncovered', p.code, ST_Area(d.geom::geography)
FROM %[2]s p,
     LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(p.geom, (SELECT ST_Union(c.geom) FROM %[1]s c WHERE c.parent = p.code)), 3)) d`
)

func refPieces(t testing.TB, pool *pgxpool.Pool, sql string) []refPiece {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []refPiece
	for rows.Next() {
		var p refPiece
		if err := rows.Scan(&p.kind, &p.codes, &p.area); err != nil {
			t.Fatal(err)
		}
		if p.area > 1e4 {
			out = append(out, p)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareLines checks every reference pair against the derived lines and
// returns the largest relative length error.
func compareLines(t *testing.T, lines []topology.Line, ref map[pair]float64, tol float64) float64 {
	t.Helper()
	got := map[pair]topology.Line{}
	for _, l := range lines {
		if l.LeftCode >= l.RightCode {
			t.Errorf("line %s: left %s not below right %s", l.ID, l.LeftCode, l.RightCode)
		}
		got[pair{l.LeftCode, l.RightCode}] = l
	}
	var worst float64
	for p, want := range ref {
		l, ok := got[p]
		if !ok {
			t.Errorf("PostGIS finds %s|%s sharing %.1f m, no line derived", p.a, p.b, want)
			continue
		}
		rel := math.Abs(l.LengthM-want) / want
		worst = math.Max(worst, rel)
		if rel > 0.005 {
			t.Errorf("line %s|%s: %.2f m, PostGIS %.2f m (%.3f %%)", p.a, p.b, l.LengthM, want, 100*rel)
		}
	}
	for p, l := range got {
		if _, ok := ref[p]; !ok && l.LengthM > 2*tol {
			t.Errorf("line %s|%s (%.1f m) not in the PostGIS reference", p.a, p.b, l.LengthM)
		}
	}
	return worst
}

// matchPieces checks that every reference piece has a finding of its kind
// (a sliver counts as the gap or overlap it is) with the same codes (gaps:
// any) and an area within 1 %, and that every finding larger than 1 ha is a
// reference piece.
func matchPieces(t *testing.T, findings []topology.Finding, ref []refPiece, kinds ...string) {
	t.Helper()
	kindOf := func(f topology.Finding) string {
		if f.Kind == topology.KindSliver {
			return f.Of
		}
		return f.Kind
	}
	used := make([]bool, len(findings))
	for _, p := range ref {
		found := false
		for i, f := range findings {
			k := kindOf(f)
			codesOK := p.codes == "" || strings.Join(f.Codes, ",") == p.codes
			if p.kind == topology.KindUncovered && k == topology.KindGap {
				codesOK = true // a gap inside a parent is reported as the gap
				k = topology.KindUncovered
			}
			if k == p.kind && codesOK && math.Abs(f.AreaM2-p.area) <= 0.01*p.area && !used[i] {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("PostGIS %s %s of %.0f m²: no finding", p.kind, p.codes, p.area)
		}
	}
	for i, f := range findings {
		if used[i] || f.AreaM2 <= 1.02e4 {
			continue
		}
		for _, k := range kinds {
			if kindOf(f) == k {
				t.Errorf("finding %s %v of %.0f m² is not in the PostGIS reference", f.Kind, f.Codes, f.AreaM2)
			}
		}
	}
}

func TestBoundaryDeriveExactTiling(t *testing.T) {
	pool := dbtest.Pool(t)
	for _, layer := range []string{"townships", "villages"} {
		t.Run(layer, func(t *testing.T) {
			us := demoUnits(t, layer)
			loadPostGIS(t, pool, "exact_"+layer, us)
			lines, findings, err := topology.Derive(us, topology.Options{Level: "township"})
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != 0 {
				t.Errorf("an exact tiling has %d findings, first %+v", len(findings), findings[0])
			}
			ref := refLines(t, pool, "exact_"+layer, topology.DefaultToleranceM)
			if len(ref) == 0 || len(lines) != len(ref) {
				t.Errorf("%d lines, PostGIS %d pairs", len(lines), len(ref))
			}
			worst := compareLines(t, lines, ref, topology.DefaultToleranceM)
			if worst > 1e-6 {
				t.Errorf("exact tiling: worst length error %.2g", worst)
			}
		})
	}
}

// perturbed is the demo village layer with real-looking mismatches: every
// polygon's vertices moved independently by up to 3 m, the edges of some
// polygons densified (so the two sides of a line have different vertices),
// and planted problems: an overlap across a township boundary (which also
// sticks out of the parent), a gap, a thin sliver within the tolerance, and
// a village pulled in from the county edge (its township is left uncovered).
func perturbed(t testing.TB) (villages, townships []topology.Unit, planted map[string]string) {
	clean := demoUnits(t, "villages")
	townships = demoUnits(t, "townships")
	us := cloneUnits(clean)
	owners := edgeOwners(clean)
	planted = map[string]string{}
	used := map[int]bool{}
	pick := func(what string, count int, ok func(i, j int) bool) (int, int, int) {
		for i := range us {
			if used[i] {
				continue
			}
			k, j := sharedRun(clean, owners, i, count, func(j int) bool { return !used[j] && ok(i, j) })
			if k >= 0 {
				used[i], used[j] = true, true
				planted[what] = clean[i].Code + "," + clean[j].Code
				return i, j, k
			}
		}
		t.Fatalf("no place for the %s", what)
		return 0, 0, 0
	}
	i, _, k := pick("overlap", 1, func(i, j int) bool { return clean[i].Parent != clean[j].Parent })
	pushVertex(us, i, k, 250)
	i, _, k = pick("gap", 1, func(i, j int) bool { return clean[i].Parent == clean[j].Parent })
	pushVertex(us, i, k, -250)
	i, _, k = pick("sliver", 3, func(i, j int) bool { return true })
	for s := 0; s < 3; s++ {
		pushVertex(us, i, (k+s)%(len(us[i].Geom[0][0])-1), 12)
	}
	for i := range us {
		if used[i] {
			continue
		}
		if k := outerVertex(clean, owners, i); k >= 0 {
			pushVertex(us, i, k, -300)
			used[i] = true
			planted["uncovered"] = clean[i].Parent
			break
		}
	}
	for i := range us {
		if i%3 == 0 {
			densify(us, owners, i)
		}
	}
	jitter(us, 3, 7)
	return us, townships, planted
}

func TestBoundaryDeriveMismatched(t *testing.T) {
	pool := dbtest.Pool(t)
	us, townships, planted := perturbed(t)
	loadPostGIS(t, pool, "v", us)
	loadPostGIS(t, pool, "t", townships)
	opt := topology.Options{Level: "village"}
	lines, findings, err := topology.Derive(us, opt)
	if err != nil {
		t.Fatal(err)
	}
	ref := refLines(t, pool, "v", topology.DefaultToleranceM)
	worst := compareLines(t, lines, ref, topology.DefaultToleranceM)
	t.Logf("%d lines, %d PostGIS pairs, worst length error %.3f %%", len(lines), len(ref), 100*worst)

	// planted problems are found
	// has finds a finding of kind (or a sliver of kind) involving codes
	has := func(fs []topology.Finding, kind, codes string) *topology.Finding {
	next:
		for i, f := range fs {
			if f.Kind != kind && f.Of != kind {
				continue
			}
			for _, c := range strings.Split(codes, ",") {
				if !slices.Contains(f.Codes, c) {
					continue next
				}
			}
			return &fs[i]
		}
		return nil
	}
	if f := has(findings, topology.KindOverlap, planted["overlap"]); f == nil || f.Kind != topology.KindOverlap {
		t.Errorf("planted overlap %s: %+v", planted["overlap"], f)
	}
	if f := has(findings, topology.KindGap, planted["gap"]); f == nil || f.Kind != topology.KindGap {
		t.Errorf("planted gap %s: %+v", planted["gap"], f)
	}
	if f := has(findings, topology.KindOverlap, planted["sliver"]); f == nil || f.Kind != topology.KindSliver || f.WidthM >= topology.DefaultToleranceM {
		t.Errorf("planted sliver %s: %+v", planted["sliver"], f)
	}
	// the sliver is within the tolerance: its pair still has a line
	sl := strings.Split(planted["sliver"], ",")
	if _, ok := ref[pair{sl[0], sl[1]}]; !ok {
		t.Errorf("sliver pair %v missing from the reference", sl)
	}
	matchPieces(t, findings, refPieces(t, pool, fmt.Sprintf(refOverlapSQL, "v")), topology.KindOverlap)
	matchPieces(t, findings, refPieces(t, pool, fmt.Sprintf(refGapSQL, "v")), topology.KindGap)

	// against the parents
	checked, err := topology.Check(us, townships, opt)
	if err != nil {
		t.Fatal(err)
	}
	var outside, uncovered []refPiece
	outside = refPieces(t, pool, fmt.Sprintf(refOutsideSQL, "v", "t"))
	uncovered = refPieces(t, pool, fmt.Sprintf(refUncoveredSQL, "v", "t"))
	if len(outside) == 0 || len(uncovered) == 0 {
		t.Fatalf("reference: %d outside, %d uncovered pieces", len(outside), len(uncovered))
	}
	matchPieces(t, checked, outside, topology.KindOutsideParent)
	matchPieces(t, checked, uncovered, topology.KindUncovered)
	if f := has(checked, topology.KindUncovered, planted["uncovered"]); f == nil {
		t.Errorf("planted uncovered %s not found", planted["uncovered"])
	}

	// lines alone: the same lines
	only, none, err := topology.Derive(us, topology.Options{Level: "village", LinesOnly: true})
	if err != nil || !reflect.DeepEqual(only, lines) || none != nil {
		t.Errorf("LinesOnly: %d lines, %d findings, %v", len(only), len(none), err)
	}

	// deterministic
	lines2, findings2, _ := topology.Derive(cloneUnits(us), opt)
	if !reflect.DeepEqual(lines, lines2) || !reflect.DeepEqual(findings, findings2) {
		t.Error("a second run differs")
	}
	if !sort.SliceIsSorted(lines, func(i, j int) bool {
		return lines[i].LeftCode < lines[j].LeftCode || lines[i].LeftCode == lines[j].LeftCode && lines[i].RightCode < lines[j].RightCode
	}) {
		t.Error("lines not sorted")
	}
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
