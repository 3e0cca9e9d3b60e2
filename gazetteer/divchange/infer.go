// Package divchange carries the yearly republication of the statistical division codes
// (统计用区划代码年度更新) into the gazetteer: it compares the current units with a new
// table, infers what happened to every unit (new, retired, renamed, re-parented, recoded,
// merged, split) and the old → new code mapping, moves the records that hang on a code
// (facilities, roads, house numbers, place names, boundary lines, inspection rounds) along
// one-to-one mappings, lists the others for a person to decide, and keeps the report
// (migration 013), served at /api/divisions/changes as JSON, CSV and XLSX.
package divchange

import (
	"cmp"
	"slices"

	"fangyuan/gazetteer"
)

// Unit is one division of the current gazetteer or of the new table.
type Unit struct {
	Code   string // 12 digits
	Level  gazetteer.Level
	Name   string
	Parent string // 12 digits, "" for a province
}

// Kind is what happened to a unit.
type Kind string

// The change kinds, in report order within a level.
const (
	Recoded    Kind = "recoded"    // the same unit under a new code (old_code → new_code)
	Renamed    Kind = "renamed"    // a new name (same code, or beside recoded)
	Reparented Kind = "reparented" // under a parent that is not the successor of its old one
	Merged     Kind = "merged"     // gone into new_code (ambiguous: one of several candidates)
	Split      Kind = "split"      // part of old_code went to new_code
	Retired    Kind = "retired"    // gone without a successor that could be inferred
	New        Kind = "new"        // a unit that did not exist
)

var kindOrder = map[Kind]int{Recoded: 0, Renamed: 1, Reparented: 2, Merged: 3, Split: 4, Retired: 5, New: 6}

