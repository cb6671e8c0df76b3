package kvtest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"nudges/store/kv"
)

// Fill writes n keys with ids into bucket outbox, a few into conversations,
// an empty bucket, and sequences, in transactions of at most 100 writes.
func Fill(t *testing.T, db kv.DB, n int) {
	t.Helper()
	for start := 0; start < n; start += 100 {
		err := db.Update(func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("outbox"))
			if err != nil {
				return err
			}
			for i := start; i < min(start+100, n); i++ {
				v := bytes.Repeat([]byte{byte(i)}, i%300)
				if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i+1)), v); err != nil {
					return err
				}
			}
			return b.SetSequence(uint64(n))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Update(func(tx kv.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte("empty")); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists([]byte("conversations"))
		if err != nil {
			return err
		}
		for _, p := range []string{"+15550001111", "+15550002222", "+34600000000"} {
			if err := b.Put([]byte(p), []byte(`{"state":"idle"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// SameContents fails the test unless a and b hold the same buckets, keys,
// values and sequences.
func SameContents(t *testing.T, a, b kv.DB) {
	t.Helper()
	da, db := dump(t, a), dump(t, b)
	equal(t, "keys and values", da, db)
}

// dump lists bucket, sequence, key and value of everything in db.
func dump(t *testing.T, db kv.DB) []string {
	t.Helper()
	var out []string
	err := db.View(func(tx kv.Tx) error {
		return tx.ForEachBucket(func(name []byte) error {
			bk := tx.Bucket(name)
			out = append(out, string(name)+" seq "+string(binary.BigEndian.AppendUint64(nil, bk.Sequence())))
			return bk.ForEach(func(k, v []byte) error {
				out = append(out, string(name)+" "+string(k)+" = "+string(v))
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
