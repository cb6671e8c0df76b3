// Package kvtest is the conformance suite every kv engine passes: the
// behaviour the store's repositories rely on, with bbolt's semantics as the
// reference.
package kvtest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"nudges/store/kv"
)

// Engine opens stores for the suite.
type Engine struct {
	// Open gives a new, empty store.
	Open func(t *testing.T) kv.DB
	// Peer gives another handle on the same store as db, as another
	// process would have (bbolt: db itself).
	Peer func(t *testing.T, db kv.DB) kv.DB
	// MaxTxnOps is the engine's writes-per-transaction limit, 0 if none.
	MaxTxnOps int
	// MaxValue is the largest value one transaction may write, 0 if no
	// practical limit.
	MaxValue int
}

// Run runs the whole suite against e.
func Run(t *testing.T, e Engine) {
	tests := []struct {
		name string
		fn   func(*testing.T, Engine)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"Buckets", testBuckets},
		{"CursorOrder", testCursorOrder},
		{"CursorPaging", testCursorPaging},
		{"OwnWrites", testOwnWrites},
		{"DeleteWhileIterating", testDeleteWhileIterating},
		{"Rollback", testRollback},
		{"ConcurrentCounter", testConcurrentCounter},
		{"ConcurrentInsertIfEmpty", testInsertIfEmpty},
		{"ConcurrentClaim", testClaim},
		{"ConcurrentWriteSkew", testWriteSkew},
		{"Sequences", testSequences},
		{"LargeValue", testLargeValue},
		{"Limits", testLimits},
		{"PingBackup", testPingBackup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, e) })
	}
}

var bk = []byte("b")

// update fails the test if the Update fails.
func update(t *testing.T, db kv.DB, fn func(b kv.Bucket) error) {
	t.Helper()
	err := db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bk)
		if err != nil {
			return err
		}
		return fn(b)
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, db kv.DB, fn func(b kv.Bucket)) {
	t.Helper()
	err := db.View(func(tx kv.Tx) error {
		b := tx.Bucket(bk)
		if b == nil {
			return errors.New("bucket missing")
		}
		fn(b)
		return nil
	})
	if err != nil {
		t.Fatalf("view: %v", err)
	}
}

// putAll writes keys (value = key) in transactions of at most 100.
func putAll(t *testing.T, db kv.DB, keys [][]byte) {
	t.Helper()
	for chunk := range slices.Chunk(keys, 100) {
		update(t, db, func(b kv.Bucket) error {
			for _, k := range chunk {
				if err := b.Put(k, k); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// forward and backward list a cursor's keys.
func forward(c kv.Cursor) []string {
	var out []string
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		out = append(out, string(k))
	}
	return out
}

func backward(c kv.Cursor) []string {
	var out []string
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		out = append(out, string(k))
	}
	return out
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func sortedStrings(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	slices.Sort(out)
	return out
}

// shuffled is keys in a random order.
func shuffled(keys [][]byte) [][]byte {
	s := slices.Clone(keys)
	rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func key(i int) []byte { return fmt.Appendf(nil, "k%05d", i) }

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func eqBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}
