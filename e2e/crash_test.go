package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

// TestBroadcastSurvivesKill runs the real binary against a fake Twilio:
// CONFIRM to 500 subscribers at 50 SMS/s, kill -9 part-way, start again.
// No phone may get the announcement twice, every subscriber whose message
// is not marked unknown gets it once, and the client's report comes once.
func TestBroadcastSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary (about 15 s)")
	}
	const subscribers, killAfter = 500, 150 // announcements seen at the fake before kill -9
	db := filepath.Join(t.TempDir(), "nudges.db")
	subs := SeedList(t, db, subscribers)
	tw := twiliotest.New(t)
	s := Start(t, Options{DB: db, Twilio: tw, Rate: "50"})
	confirm(t, s, subscribers)
	WaitFor(t, 15*time.Second, "announcements to reach the fake Twilio (is the dispatcher woken after a fan-out?)", func() bool {
		return announcementsSeen(tw) >= killAfter
	})
	s.Kill(t)
	atKill := announcementsSeen(tw)
	t.Logf("killed after %d announcement requests", atKill)
	if atKill >= subscribers {
		t.Fatalf("every message went out before the kill (%d): the test proves nothing", atKill)
	}

	s.Restart(t)
	WaitFor(t, 30*time.Second, "the client's report", func() bool { return reportsSeen(tw) > 0 })
	time.Sleep(500 * time.Millisecond) // room for a wrong second report or late resend
	s.Stop(t, 15*time.Second)
	unknown := checkKilledBroadcast(t, tw, db, subs)
	if unknown > 12 {
		t.Errorf("%d messages unknown after one kill; no more than a claim batch in flight expected", unknown)
	}
	t.Logf("%d subscribers: %d received once, %d unknown (in flight at the kill)", len(subs), len(subs)-unknown, unknown)
}
