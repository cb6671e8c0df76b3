package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
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
	subs := seedCrashList(t, dbPath, killSubscribers)
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken, "NUDGES_SEND_WINDOW=off",
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
