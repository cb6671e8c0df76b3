package store

import (
	"fmt"
	"path/filepath"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
)

// capped is a bbolt engine that fails, as etcd does past max-txn-ops, a
// write transaction visiting (reading or writing) more than n keys.
type capped struct {
	*boltkv.DB
	n int
}

func (c *capped) MaxTxnOps() int { return c.n }

func (c *capped) Update(fn func(kv.Tx) error) error {
	return c.DB.Update(func(tx kv.Tx) error {
		ct := &cappedTx{Tx: tx, seen: map[string]bool{}}
		if err := fn(ct); err != nil {
			return err
		}
		if len(ct.seen) > c.n {
			return fmt.Errorf("%w: %d keys visited, the limit is %d", kv.ErrTxTooLarge, len(ct.seen), c.n)
		}
		return nil
	})
}

type cappedTx struct {
	kv.Tx
	seen map[string]bool
}

func (t *cappedTx) Bucket(name []byte) kv.Bucket {
	return &cappedBucket{Bucket: t.Tx.Bucket(name), tx: t, name: string(name)}
}

func (t *cappedTx) CreateBucketIfNotExists(name []byte) (kv.Bucket, error) {
	b, err := t.Tx.CreateBucketIfNotExists(name)
	return &cappedBucket{Bucket: b, tx: t, name: string(name)}, err
}

type cappedBucket struct {
	kv.Bucket
	tx   *cappedTx
	name string
}

func (b *cappedBucket) visit(k []byte) {
	if k != nil {
		b.tx.seen[b.name+"\x00"+string(k)] = true
	}
}

func (b *cappedBucket) Get(k []byte) []byte   { b.visit(k); return b.Bucket.Get(k) }
func (b *cappedBucket) Put(k, v []byte) error { b.visit(k); return b.Bucket.Put(k, v) }
func (b *cappedBucket) Delete(k []byte) error { b.visit(k); return b.Bucket.Delete(k) }
func (b *cappedBucket) Cursor() kv.Cursor     { return &cappedCursor{Cursor: b.Bucket.Cursor(), b: b} }
func (b *cappedBucket) ForEach(fn func(k, v []byte) error) error {
	return b.Bucket.ForEach(func(k, v []byte) error { b.visit(k); return fn(k, v) })
}

type cappedCursor struct {
	kv.Cursor
	b *cappedBucket
}

func (c *cappedCursor) land(k, v []byte) ([]byte, []byte) { c.b.visit(k); return k, v }
func (c *cappedCursor) First() ([]byte, []byte)           { return c.land(c.Cursor.First()) }
func (c *cappedCursor) Last() ([]byte, []byte)            { return c.land(c.Cursor.Last()) }
func (c *cappedCursor) Next() ([]byte, []byte)            { return c.land(c.Cursor.Next()) }
func (c *cappedCursor) Prev() ([]byte, []byte)            { return c.land(c.Cursor.Prev()) }
func (c *cappedCursor) Seek(s []byte) ([]byte, []byte)    { return c.land(c.Cursor.Seek(s)) }

// openCapped opens a store whose write transactions may visit only n keys;
// setting the engine's n higher lets a test fill it in one go.
func openCapped(t *testing.T, n int) (*DB, *capped) {
	t.Helper()
	k, err := boltkv.Open(filepath.Join(t.TempDir(), "capped.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := &capped{DB: k, n: n}
	db, err := OpenKV(c)
	if err != nil {
		k.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}
