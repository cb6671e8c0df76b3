package flows

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"nudges/bot"
)

// hookEndpoint registers an enabled endpoint of owner for every event.
func hookEndpoint(t *testing.T, h *harness, owner bot.Phone) *bot.HookEndpoint {
	t.Helper()
	e := &bot.HookEndpoint{Owner: owner, URL: "https://hooks.example.com/" + string(owner), Events: bot.HookEvents,
		Secret: bot.NewHookSecret(), Enabled: true, CreatedAt: Start}
	if err := h.db.Update(func(tx bot.Tx) error { return tx.PutHookEndpoint(e) }); err != nil {
		t.Fatal(err)
	}
	return e
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

// TestHooksFollowTheTurns: each event of a list queues one delivery for
// the client's endpoint and one for the admin's; another client's
// endpoint hears nothing.
func TestHooksFollowTheTurns(t *testing.T) {
	h := yogaHarness(t, 30)
	mine := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	admin := hookEndpoint(t, h, bot.HookAdmin)
	other := hookEndpoint(t, h, bot.MustPhone("+15550007777"))
	h.text(sub1, "YOGA")
	h.text(sub2, "YOGA")
	h.text(yogaPhone, "Class at 7")
	if r := h.text(yogaPhone, "CONFIRM"); !strings.Contains(r, "Sending now") {
		t.Fatalf("CONFIRM answered %q", r)
	}
	h.text(sub1, "is class full?")
	h.text(sub1, "LEAVE")
	h.text(sub2, "STOP")
	want := []string{bot.HookSubscriberJoined, bot.HookSubscriberJoined, bot.HookAnnouncementSent,
		bot.HookReplyReceived, bot.HookSubscriberLeft, bot.HookSubscriberOptedOut}
	for _, e := range []*bot.HookEndpoint{mine, admin} {
		if got := hookTypes(t, h, e.ID); !slices.Equal(got, want) {
			t.Errorf("endpoint of %s: %v, want %v", e.Owner, got, want)
		}
	}
	if got := hookTypes(t, h, other.ID); len(got) != 0 {
		t.Errorf("another client's endpoint heard %v", got)
	}
}

// TestJoinRolledBackQueuesNoHook: the delivery row is part of the join's
// transaction: a join whose transaction fails leaves none.
func TestJoinRolledBackQueuesNoHook(t *testing.T) {
	h := yogaHarness(t, 30)
	e := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	boom := errors.New("boom")
	err := h.db.Update(func(tx bot.Tx) error {
		r := bot.ConsentRecord{At: Start, Phone: bot.MustPhone(sub1), Kind: bot.ConsentJoin}
		if err := bot.RecordConsent(tx, r, "YOGA"); err != nil {
			return err
		}
		if got, _ := tx.HookDeliveries(e.ID, 10); len(got) != 1 {
			t.Errorf("inside the transaction: %d rows, want 1", len(got))
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := hookTypes(t, h, e.ID); len(got) != 0 {
		t.Fatalf("a rolled-back join queued %v", got)
	}
	h.text(sub1, "YOGA")
	if got := hookTypes(t, h, e.ID); !slices.Equal(got, []string{bot.HookSubscriberJoined}) {
		t.Fatalf("a committed join queued %v", got)
	}
}

// TestDisabledEndpointHearsNothing: events skip a disabled endpoint and
// one that did not pick them.
func TestDisabledEndpointHearsNothing(t *testing.T) {
	h := yogaHarness(t, 30)
	off := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	off.Enabled = false
	picky := &bot.HookEndpoint{Owner: bot.MustPhone(yogaPhone), URL: "https://x.example.com/", Events: []string{bot.HookSubscriberLeft}, Enabled: true}
	h.db.Update(func(tx bot.Tx) error {
		if err := tx.PutHookEndpoint(off); err != nil {
			return err
		}
		return tx.PutHookEndpoint(picky)
	})
	h.text(sub1, "YOGA")
	if a, b := hookTypes(t, h, off.ID), hookTypes(t, h, picky.ID); len(a)+len(b) != 0 {
		t.Fatalf("disabled heard %v, picky heard %v", a, b)
	}
}

// TestHooksCompletedAndNumberReady: an announcement whose every message
// settled queues announcement.completed, and a number made ready queues
// number.ready, both for the client's endpoint.
func TestHooksCompletedAndNumberReady(t *testing.T) {
	h := yogaHarness(t, 30)
	e := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	h.text(sub1, "YOGA")
	h.text(yogaPhone, "Class at 7")
	h.text(yogaPhone, "CONFIRM")
	msgs, _, err := h.lifecycle().Claim(h.clock.Now(), 100, nil)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("claim: %d, %v", len(msgs), err)
	}
	h.claimed = msgs
	if err := directiveRecord(h, ""); err != nil {
		t.Fatal(err)
	}
	h.run("! number " + yogaPhone + " +15550100001\n! ready " + yogaPhone)
	want := []string{bot.HookSubscriberJoined, bot.HookAnnouncementSent, bot.HookAnnouncementCompleted, bot.HookNumberReady}
	if got := hookTypes(t, h, e.ID); !slices.Equal(got, want) {
		t.Fatalf("queued %v, want %v", got, want)
	}
}

// TestHooksAPIAddAndRemove: a subscriber added and removed through the
// API (as an import row, and as LEAVE) queues joined and left.
func TestHooksAPIAddAndRemove(t *testing.T) {
	h := yogaHarness(t, 30)
	e := hookEndpoint(t, h, bot.MustPhone(yogaPhone))
	now := h.clock.Now()
	c := bot.Consent{Source: "website form", At: now, Text: "Yes, text me"}
	if _, err := bot.AddSubscriber(h.db, now, "YOGA", bot.MustPhone(sub1), c, "key1", ""); err != nil {
		t.Fatal(err)
	}
	if err := bot.RemoveSubscriber(h.db, now, "YOGA", bot.MustPhone(sub1), "key1"); err != nil {
		t.Fatal(err)
	}
	want := []string{bot.HookSubscriberJoined, bot.HookSubscriberLeft}
	if got := hookTypes(t, h, e.ID); !slices.Equal(got, want) {
		t.Fatalf("queued %v, want %v", got, want)
	}
}
