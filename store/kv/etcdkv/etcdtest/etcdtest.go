// Package etcdtest starts embedded etcd members for tests: in a temporary
// directory, on free loopback ports.
package etcdtest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"nudges/store/kv/etcdkv"
)

// FreeURL is an http://127.0.0.1:port URL on a port free right now.
func FreeURL(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// Configs are n members' configurations forming one new cluster, with data
// in dir.
func Configs(tb testing.TB, dir string, n int) []etcdkv.MemberConfig {
	cfgs := make([]etcdkv.MemberConfig, n)
	var cluster []string
	for i := range cfgs {
		name := fmt.Sprintf("m%d", i+1)
		cfgs[i] = etcdkv.MemberConfig{
			Dir: fmt.Sprintf("%s/%s", dir, name), Name: name,
			PeerURL: FreeURL(tb), ClientURL: FreeURL(tb), State: "new", LogLevel: "fatal",
		}
		cluster = append(cluster, name+"="+cfgs[i].PeerURL)
	}
	for i := range cfgs {
		cfgs[i].Cluster = strings.Join(cluster, ",")
	}
	return cfgs
}

// Start starts a cluster of n members in tb's temporary directory, stopped
// at the end of the test.
func Start(tb testing.TB, n int) []*etcdkv.Member {
	tb.Helper()
	cfgs := Configs(tb, tb.TempDir(), n)
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
