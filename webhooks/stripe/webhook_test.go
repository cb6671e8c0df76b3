package stripe

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"nudges/bot"
)

func devConfig() Config { return Config{WebhookSecret: testSecret} }

func TestCheckoutCompletedMakesClientLive(t *testing.T) {
	f := newFixture(t, devConfig())
	f.update(func(c *bot.Client) { c.CheckoutID = "cs_1" })
	f.postOK(event("evt_1", bot.EventCheckoutCompleted, T0, session("cs_1")))
	c := f.client()
	if c.Status != bot.ClientActive || c.CustomerID != "cus_1" || c.SubscriptionID != "sub_1" || c.CheckoutID != "" {
		t.Fatalf("client after checkout: %+v", c)
	}
	if !c.PeriodStart.Equal(T0) || !c.PeriodEnd.Equal(T0.AddDate(0, 1, 0)) || c.LiveAt.IsZero() {
		t.Fatalf("period %v–%v live %v", c.PeriodStart, c.PeriodEnd, c.LiveAt)
	}
	msgs := f.outbox()
	if len(msgs) != 1 || msgs[0].To != clientPhone || msgs[0].Kind != bot.KindBilling || msgs[0].Priority != bot.PriorityHigh {
		t.Fatalf("outbox %+v", msgs)
	}
	if !strings.Contains(msgs[0].Body, "live") || !strings.Contains(msgs[0].Body, "COFFEE") || !strings.Contains(msgs[0].Body, "+15550000000") {
		t.Fatalf("live SMS %q", msgs[0].Body)
	}
	if f.kicks != 1 {
		t.Fatalf("dispatcher kicked %d times", f.kicks)
	}
}

func TestSameEventTwiceSendsOneSMS(t *testing.T) {
	f := newFixture(t, devConfig())
	payload := event("evt_1", bot.EventCheckoutCompleted, T0, session("cs_1"))
	f.postOK(payload)
	f.update(func(c *bot.Client) { c.Status = bot.ClientPending }) // would be made live again if re-applied
	f.postOK(payload)
	if n := len(f.outbox()); n != 1 {
		t.Fatalf("%d SMS, want 1", n)
	}
	if c := f.client(); c.Status != bot.ClientPending {
		t.Fatalf("a repeated event was applied again: %s", c.Status)
	}
}

func TestSignatureProblemsChangeNothing(t *testing.T) {
	f := newFixture(t, devConfig())
	payload := event("evt_1", bot.EventCheckoutCompleted, T0, session("cs_1"))
	for name, rec := range map[string]interface{ Result() *http.Response }{
		"bad secret":      f.post(payload, "whsec_wrong", time.Time{}),
		"stale timestamp": f.post(payload, testSecret, time.Now().Add(-10*time.Minute)),
		"missing header":  f.do(http.MethodPost, PathWebhook, string(payload), nil),
		"garbage header":  f.do(http.MethodPost, PathWebhook, string(payload), http.Header{"Stripe-Signature": {"t=1,v1=zz"}}),
	} {
		if code := rec.Result().StatusCode; code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if c := f.client(); c.Status != bot.ClientPending {
		t.Fatalf("status %s after refused events", c.Status)
	}
	if n := len(f.outbox()); n != 0 {
		t.Fatalf("%d SMS after refused events", n)
	}
	// A body altered after signing is refused; the same payload signed right is applied.
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: testSecret, Timestamp: time.Now()})
	tampered := strings.Replace(string(payload), "cus_1", "cus_2", 1)
	if rec := f.do(http.MethodPost, PathWebhook, tampered, http.Header{"Stripe-Signature": {sp.Header}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("tampered body: %d", rec.Code)
	}
	if c := f.client(); c.Status != bot.ClientPending {
		t.Fatalf("tampered body applied")
	}
	if rec := f.post(payload, testSecret, time.Time{}); rec.Code != http.StatusOK || f.client().Status != bot.ClientActive {
		t.Fatalf("valid event: %d, status %s", rec.Code, f.client().Status)
	}
}

