package stripe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// listMD names COFFEE and the paying phone, as a list checkout's metadata.
func listMD(phone bot.Phone) map[string]string {
	return map[string]string{"list": "COFFEE", "phone": string(phone)}
}

func listSub(id string, phone bot.Phone, status string, end time.Time) map[string]any {
	return map[string]any{
		"id": id, "object": "subscription", "customer": "cus_m", "status": status, "metadata": listMD(phone),
		"items": map[string]any{"data": []any{map[string]any{"current_period_start": end.AddDate(0, -1, 0).Unix(), "current_period_end": end.Unix()}}},
	}
}

func listInvoice(id, sub string, phone bot.Phone, amount int64) map[string]any {
	return map[string]any{
		"id": id, "object": "invoice", "customer": "cus_m", "amount_paid": amount,
		"parent": map[string]any{"subscription_details": map[string]any{"subscription": sub, "metadata": listMD(phone)}},
	}
}

// connectEvent is event as a Connect endpoint delivers it: with the
// connected account it came from.
func connectEvent(id, typ string, created time.Time, object any, account string) []byte {
	var m map[string]any
	if err := json.Unmarshal(event(id, typ, created, object), &m); err != nil {
		panic(err)
	}
	m["account"] = account
	b, _ := json.Marshal(m)
	return b
}

// paidFixture is a dev fixture whose COFFEE costs 5.00 on acct_1.
func paidFixture(t *testing.T, cfg Config) *fixture {
	f := newFixture(t, cfg)
	f.update(func(c *bot.Client) {
		c.Status = bot.ClientActive
		c.Payouts.Account, c.Payouts.ChargesEnabled, c.Payouts.Price = "acct_1", true, 500
	})
	return f
}

func (f *fixture) texts(to bot.Phone) []string {
	var out []string
	for _, m := range f.outbox() {
		if m.To == to {
			out = append(out, m.Body)
		}
	}
	return out
}

// Arrival order does not matter: a deleted subscription's checkout
// arriving after it, a checkout delivered twice under two ids, and an
// update after the deletion end with the phone off the list (or on it
// once), each told at most once.
func TestPaidListEventsOutOfOrder(t *testing.T) {
	f := paidFixture(t, devConfig())
	const a, b = bot.Phone("+15550001111"), bot.Phone("+15550002222")
	end := T0.AddDate(0, 1, 0)
	// deleted before completed
	f.postOK(event("evt_1", bot.EventSubscriptionDeleted, T0, listSub("sub_a", a, "canceled", end)))
	f.postOK(event("evt_2", bot.EventCheckoutCompleted, T0.Add(-time.Minute), listSession("cs_a", string(a), "sub_a")))
	if on, _ := f.member(a); on || len(f.texts(a)) != 0 {
		t.Fatalf("deleted before completed: member %v, texts %q", on, f.texts(a))
	}
	// completed twice, then deleted, then updated and completed again
	f.postOK(event("evt_3", bot.EventCheckoutCompleted, T0, listSession("cs_b", string(b), "sub_b")))
	f.postOK(event("evt_4", bot.EventCheckoutCompleted, T0, listSession("cs_b", string(b), "sub_b")))
	if on, paid := f.member(b); !on || paid != "sub_b" || len(f.texts(b)) != 1 {
		t.Fatalf("completed twice: member %v by %q, texts %q", on, paid, f.texts(b))
	}
	f.postOK(event("evt_5", bot.EventSubscriptionDeleted, T0.Add(time.Hour), listSub("sub_b", b, "canceled", end)))
	f.postOK(event("evt_6", bot.EventSubscriptionUpdated, T0.Add(2*time.Hour), listSub("sub_b", b, "active", end)))
	f.postOK(event("evt_3", bot.EventCheckoutCompleted, T0, listSession("cs_b", string(b), "sub_b")))
	f.postOK(event("evt_7", bot.EventCheckoutCompleted, T0.Add(3*time.Hour), listSession("cs_b", string(b), "sub_b")))
	if on, _ := f.member(b); on {
		t.Fatal("back on the list after its subscription was deleted")
	}
	if got := f.texts(b); len(got) != 2 || !strings.Contains(got[1], "has ended") {
		t.Fatalf("texts %q", got)
	}
	var n int
	_ = f.db.View(func(tx bot.Tx) error { n, _ = tx.PaidCount("COFFEE"); return nil })
	if n != 0 {
		t.Fatalf("paid count %d", n)
	}
}

