package etcdkv_test

import (
	"path/filepath"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
	"nudges/store/kv/kvtest"
)

// TestMigrate copies a bbolt file into etcd with etcd's default limit of
// 128 operations per transaction, then back into a new file: all three
// hold the same, and the etcd copy hands out ids after the file's.
func TestMigrate(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	dir := t.TempDir()
	src, err := boltkv.Open(filepath.Join(dir, "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	kvtest.Fill(t, src, 2500)
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	mid := etcdkv.New(cli, etcdkv.Options{Prefix: "/migrate/", MaxTxnOps: 128})
	defer mid.Close()
	if _, err := kv.Copy(src, mid, kv.CopyLimits{}); err != nil {
		t.Fatalf("bbolt to etcd: %v", err)
	}
	back, err := boltkv.Open(filepath.Join(dir, "back.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	counts, err := kv.Copy(mid, back, kv.CopyLimits{})
	if err != nil {
		t.Fatalf("etcd to bbolt: %v", err)
	}
	if counts["outbox"] != 2500 {
		t.Errorf("counts = %v", counts)
	}
	kvtest.SameContents(t, src, mid)
	kvtest.SameContents(t, src, back)
	err = mid.Update(func(tx kv.Tx) error {
		id, err := tx.Bucket([]byte("outbox")).NextSequence()
		if err == nil && id <= 2500 {
			t.Errorf("etcd id %d after a file whose last id was 2500", id)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
