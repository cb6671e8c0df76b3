package metrics

import (
	"path/filepath"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// Clients' own numbers are counted by state from the store, every state
// served even at zero.
func TestNumbersByState(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx bot.Tx) error {
		for i, st := range []bot.NumberState{bot.NumberReady, bot.NumberReady, bot.NumberProvisioning, ""} {
			c := &bot.Client{Phone: bot.Phone("+1555000100" + string(rune('0'+i))), Keyword: "K" + string(rune('A'+i)), Status: bot.ClientActive}
			if st != "" {
				c.Own = &bot.OwnNumber{Kind: bot.NumberLocal, State: st}
			}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, New(db, "", "v-test"), "127.0.0.1:1")
	for _, want := range []string{`nudges_numbers{state="ready"} 2`, `nudges_numbers{state="provisioning"} 1`,
		`nudges_numbers{state="verifying"} 0`, `nudges_numbers{state="rejected"} 0`, `nudges_numbers{state="released"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// The queue is split by the kind of number each message goes from: the
// service number, or a client's own local or toll-free number.
func TestQueueBySenderKind(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const tollFree, local = bot.Phone("+18335550100"), bot.Phone("+15550112222")
	err = db.Update(func(tx bot.Tx) error {
		for i, own := range []*bot.OwnNumber{
			{Phone: tollFree, Kind: bot.NumberTollFree, State: bot.NumberReady},
			{Phone: local, Kind: bot.NumberLocal, State: bot.NumberReady},
		} {
			c := &bot.Client{Phone: bot.Phone("+1555000200" + string(rune('0'+i))), Keyword: "Q" + string(rune('A'+i)), Status: bot.ClientActive, Own: own}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		for i, m := range []struct {
			from bot.Phone
			prio bot.Priority
			ann  uint64
		}{{tollFree, bot.PriorityBulk, 1}, {tollFree, bot.PriorityBulk, 1}, {local, bot.PriorityHigh, 0},
			{"", bot.PriorityBulk, 2}, {"", bot.PriorityBulk, 2}, {"", bot.PriorityHigh, 0}} {
			msg := &bot.OutMessage{To: bot.Phone("+1555300000" + string(rune('0'+i))), From: m.from, Body: "hi",
				Priority: m.prio, AnnouncementID: m.ann, Status: bot.StatusQueued}
			if err := tx.Enqueue(msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, New(db, "", "v-test"), "127.0.0.1:1")
	for _, want := range []string{`nudges_outbox_queued_by_sender_kind{kind="service"} 3`,
		`nudges_outbox_queued_by_sender_kind{kind="local"} 1`, `nudges_outbox_queued_by_sender_kind{kind="toll-free"} 2`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
