package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

// TestScheduledSurvivesKill runs the real binary with an announcement
// scheduled a few seconds ahead: killed (-9) before it falls due, started
// again, killed once it has started going out, started again. It goes out
// once: one "sending now", one announcement, nobody texted twice.
func TestScheduledSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary (about 10 s)")
	}
	db := filepath.Join(t.TempDir(), "nudges.db")
	subs := SeedList(t, db, 60)
	due := time.Now().UTC().Add(4 * time.Second)
	Update(t, db, scheduleFor(due))
	tw := twiliotest.New(t)
	s := Start(t, Options{DB: db, Twilio: tw, Rate: "20"})
	s.Kill(t)
	if time.Now().After(due) {
		t.Fatal("the first run outlived the due time: the test proves nothing")
	}
	if n := sendingNowSeen(tw); n != 0 {
		t.Fatalf("%d 'sending now' before the due time", n)
	}

	s.Restart(t)
	WaitFor(t, 30*time.Second, "the scheduled announcement to start", func() bool {
		return sendingNowSeen(tw) > 0 && announcementsSeen(tw) >= 5
	})
	s.Kill(t)
	if announcementsSeen(tw) >= len(subs) {
		t.Fatalf("every message went out before the kill: the test proves nothing")
	}

	s.Restart(t)
	WaitFor(t, 30*time.Second, "the client's report", func() bool { return reportsSeen(tw) > 0 })
	time.Sleep(500 * time.Millisecond) // room for a wrong second start after the report
	s.Stop(t, 15*time.Second)
	if n := sendingNowSeen(tw); n != 1 {
		t.Errorf("the client got 'sending now' %d times, want 1", n)
	}
	checkKilledBroadcast(t, tw, db, subs)
	checkScheduleEmpty(t, db)
}

func sendingNowSeen(tw *twiliotest.Server) int {
	n := 0
	for _, r := range tw.Requests() {
		if r.Form.Get("To") == Client && strings.HasPrefix(r.Form.Get("Body"), "Sending now your announcement scheduled") {
			n++
		}
	}
	return n
}

// scheduleFor schedules the client's announcement for at.
func scheduleFor(at time.Time) func(tx bot.Tx) error {
	return func(tx bot.Tx) error {
		c, err := tx.Client(Client)
		if err != nil {
			return err
		}
		c.Used++
		if err := tx.PutClient(c); err != nil {
			return err
		}
		return tx.PutScheduled(&bot.Scheduled{Client: c.Phone, Keyword: c.Keyword, Text: classText,
			At: at, Zone: "America/New_York", PeriodStart: c.PeriodStart, CreatedAt: time.Now().UTC()})
	}
}

// checkScheduleEmpty: nothing is left scheduled and one announcement was made.
func checkScheduleEmpty(t *testing.T, path string) {
	t.Helper()
	View(t, path, func(tx bot.Tx) error {
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
}
