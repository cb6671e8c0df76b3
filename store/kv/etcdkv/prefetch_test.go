package etcdkv_test

import (
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// Prefetched keys and prefixes read what plain reads would (the
// transaction's own writes first), in one request; a prefetched key the
// transaction never reads does not make it conflict, one it reads does,
// and so does an insert into a prefetched prefix it walked.
func TestPrefetch(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	db, other := handle(t, m, "/pf/"), handle(t, m, "/pf/")
	counter := &countKV{KV: db.Client().KV}
	db.Client().KV = counter
	name := []byte("b")
	put := func(db kv.DB, k, v string) {
		t.Helper()
		err := db.Update(func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(name)
			if err == nil {
				err = b.Put([]byte(k), []byte(v))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"a", "p\x001", "p\x002", "q", "z"} {
		put(db, k, "v"+k)
	}
	all := []kv.Read{{Bucket: name, Key: []byte("a")}, {Bucket: name, Key: []byte("missing")},
		{Bucket: name, Key: []byte("q")}, {Bucket: name, Key: []byte("z")},
		{Bucket: name, Key: []byte("p\x00"), Prefix: true}}
	runs := 0
	err := db.Update(func(tx kv.Tx) error {
		runs++
		b := tx.Bucket(name)
		if err := b.Put([]byte("q"), []byte("own")); err != nil {
			return err
		}
		before := counter.gets.Load() + counter.txns.Load()
		tx.(kv.Prefetcher).Prefetch(all...)
		got := map[string]string{}
		for _, k := range []string{"a", "missing", "q"} {
			got[k] = string(b.Get([]byte(k)))
		}
		c := b.(kv.PrefixCursorer).PrefixCursor([]byte("p\x00"))
		for k, v := c.First(); k != nil; k, v = c.Next() {
			got[string(k)] = string(v)
		}
		if n := counter.gets.Load() + counter.txns.Load() - before; n != 1 {
			t.Errorf("%d requests for the prefetch and the reads, want 1", n)
		}
		want := map[string]string{"a": "va", "missing": "", "q": "own", "p\x001": "vp\x001", "p\x002": "vp\x002"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q = %q, want %q", k, got[k], v)
			}
		}
		if runs == 1 {
			put(other, "z", "changed") // prefetched, never read: no conflict
		}
		return b.Put([]byte("w"), []byte("1"))
	})
	if err != nil || runs != 1 {
		t.Fatalf("update: %v after %d runs, want one", err, runs)
	}
	for _, change := range []struct{ k, v string }{{"a", "changed"}, {"p\x001x", "inserted"}} {
		runs = 0
		err = db.Update(func(tx kv.Tx) error {
			runs++
			tx.(kv.Prefetcher).Prefetch(all...)
			b := tx.Bucket(name)
			b.Get([]byte("a"))
			c := b.(kv.PrefixCursorer).PrefixCursor([]byte("p\x00"))
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
			}
			if runs == 1 {
				put(other, change.k, change.v)
			}
			return b.Put([]byte("w"), []byte("2"))
		})
		if err != nil || runs != 2 {
			t.Fatalf("after a write to %q: %v after %d runs, want two (a conflict)", change.k, err, runs)
		}
	}
}
