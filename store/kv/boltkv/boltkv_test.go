package boltkv_test

import (
	"path/filepath"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/kvtest"
)

func open(t *testing.T) kv.DB {
	db, err := boltkv.Open(filepath.Join(t.TempDir(), "kv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	kvtest.Run(t, kvtest.Engine{
		Open: open,
		Peer: func(_ *testing.T, db kv.DB) kv.DB { return db },
	})
}

// TestNoAllocations: going through kv adds no allocation to a bucket
// lookup, a Get or a cursor step (the wrappers fit in an interface word).
func TestNoAllocations(t *testing.T) {
	db := open(t).(*boltkv.DB)
	err := db.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err == nil {
			err = b.Put([]byte("k"), []byte("v"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx kv.Tx) error {
		raw := tx.(boltkv.Tx).Bolt()
		name, key := []byte("b"), []byte("k")
		direct := testing.AllocsPerRun(100, func() { raw.Bucket(name).Get(key) })
		wrapped := testing.AllocsPerRun(100, func() { tx.Bucket(name).Get(key) })
		if wrapped > direct {
			t.Errorf("Bucket+Get: %v allocations through kv, %v direct", wrapped, direct)
		}
		b := tx.Bucket(name)
		direct = testing.AllocsPerRun(100, func() { c := raw.Bucket(name).Cursor(); c.First(); c.Next() })
		wrapped = testing.AllocsPerRun(100, func() { c := b.Cursor(); c.First(); c.Next() })
		if wrapped > direct {
			t.Errorf("Cursor: %v allocations through kv, %v direct", wrapped, direct)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
