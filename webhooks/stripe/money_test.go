package stripe

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// putCode saves a discount code and gives it to the fixture's client.
func (f *fixture) putCode(d bot.Discount) {
	f.t.Helper()
	if err := f.db.Update(func(tx bot.Tx) error { return tx.PutDiscount(&d) }); err != nil {
		f.t.Fatal(err)
	}
	f.update(func(c *bot.Client) { c.Discount = d.Code })
}

func (f *fixture) code(code string) *bot.Discount {
	var d *bot.Discount
	f.db.View(func(tx bot.Tx) error { d, _ = tx.Discount(code); return nil })
	return d
}

// A code becomes a Coupon (percent or amount, duration, products, limits)
// and a Promotion Code of the same text in the shape stripe-mock's spec
// wants (promotion[coupon]); archiving turns the promotion code off.
func TestStripeDiscountMakesCouponAndPromotionCode(t *testing.T) {
	f, rec := stripeFixture(t)
	exp := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	d := &bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationRepeating, Months: 3, MaxUses: 50, ExpiresAt: exp}
	if err := f.srv.API().SyncDiscount(context.Background(), d, []string{"prod_1"}); err != nil {
		t.Fatal(err)
	}
	if d.StripeCouponID == "" || !strings.HasPrefix(d.StripePromoID, "promo_") {
		t.Fatalf("ids %q %q", d.StripeCouponID, d.StripePromoID)
	}
	coupon := rec.find(t, http.MethodPost, "/v1/coupons")
	if pct, err := strconv.ParseFloat(coupon.Get("percent_off"), 64); err != nil || pct != 20 {
		t.Errorf("coupon percent_off %q", coupon.Get("percent_off"))
	}
	wantForm(t, "coupon", coupon, map[string]string{
		"duration": "repeating", "duration_in_months": "3", "applies_to[products][0]": "prod_1",
		"max_redemptions": "50", "redeem_by": "1806537600", "name": "SPRING20",
	})
	wantForm(t, "promotion code", rec.find(t, http.MethodPost, "/v1/promotion_codes"), map[string]string{
		"code": "SPRING20", "promotion[type]": "coupon", "promotion[coupon]": d.StripeCouponID,
		"max_redemptions": "50", "expires_at": "1806537600", "coupon": "",
	})
	// Synced again: nothing new is made.
	if err := f.srv.API().SyncDiscount(context.Background(), d, nil); err != nil || rec.count(http.MethodPost, "/v1/coupons") != 1 {
		t.Fatalf("second sync: %v, %d coupons", err, rec.count(http.MethodPost, "/v1/coupons"))
	}
	amount := &bot.Discount{Code: "FIVE", AmountOff: 500, Currency: "eur", Duration: bot.DurationOnce}
	if err := f.srv.API().SyncDiscount(context.Background(), amount, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.API().ArchiveDiscount(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	wantForm(t, "archive", rec.find(t, http.MethodPost, "/v1/promotion_codes/"+d.StripePromoID), map[string]string{"active": "false"})
}

// The payment link's session carries the client's code; without one it
// lets the client type a code (the two are exclusive); the plan's trial
// starts a first subscription, not a returning client's.
func TestStripeCheckoutCarriesCodeAndTrial(t *testing.T) {
	f, rec := stripeFixture(t)
	f.setPlan(func(p *bot.Plan) { p.TrialDays = 14 })
	f.putCode(bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationOnce, StripePromoID: "promo_S"})
	if res := f.do(http.MethodGet, "/pay/"+payToken, "", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("GET /pay: %d\n%s", res.Code, res.Body)
	}
	form := rec.find(t, http.MethodPost, "/v1/checkout/sessions")
	wantForm(t, "session with code", form, map[string]string{
		"discounts[0][promotion_code]": "promo_S", "allow_promotion_codes": "", "subscription_data[trial_period_days]": "14",
	})
	if c := f.client(); c.Checkout.Code != "SPRING20" {
		t.Fatalf("open checkout does not remember its code: %+v", c.Checkout)
	}
	// The code expires: the link makes a new session that lets one be typed.
	f.db.Update(func(tx bot.Tx) error {
		d, _ := tx.Discount("SPRING20")
		d.ExpiresAt = f.clock.Now()
		return tx.PutDiscount(d)
	})
	f.update(func(c *bot.Client) { c.LiveAt = T0 }) // and it was live before: no second trial
	f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if n := rec.count(http.MethodPost, "/v1/checkout/sessions"); n != 2 {
		t.Fatalf("%d sessions; the expired code's session was reused", n)
	}
	rec.mu.Lock()
	last := rec.reqs[len(rec.reqs)-1].Form
	rec.mu.Unlock()
	wantForm(t, "session without code", last, map[string]string{
		"allow_promotion_codes": "true", "discounts[0][promotion_code]": "", "subscription_data[trial_period_days]": "",
	})
}

// checkout.session.completed names the promotion code typed on Checkout:
// the code's use is counted once, whatever the replays.
func TestCompletedSessionCountsTheTypedCode(t *testing.T) {
	f := newFixture(t, devConfig())
	f.db.Update(func(tx bot.Tx) error {
		return tx.PutDiscount(&bot.Discount{Code: "FALL10", PercentOff: 10, Duration: bot.DurationForever, StripePromoID: "promo_F"})
	})
	s := session("cs_1")
	s["discounts"] = []any{map[string]any{"coupon": nil, "promotion_code": "promo_F"}}
	ev := event("evt_code", bot.EventCheckoutCompleted, f.clock.Now(), s)
	f.postOK(ev)
	f.postOK(ev)
	if d := f.code("FALL10"); d.Uses != 1 {
		t.Fatalf("uses %d, want 1", d.Uses)
	}
	if c := f.client(); c.Discount != "FALL10" || c.DiscountFrom.IsZero() || c.Status != bot.ClientActive {
		t.Fatalf("client %+v", c)
	}
}

