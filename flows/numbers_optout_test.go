package flows

import (
	"strings"
	"testing"

	"nudges/bot"
)

// twoLists is a subscriber on Sunrise Yoga (its own number, joined there)
// and Main St Bakery (the service number).
const twoLists = `! client +15550009999 YOGA Sunrise Yoga
! number +15550009999 +15550100001
! client +15550008888 BAKE Main St Bakery
>@+15550100001 +15550001111 JOIN
> +15550001111 BAKE`

const yogaNumber = bot.Phone("+15550100001")

// Consent records name the number a text came to: the client's own number
// for a join or STOP there, the service number for the others.
func TestConsentRecordsNameTheNumber(t *testing.T) {
	h := newHarness(t)
	h.run(twoLists + "\n>@+15550100001 +15550001111 STOP\n>@+15550100001 +15550001111 START")
	var got []string
	err := h.db.EachConsent("", 10, func(r bot.ConsentRecord) error {
		got = append(got, string(r.Kind)+" "+r.Keyword+" to "+r.To)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "join YOGA to +15550100001|join BAKE to +15550000000|opt-out YOGA to +15550100001|opt-in YOGA to +15550100001|join YOGA to +15550100001"
	if strings.Join(got, "|") != want {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
}

// A 21610 on a message from a client's own number opts the phone out of
// that number pair only: it leaves that client's list, stays on the
// other, and the service number still texts it. The record names the
// number; the next message from that number is never sent.
func TestCarrierOptOutIsPerNumberPair(t *testing.T) {
	h := newHarness(t)
	h.run(twoLists)
	sub := bot.MustPhone("+15550001111")
	fromYoga := h.queue(t, yogaNumber, sub)
	h.carrierRefuses(t, fromYoga)

	conv := h.conversation(t, sub)
	if conv.OptedOut || !conv.OptedOutOf(yogaNumber) {
		t.Fatalf("opted out of service %v, of the yoga number %v; want only the yoga number", conv.OptedOut, conv.OptedOutOf(yogaNumber))
	}
	if lists := h.listsOf(t, sub); lists != "BAKE" {
		t.Errorf("lists after 21610 from the yoga number: %q, want BAKE", lists)
	}
	var rec bot.ConsentRecord
	h.db.EachConsent("YOGA", 10, func(r bot.ConsentRecord) error {
		if r.Kind == bot.ConsentCarrierOptOut {
			rec = r
		}
		return nil
	})
	if rec.To != string(yogaNumber) || !strings.Contains(rec.Source(), "from +15550100001") {
		t.Errorf("carrier opt-out record %+v (source %q): want it to name the yoga number", rec, rec.Source())
	}

	again, service := h.queue(t, yogaNumber, sub), h.queue(t, "", sub)
	claimed, _, err := h.lifecycle().Claim(h.clock.Now(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 1 || claimed[0].ID != service {
		t.Fatalf("claimed %+v; want only the service number's message %d", claimed, service)
	}
	if m := h.message(t, again); m.Status != bot.StatusSkipped {
		t.Errorf("message from the opted-out number: %s, want skipped", m.Status)
	}

	// A 21610 from the service number leaves the bakery, not yoga's pair.
	refused := bot.Outcome{ID: service, Status: bot.StatusFailed, SID: "SM21610b", Tries: 1, Code: bot.CodeOptedOut}
	if err := h.lifecycle().Record(h.clock.Now(), []bot.Outcome{refused}); err != nil {
		t.Fatal(err)
	}
	conv = h.conversation(t, sub)
	if !conv.OptedOut || len(conv.NumberOptOuts) != 1 {
		t.Errorf("after the service number's 21610: opted out %v, number opt-outs %v", conv.OptedOut, conv.NumberOptOuts)
	}
	if lists := h.listsOf(t, sub); lists != "" {
		t.Errorf("lists: %q, want none", lists)
	}
}

// queue puts one reply from sender from to phone to in the outbox, as a
// message queued before any opt-out (bot.Text would refuse it after).
func (h *harness) queue(t *testing.T, from, to bot.Phone) uint64 {
	t.Helper()
	now := h.clock.Now()
	m := &bot.OutMessage{To: to, From: from, Body: "hello", Kind: bot.KindReply, Priority: bot.PriorityHigh, CreatedAt: now, UpdatedAt: now, NextAt: now}
	if err := h.db.Update(func(tx bot.Tx) error { return tx.Enqueue(m) }); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// carrierRefuses claims message id and records Twilio's 21610 for it.
func (h *harness) carrierRefuses(t *testing.T, id uint64) {
	t.Helper()
	claimed, _, err := h.lifecycle().Claim(h.clock.Now(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var outs []bot.Outcome
	for _, m := range claimed {
		o := bot.Outcome{ID: m.ID, Status: bot.StatusSent, SID: "SMok" + string(m.To[1:]), Tries: 1}
		if m.ID == id {
			o = bot.Outcome{ID: id, Status: bot.StatusFailed, SID: "SM21610", Tries: 1, Code: bot.CodeOptedOut, Error: "unsubscribed recipient"}
		}
		outs = append(outs, o)
	}
	if len(outs) == 0 {
		t.Fatalf("message %d was not claimed", id)
	}
	if err := h.lifecycle().Record(h.clock.Now(), outs); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) conversation(t *testing.T, p bot.Phone) *bot.Conversation {
	t.Helper()
	var c *bot.Conversation
	if err := h.db.View(func(tx bot.Tx) error {
		var err error
		c, err = tx.Conversation(p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) message(t *testing.T, id uint64) *bot.OutMessage {
	t.Helper()
	var m *bot.OutMessage
	if err := h.db.View(func(tx bot.Tx) error {
		var err error
		m, err = tx.OutMessage(id)
		return err
	}); err != nil || m == nil {
		t.Fatalf("message %d: %v", id, err)
	}
	return m
}

// listsOf is p's lists' keywords, comma-separated.
func (h *harness) listsOf(t *testing.T, p bot.Phone) string {
	t.Helper()
	var kws []string
	if err := h.db.View(func(tx bot.Tx) error {
		subs, err := tx.SubscriptionsOf(p)
		for _, s := range subs {
			kws = append(kws, s.Keyword)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(kws, ",")
}
