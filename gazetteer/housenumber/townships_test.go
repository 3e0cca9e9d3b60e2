package housenumber

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"fangyuan/internal/auth"
)

// TestTownships lists the townships holding roads with hand-counted roads and current
// numbers: a road coded to a village counts for its township, a retired number does not,
// a township without roads is absent, and within narrows the list.
func TestTownships(t *testing.T) {
	pool, srv, road := fixture(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO admin_unit (code, level, kind, name, parent_code, valid_from) VALUES
		 ('339901002000', 4, '乡', '枫渡乡', '339901000000', '2000-01-01'),
		 ('339901003000', 4, '乡', '无路乡', '339901000000', '2000-01-01'),
		 ('339901002001', 5, '村', '枫渡村', '339901002000', '2000-01-01')`,
		`INSERT INTO road (name, admin_code, kind, geom) VALUES
		 ('渡口路', '339901002001', 'residential', ST_GeomFromText('LINESTRING(120.05 28, 120.06 28)', 4326)),
		 ('老街', '339901002000', 'residential', ST_GeomFromText('LINESTRING(120.05 28.01, 120.06 28.01)', 4326))`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ed := token(t, pool, "sun.names", auth.NamesEditor)
	// Three numbers on 人民路, one of them retired.
	var last House
	for i, n := range []int{1, 3, 5} {
		lon, lat := pointAt(100+float64(i)*50, 15)
		if c := call(t, srv, ed, "POST", "/api/housenumbers", map[string]any{"road_id": road, "number": n, "lon": lon, "lat": lat}, &last); c != http.StatusCreated {
			t.Fatalf("assign %d: %d", n, c)
		}
	}
	if c := call(t, srv, ed, "POST", fmt.Sprintf("/api/housenumbers/%d/retire", last.ID), map[string]any{"version": last.Version}, nil); c != http.StatusOK {
		t.Fatalf("retire: %d", c)
	}

	var out struct {
		Townships []Township `json:"townships"`
	}
	if c := call(t, srv, "", "GET", "/api/roads/townships", nil, &out); c != http.StatusOK {
		t.Fatalf("townships: %d", c)
	}
	want := []Township{
		{Code: "339901001000", Name: "城关镇", CountyCode: "339901000000", County: "澄川县", Roads: 1, Numbers: 2},
		{Code: "339901002000", Name: "枫渡乡", CountyCode: "339901000000", County: "澄川县", Roads: 2, Numbers: 0},
	}
	if len(out.Townships) != len(want) {
		t.Fatalf("townships %+v, want %+v", out.Townships, want)
	}
	for i := range want {
		if out.Townships[i] != want[i] {
			t.Errorf("township %d: %+v, want %+v", i, out.Townships[i], want[i])
		}
	}
	if c := call(t, srv, "", "GET", "/api/roads/townships?within=339901002", nil, &out); c != http.StatusOK || len(out.Townships) != 1 || out.Townships[0].Code != "339901002000" {
		t.Errorf("within 339901002: %d %+v", c, out.Townships)
	}
}
