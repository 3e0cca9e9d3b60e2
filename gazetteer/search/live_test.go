package search_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

// world is a gazetteer kept as plain rows (the source of truth of the test): a province,
// a county, 6 townships with square boundaries, 30 villages, roads, house numbers and
// place names. rows() lays them out in the order snapshot.Load reads them.
type world struct {
	units  map[string][]snapshot.Unit // by code
	roads  map[int64]snapshot.Road
	houses map[int64]snapshot.House
	places map[int64]snapshot.Place
}

var syllables = []rune("东南西北中新安平和兴华光明清河山水石桥林园金凤龙")

func nameOf(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(syllables[rng.IntN(len(syllables))])
	}
	return b.String()
}

func mkUnit(code string, level int8, kind, name, parent string, geom orb.MultiPolygon) snapshot.Unit {
	full, ini := gazetteer.DraftPinyin(name)
	u := snapshot.Unit{Code: code, Level: level, Kind: kind, Name: name, Parent: parent, Draft: full, Initials: ini,
		From: day("2020-01-01"), To: snapshot.Forever, Geom: geom, HasGeom: geom != nil}
	if geom != nil {
		u.Center = geom.Bound().Center()
	}
	return u
}

func square(x, y, s float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}}}
}

func newWorld(rng *rand.Rand) *world {
	w := &world{units: map[string][]snapshot.Unit{}, roads: map[int64]snapshot.Road{}, houses: map[int64]snapshot.House{}, places: map[int64]snapshot.Place{}}
	add := func(u snapshot.Unit) { w.units[u.Code] = append(w.units[u.Code], u) }
	add(mkUnit("970000000000", 1, "省", "试验省", "", square(100, 30, 1)))
	add(mkUnit("970100000000", 2, "地级市", "试验市", "970000000000", nil))
	add(mkUnit("970102000000", 3, "区", "试验区", "970100000000", square(100, 30, 0.6)))
	for t := 1; t <= 6; t++ {
		tc := fmt.Sprintf("970102%03d000", t)
		add(mkUnit(tc, 4, "镇", nameOf(rng, 2)+"镇", "970102000000", square(100+float64(t-1)*0.1, 30, 0.1)))
		for v := 1; v <= 5; v++ {
			add(mkUnit(fmt.Sprintf("970102%03d%03d", t, v), 5, "村委会", nameOf(rng, 2)+"村委会", tc, nil))
		}
	}
	id := int64(100)
	for r := 0; r < 12; r++ {
		id++
		w.roads[id] = mkRoad(id, nameOf(rng, 2)+"路", r%6)
		for n := 1; n <= 10; n++ {
			hid := id*100 + int64(n)
			w.houses[hid] = mkHouse(hid, w.roads[id], n)
		}
	}
	for p := 1; p <= 20; p++ {
		w.places[int64(p)] = mkPlace(int64(p), nameOf(rng, 3)+"园", p%6)
	}
	return w
}

func townCode(t int) string { return fmt.Sprintf("970102%03d000", t+1) }

func mkRoad(id int64, name string, town int) snapshot.Road {
	// Every road has a line of its own (two equal lines would tie in reverse geocoding).
	y := 30.001 + float64(id%1000)*0.00031 + float64(id/10000)*0.000137
	x := 100.01 + float64(town)*0.1 + float64(id%7)*0.0013
	full, _ := gazetteer.DraftPinyin(name)
	return snapshot.Road{ID: id, Name: name, Draft: full, AdminCode: townCode(town), Line: orb.LineString{{x, y}, {x + 0.05, y}}, LengthM: 5000}
}

func mkHouse(id int64, r snapshot.Road, n int) snapshot.House {
	return snapshot.House{ID: id, RoadID: r.ID, Number: n, AdminCode: r.AdminCode,
		Point: orb.Point{r.Line[0][0] + float64(n)*0.0004, r.Line[0][1] + 0.0001}, From: day("2020-01-01"), To: snapshot.Forever}
}

func mkPlace(id int64, name string, town int) snapshot.Place {
	full, _ := gazetteer.DraftPinyin(name)
	return snapshot.Place{ID: id, Category: "213", Name: name, Draft: full, AdminCode: townCode(town),
		Point: orb.Point{100.02 + float64(town)*0.1, 30.05 + float64(id)*0.001}, HasPoint: true}
}

