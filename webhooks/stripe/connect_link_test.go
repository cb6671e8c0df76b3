package stripe

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
)

const connectSecret = "whsec_connect_secret"

// connectToken gives the fixture client a live connect link, as PAYOUTS
// does, and returns its token.
func (f *fixture) connectToken() string {
	f.t.Helper()
	f.links++
	var tok string
	f.update(func(c *bot.Client) { tok = c.NewConnectLink(fmt.Sprintf("connectsecret%02d", f.links), f.clock.Now()) })
	return tok
}

// The connect link makes the client's connected account once and sends
// the client to a fresh Account Link each visit, which comes back to the
// same link; two taps at once still make one account.
func TestConnectLinkMakesAccountOnceAndOnboards(t *testing.T) {
	f, rec := stripeFixture(t)
	tok := f.connectToken()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := f.do(http.MethodGet, PathConnect+tok, "", nil); r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "http") {
				t.Errorf("GET /connect: %d → %q", r.Code, r.Header().Get("Location"))
			}
		}()
	}
	wg.Wait()
	acct := f.client().Payouts.Account
	if !strings.HasPrefix(acct, "acct_") {
		t.Fatalf("account %q not kept", acct)
	}
	if r := f.do(http.MethodGet, PathConnect+tok, "", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("second visit: %d", r.Code)
	}
	if n := rec.count(http.MethodPost, "/v1/accounts"); n > 2 || f.client().Payouts.Account != acct {
		t.Fatalf("%d accounts made, kept %q then %q", n, acct, f.client().Payouts.Account)
	}
	if n := rec.count(http.MethodPost, "/v1/account_links"); n != 3 {
		t.Fatalf("%d account links for 3 visits", n)
	}
	wantForm(t, "account link", rec.find(t, http.MethodPost, "/v1/account_links"), map[string]string{
		"account": acct, "type": "account_onboarding",
		"refresh_url": "https://sms.example.com/connect/" + tok, "return_url": "https://sms.example.com/connect/" + tok,
	})
}

// A messaging app's preview of the link makes no account and opens no
// onboarding.
func TestConnectLinkPreviewMakesNothing(t *testing.T) {
	f, rec := stripeFixture(t)
	tok := f.connectToken()
	for _, h := range []http.Header{nil, {"User-Agent": {"facebookexternalhit/1.1"}}} {
		method := http.MethodHead
		if h != nil {
			method = http.MethodGet
		}
		if r := f.do(method, PathConnect+tok, "", h); r.Code != http.StatusOK {
			t.Fatalf("%s preview: %d", method, r.Code)
		}
	}
	if n := rec.count(http.MethodPost, "/v1/accounts") + rec.count(http.MethodPost, "/v1/account_links"); n != 0 || f.client().Payouts.Account != "" {
		t.Fatalf("preview called Stripe %d times, account %q", n, f.client().Payouts.Account)
	}
}

// Unknown, stale, malformed and replaced connect links are 404, never a 5xx,
// and change nothing; the billing link's secret does not open it.
func TestConnectLinkBadTokens(t *testing.T) {
	f := newFixture(t, devConfig())
	old := f.connectToken()
	tok := f.connectToken() // the second PAYOUTS ends the first link
	bill := f.client()
	billTok := bill.NewBillLink("billsecret0001", T0)
	f.update(func(c *bot.Client) { c.BillLink = bill.BillLink })
	for _, p := range []string{old, billTok, payToken, payToken + ".", "nosuchtoken.connectsecret02",
		strings.Repeat("A", 5000), "%00%ff", "..", payToken + ".connectsecret02x", payToken + ".connectsecret0"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if r := f.do(m, PathConnect+p, "", nil); r.Code != http.StatusNotFound {
				t.Errorf("%s /connect/%.40s: %d", m, p, r.Code)
			}
		}
	}
	f.clock.Set(T0.Add(bot.ConnectLinkTTL + time.Minute))
	if r := f.do(http.MethodGet, PathConnect+tok, "", nil); r.Code != http.StatusNotFound {
		t.Fatalf("expired link: %d", r.Code)
	}
	if c := f.client(); c.Payouts.Account != "" || c.Payouts.ChargesEnabled {
		t.Fatalf("bad links changed payouts: %+v", c.Payouts)
	}
}

