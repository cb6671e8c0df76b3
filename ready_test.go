package main

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadinessAnswersInTime: a store check that hangs answers
// errNotReady after the timeout; probes meanwhile share the one check in
// flight; once the store answers, its answer is the probes' answer.
func TestReadinessAnswersInTime(t *testing.T) {
	release := make(chan struct{})
	var pings atomic.Int32
	broken := errors.New("broken")
	answer := error(nil)
	r := &readiness{timeout: 50 * time.Millisecond, ping: func() error {
		pings.Add(1)
		<-release
		return answer
	}}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			start := time.Now()
			if err := r.check(); !errors.Is(err, errNotReady) {
				t.Errorf("check of a hung store = %v, want errNotReady", err)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("check took %v", took)
			}
		})
	}
	wg.Wait()
	if n := pings.Load(); n != 1 {
		t.Errorf("%d pings of a hung store at once, want 1", n)
	}
	answer = broken
	close(release)
	r.timeout = time.Second
	if err := r.check(); !errors.Is(err, broken) {
		t.Errorf("check = %v, want the store's error", err)
	}
}
