package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// A 100,000-subscriber fan-out killed with SIGKILL at random points (the
// real binary, a fresh copy of one seeded file per round): once it has
// finished after restarts, every subscriber has exactly one outbox row.
// Sending is slowed to a trickle so that the rows, not the sends, are what
// the kills interrupt; delivery through kills is TestBroadcastSurvivesKill…
const (
	fanKillRounds      = 3
	fanKillSubscribers = 100_000
)

func TestFanOutSurvivesKillAtRandomPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("fans out 100,000 rows three times")
	}
	seeded := filepath.Join(t.TempDir(), "seeded.db")
	subs := seedBigList(t, seeded, fanKillSubscribers)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, fanKillRounds))
	for round := range fanKillRounds {
		t.Run(fmt.Sprintf("round%d", round+1), func(t *testing.T) {
			fanKillRound(t, seeded, subs, rng)
		})
	}
}

func fanKillRound(t *testing.T, seeded string, subs []bot.Phone, rng *rand.Rand) {
	db := filepath.Join(t.TempDir(), "nudges.db")
	data, err := os.ReadFile(seeded)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tw := twiliotest.New(t)
	s := Prepare(t, Options{DB: db, Twilio: tw, Rate: "1"})
	var rows []int
	for k := range 2 {
		s.Restart(t)
		if k == 0 {
			confirm(t, s, len(subs))
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		s.Kill(t)
		rows = append(rows, len(outboxStatus(t, db)))
	}
	s.Restart(t)
	// The fan-out may have finished in a run that was then killed: the log
	// of every run is in the one file.
	WaitFor(t, 60*time.Second, "the fan-out to finish", func() bool {
		b, _ := os.ReadFile(s.Log)
		return strings.Contains(string(b), "fan-out finished")
	})
	s.Stop(t, 15*time.Second)
	t.Logf("rows added at the kills: %v of %d", rows, len(subs))
	checkOneRowEach(t, db, subs)
}

// checkOneRowEach: every subscriber has exactly one announcement row, and
// the announcement counts them all.
func checkOneRowEach(t *testing.T, path string, subs []bot.Phone) {
	t.Helper()
	rows := make(map[bot.Phone]int, len(subs))
	var a *bot.Announcement
	Read(t, path, func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				break
			}
			if m.Kind == bot.KindAnnouncement {
				rows[m.To]++
			}
		}
		var err error
		a, err = tx.Announcement(1)
		return err
	})
	bad := 0
	for _, p := range subs {
		if rows[p] != 1 {
			if bad++; bad <= 5 {
				t.Errorf("%s has %d rows, want 1", p, rows[p])
			}
		}
	}
	if bad > 0 || len(rows) != len(subs) {
		t.Errorf("%d subscribers without exactly one row; %d phones with rows, want %d", bad, len(rows), len(subs))
	}
	if a == nil || a.Fanning || a.Total != len(subs) {
		t.Errorf("announcement %+v; want the fan-out finished with Total %d", a, len(subs))
	}
}

// seedBigList writes the client and n subscribers in transactions of
// 10,000.
func seedBigList(t *testing.T, path string, n int) []bot.Phone {
	t.Helper()
	SeedList(t, path, 0)
	now := time.Now().UTC().Add(-time.Minute)
	subs := make([]bot.Phone, 0, n)
	for start := 0; start < n; start += 10_000 {
		Update(t, path, func(tx bot.Tx) error {
			for i := start; i < min(start+10_000, n); i++ {
				p := bot.Phone(fmt.Sprintf("+1555%07d", 2_000_000+i))
				if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: bot.English, FirstSeen: now, LastSeen: now}); err != nil {
					return err
				}
				if _, err := tx.Subscribe("YOGA", p, now); err != nil {
					return err
				}
				subs = append(subs, p)
			}
			return nil
		})
	}
	return subs
}
