package addr_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"fangyuan/gazetteer/addr"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
	"fangyuan/importers"
	"fangyuan/internal/db/dbtest"
	"fangyuan/internal/testenv"
)

var nationalOnce struct {
	sync.Once
	pool    *pgxpool.Pool
	st      *addr.State
	renamed map[string]string // code → old name
	err     error
}

// renameDay is when the test's renames take effect (after the 2023 snapshot); queries are
// answered as of nationalDay, a fixed day after it (never the wall clock).
var (
	renameDay   = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	nationalDay = snapshot.DayOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
)

// national imports the 2023 national division tables (665k units), renames a sample of
// villages and townships the way a later snapshot import does (new version, old name kept
// as an alias) and sets official pinyin on a few polyphone names.
func national(t testing.TB) (*pgxpool.Pool, *addr.State, map[string]string) {
	t.Helper()
	nationalOnce.Do(func() {
		// Set until the end: a setup that stops half-way (t.Fatal inside the Once) leaves
		// an error for every later caller, never a nil State.
		nationalOnce.err = errors.New("national tables not loaded: the first test that loaded them failed (see its output)")
		dir, err := testenv.DivisionDir()
		if err != nil {
			nationalOnce.err = err
			return
		}
		pool := dbtest.Pool(keep{t})
		nationalOnce.pool = pool
		ctx := dbtest.CLI()
		if _, err := importers.Divisions(ctx, pool, importers.HostFS{}, dir, importers.DivisionOptions{ValidFrom: importers.DemoSnapshot}); err != nil {
			nationalOnce.err = err
			return
		}
		// Rename every 20,000th village and every 2,000th township: close the version and
		// insert the renamed one, old name as an alias (what the importer does).
		rows, err := pool.Query(ctx, `
WITH picked AS (
  SELECT code FROM (SELECT code, level, row_number() OVER (PARTITION BY level ORDER BY code) AS n FROM admin_unit WHERE level IN (4, 5)) x
  WHERE (level = 5 AND n % 20000 = 7) OR (level = 4 AND n % 2000 = 3)
), closed AS (
  UPDATE admin_unit a SET valid_to = $1 FROM picked p WHERE a.code = p.code AND a.valid_to IS NULL
  RETURNING a.*
)
INSERT INTO admin_unit (code, level, kind, name, parent_code, aliases, valid_from, source)
SELECT code, level, kind, '新' || name, parent_code, array_append(aliases, name), $1, 'test rename' FROM closed
RETURNING code, aliases[array_length(aliases, 1)]`, renameDay)
		if err != nil {
			nationalOnce.err = err
			return
		}
		nationalOnce.renamed = map[string]string{}
		for rows.Next() {
			var code, old string
			if err := rows.Scan(&code, &old); err != nil {
				nationalOnce.err = err
				return
			}
			nationalOnce.renamed[code] = old
		}
		rows.Close()
		if _, err := pool.Exec(ctx, `UPDATE admin_unit SET pinyin = CASE code
  WHEN '331100000000' THEN 'Lishui Shi' WHEN '331102000000' THEN 'Liandu Qu' WHEN '331000000000' THEN 'Taizhou Shi'
  WHEN '330382000000' THEN 'Yueqing Shi' END
WHERE code IN ('331100000000', '331102000000', '331000000000', '330382000000') AND valid_to IS NULL`); err != nil {
			nationalOnce.err = err
			return
		}
		start := time.Now()
		nationalOnce.st, nationalOnce.err = addr.Build(context.Background(), pool)
		t.Logf("national indexes built in %v", time.Since(start))
	})
	if nationalOnce.err != nil {
		t.Fatal(nationalOnce.err)
	}
	if len(nationalOnce.renamed) < 40 {
		t.Fatalf("only %d renamed units in the national sample", len(nationalOnce.renamed))
	}
	return nationalOnce.pool, nationalOnce.st, nationalOnce.renamed
}

type corpusItem struct {
	kind  string // full | omitted | suffixes | spaced | typo | old_name | pinyin | initials | search_cn | search_multi
	query string
	want  string // 12-digit code
}

// shortest returns the shortest base form of a name (丽水市 → 丽水; 天宁社区居委会 → 天宁).
func shortest(name string) string {
	b, _ := search.BaseNames(search.StripRemarks(name))
	if len(b) == 0 {
		return search.StripRemarks(name)
	}
	return b[len(b)-1]
}

// spoken is the form people write for villages: 天宁社区居委会 → 天宁社区, 下河村委会 → 下河村.
func spoken(name string) string {
	for _, suf := range []string{"社区居民委员会", "居民委员会", "村民委员会", "居委会", "委会"} {
		if strings.HasSuffix(name, suf) {
			s := strings.TrimSuffix(name, suf)
			if suf == "委会" || suf == "村民委员会" {
				if !strings.HasSuffix(s, "村") {
					s += "村"
				}
			}
			if len([]rune(s)) >= 2 {
				return s
			}
		}
	}
	return name
}

