package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// Resilience under the real HTTP stack: Twilio retries under load, a
// failing database, kill -9 at random points of broadcasts (the real binary,
// with crash_test.go's helpers). Each test is bounded in time; -short skips
// them.

const resPublic = "https://nudges.test"

// resApp is the real service (build + run) on a database the test owns.
type resApp struct {
	base string
	db   *store.DB
	logs *lockedBuffer
	stop func()
}

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

// startResApp opens dbPath, runs seed in it, builds the service with Twilio
// on (signatures required, sends to a local fake) and serves it on loopback.
// The default logger writes to a.logs until the test ends.
func startResApp(t *testing.T, dbPath string, seed func(tx bot.Tx) error) *resApp {
	t.Helper()
	tw := twiliotest.New(t)
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_PUBLIC_URL", resPublic, "NUDGES_SEND_RATE", "1000",
		"TWILIO_ACCOUNT_SID", tw.AccountSID, "TWILIO_AUTH_TOKEN", tw.AuthToken,
		"TWILIO_FROM_NUMBER", crashNumber, "TWILIO_API_BASE", tw.URL, "NUDGES_SEND_WINDOW", "off"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if seed != nil {
		if err := db.Update(seed); err != nil {
			t.Fatal(err)
		}
	}
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	base, stopApp := serveApp(t, cfg, db)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := stopApp(); err != nil {
				t.Error(err)
			}
			slog.SetDefault(prev)
		})
	}
	t.Cleanup(stop)
	return &resApp{base: base, db: db, logs: logs, stop: stop}
}

var resClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// sms posts a Twilio-signed inbound SMS and returns the status and body.
func (a *resApp) sms(sid, from, body string) (int, string, error) {
	form := url.Values{"MessageSid": {sid}, "AccountSid": {twiliotest.AccountSID}, "From": {from},
		"To": {crashNumber}, "Body": {body}, "NumMedia": {"0"}}
	req, err := http.NewRequest(http.MethodPost, a.base+twilio.PathSMS, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(twiliotest.AuthToken, resPublic+twilio.PathSMS, form))
	resp, err := resClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

func (a *resApp) readyz(t *testing.T) int {
	t.Helper()
	resp, err := resClient.Get(a.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// twoClients seeds active clients YOGA and BAKERY.
func twoClients(tx bot.Tx) error {
	now := time.Now()
	for i, kw := range []string{"YOGA", "BAKERY"} {
		c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555999000%d", i)), Keyword: kw, Name: kw + " club",
			Status: bot.ClientActive, CreatedAt: now, LiveAt: now}
		if err := tx.PutClient(c); err != nil {
			return err
		}
	}
	return nil
}

// delivery is one copy of an inbound SMS to post.
type delivery struct {
	sid, from, body string
}

// TestReplaysUnderLoadChangeStateOnce sends 300 inbound SMS from 60 phones,
// each delivered 1–6 times (as Twilio retries), all shuffled and posted by
// 32 concurrent senders over real HTTP. Every copy of a MessageSid must get
// the same answer, and each MessageSid must change state exactly once.
func TestReplaysUnderLoadChangeStateOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("about 1,000 requests over loopback")
	}
	a := startResApp(t, filepath.Join(t.TempDir(), "n.db"), twoClients)
	words := []string{"JOIN YOGA", "LIST", "JOIN BAKERY", "LEAVE YOGA", "HELP", "hello?"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 6))
	var all []delivery
	sids := map[bot.Phone]int{}
	for i := range 300 {
		d := delivery{sid: fmt.Sprintf("SMreplay%06d", i), from: fmt.Sprintf("+1555300%04d", i%60), body: words[rng.IntN(len(words))]}
		sids[bot.Phone(d.from)]++
		for range 1 + rng.IntN(6) {
			all = append(all, d)
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	answers := postAll(t, a, all, 32)
	for sid, got := range answers {
		for _, body := range got[1:] {
			if body != got[0] {
				t.Errorf("%s answered differently on a retry:\n%s\n%s", sid, got[0], body)
			}
		}
	}
	checkOneTurnPerSID(t, a.db, sids)
	t.Logf("%d deliveries of %d MessageSids", len(all), len(answers))
}

// postAll posts every delivery from n senders and returns the answers by
// MessageSid; anything but a 200 fails the test.
func postAll(t *testing.T, a *resApp, all []delivery, n int) map[string][]string {
	t.Helper()
	work := make(chan delivery)
	var mu sync.Mutex
	answers := map[string][]string{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for d := range work {
				code, body, err := a.sms(d.sid, d.from, d.body)
				if err != nil || code != http.StatusOK {
					t.Errorf("%s %q: %d %v %s", d.sid, d.body, code, err, body)
					continue
				}
				mu.Lock()
				answers[d.sid] = append(answers[d.sid], body)
				mu.Unlock()
			}
		})
	}
	for _, d := range all {
		work <- d
	}
	close(work)
	wg.Wait()
	return answers
}

