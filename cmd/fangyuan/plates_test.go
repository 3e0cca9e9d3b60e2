package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"fangyuan/internal/pgtest"
)

// fangyuan plates issue and plates sheet on a road made by SQL.
func TestPlatesCLI(t *testing.T) {
	url := pgtest.NewDatabase(t)
	t.Setenv("FANGYUAN_DATABASE_URL", url)
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out)
		return out.String(), err
	}
	if _, err := cli("migrate"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var road int64
	if err := conn.QueryRow(ctx, `INSERT INTO road (name, pinyin, geom) VALUES ('人民路', 'Renmin Lu',
  ST_GeomFromText('LINESTRING(120.0 30.0, 120.01 30.0)', 4326)) RETURNING id`).Scan(&road); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO house_number (road_id, number, geom, status)
SELECT $1, n, ST_SetSRID(ST_MakePoint(120.0 + n * 0.0005, 30.0001), 4326), CASE WHEN n = 4 THEN 'planned' ELSE 'active' END
FROM generate_series(1, 4) n`, road); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(road, 10)
	if _, err := cli("plates", "sheet", "--road", id); err == nil || !strings.Contains(err.Error(), "issue them first") {
		t.Fatalf("sheet before issuing: %v", err)
	}
	out, err := cli("plates", "issue", "--road", id, "--date", "2026-11-30", "--public-url", "https://dmb.example.cn/")
	if err != nil || !strings.Contains(out, "3 plates issued") || strings.Count(out, "https://dmb.example.cn/p/") != 3 {
		t.Fatalf("issue: %q %v", out, err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM plate WHERE ordered_on = '2026-11-30'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d plates in the database (%v)", n, err)
	}
	pdf := filepath.Join(t.TempDir(), "sheet.pdf")
	if out, err = cli("plates", "sheet", "--road", id, "-o", pdf); err != nil || !strings.Contains(out, "3 plates of 人民路") {
		t.Fatalf("sheet: %q %v", out, err)
	}
	text, err := exec.Command("pdftotext", pdf, "-").Output()
	if err != nil || !strings.Contains(string(text), "人民路") || !strings.Contains(string(text), "Renmin Lu") {
		t.Fatalf("pdftotext: %v %q", err, text)
	}
	for _, bad := range [][]string{{"plates"}, {"plates", "print"}, {"plates", "issue"}, {"plates", "issue", "--road", id, "--date", "30.11.2026"}, {"plates", "sheet", "--road", id, "-o", "x.png"}} {
		if _, err := cli(bad...); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: %v; want a usage error", bad, err)
		}
	}
	if _, err := cli("plates", "issue", "--road", "999999"); err == nil || !strings.Contains(err.Error(), "no road 999999") {
		t.Errorf("missing road: %v", err)
	}
}
