package e2e

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

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
		t.Skip("runs ten broadcasts (about 40 s)")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, killRounds))
	for round := range killRounds {
		t.Run(fmt.Sprintf("round%d", round+1), func(t *testing.T) {
			killRound(t, rng, 1+round%2)
		})
	}
}

// killRound runs one broadcast through kills and a last clean run.
func killRound(t *testing.T, rng *rand.Rand, kills int) {
	db := filepath.Join(t.TempDir(), "nudges.db")
	subs := SeedList(t, db, killSubscribers)
	tw := twiliotest.New(t)
	s := Prepare(t, Options{DB: db, Twilio: tw, Rate: strconv.Itoa(killRate)})
	var points []int
	for k := range kills {
		s.Restart(t)
		seen := announcementsSeen(tw)
		if k == 0 {
			confirm(t, s, killSubscribers)
		}
		wait := rng.IntN(10) // ms
		if k == 0 {          // anywhere from before the first send to after the last
			at := rng.IntN(killSubscribers + 1)
			WaitFor(t, 15*time.Second, fmt.Sprintf("%d announcements", at), func() bool { return announcementsSeen(tw) >= at })
		} else { // within the first half of the time the rest would take
			wait += rng.IntN((killSubscribers-seen)*1000/killRate/2 + 1)
		}
		time.Sleep(time.Duration(wait) * time.Millisecond)
		s.Kill(t)
		points = append(points, announcementsSeen(tw))
	}
	s.Restart(t)
	// The report may itself have been in flight at a kill: then it is unknown
	// and rightly never resent (checkKilledBroadcast accepts exactly that).
	deadline := time.Now().Add(20 * time.Second)
	for reportsSeen(tw) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong second report or a late resend
	s.Stop(t, 15*time.Second)
	unknown := checkKilledBroadcast(t, tw, db, subs)
	if limit := kills * (killRate/5 + bot.DefaultWorkers); unknown > limit {
		t.Errorf("%d messages unknown after %d kill(s); at most %d can be in flight", unknown, kills, limit)
	}
	t.Logf("killed after %v announcements; %d unknown", points, unknown)
}