// The dev checkout shows the discounted price and the trial, and paying
// counts the code and starts the trial as the first period.
func TestDevCheckoutAppliesCodeAndTrial(t *testing.T) {
	f := newFixture(t, devConfig())
	f.setPlan(func(p *bot.Plan) { p.TrialDays = 7 })
	f.putCode(bot.Discount{Code: "SPRING20", PercentOff: 20, Duration: bot.DurationRepeating, Months: 3})
	body := f.do(http.MethodGet, "/dev/checkout/"+payToken, "", nil).Body.String()
	for _, want := range []string{"Code SPRING20: 20% off for 3 months. First payment: 7.20 USD instead of 9.00 USD.", "Free trial: 7 days"} {
		if !strings.Contains(body, want) {
			t.Fatalf("dev checkout lacks %q:\n%s", want, body)
		}
	}
	if rec := f.do(http.MethodPost, "/dev/checkout/"+payToken, "", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("pay: %d", rec.Code)
	}
	c := f.client()
	if c.Status != bot.ClientActive || !c.PeriodEnd.Equal(T0.AddDate(0, 0, 7)) || !c.TrialEnd.Equal(c.PeriodEnd) || c.DiscountFrom.IsZero() {
		t.Fatalf("client after dev pay: %+v", c)
	}
	if d := f.code("SPRING20"); d.Uses != 1 {
		t.Fatalf("uses %d", d.Uses)
	}
}

func trialSub(id string, trialEnd time.Time) map[string]any {
	s := subscription("trialing", T0, trialEnd, "price_1")
	s["id"], s["trial_end"] = id, trialEnd.Unix()
	return s
}

// customer.subscription.trial_will_end texts a billing link, once per
// event; a replay, another subscription's or one arriving after the
// subscription was deleted texts nothing. A trialing client is active.
func TestTrialWillEnd(t *testing.T) {
	f := newFixture(t, devConfig())
	end := T0.AddDate(0, 0, 14)
	f.postOK(event("evt_c", bot.EventCheckoutCompleted, T0, session("cs_1")))
	f.postOK(event("evt_u", bot.EventSubscriptionUpdated, T0.Add(time.Second), trialSub("sub_1", end)))
	c := f.client()
	if !c.CanBroadcast() || !c.TrialEnd.Equal(end) {
		t.Fatalf("trialing client: %+v", c)
	}
	n := len(f.outbox())
	f.clock.Set(end.AddDate(0, 0, -3))
	warn := event("evt_t", bot.EventTrialWillEnd, f.clock.Now(), trialSub("sub_1", end))
	f.postOK(warn)
	f.postOK(warn) // replayed
	msgs := f.outbox()
	if len(msgs) != n+1 || !strings.Contains(msgs[n].Body, "free trial") || !strings.Contains(msgs[n].Body, "Jan 19, 2026") ||
		!strings.Contains(msgs[n].Body, "/billing/"+payToken+".") {
		t.Fatalf("trial reminder: %d new, %+v", len(msgs)-n, msgs[n:])
	}
	f.postOK(event("evt_t2", bot.EventTrialWillEnd, f.clock.Now(), trialSub("sub_other", end)))
	f.postOK(event("evt_d", bot.EventSubscriptionDeleted, f.clock.Now().Add(time.Second), trialSub("sub_1", end)))
	n = len(f.outbox())
	f.postOK(event("evt_t3", bot.EventTrialWillEnd, f.clock.Now(), trialSub("sub_1", end))) // late, after the deletion
	if got := len(f.outbox()); got != n {
		t.Fatalf("a reminder after the deletion: %+v", f.outbox()[n:])
	}
}

// A code made before Stripe was configured gets its Stripe objects the
// first time a payment link needs them, once.
func TestStripePaySyncsACodeMadeInDevMode(t *testing.T) {
	f, rec := stripeFixture(t)
	f.putCode(bot.Discount{Code: "EARLY", PercentOff: 50, Duration: bot.DurationOnce, Plans: []uint64{1}})
	if res := f.do(http.MethodGet, "/pay/"+payToken, "", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("GET /pay: %d\n%s", res.Code, res.Body)
	}
	d := f.code("EARLY")
	if d.StripeCouponID == "" || d.StripePromoID == "" {
		t.Fatalf("code not synced: %+v", d)
	}
	var plan *bot.Plan
	f.db.View(func(tx bot.Tx) error { plan, _ = tx.Plan(1); return nil })
	wantForm(t, "coupon", rec.find(t, http.MethodPost, "/v1/coupons"), map[string]string{"applies_to[products][0]": plan.StripeProductID})
	wantForm(t, "session", rec.find(t, http.MethodPost, "/v1/checkout/sessions"), map[string]string{"discounts[0][promotion_code]": d.StripePromoID})
	f.update(func(c *bot.Client) { c.CheckoutID = "" })
	f.do(http.MethodGet, "/pay/"+payToken, "", nil)
	if n := rec.count(http.MethodPost, "/v1/promotion_codes"); n != 1 {
		t.Fatalf("%d promotion codes made, want 1", n)
	}
}
