package importers_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/data"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
)

// houseNumberSchema is every index and constraint of house_number as the catalog
// defines it, with the validity of each index.
func houseNumberSchema(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT string_agg(d, E'\n' ORDER BY d) FROM (
	    SELECT pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' INVALID' END AS d FROM pg_index WHERE indrelid = 'house_number'::regclass
	    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'house_number'::regclass) s`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// houseNumberRows is the content of house_number, roads by name, in id order (the ids
// themselves differ after a failed import: sequences do not roll back).
func houseNumberRows(t *testing.T, pool *pgxpool.Pool) (int, string) {
	t.Helper()
	var n int
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT count(*), string_agg(concat_ws('|', r.name, h.number, h.suffix, h.building, h.unit, h.room,
	    ST_AsText(h.geom), h.status, h.admin_code, h.valid_from, h.valid_to, h.planned_on, h.activated_on, h.version, h.source), E'\n' ORDER BY h.id)
	    FROM house_number h JOIN road r ON r.id = h.road_id`).Scan(&n, &s); err != nil {
		t.Fatal(err)
	}
	return n, s
}

// TestHouseNumberImportBulk: a bulk load (secondary indexes and foreign keys dropped and
// rebuilt in the import's transaction) writes exactly what the row-by-row insert writes,
// leaves the same indexes and constraints, still enforced; a failure after the drop
// leaves the table, its indexes and constraints as they were; a re-import is unchanged.
func TestHouseNumberImportBulk(t *testing.T) {
	defer func(n int) { housenumber.BulkMinRows = n }(housenumber.BulkMinRows)
	ctx := dbtest.CLI()
	const file = "demo/housenumbers.csv"

	// Reference: the row-by-row insert into the indexed table.
	housenumber.BulkMinRows = math.MaxInt
	ref := demoRoads(t)
	var log bytes.Buffer
	sum, err := importers.HouseNumbers(ctx, ref, data.Demo, file, importers.Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "bulk load") {
		t.Fatalf("bulk load below BulkMinRows:\n%s", log.String())
	}
	refN, refRows := houseNumberRows(t, ref)
	if refN != sum.Inserted || refN < 2000 {
		t.Fatalf("reference import: %s, %d rows", sum, refN)
	}

	housenumber.BulkMinRows = 1
	pool := demoRoads(t)
	schema := houseNumberSchema(t, pool)
	for _, want := range []string{"house_number_geom_idx", "house_number_one_current", "house_number_road_id_fkey", "house_number_pkey"} {
		if !strings.Contains(schema, want) {
			t.Fatalf("schema lacks %s:\n%s", want, schema)
		}
	}
	if schema != houseNumberSchema(t, ref) {
		t.Fatal("the two databases differ before the import")
	}

	// A failure after the indexes and foreign keys are dropped (a trigger that fails the
	// insert) leaves nothing behind.
	if _, err := pool.Exec(context.Background(), `CREATE FUNCTION hn_planted_failure() RETURNS trigger LANGUAGE plpgsql AS
	    $$BEGIN RAISE EXCEPTION 'planted failure'; END$$;
	    CREATE TRIGGER hn_planted_failure AFTER INSERT ON house_number FOR EACH STATEMENT EXECUTE FUNCTION hn_planted_failure()`); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	if _, err := importers.HouseNumbers(ctx, pool, data.Demo, file, importers.Options{Log: &log}); err == nil || !strings.Contains(err.Error(), "planted failure") {
		t.Fatalf("want the planted failure, got %v", err)
	}
	if !strings.Contains(log.String(), "bulk load") {
		t.Fatalf("the failure came before the bulk load:\n%s", log.String())
	}
	if n := count(t, pool, `SELECT count(*) FROM house_number`); n != 0 {
		t.Fatalf("%d rows left by a failed import", n)
	}
	if got := houseNumberSchema(t, pool); got != schema {
		t.Fatalf("schema after a failed bulk load:\n%s\nwant\n%s", got, schema)
	}
	if _, err := pool.Exec(context.Background(), `DROP TRIGGER hn_planted_failure ON house_number`); err != nil {
		t.Fatal(err)
	}

	// The bulk load.
	log.Reset()
	sum, err = importers.HouseNumbers(ctx, pool, data.Demo, file, importers.Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "bulk load") || !strings.Contains(log.String(), "rebuilt") {
		t.Fatalf("not a bulk load:\n%s", log.String())
	}
	if sum.Inserted != refN {
		t.Fatalf("bulk load: %s, want %d inserted", sum, refN)
	}
	if got := houseNumberSchema(t, pool); got != schema {
		t.Fatalf("schema after the bulk load:\n%s\nwant\n%s", got, schema)
	}
	if n, rows := houseNumberRows(t, pool); n != refN || rows != refRows {
		t.Fatalf("bulk load wrote %d rows that differ from the row-by-row insert's %d", n, refN)
	}
	// The rebuilt unique index and foreign key hold.
	for _, c := range []struct{ sql, code string }{
		{`INSERT INTO house_number (road_id, number, suffix, building, unit, room, geom)
		  SELECT road_id, number, suffix, building, unit, room, geom FROM house_number WHERE valid_to IS NULL ORDER BY id LIMIT 1`, "23505"},
		{`INSERT INTO house_number (road_id, number, geom) VALUES (-1, 1, ST_SetSRID(ST_MakePoint(120, 28), 4326))`, "23503"},
	} {
		_, err := pool.Exec(context.Background(), c.sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != c.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", c.sql, err, c.code)
		}
	}
	// A re-import changes nothing and is not a bulk load.
	log.Reset()
	sum, err = importers.HouseNumbers(ctx, pool, data.Demo, file, importers.Options{Log: &log})
	if err != nil || sum.Unchanged != refN || sum.Inserted != 0 || sum.Updated != 0 {
		t.Fatalf("re-import: %s, %v", sum, err)
	}
	if strings.Contains(log.String(), "bulk load") {
		t.Fatalf("a re-import was a bulk load:\n%s", log.String())
	}
}
