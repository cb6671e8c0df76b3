package kvtest

import (
	"bytes"
	"errors"
	"testing"

	"nudges/store/kv"
)

func testGetPutDelete(t *testing.T, e Engine) {
	db := e.Open(t)
	update(t, db, func(b kv.Bucket) error {
		if err := b.Put([]byte("a"), []byte("1")); err != nil {
			return err
		}
		if err := b.Put([]byte("empty"), []byte{}); err != nil {
			return err
		}
		eqBytes(t, "own write", b.Get([]byte("a")), []byte("1"))
		return b.Put([]byte("gone"), []byte("x"))
	})
	update(t, db, func(b kv.Bucket) error {
		if err := b.Put([]byte("a"), []byte("2")); err != nil {
			return err
		}
		if err := b.Delete([]byte("missing")); err != nil {
			t.Errorf("delete of a missing key: %v", err)
		}
		if err := b.Put(nil, []byte("v")); !errors.Is(err, kv.ErrKeyRequired) {
			t.Errorf("put of an empty key = %v, want ErrKeyRequired", err)
		}
		return b.Delete([]byte("gone"))
	})
	view(t, db, func(b kv.Bucket) {
		eqBytes(t, "overwritten", b.Get([]byte("a")), []byte("2"))
		eqBytes(t, "empty value", b.Get([]byte("empty")), []byte{})
		eqBytes(t, "deleted", b.Get([]byte("gone")), nil)
		eqBytes(t, "never written", b.Get([]byte("nope")), nil)
		if err := b.Put([]byte("a"), []byte("3")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("put in a view = %v, want ErrTxNotWritable", err)
		}
		if err := b.Delete([]byte("a")); !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("delete in a view = %v, want ErrTxNotWritable", err)
		}
	})
}

func testBuckets(t *testing.T, e Engine) {
	db := e.Open(t)
	names := []string{"zeta", "a/b", "with space", "alpha", ".dot", "%25"}
	err := db.Update(func(tx kv.Tx) error {
		if !tx.Writable() {
			t.Error("update not writable")
		}
		for _, n := range names {
			b, err := tx.CreateBucketIfNotExists([]byte(n))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("k"), []byte(n)); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucketIfNotExists([]byte("alpha")) // twice is fine
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx kv.Tx) error {
		if tx.Writable() {
			t.Error("view writable")
		}
		if tx.Bucket([]byte("never")) != nil {
			t.Error("a bucket never created is not nil")
		}
		if _, err := tx.CreateBucketIfNotExists([]byte("new")); err == nil {
			t.Error("bucket created in a view")
		}
		var got []string
		if err := tx.ForEachBucket(func(n []byte) error { got = append(got, string(n)); return nil }); err != nil {
			return err
		}
		equal(t, "buckets", got, []string{"%25", ".dot", "a/b", "alpha", "with space", "zeta"})
		for _, n := range names { // no bucket sees another's keys
			var vals []string
			tx.Bucket([]byte(n)).ForEach(func(_, v []byte) error { vals = append(vals, string(v)); return nil })
			equal(t, "bucket "+n, vals, []string{n})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRollback(t *testing.T, e Engine) {
	db := e.Open(t)
	putAll(t, db, [][]byte{[]byte("kept")})
	boom := errors.New("boom")
	err := db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(bk)
		b.Put([]byte("new"), []byte("x"))
		b.Delete([]byte("kept"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update = %v, want fn's error", err)
	}
	view(t, db, func(b kv.Bucket) {
		eqBytes(t, "rolled-back put", b.Get([]byte("new")), nil)
		eqBytes(t, "rolled-back delete", b.Get([]byte("kept")), []byte("kept"))
	})
}

func testLargeValue(t *testing.T, e Engine) {
	db := e.Open(t)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	update(t, db, func(b kv.Bucket) error { return b.Put([]byte("big"), big) })
	view(t, db, func(b kv.Bucket) { eqBytes(t, "1 MiB value", b.Get([]byte("big")), big) })
}

// testLimits: a transaction beyond the engine's limits fails with
// ErrTxTooLarge and writes nothing; one just inside them commits.
func testLimits(t *testing.T, e Engine) {
	if e.MaxTxnOps == 0 {
		t.Skip("no transaction limits")
	}
	db := e.Open(t)
	write := func(n int) error {
		return db.Update(func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bk)
			for i := 0; i < n && err == nil; i++ {
				err = b.Put(key(i), []byte("v"))
			}
			return err
		})
	}
	if err := write(e.MaxTxnOps + 1); !errors.Is(err, kv.ErrTxTooLarge) {
		t.Fatalf("%d writes = %v, want ErrTxTooLarge", e.MaxTxnOps+1, err)
	}
	if err := db.View(func(tx kv.Tx) error {
		if tx.Bucket(bk) != nil {
			t.Error("a refused transaction created its bucket")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := write(e.MaxTxnOps - 1); err != nil { // one op left for the bucket
		t.Fatalf("%d writes: %v", e.MaxTxnOps-1, err)
	}
	err := db.Update(func(tx kv.Tx) error {
		return tx.Bucket(bk).Put([]byte("huge"), make([]byte, e.MaxValue+1))
	})
	if !errors.Is(err, kv.ErrTxTooLarge) {
		t.Fatalf("a %d-byte value = %v, want ErrTxTooLarge", e.MaxValue+1, err)
	}
}

// testPingBackup: a live store pings, and a backup writes as many bytes as
// it reports, holding the data written.
func testPingBackup(t *testing.T, e Engine) {
	db := e.Open(t)
	putAll(t, db, [][]byte{[]byte("backed-up-key-0123456789")})
	if err := db.Ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup reported %d bytes, wrote %d", n, buf.Len())
	}
	if !bytes.Contains(buf.Bytes(), []byte("backed-up-key-0123456789")) {
		t.Error("the backup lacks the key written")
	}
}
