package kv

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Counts is the number of keys in each bucket.
type Counts map[string]int

// CopyLimits bound each write transaction of Copy.
type CopyLimits struct {
	Keys  int // keys per transaction, 100 (etcd allows 128 operations by default)
	Bytes int // bytes of keys and values per transaction, 1 MiB (etcd allows 1.5 MiB)
}

// Copy copies every bucket, key and bucket sequence of a stopped store
// into another, in bounded write transactions, then checks that both hold
// the same number of keys in every bucket. It returns the source's counts.
// The destination should be empty: a key it already holds is overwritten,
// and an extra key fails the check.
func Copy(from, to DB, lim CopyLimits) (Counts, error) {
	if lim.Keys <= 0 {
		lim.Keys = 100
	}
	if lim.Bytes <= 0 {
		lim.Bytes = 1 << 20
	}
	var names [][]byte
	if err := from.View(func(tx Tx) error {
		return tx.ForEachBucket(func(n []byte) error { names = append(names, bytes.Clone(n)); return nil })
	}); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	for _, name := range names {
		if err := copyBucket(from, to, name, lim); err != nil {
			return nil, fmt.Errorf("copy bucket %s: %w", name, err)
		}
	}
	return verify(from, to)
}

// copyBucket copies one bucket a chunk at a time: a read of the next keys
// after the last one copied, then one write.
func copyBucket(from, to DB, name []byte, lim CopyLimits) error {
	var seq uint64
	if err := from.View(func(tx Tx) error { seq = tx.Bucket(name).Sequence(); return nil }); err != nil {
		return err
	}
	if err := to.Update(func(tx Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		if err == nil {
			err = b.SetSequence(seq)
		}
		return err
	}); err != nil {
		return err
	}
	var after []byte
	for {
		keys, vals, err := readChunk(from, name, after, lim)
		if err != nil || len(keys) == 0 {
			return err
		}
		err = to.Update(func(tx Tx) error {
			b := tx.Bucket(name)
			for i := range keys {
				if err := b.Put(keys[i], vals[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("write keys after %q: %w", after, err)
		}
		after = keys[len(keys)-1]
	}
}

// readChunk reads the keys after after (all if nil), up to lim.
func readChunk(db DB, name, after []byte, lim CopyLimits) (keys, vals [][]byte, err error) {
	err = db.View(func(tx Tx) error {
		keys, vals = nil, nil
		c := tx.Bucket(name).Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		size := 0
		for ; k != nil && len(keys) < lim.Keys; k, v = c.Next() {
			if size += len(k) + len(v); size > lim.Bytes && len(keys) > 0 {
				break
			}
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
		}
		return nil
	})
	return keys, vals, err
}

// CountKeys counts the keys of every bucket.
func CountKeys(db DB) (Counts, error) {
	counts := Counts{}
	err := db.View(func(tx Tx) error {
		return tx.ForEachBucket(func(name []byte) error {
			n := 0
			err := tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil })
			counts[string(name)] = n
			return err
		})
	})
	return counts, err
}

// verify compares the per-bucket counts of both stores.
func verify(from, to DB) (Counts, error) {
	want, err1 := CountKeys(from)
	got, err2 := CountKeys(to)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("count keys: %w", err)
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] != want[name] {
			errs = append(errs, fmt.Errorf("bucket %s: %d keys copied, source has %d", name, got[name], want[name]))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok && got[name] > 0 {
			errs = append(errs, fmt.Errorf("bucket %s: %d keys in the destination only", name, got[name]))
		}
	}
	return want, errors.Join(errs...)
}
