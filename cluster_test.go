package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// The three-process failover test: three `nudges` binaries, each with an
// etcd member inside (etcd+embed, loopback), share one state. Traffic goes
// to all three while a broadcast to clusterSubs phones is sent; the
// dispatcher's process is killed with -9 mid-broadcast, and later, during
// a second broadcast, a process whose etcd member is not the Raft leader.
const (
	clusterSubs = 1000
	clusterRate = 150 // NUDGES_SEND_RATE
	clusterKill = 300 // announcements sent before each kill
)

func TestThreeProcessFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes through two kills (about a minute)")
	}
	bin := filepath.Join(t.TempDir(), "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tw := twiliotest.New(t)
	c := startCluster(t, bin, tw, 3)
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.nodes {
				data, _ := os.ReadFile(nd.log)
				t.Logf("%s log:\n%s", nd.name, tail(string(data), 40))
			}
		}
	})
	subs := c.seed(t, clusterSubs)
	traffic := c.startTraffic(tw.AuthToken)

	first := "Sunrise Yoga: Class is on at 7 tonight, bring a mat!"
	c.broadcast(t, 1, 2, "Class is on at 7 tonight, bring a mat!")
	at := clusterKill + rand.IntN(clusterRate/10) // anywhere in a claimed batch
	waitFor(t, 30*time.Second, "the first announcements", func() bool { return bodiesSeen(tw, first) >= at })
	dispatcher := c.leader(t)
	killedAt := time.Now()
	c.kill(dispatcher)
	t.Logf("killed the dispatcher's process %s after %d announcements", c.nodes[dispatcher].name, bodiesSeen(tw, first))
	waitFor(t, 15*time.Second, "a new dispatcher", func() bool { return c.leaderOrNone() >= 0 })
	t.Logf("new dispatcher %s after %v", c.nodes[c.leaderOrNone()].name, time.Since(killedAt).Round(time.Millisecond))
	waitFor(t, 60*time.Second, "the first report", func() bool { return reportsSeen(tw) >= 1 })

	c.restart(t, dispatcher)
	second := "Sunrise Yoga: Tomorrow the class starts at 8."
	c.broadcast(t, 0, 2, "Tomorrow the class starts at 8.")
	waitFor(t, 30*time.Second, "the second announcements", func() bool { return bodiesSeen(tw, second) >= clusterKill })
	follower := c.follower(t)
	c.kill(follower)
	t.Logf("killed %s (an etcd follower, not the dispatcher) after %d second announcements", c.nodes[follower].name, bodiesSeen(tw, second))
	waitFor(t, 60*time.Second, "the second report", func() bool { return reportsSeen(tw) >= 2 })
	time.Sleep(time.Second) // room for a wrong third report or a late resend
	sent := traffic.stop()

	rows := c.outbox(t)
	u1 := checkOnce(t, tw, rows, subs, first, 1)
	if limit := clusterRate/5 + 2*bot.DefaultWorkers; u1 > limit {
		t.Errorf("%d unknown after killing the dispatcher; at most %d can be in flight", u1, limit)
	}
	if u2 := checkOnce(t, tw, rows, subs, second, 2); u2 != 0 {
		t.Errorf("%d unknown in the second broadcast, whose dispatcher lived", u2)
	}
	if n := reportsSeen(tw); n != 2 {
		t.Errorf("the client got %d reports for two broadcasts", n)
	}
	c.checkTraffic(t, sent, c.statusCallbacks(t, tw))
	t.Logf("first broadcast: %d unknown; %d joins and %d status callbacks answered 200", u1, len(sent), len(c.callbacks))

	// SIGTERM hands the dispatcher over at once: no session to wait out
	// (with the follower back, so that two members stay).
	c.restart(t, follower)
	d := c.leader(t)
	began := time.Now()
	c.nodes[d].cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, 15*time.Second, "a dispatcher after SIGTERM", func() bool { n := c.leaderOrNone(); return n >= 0 && n != d })
	t.Logf("SIGTERM to the dispatcher %s: %s took over after %v", c.nodes[d].name, c.nodes[c.leaderOrNone()].name,
		time.Since(began).Round(time.Millisecond))
	c.nodes[d].cmd.Wait()
	c.nodes[d].cmd = nil
}

