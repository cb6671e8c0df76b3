package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"nudges/bot"
	"nudges/store"
	"nudges/store/kv"
	"nudges/store/kv/certs"
	"nudges/store/kv/etcdkv"
)

// Cluster is n nudges processes, each with an etcd member inside
// (etcd+embed on loopback, mutual TLS), sharing one state.
type Cluster struct {
	Nodes   []*Server
	clients []string    // each node's etcd client URL (https)
	tls     *tls.Config // the test's client certificate, from the members' CA
}

// StartCluster starts n processes with o (Store, Addr, DB and Log are the
// cluster's own) and waits until every one is ready. The members use
// certificates made by `nudges cert`'s code, each with a client port for
// the test to look inside etcd.
func StartCluster(t testing.TB, n int, o Options) *Cluster {
	t.Helper()
	dir := t.TempDir()
	certsDir := filepath.Join(dir, "certs")
	c := &Cluster{tls: clusterCerts(t, certsDir, n)}
	var peers, members []string
	for i := range n {
		peers = append(peers, "https://"+FreeAddr(t))
		members = append(members, fmt.Sprintf("n%d=%s", i+1, peers[i]))
	}
	for i := range n {
		name := fmt.Sprintf("n%d", i+1)
		c.clients = append(c.clients, "https://"+FreeAddr(t))
		no := o
		no.Store = fmt.Sprintf("etcd+embed://%s?name=%s&certs=%s&peer=%s&client=%s&cluster=%s&state=new",
			filepath.Join(dir, name), name, certsDir, peers[i], c.clients[i], strings.Join(members, ","))
		no.Addr, no.DB, no.Log = "", "", filepath.Join(dir, name+".log")
		if no.Ready == 0 {
			no.Ready = 60 * time.Second
		}
		c.Nodes = append(c.Nodes, Launch(t, no))
	}
	for _, nd := range c.Nodes {
		nd.WaitReady(t)
	}
	return c
}

// clusterCerts makes a CA and certificates for 127.0.0.1 for members n1…nN
// and the test's client in dir, and returns the client's TLS config.
func clusterCerts(t testing.TB, dir string, n int) *tls.Config {
	t.Helper()
	if err := certs.CA(dir); err != nil {
		t.Fatal(err)
	}
	for i := range n + 1 {
		name := fmt.Sprintf("n%d", i+1)
		if i == n {
			name = "test"
		}
		if err := certs.Node(dir, name, []string{"127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	info := transport.TLSInfo{CertFile: certs.CertFile(dir, "test"), KeyFile: certs.KeyFile(dir, "test"),
		TrustedCAFile: filepath.Join(dir, certs.CACert)}
	tc, err := info.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// live is a node that is up, or -1.
func (c *Cluster) live() int {
	for i, nd := range c.Nodes {
		if nd.Running() {
			return i
		}
	}
	return -1
}

// Etcd is a client of a live node's member, closed when the test ends.
func (c *Cluster) Etcd(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.clients[c.live()]},
		DialTimeout: 5 * time.Second, Logger: zap.NewNop(), TLS: c.tls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Store is the shared state, through a live node's member.
func (c *Cluster) Store(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.OpenKV(etcdkv.New(c.Etcd(t), etcdkv.Options{MaxTxnOps: etcdkv.DefaultMemberMaxTxnOps}))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Outbox is every outbox row.
func (c *Cluster) Outbox(t testing.TB) []bot.OutMessage {
	t.Helper()
	var rows []bot.OutMessage
	err := c.Store(t).KV().View(func(tx kv.Tx) error {
		return tx.Bucket([]byte("outbox")).ForEach(func(_, v []byte) error {
			var m bot.OutMessage
			rows = append(rows, m)
			return json.Unmarshal(v, &rows[len(rows)-1])
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// DispatcherOrNone is the node whose process holds the dispatcher's
// election now (its key is the oldest and it logged leading in that
// term), or -1.
func (c *Cluster) DispatcherOrNone() int {
	k := c.electionKey()
	if k == nil {
		return -1
	}
	for i, nd := range c.Nodes {
		if !nd.Running() || !strings.HasSuffix(string(k.Value), " "+nd.Addr) {
			continue
		}
		if logged, _ := os.ReadFile(nd.Log); strings.Contains(string(logged), fmt.Sprintf("term=%d\n", k.CreateRevision)) {
			return i
		}
	}
	return -1
}

// electionKey is the dispatcher election's oldest key, read through the
// first live member that answers; nil if none does or nobody campaigns.
func (c *Cluster) electionKey() *mvccpb.KeyValue {
	for i, nd := range c.Nodes {
		if !nd.Running() {
			continue
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.clients[i]}, DialTimeout: time.Second,
			Logger: zap.NewNop(), TLS: c.tls})
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := cli.Get(ctx, etcdkv.DefaultPrefix+".leader/dispatcher/", clientv3.WithFirstCreate()...)
		cancel()
		cli.Close()
		if err == nil && len(resp.Kvs) > 0 {
			return resp.Kvs[0]
		}
	}
	return nil
}

// Dispatcher waits (at most 15 s) for a node to dispatch and returns it.
func (c *Cluster) Dispatcher(t testing.TB) int {
	t.Helper()
	WaitFor(t, 15*time.Second, "a dispatcher", func() bool { return c.DispatcherOrNone() >= 0 })
	return c.DispatcherOrNone()
}

// Follower is a live node that neither dispatches nor leads etcd's Raft.
func (c *Cluster) Follower(t testing.TB) int {
	t.Helper()
	cli := c.Etcd(t)
	dispatcher := c.Dispatcher(t)
	for i, nd := range c.Nodes {
		if !nd.Running() || i == dispatcher {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := cli.Status(ctx, c.clients[i])
		cancel()
		if err == nil && st.Leader != st.Header.MemberId {
			return i
		}
	}
	t.Fatal("no live node is an etcd follower other than the dispatcher")
	return -1
}
