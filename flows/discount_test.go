package flows

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// Discount-code and trial directives for the dialogues:
//
//	! code SPRING20 percent=20 months=3 plans=1,2 max=5 uses=5 expires=-1h
//	! trialplan 14                           the plans get that many trial days
//
// and the billing directive's code=SPRING20, promo=promo_1 and trial=14d.
func init() {
	directives["code"] = directiveCode
	directives["trialplan"] = func(h *harness, args string) error {
		days, err := strconv.Atoi(strings.TrimSpace(args))
		if err != nil {
			return err
		}
		return h.db.Update(func(tx bot.Tx) error {
			ps, err := tx.Plans()
			for i := range ps {
				if err == nil {
					ps[i].TrialDays = days
					err = tx.PutPlan(&ps[i])
				}
			}
			return err
		})
	}
}

func directiveCode(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) == 0 {
		return fmt.Errorf("want CODE [key=value…]")
	}
	d := &bot.Discount{Code: f[0], Duration: bot.DurationOnce, CreatedAt: h.clock.Now()}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "percent":
			d.PercentOff = n
		case "amount":
			d.AmountOff, d.Currency = int64(n), "usd"
		case "months":
			d.Duration, d.Months = bot.DurationRepeating, n
		case "forever":
			d.Duration = bot.DurationForever
		case "plans":
			for _, id := range strings.Split(v, ",") {
				n, _ := strconv.ParseUint(id, 10, 64)
				d.Plans = append(d.Plans, n)
			}
		case "max":
			d.MaxUses = n
		case "uses":
			d.Uses = n
		case "expires":
			dur, err := time.ParseDuration(v)
			if err != nil {
				return err
			}
			d.ExpiresAt = h.clock.Now().Add(dur)
		case "promo":
			d.StripePromoID = v
		default:
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return h.db.Update(func(tx bot.Tx) error { return tx.PutDiscount(d) })
}

func TestDiscountRefusals(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := &bot.Discount{Code: "X", PercentOff: 20, Plans: []uint64{2}, MaxUses: 2, Uses: 1, ExpiresAt: now.Add(time.Hour)}
	for _, c := range []struct {
		d    *bot.Discount
		plan uint64
		at   time.Time
		want string
	}{
		{nil, 2, now, bot.CodeUnknown},
		{&bot.Discount{Archived: true}, 2, now, bot.CodeUnknown},
		{d, 2, now, ""},
		{d, 1, now, bot.CodeWrongPlan},
		{d, 2, now.Add(time.Hour), bot.CodeExpired},
		{&bot.Discount{MaxUses: 2, Uses: 2}, 2, now, bot.CodeUsedUp},
		{&bot.Discount{}, 7, now, ""}, // no plans listed: every plan
	} {
		if got := c.d.Refusal(c.plan, c.at); got != c.want {
			t.Errorf("%+v plan %d: %q, want %q", c.d, c.plan, got, c.want)
		}
	}
	if p := (&bot.Discount{PercentOff: 20}).Price(2900, "usd"); p != 2320 {
		t.Errorf("20%% off 29.00: %d", p)
	}
	if p := (&bot.Discount{AmountOff: 1000, Currency: "usd"}).Price(900, "usd"); p != 0 {
		t.Errorf("10.00 off 9.00: %d", p)
	}
	if p := (&bot.Discount{AmountOff: 100, Currency: "eur"}).Price(900, "usd"); p != 900 {
		t.Errorf("an amount in another currency: %d", p)
	}
	rep := &bot.Discount{Duration: bot.DurationRepeating, Months: 3}
	if !rep.InForce(now, now.AddDate(0, 2, 0)) || rep.InForce(now, now.AddDate(0, 3, 0)) || !rep.InForce(time.Time{}, now) {
		t.Error("repeating: in force for its months only")
	}
	if (&bot.Discount{Duration: bot.DurationOnce}).InForce(now, now) || !(&bot.Discount{Duration: bot.DurationForever}).InForce(now, now.AddDate(9, 0, 0)) {
		t.Error("once ends at payment; forever never ends")
	}
}

func TestSplitCode(t *testing.T) {
	for in, want := range map[string][2]string{
		"1 SPRING20": {"1", "SPRING20"}, "1": {"1", ""}, "PRO PLUS SPRING20": {"PRO PLUS", "SPRING20"},
		"1 S!": {"1 S!", ""}, "1 AB": {"1 AB", ""},
	} {
		p, c := splitCode(in)
		if p != want[0] || c != want[1] {
			t.Errorf("splitCode(%q) = %q, %q", in, p, c)
		}
	}
}

