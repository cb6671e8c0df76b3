// Package etcdtest starts embedded etcd members for tests: in a temporary
// directory, on free loopback ports.
package etcdtest

import (
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.etcd.io/etcd/client/pkg/v3/transport"

	"nudges/store/kv/certs"
	"nudges/store/kv/etcdkv"
)

// FreeURL is an http://127.0.0.1:port URL on a port free right now.
func FreeURL(tb testing.TB) string {
	tb.Helper()
	return "http://" + FreeAddr(tb)
}

// FreeAddr is a 127.0.0.1:port address on a port free right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Configs are n members' configurations forming one new cluster, with data
// in dir: plain http peers on loopback and no client port.
func Configs(tb testing.TB, dir string, n int) []etcdkv.MemberConfig {
	cfgs := make([]etcdkv.MemberConfig, n)
	var cluster []string
	for i := range cfgs {
		name := fmt.Sprintf("m%d", i+1)
		cfgs[i] = etcdkv.MemberConfig{
			Dir: fmt.Sprintf("%s/%s", dir, name), Name: name,
			PeerURL: FreeURL(tb), State: "new", LogLevel: "fatal",
		}
		cluster = append(cluster, name+"="+cfgs[i].PeerURL)
	}
	for i := range cfgs {
		cfgs[i].Cluster = strings.Join(cluster, ",")
	}
	return cfgs
}

// TLSConfigs are n members' configurations forming one new cluster over
// mutual TLS, each with an https client port, their certificates (for
// 127.0.0.1) made in certsDir by one CA.
func TLSConfigs(tb testing.TB, dir, certsDir string, n int) []etcdkv.MemberConfig {
	tb.Helper()
	if err := certs.CA(certsDir); err != nil {
		tb.Fatal(err)
	}
	cfgs := make([]etcdkv.MemberConfig, n)
	var cluster []string
	for i := range cfgs {
		name := fmt.Sprintf("m%d", i+1)
		if err := certs.Node(certsDir, name, []string{"127.0.0.1"}); err != nil {
			tb.Fatal(err)
		}
		cfgs[i] = etcdkv.MemberConfig{
			Dir: fmt.Sprintf("%s/%s", dir, name), Name: name, Certs: certsDir,
			PeerURL: "https://" + FreeAddr(tb), ClientURL: "https://" + FreeAddr(tb), State: "new", LogLevel: "fatal",
		}
		cluster = append(cluster, name+"="+cfgs[i].PeerURL)
	}
	for i := range cfgs {
		cfgs[i].Cluster = strings.Join(cluster, ",")
	}
	return cfgs
}

// ClientTLS is the TLS configuration of a client holding node name's
// certificate from certsDir.
func ClientTLS(tb testing.TB, certsDir, name string) *tls.Config {
	tb.Helper()
	info := transport.TLSInfo{CertFile: certs.CertFile(certsDir, name), KeyFile: certs.KeyFile(certsDir, name),
		TrustedCAFile: filepath.Join(certsDir, certs.CACert)}
	tc, err := info.ClientConfig()
	if err != nil {
		tb.Fatal(err)
	}
	return tc
}

// Start starts a cluster of n members in tb's temporary directory, stopped
// at the end of the test.
func Start(tb testing.TB, n int) []*etcdkv.Member {
	tb.Helper()
	return StartConfigs(tb, Configs(tb, tb.TempDir(), n))
}

// StartConfigs starts the members cfgs describe, stopped at the end of
// the test.
func StartConfigs(tb testing.TB, cfgs []etcdkv.MemberConfig) []*etcdkv.Member {
	tb.Helper()
	n := len(cfgs)
	members := make([]*etcdkv.Member, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			members[i], errs[i] = etcdkv.StartMember(cfgs[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { members[i].Close() })
	}
	return members
}
