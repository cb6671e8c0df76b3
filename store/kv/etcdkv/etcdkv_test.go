package etcdkv_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
	"nudges/store/kv/kvtest"
)

// TestConformance runs the kv suite on one embedded member; every subtest
// has its own key prefix.
func TestConformance(t *testing.T) {
	m := etcdtest.Start(t, 1)[0]
	var n atomic.Int64
	prefixes := map[kv.DB]string{}
	open := func(t *testing.T) kv.DB {
		prefix := fmt.Sprintf("/test/%d/%s/", n.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
		db := handle(t, m, prefix)
		prefixes[db] = prefix
		return db
	}
	kvtest.Run(t, kvtest.Engine{
		Open:      open,
		Peer:      func(t *testing.T, db kv.DB) kv.DB { return handle(t, m, prefixes[db]) },
		MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps,
		MaxValue:  3 << 19,
	})
}

// handle is a DB of its own client (as another process would have) on m.
func handle(t *testing.T, m *etcdkv.Member, prefix string) *etcdkv.DB {
	t.Helper()
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	db := etcdkv.New(cli, etcdkv.Options{Prefix: prefix, MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps})
	t.Cleanup(func() { db.Close() })
	return db
}
