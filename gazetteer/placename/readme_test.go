package placename_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fangyuan/data"
	"fangyuan/gazetteer/placename"
	"fangyuan/importers"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/db/dbtest"
)

// The README's place-name examples, on the demo data, answer what the README says.
func TestREADMEExamples(t *testing.T) {
	pool := dbtest.Pool(t)
	if err := importers.LoadDemo(dbtest.CLI(), pool, data.Demo, nil); err != nil {
		t.Fatal(err)
	}
	as := auth.NewStore(pool)
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as, Reads: auth.ReadsOpen}, nil)
	rt.Handle(placename.NewStore(pool).Routes()...)
	tok, _, err := as.CreateToken(dbtest.CLI(), "zhao.names", auth.NamesEditor, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := client{t, rt, tok}
	code, fc, _ := c.do(http.MethodGet, "/api/placenames?within=339901&category=27", nil)
	if code != 200 || fc["total"] != 14.0 { // 4 千年古镇 + 10 千年古村落 in the demo CSV
		t.Errorf("list: %d total %v", code, fc["total"])
	}
	if code, _, _ := c.do(http.MethodGet, "/api/placenames/12", nil); code != 200 {
		t.Errorf("get 12: %d", code)
	}
	q := url.Values{"name": {"唐岩湾里"}, "category": {"212"}, "within": {"339901002"}}
	_, res, _ := c.do(http.MethodGet, "/api/placenames/check?"+q.Encode(), nil)
	fs, _ := res["findings"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["kind"] != "homophone" || fs[0].(map[string]any)["name"] != "塘岩湾里" {
		t.Errorf("check: %v", res)
	}
	code, f, _ := c.do(http.MethodPost, "/api/placenames", jsonBody(t, `{"name":"松风里","pinyin":"Songfeng Li","category":"212","admin_code":"339901101201","lon":119.82,"lat":28.38,"origin":"村口古松成林。"}`))
	if code != 201 || f["id"] != 289.0 {
		t.Fatalf("create: %d id %v", code, f["id"])
	}
	for _, step := range []struct{ path, body string }{
		{"/api/placenames/289", `{"version":1,"name":"松风里","category":"212","admin_code":"339901101201","lon":119.82,"lat":28.38,"history":"清代成村。"}`},
		{"/api/placenames/289/rename", `{"version":2,"new_name":"松风村","new_pinyin":"Songfeng Cun","approval_no":"方民地〔2024〕7号","approved_on":"2024-03-01"}`},
		{"/api/placenames/289/retire", `{"version":3,"approval_no":"方民地〔2024〕9号","date":"2024-06-30"}`},
	} {
		method := http.MethodPost
		if !strings.Contains(step.path, "/r") {
			method = http.MethodPut
		}
		if code, body, _ := c.do(method, step.path, jsonBody(t, step.body)); code != 200 {
			t.Errorf("%s %s: %d %v", method, step.path, code, body)
		}
	}
}
