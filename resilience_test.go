package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		"TWILIO_FROM_NUMBER", crashNumber, "TWILIO_API_BASE", tw.URL))
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
	a, err := build(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("service did not stop within 30 s")
			}
			db.Close()
			slog.SetDefault(prev)
		})
	}
	t.Cleanup(stop)
	return &resApp{base: "http://" + ln.Addr().String(), db: db, logs: logs, stop: stop}
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

// Ten rounds of kill -9 during a broadcast: the real binary, CONFIRM to
// killSubscribers at killRate SMS/s, killed at a random point (odd rounds a
// second time while recovering), started again until the report comes.
const (
	killRounds      = 10
	killSubscribers = 200
	killRate        = 100
)

func TestBroadcastSurvivesKillAtRandomPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs ten broadcasts (about 40 s)")
	}
	bin := filepath.Join(t.TempDir(), "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, killRounds))
	for round := range killRounds {
		t.Run(fmt.Sprintf("round%d", round+1), func(t *testing.T) {
			killRound(t, bin, rng, 1+round%2)
		})
	}
}

// killRound runs one broadcast through kills and a last clean run.
func killRound(t *testing.T, bin string, rng *rand.Rand, kills int) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "nudges.db")
	subs := seedList(t, dbPath, killSubscribers)
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken,
		"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL,
		"NUDGES_SEND_RATE="+strconv.Itoa(killRate), "NUDGES_DB="+dbPath, "NUDGES_ADDR="+addr,
		"NUDGES_PUBLIC_URL=http://"+addr, "NUDGES_DEFAULT_LOCALE=en")
	var points []int
	for k := range kills {
		srv := startServer(t, bin, env, addr, filepath.Join(dir, fmt.Sprintf("run%d.log", k)))
		seen := announcementsSeen(tw)
		if k == 0 {
			text(t, addr, tw.AuthToken, crashClient, "Class is on at 7 tonight, bring a mat!", "SMkill0001")
			if reply := text(t, addr, tw.AuthToken, crashClient, "CONFIRM", "SMkill0002"); !strings.Contains(reply, fmt.Sprintf("to %d ", killSubscribers)) {
				t.Fatalf("CONFIRM answered %q", reply)
			}
		}
		wait := rng.IntN(10) // ms
		if k == 0 {          // anywhere from before the first send to after the last
			at := rng.IntN(killSubscribers + 1)
			waitFor(t, 15*time.Second, fmt.Sprintf("%d announcements", at), func() bool { return announcementsSeen(tw) >= at })
		} else { // within the first half of the time the rest would take
			wait += rng.IntN((killSubscribers-seen)*1000/killRate/2 + 1)
		}
		time.Sleep(time.Duration(wait) * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		points = append(points, announcementsSeen(tw))
	}
	last := startServer(t, bin, env, addr, filepath.Join(dir, "last.log"))
	// The report may itself have been in flight at a kill: then it is unknown
	// and rightly never resent (checkKilledBroadcast accepts exactly that).
	deadline := time.Now().Add(20 * time.Second)
	for reportsSeen(tw) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong second report or a late resend
	last.Process.Signal(syscall.SIGTERM)
	last.Wait()
	unknown := checkKilledBroadcast(t, tw, dbPath, subs)
	if limit := kills * (killRate/5 + bot.DefaultWorkers); unknown > limit {
		t.Errorf("%d messages unknown after %d kill(s); at most %d can be in flight", unknown, kills, limit)
	}
	t.Logf("killed after %v announcements; %d unknown", points, unknown)
}

// checkKilledBroadcast: nobody got the announcement twice, everyone not
// marked unknown got it once, the client got one report. It returns how
// many are unknown.
func checkKilledBroadcast(t *testing.T, tw *twiliotest.Server, dbPath string, subs []bot.Phone) int {
	t.Helper()
	got := map[string]int{}
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), "Sunrise Yoga: ") {
			got[r.Form.Get("To")]++
		}
	}
	status := outboxStatus(t, dbPath)
	unknown := 0
	for _, p := range subs {
		n, st := got[string(p)], status[p]
		switch {
		case n > 1:
			t.Errorf("%s got the announcement %d times", p, n)
		case st == bot.StatusUnknown:
			unknown++
		case n != 1:
			t.Errorf("%s: outbox says %q but it got the announcement %d times", p, st, n)
		}
	}
	switch reports, rows := reportsSeen(tw), reportRows(t, dbPath); {
	case len(rows) != 1:
		t.Errorf("%d report messages queued, want 1 (statuses %v)", len(rows), rows)
	case reports > 1:
		t.Errorf("the client got %d reports, want 1", reports)
	case reports == 0 && rows[0] != bot.StatusUnknown:
		t.Errorf("the client got no report and its outbox row is %q; only an unknown (in flight at a kill) report may be missing", rows[0])
	case reports == 0:
		t.Logf("the report was in flight at a kill: unknown, not resent")
	}
	return unknown
}

// reportRows returns the statuses of the report messages queued for the
// client.
func reportRows(t *testing.T, path string) []bot.MessageStatus {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []bot.MessageStatus
	err = db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			if m.Kind == bot.KindReport && m.To == crashClient {
				out = append(out, m.Status)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seedList creates crash_test.go's active client with n subscribers.
func seedList(t *testing.T, path string, n int) []bot.Phone {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	var subs []bot.Phone
	err = db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		c := &bot.Client{Phone: crashClient, Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, PlanID: p.ID,
			PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now, Locale: bot.English}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		for i := range n {
			phone := bot.Phone(fmt.Sprintf("+1555600%04d", i))
			if err := tx.PutConversation(&bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}); err != nil {
				return err
			}
			if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
				return err
			}
			subs = append(subs, phone)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return subs
}
