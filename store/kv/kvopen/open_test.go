package kvopen

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"nudges/store/kv"
	"nudges/store/kv/certs"
	"nudges/store/kv/etcdkv/etcdtest"
)

// TestOpenEmbedThenCluster: an etcd+embed URL with certs starts a member
// with a TLS client port; an etcd:// URL on that port, with a certificate
// from the same CA, opens the same data, with compaction as maintenance.
func TestOpenEmbedThenCluster(t *testing.T) {
	certsDir := filepath.Join(t.TempDir(), "certs")
	if err := certs.CA(certsDir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"n1", "web"} {
		if err := certs.Node(certsDir, name, []string{"127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	peer, client := "https://"+etcdtest.FreeAddr(t), "https://"+etcdtest.FreeAddr(t)
	cfg, err := Parse("etcd+embed://" + filepath.Join(t.TempDir(), "etcd") + "?name=n1&certs=" + certsDir +
		"&peer=" + peer + "&client=" + client)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Member.LogLevel = "fatal"
	member, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	if Maintenance(cfg, member) != nil {
		t.Error("an embedded member compacts itself: no loop")
	}
	if err := member.Update(func(tx kv.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err == nil {
			err = b.Put([]byte("k"), []byte("v"))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ccfg, err := Parse("etcd://" + strings.TrimPrefix(client, "https://") + "?ca=" + filepath.Join(certsDir, "ca.crt") +
		"&cert=" + certs.CertFile(certsDir, "web") + "&key=" + certs.KeyFile(certsDir, "web"))
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := Open(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	if Maintenance(ccfg, cluster) == nil {
		t.Error("an existing cluster gets no compaction loop")
	}
	err = cluster.View(func(tx kv.Tx) error {
		if got := string(tx.Bucket([]byte("b")).Get([]byte("k"))); got != "v" {
			return errors.New("the member's data is not seen through etcd://: " + got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenNoQuorum: an etcd:// URL where nothing answers fails at Open,
// in one line.
func TestOpenNoQuorum(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the request timeout")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, err := Parse("etcd://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(cfg)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Open = %v, want one line naming %s", err, addr)
	}
	t.Log(err)
}
