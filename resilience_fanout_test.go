package main

import (
	"fmt"
	"math/rand/v2"
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
		t.Skip("builds the binary and fans out 100,000 rows three times")
	}
	bin := filepath.Join(t.TempDir(), "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	seeded := filepath.Join(t.TempDir(), "seeded.db")
	subs := seedBigList(t, seeded, fanKillSubscribers)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, fanKillRounds))
	for round := range fanKillRounds {
		t.Run(fmt.Sprintf("round%d", round+1), func(t *testing.T) {
			fanKillRound(t, bin, seeded, subs, rng)
		})
	}
}

func fanKillRound(t *testing.T, bin, seeded string, subs []bot.Phone, rng *rand.Rand) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "nudges.db")
	data, err := os.ReadFile(seeded)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken, "NUDGES_SEND_WINDOW=off",
		"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL,
		"NUDGES_SEND_RATE=1", "NUDGES_DB="+dbPath, "NUDGES_ADDR="+addr,
		"NUDGES_PUBLIC_URL=http://"+addr, "NUDGES_DEFAULT_LOCALE=en")
	var rows []int
	for k := range 2 {
		logPath := filepath.Join(dir, fmt.Sprintf("run%d.log", k))
		srv := startServer(t, bin, env, addr, logPath)
		if k == 0 {
			text(t, addr, tw.AuthToken, crashClient, "Class is on at 7 tonight, bring a mat!", "SMfan0001")
			if reply := text(t, addr, tw.AuthToken, crashClient, "CONFIRM", "SMfan0002"); !strings.Contains(reply, fmt.Sprintf("to %d ", len(subs))) {
				t.Fatalf("CONFIRM answered %q", reply)
			}
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		rows = append(rows, len(outboxStatus(t, dbPath)))
	}
	logPath := filepath.Join(dir, "last.log")
	last := startServer(t, bin, env, addr, logPath)
	// The fan-out may have finished in a run that was then killed: any
	// run's log saying so will do.
	waitFor(t, 60*time.Second, "the fan-out to finish", func() bool {
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range logs {
			if b, _ := os.ReadFile(l); strings.Contains(string(b), "fan-out finished") {
				return true
			}
		}
		return false
	})
	last.Process.Signal(syscall.SIGTERM)
	last.Wait()
	t.Logf("rows added at the kills: %v of %d", rows, len(subs))
	checkOneRowEach(t, dbPath, subs)
}

// checkOneRowEach: every subscriber has exactly one announcement row, and
// the announcement counts them all.
func checkOneRowEach(t *testing.T, path string, subs []bot.Phone) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := make(map[bot.Phone]int, len(subs))
	var a *bot.Announcement
	err = db.Read(func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				break
			}
			if m.Kind == bot.KindAnnouncement {
				rows[m.To]++
			}
		}
		a, err = tx.Announcement(1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
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

// seedBigList writes the crash client and n subscribers in transactions of
// 10,000.
func seedBigList(t *testing.T, path string, n int) []bot.Phone {
	t.Helper()
	seedCrashList(t, path, 0)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Add(-time.Minute)
	subs := make([]bot.Phone, 0, n)
	for start := 0; start < n; start += 10_000 {
		err := db.Update(func(tx bot.Tx) error {
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
		if err != nil {
			t.Fatal(err)
		}
	}
	return subs
}
