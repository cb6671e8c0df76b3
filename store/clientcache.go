package store

import (
	"bytes"
	"sync"

	"nudges/bot"
)

// clientCache keeps each client's record as this process last decoded it,
// with the stored bytes it came from. A read whose stored bytes are the
// same gets a copy of that record instead of decoding the JSON again: a
// turn reads the client of every list it touches, and decoding them was
// about a seventh of the turn's work inside the writer (docs/benchmarks.md).
// The bytes decide, so a record changed by any transaction, process or
// migration is decoded afresh; nothing needs invalidating. Records handed
// out are copies (Client.Clone): a caller changing one changes nothing here.
type clientCache struct {
	mu sync.Mutex
	m  map[bot.Phone]cachedClient
}

type cachedClient struct {
	raw []byte
	c   *bot.Client // never handed out
}

// clientCacheMax bounds the cache (a few MB: a record is 1–2 KB stored,
// about as much decoded): past it, it starts again empty.
const clientCacheMax = 4096

// get is a copy of p's record if raw is what it was decoded from.
func (cc *clientCache) get(p bot.Phone, raw []byte) *bot.Client {
	if cc == nil {
		return nil
	}
	cc.mu.Lock()
	e, ok := cc.m[p]
	cc.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return nil
	}
	return e.c.Clone()
}

// put remembers c as decoded from raw (both copied).
func (cc *clientCache) put(p bot.Phone, raw []byte, c *bot.Client) {
	if cc == nil {
		return
	}
	e := cachedClient{raw: bytes.Clone(raw), c: c.Clone()}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil || len(cc.m) >= clientCacheMax {
		cc.m = map[bot.Phone]cachedClient{}
	}
	cc.m[p] = e
}
