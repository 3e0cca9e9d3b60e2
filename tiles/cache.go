package tiles

import (
	"container/list"
	"sync"
)

// Cache stores encoded tiles. Keys carry the change counter of the tables a tile is
// drawn from, so an entry is never served after its data changed; stale entries simply
// age out.
type Cache interface {
	Get(key string) (Tile, bool)
	Set(key string, t Tile)
	Purge()
}

// Tile is an encoded tile: gzip-compressed MVT bytes (nil for an empty tile) and its ETag.
type Tile struct {
	Gzip []byte
	Size int // uncompressed bytes
	ETag string
}

// LRU is a Cache bounded by the bytes it holds; the zero value is not usable, use NewLRU.
type LRU struct {
	mu    sync.Mutex
	max   int
	bytes int
	ll    *list.List
	items map[string]*list.Element
}

type lruEntry struct {
	key  string
	tile Tile
}

// NewLRU returns a cache holding at most maxBytes of compressed tiles.
func NewLRU(maxBytes int) *LRU {
	return &LRU{max: maxBytes, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *LRU) Get(key string) (Tile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry).tile, true
	}
	return Tile{}, false
}

func (c *LRU) Set(key string, t Tile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.bytes -= entrySize(e.Value.(*lruEntry))
		e.Value.(*lruEntry).tile = t
		c.bytes += entrySize(e.Value.(*lruEntry))
		c.ll.MoveToFront(e)
	} else {
		en := &lruEntry{key: key, tile: t}
		c.items[key] = c.ll.PushFront(en)
		c.bytes += entrySize(en)
	}
	for c.bytes > c.max && c.ll.Len() > 0 {
		last := c.ll.Back()
		en := last.Value.(*lruEntry)
		c.ll.Remove(last)
		delete(c.items, en.key)
		c.bytes -= entrySize(en)
	}
}

func (c *LRU) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	c.items = map[string]*list.Element{}
	c.bytes = 0
}

// Len is the number of cached tiles.
func (c *LRU) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

func entrySize(e *lruEntry) int { return len(e.key) + len(e.tile.Gzip) + len(e.tile.ETag) + 64 }
