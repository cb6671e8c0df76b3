package etcdkv

import (
	"slices"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
)

// Pages of keys a cursor fetches: small first (most cursors Seek and read
// one or two keys), doubling up to maxPage.
const firstPage, maxPage = 16, 1000

// cursor merges the bucket's keys at the transaction's revision, fetched a
// page at a time, with the transaction's own writes. It remembers only its
// position, so keys written or deleted while it iterates are seen as bbolt
// sees them.
type cursor struct {
	b     *bucket
	key   string // where it stands, if on
	on    bool
	page  []pair // keys at the revision in [lo, hi), ascending
	lo    string // "": from the bucket's start
	hi    string // "": to the bucket's end
	limit int64
	// within confines the cursor to the keys with this prefix ("": all).
	within string
}

// top is the end of the keys the cursor sees, as a full etcd key.
func (c *cursor) top() string {
	if c.within != "" {
		return end(c.b.base + c.within)
	}
	return end(c.b.base)
}

// visible is whether k (bucket-relative) is in the cursor's view.
func (c *cursor) visible(k string) bool { return strings.HasPrefix(k, c.within) }

type pair struct {
	k   string
	v   []byte
	mod int64 // mod revision
}

var _ kv.Cursor = (*cursor)(nil)

// First implements kv.Cursor.
func (c *cursor) First() ([]byte, []byte) { return c.ge("") }

// Last implements kv.Cursor.
func (c *cursor) Last() ([]byte, []byte) { return c.lt("") }

// Seek implements kv.Cursor.
func (c *cursor) Seek(seek []byte) ([]byte, []byte) { return c.ge(string(seek)) }

// Next implements kv.Cursor.
func (c *cursor) Next() ([]byte, []byte) {
	if !c.on {
		return nil, nil
	}
	return c.ge(c.key + "\x00")
}

// Prev implements kv.Cursor.
func (c *cursor) Prev() ([]byte, []byte) {
	if !c.on {
		return nil, nil
	}
	return c.lt(c.key)
}

// ge lands on the smallest key ≥ s.
func (c *cursor) ge(s string) ([]byte, []byte) {
	s = max(s, c.within)
	for {
		r, rok := c.remoteGE(s)
		o, ook := c.ownGE(s)
		switch {
		case c.b.tx.err != nil || !rok && !ook:
			return c.off()
		case ook && (!rok || o <= r.k):
			if v := c.b.tx.writes[c.b.base+o]; v != nil {
				return c.land(o, *v)
			}
			s = o + "\x00" // deleted in this transaction
		default:
			return c.landRemote(r)
		}
	}
}

// lt lands on the largest key < s ("": the largest key).
func (c *cursor) lt(s string) ([]byte, []byte) {
	if c.within != "" && s != "" && s <= c.within {
		return c.off() // nothing in view below its start
	}
	for {
		r, rok := c.remoteLT(s)
		o, ook := c.ownLT(s)
		switch {
		case c.b.tx.err != nil || !rok && !ook:
			return c.off()
		case ook && (!rok || o >= r.k):
			if v := c.b.tx.writes[c.b.base+o]; v != nil {
				return c.land(o, *v)
			}
			s = o
		default:
			return c.landRemote(r)
		}
	}
}

// landRemote lands on a stored key and records it as read: if another
// transaction deletes or changes it, this one must not commit.
func (c *cursor) landRemote(r pair) ([]byte, []byte) {
	if c.b.tx.writable {
		c.b.tx.reads[c.b.base+r.k] = r.mod
	}
	return c.land(r.k, r.v)
}

func (c *cursor) land(k string, v []byte) ([]byte, []byte) {
	c.key, c.on = k, true
	if v == nil {
		v = []byte{}
	}
	return []byte(k), v
}

func (c *cursor) off() ([]byte, []byte) {
	c.on = false
	return nil, nil
}

