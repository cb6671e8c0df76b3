package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"nudges/store"
)

// Connection limits and shutdown (SPEC §9): the stop through the real
// binary, the cut-offs through the real HTTP stack with short limits. Each
// test is bounded in time; -short skips the binary's.

const limitsAdmin = "+15550001234"

// buildNudges builds the binary into a fresh directory.
func buildNudges(t *testing.T) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin, dir
}

// devEnv is the environment of a dev-mode server (console SMS driver, dev
// checkout) on addr with db and one admin phone.
func devEnv(addr, db string) []string {
	return append(os.Environ(), "NUDGES_ADDR="+addr, "NUDGES_DB="+db, "NUDGES_ADMIN_PHONES="+limitsAdmin,
		"TWILIO_ACCOUNT_SID=", "TWILIO_AUTH_TOKEN=", "STRIPE_SECRET_KEY=", "STRIPE_WEBHOOK_SECRET=",
		"NUDGES_PUBLIC_URL=", "NUDGES_SEND_RATE=100")
}

// stopWithin sends SIGTERM and waits at most limit for a clean exit.
func stopWithin(t *testing.T, cmd *exec.Cmd, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(limit):
		t.Fatalf("still running %v after SIGTERM", limit)
	}
	return time.Since(start)
}

// slowBody opens a connection that sends its headers and then a body one
// byte at a time, forever.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /twilio/sms HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\nBody=", addr)
	go func() {
		for {
			time.Sleep(500 * time.Millisecond)
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	return c
}

// idleConn opens a keep-alive connection, completes one request on it and
// leaves it open.
func idleConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

// TestStopWithin15sWhateverClientsDo: slow-body, slow-header and idle
// connections never hold up a SIGTERM past 15 s, and the stop is clean.
func TestStopWithin15sWhateverClientsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (about 15 s)")
	}
	bin, dir := buildNudges(t)
	addr := freeAddr(t)
	dbPath := filepath.Join(dir, "n.db")
	cmd := startServer(t, bin, devEnv(addr, dbPath), addr, filepath.Join(dir, "server.log"))
	for range 10 {
		slowBody(t, addr)
		idleConn(t, addr)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: ") // headers never finished
	}
	time.Sleep(time.Second) // every connection is open and trickling
	took := stopWithin(t, cmd, 15*time.Second)
	t.Logf("stopped %v after SIGTERM with 30 clients holding connections", took.Round(time.Millisecond))
	if logs, _ := os.ReadFile(filepath.Join(dir, "server.log")); regexp.MustCompile(`level=ERROR| ERROR `).Match(logs) {
		t.Errorf("errors logged by a stop with trickling clients:\n%s", logs)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("database after the stop: %v", err)
	}
	db.Close()
}

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
	conns := map[string]net.Conn{"slow headers": header, "slow body": slowBody(t, addr), "idle": idleConn(t, addr)}
	for what, c := range conns {
		if !closedBy(c, 10*time.Second) {
			t.Errorf("%s: connection still open 10 s on, with limits %+v", what, short)
		}
	}
}
