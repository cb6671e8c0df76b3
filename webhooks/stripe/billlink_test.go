package stripe

import (
	"net/http"
	"testing"

	"nudges/bot"
)

// freshBillLink gives the fixture's client a new billing link, as a PLAN
// text does, and returns its path.
func (f *fixture) freshBillLink(secret string) string {
	var token string
	f.update(func(c *bot.Client) { token = c.NewBillLink(secret, f.clock.Now()) })
	return PathBilling + token
}

// The billing link opens a portal session that can cancel the plan, so it
// works for 24 hours and only until the next one is texted, the permanent
// payment link of a paid client does not lead there, and a link preview
// opens nothing. Stripe is unreachable here: an attempt at a portal
// session shows as 502.
func TestBillingLinkIsShortLivedAndPreviewsOpenNothing(t *testing.T) {
	f := newFixture(t, Config{SecretKey: "sk_test_123", WebhookSecret: testSecret, APIBase: "http://127.0.0.1:1"})
	f.update(func(c *bot.Client) { c.Status, c.CustomerID, c.SubscriptionID = bot.ClientActive, "cus_123", "sub_123" })
	old := f.freshBillLink("first")
	link := f.freshBillLink("second")
	for _, c := range []struct {
		what, method, path, agent string
		want                      int
	}{
		{"the permanent pay token alone", http.MethodGet, PathBilling + payToken, "", http.StatusNotFound},
		{"a link superseded by a newer text", http.MethodGet, old, "", http.StatusNotFound},
		{"a forged secret", http.MethodGet, PathBilling + payToken + ".guess", "", http.StatusNotFound},
		{"HEAD", http.MethodHead, link, "", http.StatusOK},
		{"an iMessage preview", http.MethodGet, link, "Mozilla/5.0 (Macintosh) facebookexternalhit/1.1 Facebot Twitterbot/1.0", http.StatusOK},
		{"a WhatsApp preview", http.MethodGet, link, "WhatsApp/2.23.20.0 A", http.StatusOK},
		{"the paid client's payment link", http.MethodGet, PathPay + payToken, "", http.StatusOK},
		{"the live link, opened", http.MethodGet, link, "Mozilla/5.0 (iPhone) Safari/604.1", http.StatusBadGateway},
	} {
		h := http.Header{}
		if c.agent != "" {
			h.Set("User-Agent", c.agent)
		}
		if res := f.do(c.method, c.path, "", h); res.Code != c.want {
			t.Errorf("%s: %d, want %d", c.what, res.Code, c.want)
		}
	}
	f.clock.Advance(bot.BillLinkTTL)
	if res := f.do(http.MethodGet, link, "", nil); res.Code != http.StatusNotFound {
		t.Errorf("the link after %v: %d, want 404", bot.BillLinkTTL, res.Code)
	}
	if res := f.do(http.MethodGet, f.freshBillLink("third"), "", nil); res.Code != http.StatusBadGateway {
		t.Errorf("a fresh link the next day: %d, want an attempt at the portal", res.Code)
	}
}