func TestInvoicePaidBeforeCheckoutCompleted(t *testing.T) {
	f := newFixture(t, devConfig())
	start, end := T0.Add(-2*time.Second), T0.Add(-2*time.Second).AddDate(0, 1, 0)
	f.postOK(event("evt_inv", bot.EventInvoicePaid, T0.Add(time.Second), invoice(start, end)))
	f.postOK(event("evt_cs", bot.EventCheckoutCompleted, T0, session("cs_1")))
	c := f.client()
	if c.Status != bot.ClientActive || c.SubscriptionID != "sub_1" || c.CustomerID != "cus_1" {
		t.Fatalf("client %+v", c)
	}
	if !c.PeriodStart.Equal(start) || !c.PeriodEnd.Equal(end) {
		t.Fatalf("period %v–%v, want the invoice's %v–%v", c.PeriodStart, c.PeriodEnd, start, end)
	}
	if n := len(f.outbox()); n != 1 {
		t.Fatalf("%d SMS, want one live message", n)
	}
}

func TestInvoicePaidStartsNewPeriod(t *testing.T) {
	f := newFixture(t, devConfig())
	f.postOK(event("evt_cs", bot.EventCheckoutCompleted, T0, session("cs_1")))
	f.update(func(c *bot.Client) { c.Used = 7 })
	next := T0.AddDate(0, 1, 0)
	inv := invoice(next, next.AddDate(0, 1, 0))
	delete(inv, "parent") // the 2023 shape: subscription and subscription_details at the top
	inv["subscription"], inv["subscription_details"] = "sub_1", map[string]any{"metadata": md}
	f.postOK(event("evt_inv", bot.EventInvoicePaid, next, inv))
	c := f.client()
	if c.Used != 0 || !c.PeriodStart.Equal(next) || c.Status != bot.ClientActive {
		t.Fatalf("after renewal: used %d, period %v, status %s", c.Used, c.PeriodStart, c.Status)
	}
}

func TestPaymentFailedThenDeleted(t *testing.T) {
	f := newFixture(t, devConfig())
	f.postOK(event("evt_cs", bot.EventCheckoutCompleted, T0, session("cs_1")))
	f.postOK(event("evt_fail", bot.EventInvoiceFailed, T0.Add(time.Hour), invoice(T0, T0.AddDate(0, 1, 0))))
	if c := f.client(); c.Status != bot.ClientPastDue {
		t.Fatalf("status %s after payment_failed", c.Status)
	}
	f.postOK(event("evt_del", bot.EventSubscriptionDeleted, T0.Add(2*time.Hour), subscription("canceled", T0, T0.AddDate(0, 1, 0), "price_1")))
	if c := f.client(); c.Status != bot.ClientCanceled {
		t.Fatalf("status %s after deleted", c.Status)
	}
	msgs := f.outbox()
	if len(msgs) != 3 {
		t.Fatalf("%d SMS, want live, past due, canceled", len(msgs))
	}
	if !strings.Contains(msgs[1].Body, "http://localhost:8080/billing/"+payToken) {
		t.Errorf("past-due SMS lacks the billing link: %q", msgs[1].Body)
	}
	if !strings.Contains(msgs[2].Body, "canceled") {
		t.Errorf("cancel SMS %q", msgs[2].Body)
	}
}

func TestSubscriptionUpdatedFollowsStripeUnlessOlder(t *testing.T) {
	f := newFixture(t, devConfig())
	var pro uint64
	err := f.db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Pro", PriceMinor: 2900, Currency: "usd", Interval: bot.Month, Quota: 200, Active: true, StripePriceID: "price_pro"}
		err := tx.PutPlan(p)
		pro = p.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.postOK(event("evt_cs", bot.EventCheckoutCompleted, T0, session("cs_1")))
	start, end := T0.AddDate(0, 0, 3), T0.AddDate(0, 1, 3)
	// 2025 shape: the period lives on the subscription item.
	sub := subscription("past_due", start, end, "price_pro")
	delete(sub, "current_period_start")
	delete(sub, "current_period_end")
	sub["items"] = map[string]any{"data": []any{map[string]any{
		"price": map[string]any{"id": "price_pro"}, "current_period_start": start.Unix(), "current_period_end": end.Unix(),
	}}}
	f.postOK(event("evt_up2", bot.EventSubscriptionUpdated, T0.Add(time.Hour), sub))
	c := f.client()
	if c.Status != bot.ClientPastDue || c.PlanID != pro || !c.PeriodEnd.Equal(end) {
		t.Fatalf("after update: status %s plan %d end %v", c.Status, c.PlanID, c.PeriodEnd)
	}
	older := subscription("active", T0, T0.AddDate(0, 1, 0), "price_other")
	f.postOK(event("evt_up1", bot.EventSubscriptionUpdated, T0.Add(time.Minute), older))
	c = f.client()
	if c.Status != bot.ClientPastDue || c.PlanID != pro || !c.PeriodEnd.Equal(end) {
		t.Fatalf("an older update was applied: status %s plan %d end %v", c.Status, c.PlanID, c.PeriodEnd)
	}
}

