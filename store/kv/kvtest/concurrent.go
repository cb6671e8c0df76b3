package kvtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"nudges/store/kv"
)

// handles is db and a peer handle, for goroutines to alternate between.
func handles(t *testing.T, e Engine) []kv.DB {
	db := e.Open(t)
	return []kv.DB{db, e.Peer(t, db)}
}

// Together runs fn(0) … fn(n-1) at once and fails the test on the first
// error.
func Together(t *testing.T, n int, fn func(g int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fn(g)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testConcurrentCounter: N goroutines on two handles each add 1 to one
// counter M times; no increment is lost.
func testConcurrentCounter(t *testing.T, e Engine) {
	dbs := handles(t, e)
	const n, m = 16, 5
	ctr := []byte("counter")
	Together(t, n, func(g int) error {
		for range m {
			err := dbs[g%2].Update(func(tx kv.Tx) error {
				b, err := tx.CreateBucketIfNotExists(bk)
				if err != nil {
					return err
				}
				var v uint64
				if raw := b.Get(ctr); raw != nil {
					v = binary.BigEndian.Uint64(raw)
				}
				return b.Put(ctr, binary.BigEndian.AppendUint64(nil, v+1))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	view(t, dbs[0], func(b kv.Bucket) {
		if got := binary.BigEndian.Uint64(b.Get(ctr)); got != n*m {
			t.Fatalf("counter = %d after %d increments", got, n*m)
		}
	})
}

// testInsertIfEmpty: transactions that each insert a key only if a range
// is empty conflict on the range (no phantom): exactly one inserts.
func testInsertIfEmpty(t *testing.T, e Engine) {
	dbs := handles(t, e)
	putAll(t, dbs[0], [][]byte{[]byte("a"), []byte("z")}) // fences around the range
	const n = 12
	Together(t, n, func(g int) error {
		return dbs[g%2].Update(func(tx kv.Tx) error {
			b := tx.Bucket(bk)
			c := b.Cursor()
			if k, _ := c.Seek([]byte("m")); k != nil && string(k) < "n" {
				return nil // someone is in
			}
			return b.Put(fmt.Appendf(nil, "m%02d", g), []byte("in"))
		})
	})
	view(t, dbs[0], func(b kv.Bucket) {
		if got := forward(b.Cursor()); len(got) != 3 {
			t.Fatalf("keys = %q, want a, one m.., z", got)
		}
	})
}

// testClaim: transactions that each take the first key a cursor finds,
// delete it and write a claim without reading it: the key is claimed once
// (a key deleted after a cursor saw it is a conflict, not a phantom).
func testClaim(t *testing.T, e Engine) {
	dbs := handles(t, e)
	putAll(t, dbs[0], [][]byte{[]byte("job")})
	const n = 12
	Together(t, n, func(g int) error {
		return dbs[g%2].Update(func(tx kv.Tx) error {
			b := tx.Bucket(bk)
			k, _ := b.Cursor().Seek([]byte("job"))
			if string(k) != "job" {
				return nil // taken
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			return b.Put(fmt.Appendf(nil, "claim%02d", g), []byte("mine"))
		})
	})
	view(t, dbs[0], func(b kv.Bucket) {
		if got := forward(b.Cursor()); len(got) != 1 {
			t.Fatalf("keys = %q, want one claim", got)
		}
	})
}

// testSequences: ids are unique across handles and increasing per handle;
// SetSequence moves the next ids past a value; a view cannot take ids.
func testSequences(t *testing.T, e Engine) {
	dbs := handles(t, e)
	const n, per = 8, 40
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			for range per {
				var id uint64
				err := dbs[g%2].Update(func(tx kv.Tx) error {
					b, err := tx.CreateBucketIfNotExists(bk)
					if err == nil {
						id, err = b.NextSequence()
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if id <= last {
					t.Errorf("id %d after %d in one goroutine", id, last)
				}
				last = id
				mu.Lock()
				if seen[id] {
					t.Errorf("id %d handed out twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n*per {
		t.Fatalf("%d distinct ids, want %d", len(seen), n*per)
	}
	testSetSequence(t, e)
}

func testSetSequence(t *testing.T, e Engine) {
	db := e.Open(t)
	name := []byte("migrated")
	err := db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		return b.SetSequence(50000)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx kv.Tx) error {
		b := tx.Bucket(name)
		if got := b.Sequence(); got != 50000 {
			t.Errorf("Sequence = %d after SetSequence(50000)", got)
		}
		id, err := b.NextSequence()
		if id <= 50000 {
			t.Errorf("NextSequence = %d after SetSequence(50000)", id)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx kv.Tx) error {
		_, err := tx.Bucket(name).NextSequence()
		if !errors.Is(err, kv.ErrTxNotWritable) {
			t.Errorf("NextSequence in a view = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testWriteSkew: pairs of transactions that each write one key only if the
// other's key is still unset: serializable, at most one of a pair writes
// (two commits that share a request must not both pass on what they read
// before the other's write).
func testWriteSkew(t *testing.T, e Engine) {
	dbs := handles(t, e)
	update(t, dbs[0], func(kv.Bucket) error { return nil })
	const pairs = 40
	Together(t, 2*pairs, func(g int) error {
		p, side := g/2, g%2
		mine, theirs := fmt.Appendf(nil, "p%02d-%d", p, side), fmt.Appendf(nil, "p%02d-%d", p, 1-side)
		return dbs[0].Update(func(tx kv.Tx) error {
			b := tx.Bucket(bk)
			if b.Get(theirs) != nil {
				return nil
			}
			return b.Put(mine, []byte("1"))
		})
	})
	view(t, dbs[0], func(b kv.Bucket) {
		for p := range pairs {
			a, c := b.Get(fmt.Appendf(nil, "p%02d-0", p)), b.Get(fmt.Appendf(nil, "p%02d-1", p))
			if a != nil && c != nil {
				t.Fatalf("pair %d: both wrote, each on a read the other's write made stale", p)
			}
			if a == nil && c == nil {
				t.Fatalf("pair %d: neither wrote", p)
			}
		}
	})
}