// Change is one row of the change report.
type Change struct {
	Kind      Kind   `json:"kind"`
	Level     int    `json:"level"`
	OldCode   string `json:"old_code,omitempty"`
	NewCode   string `json:"new_code,omitempty"`
	OldName   string `json:"old_name,omitempty"`
	NewName   string `json:"new_name,omitempty"`
	OldParent string `json:"old_parent,omitempty"`
	NewParent string `json:"new_parent,omitempty"`
	Ambiguous bool   `json:"ambiguous,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Undecided is a code whose records cannot follow by themselves.
type Undecided struct {
	Code       string   `json:"code"`
	Candidates []string `json:"candidates"`
	Reason     string   `json:"reason"`
}

// Plan is what a new table changes: the report rows and what the records on a code do.
type Plan struct {
	Changes []Change
	// Moves maps an old code to the one code its records follow (recoded units, units
	// merged into a single target). Sorted by old code.
	Moves [][2]string
	// Recodes are the one-to-one recodes among Moves (the unit keeps its boundary,
	// official pinyin and aliases under the new code).
	Recodes [][2]string
	// Vanished are the current codes the new table no longer lists (to retire).
	Vanished []string
	// Undecided are codes whose records wait for a person, sorted by code.
	Undecided []Undecided
}

// maxCandidates bounds the candidate targets listed for an ambiguous merge; beyond it the
// unit is reported retired and its parent's successor is the only candidate.
const maxCandidates = 8

// Infer compares the current units (old) with the units of a new table (cur), both of the
// same provinces and levels, and infers the changes. The inference, level by level from
// the provinces down:
//
//   - same code: renamed when the name differs, reparented when the parent is not the
//     successor of the old parent;
//   - a vanished code and a new code with the same name are the same unit recoded: first
//     under the successor of the old parent, then (a unit moved to another parent) under
//     the successor of the old grandparent, ties broken by where its siblings went, and
//     for prefectures and counties anywhere in the same province;
//   - a vanished unit whose children went to one unit merged into it (merges by parent:
//     the villages of merged townships), or was recoded when that unit is new and holds
//     only its children; whose children went to several units was split;
//   - a new unit that took children of a unit that is still there split off from it;
//   - a vanished unit without children to follow (villages) merged into the one new or
//     renamed sibling under its parent's successor; with several such siblings the target
//     is ambiguous; with none it is retired.
func Infer(old, cur []Unit) *Plan {
	in := newInference(old, cur)
	for l := gazetteer.Province; l <= gazetteer.Village; l++ {
		in.matchNames(l)
	}
	for l := gazetteer.Township; l >= gazetteer.Province; l-- {
		in.mergeByChildren(l)
	}
	for l := gazetteer.Prefecture; l <= gazetteer.Village; l++ {
		in.mergeChildless(l)
	}
	in.splitOffs()
	return in.plan()
}

type inference struct {
	old, cur       map[string]Unit
	oldKids        map[string][]string // old parent → children (sorted)
	curKids        map[string][]string
	vanished       map[gazetteer.Level][]string // sorted
	appeared       map[gazetteer.Level][]string
	image          map[string]string   // old code → its single successor
	claimed        map[string]string   // new code → the old code recoded to it
	recoded        map[string]string   // old → new, one-to-one
	merged         map[string][]string // old → target(s); several: ambiguous
	split          map[string][]string // vanished old → parts
	splitOff       map[string][]string // persisting old → new units that took children
	retired        map[string]bool
	mergeTarget    map[string]bool // new codes that received merged units
	mergedByParent map[string]bool // merged by the childless rule (note)
	byChildren     map[string]bool // recoded, inferred from where the children went
}

func newInference(old, cur []Unit) *inference {
	in := &inference{
		old: map[string]Unit{}, cur: map[string]Unit{}, oldKids: map[string][]string{}, curKids: map[string][]string{},
		vanished: map[gazetteer.Level][]string{}, appeared: map[gazetteer.Level][]string{},
		image: map[string]string{}, claimed: map[string]string{}, recoded: map[string]string{},
		merged: map[string][]string{}, split: map[string][]string{}, splitOff: map[string][]string{},
		retired: map[string]bool{}, mergeTarget: map[string]bool{}, mergedByParent: map[string]bool{},
		byChildren: map[string]bool{},
	}
	for _, u := range old {
		in.old[u.Code] = u
	}
	for _, u := range cur {
		in.cur[u.Code] = u
	}
	for _, code := range sortedKeys(in.old) {
		u := in.old[code]
		in.oldKids[u.Parent] = append(in.oldKids[u.Parent], code)
		if _, ok := in.cur[code]; ok {
			in.image[code] = code
		} else {
			in.vanished[u.Level] = append(in.vanished[u.Level], code)
		}
	}
	for _, code := range sortedKeys(in.cur) {
		u := in.cur[code]
		in.curKids[u.Parent] = append(in.curKids[u.Parent], code)
		if _, ok := in.old[code]; !ok {
			in.appeared[u.Level] = append(in.appeared[u.Level], code)
		}
	}
	return in
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (in *inference) done(v string) bool {
	_, r := in.recoded[v]
	_, m := in.merged[v]
	_, s := in.split[v]
	return r || m || s || in.retired[v]
}

// succ is the successor of an old code; a code outside the compared units (a parent of
// another scope) is its own.
func (in *inference) succ(code string) string {
	if _, ok := in.old[code]; !ok {
		return code
	}
	return in.image[code]
}

func (in *inference) match(v, a string) {
	in.recoded[v], in.claimed[a], in.image[v] = a, v, a
}

// curGrand is the parent of a new unit's parent ("" when there is none).
func (in *inference) curGrand(code string) string {
	return in.cur[in.cur[code].Parent].Parent
}

func (in *inference) matchNames(l gazetteer.Level) {
	type key struct{ name, ref string }
	byParent, byGrand, byProvince := map[key][]string{}, map[key][]string{}, map[key][]string{}
	for _, a := range in.appeared[l] {
		u := in.cur[a]
		byParent[key{u.Name, u.Parent}] = append(byParent[key{u.Name, u.Parent}], a)
		if g := in.curGrand(a); g != "" {
			byGrand[key{u.Name, g}] = append(byGrand[key{u.Name, g}], a)
		}
		byProvince[key{u.Name, a[:2]}] = append(byProvince[key{u.Name, a[:2]}], a)
	}
	free := func(cands []string) []string {
		var out []string
		for _, c := range cands {
			if _, ok := in.claimed[c]; !ok {
				out = append(out, c)
			}
		}
		return out
	}
	// under the successor of the old parent
	for _, v := range in.vanished[l] {
		u := in.old[v]
		if p := in.succ(u.Parent); p != "" {
			if c := free(byParent[key{u.Name, p}]); len(c) == 1 {
				in.match(v, c[0])
			}
		}
	}
	// moved: under the successor of the old grandparent; the second round breaks ties by
	// the parent most of its siblings went to
	for round := 0; round < 2; round++ {
		for _, v := range in.vanished[l] {
			if in.done(v) {
				continue
			}
			u := in.old[v]
			g := in.succ(in.old[u.Parent].Parent)
			if g == "" {
				continue
			}
			c := free(byGrand[key{u.Name, g}])
			if len(c) > 1 && round == 1 {
				c = in.preferSiblingsParent(v, c)
			}
			if len(c) == 1 {
				in.match(v, c[0])
			}
		}
	}
	// prefectures and counties moved anywhere in their province
	if l == gazetteer.Prefecture || l == gazetteer.County {
		for _, v := range in.vanished[l] {
			if in.done(v) {
				continue
			}
			if c := free(byProvince[key{in.old[v].Name, v[:2]}]); len(c) == 1 {
				in.match(v, c[0])
			}
		}
	}
}

// preferSiblingsParent keeps the candidates under the new parent that most of v's
// recoded siblings went to (none on a tie).
func (in *inference) preferSiblingsParent(v string, cands []string) []string {
	votes := map[string]int{}
	for _, s := range in.oldKids[in.old[v].Parent] {
		if n, ok := in.recoded[s]; ok {
			votes[in.cur[n].Parent]++
		}
	}
	best, bestN, tie := "", 0, false
	for _, p := range sortedKeys(votes) {
		switch n := votes[p]; {
		case n > bestN:
			best, bestN, tie = p, n, false
		case n == bestN:
			tie = true
		}
	}
	if best == "" || tie {
		return nil
	}
	var out []string
	for _, c := range cands {
		if in.cur[c].Parent == best {
			out = append(out, c)
		}
	}
	return out
}

// destinations are the new parents of the successors of v's children.
func (in *inference) destinations(v string) []string {
	set := map[string]bool{}
	for _, c := range in.oldKids[v] {
		if n := in.image[c]; n != "" {
			set[in.cur[n].Parent] = true
		}
	}
	return sortedKeys(set)
}

// origins are the old parents of the units under t that came from the old table.
func (in *inference) origins(t string) []string {
	set := map[string]bool{}
	for _, c := range in.curKids[t] {
		if o, ok := in.claimed[c]; ok {
			set[in.old[o].Parent] = true
		} else if u, ok := in.old[c]; ok {
			set[u.Parent] = true
		}
	}
	return sortedKeys(set)
}

func (in *inference) mergeByChildren(l gazetteer.Level) {
	single := map[string][]string{} // target → vanished units whose children all went there
	var order []string
	for _, v := range in.vanished[l] {
		if in.done(v) {
			continue
		}
		d := in.destinations(v)
		switch {
		case len(d) == 1:
			if _, ok := single[d[0]]; !ok {
				order = append(order, d[0])
			}
			single[d[0]] = append(single[d[0]], v)
		case len(d) > 1:
			in.split[v] = d
		}
	}
	for _, t := range order {
		srcs := single[t]
		_, isOld := in.old[t]
		_, taken := in.claimed[t]
		if len(srcs) == 1 && !isOld && !taken && slices.Equal(in.origins(t), srcs) {
			in.match(srcs[0], t) // the same unit under a new code (and maybe a new name)
			in.byChildren[srcs[0]] = true
			continue
		}
		for _, v := range srcs {
			in.merged[v], in.image[v] = []string{t}, t
			in.mergeTarget[t] = true
		}
	}
}

func (in *inference) mergeChildless(l gazetteer.Level) {
	for _, v := range in.vanished[l] {
		if in.done(v) {
			continue
		}
		p := in.succ(in.old[v].Parent)
		if p == "" {
			in.retired[v] = true
			continue
		}
		var cands []string
		for _, c := range in.curKids[p] {
			if in.cur[c].Level != l {
				continue
			}
			o, wasOld := in.old[c]
			_, isRecode := in.claimed[c]
			if (!wasOld && !isRecode) || (wasOld && o.Name != in.cur[c].Name) {
				cands = append(cands, c) // a new unit, or one renamed this year
			}
		}
		switch {
		case len(cands) == 1:
			in.merged[v], in.image[v] = cands, cands[0]
			in.mergeTarget[cands[0]] = true
			in.mergedByParent[v] = true
		case len(cands) > 1 && len(cands) <= maxCandidates:
			in.merged[v] = cands
			in.mergedByParent[v] = true
		default:
			in.retired[v] = true
		}
	}
}

// splitOffs finds new units that took children of units that are still there.
func (in *inference) splitOffs() {
	for l := gazetteer.Prefecture; l <= gazetteer.Township; l++ {
		for _, y := range in.appeared[l] {
			if _, ok := in.claimed[y]; ok {
				continue
			}
			for _, x := range in.origins(y) {
				if _, persists := in.cur[x]; persists && x != y {
					in.splitOff[x] = append(in.splitOff[x], y)
				}
			}
		}
	}
}

func (in *inference) plan() *Plan {
	p := &Plan{}
	add := func(c Change) { p.Changes = append(p.Changes, c) }
	row := func(k Kind, o, n string) Change {
		c := Change{Kind: k}
		if u, ok := in.old[o]; ok {
			c.Level, c.OldCode, c.OldName, c.OldParent = int(u.Level), o, u.Name, u.Parent
		}
		if u, ok := in.cur[n]; ok {
			c.Level, c.NewCode, c.NewName, c.NewParent = int(u.Level), n, u.Name, u.Parent
		}
		return c
	}
	undecided := map[string]Undecided{}
	for _, o := range sortedKeys(in.old) {
		u := in.old[o]
		if n, ok := in.cur[o]; ok {
			if n.Name != u.Name {
				add(row(Renamed, o, o))
			}
			if u.Level > gazetteer.Province && n.Parent != in.succ(u.Parent) {
				add(row(Reparented, o, o))
			}
			if parts := in.splitOff[o]; len(parts) > 0 {
				for _, y := range parts {
					add(row(Split, o, y))
				}
				undecided[o] = Undecided{Code: o, Candidates: append([]string{o}, parts...), Reason: "split: part of the unit went to a new unit"}
			}
			continue
		}
		p.Vanished = append(p.Vanished, o)
		switch {
		case in.recoded[o] != "":
			n := in.recoded[o]
			c := row(Recoded, o, n)
			if in.byChildren[o] {
				c.Note = "inferred from its children"
			}
			add(c)
			if in.cur[n].Name != u.Name {
				add(row(Renamed, o, n))
			}
			if u.Level > gazetteer.Province && in.cur[n].Parent != in.succ(u.Parent) {
				add(row(Reparented, o, n))
			}
			p.Moves = append(p.Moves, [2]string{o, n})
			p.Recodes = append(p.Recodes, [2]string{o, n})
		case len(in.merged[o]) == 1:
			c := row(Merged, o, in.merged[o][0])
			c.Note = "its children went there"
			if in.mergedByParent[o] {
				c.Note = "the only new or renamed unit under its parent's successor"
			}
			add(c)
			p.Moves = append(p.Moves, [2]string{o, in.merged[o][0]})
		case len(in.merged[o]) > 1:
			for _, t := range in.merged[o] {
				c := row(Merged, o, t)
				c.Ambiguous, c.Note = true, "one of several new or renamed units under its parent's successor"
				add(c)
			}
			undecided[o] = Undecided{Code: o, Candidates: in.merged[o], Reason: "merged: the target is ambiguous"}
		case len(in.split[o]) > 0:
			for _, t := range in.split[o] {
				c := row(Split, o, t)
				c.Ambiguous = true
				add(c)
			}
			undecided[o] = Undecided{Code: o, Candidates: in.split[o], Reason: "split: its children went to several units"}
		default:
			add(row(Retired, o, ""))
			var cands []string
			if s := in.succ(u.Parent); s != "" {
				cands = []string{s}
			}
			undecided[o] = Undecided{Code: o, Candidates: cands, Reason: "retired: no successor could be inferred"}
		}
	}
	for _, n := range sortedKeys(in.cur) {
		if _, wasOld := in.old[n]; wasOld {
			continue
		}
		if _, isRecode := in.claimed[n]; !isRecode {
			add(row(New, "", n))
		}
	}
	for _, c := range sortedKeys(undecided) {
		if undecided[c].Candidates == nil {
			u := undecided[c]
			u.Candidates = []string{}
			undecided[c] = u
		}
		p.Undecided = append(p.Undecided, undecided[c])
	}
	slices.SortStableFunc(p.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(cmp.Or(a.OldCode, a.NewCode), cmp.Or(b.OldCode, b.NewCode)),
			cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), cmp.Compare(a.NewCode, b.NewCode))
	})
	return p
}

// Counts returns the number of report rows of each kind (ambiguous merges and splits
// count once per unit).
func (p *Plan) Counts() map[Kind]int {
	out := map[Kind]int{}
	seen := map[[2]string]bool{}
	for _, c := range p.Changes {
		k := [2]string{string(c.Kind), cmp.Or(c.OldCode, c.NewCode)}
		if seen[k] {
			continue
		}
		seen[k] = true
		out[c.Kind]++
	}
	return out
}
