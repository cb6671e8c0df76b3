package stripe

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// The dev checkout end to end, as a new user meets it: the SMS link, the
// redirect, the page, the button, the live SMS.
func TestDevCheckoutPaysThroughTheSamePath(t *testing.T) {
	f := newFixture(t, devConfig())
	rec := f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dev/checkout/"+payToken {
		t.Fatalf("GET /pay: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = f.do(http.MethodGet, "/dev/checkout/"+payToken, "", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Pay (test mode)") || !strings.Contains(body, "Starter") ||
		!strings.Contains(body, `action="/dev/checkout/`+payToken+`"`) {
		t.Fatalf("dev checkout page %d:\n%s", rec.Code, body)
	}
	rec = f.do(http.MethodPost, "/dev/checkout/"+payToken, "", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/pay/"+payToken+"/done" {
		t.Fatalf("POST pay: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	c := f.client()
	if c.Status != bot.ClientActive || c.SubscriptionID == "" || c.CustomerID == "" || c.PeriodEnd.IsZero() {
		t.Fatalf("client after dev pay: %+v", c)
	}
	msgs := f.outbox()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "You're live") || msgs[0].Kind != bot.KindBilling || f.kicks != 1 {
		t.Fatalf("outbox %+v kicks %d", msgs, f.kicks)
	}
	// Paying again changes nothing and sends nothing.
	rec = f.do(http.MethodPost, "/dev/checkout/"+payToken, "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "already paid") || len(f.outbox()) != 1 {
		t.Fatalf("second pay: %d %s, %d SMS", rec.Code, rec.Body, len(f.outbox()))
	}
	// A paid client's payment link says so; its billing link (texted by
	// PLAN) is, in dev mode, a page.
	rec = f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "already paid") {
		t.Fatalf("paid GET /pay: %d %s", rec.Code, rec.Body)
	}
	rec = f.do(http.MethodGet, f.freshBillLink("dev"), "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "status: active") {
		t.Fatalf("dev billing page %d:\n%s", rec.Code, rec.Body)
	}
	rec = f.do(http.MethodGet, "/pay/"+payToken+"/done", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Thanks") {
		t.Fatalf("done page %d", rec.Code)
	}
}

func TestUnknownTokenIs404(t *testing.T) {
	f := newFixture(t, devConfig())
	for _, req := range [][2]string{
		{http.MethodGet, "/pay/nosuchtoken"}, {http.MethodGet, "/billing/nosuchtoken"},
		{http.MethodGet, "/dev/checkout/nosuchtoken"}, {http.MethodPost, "/dev/checkout/nosuchtoken"},
	} {
		if rec := f.do(req[0], req[1], "", nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s %s: %d", req[0], req[1], rec.Code)
		}
	}
	if c := f.client(); c.Status != bot.ClientPending {
		t.Fatal("client changed")
	}
}

func TestDevCheckoutAbsentWithStripe(t *testing.T) {
	f := newFixture(t, Config{SecretKey: "sk_test_123", WebhookSecret: testSecret, APIBase: "http://127.0.0.1:1"})
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if rec := f.do(m, "/dev/checkout/"+payToken, "", nil); rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s /dev/checkout with Stripe configured: %d", m, rec.Code)
		}
	}
	if f.client().Status != bot.ClientPending {
		t.Fatal("client changed")
	}
}

func TestSuspendedClientCannotPay(t *testing.T) {
	f := newFixture(t, devConfig())
	f.update(func(c *bot.Client) { c.Status = bot.ClientSuspended })
	if rec := f.do(http.MethodGet, "/pay/"+payToken, "", nil); rec.Code != http.StatusForbidden {
		t.Fatalf("suspended GET /pay: %d", rec.Code)
	}
	if rec := f.do(http.MethodPost, "/dev/checkout/"+payToken, "", nil); rec.Code != http.StatusOK || f.client().Status != bot.ClientSuspended {
		t.Fatalf("suspended dev pay: %d status %s", rec.Code, f.client().Status)
	}
}

// A checkout session created while the client's payment webhook overtook
// the request is not recorded: the paid client keeps no pending session a
// later payment link would send it back to.
func TestSessionNotSavedForAPaidClient(t *testing.T) {
	f := newFixture(t, devConfig())
	open := bot.OpenCheckout{URL: "https://checkout.stripe.com/c/pay/cs_late", Price: "price_1", Expires: T0.Add(time.Hour)}
	if _, err := f.srv.saveCheckout(payToken, "cs_early", open); err != nil {
		t.Fatal(err)
	}
	if c := f.client(); c.CheckoutID != "cs_early" || c.Checkout != open {
		t.Fatalf("pending client's session not saved: %q %+v", c.CheckoutID, c.Checkout)
	}
	f.update(func(c *bot.Client) { c.Status = bot.ClientActive; c.DropCheckout() })
	if _, err := f.srv.saveCheckout(payToken, "cs_late", open); err != nil {
		t.Fatal(err)
	}
	if c := f.client(); c.CheckoutID != "" || c.Checkout != (bot.OpenCheckout{}) {
		t.Fatalf("paid client got a pending session: %q %+v", c.CheckoutID, c.Checkout)
	}
}
