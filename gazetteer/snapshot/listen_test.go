package snapshot

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fangyuan/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// ListenTables names the tables of each burst (from the triggers' payload); WithHouses
// rereads the house numbers and shares everything else.
func TestListenTablesAndWithHouses(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bursts := make(chan Tables, 4)
	go ListenTables(ctx, pool, func(Tables) time.Duration { return 200 * time.Millisecond }, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(_ context.Context, t Tables) { bursts <- t })
	time.Sleep(300 * time.Millisecond) // let LISTEN start
	if _, err := pool.Exec(ctx, `INSERT INTO road (name, geom) VALUES ('测试路', ST_GeomFromText('LINESTRING(100 30, 100.01 30)', 4326))`); err != nil {
		t.Fatal(err)
	}
	d, err := Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	next := func() Tables {
		t.Helper()
		select {
		case b := <-bursts:
			return b
		case <-time.After(15 * time.Second):
			t.Fatal("no burst")
			return nil
		}
	}
	if b := next(); !b.Only("road") {
		t.Fatalf("burst %v, want road only", b)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO house_number (road_id, number, geom, valid_from) SELECT id, 3, ST_SetSRID(ST_MakePoint(100.005, 30.0001), 4326), '2000-01-01' FROM road`); err != nil {
		t.Fatal(err)
	}
	if b := next(); !b.Only("house_number") {
		t.Fatalf("burst %v, want house_number only", b)
	}
	nd, err := d.WithHouses(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Houses) != 0 || len(nd.Houses) != 1 || nd.Houses[0].Number != 3 || &nd.Roads[0] != &d.Roads[0] || nd.RoadByID[nd.Houses[0].RoadID] != 0 {
		t.Errorf("houses before %v, after %v; roads shared: %v", d.Houses, nd.Houses, &nd.Roads[0] == &d.Roads[0])
	}
	// Two tables in one burst (one transaction).
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE road SET kind = 'primary'`, `UPDATE house_number SET building = '2'`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if b := next(); len(b) != 2 || !b["road"] || !b["house_number"] || b.Only("house_number") {
		t.Fatalf("burst %v, want road and house_number", b)
	}
}
