package addr_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/housenumber"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/internal/auth"
)

// TestSuffixedNumberSpellings assigns suffixed house numbers on a demo road through the
// house-number store, then finds each of them by every common spelling (40号甲, 40甲号,
// 甲40号, 40甲; 40号之一, 40之一号, 40之一; 40号附, 附40号) in search and geocoding, and
// checks that every address text returned is the plate's form (甲40号, 40号之一, 附40号).
func TestSuffixedNumberSpellings(t *testing.T) {
	pool, svc := liveService(t)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Name: "test", Role: auth.NamesEditor, Via: "api"})
	var roadID int64
	var lon, lat float64
	// Number 12 of 人民路 in 鹤鸣街道 (339901001) is on record; the suffixed numbers go next to it.
	if err := pool.QueryRow(ctx, `SELECT r.id, ST_X(h.geom), ST_Y(h.geom) FROM house_number h JOIN road r ON r.id = h.road_id
WHERE r.name = '人民路' AND r.admin_code = '339901001000' AND h.number = 12 AND h.suffix = ''`).Scan(&roadID, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		suffix    string
		canonical string // hand-written: the plate's form
		spellings []string
	}{
		{"甲", "人民路甲12号", []string{"人民路12号甲", "人民路12甲号", "人民路甲12号", "人民路12甲", "人民路１２号甲", "人民路 12 号 甲"}},
		{"乙", "人民路乙12号", []string{"人民路12号乙", "人民路12乙号", "人民路乙12号"}},
		{"之一", "人民路12号之一", []string{"人民路12号之一", "人民路12之一号", "人民路12之一"}},
		{"之二", "人民路12号之二", []string{"人民路12号之二", "人民路12之二号"}},
		{"附", "人民路附12号", []string{"人民路12号附", "人民路附12号"}},
	}
	ids := make([]int64, len(tests))
	pts := make([][2]float64, len(tests))
	for i, tt := range tests {
		h, err := housenumber.NewStore(pool).Assign(ctx, housenumber.AssignInput{RoadID: roadID, Number: 12, Suffix: tt.suffix,
			Lon: lon + float64(i+1)*2e-5, Lat: lat, ApprovalNo: "测试〔2026〕1号"})
		if err != nil {
			t.Fatalf("assign 12%s: %v", tt.suffix, err)
		}
		if h.Address != tt.canonical {
			t.Errorf("assign 12%s: address %q, want %q", tt.suffix, h.Address, tt.canonical)
		}
		ids[i] = h.ID
		if err := pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom) FROM house_number WHERE id = $1`, h.ID).Scan(&pts[i][0], &pts[i][1]); err != nil {
			t.Fatal(err)
		}
	}
	// The numbers are valid from the day they were assigned (the database's current_date):
	// ask as of that day, read from the rows.
	var from time.Time
	if err := pool.QueryRow(ctx, `SELECT min(valid_from) FROM house_number WHERE id = ANY($1)`, ids).Scan(&from); err != nil {
		t.Fatal(err)
	}
	day := snapshot.DayOf(from)
	st := update(t, svc)
	for i, tt := range tests {
		for _, q := range tt.spellings {
			hs := addr.Search(st.Search, search.Query{Text: q, Day: day, Limit: 10})
			found := false
			for _, h := range hs {
				if h.Type == "address" && h.ID == ids[i] {
					found = true
					if h.Name != tt.canonical {
						t.Errorf("search %s: address named %q, want %q", q, h.Name, tt.canonical)
					}
				}
			}
			if !found {
				t.Errorf("search %s: house %d (%s) not found: %s", q, ids[i], tt.canonical, js(hs))
			}
			full := "方圆县鹤鸣街道" + q
			g := addr.Geocode(st.Search, st.Locate, full, day)
			if g.Precision != addr.PrecisionHouse || g.Point == nil || g.Point[0] != pts[i][0] || g.Point[1] != pts[i][1] ||
				g.Parsed.Number != 12 || g.Parsed.Suffix != tt.suffix {
				t.Errorf("geocode %s: %s, want house %v suffix %s", full, js(g), pts[i], tt.suffix)
			}
		}
		// Reverse geocoding at the number's point names it in the same form.
		h := router2(st)
		_, body, raw := get(h, "/api/reverse?lon="+url.QueryEscape(ftoa(pts[i][0]))+"&lat="+url.QueryEscape(ftoa(pts[i][1]))+"&asOf="+day.String())
		if hn, _ := body["house"].(map[string]any); hn == nil || hn["address"] != tt.canonical {
			t.Errorf("reverse at %v: %s, want %s", pts[i], raw, tt.canonical)
		}
	}
	// A plain number is not taken for a suffixed one.
	if g := addr.Geocode(st.Search, st.Locate, "方圆县鹤鸣街道人民路12号", day); g.Parsed.Suffix != "" || g.Point == nil || (g.Point[0] != lon || g.Point[1] != lat) {
		t.Errorf("geocode 人民路12号: %s, want the plain number at %v,%v", js(g), lon, lat)
	}
}
