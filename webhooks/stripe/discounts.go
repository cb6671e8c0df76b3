package stripe

import (
	"context"
	"fmt"

	stripego "github.com/stripe/stripe-go/v76"

	"nudges/bot"
)

// promotionVersion is the Stripe API version the promotion-code call is
// made with. Since 2025-09-30 a promotion code names its coupon as
// promotion[coupon] (with promotion[type]=coupon), the shape stripe-mock
// checks; stripe-go v76 would send the older top-level coupon, so this one
// call sends the newer shape and asks for the version that reads it.
const promotionVersion = "2025-09-30.clover"

// SyncDiscount makes d's Stripe Coupon and its Promotion Code of the same
// text, unless made already, and sets their ids on d; the caller saves d.
// products are the Stripe products of the plans d applies to (none: all).
func (a *API) SyncDiscount(ctx context.Context, d *bot.Discount, products []string) error {
	if d.StripeCouponID == "" {
		id, err := a.newCoupon(ctx, d, products)
		if err != nil {
			return err
		}
		d.StripeCouponID = id
	}
	if d.StripePromoID != "" {
		return nil
	}
	params := &stripego.PromotionCodeParams{Code: stripego.String(d.Code)}
	params.Context = ctx
	params.AddExtra("promotion[type]", "coupon")
	params.AddExtra("promotion[coupon]", d.StripeCouponID)
	params.Headers = map[string][]string{"Stripe-Version": {promotionVersion}}
	if d.MaxUses > 0 {
		params.MaxRedemptions = stripego.Int64(int64(d.MaxUses))
	}
	if !d.ExpiresAt.IsZero() {
		params.ExpiresAt = stripego.Int64(d.ExpiresAt.Unix())
	}
	params.AddMetadata("code", d.Code)
	pc, err := a.sc.PromotionCodes.New(params)
	if err != nil {
		return fmt.Errorf("create promotion code %s: %w", d.Code, err)
	}
	d.StripePromoID = pc.ID
	return nil
}

func (a *API) newCoupon(ctx context.Context, d *bot.Discount, products []string) (string, error) {
	params := &stripego.CouponParams{Name: stripego.String(d.Code), Duration: stripego.String(d.Duration)}
	params.Context = ctx
	if d.PercentOff > 0 {
		params.PercentOff = stripego.Float64(float64(d.PercentOff))
	} else {
		params.AmountOff = stripego.Int64(d.AmountOff)
		params.Currency = stripego.String(d.Currency)
	}
	if d.Duration == bot.DurationRepeating {
		params.DurationInMonths = stripego.Int64(int64(d.Months))
	}
	if len(products) > 0 {
		params.AppliesTo = &stripego.CouponAppliesToParams{Products: stripego.StringSlice(products)}
	}
	if d.MaxUses > 0 {
		params.MaxRedemptions = stripego.Int64(int64(d.MaxUses))
	}
	if !d.ExpiresAt.IsZero() {
		params.RedeemBy = stripego.Int64(d.ExpiresAt.Unix())
	}
	params.AddMetadata("code", d.Code)
	c, err := a.sc.Coupons.New(params)
	if err != nil {
		return "", fmt.Errorf("create coupon for %s: %w", d.Code, err)
	}
	return c.ID, nil
}

// ArchiveDiscount turns d's Stripe promotion code off, so that nobody can
// type it on Checkout any more; subscriptions that have it keep it.
func (a *API) ArchiveDiscount(ctx context.Context, d *bot.Discount) error {
	if d.StripePromoID == "" {
		return nil
	}
	params := &stripego.PromotionCodeParams{Active: stripego.Bool(false)}
	params.Context = ctx
	if _, err := a.sc.PromotionCodes.Update(d.StripePromoID, params); err != nil {
		return fmt.Errorf("archive promotion code %s: %w", d.Code, err)
	}
	return nil
}

// checkoutDiscount is the discount a client's next checkout carries: its
// code while the code may still be used on p and was not used yet by it.
func (s *Server) checkoutDiscount(cl *bot.Client, p *bot.Plan) *bot.Discount {
	if cl.Discount == "" || !cl.DiscountFrom.IsZero() {
		return nil
	}
	var d *bot.Discount
	err := s.store.View(func(tx bot.Tx) error {
		var err error
		d, err = tx.Discount(cl.Discount)
		return err
	})
	if err != nil {
		s.Log.Error("load discount", "code", cl.Discount, "err", err)
		return nil
	}
	if d.Refusal(p.ID, s.clock.Now()) != "" {
		return nil
	}
	return d
}

// syncedDiscount returns d with its Stripe objects, making them when d was
// created before Stripe was configured; p is the client's plan, synced.
func (s *Server) syncedDiscount(ctx context.Context, d *bot.Discount, p *bot.Plan) (*bot.Discount, error) {
	if d == nil || d.StripePromoID != "" {
		return d, nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	var products []string
	err := s.store.View(func(tx bot.Tx) error {
		cur, err := tx.Discount(d.Code)
		if err != nil || cur == nil {
			return err
		}
		*d = *cur
		for _, id := range d.Plans {
			if q, err := tx.Plan(id); err == nil && q != nil && q.StripeProductID != "" && id != p.ID {
				products = append(products, q.StripeProductID)
			}
		}
		return nil
	})
	if err != nil || d.StripePromoID != "" { // synced meanwhile
		return d, err
	}
	if len(d.Plans) > 0 {
		products = append(products, p.StripeProductID)
	}
	if err := s.api.SyncDiscount(ctx, d, products); err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx bot.Tx) error {
		cur, err := tx.Discount(d.Code)
		if err != nil || cur == nil {
			return err
		}
		cur.StripeCouponID, cur.StripePromoID = d.StripeCouponID, d.StripePromoID
		return tx.PutDiscount(cur)
	})
	if err != nil {
		return nil, fmt.Errorf("save stripe ids of code %s: %w", d.Code, err)
	}
	return d, nil
}
