package e2e

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"testing"
	"time"

	"nudges/store"
)

// admin is the console's admin phone in the dev-mode scenarios.
const admin = "+15550001234"

// devAdmin is a dev-mode server (console SMS driver, dev checkout) with
// one admin phone.
func devAdmin(db string) Options {
	return Options{DB: db, Env: []string{"NUDGES_ADMIN_PHONES=" + admin, "NUDGES_PUBLIC_URL="}}
}

// TestStopWithin15sWhateverClientsDo: slow-body, slow-header and idle
// connections never hold up a SIGTERM past 15 s, and the stop is clean
// (SPEC §9).
func TestStopWithin15sWhateverClientsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary (about 15 s)")
	}
	s := Start(t, devAdmin(""))
	for range 10 {
		SlowBody(t, s.Addr)
		IdleConn(t, s.Addr)
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: ") // headers never finished
	}
	time.Sleep(time.Second) // every connection is open and trickling
	took := s.Stop(t, 15*time.Second)
	t.Logf("stopped %v after SIGTERM with 30 clients holding connections", took.Round(time.Millisecond))
	if logs, _ := os.ReadFile(s.Log); regexp.MustCompile(`level=ERROR| ERROR `).Match(logs) {
		t.Errorf("errors logged by a stop with trickling clients:\n%s", logs)
	}
	db, err := store.Open(s.DB)
	if err != nil {
		t.Fatalf("database after the stop: %v", err)
	}
	db.Close()
}
