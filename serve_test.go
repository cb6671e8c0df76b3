package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/store"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// startApp builds the real service on a fresh database and serves it on a
// loopback port until the test ends.
func startApp(t *testing.T, env ...string) (base string, stop func() error) {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "n.db")
	cfg, err := loadConfig(envOf(append([]string{"NUDGES_DB", dbPath}, env...)...))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	return serveApp(t, cfg, db)
}

// serveApp builds the service on db and serves it on a loopback port. stop
// (also run when the test ends, at most once) waits for a clean stop, at
// most 30 s, then closes db.
func serveApp(t *testing.T, cfg config, db *store.DB) (base string, stop func() error) {
	t.Helper()
	return serveAppWith(t, cfg, db, nil)
}

// serveAppWith is serveApp with tune run on the built app before it serves.
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

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEndpointsAndCleanStop(t *testing.T) {
	base, stop := startApp(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "STOP", "/admin/login": "<form"} {
		code, body := get(t, base+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %.80q, want 200 containing %q", path, code, body, want)
		}
	}
	form := url.Values{"MessageSid": {"SMserve1"}, "From": {"+15550001111"}, "To": {"+15550000000"}, "Body": {"HELP"}}
	resp, err := http.PostForm(base+"/twilio/sms", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Message>") || !strings.Contains(string(b), "STOP") {
		t.Fatalf("POST /twilio/sms = %d %s", resp.StatusCode, b)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after stop")
	}
}

func TestDevEndpointsOnlyWithoutTwilio(t *testing.T) {
	base, _ := startApp(t, "NUDGES_ADMIN_PHONES", "+15550001234")
	if code, _ := get(t, base+"/dev/messages?phone=%2B15550001111&after=0"); code != 200 {
		t.Fatalf("dev feed without Twilio: %d, want 200", code)
	}
	// A console login code is queued for the admin phone but never shown by
	// the feed, which asks no credentials.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	resp, err = c.PostForm(base+"/admin/login", url.Values{"_csrf": {string(m[1])}, "phone": {"+15550001234"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, body := get(t, base+"/dev/messages?phone=%2B15550001234&after=0"); code != 200 || strings.Contains(body, "code") {
		t.Fatalf("dev feed for the admin phone: %d %s; want no login code", code, body)
	}
}

func TestWithTwilioWebhooksMustBeSignedAndDevRoutesAreGone(t *testing.T) {
	fake := twiliotest.New(t)
	base, _ := startApp(t, "TWILIO_ACCOUNT_SID", fake.AccountSID, "TWILIO_AUTH_TOKEN", fake.AuthToken,
		"TWILIO_FROM_NUMBER", "+15550000000", "TWILIO_API_BASE", fake.URL)
	if code, _ := get(t, base+"/dev/messages?phone=%2B15550001111&after=0"); code != http.StatusNotFound {
		t.Errorf("dev feed with Twilio configured: %d, want 404", code)
	}
	form := url.Values{"MessageSid": {"SMsigned1"}, "From": {"+15550001111"}, "To": {"+15550000000"}, "Body": {"HELP"}}
	resp, err := http.PostForm(base+"/twilio/sms", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned webhook: %d, want 403", resp.StatusCode)
	}
	// Signed over NUDGES_PUBLIC_URL (the default), it is answered.
	req, _ := http.NewRequest("POST", base+"/twilio/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Sign(fake.AuthToken, "http://localhost:8080/twilio/sms", form))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Message>") {
		t.Fatalf("signed webhook: %d %s", resp.StatusCode, b)
	}
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