// checkOneTurnPerSID checks each phone's log holds one inbound line per
// MessageSid it sent, and each list's count matches its members.
func checkOneTurnPerSID(t *testing.T, db *store.DB, sids map[bot.Phone]int) {
	t.Helper()
	err := db.Read(func(tx *store.Tx) error {
		for p, want := range sids {
			log, err := tx.LogOf(p, 1000)
			if err != nil {
				return err
			}
			in := 0
			for _, e := range log {
				if e.Dir == bot.DirIn {
					in++
				}
			}
			if in != want {
				t.Errorf("%s: %d turns logged for %d MessageSids", p, in, want)
			}
		}
		for _, kw := range []string{"YOGA", "BAKERY"} {
			members := 0
			if err := tx.EachSubscriber(kw, func(bot.Subscription) error { members++; return nil }); err != nil {
				return err
			}
			c, err := tx.ClientByKeyword(kw)
			if err != nil {
				return err
			}
			if c.Subscribers != members {
				t.Errorf("%s: count says %d subscribers, list has %d", kw, c.Subscribers, members)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClosedDatabaseAnswers5xx: with the store closed under it, the SMS
// webhook answers 500 (Twilio retries) and logs why; /readyz says 503.
func TestClosedDatabaseAnswers5xx(t *testing.T) {
	if testing.Short() {
		t.Skip("serves the real app")
	}
	a := startResApp(t, filepath.Join(t.TempDir(), "n.db"), twoClients)
	if code, body, err := a.sms("SMok", "+15553000001", "JOIN YOGA"); err != nil || code != http.StatusOK {
		t.Fatalf("before: %d %v %s", code, err, body)
	}
	if err := a.db.Close(); err != nil {
		t.Fatal(err)
	}
	code, body, err := a.sms("SMclosed", "+15553000001", "LIST")
	if err != nil || code < 500 {
		t.Errorf("closed store: %d %v %s; want 5xx so Twilio retries", code, err, body)
	}
	if logs := a.logs.String(); !strings.Contains(logs, "inbound sms failed") || !strings.Contains(logs, "database not open") {
		t.Errorf("no clear log line for the failed turn:\n%s", logs)
	}
	if code := a.readyz(t); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the store closed, want 503", code)
	}
}

// tinyDisk mounts a tmpfs of size bytes on a fresh directory, unmounted when
// the test ends. It skips the test unless running as root with mount(2).
func tinyDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("a real full or read-only disk needs root to mount a tmpfs")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the disk-full case is not covered on this machine", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes to dir until the disk is full and returns the filler's path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// TestDiskFullAnswers5xxThenRecovers fills a tiny tmpfs under the live
// database: turns that cannot be committed answer 500 with a log line, none
// answers anything else; once space is back, Twilio's retry of the same
// MessageSid succeeds and the file reopens intact.
func TestDiskFullAnswers5xxThenRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("serves the real app on a tmpfs")
	}
	dir := tinyDisk(t, 4<<20)
	dbPath := filepath.Join(dir, "n.db")
	a := startResApp(t, dbPath, twoClients)
	filler := fill(t, dir)
	failed := ""
	for i := 0; i < 500 && failed == ""; i++ {
		sid := fmt.Sprintf("SMfull%04d", i)
		code, body, err := a.sms(sid, fmt.Sprintf("+1555400%04d", i), "JOIN YOGA")
		switch {
		case err != nil:
			t.Fatal(err)
		case code >= 500:
			failed = sid
		case code != http.StatusOK:
			t.Fatalf("%s on a full disk: %d %s", sid, code, body)
		}
	}
	if failed == "" {
		t.Fatal("500 turns committed on a full disk: the test filled nothing")
	}
	if logs := a.logs.String(); !strings.Contains(logs, "inbound sms failed") || !strings.Contains(logs, "no space left on device") {
		t.Errorf("no clear log line for the failed turn:\n%s", logs)
	}
	t.Logf("%s failed on the full disk; /readyz then said %d", failed, a.readyz(t))
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	code, body, err := a.sms(failed, "+15554000000", "JOIN YOGA")
	if err != nil || code != http.StatusOK || !strings.Contains(body, "<Message>") {
		t.Fatalf("Twilio's retry of %s once space is back: %d %v %s", failed, code, err, body)
	}
	a.stop()
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyDatabaseStopsStartUpClearly: a database on a read-only file
// system cannot be served; start-up fails with one line naming the file.
func TestReadOnlyDatabaseStopsStartUpClearly(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a tmpfs")
	}
	dir := tinyDisk(t, 1<<20)
	dbPath := filepath.Join(dir, "n.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only: %v", err)
	}
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_ADDR", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = serve(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), dbPath) || !strings.Contains(err.Error(), "read-only") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("serve on a read-only database: %v; want one line naming %s", err, dbPath)
	}
}
