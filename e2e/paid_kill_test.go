package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// fakeCancels is a Stripe API that records subscription updates; it holds
// its answer while hold is set (a call the process is killed in the
// middle of) and answers the others.
type fakeCancels struct {
	mu    sync.Mutex
	calls []http.Header
	hold  bool
	gate  chan struct{}
}

func (f *fakeCancels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/subscriptions/sub_e2e1" {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"not faked"}}`))
		return
	}
	r.ParseForm()
	f.mu.Lock()
	h := r.Header.Clone()
	h.Set("X-Form", r.PostForm.Encode())
	f.calls = append(f.calls, h)
	hold := f.hold
	f.mu.Unlock()
	if hold {
		select {
		case <-f.gate:
		case <-r.Context().Done():
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"id":"sub_e2e1","object":"subscription","status":"active","cancel_at_period_end":true}`))
}

func (f *fakeCancels) seen() []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]http.Header(nil), f.calls...)
}

// TestPaidCancelAcrossKill: LEAVE of a paid list queues the cancellation;
// the leader's call to Stripe is cut short by kill -9; the restarted
// binary makes the same call (same idempotency key, on the platform's
// account) and then forgets it; nothing is left queued.
func TestPaidCancelAcrossKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	fake := &fakeCancels{hold: true, gate: make(chan struct{})}
	api := httptest.NewServer(fake)
	t.Cleanup(func() { close(fake.gate); api.Close() })
	db := filepath.Join(t.TempDir(), "n.db")
	const phone, payer = "+15550004444", "+15550001111"
	Update(t, db, func(tx bot.Tx) error {
		now := time.Now().UTC()
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true, CreatedAt: now}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		c := &bot.Client{Phone: phone, Name: "Joe's Coffee", Keyword: "COFFEE", Status: bot.ClientActive,
			PlanID: p.ID, PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now, LiveAt: now}
		c.Payouts.Account, c.Payouts.ChargesEnabled, c.Payouts.Price = "acct_e2e", true, 500
		if err := tx.PutClient(c); err != nil {
			return err
		}
		_, err := tx.AddSubscription(bot.Subscription{Keyword: "COFFEE", Phone: payer, JoinedAt: now,
			Paid: "sub_e2e1", PaidUntil: now.AddDate(0, 1, 0)})
		return err
	})
	s := Start(t, Options{DB: db, Stripe: api.URL})
	w := Webhooks{URL: s.URL, Public: s.URL}
	if r := w.SMS(t, payer, "LEAVE"); !strings.Contains(r, "you'll get its messages until") {
		t.Fatalf("LEAVE: %q", r)
	}
	s.Kill(t)
	s.Restart(t) // a new leader looks at the queue at once
	WaitFor(t, 20*time.Second, "the cancellation call", func() bool { return len(fake.seen()) >= 1 })
	s.Kill(t)
	fake.mu.Lock()
	fake.hold = false
	fake.mu.Unlock()
	s.Restart(t)
	WaitFor(t, 20*time.Second, "the cancellation call again", func() bool { return len(fake.seen()) >= 2 })
	s.Stop(t, 20*time.Second)
	calls := fake.seen()
	for _, h := range calls {
		if h.Get("Idempotency-Key") != "cancel-at-period-end-sub_e2e1" || h.Get("Stripe-Account") != "" ||
			!strings.Contains(h.Get("X-Form"), "cancel_at_period_end=true") {
			t.Errorf("call %v", h)
		}
	}
	if len(calls) != 2 {
		t.Errorf("%d calls, want 2 (one cut short, one answered)", len(calls))
	}
	Read(t, db, func(tx *store.Tx) error {
		left, err := tx.PaidCancelsDue(time.Now().AddDate(1, 0, 0), 10)
		if err != nil || len(left) != 0 {
			t.Errorf("still queued: %+v %v", left, err)
		}
		subs, err := tx.SubscriptionsOf(payer)
		if err != nil || len(subs) != 1 || subs[0].PaidEnds.IsZero() {
			t.Errorf("member after LEAVE: %+v %v", subs, err)
		}
		return nil
	})
}
