package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/store/kv/etcdkv"
	"nudges/store/kv/etcdkv/etcdtest"
)

// TestLostQuorumStopsInTime: a process whose etcd member has lost its two
// peers answers /readyz with 503 within about a second (it hung), and a
// stop returns within 15 s (it stayed stuck resigning leadership).
func TestLostQuorumStopsInTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-member cluster that loses its quorum")
	}
	cfgs := etcdtest.Configs(t, t.TempDir(), 3)
	var cluster []string
	for _, c := range cfgs {
		cluster = append(cluster, c.Name+"="+c.PeerURL)
	}
	addr := etcdtest.FreeAddr(t)
	env := map[string]string{
		"NUDGES_ADDR": addr,
		"NUDGES_STORE": "etcd+embed://" + filepath.Join(t.TempDir(), "m1") + "?name=m1&peer=" + cfgs[0].PeerURL +
			"&cluster=" + strings.Join(cluster, ","),
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]*etcdkv.Member, 2)
	var wg sync.WaitGroup
	for i := range peers {
		wg.Go(func() {
			if peers[i], err = etcdkv.StartMember(cfgs[i+1]); err != nil {
				t.Error(err)
			}
		})
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg) }()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ready := func() (int, time.Duration) {
		start := time.Now()
		c := http.Client{Timeout: 10 * time.Second}
		resp, err := c.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0, time.Since(start)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := ready(); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	time.Sleep(6 * time.Second) // the dispatcher's election session is live
	for _, p := range peers {
		p.Close()
	}
	got503 := false
	for range 8 {
		code, took := ready()
		if took > 1500*time.Millisecond {
			t.Errorf("/readyz took %v without a quorum, want about 1 s at most", took)
		}
		if code == http.StatusServiceUnavailable {
			got503 = true
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !got503 {
		t.Error("/readyz never answered 503 without a quorum")
	}
	time.Sleep(6 * time.Second) // the election session has expired: the term is lost
	start := time.Now()
	stop()
	select {
	case err := <-served:
		t.Logf("stopped in %v: %v", time.Since(start), err)
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after the stop")
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("stop took %v, want at most 15 s", took)
	}
}
