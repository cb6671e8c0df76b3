// Package boltkv is the kv interface on one bbolt file: a thin wrapper that
// adds nothing but error translation, so that code written against kv runs
// on bbolt as fast as before.
package boltkv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"nudges/store/kv"
)

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("database is locked by another running instance")

// DB is an open bbolt file.
type DB struct{ bolt *bolt.DB }

var _ kv.DB = (*DB)(nil)

// Open opens (creating if needed) the file at path, giving up after a
// second if another process holds it.
func Open(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{bolt: db}, nil
}

// Wrap serves an already open bbolt file through kv.
func Wrap(db *bolt.DB) *DB { return &DB{bolt: db} }

// Bolt is the underlying file.
func (db *DB) Bolt() *bolt.DB { return db.bolt }

// View implements kv.DB.
func (db *DB) View(fn func(kv.Tx) error) error {
	return db.bolt.View(func(t *bolt.Tx) error { return fn(Tx{t}) })
}

// Update implements kv.DB; fn runs exactly once.
func (db *DB) Update(fn func(kv.Tx) error) error {
	return db.bolt.Update(func(t *bolt.Tx) error { return fn(Tx{t}) })
}

// Ping implements kv.DB: a read transaction opens.
func (db *DB) Ping() error { return db.bolt.View(func(*bolt.Tx) error { return nil }) }

// Backup implements kv.DB with bbolt's consistent copy of the file.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(t *bolt.Tx) error {
		var err error
		n, err = t.WriteTo(w)
		return err
	})
	return n, err
}

// Close implements kv.DB.
func (db *DB) Close() error { return db.bolt.Close() }

// Tx is a bbolt transaction seen through kv.
type Tx struct{ tx *bolt.Tx }

var _ kv.Tx = Tx{}

// Bolt is the underlying transaction.
func (t Tx) Bolt() *bolt.Tx { return t.tx }

// Bucket implements kv.Tx.
func (t Tx) Bucket(name []byte) kv.Bucket {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil
	}
	return Bucket{b}
}

// CreateBucketIfNotExists implements kv.Tx.
func (t Tx) CreateBucketIfNotExists(name []byte) (kv.Bucket, error) {
	b, err := t.tx.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", name, translate(err))
	}
	return Bucket{b}, nil
}

// ForEachBucket implements kv.Tx.
func (t Tx) ForEachBucket(fn func(name []byte) error) error {
	return t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error { return fn(name) })
}

// Writable implements kv.Tx.
func (t Tx) Writable() bool { return t.tx.Writable() }

// Fence implements kv.Tx: one file has one writer, who is always the leader.
func (Tx) Fence(kv.Fence) {}

// Bucket is a bbolt bucket seen through kv.
type Bucket struct{ b *bolt.Bucket }

var _ kv.Bucket = Bucket{}

// Get implements kv.Bucket.
func (b Bucket) Get(key []byte) []byte { return b.b.Get(key) }

// Put implements kv.Bucket.
func (b Bucket) Put(key, value []byte) error { return translate(b.b.Put(key, value)) }

// Delete implements kv.Bucket.
func (b Bucket) Delete(key []byte) error { return translate(b.b.Delete(key)) }

// Cursor implements kv.Bucket.
func (b Bucket) Cursor() kv.Cursor { return b.b.Cursor() }

// ForEach implements kv.Bucket.
func (b Bucket) ForEach(fn func(k, v []byte) error) error { return b.b.ForEach(fn) }

// NextSequence implements kv.Bucket.
func (b Bucket) NextSequence() (uint64, error) {
	id, err := b.b.NextSequence()
	return id, translate(err)
}

// Sequence implements kv.Bucket.
func (b Bucket) Sequence() uint64 { return b.b.Sequence() }

// SetSequence implements kv.Bucket.
func (b Bucket) SetSequence(v uint64) error { return translate(b.b.SetSequence(v)) }

// KeyN is how many keys the bucket holds (bbolt's own count, no walk of
// the keys).
func (b Bucket) KeyN() int { return b.b.Stats().KeyN }

// SetFillPercent implements kv.Bucket.
func (b Bucket) SetFillPercent(f float64) { b.b.FillPercent = f }

// translate maps bbolt's errors to kv's, keeping bbolt's in the chain.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w (%w)", kv.ErrTxNotWritable, err)
	case errors.Is(err, berrors.ErrKeyRequired):
		return fmt.Errorf("%w (%w)", kv.ErrKeyRequired, err)
	case errors.Is(err, berrors.ErrKeyTooLarge), errors.Is(err, berrors.ErrValueTooLarge):
		return fmt.Errorf("%w (%w)", kv.ErrTxTooLarge, err)
	}
	return err
}