// A Stripe checkout names its code by promotion code id, or not at all
// (then the code the client's own session carried counts); either way one
// use is counted, once, and the client's discount starts.
func TestCheckoutCountsTheCodeOnce(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"defaultplan", "code SPRING20 percent=20 promo=promo_S", "code FALL10 percent=10"} {
		name, args, _ := strings.Cut(line, " ")
		if err := directives[name](h, args); err != nil {
			t.Fatal(err)
		}
	}
	put := func(phone bot.Phone, checkout, code string) {
		h.db.Update(func(tx bot.Tx) error {
			return tx.PutClient(&bot.Client{Phone: phone, Name: "Shop", Keyword: "SHOP" + string(phone[len(phone)-1:]), Status: bot.ClientPending,
				PlanID: 1, PayToken: "tok" + string(phone), CheckoutID: checkout, Checkout: bot.OpenCheckout{Code: code}})
		})
	}
	put("+15550001111", "cs_1", "")
	put("+15550002222", "cs_2", "FALL10")
	b := testBilling(h)
	apply := func(id string, phone bot.Phone, checkout, promo string) {
		err := b.Apply(t.Context(), bot.BillingEvent{ID: id, Type: bot.EventCheckoutCompleted, Created: h.clock.Now().Unix(),
			ClientPhone: phone, CheckoutID: checkout, PromotionID: promo, SubscriptionID: "sub_" + id, Status: bot.ClientActive})
		if err != nil {
			t.Fatal(err)
		}
	}
	apply("e1", "+15550001111", "cs_1", "promo_S") // typed on Checkout
	apply("e1", "+15550001111", "cs_1", "promo_S") // replayed
	apply("e2", "+15550002222", "cs_2", "")        // the session the code was put on
	var s, f *bot.Discount
	var c1, c2 *bot.Client
	h.db.View(func(tx bot.Tx) error {
		s, _ = tx.Discount("SPRING20")
		f, _ = tx.Discount("FALL10")
		c1, _ = tx.Client("+15550001111")
		c2, _ = tx.Client("+15550002222")
		return nil
	})
	if s.Uses != 1 || f.Uses != 1 {
		t.Fatalf("uses: SPRING20 %d, FALL10 %d; want 1 each", s.Uses, f.Uses)
	}
	if c1.Discount != "SPRING20" || c1.DiscountFrom.IsZero() || c2.Discount != "FALL10" || c2.DiscountFrom.IsZero() {
		t.Fatalf("clients: %q %v, %q %v", c1.Discount, c1.DiscountFrom, c2.Discount, c2.DiscountFrom)
	}
}

func TestDiscountInForce(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rep := &bot.Discount{Code: "S", Duration: bot.DurationRepeating, Months: 3}
	for _, c := range []struct {
		c    bot.Client
		d    *bot.Discount
		want bool
	}{
		{bot.Client{Status: bot.ClientPending, PlanID: 1}, rep, true},
		{bot.Client{Status: bot.ClientPending, PlanID: 1}, &bot.Discount{Archived: true}, false},          // archived before paying
		{bot.Client{Status: bot.ClientPending, PlanID: 1}, &bot.Discount{ExpiresAt: now}, false},          // expired before paying
		{bot.Client{Status: bot.ClientActive, PlanID: 1, DiscountFrom: now.AddDate(0, -1, 0)}, rep, true}, // month 2 of 3
		{bot.Client{Status: bot.ClientActive, PlanID: 1, DiscountFrom: now.AddDate(0, -4, 0)}, rep, false},
		{bot.Client{Status: bot.ClientCanceled, PlanID: 1, DiscountFrom: now}, &bot.Discount{Duration: bot.DurationForever}, false},
		{bot.Client{Status: bot.ClientActive, PlanID: 1, DiscountFrom: now}, &bot.Discount{Duration: bot.DurationForever, Archived: true}, true}, // who paid keeps it
	} {
		if got := discountInForce(&c.c, c.d, now); got != c.want {
			t.Errorf("%+v with %+v: %v, want %v", c.c, c.d, got, c.want)
		}
	}
}
