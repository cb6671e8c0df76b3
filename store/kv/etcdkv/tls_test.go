package etcdkv_test

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"nudges/store/kv/certs"
	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// get reads a key through a client of endpoint with tc (nil: plain).
func get(endpoint string, tc *tls.Config) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 2 * time.Second,
		Logger: zap.NewNop(), TLS: tc})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cli.Get(ctx, "k")
	return err
}

// TestClientPortNeedsCertificate: a member's client port answers only
// clients with a certificate from its CA: not plain gRPC, not TLS without
// a client certificate, not a certificate from another CA. Its own
// process reaches it through the socket in its 0700 data directory.
func TestClientPortNeedsCertificate(t *testing.T) {
	certsDir := filepath.Join(t.TempDir(), "certs")
	cfgs := etcdtest.TLSConfigs(t, t.TempDir(), certsDir, 1)
	m := etcdtest.StartConfigs(t, cfgs)[0]
	addr := strings.TrimPrefix(m.ClientURL(), "https://")
	good := etcdtest.ClientTLS(t, certsDir, "m1")
	if err := get(m.ClientURL(), good); err != nil {
		t.Fatalf("a client with a certificate: %v", err)
	}
	stranger := filepath.Join(t.TempDir(), "stranger")
	if err := certs.CA(stranger); err != nil {
		t.Fatal(err)
	}
	if err := certs.Node(stranger, "m1", []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	noCert := good.Clone()
	noCert.Certificates, noCert.GetClientCertificate = nil, nil
	otherCA := etcdtest.ClientTLS(t, stranger, "m1")
	otherCA.RootCAs = good.RootCAs // it trusts the member; the member must not trust it
	for name, tc := range map[string]*tls.Config{"plain": nil, "TLS, no certificate": noCert, "certificate of another CA": otherCA} {
		endpoint := addr
		if tc != nil {
			endpoint = "https://" + addr
		}
		if err := get(endpoint, tc); err == nil {
			t.Errorf("%s client was answered", name)
		}
	}
	own, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if _, err := own.Put(context.Background(), "k", "v"); err != nil {
		t.Fatalf("the process's own client: %v", err)
	}
	if fi, err := os.Stat(cfgs[0].Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v %v, want mode 0700", fi.Mode(), err)
	}
}

// TestStrangerPeerCannotJoin: a member whose certificate comes from
// another CA, listed in the initial cluster, never joins: it does not
// start, and it never publishes itself to the others (a member that did
// lists its client URLs).
func TestStrangerPeerCannotJoin(t *testing.T) {
	dir := t.TempDir()
	certsDir := filepath.Join(dir, "certs")
	cfgs := etcdtest.TLSConfigs(t, dir, certsDir, 3)
	stranger := filepath.Join(dir, "stranger")
	if err := certs.CA(stranger); err != nil {
		t.Fatal(err)
	}
	if err := certs.Node(stranger, "m3", []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	cfgs[2].Certs, cfgs[2].StartTimeout = stranger, 5*time.Second
	failed := make(chan error, 1)
	go func() {
		m, err := etcdkv.StartMember(cfgs[2])
		if err == nil {
			m.Close()
		}
		failed <- err
	}()
	members := etcdtest.StartConfigs(t, cfgs[:2])
	if err := <-failed; err == nil {
		t.Fatal("the stranger started as a member")
	}
	cli, err := members[0].Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	list, err := cli.MemberList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, mem := range list.Members {
		if mem.Name == "m3" && len(mem.ClientURLs) != 0 {
			t.Errorf("the stranger published itself: %+v", mem)
		}
	}
}

// TestMemberCertsChecked: a member whose certificate is missing, or whose
// key others can read, does not start, and says what to do; its data
// directory, even one that existed open to all, is 0700.
func TestMemberCertsChecked(t *testing.T) {
	certsDir := filepath.Join(t.TempDir(), "certs")
	cfg := etcdtest.TLSConfigs(t, t.TempDir(), certsDir, 1)[0]
	missing := cfg
	missing.Name = "m9"
	missing.Cluster = "m9=" + cfg.PeerURL
	if err := os.Mkdir(missing.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdkv.StartMember(missing); err == nil || !strings.Contains(err.Error(), "nudges cert node "+certsDir+" m9") {
		t.Errorf("no certificate: %v", err)
	}
	if fi, err := os.Stat(missing.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v %v, want mode 0700", fi.Mode(), err)
	}
	if err := os.Chmod(certs.KeyFile(certsDir, "m1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdkv.StartMember(cfg); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("a key others can read: %v", err)
	}
}