func TestCheckoutExpiredDropsPendingLink(t *testing.T) {
	f := newFixture(t, devConfig())
	open := bot.OpenCheckout{URL: "https://checkout.stripe.com/c/pay/cs_2", Price: "price_1", Expires: T0.Add(time.Hour)}
	f.update(func(c *bot.Client) { c.CheckoutID, c.Checkout = "cs_2", open })
	f.postOK(event("evt_x1", bot.EventCheckoutExpired, T0, session("cs_1"))) // an older session
	if c := f.client(); c.CheckoutID != "cs_2" || c.Checkout != open {
		t.Fatalf("another session's expiry dropped %q %+v", c.CheckoutID, c.Checkout)
	}
	f.postOK(event("evt_x2", bot.EventCheckoutExpired, T0, session("cs_2")))
	c := f.client()
	if c.CheckoutID != "" || c.Checkout != (bot.OpenCheckout{}) || c.Status != bot.ClientPending {
		t.Fatalf("after expiry: checkout %q %+v status %s", c.CheckoutID, c.Checkout, c.Status)
	}
	if n := len(f.outbox()); n != 0 {
		t.Fatalf("%d SMS for an expired checkout", n)
	}
}

func TestOtherEventsAreIgnored(t *testing.T) {
	f := newFixture(t, devConfig())
	for i, typ := range []string{"customer.created", "charge.succeeded", "invoice.created"} {
		f.postOK(event("evt_o"+string(rune('a'+i)), typ, T0, map[string]any{"id": "x", "metadata": md}))
	}
	// A one-off invoice (no subscription) and a payment-mode checkout are not ours either.
	f.postOK(event("evt_oneoff", bot.EventInvoicePaid, T0, map[string]any{"id": "in_9", "customer": "cus_1"}))
	pay := session("cs_9")
	pay["mode"] = "payment"
	f.postOK(event("evt_paymode", bot.EventCheckoutCompleted, T0, pay))
	if c := f.client(); c.Status != bot.ClientPending || len(f.outbox()) != 0 {
		t.Fatalf("ignored events changed the client: %+v", c)
	}
}

func TestStorageFailureIs500(t *testing.T) {
	f := newFixture(t, devConfig())
	f.db.Close()
	rec := f.post(event("evt_1", bot.EventCheckoutCompleted, T0, session("cs_1")), testSecret, time.Time{})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("%d, want 500 so that Stripe retries", rec.Code)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{PublicURL: "http://localhost:8080"}, true},
		{Config{SecretKey: "sk_test_1", WebhookSecret: "whsec_1", PublicURL: "https://sms.example.com"}, true},
		{Config{SecretKey: "sk_test_1", PublicURL: "http://localhost:8080"}, false},
		{Config{PublicURL: "localhost:8080"}, false},
		{Config{PublicURL: "http://localhost:8080", APIBase: "ftp://x"}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v", c.cfg, err)
		}
	}
}

// A correctly signed body that is not an event says so, rather than blaming
// the signature: the operator should look at the payload, not the secret.
func TestSignedGarbageIsUnreadableNotBadSignature(t *testing.T) {
	f := newFixture(t, devConfig())
	rec := f.post([]byte("not json"), testSecret, time.Time{})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "unreadable event") {
		t.Fatalf("signed garbage: %d %s", rec.Code, rec.Body)
	}
	rec = f.post([]byte("not json"), "whsec_wrong", time.Time{})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "bad signature") {
		t.Fatalf("wrongly signed garbage: %d %s", rec.Code, rec.Body)
	}
}
