package main

import (
	"context"
	"log/slog"
	"net/http"
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