func (w *world) data() *snapshot.Data {
	var units []snapshot.Unit
	for _, c := range sortedKeys(w.units) {
		units = append(units, w.units[c]...)
	}
	var roads []snapshot.Road
	for _, id := range sortedKeys(w.roads) {
		roads = append(roads, w.roads[id])
	}
	var houses []snapshot.House
	for _, id := range sortedKeys(w.houses) {
		houses = append(houses, w.houses[id])
	}
	slices.SortStableFunc(houses, func(a, b snapshot.House) int {
		if a.RoadID != b.RoadID {
			return int(a.RoadID - b.RoadID)
		}
		return a.Number - b.Number
	})
	var places []snapshot.Place
	for _, id := range sortedKeys(w.places) {
		places = append(places, w.places[id])
	}
	d := snapshot.NewData(units, roads, houses, places)
	d.IndexIDs()
	return d
}

func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// edit changes the world at random and returns the change as the change log would name it.
func (w *world) edit(rng *rand.Rand, seq int) *snapshot.Changes {
	ch := &snapshot.Changes{Units: map[string][]snapshot.Unit{}, Roads: map[int64]*snapshot.Road{},
		Houses: map[int64]*snapshot.House{}, Places: map[int64]*snapshot.Place{}}
	pick := func(keys []int64) int64 { return keys[rng.IntN(len(keys))] }
	switch rng.IntN(9) {
	case 0: // rename a township or village in place
		codes := sortedKeys(w.units)
		c := codes[3+rng.IntN(len(codes)-3)]
		vs := w.units[c]
		u := vs[len(vs)-1]
		u.Aliases = append(slices.Clone(u.Aliases), u.Name)
		u.Name = nameOf(rng, 2) + map[int8]string{4: "镇", 5: "村委会"}[u.Level]
		u.Draft, u.Initials = gazetteer.DraftPinyin(u.Name)
		vs = append(slices.Clone(vs[:len(vs)-1]), u)
		w.units[c] = vs
		ch.Units[c] = vs
	case 1: // a new version (importer style) of a village
		codes := sortedKeys(w.units)
		c := codes[len(codes)-1-rng.IntN(30)]
		vs := slices.Clone(w.units[c])
		last := vs[len(vs)-1]
		if last.To != snapshot.Forever {
			return ch
		}
		from := day("2024-01-01") + snapshot.Day(seq)
		if from <= last.From {
			return ch
		}
		vs[len(vs)-1].To = from
		nu := last
		nu.From, nu.Name = from, nameOf(rng, 3)+"村委会"
		nu.Draft, nu.Initials = gazetteer.DraftPinyin(nu.Name)
		vs = append(vs, nu)
		w.units[c] = vs
		ch.Units[c] = vs
	case 2: // a new village (its township's importance changes)
		t := rng.IntN(6)
		c := fmt.Sprintf("970102%03d%03d", t+1, 100+seq)
		u := mkUnit(c, 5, "村委会", nameOf(rng, 2)+"村委会", townCode(t), nil)
		w.units[c] = []snapshot.Unit{u}
		ch.Units[c] = w.units[c]
	case 3: // a house number added
		rid := pick(sortedKeys(w.roads))
		id := int64(1_000_000 + seq)
		h := mkHouse(id, w.roads[rid], 11+seq)
		w.houses[id] = h
		ch.Houses[id] = &h
	case 4: // a house number retired
		if len(w.houses) == 0 {
			return ch
		}
		id := pick(sortedKeys(w.houses))
		delete(w.houses, id)
		ch.Houses[id] = nil
	case 5: // a road renamed (its addresses change)
		id := pick(sortedKeys(w.roads))
		r := w.roads[id]
		r.Name = nameOf(rng, 3) + "街"
		r.Draft, _ = gazetteer.DraftPinyin(r.Name)
		w.roads[id] = r
		ch.Roads[id] = &r
	case 6: // a road added
		id := int64(10_000 + seq)
		r := mkRoad(id, nameOf(rng, 2)+"大道", rng.IntN(6))
		w.roads[id] = r
		ch.Roads[id] = &r
	case 7: // a place name renamed
		id := pick(sortedKeys(w.places))
		p := w.places[id]
		p.Aliases = []string{p.Name}
		p.Name = nameOf(rng, 3) + "苑"
		p.Draft, _ = gazetteer.DraftPinyin(p.Name)
		w.places[id] = p
		ch.Places[id] = &p
	case 8: // a place name added and another removed
		id := int64(1000 + seq)
		p := mkPlace(id, nameOf(rng, 2)+"广场", rng.IntN(6))
		w.places[id] = p
		ch.Places[id] = &p
		old := pick(sortedKeys(w.places))
		if old != id {
			delete(w.places, old)
			ch.Places[old] = nil
		}
	}
	return ch
}

