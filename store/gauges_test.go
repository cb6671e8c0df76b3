package store

import (
	"fmt"
	"testing"
	"time"

	"nudges/bot"
)

func TestGaugesCountQueueByPriorityAndClients(t *testing.T) {
	db := openTest(t)
	err := db.Update(func(tx bot.Tx) error {
		for i, st := range []bot.ClientStatus{bot.ClientActive, bot.ClientActive, bot.ClientPastDue} {
			c := &bot.Client{Phone: bot.Phone(fmt.Sprintf("+1555000000%d", i)), Keyword: fmt.Sprintf("KW%d", i), Status: st}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		for i := range 3 {
			if _, err := tx.Subscribe("KW0", bot.Phone(fmt.Sprintf("+1555100000%d", i)), t0); err != nil {
				return err
			}
		}
		if _, err := tx.Subscribe("KW1", "+15551000000", t0); err != nil {
			return err
		}
		// 2 urgent, 700 bulk: enough rows for the queue to span several pages;
		// 40 of the bulk ones are due tomorrow (held for a send window).
		for i := range 702 {
			prio, due := bot.PriorityBulk, t0
			if i%351 == 0 {
				prio = bot.PriorityHigh
			} else if i < 41 {
				due = t0.Add(24 * time.Hour)
			}
			m := &bot.OutMessage{To: bot.Phone(fmt.Sprintf("+1555200%04d", i)), Body: "hi", Priority: prio, NextAt: due}
			if err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.Gauges(t0)
	if err != nil {
		t.Fatal(err)
	}
	if g.Outbox[bot.PriorityHigh] != 2 || g.Outbox[bot.PriorityBulk] != 700 {
		t.Errorf("outbox by priority: %v, want high 2, bulk 700", g.Outbox)
	}
	if g.Waiting != 40 {
		t.Errorf("waiting for a later time: %d, want 40", g.Waiting)
	}
	if g.Subscribers != 4 {
		t.Errorf("subscribers (memberships): %d, want 4", g.Subscribers)
	}
	if g.Clients[bot.ClientActive] != 2 || g.Clients[bot.ClientPastDue] != 1 {
		t.Errorf("clients by status: %v", g.Clients)
	}
}
