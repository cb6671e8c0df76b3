package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// countCode records the discount code a completed checkout was paid with:
// the one Stripe reports (its promotion code), the dev checkout's, or the
// one the client's own session was made with. It counts one use of the
// code and marks when the client's discount started.
func countCode(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) error {
	if ev.Type != bot.EventCheckoutCompleted {
		return nil
	}
	code := ev.Code
	if ev.PromotionID != "" {
		d, err := discountByPromotion(tx, ev.PromotionID)
		if err != nil {
			return err
		}
		if d != nil {
			code = d.Code
		}
	}
	if code == "" && ev.CheckoutID != "" && ev.CheckoutID == c.CheckoutID {
		code = c.Checkout.Code
	}
	if code == "" || (code == c.Discount && !c.DiscountFrom.IsZero()) {
		return nil
	}
	d, err := tx.Discount(code)
	if err != nil || d == nil {
		return err
	}
	d.Uses++
	if err := tx.PutDiscount(d); err != nil {
		return fmt.Errorf("count use of %s: %w", code, err)
	}
	c.Discount, c.DiscountFrom = d.Code, now
	return nil
}

// discountByPromotion finds the code whose Stripe promotion code is id.
func discountByPromotion(tx bot.Discounts, id string) (*bot.Discount, error) {
	ds, err := tx.Discounts()
	if err != nil {
		return nil, fmt.Errorf("load discounts: %w", err)
	}
	for i := range ds {
		if ds[i].StripePromoID == id {
			return &ds[i], nil
		}
	}
	return nil, nil
}

// trialWillEnd texts the client a billing link a few days before its
// trial ends (customer.subscription.trial_will_end). It is a reminder, not
// a change: an event of a subscription that is not the client's, or that
// already ended, or a trial already over, sends nothing.
func (b *Billing) trialWillEnd(tx bot.Tx, c *bot.Client, ev bot.BillingEvent, now time.Time) (bool, string, error) {
	switch {
	case ev.SubscriptionID == "" || ev.SubscriptionID != c.SubscriptionID:
		return false, "another subscription", nil
	case standing(c) != bot.ClientActive:
		return false, "not running", nil
	case !ev.TrialEnd.IsZero() && !ev.TrialEnd.After(now):
		return false, "trial already over", nil
	}
	if err := ensurePayToken(tx, c); err != nil {
		return false, "", err
	}
	end := ev.TrialEnd
	if end.IsZero() {
		end = c.TrialEnd
	}
	link, err := b.brain.billingLink(tx, c, now)
	if err != nil {
		return false, "", err
	}
	ok, err := bot.Text(tx, now, bot.Note{
		To: c.Phone, Kind: bot.KindBilling, Priority: bot.PriorityHigh, Client: c.Locale,
		Body: func(lang string) string {
			return b.t.T(lang, "BillingTrialEnds", map[string]any{"Keyword": c.Keyword, "Link": link, "When": dayText(lang, end)})
		},
	})
	if err != nil {
		return false, "", fmt.Errorf("tell %s: %w", c.Phone, err)
	}
	return ok, "", nil
}
