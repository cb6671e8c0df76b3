package etcdkv_test

import (
	"strings"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// A prefix cursor sees only its prefix's keys, stored or written by its own
// transaction, in both directions; and a commit after walking it does not
// conflict with a write just past the prefix, which a plain cursor's page
// would have read.
func TestPrefixCursor(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	db, other := handle(t, m, "/pc/"), handle(t, m, "/pc/")
	name := []byte("b")
	put := func(db kv.DB, keys ...string) {
		t.Helper()
		err := db.Update(func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(name)
			for _, k := range keys {
				if err == nil {
					err = b.Put([]byte(k), []byte("v"))
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(db, "a\x00x", "b\x00x", "b\x00z", "c\x00x", "c\x00y")
	walk := func(c kv.Cursor, back bool) string {
		var got []string
		k, _ := c.First()
		if back {
			k, _ = c.Last()
		}
		for ; k != nil; k, _ = map[bool]func() ([]byte, []byte){false: c.Next, true: c.Prev}[back]() {
			got = append(got, string(k))
		}
		return strings.ReplaceAll(strings.Join(got, ","), "\x00", "/")
	}
	runs := 0
	err := db.Update(func(tx kv.Tx) error {
		runs++
		b := tx.Bucket(name)
		if err := b.Put([]byte("b\x00y"), []byte("own")); err != nil {
			return err
		}
		c := b.(kv.PrefixCursorer).PrefixCursor([]byte("b\x00"))
		if got := walk(c, false); got != "b/x,b/y,b/z" {
			t.Errorf("forward %q", got)
		}
		if got := walk(c, true); got != "b/z,b/y,b/x" {
			t.Errorf("backward %q", got)
		}
		if k, _ := c.Seek([]byte("a")); string(k) != "b\x00x" {
			t.Errorf("seek below the prefix landed on %q", k)
		}
		if runs == 1 {
			put(other, "c\x00a") // past the prefix: no conflict
		}
		return nil
	})
	if err != nil || runs != 1 {
		t.Fatalf("update: %v after %d runs, want one", err, runs)
	}
	runs = 0
	err = db.Update(func(tx kv.Tx) error {
		runs++
		b := tx.Bucket(name)
		walk(b.(kv.PrefixCursorer).PrefixCursor([]byte("b\x00")), false)
		if runs == 1 {
			put(other, "b\x00w") // inside the prefix: a conflict
		}
		return b.Put([]byte("b\x00q"), nil)
	})
	if err != nil || runs != 2 {
		t.Fatalf("update: %v after %d runs, want two (an insert in the prefix)", err, runs)
	}
}
