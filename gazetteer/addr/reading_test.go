package addr_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"fangyuan/gazetteer/addr"
	"fangyuan/internal/api"
	"fangyuan/internal/db/dbtest"
)

// router2 serves the gazetteer's endpoints over st.
func router2(st *addr.State) http.Handler {
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rt.Handle(addr.NewStaticService(st).Routes()...)
	return rt
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestHitPinyin: division hits carry a reading for display. Units of the reviewed table of
// official readings (pinyindata/official_pinyin.tsv), stored with a wrong draft as drafts
// made before the table were, read as the table says; a unit with a stored official pinyin
// shows that; a unit in neither shows its draft. The expected spellings are written by hand
// (the table's header names 长子 Zhangzi, 牟平 Muping, 都昌 Duchang, 郫都 Pidu, 大埔 Dabu, 六安 Lu'an).
func TestHitPinyin(t *testing.T) {
	pool := dbtest.Pool(t)
	ctx := context.Background()
	// code, level, name, parent, official pinyin (NULL when ""), draft
	units := [][6]any{
		{"140000000000", 1, "山西省", nil, "", "shan xi sheng"},
		{"140400000000", 2, "长治市", "140000000000", "", "chang zhi shi"},
		{"140428000000", 3, "长子县", "140400000000", "", "chang zi xian"},
		{"140428100000", 4, "丹朱镇", "140428000000", "", "dan zhu zhen"},
		{"370000000000", 1, "山东省", nil, "", "shan dong sheng"},
		{"370600000000", 2, "烟台市", "370000000000", "", "yan tai shi"},
		{"370612000000", 3, "牟平区", "370600000000", "", "mou ping qu"},
		{"370800000000", 2, "济宁市", "370000000000", "", "ji ning shi"},
		{"370881000000", 3, "曲阜市", "370800000000", "Qūfù Shì", "qu fu shi"},
		{"360000000000", 1, "江西省", nil, "", "jiang xi sheng"},
		{"360400000000", 2, "九江市", "360000000000", "", "jiu jiang shi"},
		{"360428000000", 3, "都昌县", "360400000000", "", "dou chang xian"},
		{"510000000000", 1, "四川省", nil, "", "si chuan sheng"},
		{"510100000000", 2, "成都市", "510000000000", "", "cheng du shi"},
		{"510117000000", 3, "郫都区", "510100000000", "", "pi dou qu"},
		{"440000000000", 1, "广东省", nil, "", "guang dong sheng"},
		{"441400000000", 2, "梅州市", "440000000000", "", "mei zhou shi"},
		{"441422000000", 3, "大埔县", "441400000000", "", "da pu xian"},
		{"340000000000", 1, "安徽省", nil, "", "an hui sheng"},
		{"341500000000", 2, "六安市", "340000000000", "", "liu an shi"},
		{"530000000000", 1, "云南省", nil, "", "yun nan sheng"},
		{"532500000000", 2, "红河哈尼族彝族自治州", "530000000000", "", "hong he ha ni zu yi zu zi zhi zhou"},
		{"532531000000", 3, "绿春县", "532500000000", "", "lv chun xian"},
	}
	for _, u := range units {
		var official any
		if u[4] != "" {
			official = u[4]
		}
		if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, kind, name, parent_code, pinyin, pinyin_draft, valid_from)
VALUES ($1, $2, 'test', $3, $4, $5, $6, '2020-01-01')`, u[0], u[1], u[2], u[3], official, u[5]); err != nil {
			t.Fatal(err)
		}
	}
	st, err := addr.Build(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	h := router2(st)
	tests := []struct{ q, code, pinyin, source string }{
		{"长子县", "140428000000", "Zhangzi Xian", "reviewed"},
		{"牟平区", "370612000000", "Muping Qu", "reviewed"},
		{"都昌县", "360428000000", "Duchang Xian", "reviewed"},
		{"郫都区", "510117000000", "Pidu Qu", "reviewed"},
		{"大埔县", "441422000000", "Dabu Xian", "reviewed"},
		{"六安市", "341500000000", "Lu'an Shi", "reviewed"},
		{"绿春县", "532531000000", "Lüchun Xian", "reviewed"},
		{"陕西", "", "", ""}, // not loaded: no hit
		{"曲阜市", "370881000000", "Qūfù Shì", "official"},
		{"丹朱镇", "140428100000", "Danzhu Zhen", "draft"},
		{"红河哈尼族彝族自治州", "532500000000", "Honghe Hanizu Yizu Zizhizhou", "draft"},
		{"zhangzi", "140428000000", "Zhangzi Xian", "reviewed"},
	}
	for _, tt := range tests {
		code, body, raw := get(h, "/api/search?asOf=2024-01-01&q="+url.QueryEscape(tt.q))
		hits, _ := body["hits"].([]any)
		if code != http.StatusOK {
			t.Fatalf("search %s: %d %s", tt.q, code, raw)
		}
		if tt.code == "" {
			if len(hits) != 0 {
				t.Errorf("search %s: %s, want no hit", tt.q, raw)
			}
			continue
		}
		if len(hits) == 0 {
			t.Errorf("search %s: no hit", tt.q)
			continue
		}
		top := hits[0].(map[string]any)
		if top["code"] != tt.code || top["pinyin"] != tt.pinyin || top["pinyin_source"] != tt.source {
			t.Errorf("search %s: top %v %v (%v), want %s %s (%s)", tt.q, top["code"], top["pinyin"], top["pinyin_source"], tt.code, tt.pinyin, tt.source)
		}
	}
	// The parser's components name their units the same way.
	code, body, raw := get(h, "/api/parse?asOf=2024-01-01&q="+url.QueryEscape("山西省长治市长子县丹朱镇"))
	county, _ := body["county"].(map[string]any)
	town, _ := body["township"].(map[string]any)
	if code != http.StatusOK || county == nil || town == nil || county["pinyin"] != "Zhangzi Xian" || county["pinyin_source"] != "reviewed" ||
		town["pinyin"] != "Danzhu Zhen" || town["pinyin_source"] != "draft" {
		t.Errorf("parse: %d %s", code, raw)
	}
	code, body, raw = get(h, "/api/geocode?asOf=2024-01-01&q="+url.QueryEscape("济宁曲阜"))
	parsed, _ := body["parsed"].(map[string]any)
	cty, _ := parsed["county"].(map[string]any)
	if code != http.StatusOK || cty == nil || cty["pinyin"] != "Qūfù Shì" || cty["pinyin_source"] != "official" {
		t.Errorf("geocode: %d %s", code, raw)
	}
}
