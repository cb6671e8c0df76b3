package kvtest

import (
	"slices"
	"testing"

	"nudges/store/kv"
)

// odd keys: byte order, not string or number order.
var oddKeys = [][]byte{
	{0x00}, {0x00, 0x00}, {0x01}, []byte("A"), []byte("a"), []byte("a\x00"), []byte("a\x00b"),
	[]byte("ab"), []byte("b"), []byte("z"), {0x7f}, {0x80}, {0xfe, 0xff}, {0xff}, {0xff, 0xff, 0xff},
	[]byte("+15550001111"), []byte("+15550001111\x00YOGA"), []byte("/"), []byte("%"),
}

func testCursorOrder(t *testing.T, e Engine) {
	db := e.Open(t)
	putAll(t, db, shuffled(oddKeys))
	want := sortedStrings(oddKeys)
	view(t, db, func(b kv.Bucket) {
		equal(t, "First/Next", forward(b.Cursor()), want)
		equal(t, "Last/Prev", backward(b.Cursor()), reversed(want))
		var each []string
		b.ForEach(func(k, v []byte) error {
			if string(k) != string(v) {
				t.Errorf("ForEach %q has value %q", k, v)
			}
			each = append(each, string(k))
			return nil
		})
		equal(t, "ForEach", each, want)
		testSeek(t, b.Cursor())
	})
	testEmptyBucket(t, db)
}

// testSeek: Seek lands on the key or the next one; Prev and Next stop at
// the ends.
func testSeek(t *testing.T, c kv.Cursor) {
	t.Helper()
	seeks := []struct{ seek, want string }{
		{"a", "a"},           // exact
		{"a\x00a", "a\x00b"}, // missing: the next key
		{"aa", "ab"},
		{"", "\x00"},             // before everything
		{"\xff\xff\xff\xff", ""}, // past the end
		{"+15550001111\x00", "+15550001111\x00YOGA"}, // prefix scan start
	}
	for _, s := range seeks {
		k, _ := c.Seek([]byte(s.seek))
		if string(k) != s.want || (k == nil) != (s.want == "") {
			t.Errorf("Seek(%q) = %q, want %q", s.seek, k, s.want)
		}
	}
	c.Seek([]byte("aa"))
	if k, _ := c.Prev(); string(k) != "a\x00b" {
		t.Errorf("Prev after Seek(aa) = %q, want a\\x00b", k)
	}
	c.First()
	if k, _ := c.Prev(); k != nil {
		t.Errorf("Prev before the first key = %q, want nil", k)
	}
	c.Last()
	if k, _ := c.Next(); k != nil {
		t.Errorf("Next after the last key = %q, want nil", k)
	}
	if k, _ := c.Last(); string(k) != "\xff\xff\xff" {
		t.Errorf("Last = %q", k)
	}
	if k, _ := c.Prev(); string(k) != "\xff" {
		t.Errorf("Prev from the end = %q, want \\xff", k)
	}
}

func testEmptyBucket(t *testing.T, db kv.DB) {
	err := db.Update(func(tx kv.Tx) error { // an empty bucket
		b, err := tx.CreateBucketIfNotExists([]byte("empty"))
		if err != nil {
			return err
		}
		c := b.Cursor()
		for what, k := range map[string][]byte{"First": first(c.First()), "Last": first(c.Last()), "Seek": first(c.Seek([]byte("a")))} {
			if k != nil {
				t.Errorf("%s in an empty bucket = %q", what, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func first(k, _ []byte) []byte { return k }

// testCursorPaging walks more keys than a page, both ways, and from the
// middle.
func testCursorPaging(t *testing.T, e Engine) {
	db := e.Open(t)
	const n = 2600
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = key(i)
	}
	putAll(t, db, shuffled(keys))
	want := sortedStrings(keys)
	view(t, db, func(b kv.Bucket) {
		equal(t, "forward", forward(b.Cursor()), want)
		equal(t, "backward", backward(b.Cursor()), reversed(want))
		c := b.Cursor()
		var got []string
		for k, _ := c.Seek(key(1500)); k != nil && len(got) < 1200; k, _ = c.Next() {
			got = append(got, string(k))
		}
		equal(t, "from the middle up", got, want[1500:2600])
		got = got[:0]
		for k, _ := c.Seek(key(1500)); k != nil; k, _ = c.Prev() {
			got = append(got, string(k))
		}
		equal(t, "from the middle down", got, reversed(want[:1501]))
	})
}

// testOwnWrites: a cursor in an Update sees the transaction's own puts and
// deletes merged into the stored keys, both ways.
func testOwnWrites(t *testing.T, e Engine) {
	db := e.Open(t)
	putAll(t, db, [][]byte{[]byte("b"), []byte("d"), []byte("f"), []byte("h")})
	update(t, db, func(b kv.Bucket) error {
		for _, k := range []string{"a", "e", "i", "d2"} {
			b.Put([]byte(k), []byte("new"))
		}
		b.Delete([]byte("d"))
		b.Delete([]byte("h"))
		b.Put([]byte("f"), []byte("changed"))
		want := []string{"a", "b", "d2", "e", "f", "i"}
		equal(t, "forward", forward(b.Cursor()), want)
		equal(t, "backward", backward(b.Cursor()), reversed(want))
		c := b.Cursor()
		if k, _ := c.Seek([]byte("d")); string(k) != "d2" {
			t.Errorf("Seek to a key deleted in the transaction = %q, want d2", k)
		}
		if k, v := c.Seek([]byte("f")); string(k) != "f" || string(v) != "changed" {
			t.Errorf("Seek(f) = %q %q, want the new value", k, v)
		}
		if k, _ := c.Seek([]byte("g")); string(k) != "i" {
			t.Errorf("Seek(g) = %q, want i (h deleted)", k)
		}
		eqBytes(t, "Get of an own delete", b.Get([]byte("d")), nil)
		return nil
	})
	view(t, db, func(b kv.Bucket) {
		equal(t, "committed", forward(b.Cursor()), []string{"a", "b", "d2", "e", "f", "i"})
	})
}

// testDeleteWhileIterating: deleting the key a cursor stands on, then
// Next, goes on to the following key (no key skipped, none twice).
func testDeleteWhileIterating(t *testing.T, e Engine) {
	db := e.Open(t)
	keys := make([][]byte, 300)
	for i := range keys {
		keys[i] = key(i)
	}
	putAll(t, db, keys)
	var kept []string
	update(t, db, func(b kv.Bucket) error {
		var seen []string
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			seen = append(seen, string(k))
			if len(seen)%3 != 0 {
				if err := b.Delete(slices.Clone(k)); err != nil {
					return err
				}
			} else {
				kept = append(kept, string(k))
			}
		}
		equal(t, "keys visited while deleting", seen, sortedStrings(keys))
		return nil
	})
	view(t, db, func(b kv.Bucket) { equal(t, "left after deleting", forward(b.Cursor()), kept) })
}
