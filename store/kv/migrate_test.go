package kv_test

import (
	"path/filepath"
	"strings"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/kvtest"
)

func openBolt(t *testing.T, name string) kv.DB {
	db, err := boltkv.Open(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCopy(t *testing.T) {
	from, to := openBolt(t, "from.db"), openBolt(t, "to.db")
	kvtest.Fill(t, from, 1234)
	counts, err := kv.Copy(from, to, kv.CopyLimits{Keys: 50})
	if err != nil {
		t.Fatal(err)
	}
	if counts["outbox"] != 1234 || counts["empty"] != 0 || len(counts) != 3 {
		t.Errorf("counts = %v", counts)
	}
	kvtest.SameContents(t, from, to)
}

// TestCopyVerifies: keys the source lacks make the copy fail, naming the
// bucket.
func TestCopyVerifies(t *testing.T) {
	from, to := openBolt(t, "from.db"), openBolt(t, "to.db")
	kvtest.Fill(t, from, 10)
	err := to.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("outbox"))
		if err == nil {
			err = b.Put([]byte("stray"), []byte("x"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kv.Copy(from, to, kv.CopyLimits{})
	if err == nil || !strings.Contains(err.Error(), "bucket outbox: 11 keys copied, source has 10") {
		t.Fatalf("Copy = %v", err)
	}
}
