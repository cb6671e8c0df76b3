package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/e2e"
	"nudges/store"
)

// Connection limits (SPEC §9): the cut-offs through the real HTTP stack
// with short limits. The stop within 15 s is e2e's
// TestStopWithin15sWhateverClientsDo.

// The server carries the promised limits.
func TestServerLimitsAreThePromisedOnes(t *testing.T) {
	srv := newServer(http.NotFoundHandler(), defaultLimits)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second ||
		srv.WriteTimeout != 30*time.Second || srv.IdleTimeout != 120*time.Second {
		t.Fatalf("server limits: headers %v, read %v, write %v, idle %v; want 10 s, 30 s, 30 s, 120 s",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if defaultLimits.Grace+3*time.Second > 15*time.Second {
		t.Fatalf("a %v grace leaves too little of the 15 s stop for the workers", defaultLimits.Grace)
	}
}

// closedBy reports whether the server closes c (EOF or a reset, perhaps
// after a 408 response) before limit.
func closedBy(c net.Conn, limit time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowAndIdleConnectionsAreCutOff runs the service with short limits
// (the same code as the real ones): a client trickling its headers or its
// body, or idling on a keep-alive connection, is disconnected by the server.
func TestSlowAndIdleConnectionsAreCutOff(t *testing.T) {
	cfg, err := loadConfig(envOf("NUDGES_DB", filepath.Join(t.TempDir(), "n.db")))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	short := httpLimits{Header: 300 * time.Millisecond, Request: time.Second, Idle: 500 * time.Millisecond, Grace: time.Second}
	base, _ := serveAppWith(t, cfg, db, func(a *app) { a.limits = short })
	addr := strings.TrimPrefix(base, "http://")
	header, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer header.Close()
	fmt.Fprintf(header, "GET /healthz HTTP/1.1\r\nHost: ")
	conns := map[string]net.Conn{"slow headers": header, "slow body": e2e.SlowBody(t, addr), "idle": e2e.IdleConn(t, addr)}
	for what, c := range conns {
		if !closedBy(c, 10*time.Second) {
			t.Errorf("%s: connection still open 10 s on, with limits %+v", what, short)
		}
	}
}