// Dev mode: the dev onboarding page marks the account able to take
// payments through the account.updated path; pressing twice texts once.
func TestDevConnectOnboarding(t *testing.T) {
	f := newFixture(t, devConfig())
	tok := f.connectToken()
	r := f.do(http.MethodGet, PathConnect+tok, "", nil)
	if body := r.Body.String(); r.Code != http.StatusOK || !strings.Contains(body, `action="/connect/`+tok+`"`) || !strings.Contains(body, "COFFEE") {
		t.Fatalf("dev onboarding page %d:\n%s", r.Code, body)
	}
	for range 2 {
		if r := f.do(http.MethodPost, PathConnect+tok, "", nil); r.Code != http.StatusSeeOther || r.Header().Get("Location") != PathConnect+tok {
			t.Fatalf("POST: %d → %q", r.Code, r.Header().Get("Location"))
		}
	}
	c := f.client()
	if c.Payouts.Account != "acct_dev_"+payToken || !c.Payouts.ChargesEnabled {
		t.Fatalf("payouts %+v", c.Payouts)
	}
	msgs := f.outbox()
	if len(msgs) != 1 || msgs[0].To != clientPhone || !strings.Contains(msgs[0].Body, "Payouts are ready") {
		t.Fatalf("outbox %+v", msgs)
	}
	if r := f.do(http.MethodGet, PathConnect+tok, "", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "Payouts are set up") {
		t.Fatalf("page after onboarding %d:\n%s", r.Code, r.Body)
	}
}

// The dev onboarding button exists only without Stripe.
func TestDevConnectAbsentWithStripe(t *testing.T) {
	f := newFixture(t, Config{SecretKey: "sk_test_1", WebhookSecret: testSecret, APIBase: "http://127.0.0.1:1"})
	tok := f.connectToken()
	if r := f.do(http.MethodPost, PathConnect+tok, "", nil); r.Code != http.StatusMethodNotAllowed && r.Code != http.StatusNotFound {
		t.Fatalf("POST /connect with Stripe: %d", r.Code)
	}
	if f.client().Payouts.ChargesEnabled {
		t.Fatal("charges enabled without Stripe saying so")
	}
}

func account(id string, charges bool) map[string]any {
	return map[string]any{"id": id, "object": "account", "charges_enabled": charges, "metadata": map[string]string{"phone": string(clientPhone)}}
}

// account.updated from either endpoint (platform or Connect secret) marks
// the client payable once; a replay, an older event arriving late and an
// event about another account change nothing; a newer one can disable.
func TestAccountUpdatedWebhook(t *testing.T) {
	cfg := devConfig()
	cfg.ConnectWebhookSecret = connectSecret
	f := newFixture(t, cfg)
	f.update(func(c *bot.Client) { c.Payouts.Account = "acct_1" })
	ev := event("evt_a2", bot.EventAccountUpdated, T0.Add(2*time.Minute), account("acct_1", true))
	if r := f.post(ev, connectSecret, time.Time{}); r.Code != http.StatusOK {
		t.Fatalf("connect-signed: %d %s", r.Code, r.Body)
	}
	if r := f.post(ev, connectSecret, time.Time{}); r.Code != http.StatusOK {
		t.Fatalf("replay: %d", r.Code)
	}
	f.postOK(event("evt_a1", bot.EventAccountUpdated, T0.Add(time.Minute), account("acct_1", false))) // late
	f.postOK(event("evt_x", bot.EventAccountUpdated, T0.Add(3*time.Minute), account("acct_other", false)))
	if r := f.post(event("evt_bad", bot.EventAccountUpdated, T0.Add(4*time.Minute), account("acct_1", false)), "whsec_wrong", time.Time{}); r.Code != http.StatusBadRequest {
		t.Fatalf("wrong secret: %d", r.Code)
	}
	if c := f.client(); !c.Payouts.ChargesEnabled {
		t.Fatalf("payouts %+v", c.Payouts)
	}
	if msgs := f.outbox(); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "Payouts are ready: COFFEE") {
		t.Fatalf("outbox %+v", msgs)
	}
	f.postOK(event("evt_a3", bot.EventAccountUpdated, T0.Add(5*time.Minute), account("acct_1", false)))
	if c := f.client(); c.Payouts.ChargesEnabled || len(f.outbox()) != 1 {
		t.Fatalf("after disable: %+v, %d texts", c.Payouts, len(f.outbox()))
	}
}

// Without a Connect secret configured, an event signed with one is refused.
func TestConnectSecretOptional(t *testing.T) {
	f := newFixture(t, devConfig())
	f.update(func(c *bot.Client) { c.Payouts.Account = "acct_1" })
	if r := f.post(event("evt_1", bot.EventAccountUpdated, T0, account("acct_1", true)), connectSecret, time.Time{}); r.Code != http.StatusBadRequest {
		t.Fatalf("unconfigured secret: %d", r.Code)
	}
	if f.client().Payouts.ChargesEnabled {
		t.Fatal("charges enabled by an unverified event")
	}
}
