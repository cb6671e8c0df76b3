package flows

import (
	"context"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// A broadcast confirmed from the simulator is captured for every recipient,
// real subscribers included: the simulator never reaches a real phone.
func TestSimulatedClientBroadcastIsCaptured(t *testing.T) {
	h := newHarness(t)
	if err := directiveClient(h, "+15550009999 YOGA Sunrise Yoga"); err != nil {
		t.Fatal(err)
	}
	if err := directives["quota"](h, "+15550009999 30"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := h.engine.Handle(ctx, bot.Inbound{SID: "SMreal1", From: "+15550001111", Body: "YOGA"}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"Class at 7", "CONFIRM"} {
		r, err := h.engine.Handle(ctx, bot.Inbound{From: "+15550009999", Body: body, Simulated: true})
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		t.Logf("%s → %s", body, r.Text)
	}
	var rows []bot.OutMessage
	h.db.Read(func(tx *store.Tx) error {
		var err error
		rows, err = tx.OutboxSince("+15550001111", 0, 10)
		return err
	})
	if len(rows) != 1 || rows[0].Kind != bot.KindAnnouncement || !rows[0].Simulated {
		t.Fatalf("outbox to the real subscriber: %+v; want one simulated announcement", rows)
	}
}

// Simulated phones never join a real client's list, so they inflate no
// recipient count, quota or report; a client made in the simulator takes
// them, so joining can still be tried there.
func TestSimulatedPhoneDoesNotJoinARealList(t *testing.T) {
	h := newHarness(t)
	for _, c := range []string{"+15550009999 YOGA Sunrise Yoga", "+15550108888 DEMO Demo Studio"} {
		if err := directiveClient(h, c); err != nil {
			t.Fatal(err)
		}
	}
	h.db.Update(func(tx bot.Tx) error { // DEMO signed up in the simulator
		conv, err := tx.Conversation("+15550108888")
		if err != nil {
			return err
		}
		conv.Simulated, conv.FirstSeen = true, h.clock.Now()
		return tx.PutConversation(conv)
	})
	ctx := context.Background()
	sim := bot.Inbound{From: "+15557770000", Body: "JOIN YOGA", Simulated: true}
	r, err := h.engine.Handle(ctx, sim)
	if err != nil {
		t.Fatal(err)
	}
	sim.Body = "JOIN DEMO"
	r2, err := h.engine.Handle(ctx, sim)
	if err != nil {
		t.Fatal(err)
	}
	var yoga, demo *bot.Client
	h.db.View(func(tx bot.Tx) error {
		yoga, _ = tx.ClientByKeyword("YOGA")
		demo, _ = tx.ClientByKeyword("DEMO")
		yoga, _ = tx.Client(yoga.Phone) // by phone: with its list's size
		demo, _ = tx.Client(demo.Phone)
		return nil
	})
	if yoga.Subscribers != 0 || !strings.Contains(r.Text, "Simulated phones") {
		t.Errorf("JOIN YOGA from the simulator: %d subscribers, reply %q; want none and a reply saying why", yoga.Subscribers, r.Text)
	}
	if demo.Subscribers != 1 || !strings.Contains(r2.Text, "You joined Demo Studio") {
		t.Errorf("JOIN DEMO (a simulated client) from the simulator: %d subscribers, reply %q", demo.Subscribers, r2.Text)
	}
}