// invoice.payment_failed texts the member a card-update link once per
// invoice, whatever Stripe's retries; the link opens the dev page (no
// card in dev mode). unpaid takes the member off and cancels.
func TestPaidListPaymentFailedAndUnpaid(t *testing.T) {
	f := paidFixture(t, devConfig())
	const a = bot.Phone("+15550001111")
	f.postOK(event("evt_1", bot.EventCheckoutCompleted, T0, listSession("cs_a", string(a), "sub_a")))
	for i, id := range []string{"evt_f1", "evt_f2", "evt_f3"} {
		inv := "in_1"
		if i == 2 {
			inv = "in_2"
		}
		f.postOK(event(id, bot.EventInvoiceFailed, T0.Add(time.Duration(i+1)*time.Hour), listInvoice(inv, "sub_a", a, 0)))
	}
	texts := f.texts(a)
	if len(texts) != 3 || !strings.Contains(texts[1], "Update your card") || !strings.Contains(texts[2], "Update your card") {
		t.Fatalf("texts %q", texts)
	}
	link := texts[2][strings.Index(texts[2], "/p/"):] // the newest link replaces the one before
	if r := f.do(http.MethodGet, link, "", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "no card to update") {
		t.Fatalf("card link %d: %s", r.Code, r.Body)
	}
	if r := f.do(http.MethodPost, link, "", nil); r.Code != http.StatusNotFound {
		t.Fatalf("paying through a card link: %d", r.Code)
	}
	f.postOK(event("evt_u", bot.EventSubscriptionUpdated, T0.Add(4*time.Hour), listSub("sub_a", a, "unpaid", T0.AddDate(0, 1, 0))))
	if on, _ := f.member(a); on {
		t.Fatal("unpaid member still on the list")
	}
	if got := f.texts(a); len(got) != 4 || !strings.Contains(got[3], "has ended") {
		t.Fatalf("texts %q", got)
	}
}

// Connect events, signed with the Connect endpoint's secret and carrying
// the account, are applied like the platform's; a connected account's own
// subscription (no list in its metadata) is not ours and changes nothing.
func TestPaidListConnectEndpoint(t *testing.T) {
	cfg := devConfig()
	cfg.ConnectWebhookSecret = connectSecret
	f := paidFixture(t, cfg)
	const a = bot.Phone("+15550001111")
	ev := connectEvent("evt_c1", bot.EventCheckoutCompleted, T0, listSession("cs_a", string(a), "sub_a"), "acct_1")
	if r := f.post(ev, connectSecret, time.Time{}); r.Code != http.StatusOK {
		t.Fatalf("connect-signed: %d %s", r.Code, r.Body)
	}
	if on, _ := f.member(a); !on {
		t.Fatal("not a member")
	}
	own := subscription("canceled", T0, T0.AddDate(0, 1, 0), "price_x")
	f.update(func(c *bot.Client) { c.SubscriptionID, c.Status = "sub_1", bot.ClientActive })
	if r := f.post(connectEvent("evt_c2", bot.EventSubscriptionDeleted, T0.Add(time.Hour), own, "acct_1"), connectSecret, time.Time{}); r.Code != http.StatusOK {
		t.Fatalf("connected account's own event: %d", r.Code)
	}
	if c := f.client(); c.Status != bot.ClientActive {
		t.Fatalf("a connected account's event changed the client: %+v", c.Status)
	}
}

// Dev checkout: paying counts the month's revenue once; STATS' figures
// (SummarizePaid) show it with the paying member.
func TestDevPaidJoinRevenue(t *testing.T) {
	f := newFixture(t, devConfig())
	path := f.priced()
	for range 2 {
		f.do(http.MethodPost, path, "", nil)
	}
	var s bot.PaidSummary
	err := f.db.View(func(tx bot.Tx) error {
		c, err := tx.ClientByKeyword("COFFEE")
		if err == nil {
			s, err = bot.SummarizePaid(tx, c, f.clock.Now(), 10)
		}
		return err
	})
	if err != nil || s.Members != 1 || s.Revenue != 500 || s.Price != 500 || s.Currency != "usd" {
		t.Fatalf("summary %+v: %v", s, err)
	}
}

// stripe-mock accepts the cancellation at period end (on the platform's
// account, where a destination charge's subscription lives: no
// Stripe-Account header) with an idempotency key, and the member's
// Billing Portal session.
func TestStripeCancelPaidShape(t *testing.T) {
	f, rec := stripeFixture(t)
	if err := f.srv.API().CancelPaid(context.Background(), "sub_123", "acct_1"); err != nil {
		t.Fatal(err)
	}
	wantForm(t, "cancel", rec.find(t, http.MethodPost, "/v1/subscriptions/sub_123"), map[string]string{"cancel_at_period_end": "true"})
	h := rec.header(t, http.MethodPost, "/v1/subscriptions/sub_123")
	if h.Get("Idempotency-Key") != "cancel-at-period-end-sub_123" || h.Get("Stripe-Account") != "" {
		t.Fatalf("headers %v", h)
	}
	url, err := f.srv.API().MemberPortal(context.Background(), "cus_9", "https://sms.example.com/p/tok/done", true)
	if err != nil || url == "" {
		t.Fatalf("portal %q: %v", url, err)
	}
	wantForm(t, "portal", rec.find(t, http.MethodPost, "/v1/billing_portal/sessions"), map[string]string{
		"customer": "cus_9", "return_url": "https://sms.example.com/p/tok/done", "locale": "es",
	})
}
