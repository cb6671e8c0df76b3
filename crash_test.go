package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// crash is the setting of TestBroadcastSurvivesKill.
const (
	crashSubscribers = 500
	crashRate        = "50" // NUDGES_SEND_RATE
	crashKillAfter   = 150  // announcements seen at the fake before kill -9
	crashClient      = "+15550009999"
	crashNumber      = "+15550000000"
	crashReportText  = "Your announcement was sent to"
)

// TestBroadcastSurvivesKill runs the real binary against a fake Twilio:
// CONFIRM to 500 subscribers at 50 SMS/s, kill -9 part-way, start again.
// No phone may get the announcement twice, every subscriber whose message
// is not marked unknown gets it once, and the client's report comes once.
func TestBroadcastSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (about 15 s)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "nudges.db")
	subs := seedCrashList(t, dbPath, crashSubscribers)
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken, "NUDGES_SEND_WINDOW=off",
		"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL,
		"NUDGES_SEND_RATE="+crashRate, "NUDGES_DB="+dbPath, "NUDGES_ADDR="+addr,
		"NUDGES_PUBLIC_URL=http://"+addr, "NUDGES_DEFAULT_LOCALE=en")

	first := startServer(t, bin, env, addr, filepath.Join(dir, "first.log"))
	text(t, addr, tw.AuthToken, crashClient, "Class is on at 7 tonight, bring a mat!", "SMcrash0001")
	if reply := text(t, addr, tw.AuthToken, crashClient, "CONFIRM", "SMcrash0002"); !strings.Contains(reply, fmt.Sprintf("to %d ", crashSubscribers)) {
		t.Fatalf("CONFIRM answered %q", reply)
	}
	waitFor(t, 15*time.Second, "announcements to reach the fake Twilio (is the dispatcher woken after a fan-out?)", func() bool {
		return announcementsSeen(tw) >= crashKillAfter
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	atKill := announcementsSeen(tw)
	t.Logf("killed after %d announcement requests", atKill)
	if atKill >= crashSubscribers {
		t.Fatalf("every message went out before the kill (%d): the test proves nothing", atKill)
	}

	second := startServer(t, bin, env, addr, filepath.Join(dir, "second.log"))
	waitFor(t, 30*time.Second, "the client's report", func() bool { return reportsSeen(tw) > 0 })
	time.Sleep(500 * time.Millisecond) // room for a wrong second report or late resend
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()
	checkCrashOutcome(t, tw, dbPath, subs)
}

// checkCrashOutcome is checkKilledBroadcast for one kill mid-way, which
// can leave at most a claim batch unknown.
func checkCrashOutcome(t *testing.T, tw *twiliotest.Server, dbPath string, subs []bot.Phone) {
	t.Helper()
	unknown := checkKilledBroadcast(t, tw, dbPath, subs)
	if unknown > 12 {
		t.Errorf("%d messages unknown after one kill; no more than a claim batch in flight expected", unknown)
	}
	t.Logf("%d subscribers: %d received once, %d unknown (in flight at the kill)", len(subs), len(subs)-unknown, unknown)
}

// seedCrashList creates the active client with a plan and n subscribers.
func seedCrashList(t *testing.T, path string, n int) []bot.Phone {
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
			phone := bot.Phone(fmt.Sprintf("+1555200%04d", i))
			conv := &bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}
			if err := tx.PutConversation(conv); err != nil {
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

// outboxStatus reads each phone's announcement status once the server is down.
func outboxStatus(t *testing.T, path string) map[bot.Phone]bot.MessageStatus {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[bot.Phone]bot.MessageStatus{}
	err = db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			if m.Kind == bot.KindAnnouncement {
				out[m.To] = m.Status
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func startServer(t *testing.T, bin string, env []string, addr, logPath string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 10*time.Second, "the server to be ready (log: "+logPath+")", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return cmd
}

// text posts a signed inbound SMS to the server and returns its TwiML.
func text(t *testing.T, addr, token, from, body, sid string) string {
	t.Helper()
	form := url.Values{"MessageSid": {sid}, "From": {from}, "To": {crashNumber}, "Body": {body}, "NumMedia": {"0"}}
	u := "http://" + addr + twilio.PathSMS
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(token, u, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %q: %d %s", from, body, resp.StatusCode, data)
	}
	return string(data)
}

func announcementsSeen(tw *twiliotest.Server) int {
	n := 0
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), "Sunrise Yoga: ") {
			n++
		}
	}
	return n
}

func reportsSeen(tw *twiliotest.Server) int {
	n := 0
	for _, r := range tw.Requests() {
		if r.Form.Get("To") == crashClient && strings.Contains(r.Form.Get("Body"), crashReportText) {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
