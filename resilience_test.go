package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"nudges/e2e"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// lockedBuffer collects the service's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClosedDatabaseAnswers5xx: with the store closed under the running
// app (which only an in-process app allows), the SMS webhook answers 500
// (Twilio retries) and logs why; /readyz says 503.
func TestClosedDatabaseAnswers5xx(t *testing.T) {
	if testing.Short() {
		t.Skip("serves the real app")
	}
	const public = "https://nudges.test"
	tw := twiliotest.New(t)
	cfg, err := loadConfig(envOf("NUDGES_DB", filepath.Join(t.TempDir(), "n.db"), "NUDGES_PUBLIC_URL", public, "NUDGES_SEND_RATE", "1000",
		"TWILIO_ACCOUNT_SID", tw.AccountSID, "TWILIO_AUTH_TOKEN", tw.AuthToken,
		"TWILIO_FROM_NUMBER", e2e.Number, "TWILIO_API_BASE", tw.URL, "NUDGES_SEND_WINDOW", "off"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(e2e.TwoClients); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) }) // after the app's stop: cleanups run last first
	base, _ := serveAppWith(t, cfg, db, nil)
	hooks := e2e.Webhooks{URL: base, Public: public, Token: tw.AuthToken}

	if code, body, err := hooks.Inbound("SMok", "+15553000001", "JOIN YOGA"); err != nil || code != http.StatusOK {
		t.Fatalf("before: %d %v %s", code, err, body)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	code, body, err := hooks.Inbound("SMclosed", "+15553000001", "LIST")
	if err != nil || code < 500 {
		t.Errorf("closed store: %d %v %s; want 5xx so Twilio retries", code, err, body)
	}
	if logs := logs.String(); !strings.Contains(logs, "inbound sms failed") || !strings.Contains(logs, "database not open") {
		t.Errorf("no clear log line for the failed turn:\n%s", logs)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the store closed, want 503", resp.StatusCode)
	}
}
