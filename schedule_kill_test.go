package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// TestScheduledSurvivesKill runs the real binary with an announcement
// scheduled a few seconds ahead: killed (-9) before it falls due, started
// again, killed once it has started going out, started again. It goes out
// once: one "sending now", one announcement, nobody texted twice.
func TestScheduledSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (about 10 s)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "nudges.db")
	subs := seedCrashList(t, dbPath, 60)
	due := time.Now().UTC().Add(4 * time.Second)
	seedScheduled(t, dbPath, due)
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken, "NUDGES_SEND_WINDOW=off",
		"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL,
		"NUDGES_SEND_RATE=20", "NUDGES_DB="+dbPath, "NUDGES_ADDR="+addr,
		"NUDGES_PUBLIC_URL=http://"+addr, "NUDGES_DEFAULT_LOCALE=en")

	before := startServer(t, bin, env, addr, filepath.Join(dir, "before.log"))
	before.Process.Signal(syscall.SIGKILL)
	before.Wait()
	if time.Now().After(due) {
		t.Fatal("the first run outlived the due time: the test proves nothing")
	}
	if n := sendingNowSeen(tw); n != 0 {
		t.Fatalf("%d 'sending now' before the due time", n)
	}

	during := startServer(t, bin, env, addr, filepath.Join(dir, "during.log"))
	waitFor(t, 30*time.Second, "the scheduled announcement to start", func() bool {
		return sendingNowSeen(tw) > 0 && announcementsSeen(tw) >= 5
	})
	during.Process.Signal(syscall.SIGKILL)
	during.Wait()
	if announcementsSeen(tw) >= len(subs) {
		t.Fatalf("every message went out before the kill: the test proves nothing")
	}

	after := startServer(t, bin, env, addr, filepath.Join(dir, "after.log"))
	waitFor(t, 30*time.Second, "the client's report", func() bool { return reportsSeen(tw) > 0 })
	time.Sleep(SchedulerSettle)
	after.Process.Signal(syscall.SIGTERM)
	after.Wait()
	if n := sendingNowSeen(tw); n != 1 {
		t.Errorf("the client got 'sending now' %d times, want 1", n)
	}
	checkKilledBroadcast(t, tw, dbPath, subs)
	checkScheduleEmpty(t, dbPath)
}

// SchedulerSettle is room for a wrong second start after the report.
const SchedulerSettle = 500 * time.Millisecond

func sendingNowSeen(tw *twiliotest.Server) int {
	n := 0
	for _, r := range tw.Requests() {
		if r.Form.Get("To") == crashClient && strings.HasPrefix(r.Form.Get("Body"), "Sending now your announcement scheduled") {
			n++
		}
	}
	return n
}

// seedScheduled schedules the crash client's announcement for at.
func seedScheduled(t *testing.T, path string, at time.Time) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(crashClient)
		if err != nil {
			return err
		}
		c.Used++
		if err := tx.PutClient(c); err != nil {
			return err
		}
		return tx.PutScheduled(&bot.Scheduled{Client: c.Phone, Keyword: c.Keyword, Text: "Class is on at 7 tonight, bring a mat!",
			At: at, Zone: "America/New_York", PeriodStart: c.PeriodStart, CreatedAt: time.Now().UTC()})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkScheduleEmpty: nothing is left scheduled and one announcement was made.
func checkScheduleEmpty(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx bot.Tx) error {
		if next, err := tx.NextScheduled(); err != nil || next != nil {
			t.Errorf("still scheduled: %+v (%v)", next, err)
		}
		if a, err := tx.Announcement(2); err != nil || a != nil {
			t.Errorf("a second announcement was made: %+v (%v)", a, err)
		}
		a, err := tx.Announcement(1)
		if err != nil || a == nil || a.Total != 60 {
			t.Errorf("announcement 1: %+v (%v)", a, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
