package plate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// TestRoadPlatesJSON lists a road's plates that are not removed, each with its house
// number, status and version as the plate table has them; a removed plate and other
// roads' plates are absent, an unknown road is 404, reads need a token here.
func TestRoadPlatesJSON(t *testing.T) {
	e := setup(t)
	a := e.issue(t, e.hn[0], "2026-10-01")
	b := e.issue(t, e.hn[2], "2026-10-01")
	c := e.issue(t, e.hn[4], "2026-10-01")
	for _, ch := range []struct {
		id      string
		version int
		status  string
	}{{b.ID, b.Version, "installed"}, {c.ID, c.Version, "removed"}} {
		if code, body, _ := e.do(t, "POST", "/api/plates/"+ch.id+"/status", e.editor, map[string]any{"version": ch.version, "status": ch.status, "date": "2026-10-05"}); code != http.StatusOK {
			t.Fatalf("%s → %s: %d %s", ch.id, ch.status, code, body)
		}
	}
	code, body, _ := e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates", e.road), e.viewer, nil)
	if code != http.StatusOK {
		t.Fatalf("road plates: %d %s", code, body)
	}
	var out struct {
		Road   string `json:"road"`
		Plates []struct {
			ID            string `json:"id"`
			HouseNumberID int64  `json:"house_number_id"`
			Status        string `json:"status"`
			Version       int    `json:"version"`
			URL           string `json:"url"`
		} `json:"plates"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	// Expected from the plate table itself.
	rows, err := e.pool.Query(t.Context(), `SELECT p.id, p.house_number_id, p.status, p.version FROM plate p
JOIN house_number h ON h.id = p.house_number_id WHERE h.road_id = $1 AND p.status <> 'removed' ORDER BY h.number, h.suffix`, e.road)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var id, st string
		var hn int64
		var v int
		if err := rows.Scan(&id, &hn, &st, &v); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%s/%d/%s/%d", id, hn, st, v))
	}
	rows.Close()
	var got []string
	for _, p := range out.Plates {
		got = append(got, fmt.Sprintf("%s/%d/%s/%d", p.ID, p.HouseNumberID, p.Status, p.Version))
		if p.URL != publicURL+"/p/"+p.ID {
			t.Errorf("plate %s url %s", p.ID, p.URL)
		}
	}
	if out.Road != "中山路" || len(want) != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("road %q plates %v, want %v", out.Road, got, want)
	}
	if want[0][:len(a.ID)] != a.ID || out.Plates[1].Status != "installed" {
		t.Errorf("plates %v: want %s (ordered) then %s (installed)", got, a.ID, b.ID)
	}
	code, body, _ = e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates", e.road2), e.viewer, nil)
	if code != http.StatusOK || string(body) == "" || !json.Valid(body) {
		t.Fatalf("road 2: %d %s", code, body)
	}
	var empty struct {
		Plates []any `json:"plates"`
	}
	if err := json.Unmarshal(body, &empty); err != nil || empty.Plates == nil || len(empty.Plates) != 0 {
		t.Errorf("road 2 plates %s, want an empty list", body)
	}
	if code, _, _ := e.do(t, "GET", "/api/roads/999999/plates", e.viewer, nil); code != http.StatusNotFound {
		t.Errorf("unknown road: %d, want 404", code)
	}
	if code, _, _ := e.do(t, "GET", fmt.Sprintf("/api/roads/%d/plates", e.road), "", nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
}