func (w *world) queries() []string {
	qs := []string{"试验", "试验区", "shiyan", "sy"}
	for _, vs := range w.units {
		for _, u := range vs {
			qs = append(qs, u.Name, string([]rune(u.Name)[:1]), strings.ReplaceAll(u.Draft, " ", ""), u.Initials)
		}
	}
	for _, r := range w.roads {
		qs = append(qs, r.Name, r.Name+"3号", string([]rune(r.Name)[:1]))
	}
	for _, p := range w.places {
		qs = append(qs, p.Name, string([]rune(p.Name)[:2]))
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

func points() []orb.Point {
	var pts []orb.Point
	for i := 0; i < 200; i++ {
		pts = append(pts, orb.Point{100 + float64(i%20)*0.03, 30 + float64(i/20)*0.011})
	}
	return pts
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestApplyEqualsRebuild applies 300 random edits one by one to search and reverse
// indexes in place and compares every answer, after every edit, with indexes built afresh
// over the same rows (the world, kept as plain rows by the test).
func TestApplyEqualsRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 14))
	w := newWorld(rng)
	d := w.data()
	sx, lx := search.New(d), locate.New(d)
	days := []snapshot.Day{day("2023-01-01"), day("2026-12-01")}
	pts := points()
	for seq := 0; seq < 300; seq++ {
		ch := w.edit(rng, seq)
		if ch.Empty() {
			continue
		}
		nd, dl := d.Apply(ch)
		sx, lx, d = sx.Apply(nd, dl), lx.Apply(nd, dl), nd
		fd := w.data()
		fs, fl := search.New(fd), locate.New(fd)
		if seq%10 != 0 && seq < 290 {
			continue // compare every answer after every tenth edit (and the last ones)
		}
		for _, q := range w.queries() {
			for _, dy := range days {
				a := jsonOf(sx.Search(search.Query{Text: q, Day: dy, Limit: 10}))
				b := jsonOf(fs.Search(search.Query{Text: q, Day: dy, Limit: 10}))
				if a != b {
					t.Fatalf("after edit %d, search %q on %s:\nupdated %s\nrebuilt %s", seq, q, dy, a, b)
				}
			}
		}
		for _, p := range pts {
			if a, b := jsonOf(lx.Reverse(p, days[1])), jsonOf(fl.Reverse(p, days[1])); a != b {
				t.Fatalf("after edit %d, reverse %v:\nupdated %s\nrebuilt %s", seq, p, a, b)
			}
		}
		for _, id := range sortedKeys(w.roads) {
			ri, _ := d.RoadIndex(id)
			fi, _ := fd.RoadIndex(id)
			for _, n := range []int{2, 5, 13} {
				if a, b := jsonOf(lx.PlaceNumber(ri, n, "", days[1])), jsonOf(fl.PlaceNumber(fi, n, "", days[1])); a != b {
					// House slots differ between the two; compare the points and precision.
					var x, y locate.Placement
					_ = json.Unmarshal([]byte(a), &x)
					_ = json.Unmarshal([]byte(b), &y)
					if x.Point != y.Point || x.Precision != y.Precision {
						t.Fatalf("after edit %d, number %d on road %d:\nupdated %s\nrebuilt %s", seq, n, id, a, b)
					}
				}
			}
		}
		u, r, h, p := d.Counts()
		if u != len(fd.Units) || r != len(fd.Roads) || h != len(fd.Houses) || p != len(fd.Places) {
			t.Fatalf("after edit %d: counts %d %d %d %d, rebuilt %d %d %d %d", seq, u, r, h, p, len(fd.Units), len(fd.Roads), len(fd.Houses), len(fd.Places))
		}
	}
	if d.Updated() < 200 {
		t.Fatalf("only %d rows changed", d.Updated())
	}
}

// TestApplyConcurrentReaders: readers query an index while successors are made from it
// and published (run with -race): an index is never written once published.
func TestApplyConcurrentReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := newWorld(rng)
	d := w.data()
	type state struct {
		s *search.Index
		l *locate.Index
	}
	var mu sync.RWMutex // guards only the pointer to the current state, as atomic.Pointer would
	cur := state{search.New(d), locate.New(d)}
	qs := w.queries()
	pts := points()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.RLock()
				st := cur
				mu.RUnlock()
				_ = st.s.Search(search.Query{Text: qs[i%len(qs)], Day: day("2026-12-01"), Limit: 10})
				_ = st.l.Reverse(pts[i%len(pts)], day("2026-12-01"))
			}
		}()
	}
	for seq := 0; seq < 200; seq++ {
		ch := w.edit(rng, seq)
		if ch.Empty() {
			continue
		}
		nd, dl := d.Apply(ch)
		next := state{cur.s.Apply(nd, dl), cur.l.Apply(nd, dl)}
		d = nd
		mu.Lock()
		cur = next
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
}
