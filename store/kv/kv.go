// Package kv is the small key-value surface Nudges' store is written
// against: named buckets of byte keys in byte order, read and read-write
// transactions, cursors and sequences. It is exactly the part of bbolt the
// repositories use, so that the same repositories can run on one bbolt file
// (package kv/boltkv) or on an etcd cluster (package kv/etcdkv).
package kv

import (
	"errors"
	"io"
)

// DB is an open store.
type DB interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction, committed if fn returns
	// nil. On etcd fn may run more than once (when another process wrote
	// what it read), so it must have no effect outside the transaction.
	Update(fn func(Tx) error) error
	// Ping checks that the store can serve a transaction now (on etcd: that
	// the cluster has a quorum).
	Ping() error
	// Backup writes a consistent snapshot of the whole store to w.
	Backup(w io.Writer) (int64, error)
	// Close releases the store.
	Close() error
}

// Tx is one transaction.
type Tx interface {
	// Bucket is the named bucket, or nil if it was never created.
	Bucket(name []byte) Bucket
	// CreateBucketIfNotExists makes the named bucket (write transactions only).
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// ForEachBucket calls fn with every bucket's name, in byte order.
	ForEachBucket(fn func(name []byte) error) error
	// Writable is true in an Update.
	Writable() bool
	// Fence makes the transaction commit only while f holds (a leader's
	// term, see package store/leader); a zero Fence is no condition. A
	// commit refused by its fence fails with ErrFenced and is not retried.
	Fence(f Fence)
}

// Bucket is a set of keys in byte order. Values returned are valid only
// inside the transaction: copy them to keep them.
type Bucket interface {
	// Get is the key's value, nil if there is none.
	Get(key []byte) []byte
	// Put sets the key's value.
	Put(key, value []byte) error
	// Delete removes the key; deleting a missing key is not an error.
	Delete(key []byte) error
	// Cursor iterates over the bucket's keys in byte order.
	Cursor() Cursor
	// ForEach calls fn for every key in byte order, stopping at its first error.
	ForEach(fn func(k, v []byte) error) error
	// NextSequence returns a new id for the bucket. On bbolt ids are
	// consecutive and roll back with the transaction; on etcd each process
	// takes ids from its own reserved block, so ids are unique and
	// increasing per process but not gap-free nor ordered across processes.
	NextSequence() (uint64, error)
	// Sequence is the highest id handed out (or reserved) so far.
	Sequence() uint64
	// SetSequence sets the highest id handed out (for migrations).
	SetSequence(v uint64) error
	// SetFillPercent tells bbolt how full to pack pages for keys appended
	// in order (1 for append-only buckets); other engines ignore it.
	SetFillPercent(f float64)
}

// Cursor walks a bucket. Every move returns the key and value it lands on,
// or nil, nil past either end. Keys written or deleted in the same
// transaction are seen.
type Cursor interface {
	// First moves to the smallest key.
	First() (k, v []byte)
	// Last moves to the largest key.
	Last() (k, v []byte)
	// Seek moves to the smallest key ≥ seek.
	Seek(seek []byte) (k, v []byte)
	// Next moves to the next larger key.
	Next() (k, v []byte)
	// Prev moves to the next smaller key.
	Prev() (k, v []byte)
}

// PrefixCursorer is a Bucket whose cursor can be confined to the keys that
// start with a prefix. On etcd the commit's conflict check then covers that
// prefix only, not the keys after it that a page of a plain cursor read.
type PrefixCursorer interface {
	// PrefixCursor walks only the keys that start with prefix.
	PrefixCursor(prefix []byte) Cursor
}

// Prefetcher is a Tx that can read several keys in one request. A
// transaction that knows what it will read asks for it first; on etcd that
// is one round trip instead of one per key. What it prefetched but never
// reads is not part of what the transaction read (it adds no conflict).
type Prefetcher interface {
	// Prefetch reads the keys, and the first keys of the prefixes, now.
	// Later Gets of those keys and PrefixCursors over those prefixes are
	// served from it. Failures are the later reads' own.
	Prefetch(reads ...Read)
}

// Read is one key (or, with Prefix, the keys that start with Key) of a
// bucket, for Prefetch.
type Read struct {
	Bucket, Key []byte
	Prefix      bool
}

// Fence is a condition on an etcd key: its create revision must still be
// Rev (the election key of a leader's term). A zero Fence is no condition.
type Fence struct {
	Key []byte
	Rev int64
}

// Errors shared by the engines.
var (
	// ErrTxNotWritable is a write in a View.
	ErrTxNotWritable = errors.New("kv: write in a read-only transaction")
	// ErrKeyRequired is a Put with an empty key.
	ErrKeyRequired = errors.New("kv: key required")
	// ErrTxTooLarge is a transaction beyond the engine's limits (on etcd:
	// its operations per transaction or its request size). Chunk the work.
	ErrTxTooLarge = errors.New("kv: transaction too large")
	// ErrConflict is an Update that kept conflicting with other writers
	// after all its retries.
	ErrConflict = errors.New("kv: transaction kept conflicting with other writers")
	// ErrFenced is a fenced commit whose fence no longer holds (a deposed
	// leader's write).
	ErrFenced = errors.New("kv: fence no longer holds (leadership lost)")
)
