package etcdkv_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
	"nudges/store/kv/kvtest"
)

// TestGroupCommit: on a member allowing 16 ops per Txn, commits of 1, 7
// and 16 keys from 48 goroutines at once all land, fewer requests than
// commits carry them (commits waiting for one in flight share the next),
// and pick never builds a request etcd refuses (nested Txns lose an op per
// sibling; a 16-key commit goes alone).
func TestGroupCommit(t *testing.T) {
	const limit = 16
	cfgs := etcdtest.Configs(t, t.TempDir(), 1)
	cfgs[0].MaxTxnOps = limit
	m := etcdtest.StartConfigs(t, cfgs)[0]
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	db := etcdkv.New(cli, etcdkv.Options{Prefix: "/group/", MaxTxnOps: limit})
	defer db.Close()
	bk := []byte("b")
	if err := db.Update(func(tx kv.Tx) error { _, err := tx.CreateBucketIfNotExists(bk); return err }); err != nil {
		t.Fatal(err)
	}
	before := db.Stats().Commits.Load()
	widths := []int{1, 1, 7, 1, 16, 1}
	const goroutines, each = 48, 6
	kvtest.Together(t, goroutines, func(g int) error {
		for i := range each {
			w := widths[(g+i)%len(widths)]
			err := db.Update(func(tx kv.Tx) error {
				b := tx.Bucket(bk)
				for k := range w {
					if err := b.Put(fmt.Appendf(nil, "g%02d-%d-%02d", g, i, k), []byte("v")); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	want := 0
	for g := range goroutines {
		for i := range each {
			want += widths[(g+i)%len(widths)]
		}
	}
	counts, err := kv.CountKeys(db)
	if err != nil {
		t.Fatal(err)
	}
	if counts["b"] != want {
		t.Fatalf("%d keys, want %d", counts["b"], want)
	}
	st := db.Stats()
	commits, requests := st.Commits.Load()-before, st.Requests.Load()
	t.Logf("%d commits in %d requests", commits, requests)
	if commits != goroutines*each {
		t.Fatalf("%d commits, want %d", commits, goroutines*each)
	}
	if requests >= st.Commits.Load() {
		t.Fatalf("%d requests for %d commits: none shared", requests, st.Commits.Load())
	}
	if n := st.Split.Load(); n != 0 {
		t.Fatalf("etcd refused %d shared requests as too large", n)
	}
}

// TestGroupCommitFence: a fenced commit that shares a request with others
// still fails with ErrFenced once its fence key is gone, and theirs land.
func TestGroupCommitFence(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	db := etcdkv.New(cli, etcdkv.Options{Prefix: "/fence/", MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps})
	defer db.Close()
	bk := []byte("b")
	if err := db.Update(func(tx kv.Tx) error { _, err := tx.CreateBucketIfNotExists(bk); return err }); err != nil {
		t.Fatal(err)
	}
	// A fence whose key does not exist is broken.
	fence := kv.Fence{Key: []byte("/fence/.gone"), Rev: 7}
	var wg sync.WaitGroup
	const n = 24
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(func(tx kv.Tx) error {
				if i%3 == 0 {
					tx.Fence(fence)
				}
				return tx.Bucket(bk).Put(fmt.Appendf(nil, "k%02d", i), []byte("v"))
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%3 == 0 && !errors.Is(err, kv.ErrFenced) {
			t.Errorf("fenced commit %d: err = %v, want ErrFenced", i, err)
		}
		if i%3 != 0 && err != nil {
			t.Errorf("commit %d: %v", i, err)
		}
	}
	counts, err := kv.CountKeys(db)
	if err != nil {
		t.Fatal(err)
	}
	if counts["b"] != n-n/3 {
		t.Fatalf("%d keys, want %d", counts["b"], n-n/3)
	}
}
