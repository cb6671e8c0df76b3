package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

// haltList is the size of the list HALT is tested on; at 10 SMS a second
// its broadcast takes four seconds, so the HALT lands in the middle.
const haltList = 40

// HALT during a real dispatch (the service's dispatcher sending to the fake
// Twilio at 10 a second): the reply is the report, the rows not yet taken
// are settled halted and never reach Twilio, those in flight settle as
// usual, and no second report comes. The process runs on a one-member
// etcd+embed store so that the test can watch the announcement settle.
func TestHaltDuringARealDispatch(t *testing.T) {
	tw := twiliotest.New(t)
	c := StartCluster(t, 1, Options{Twilio: tw, Rate: "10", PublicURL: growthPublic})
	db := c.Store(t)
	if err := db.Update(seedGrowth); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(seedMore(haltList - 3)); err != nil {
		t.Fatal(err)
	}
	s := c.Nodes[0]

	if got := s.SMS(t, Client, "HALT"); !strings.Contains(got, "Nothing is being sent") {
		t.Errorf("HALT before any announcement: %q", got)
	}
	s.SMS(t, Client, "Class is cancelled tonight.")
	if got := s.SMS(t, Client, "CONFIRM"); !strings.Contains(got, fmt.Sprintf("Sending now to %d ", haltList)) {
		t.Fatalf("CONFIRM: %q", got)
	}
	announced(t, tw, 3)
	reply := s.SMS(t, Client, "HALT")
	m := regexp.MustCompile(`^Halted: (\d+) of (\d+) sent, (\d+) dropped\.(?: Already on their way, and may still arrive: (\d+)\.)?$`).FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("HALT answered %q", reply)
	}
	t.Log(reply)
	sent, total, dropped, inflight := atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])
	// Three reached Twilio before the HALT: each is sent, or still in
	// flight when the dispatcher has not recorded Twilio's answer yet.
	if total != haltList || sent+inflight < 3 || dropped == 0 || sent+dropped+inflight != haltList {
		t.Errorf("HALT reply %q: want %d in all, at least 3 sent or on their way, some dropped", reply, haltList)
	}

	var a *bot.Announcement
	WaitFor(t, 10*time.Second, "the halted announcement to settle", func() bool {
		db.View(func(tx bot.Tx) error {
			c, err := tx.Client(Client)
			if err == nil && c != nil {
				a, err = tx.Announcement(c.LastAnnouncement)
			}
			return err
		})
		return a != nil && !a.DoneAt.IsZero()
	})
	reached := len(announced(t, tw, sent))
	if a.Counts[bot.StatusHalted] != dropped || a.Counts[bot.StatusSent] != reached || reached < sent || reached > sent+inflight {
		t.Errorf("after HALT: %d reached Twilio, counts %v; the reply said %d sent, %d dropped, %d in flight", reached, a.Counts, sent, dropped, inflight)
	}
	if again := s.SMS(t, Client, "HALT"); !strings.Contains(again, "Nothing is being sent") {
		t.Errorf("a second HALT: %q", again)
	}
	for _, r := range tw.Sent() {
		if r.Form.Get("To") == Client {
			t.Errorf("the client got %q besides the HALT reply", r.Form.Get("Body"))
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// seedMore adds n subscribers +15552100000… to YOGA.
func seedMore(n int) func(tx bot.Tx) error {
	return func(tx bot.Tx) error {
		now := time.Now().UTC()
		for i := range n {
			p := bot.Phone(fmt.Sprintf("+1555210%04d", i))
			if err := tx.PutConversation(&bot.Conversation{Phone: p, Locale: bot.English, FirstSeen: now}); err != nil {
				return err
			}
			if _, err := tx.Subscribe("YOGA", p, now.Add(-time.Minute)); err != nil {
				return err
			}
		}
		return nil
	}
}
