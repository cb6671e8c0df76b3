package main

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/store"
)

// The in-process tests of main's own serving code (run's shutdown order,
// the HTTP limits, a store that fails under the app) build the app here;
// everything that runs the binary is in e2e/.

// serveAppWith builds the service on db, runs tune on it (if given) and
// serves it on a loopback port. stop (also run when the test ends, at most
// once) waits for a clean stop, at most 30 s, then closes db.
func serveAppWith(t *testing.T, cfg config, db *store.DB, tune func(*app)) (base string, stop func() error) {
	t.Helper()
	a, err := build(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(a)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, ln) }()
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("service did not stop within 30 s")
			}
			db.Close()
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String(), stop
}

// run returns only after every worker has finished, however many there are:
// the old loop counted the HTTP server's exit as a worker's and returned
// while the dispatcher was still recording its last sends.
func TestRunWaitsForEveryWorker(t *testing.T) {
	var finished [3]atomic.Bool
	a := &app{echo: newEcho()}
	for i := range finished {
		a.workers = append(a.workers, func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(time.Duration(50*(i+1)) * time.Millisecond) // draining
			finished[i].Store(true)
			return nil
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, ln) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := range finished {
		if !finished[i].Load() {
			t.Fatalf("run returned before worker %d finished", i)
		}
	}
}