// checkOnce: nobody got body twice, everyone not unknown got it once. It
// returns how many are unknown.
func checkOnce(t *testing.T, tw *twiliotest.Server, rows []bot.OutMessage, subs []bot.Phone, body string, announcement int) int {
	t.Helper()
	got := map[string]int{}
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), body) {
			got[r.Form.Get("To")]++
		}
	}
	status := map[bot.Phone]bot.MessageStatus{}
	for _, m := range rows {
		if m.Kind == bot.KindAnnouncement && strings.HasPrefix(m.Body, body) {
			if _, dup := status[m.To]; dup {
				t.Errorf("announcement %d: %s has two outbox rows", announcement, m.To)
			}
			status[m.To] = m.Status
		}
	}
	counts := map[bot.MessageStatus]int{}
	for _, st := range status {
		counts[st]++
	}
	t.Logf("announcement %d: rows by status %v", announcement, counts)
	for p, n := range got { // the seeded list and phones that joined before it
		if n > 1 {
			t.Errorf("announcement %d: %s got it %d times", announcement, p, n)
		}
	}
	unknown := 0
	for _, p := range subs {
		n, st := got[string(p)], status[p]
		switch {
		case n > 1:
		case st == bot.StatusUnknown:
			unknown++
		case n != 1:
			t.Errorf("announcement %d: %s: outbox says %q but it got it %d times", announcement, p, st, n)
		}
	}
	return unknown
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func bodiesSeen(tw *twiliotest.Server, body string) int {
	n := 0
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), body) {
			n++
		}
	}
	return n
}

// traffic is phones joining the list through every process while the
// broadcasts go out, each webhook posted twice to two processes (Twilio's
// retry reaching another machine).
type traffic struct {
	stopped chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	ok      map[bot.Phone][]string // phone → replies of its webhook that got 200
}

func (c *cluster) startTraffic(token string) *traffic {
	tr := &traffic{stopped: make(chan struct{}), ok: map[bot.Phone][]string{}}
	tr.done.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-tr.stopped:
				return
			case <-time.After(25 * time.Millisecond):
			}
			p := bot.Phone(fmt.Sprintf("+1555300%04d", i))
			sid := fmt.Sprintf("SMjoin%06d", i)
			a, b := rand.IntN(len(c.nodes)), rand.IntN(len(c.nodes))
			for _, n := range []int{a, b} {
				if status, reply, err := c.post(n, token, string(p), "YOGA", sid); err == nil && status == 200 {
					tr.mu.Lock()
					tr.ok[p] = append(tr.ok[p], reply)
					tr.mu.Unlock()
				}
			}
		}
	})
	return tr
}

func (tr *traffic) stop() map[bot.Phone][]string {
	close(tr.stopped)
	tr.done.Wait()
	return tr.ok
}

// checkTraffic: every join that got a 200 is on the list, ran once (one
// inbound turn logged however many processes answered it) and was
// answered the same each time; every status callback that got a 200 is
// in its message's row.
func (c *cluster) checkTraffic(t *testing.T, joins map[bot.Phone][]string, rows map[string]bot.OutMessage) {
	t.Helper()
	db := c.store(t)
	err := db.View(func(tx bot.Tx) error {
		for p, replies := range joins {
			if on, err := tx.Subscribed("YOGA", p); err != nil || !on {
				t.Errorf("%s joined (200) but is not on the list (%v)", p, err)
			}
			if len(replies) == 2 && replies[0] != replies[1] {
				t.Errorf("%s: the replayed webhook answered %q, first %q", p, replies[1], replies[0])
			}
		}
		for sid := range c.callbacks {
			m, ok := rows[sid]
			if !ok {
				if e, err := tx.EarlyStatus(sid); err != nil || e == nil {
					t.Errorf("status callback for %s answered 200 but is kept nowhere", sid)
				}
				continue
			}
			if m.Status != bot.StatusDelivered {
				t.Errorf("status callback 'delivered' for %s answered 200; its row says %q", sid, m.Status)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.checkTurns(t, db, joins)
}

// checkTurns: one inbound log line per phone that joined, whichever
// processes its two posts reached.
func (c *cluster) checkTurns(t *testing.T, db *store.DB, joins map[bot.Phone][]string) {
	t.Helper()
	err := db.Read(func(tx *store.Tx) error {
		for p := range joins {
			log, err := tx.LogOf(p, 10)
			if err != nil {
				return err
			}
			in := 0
			for _, e := range log {
				if e.Dir == bot.DirIn {
					in++
				}
			}
			if in != 1 {
				t.Errorf("%s: %d turns logged for one MessageSid posted twice", p, in)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// kill sends SIGKILL to node i and waits for it to exit.
func (c *cluster) kill(i int) {
	n := c.nodes[i]
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
	n.cmd = nil
}
