package ogcapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"fangyuan/ogcapi"
)

// qgisPython is Debian's interpreter, the one python3-qgis installs its bindings for (a
// python3 earlier on PATH may be another build without them).
const qgisPython = "/usr/bin/python3"

// TestQGIS opens collections through QGIS's OAPIF provider, headless (PyQGIS,
// QT_QPA_PLATFORM=offscreen), and checks that QGIS reads every feature exactly once, as
// counted and listed by SQL. It needs python3-qgis (.ci/deps.sh installs it).
func TestQGIS(t *testing.T) {
	if out, err := exec.Command(qgisPython, "-c", "import qgis.core").CombinedOutput(); err != nil {
		t.Fatalf("PyQGIS is missing (apt-get install python3-qgis): %v\n%s", err, out)
	}
	env := demo(t)
	// More than one page of the provider's default page size for the house numbers.
	if _, err := env.Pool.Exec(t.Context(), `INSERT INTO house_number (road_id, number, geom, admin_code)
		SELECT r.id, 1000 + i, ST_SetSRID(ST_MakePoint(120.0 + (i % 50) * 0.0005, 28.2 + (i / 50) * 0.0005), 4326), r.admin_code
		FROM (SELECT id, admin_code FROM road ORDER BY id LIMIT 1) r, generate_series(1, 2500) i`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Collection   string `json:"collection"`
		Error        string `json:"error"`
		Read         int    `json:"read"`
		FeatureCount int    `json:"featureCount"`
		Fields       []string
		Values       []any `json:"values"`
	}
	// Through a proxy that counts the pages requested by cursor: QGIS follows next links.
	base, pages := countingProxy(t, env)
	run := func(pairs ...string) []result {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), qgisPython, append([]string{"testdata/qgis_count.py", base + "/ogc"}, pairs...)...)
		runtime := t.TempDir()
		if err := os.Chmod(runtime, 0o700); err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+runtime)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("qgis_count.py: %v\n%s\n%s", err, out, stderr.String())
		}
		t.Logf("PyQGIS read %s in %v", strings.Join(pairs, ", "), time.Since(start).Round(time.Millisecond))
		var rs []result
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("qgis_count.py printed %q: %v", line, err)
			}
			rs = append(rs, r)
		}
		return rs
	}
	check := func(r result, field string, want []string) {
		t.Helper()
		if r.Error != "" {
			t.Fatalf("%s: QGIS could not open it: %s", r.Collection, r.Error)
		}
		got := make([]string, len(r.Values))
		for i, v := range r.Values {
			got[i] = fmt.Sprint(v)
		}
		slices.Sort(got)
		if r.Read != len(want) || !slices.Equal(got, want) {
			t.Errorf("%s: QGIS read %d features (%s: %d values), SQL says %d", r.Collection, r.Read, field, len(got), len(want))
		}
		if r.FeatureCount != len(want) {
			t.Errorf("%s: QGIS featureCount %d, SQL says %d", r.Collection, r.FeatureCount, len(want))
		}
	}
	texts := func(sql string) []string {
		rows, err := env.Pool.Query(t.Context(), sql)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	addLine(t, env, "L-Q")
	if _, err := env.Pool.Exec(t.Context(), `INSERT INTO boundary_marker (line_id, number, kind, geom)
		SELECT id, 'Q' || i, 'single', ST_SetSRID(ST_MakePoint(120.00 + i * 0.001, 28.20 + i * 0.001), 4326)
		FROM boundary_line, generate_series(1, 15) i WHERE ext_id = 'L-Q'`); err != nil {
		t.Fatal(err)
	}
	rs := run("facilities-eldercare_center:ext_id", "placenames:name", "boundary-lines:ext_id", "boundary-markers:number")
	if len(rs) != 4 {
		t.Fatalf("%d results for 4 collections", len(rs))
	}
	check(rs[0], "ext_id", texts(`SELECT ext_id FROM facility WHERE kind = 'eldercare_center'`))
	check(rs[1], "name", texts(`SELECT name FROM place_name WHERE status <> 'retired'`))
	check(rs[2], "ext_id", texts(`SELECT ext_id FROM boundary_line`))
	check(rs[3], "number", texts(`SELECT number FROM boundary_marker`))
	before := pages.Load()
	rs = run("housenumbers:number")
	want := texts(`SELECT number::text FROM house_number WHERE valid_to IS NULL`)
	check(rs[0], "number", want)
	if n := pages.Load() - before; n < 1 || len(want) <= ogcapi.DefaultLimit {
		t.Errorf("QGIS read %d house numbers in %d pages after the first", len(want), n)
	} else {
		t.Logf("QGIS read %d house numbers in %d pages after the first", len(want), n)
	}
}
