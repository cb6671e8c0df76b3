package flows

import (
	"context"
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
