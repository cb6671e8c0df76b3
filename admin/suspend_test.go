package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76/webhook"

	"nudges/bot"
	"nudges/flows"
	"nudges/locales"
	"nudges/store"
	"nudges/webhooks/stripe"
)

const whsec = "whsec_suspend_test"

// stripeHook is the real Stripe webhook over the harness's database, as
// main wires it (dev checkout, a webhook secret).
func stripeHook(h *harness) *echo.Echo {
	h.t.Helper()
	tr := locales.MustLoad()
	brain := &flows.Brain{ServiceNumber: "+15550000000", PublicURL: "http://localhost:8080"}
	billing := flows.NewBilling(h.db, h.clock, tr, nil, brain)
	srv, err := stripe.New(stripe.Config{WebhookSecret: whsec, PublicURL: "http://localhost:8080"}, h.db, billing, h.clock, tr)
	if err != nil {
		h.t.Fatal(err)
	}
	brain.Payments = srv
	e := echo.New()
	srv.Register(e)
	return e
}

// postEvent signs a Stripe event around object and posts it; it wants 200.
func postEvent(h *harness, e *echo.Echo, id, typ string, created time.Time, object map[string]any) {
	h.t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": "2025-03-31.basil", "created": created.Unix(),
		"type": typ, "livemode": false, "data": map[string]any{"object": object},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: whsec, Timestamp: time.Now()})
	req := httptest.NewRequest(http.MethodPost, stripe.PathWebhook, strings.NewReader(string(payload)))
	req.Header.Set("Stripe-Signature", sp.Header)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("webhook %s: %d %s", typ, rec.Code, rec.Body)
	}
}

// seedPaying makes YOGA an active client on Stripe subscription sub_2.
func seedPaying(h *harness) {
	seedYoga(h)
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(yogaPhone)
		if err != nil {
			return err
		}
		c.CustomerID, c.SubscriptionID, c.PayToken, c.PeriodStart = "cus_2", "sub_2", "paytoken-yoga", t0
		return tx.PutClient(c)
	})
}

func (h *harness) yoga() *bot.Client {
	h.t.Helper()
	var c *bot.Client
	h.write(func(tx *store.Tx) error { var err error; c, err = tx.Client(yogaPhone); return err })
	return c
}

// suspendThenResume suspends YOGA in the console, runs between, resumes it
// and returns the console's notice.
func suspendThenResume(h *harness, between func()) string {
	h.t.Helper()
	h.get("/admin/clients")
	_, loc, _ := h.post("/admin/clients/suspend", url.Values{"phone": {string(yogaPhone)}})
	if _, _, body := h.get(loc); !strings.Contains(body, "suspended") {
		h.t.Fatalf("suspend: %q\n%s", loc, body)
	}
	between()
	if c := h.yoga(); c.Status != bot.ClientSuspended || c.CanBroadcast() {
		h.t.Fatalf("a billing event lifted the suspension: %+v", c)
	}
	_, loc, _ = h.post("/admin/clients/resume", url.Values{"phone": {string(yogaPhone)}})
	_, _, body := h.get(loc)
	return body
}

// The review's repro: a subscription deleted while the client is suspended
// must not come back active on resume.
func TestResumeAfterSubscriptionDeletedIsCanceled(t *testing.T) {
	h := newHarness(t)
	seedPaying(h)
	hook := stripeHook(h)
	h.login()
	body := suspendThenResume(h, func() {
		postEvent(h, hook, "evt_del", "customer.subscription.deleted", t0.Add(time.Minute), map[string]any{
			"id": "sub_2", "object": "subscription", "customer": "cus_2", "status": "canceled",
			"metadata": map[string]string{"phone": string(yogaPhone)},
		})
	})
	mustContain(t, body, "Sunrise Yoga is resumed (canceled).")
	if c := h.yoga(); c.Status != bot.ClientCanceled || c.ResumeStatus != "" || c.CanBroadcast() {
		t.Fatalf("after resume: %+v", c)
	}
}

// invoice.paid while suspended keeps the suspension; resume gives active
// with the period the invoice paid for.
func TestResumeAfterInvoicePaidIsActiveWithNewPeriod(t *testing.T) {
	h := newHarness(t)
	seedPaying(h)
	h.write(func(tx *store.Tx) error {
		c, err := tx.Client(yogaPhone)
		if err != nil {
			return err
		}
		c.Status = bot.ClientPastDue
		return tx.PutClient(c)
	})
	hook := stripeHook(h)
	h.login()
	start, end := t0.AddDate(0, 1, 0), t0.AddDate(0, 2, 0)
	body := suspendThenResume(h, func() {
		postEvent(h, hook, "evt_paid", "invoice.paid", t0.Add(time.Minute), map[string]any{
			"id": "in_2", "object": "invoice", "customer": "cus_2",
			"parent": map[string]any{"subscription_details": map[string]any{
				"subscription": "sub_2", "metadata": map[string]string{"phone": string(yogaPhone)}}},
			"lines": map[string]any{"data": []any{map[string]any{"period": map[string]any{"start": start.Unix(), "end": end.Unix()}}}},
		})
		if c := h.yoga(); c.ResumeStatus != bot.ClientActive || !c.PeriodEnd.Equal(end) || c.Used != 0 {
			t.Fatalf("while suspended: %+v", c)
		}
	})
	mustContain(t, body, "Sunrise Yoga is resumed (active).")
	if c := h.yoga(); c.Status != bot.ClientActive || !c.PeriodStart.Equal(start) || !c.PeriodEnd.Equal(end) {
		t.Fatalf("after resume: %+v", c)
	}
}
