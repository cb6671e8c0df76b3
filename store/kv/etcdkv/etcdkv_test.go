package etcdkv_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
	"nudges/store/kv/kvtest"
)

// TestConformance runs the kv suite on one embedded member; every subtest
// has its own key prefix.
func TestConformance(t *testing.T) {
	runSuite(t, etcdtest.Start(t, 1))
}

// TestConformanceThreeMembers runs it on three members, a store's peer
// handle on another member than the store's own: reads at a revision a
// follower has not applied yet are retried, not failed.
func TestConformanceThreeMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("three members")
	}
	runSuite(t, etcdtest.Start(t, 3))
}

func runSuite(t *testing.T, members []*etcdkv.Member) {
	var n atomic.Int64
	var mu sync.Mutex
	prefixes := map[kv.DB]string{}
	open := func(t *testing.T) kv.DB {
		prefix := fmt.Sprintf("/test/%d/%s/", n.Add(1), strings.ReplaceAll(t.Name(), "/", "_"))
		db := handle(t, members[0], prefix)
		mu.Lock()
		prefixes[db] = prefix
		mu.Unlock()
		return db
	}
	peer := func(t *testing.T, db kv.DB) kv.DB {
		mu.Lock()
		defer mu.Unlock()
		return handle(t, members[len(members)-1], prefixes[db])
	}
	kvtest.Run(t, kvtest.Engine{
		Open:      open,
		Peer:      peer,
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

// TestSpread: three members over mutual TLS; a cluster client with a
// certificate, on every member's client port (reads land on any member,
// followers included), still sees its own commits and counts right.
func TestSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("three members")
	}
	certsDir := filepath.Join(t.TempDir(), "certs")
	members := etcdtest.StartConfigs(t, etcdtest.TLSConfigs(t, t.TempDir(), certsDir, 3))
	var urls []string
	for _, m := range members {
		urls = append(urls, m.ClientURL())
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: urls, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		TLS: etcdtest.ClientTLS(t, certsDir, "m1")})
	if err != nil {
		t.Fatal(err)
	}
	db := etcdkv.New(cli, etcdkv.Options{Prefix: "/spread/"})
	defer db.Close()
	kvtest.Fill(t, db, 500)
	counts, err := kv.CountKeys(db)
	if err != nil {
		t.Fatal(err)
	}
	if counts["outbox"] != 500 {
		t.Fatalf("counts = %v", counts)
	}
}