// ownGE is the smallest key ≥ s the transaction wrote in this bucket.
func (c *cursor) ownGE(s string) (string, bool) {
	w := c.b.tx.written
	i, _ := slices.BinarySearch(w, c.b.base+s)
	if i < len(w) && strings.HasPrefix(w[i], c.b.base) && c.visible(w[i][len(c.b.base):]) {
		return w[i][len(c.b.base):], true
	}
	return "", false
}

// ownLT is the largest key < s ("": any) the transaction wrote in this bucket.
func (c *cursor) ownLT(s string) (string, bool) {
	w := c.b.tx.written
	bound := c.b.base + s
	if s == "" {
		bound = c.top()
	}
	i, _ := slices.BinarySearch(w, bound)
	if i > 0 && strings.HasPrefix(w[i-1], c.b.base) && c.visible(w[i-1][len(c.b.base):]) {
		return w[i-1][len(c.b.base):], true
	}
	return "", false
}

// remoteGE is the smallest key ≥ s at the revision, fetching pages upward.
func (c *cursor) remoteGE(s string) (pair, bool) {
	for c.b.tx.err == nil {
		if c.lo <= s && (c.hi == "" || s < c.hi) && c.page != nil {
			i := sort.Search(len(c.page), func(i int) bool { return c.page[i].k >= s })
			if i < len(c.page) {
				return c.page[i], true
			}
			if c.hi == "" {
				return pair{}, false
			}
			s = c.hi
		}
		c.fetchUp(s)
	}
	return pair{}, false
}

// remoteLT is the largest key < s ("": any) at the revision, fetching
// pages downward.
func (c *cursor) remoteLT(s string) (pair, bool) {
	for c.b.tx.err == nil {
		covered := c.hi == "" && s == "" || s != "" && c.lo < s && (c.hi == "" || s <= c.hi)
		if covered && c.page != nil {
			i := len(c.page)
			if s != "" {
				i = sort.Search(len(c.page), func(i int) bool { return c.page[i].k >= s })
			}
			if i > 0 {
				return c.page[i-1], true
			}
			if c.lo == "" {
				return pair{}, false
			}
			s = c.lo
		}
		c.fetchDown(s)
	}
	return pair{}, false
}

// fetchUp reads the page of keys from s upward.
func (c *cursor) fetchUp(s string) {
	top := c.top()
	limit := c.grow()
	resp, ok := c.b.tx.page(c.b.base+s, top, limit)
	if !ok {
		resp, ok = c.b.tx.read(c.b.base+s, clientv3.WithRange(top), clientv3.WithLimit(limit))
	}
	if !ok {
		return
	}
	c.page, c.lo, c.hi = c.pairs(resp, false), s, ""
	if resp.More && len(c.page) > 0 {
		c.hi = c.page[len(c.page)-1].k + "\x00"
		top = c.b.base + c.hi
	}
	c.b.tx.readRange(c.b.base+s, top)
}

// fetchDown reads the page of keys below s ("": the bucket's end) downward.
func (c *cursor) fetchDown(s string) {
	top := c.top()
	if s != "" {
		top = c.b.base + s
	}
	resp, ok := c.b.tx.read(c.b.base+c.within, clientv3.WithRange(top), clientv3.WithLimit(c.grow()),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if !ok {
		return
	}
	c.page, c.lo, c.hi = c.pairs(resp, true), "", s
	if resp.More && len(c.page) > 0 {
		c.lo = c.page[0].k
	}
	c.b.tx.readRange(c.b.base+max(c.lo, c.within), top)
}

func (c *cursor) pairs(resp *clientv3.GetResponse, descending bool) []pair {
	out := make([]pair, len(resp.Kvs))
	for i, kvp := range resp.Kvs {
		j := i
		if descending {
			j = len(out) - 1 - i
		}
		out[j] = pair{k: string(kvp.Key[len(c.b.base):]), v: kvp.Value, mod: kvp.ModRevision}
	}
	if out == nil {
		out = []pair{}
	}
	return out
}

func (c *cursor) grow() int64 {
	n := c.limit
	c.limit = min(2*c.limit, maxPage)
	return n
}
