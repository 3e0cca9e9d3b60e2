package search

// postings maps a key to an ascending list of entries. While an index is built (and in
// the small overlays of updates in place) the lists are slices in a map; freeze then packs
// them into one array, the map holding offset and length: a map slot of 8 bytes instead of
// a 24-byte slice header, and no per-key allocation or append slack. At national size the
// exact-name map holds millions of keys, most of them with a single entry.
type postings[K comparable] struct {
	m    map[K][]int32 // building, or an overlay
	f    map[K]uint64  // frozen: offset<<32 | length into flat
	flat []int32
}

func newPostings[K comparable](n int) postings[K] {
	return postings[K]{m: make(map[K][]int32, n)}
}

// get returns the entries of k (nil when none); the slice must not be written.
func (p *postings[K]) get(k K) []int32 {
	if p.f != nil {
		v, ok := p.f[k]
		if !ok {
			return nil
		}
		off, n := uint32(v>>32), uint32(v)
		return p.flat[off : off+n : off+n]
	}
	return p.m[k]
}

// add appends e to the entries of k unless it is the last one already; only before freeze.
func (p *postings[K]) add(k K, e int32) {
	l := p.m[k]
	if len(l) > 0 && l[len(l)-1] == e {
		return
	}
	p.m[k] = append(l, e)
}

func (p *postings[K]) len() int {
	if p.f != nil {
		return len(p.f)
	}
	return len(p.m)
}

// freeze packs the lists; the postings are read-only afterwards.
func (p *postings[K]) freeze() {
	if p.f != nil {
		return
	}
	total := 0
	for _, l := range p.m {
		total += len(l)
	}
	flat := make([]int32, 0, total)
	f := make(map[K]uint64, len(p.m))
	for k, l := range p.m {
		f[k] = uint64(len(flat))<<32 | uint64(len(l))
		flat = append(flat, l...)
		delete(p.m, k)
	}
	p.m, p.f, p.flat = nil, f, flat
}

// clone returns an unfrozen copy sharing the lists, with room for extra keys (the next
// overlay of an update in place; add appends past the lengths the previous one sees).
func (p *postings[K]) clone(extra int) postings[K] {
	c := postings[K]{m: make(map[K][]int32, len(p.m)+extra)}
	for k, v := range p.m {
		c.m[k] = v
	}
	return c
}
