package main

import (
	"errors"
	"sync"
	"time"
)

// readyTimeout is how long /readyz waits for the store: a load balancer's
// probe gets an answer within it, 503 when the store is slower (an etcd
// member without its quorum waits for one until its request timeout).
const readyTimeout = time.Second

// errNotReady is the answer of a check that outlasted its timeout.
var errNotReady = errors.New("no answer from the store within 1 s")

// readiness runs one store check at a time: probes that arrive while one
// runs share its result, so probes of a hung store never pile up checks.
type readiness struct {
	ping    func() error
	timeout time.Duration
	mu      sync.Mutex
	running *flight
}

// flight is one check: done closes when err is set.
type flight struct {
	done chan struct{}
	err  error
}

// check is the store's state: nil when usable, errNotReady when the check
// in flight has not answered within the timeout.
func (r *readiness) check() error {
	r.mu.Lock()
	f := r.running
	if f == nil {
		f = &flight{done: make(chan struct{})}
		r.running = f
		go r.run(f)
	}
	r.mu.Unlock()
	t := time.NewTimer(r.timeout)
	defer t.Stop()
	select {
	case <-f.done:
		return f.err
	case <-t.C:
		return errNotReady
	}
}

func (r *readiness) run(f *flight) {
	f.err = r.ping()
	r.mu.Lock()
	r.running = nil
	r.mu.Unlock()
	close(f.done)
}
