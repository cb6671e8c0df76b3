package api

import (
	"fmt"
	"slices"
	"testing"

	"nudges/bot"
)

// An announcement made through the API queues announcement.sent for the
// client's endpoint when it starts, and announcement.completed when its
// last recipient settled, as one confirmed by SMS does.
func TestAnnouncementWebhooks(t *testing.T) {
	h := newHarness(t)
	e := &bot.HookEndpoint{Owner: yogaPhone, URL: "https://hooks.example.com/yoga", Events: bot.HookEvents,
		Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: t0}
	if err := h.db.Update(func(tx bot.Tx) error { return tx.PutHookEndpoint(e) }); err != nil {
		t.Fatal(err)
	}
	h.join("YOGA", sub1, sub2)
	if r := h.call("POST", "/api/v1/announcements", h.yoga, annBody("text", "Class at 7")); r.Code != 201 {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	if got := hookTypes(t, h, e.ID); !slices.Equal(got, []string{bot.HookSubscriberJoined, bot.HookSubscriberJoined, bot.HookAnnouncementSent}) {
		t.Fatalf("after create: %v", got)
	}
	life := &bot.Lifecycle{Store: h.db, Report: bot.ReportTo(h.tr), Clock: h.clock}
	msgs, _, err := life.Claim(h.clock.Now(), 100, nil)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("claim: %d, %v", len(msgs), err)
	}
	var outs []bot.Outcome
	for i, m := range msgs {
		outs = append(outs, bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: fmt.Sprintf("SMhook%d", i), Tries: 1})
	}
	if err := life.Record(h.clock.Now(), outs); err != nil {
		t.Fatal(err)
	}
	if got := hookTypes(t, h, e.ID); !slices.Contains(got, bot.HookAnnouncementCompleted) {
		t.Errorf("after the last recipient: %v, no announcement.completed", got)
	}
}

// hookTypes are the event types queued for endpoint id, oldest first.
func hookTypes(t *testing.T, h *harness, id uint64) []string {
	t.Helper()
	var out []string
	err := h.db.View(func(tx bot.Tx) error {
		ds, err := tx.HookDeliveries(id, 1000)
		for _, d := range slices.Backward(ds) {
			out = append(out, d.Type)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
