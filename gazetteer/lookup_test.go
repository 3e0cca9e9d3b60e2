package gazetteer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The lookup of one division by code (and its chain) must be index probes, not a scan
// of admin_unit: with sequential scans disabled the planner still picks one only when no
// index can answer the query. The answers are checked against rows inserted here.
func TestDivisionLookupUsesIndex(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from, valid_to) VALUES
  ('330000000000', 1, '省', '浙江省', NULL, '2000-01-01', NULL),
  ('331100000000', 2, '地级市', '丽水市', '330000000000', '2000-01-01', NULL),
  ('331102000000', 3, '市辖区', '莲都区', '331100000000', '2000-01-01', NULL),
  ('331102001000', 4, '街道', '旧紫金街道', '331102000000', '2000-01-01', '2024-06-30'),
  ('331102001000', 4, '街道', '紫金街道', '331102000000', '2024-06-30', NULL),
  ('331102001201', 5, '村', '下河村委会', '331102001000', '2000-01-01', NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE admin_unit`); err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET enable_seqscan`)
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []struct {
		name string
		sql  string
		args []any
	}{
		{"sqlGetDivision", sqlGetDivision, []any{day, "331102001000", false}},
	} {
		name := q.name
		rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan on admin_unit") || !strings.Contains(text, "Index") {
			t.Errorf("%s scans admin_unit:\n%s", name, text)
		}
	}

	s := NewStore(pool)
	for _, tt := range []struct {
		day   string
		name  string
		chain string
	}{
		{"2025-01-01", "紫金街道", "330000000000 1 浙江省/331100000000 2 丽水市/331102000000 3 莲都区"},
		{"2024-06-30", "紫金街道", "330000000000 1 浙江省/331100000000 2 丽水市/331102000000 3 莲都区"},  // valid_from is inclusive
		{"2024-06-29", "旧紫金街道", "330000000000 1 浙江省/331100000000 2 丽水市/331102000000 3 莲都区"}, // valid_to is exclusive
		{"2000-01-01", "旧紫金街道", "330000000000 1 浙江省/331100000000 2 丽水市/331102000000 3 莲都区"},
	} {
		day, _ := time.Parse(time.DateOnly, tt.day)
		d, err := s.GetDivision(ctx, "331102001000", day, false)
		if err != nil {
			t.Fatalf("%s: %v", tt.day, err)
		}
		var chain []string
		for _, c := range d.Chain {
			chain = append(chain, fmt.Sprintf("%s %d %s", c.Code, c.Level, c.Name))
		}
		if d.Code != "331102001000" || d.Name != tt.name || strings.Join(chain, "/") != tt.chain {
			t.Errorf("as of %s: %s %s %v, want %s %s", tt.day, d.Code, d.Name, chain, tt.name, tt.chain)
		}
	}
	// A chain through a renamed ancestor names it as it was then.
	for _, tt := range []struct{ day, township string }{{"2025-01-01", "紫金街道"}, {"2024-06-29", "旧紫金街道"}} {
		at, _ := time.Parse(time.DateOnly, tt.day)
		d, err := s.GetDivision(ctx, "331102001201", at, false)
		if err != nil || d.Name != "下河村委会" || len(d.Chain) != 4 || d.Chain[3].Name != tt.township || d.Chain[3].Level != Township {
			t.Errorf("village as of %s: %+v %v, want its township %s", tt.day, d, err, tt.township)
		}
	}
	if d, err := s.GetDivision(ctx, "330000000000", day, false); err != nil || d.Name != "浙江省" || len(d.Chain) != 0 {
		t.Errorf("province: %+v %v, want 浙江省 without a chain", d, err)
	}
	if _, err := s.GetDivision(ctx, "331102001000", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), false); err == nil {
		t.Error("as of 1999-12-31: found a unit valid only from 2000")
	}
	if _, err := s.GetDivision(ctx, "331102999000", day, false); err == nil {
		t.Error("unknown code found")
	}
}