// buildCorpus makes queries from the national table with known answers.
func buildCorpus(d *snapshot.Data, renamed map[string]string, day snapshot.Day) []corpusItem {
	rng := rand.New(rand.NewPCG(2023, 630))
	var villages []int32
	for i := range d.Units {
		if d.Units[i].Level == 5 && d.Units[i].ValidAt(day) {
			villages = append(villages, int32(i))
		}
	}
	var items []corpusItem
	han := []rune("东南西北中上下新大小前后山水河湖桥林田石花")
	picked := 0
	for picked < 160 {
		v := villages[rng.IntN(len(villages))]
		chain := d.Chain(nil, v, day)
		if len(chain) != 5 && len(chain) != 4 {
			continue
		}
		// Skip names repeated among siblings: no text can tell them apart.
		vu := &d.Units[v]
		dup := false
		for _, s := range d.Children[vu.Parent] {
			if s != v && d.Units[s].ValidAt(day) && spoken(d.Units[s].Name) == spoken(vu.Name) {
				dup = true
			}
		}
		if dup {
			continue
		}
		picked++
		names := make([]string, len(chain))
		for k, c := range chain {
			names[k] = d.Units[c].Name
		}
		n := len(names)
		items = append(items, corpusItem{"full", strings.Join(names, ""), vu.Code})
		// Levels omitted: no province, no county.
		items = append(items, corpusItem{"omitted", names[n-4+1-1+0] + names[n-2] + names[n-1], vu.Code})
		// Suffixes omitted: 丽水莲都紫金天宁社区 style.
		var b strings.Builder
		for k := 1; k < n-1; k++ {
			b.WriteString(shortest(names[k]))
		}
		b.WriteString(spoken(names[n-1]))
		items = append(items, corpusItem{"suffixes", b.String(), vu.Code})
		// Spaces and punctuation, full-width.
		items = append(items, corpusItem{"spaced", strings.Join(names[:n-1], "　") + "，" + spoken(names[n-1]), vu.Code})
		// A typo in the village name (one character replaced), with its township written.
		vr := []rune(spoken(names[n-1]))
		if len(vr) >= 3 {
			k := rng.IntN(len(vr) - 1)
			r := han[rng.IntN(len(han))]
			sibling := false // a typo that writes another real village's name is no typo
			for _, s := range d.Children[vu.Parent] {
				if vr[k] != r && d.Units[s].ValidAt(day) {
					x := append([]rune(nil), vr...)
					x[k] = r
					if b, _ := search.BaseNames(d.Units[s].Name); spoken(d.Units[s].Name) == string(x) || (len(b) > 0 && strings.HasPrefix(string(x), b[len(b)-1])) {
						sibling = true
					}
				}
			}
			if vr[k] != r && !sibling {
				vr[k] = r
				items = append(items, corpusItem{"typo", strings.Join(names[:n-1], "") + string(vr), vu.Code})
			}
		}
	}
	// Old names: the renamed units by the name they had, as of day.
	codes := make([]string, 0, len(renamed))
	for c := range renamed {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		u := d.At(c, day)
		if u < 0 {
			continue
		}
		chain := d.Chain(nil, u, day)
		var b strings.Builder
		for _, x := range chain[:len(chain)-1] {
			b.WriteString(d.Units[x].Name)
		}
		b.WriteString(renamed[c])
		items = append(items, corpusItem{"old_name", b.String(), c})
	}
	// Search: prefectures and counties by Chinese name without suffix, by full pinyin and by
	// pinyin without suffix, where that key names one unit at that level or above.
	count := map[string]int{}
	type keyed struct {
		kind, key string
		u         int32
	}
	var cands []keyed
	for i := range d.Units {
		u := &d.Units[i]
		if !u.ValidAt(day) || u.Level > 3 {
			continue
		}
		py := strings.ReplaceAll(u.Draft, " ", "")
		if u.Pinyin != "" {
			py = search.Compact(search.Normalize(u.Pinyin))
		}
		for _, k := range []keyed{{"search_cn", shortest(u.Name), int32(i)}, {"pinyin", py, int32(i)}} {
			count[k.kind+k.key]++
			cands = append(cands, k)
		}
	}
	for i, k := range cands {
		if count[k.kind+k.key] == 1 && i%7 == 0 {
			items = append(items, corpusItem{k.kind, k.key, d.Units[k.u].Code})
		}
	}
	// Multi-level search queries: county + township, suffixes left out.
	for i := 0; i < 60; i++ {
		v := villages[rng.IntN(len(villages))]
		chain := d.Chain(nil, v, day)
		if len(chain) < 4 {
			continue
		}
		t := chain[len(chain)-2]
		c := chain[len(chain)-3]
		items = append(items, corpusItem{"search_multi", d.Units[c].Name + " " + d.Units[t].Name, d.Units[t].Code})
	}
	return items
}

