package stripe

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"nudges/bot"
)

const joiner = bot.Phone("+15550001111")

// priced makes COFFEE a live list costing 5.00 a month on acct_1 and gives
// joiner the payment link secret sec1; it returns the link's path.
func (f *fixture) priced() string {
	var tok string
	f.update(func(c *bot.Client) {
		c.Status = bot.ClientActive
		c.Payouts.Account, c.Payouts.ChargesEnabled, c.Payouts.Price = "acct_1", true, 500
		tok = c.NewPaidJoin(joiner, "sec1", f.clock.Now())
	})
	return PathPaidJoin + tok
}

// Dev mode: the payment link shows the dev checkout of the list; paying
// (twice) puts the phone on the list once and texts it once.
func TestDevPaidJoin(t *testing.T) {
	f := newFixture(t, devConfig())
	path := f.priced()
	rec := f.do(http.MethodGet, path, "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "5.00 USD a month") || !strings.Contains(rec.Body.String(), `action="`+path+`"`) {
		t.Fatalf("dev checkout %d: %s", rec.Code, rec.Body)
	}
	if on, _ := f.member(joiner); on {
		t.Fatal("on the list before paying")
	}
	for range 2 {
		if rec := f.do(http.MethodPost, path, "", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"/done" {
			t.Fatalf("dev pay %d %q", rec.Code, rec.Header().Get("Location"))
		}
	}
	if on, paid := f.member(joiner); !on || paid == "" {
		t.Fatalf("member %v paying by %q", on, paid)
	}
	if msgs := f.outbox(); len(msgs) != 1 || msgs[0].To != joiner {
		t.Fatalf("outbox %+v", msgs)
	}
}

// Bad, expired or stale payment links are a 404 page, never a 5xx, and
// never pay: unknown tokens, a wrong or missing secret, odd bytes, a link
// past its day, and a list that stopped charging.
func TestPaidJoinBadLinks(t *testing.T) {
	f := newFixture(t, devConfig())
	path := f.priced()
	for _, p := range []string{PathPaidJoin + "nope", PathPaidJoin + payToken, PathPaidJoin + payToken + ".sec2",
		PathPaidJoin + payToken + ".", PathPaidJoin + ".sec1", PathPaidJoin + "%00%ff", PathPaidJoin + strings.Repeat("a", 5000),
		PathPaidJoin + payToken + ".SEC1"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if rec := f.do(m, p, "", nil); rec.Code != http.StatusNotFound {
				t.Errorf("%s %s: %d", m, p, rec.Code)
			}
		}
	}
	f.clock.Advance(bot.PaidJoinTTL)
	if rec := f.do(http.MethodPost, path, "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("expired link: %d", rec.Code)
	}
	path = f.priced()
	f.update(func(c *bot.Client) { c.Payouts.Price = 0 })
	if rec := f.do(http.MethodPost, path, "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("free list: %d", rec.Code)
	}
	if on, _ := f.member(joiner); on || len(f.outbox()) != 0 {
		t.Fatal("a bad link paid")
	}
}

// With Stripe: the link makes a monthly Checkout Session paid to the
// client's account less the platform fee, naming the list and the phone,
// and redirects to it; a link preview makes nothing.
func TestStripePaidJoinCheckout(t *testing.T) {
	rec, base := newRecorder(t, stripeMock(t))
	f := newFixture(t, Config{SecretKey: "sk_test_123", WebhookSecret: testSecret, APIBase: base,
		PublicURL: "https://sms.example.com", PlatformFee: 12.5})
	path := f.priced()
	if r := f.do(http.MethodHead, path, "", nil); r.Code != http.StatusOK {
		t.Fatalf("HEAD %d", r.Code)
	}
	if r := f.do(http.MethodGet, path, "", http.Header{"User-Agent": {"facebookexternalhit/1.1"}}); r.Code != http.StatusOK {
		t.Fatalf("preview %d", r.Code)
	}
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 0 {
		t.Fatalf("a preview made %d sessions", n)
	}
	r := f.do(http.MethodGet, path, "", nil)
	if r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "http") {
		t.Fatalf("checkout %d %q: %s", r.Code, r.Header().Get("Location"), r.Body)
	}
	form := rec.find(t, http.MethodPost, "/v1/checkout/sessions")
	wantForm(t, "paid join", form, map[string]string{
		"mode": "subscription", "line_items[0][price_data][unit_amount]": "500", "line_items[0][price_data][currency]": "usd",
		"subscription_data[transfer_data][destination]": "acct_1",
		"metadata[list]": "COFFEE", "metadata[phone]": string(joiner), "subscription_data[metadata][phone]": string(joiner),
		"success_url": "https://sms.example.com" + path + "/done",
	})
	if fee, err := strconv.ParseFloat(form.Get("subscription_data[application_fee_percent]"), 64); err != nil || fee != 12.5 {
		t.Errorf("application_fee_percent %q", form.Get("subscription_data[application_fee_percent]"))
	}
	if r := f.do(http.MethodPost, path, "", nil); r.Code != http.StatusMethodNotAllowed && r.Code != http.StatusNotFound {
		t.Errorf("POST with Stripe configured: %d", r.Code)
	}
}

// The pages Stripe returns to speak the list's language; a bad token gets
// the page in English, never an error.
func TestPaidJoinReturnPages(t *testing.T) {
	f := newFixture(t, devConfig())
	path := f.priced()
	f.update(func(c *bot.Client) { c.Locale = bot.Spanish })
	if r := f.do(http.MethodGet, path+"/done", "", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "Gracias") {
		t.Fatalf("done %d: %s", r.Code, r.Body)
	}
	if r := f.do(http.MethodGet, PathPaidJoin+"%00x/canceled", "", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "you weren") {
		t.Fatalf("canceled %d: %s", r.Code, r.Body)
	}
}
