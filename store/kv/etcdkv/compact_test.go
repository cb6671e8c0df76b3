package etcdkv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// TestCompactLoop: after a few ticks, history older than a tick is gone.
func TestCompactLoop(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	db := handle(t, m, "/compact/")
	for range 5 {
		if err := db.Update(func(tx kv.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err == nil {
				err = b.Put([]byte("k"), []byte(time.Now().String()))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- db.CompactLoop(ctx, 50*time.Millisecond) }()
	cli := db.Client()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := cli.Get(context.Background(), "/compact/b/k", clientv3.WithRev(2))
		if errors.Is(err, rpctypes.ErrCompacted) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision 2 still readable (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
