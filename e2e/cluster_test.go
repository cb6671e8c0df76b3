package e2e

import (
	"fmt"
	"math/rand/v2"
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
		t.Skip("runs three processes through two kills (about a minute)")
	}
	tw := twiliotest.New(t)
	c := StartCluster(t, 3, Options{Twilio: tw, Rate: strconv.Itoa(clusterRate)})
	subs := seedCluster(t, c.Store(t), clusterSubs)
	traffic := startTraffic(c)

	first := announcementPrefix + classText
	broadcast(t, c, 1, 2, classText)
	at := clusterKill + rand.IntN(clusterRate/10) // anywhere in a claimed batch
	WaitFor(t, 30*time.Second, "the first announcements", func() bool { return bodiesSeen(tw, first) >= at })
	dispatcher := c.Dispatcher(t)
	killedAt := time.Now()
	c.Nodes[dispatcher].Kill(t)
	t.Logf("killed the dispatcher's process %s after %d announcements", c.Nodes[dispatcher].Addr, bodiesSeen(tw, first))
	WaitFor(t, 15*time.Second, "a new dispatcher", func() bool { return c.DispatcherOrNone() >= 0 })
	t.Logf("new dispatcher %s after %v", c.Nodes[c.DispatcherOrNone()].Addr, time.Since(killedAt).Round(time.Millisecond))
	WaitFor(t, 60*time.Second, "the first report", func() bool { return reportsSeen(tw) >= 1 })

	c.Nodes[dispatcher].Restart(t)
	second := announcementPrefix + "Tomorrow the class starts at 8."
	broadcast(t, c, 0, 2, "Tomorrow the class starts at 8.")
	WaitFor(t, 30*time.Second, "the second announcements", func() bool { return bodiesSeen(tw, second) >= clusterKill })
	follower := c.Follower(t)
	c.Nodes[follower].Kill(t)
	t.Logf("killed %s (an etcd follower, not the dispatcher) after %d second announcements", c.Nodes[follower].Addr, bodiesSeen(tw, second))
	WaitFor(t, 60*time.Second, "the second report", func() bool { return reportsSeen(tw) >= 2 })
	time.Sleep(time.Second) // room for a wrong third report or a late resend
	sent := traffic.stop()

	rows := c.Outbox(t)
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
	callbacks := statusCallbacks(c, tw)
	checkTraffic(t, c, sent, callbacks)
	t.Logf("first broadcast: %d unknown; %d joins and %d status callbacks answered 200", u1, len(sent), len(callbacks))

	// SIGTERM hands the dispatcher over at once: no session to wait out
	// (with the follower back, so that two members stay).
	c.Nodes[follower].Restart(t)
	d := c.Dispatcher(t)
	began := time.Now()
	c.Nodes[d].Signal(t, syscall.SIGTERM)
	WaitFor(t, 15*time.Second, "a dispatcher after SIGTERM", func() bool { n := c.DispatcherOrNone(); return n >= 0 && n != d })
	t.Logf("SIGTERM to the dispatcher %s: %s took over after %v", c.Nodes[d].Addr, c.Nodes[c.DispatcherOrNone()].Addr,
		time.Since(began).Round(time.Millisecond))
	c.Nodes[d].Wait(t, 15*time.Second)
}

// seedCluster adds the active client YOGA and n subscribers, 100 a
// transaction (etcd's limit on one).
func seedCluster(t *testing.T, db *store.DB, n int) []bot.Phone {
	t.Helper()
	now := time.Now().UTC()
	err := db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: Client, Name: ClientName, Keyword: "YOGA", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now, Locale: bot.English})
	})
	var subs []bot.Phone
	for from := 0; err == nil && from < n; from += 100 {
		err = db.Update(func(tx bot.Tx) error {
			for i := from; i < min(from+100, n); i++ {
				phone := bot.Phone(fmt.Sprintf("+1555200%04d", i))
				if err := tx.PutConversation(&bot.Conversation{Phone: phone, Locale: bot.English, FirstSeen: now, LastSeen: now}); err != nil {
					return err
				}
				if _, err := tx.Subscribe("YOGA", phone, now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		subs = append(subs, bot.Phone(fmt.Sprintf("+1555200%04d", i)))
	}
	return subs
}

// broadcast drafts text through one process and confirms it through another.
func broadcast(t *testing.T, c *Cluster, draft, confirm int, body string) {
	t.Helper()
	c.Nodes[draft].SMS(t, Client, body)
	if reply := c.Nodes[confirm].SMS(t, Client, "CONFIRM"); !strings.Contains(reply, "Sending") && !strings.Contains(reply, "sending") {
		t.Fatalf("CONFIRM answered %q", reply)
	}
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

// traffic is phones joining the list through every process while the
// broadcasts go out, each webhook posted twice to two processes (Twilio's
// retry reaching another machine).
type traffic struct {
	stopped chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	ok      map[bot.Phone][]string // phone → replies of its webhook that got 200
}

func startTraffic(c *Cluster) *traffic {
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
			for range 2 {
				nd := c.Nodes[rand.IntN(len(c.Nodes))]
				if status, reply, err := nd.Inbound(sid, string(p), "YOGA"); err == nil && status == 200 {
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

// statusCallbacks posts 'delivered' for every fifth message the fake
// accepted, each to a random live process, and returns the sids whose
// callback got a 200.
func statusCallbacks(c *Cluster, tw *twiliotest.Server) map[string]bool {
	ok := map[string]bool{}
	for j, r := range tw.Requests() {
		if r.SID == "" || j%5 != 0 {
			continue
		}
		nd := c.Nodes[rand.IntN(len(c.Nodes))]
		for !nd.Running() {
			nd = c.Nodes[rand.IntN(len(c.Nodes))]
		}
		form := map[string][]string{"MessageSid": {r.SID}, "MessageStatus": {"delivered"}}
		if status, _, err := nd.Post(twilio.PathStatus, form); err == nil && status == 200 {
			ok[r.SID] = true
		}
	}
	return ok
}

// checkTraffic: every join that got a 200 is on the list, ran once (one
// inbound turn logged however many processes answered it) and was
// answered the same each time; every status callback that got a 200 is
// in its message's row.
func checkTraffic(t *testing.T, c *Cluster, joins map[bot.Phone][]string, callbacks map[string]bool) {
	t.Helper()
	rows := map[string]bot.OutMessage{}
	for _, m := range c.Outbox(t) {
		if m.SID != "" {
			rows[m.SID] = m
		}
	}
	db := c.Store(t)
	err := db.View(func(tx bot.Tx) error {
		for p, replies := range joins {
			if on, err := tx.Subscribed("YOGA", p); err != nil || !on {
				t.Errorf("%s joined (200) but is not on the list (%v)", p, err)
			}
			if len(replies) == 2 && replies[0] != replies[1] {
				t.Errorf("%s: the replayed webhook answered %q, first %q", p, replies[1], replies[0])
			}
		}
		for sid := range callbacks {
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
	checkTurns(t, db, joins)
}

// checkTurns: one inbound log line per phone that joined, whichever
// processes its two posts reached.
func checkTurns(t *testing.T, db *store.DB, joins map[bot.Phone][]string) {
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