// TestNationalCorpus: division resolution top-1 accuracy over queries built from the
// national tables (full, levels omitted, suffixes omitted, spaced, typos, old names,
// pinyin, Chinese search, multi-level search). Target ≥ 98 %.
func TestNationalCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the national corpus (665k units) is not run")
	}
	_, st, renamed := national(t)
	day := nationalDay
	items := buildCorpus(st.Data, renamed, day)
	type tally struct{ n, ok int }
	by := map[string]*tally{}
	total, ok := 0, 0
	shown := map[string]int{}
	for _, it := range items {
		var got string
		switch it.kind {
		case "pinyin", "search_cn", "search_multi":
			hits := addr.Search(st.Search, search.Query{Text: it.query, Day: day, Limit: 5})
			if len(hits) > 0 {
				got = hits[0].Code
			}
		default:
			got = addr.Parse(st.Search, it.query, day).Code
		}
		tl := by[it.kind]
		if tl == nil {
			tl = &tally{}
			by[it.kind] = tl
		}
		tl.n++
		total++
		if got == it.want {
			tl.ok++
			ok++
		} else if shown[it.kind] < 4 {
			shown[it.kind]++
			t.Logf("miss [%s] %q → %s, want %s", it.kind, it.query, got, it.want)
		}
	}
	var kinds []string
	for k := range by {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var sum []string
	for _, k := range kinds {
		sum = append(sum, fmt.Sprintf("%s %d/%d", k, by[k].ok, by[k].n))
	}
	acc := float64(ok) / float64(total)
	t.Logf("division resolution top-1: %d/%d = %.2f %% (%s)", ok, total, 100*acc, strings.Join(sum, ", "))
	if total < 500 {
		t.Errorf("corpus has %d items, want at least 500", total)
	}
	if acc < 0.98 {
		t.Errorf("top-1 accuracy %.2f %% below 98 %%", 100*acc)
	}
}

// Named cases on the national table: polyphones with official pinyin, initials, old
// names, repeated names told apart by context.
func TestNationalSearchCases(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the national search cases (665k units) are not run")
	}
	_, st, renamed := national(t)
	day := nationalDay
	top := func(q string, within string) []search.Hit {
		return addr.Search(st.Search, search.Query{Text: q, Day: day, Limit: 10, Within: within})
	}
	has := func(hits []search.Hit, code string) bool {
		for _, h := range hits {
			if h.Code == code {
				return true
			}
		}
		return false
	}
	if h := top("lishui", ""); len(h) == 0 || h[0].Code != "331100000000" || h[0].Match != "pinyin" {
		t.Errorf("lishui: %+v", h)
	}
	if h := top("ls", "33"); !has(h, "331100000000") {
		t.Errorf("ls within 33: no 丽水市 in %+v", h)
	}
	if h := top("yueqing", ""); len(h) == 0 || h[0].Code != "330382000000" {
		t.Errorf("yueqing: %+v", h)
	}
	if h := top("liandu", ""); len(h) == 0 || h[0].Code != "331102000000" {
		t.Errorf("liandu: %+v", h)
	}
	if h := top("丽水", ""); len(h) == 0 || h[0].Code != "331100000000" || len(h[0].Chain) != 2 {
		t.Errorf("丽水: %+v", h)
	}
	if h := top("丽水莲都", ""); len(h) == 0 || h[0].Code != "331102000000" {
		t.Errorf("丽水莲都: %+v", h)
	}
	if h := top("莲都曲", ""); !has(h, "331102000000") { // typo
		t.Errorf("莲都曲: %+v", h)
	}
	if h := top("莲", "3311"); !has(h, "331102000000") { // prefix
		t.Errorf("莲 within 3311: %+v", h)
	}
	if h := top("水市", "33"); !has(h, "331100000000") { // substring
		t.Errorf("水市: %+v", h)
	}
	// Every renamed unit, in code order, by its old name within its county: found, and
	// answered with the new name and what it was called (the new name holds the old one).
	codes := make([]string, 0, len(renamed))
	for code := range renamed {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		old := renamed[code]
		h := top(old, code[:6])
		if !has(h, code) {
			t.Errorf("old name %s (%s): %+v", old, code, h)
			continue
		}
		for _, x := range h {
			if x.Code == code && (x.WasName != old || x.Match != "old_name" || x.Name != "新"+old) {
				t.Errorf("old name %s (%s): hit %+v, want %s with was_name %s", old, code, x, "新"+old, old)
			}
		}
	}
	// 城关镇: dozens nationally; the county written before it decides.
	p := addr.Parse(st.Search, "城关镇", day)
	if p.Readings < 2 || p.Confidence > 0.5 {
		t.Errorf("城关镇 alone: readings %d confidence %v", p.Readings, p.Confidence)
	}
	var cg []string
	for _, i := range st.Search.Lookup("城关镇") {
		if u := st.Search.EntryUnit(i); u >= 0 && st.Data.Units[u].Level == 4 && st.Data.Units[u].ValidAt(day) {
			cg = append(cg, st.Data.Units[u].Code)
		}
	}
	if len(cg) < 10 {
		t.Fatalf("only %d 城关镇", len(cg))
	}
	for _, code := range cg[:10] {
		u := st.Data.At(code, day)
		county := st.Data.Units[st.Data.At(st.Data.Units[u].Parent, day)].Name
		p := addr.Parse(st.Search, county+"城关镇", day)
		if p.Code != code {
			t.Errorf("%s城关镇: %s, want %s", county, p.Code, code)
		}
	}
}
