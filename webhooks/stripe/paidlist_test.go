package stripe

import (
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// listSession is a paid list's completed Checkout Session: its metadata
// names the list and the paying phone, and it has no client reference.
func listSession(id, phone, sub string) map[string]any {
	return map[string]any{
		"id": id, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
		"customer": "cus_m", "subscription": sub, "metadata": map[string]string{"list": "COFFEE", "phone": phone},
	}
}

// member reports whether p is on COFFEE and the subscription it pays by.
func (f *fixture) member(p bot.Phone) (bool, string) {
	f.t.Helper()
	var on bool
	var paid string
	err := f.db.View(func(tx bot.Tx) error {
		subs, err := tx.SubscriptionsOf(p)
		for _, s := range subs {
			if s.Keyword == "COFFEE" {
				on, paid = true, s.Paid
			}
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return on, paid
}

// A signed checkout.session.completed of a paid list puts the phone on the
// list with its subscription and texts it the join confirmation; the same
// event again and a second event for the member send nothing more.
func TestListCheckoutCompletedAddsMember(t *testing.T) {
	f := newFixture(t, devConfig())
	f.update(func(c *bot.Client) { c.Status = bot.ClientActive })
	const phone = bot.Phone("+15550001111")
	payload := event("evt_l1", bot.EventCheckoutCompleted, T0, listSession("cs_l1", string(phone), "sub_m1"))
	f.postOK(payload)
	if on, paid := f.member(phone); !on || paid != "sub_m1" {
		t.Fatalf("member %v paying by %q", on, paid)
	}
	f.postOK(payload)
	f.postOK(event("evt_l2", bot.EventCheckoutCompleted, T0.Add(-time.Second), listSession("cs_l1", string(phone), "sub_m1")))
	msgs := f.outbox()
	if len(msgs) != 1 || msgs[0].To != phone || !strings.Contains(msgs[0].Body, "You joined Joe's Coffee (COFFEE)") {
		t.Fatalf("outbox %+v", msgs)
	}
	if c := f.client(); c.SubscriptionID != "" || c.CustomerID != "" {
		t.Fatalf("the list's subscription was taken for the client's own: %+v", c)
	}
}

// A paid list's events that name a client's phone (a client paying for
// another list) never touch that client's own billing.
func TestListEventsNeverBillTheClient(t *testing.T) {
	f := newFixture(t, devConfig())
	f.postOK(event("evt_l1", bot.EventCheckoutCompleted, T0, listSession("cs_l1", string(clientPhone), "sub_m1")))
	sub := subscription("active", T0, T0.AddDate(0, 1, 0), "price_x")
	sub["id"], sub["metadata"] = "sub_m1", map[string]string{"list": "COFFEE", "phone": string(clientPhone)}
	f.postOK(event("evt_l2", bot.EventSubscriptionUpdated, T0.Add(time.Second), sub))
	if c := f.client(); c.Status != bot.ClientPending || c.SubscriptionID != "" || c.CustomerID != "" {
		t.Fatalf("client after its list payment: %+v", c)
	}
	for _, m := range f.outbox() {
		if m.Kind == bot.KindBilling {
			t.Fatalf("billing SMS %q", m.Body)
		}
	}
}
