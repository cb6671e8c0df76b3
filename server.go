package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

// httpLimits are how long a connection may take (SPEC §9): a client that
// sends its headers or its body slowly, or keeps an idle connection open,
// is cut off, and a stop does not wait for such clients past Grace.
type httpLimits struct {
	Header  time.Duration // request line and headers
	Request time.Duration // the whole request read, and its response written
	Idle    time.Duration // a keep-alive connection between requests
	Grace   time.Duration // on SIGTERM, for requests in flight before they are cut
}

// defaultLimits are the promised ones: headers 10 s, whole request 30 s,
// idle 120 s, and a 10 s grace that keeps a stop within 15 s. The backup
// download is the one longer response and sets its own write deadlines.
var defaultLimits = httpLimits{Header: 10 * time.Second, Request: 30 * time.Second, Idle: 120 * time.Second, Grace: 10 * time.Second}

// newServer is the HTTP server of h with limits l.
func newServer(h http.Handler, l httpLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.Header,
		ReadTimeout:       l.Request,
		WriteTimeout:      l.Request,
		IdleTimeout:       l.Idle,
	}
}

// shutdown stops srv taking requests and waits up to grace for those in
// flight; whatever is still open then (a client trickling its body, a
// stalled download) is closed, so the stop never waits on a client.
func shutdown(srv *http.Server, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		slog.Warn("http: connections still open after the grace period are closed", "grace", grace, "err", err)
		if err := srv.Close(); err != nil {
			slog.Error("http close", "err", err)
		}
	}
}

// Every step of a stop has a deadline, so a stop ends within 15 s whatever
// the store does (an etcd member without its quorum answers nothing): the
// workers may finish until HTTP's grace plus workerGrace after the stop
// began (the leader resigns within leader.ResignTimeout), and the store's
// close until closeGrace after that (at least closeGrace).
const (
	workerGrace = 2 * time.Second
	closeGrace  = 2 * time.Second
	// stopLimit is the promise: the process exits this long after SIGTERM
	// at the latest, even if a step above overran.
	stopLimit = 15 * time.Second
)

// waitWorkers waits up to grace for n workers to report on done, and
// returns the first error that is not a cancellation.
func waitWorkers(done <-chan error, n int, grace time.Duration) error {
	t := time.NewTimer(grace)
	defer t.Stop()
	var first error
	for i := range n {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) && first == nil {
				first = err
			}
		case <-t.C:
			slog.Error("workers still running after the stop's grace; not waiting for them", "grace", grace, "running", n-i)
			return first
		}
	}
	return first
}

// closeWithin closes c, giving up after grace (an etcd member without a
// quorum may take longer to stop; its data is safe on disk either way).
func closeWithin(c io.Closer, grace time.Duration) {
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			slog.Error("close store", "err", err)
		}
	case <-time.After(grace):
		slog.Error("store still closing after the stop's grace; exiting without waiting", "grace", grace)
	}
}

// watchdog exits the process limit after ctx ends if it is still running
// then; the returned func disarms it.
func watchdog(ctx context.Context, limit time.Duration) (disarm func()) {
	var mu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(limit, func() {
			slog.Error("stop took too long; exiting now", "limit", limit)
			os.Exit(1)
		})
	})
	return func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		if timer != nil {
			timer.Stop()
		}
	}
}
